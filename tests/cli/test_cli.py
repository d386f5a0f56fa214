"""The command line: headless training, its output, options from files, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nntui.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_headless_json_reports_every_epoch_from_zero(capsys):
    code, out, err = run(capsys, "--headless", "--json", "--epochs", "5", "--dataset", "xor")
    assert code == 0, err
    events = json_lines(out)
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [0, 1, 2, 3, 4, 5]
    assert set(epochs[0]) == {"event", "epoch", "train_loss", "test_loss", "train_acc", "test_acc", "lr"}
    done = events[-1]
    assert done["event"] == "done" and done["epochs"] == 5
    assert done["train_seconds"] > 0 and done["epochs_per_second"] > 0


def test_headless_text_lines(capsys):
    code, out, _ = run(capsys, "--headless", "--epochs", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("epoch     0") and lines[-1].startswith("done: 3 epochs")


def test_same_seed_same_numbers_different_seed_differs(capsys):
    args = ("--headless", "--json", "--epochs", "5", "--dataset", "spiral", "--layers", "8,8")
    _, out1, _ = run(capsys, *args, "--seed", "3")
    _, out2, _ = run(capsys, *args, "--seed", "3")
    _, out3, _ = run(capsys, *args, "--seed", "4")
    def strip(out: str) -> list[dict]:
        return [e for e in json_lines(out) if e["event"] == "epoch"]

    assert strip(out1) == strip(out2)
    assert strip(out1) != strip(out3)


def test_adam_learns_the_spiral_where_sgd_stalls(capsys):
    """The issue's lesson: Adam at 0.03 reaches 0.9 on the spiral; plain SGD does not."""
    args = ("--headless", "--json", "--dataset", "spiral", "--layers", "8,8", "--lr", "0.03", "--epochs", "300")
    _, out, _ = run(capsys, *args, "--optimizer", "adam")
    adam = [e for e in json_lines(out) if e["event"] == "epoch"][-1]
    _, out, _ = run(capsys, *args, "--optimizer", "sgd")
    sgd = [e for e in json_lines(out) if e["event"] == "epoch"][-1]
    assert adam["test_acc"] >= 0.9
    assert sgd["test_acc"] < 0.85


def test_digits_reach_95_percent(capsys):
    code, out, _ = run(
        capsys, "--headless", "--json", "--dataset", "digits", "--layers", "32",
        "--optimizer", "adam", "--lr", "0.01", "--batch-size", "32", "--epochs", "40",
    )
    assert code == 0
    last = [e for e in json_lines(out) if e["event"] == "epoch"][-1]
    assert last["test_acc"] >= 0.95


def test_divergence_exits_3_with_an_event(capsys):
    code, out, err = run(capsys, "--headless", "--json", "--epochs", "50", "--lr", "1000", "--loss", "squared",
                         "--output", "linear", "--dataset", "plane")
    assert code == 3
    events = json_lines(out)
    assert events[-1]["event"] == "diverged"
    assert isinstance(events[-1]["epoch"], int)
    assert "Traceback" not in err


def test_save_then_load_continues_from_the_saved_weights(capsys, tmp_path):
    model = tmp_path / "m.npz"
    code, out, _ = run(capsys, "--headless", "--json", "--epochs", "20", "--dataset", "xor", "--layers", "6", "--save", str(model))
    assert code == 0 and model.exists()
    trained = [e for e in json_lines(out) if e["event"] == "epoch"][-1]
    code, out, _ = run(capsys, "--headless", "--json", "--epochs", "0", "--load", str(model))
    assert code == 0
    reloaded = json_lines(out)[0]
    # The saved settings bring back the dataset (xor) and the layers (6); the loss is the same.
    assert reloaded["train_loss"] == pytest.approx(trained["train_loss"], rel=1e-12)
    with np.load(model, allow_pickle=False) as z:
        assert z["W0"].shape == (2, 6) and z["W1"].shape == (6, 1)
        assert json.loads(str(z["settings"]))["dataset"] == "xor"


def test_metrics_files(capsys, tmp_path):
    csv_path, jsonl_path = tmp_path / "m.csv", tmp_path / "m.jsonl"
    assert run(capsys, "--headless", "--epochs", "4", "--metrics", str(csv_path))[0] == 0
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("epoch,train_loss,test_loss") and len(rows) == 1 + 5
    assert run(capsys, "--headless", "--epochs", "4", "--metrics", str(jsonl_path))[0] == 0
    assert [json.loads(x)["epoch"] for x in jsonl_path.read_text().splitlines()] == [0, 1, 2, 3, 4]


def test_config_file_and_flags_override_it(capsys, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('dataset = "xor"\nlayers = [3]\nlr = 0.1\nbatch-size = 5\n')
    code, out, _ = run(capsys, "--headless", "--json", "--epochs", "1", "--config", str(cfg), "--lr", "0.3")
    assert code == 0
    assert json_lines(out)[0]["lr"] == 0.3


def test_playground_preset_uses_its_semantics():
    from nntui.session import build_session
    from nntui.settings import merge

    s = build_session(merge({"preset": "playground"}))
    assert s.loss == "squared" and s.output == "tanh" and s.settings.shuffle is False
    assert s.net.sizes == (2, 4, 2, 1) and s.settings.lr == 0.03 and s.trainer.batch_size == 10
    assert np.all(s.net.b[0] == 0.1) and np.abs(s.net.W[0]).max() <= 0.5
    assert s.trainer.t_train.min() == -1.0  # labels ±1


def test_csv_dataset(capsys, tmp_path):
    f = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] > 0).astype(int)
    f.write_text("a,b,c,label\n" + "\n".join(",".join(map(str, [*r, l])) for r, l in zip(x, y)))
    code, out, err = run(capsys, "--headless", "--json", "--epochs", "30", "--dataset", str(f), "--optimizer", "adam")
    assert code == 0, err
    assert [e for e in json_lines(out) if e["event"] == "epoch"][-1]["train_acc"] > 0.8


BAD = [
    (["--dataset", "nope"], "unknown dataset"),
    (["--activation", "swishy"], "--activation"),
    (["--layers", "8,x"], "--layers"),
    (["--layers", "0"], "--layers"),
    (["--lr", "-0.1"], "--lr"),
    (["--lr", "0"], "--lr"),
    (["--lr", "abc"], "--lr"),
    (["--batch-size", "0"], "--batch-size"),
    (["--train-fraction", "1.5"], "--train-fraction"),
    (["--train-fraction", "0"], "--train-fraction"),
    (["--noise", "-1"], "--noise"),
    (["--optimizer", "rmsprop"], "--optimizer"),
    (["--features", "x1,x9"], "unknown feature"),
    (["--dataset", "missing.csv"], "missing.csv"),
    (["--load", "missing.npz"], "missing.npz"),
    (["--config", "missing.toml"], "missing.toml"),
    (["--loss", "bce", "--dataset", "plane"], "regression"),
    (["--loss", "bce", "--dataset", "blobs"], "does not take 3 classes"),
    (["--output", "softmax", "--loss", "squared"], "does not go with"),
    (["--metrics", "out.txt"], "--metrics"),
    (["--preset", "tensorflow"], "unknown preset"),
    (["--epochs", "-3"], "--epochs"),
    (["--schedule", "foo"], "--schedule"),
    (["--patience", "0"], "--patience"),
    (["--target-loss", "-1"], "--target-loss"),
    (["--schedule-gamma", "2"], "--schedule-gamma"),
    (["--schedule-step", "0"], "--schedule-step"),
    (["--history-mb", "0"], "--history-mb"),
    (["--history-mb", "x"], "--history-mb"),
]


@pytest.mark.parametrize("args,needle", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_one_line_exit_2(capsys, args, needle):
    code, out, err = run(capsys, "--headless", "--epochs", "1", *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err and "Traceback" not in err


def test_unknown_flag_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--bogus"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1 and "--bogus" in err


def test_corrupt_model_file(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    code, _, err = run(capsys, "--headless", "--load", str(bad))
    assert code == 2 and "bad.npz" in err and len(err.splitlines()) == 1


def test_tui_without_a_tty_says_use_headless():
    r = subprocess.run([sys.executable, "-m", "nntui"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 2
    assert "--headless" in r.stderr and "Traceback" not in r.stderr


def test_help_and_version():
    r = subprocess.run([sys.executable, "-m", "nntui", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--headless" in r.stdout and "--preset" in r.stdout
    r = subprocess.run([sys.executable, "-m", "nntui", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("nntui ")


# ---------------------------------------------------------------------------- schedules and stop rules
def test_target_loss_stops_early_with_a_stopped_event(capsys):
    code, out, err = run(capsys, "--headless", "--json", "--dataset", "xor", "--optimizer", "adam",
                         "--epochs", "300", "--target-loss", "0.1")
    assert code == 0, err
    events = json_lines(out)
    stopped, done = events[-2], events[-1]
    assert stopped["event"] == "stopped" and "target 0.1" in stopped["reason"]
    last = [e for e in events if e["event"] == "epoch"][-1]
    assert last["train_loss"] <= 0.1 and stopped["epoch"] == last["epoch"] < 300
    assert done["event"] == "done" and done["epochs"] == last["epoch"]


def test_patience_stops_early(capsys):
    code, out, _ = run(capsys, "--headless", "--dataset", "spiral", "--lr", "1", "--epochs", "300", "--patience", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[-2].startswith("stopped: early stop: test loss has not improved for 3 epochs")
    assert lines[-1].startswith("done: ") and not lines[-1].startswith("done: 300 ")


def test_no_stopped_event_when_the_epochs_run_out(capsys):
    code, out, _ = run(capsys, "--headless", "--json", "--epochs", "3", "--patience", "50", "--target-loss", "0")
    assert code == 0
    assert [e["event"] for e in json_lines(out)][-2:] == ["epoch", "done"]


def test_step_schedule_halves_the_lr_in_the_epoch_events(capsys):
    code, out, _ = run(capsys, "--headless", "--json", "--epochs", "6", "--dataset", "xor", "--lr", "0.04",
                       "--schedule", "step", "--schedule-step", "2", "--schedule-gamma", "0.5")
    assert code == 0
    lrs = [e["lr"] for e in json_lines(out) if e["event"] == "epoch"]
    assert lrs == [0.04, 0.04, 0.04, 0.02, 0.02, 0.01, 0.01]


