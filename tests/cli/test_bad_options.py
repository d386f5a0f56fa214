"""Bad option values: every option refuses them with exit code 2 and one line on stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nntui.cli import make_parser
from nntui.settings import OPTIONS, SettingsError

from tests.cli.helpers import assert_success, assert_usage_error, run_cli

pytestmark = pytest.mark.usefixtures("in_tmp_cwd")  # some accepted values, like --save abc, write files


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


VALUE_OPTIONS = [o for o in OPTIONS if o.metavar is not None]  # options that take a value


def _kind(option) -> str:
    """'int', 'float' or 'other', found by asking the option's own parser."""
    try:
        option.parse("abc")
    except SettingsError as e:
        if "whole number" in str(e):
            return "int"
        if "expected a number" in str(e):
            return "float"
    return "other"


KIND = {o.name: _kind(o) for o in VALUE_OPTIONS}

# Options for which the empty value means "not set" (or "no hidden layer"), so a run succeeds.
EMPTY_OK = {
    "test_data", "classes", "layers", "epochs", "schedule_period", "target_loss", "patience",
    "load", "save", "metrics", "preset", "lesson",
}
# Options for which "abc" is a valid value: --save abc writes a model file named abc.
ABC_OK = {"save"}

# Out-of-range values of every numeric option (each must be refused).
OUT_OF_RANGE = {
    "samples": ["1", "0", "-5", "1000001"],
    "noise": ["-0.01", "1.01"],
    "train_fraction": ["0", "1", "-0.5", "1.5"],
    "classes": ["1", "0", "-2"],
    "lr": ["0", "-0.1", "-0", "1e7", "1e-400"],
    "momentum": ["1", "-0.1", "2"],
    "batch_size": ["0", "-1", "10000001"],
    "reg_rate": ["-0.001", "1e7"],
    "epochs": ["-1", "-100"],
    "schedule_gamma": ["0", "-0.5", "1.0001"],
    "schedule_step": ["0", "-3"],
    "schedule_period": ["0", "-1"],
    "target_loss": ["-1", "-1e-9"],
    "patience": ["0", "-1"],
    "seed": ["-1", str(2**32)],
    "history_mb": ["0", "-1", "1000001"],
}


def test_the_option_tables_here_cover_every_option():
    """If an option is added, this file's tables must say what its bad values do."""
    parser_dests = {a.dest for a in make_parser()._actions if a.option_strings and a.nargs != 0}
    # --config and --compare are not options of the table; test_compare.py has --compare's bad values
    assert {o.name for o in VALUE_OPTIONS} | {"config", "compare"} == parser_dests
    numeric = {name for name, kind in KIND.items() if kind in ("int", "float")}
    assert numeric == set(OUT_OF_RANGE), "every numeric option needs out-of-range cases"
    assert EMPTY_OK <= set(KIND) and ABC_OK <= set(KIND)


def _bad_value_cases() -> list:
    cases = []
    for o in VALUE_OPTIONS:
        f = flag(o.name)
        cases.append(pytest.param(o.name, "abc", o.name in ABC_OK, id=f"{f} abc"))
        cases.append(pytest.param(o.name, "", o.name in EMPTY_OK, id=f"{f} empty"))
        # A blank value is never "not set": only the empty string is, except for layers (no layer).
        cases.append(pytest.param(o.name, "   ", o.name == "layers", id=f"{f} blank"))
        for v in OUT_OF_RANGE.get(o.name, []):
            cases.append(pytest.param(o.name, v, False, id=f"{f} {v}"))
        if KIND[o.name] == "float":
            for v in ("nan", "inf", "-inf", "1e400", "0x10", "1,5"):
                cases.append(pytest.param(o.name, v, False, id=f"{f} {v}"))
        if KIND[o.name] == "int":
            for v in ("1.5", "1e3", "nan", "2.0", "0x10"):
                cases.append(pytest.param(o.name, v, False, id=f"{f} {v}"))
    return cases


@pytest.mark.parametrize("name,value,accepted", _bad_value_cases())
def test_every_option_refuses_bad_values_in_one_line(capsys, name, value, accepted):
    code, out, err = run_cli(capsys, flag(name), value)
    if accepted:
        assert_success(code, out, err)
    else:
        # The message names the option (or, for paths and names, the value that failed).
        assert_usage_error(code, err)
        assert flag(name) in err or (value and value in err) or name in ("dataset", "test_data"), err


HAND_WRITTEN = [
    (["--dataset", "spiral", "--classes", "7"], "between 2 and 6"),
    (["--dataset", "blobs", "--classes", "1"], "--classes"),
    (["--dataset", "circle", "--classes", "3"], "2 classes"),
    (["--dataset", "plane", "--classes", "3"], "regression"),
    (["--dataset", "digits", "--classes", "5"], "10 classes"),
    (["--dataset", "digits", "--features", "x1,x1sq"], "features"),
    (["--task", "regression"], "classification dataset"),
    (["--samples", "2", "--train-fraction", "0.1"], "no training samples"),
    (["--samples", "3", "--train-fraction", "0.9"], "no test samples"),
    (["--layers", "8,,8"], "--layers"),
    (["--layers", "8,"], "--layers"),
    (["--layers", ","], "--layers"),
    (["--layers", "4097"], "--layers"),
    (["--layers", "1.5"], "--layers"),
    (["--layers", "8;8"], "--layers"),
    (["--layers", "-1"], "--layers"),
    (["--features", "x1,x1"], "more than once"),
    (["--features", ","], "--features"),
    (["--dtype", "float16"], "--dtype"),
    (["--loss", "bce", "--output", "softmax"], "does not go with"),
    (["--loss", "ce", "--dataset", "plane"], "regression"),
    (["--preset", "PLAYGROUND"], "unknown preset"),
    (["--dataset", "x.csv", "--test-data", "y.txt"], "y.txt"),
    (["--test-data", "x.csv"], "separate test file"),
    (["--dataset", "nope.csv"], "nope.csv"),
    (["--dataset", "nope.npz"], "nope.npz"),
    (["--metrics", "m.txt"], "m.txt"),
    (["--metrics", ".csv"], "--metrics"),
    (["--config", "nope.toml"], "nope.toml"),
    (["--lr"], "--lr"),  # argparse: a flag without its value
    (["--lr", "--seed", "1"], "--lr"),
    (["--bogus", "1"], "--bogus"),
    (["--headless", "extra"], "extra"),
]


@pytest.mark.parametrize("args,needle", HAND_WRITTEN, ids=[" ".join(a) for a, _ in HAND_WRITTEN])
def test_hand_written_bad_inputs(capsys, args, needle):
    code, _, err = run_cli(capsys, *args)
    assert_usage_error(code, err, needle)


ACCEPTED = [
    ["--layers", ""],  # no hidden layer
    ["--layers", " 8 , 8 "],
    ["--epochs", ""],  # the headless default, 100
    ["--load", "", "--save", "", "--metrics", "", "--test-data", "", "--preset", ""],
    ["--classes", "", "--dataset", "blobs"],
    ["--task", "Classification", "--activation", "Leaky-ReLU"],
    ["--preset", " playground "],
    ["--config", ""],  # no config file
]


@pytest.mark.parametrize("args", ACCEPTED, ids=[" ".join(map(repr, a)) for a in ACCEPTED])
def test_values_that_are_legitimately_accepted(capsys, args):
    assert_success(*run_cli(capsys, *args))


@pytest.mark.parametrize(
    "toml",
    [
        'layers = "x"', "layers = [0]", "layers = [[8]]", "lr = true", "lr = inf", "lr = nan", "lr = {a = 1}",
        "samples = 1.5", "samples = inf", "samples = 1e300", 'dataset = 5', "features = [1, 2]",
        'paused = "maybe"', "foo = 1", "headless = true", "lr = ", "[section]\nlr = 1",
    ],
)
def test_bad_config_files(capsys, tmp_path, toml):
    cfg = tmp_path / "run.toml"
    cfg.write_text(toml + "\n")
    code, _, err = run_cli(capsys, "--config", str(cfg))
    assert_usage_error(code, err)


NEWLINE_VALUES = [["--lr", "a\nb"], ["--activation", "a\nb"], ["--load", "a\nb.npz"], ["--layers", "8,\nx"]]


# Found by this file (settings.py echoed values raw); fixed in beaed4a (cli.one_line).
@pytest.mark.parametrize("args", NEWLINE_VALUES, ids=["lr", "activation", "load", "layers"])
def test_a_value_with_a_newline_still_gives_one_line(capsys, args):
    code, _, err = run_cli(capsys, *args)
    assert_usage_error(code, err)


def test_python_m_nntui_bad_input_in_a_subprocess(tmp_path):
    for args in (["--lr", "abc"], ["--layers", "8,x"], ["--lr"], ["--dataset", "missing.csv"]):
        r = subprocess.run(
            [sys.executable, "-m", "nntui", "--headless", "--epochs", "1", *args],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr, (args, r.stderr)
        assert r.stdout == ""
