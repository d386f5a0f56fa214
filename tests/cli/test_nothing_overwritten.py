"""Nothing the user already had is overwritten: not by a diverging run, bad input or a failing write."""

from __future__ import annotations

from pathlib import Path

import pytest

from nntui.engine import save_model

from tests.cli.helpers import W2, assert_success, assert_usage_error, run_cli

pytestmark = pytest.mark.usefixtures("in_tmp_cwd")  # some accepted values, like --save abc, write files


PRECIOUS = b"PK\x03\x04 the user's precious model, not to be touched"


def _existing(tmp_path, name="existing.npz") -> Path:
    p = tmp_path / name
    p.write_bytes(PRECIOUS)
    return p


def _no_temp_files_left(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_diverging_run_never_overwrites_the_save_file(capsys, tmp_path):
    existing = _existing(tmp_path)
    code, out, err = run_cli(capsys, "--epochs", "50", "--lr", "1000", "--dataset", "plane", "--save", str(existing))
    assert code == 3, err
    assert "diverged" in out and "not saving" in err and "Traceback" not in err
    assert existing.read_bytes() == PRECIOUS
    _no_temp_files_left(tmp_path)


@pytest.mark.parametrize(
    "bad",
    [["--lr", "abc"], ["--dataset", "missing.csv"], ["--layers", "8,x"], ["--load", "existing.npz"],
     ["--metrics", "no/such/folder/m.csv"], ["--metrics", "m.txt"]],
    ids=["bad lr", "missing data", "bad layers", "load the garbage file itself", "metrics folder missing", "metrics suffix"],
)
def test_bad_input_never_overwrites_the_save_file(capsys, tmp_path, bad):
    existing = _existing(tmp_path)
    code, _, err = run_cli(capsys, *bad, "--save", str(existing))
    assert_usage_error(code, err)
    assert existing.read_bytes() == PRECIOUS
    _no_temp_files_left(tmp_path)


def test_bad_input_never_overwrites_an_existing_metrics_file(capsys, tmp_path):
    metrics = tmp_path / "old.csv"
    metrics.write_text("precious,metrics\n")
    code, _, err = run_cli(capsys, "--layers", "x", "--metrics", str(metrics))
    assert_usage_error(code, err)
    assert metrics.read_text() == "precious,metrics\n"


def test_metrics_in_a_missing_folder_exit_2_in_one_line(capsys, tmp_path):
    code, out, err = run_cli(capsys, "--metrics", str(tmp_path / "missing" / "m.csv"))
    assert_usage_error(code, err, "missing")
    assert not (tmp_path / "missing").exists()


def test_save_into_a_missing_folder_or_onto_a_folder_exit_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "--save", str(tmp_path / "missing" / "m.npz"))
    assert_usage_error(code, err, "missing")
    (tmp_path / "folder.npz").mkdir()
    code, _, err = run_cli(capsys, "--save", str(tmp_path / "folder.npz"))
    assert_usage_error(code, err)
    assert (tmp_path / "folder.npz").is_dir()
    _no_temp_files_left(tmp_path)


# Found by this file (the message named atomic_write's temporary file); fixed in beaed4a.
def test_a_write_error_names_the_users_path_not_a_temp_file(capsys, tmp_path):
    target = tmp_path / "missing" / "m.csv"
    code, _, err = run_cli(capsys, "--metrics", str(target))
    assert_usage_error(code, err, str(target))
    assert ".tmp" not in err


# Found by this file (read_model kept save/metrics/test_data/preset/paused); fixed in beaed4a.
def test_loading_a_model_never_writes_where_its_saved_settings_say(capsys, tmp_path):
    victim_model, victim_metrics = _existing(tmp_path, "victim.npz"), tmp_path / "victim.csv"
    victim_metrics.write_text("precious\n")
    model = tmp_path / "shared.npz"
    save_model(model, [W2["W0"], W2["W1"]], [W2["b0"], W2["b1"]],
               {"layers": [4], "save": str(victim_model), "metrics": str(victim_metrics)})
    code, out, err = run_cli(capsys, "--load", str(model))
    assert_success(code, out, err)
    assert victim_model.read_bytes() == PRECIOUS
    assert victim_metrics.read_text() == "precious\n"
