"""Runs compared side by side: a fork starts from the same weights on the same data, trains
exactly as the original would with nothing changed, and the runs take fair turns; headless
``--compare`` prints every run's epochs and a summary."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nntui.cli import main
from nntui.live.process import LiveTraining
from nntui.live.protocol import ForkReply, Update
from nntui.live.runner import Runner
from nntui.live.stop import StopRule
from nntui.session import build_session, fork_session
from nntui.settings import MAX_RUNS, SettingsError, fork_refusal, merge, parse_compare

SETTINGS = dict(dataset="spiral", layers="8,8", optimizer="adam", seed=7)
ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ forking, in the engine's terms
def test_a_fork_with_nothing_changed_trains_bit_for_bit_as_the_original():
    original = build_session(merge(SETTINGS))
    same = fork_session(original, {"optimizer": "adam"})
    other = fork_session(original, {"optimizer": "sgd", "batch_size": 3})
    for _ in range(15):  # interleaved with another run, epoch by epoch
        original.trainer.step_epoch()
        other.trainer.step_epoch()
        same.trainer.step_epoch()
    assert np.array_equal(original.trainer.net.params, same.trainer.net.params)
    assert not np.array_equal(original.trainer.net.params, other.trainer.net.params)


def test_a_fork_starts_from_the_same_weights_and_data():
    original = build_session(merge(SETTINGS))
    fork = fork_session(original, {"activation": "relu", "lr": 0.1})
    assert np.array_equal(original.trainer.net.params, fork.trainer.net.params)
    assert fork.trainer.x_train is original.trainer.x_train or np.array_equal(fork.trainer.x_train, original.trainer.x_train)
    assert fork.trainer.net.hidden.name == "relu" and fork.trainer.lr == 0.1
    assert fork.trainer.stats.epoch == 0 and fork.trainer.stats.lr == 0.1


@pytest.mark.parametrize("option", ["layers", "dataset", "seed", "init", "samples", "epochs", "save"])
def test_what_changes_the_data_or_the_network_cannot_be_forked(option):
    reason = fork_refusal(option)
    assert reason is not None and reason.startswith(f"--{option}") and "\n" not in reason
    with pytest.raises(SettingsError):
        fork_session(build_session(merge(SETTINGS)), {option: "3"})


@pytest.mark.parametrize("text, label", [
    ("optimizer=sgd,momentum,adam", ["optimizer=sgd", "optimizer=momentum", "optimizer=adam"]),
    ("batch-size=1,10", ["batch-size=1", "batch-size=10"]),
    ("lr=0.1, 0.3", ["lr=0.1", "lr=0.3"]),
])
def test_compare_names_each_run_by_its_value(text, label):
    _, runs = parse_compare(text)
    assert [lbl for lbl, _ in runs] == label


# ------------------------------------------------------------------ the runner, side by side
class Harness:
    """A Runner on a thread of this process, recording what it publishes."""

    def __init__(self, running: bool = False, stop: StopRule | None = None, settings: dict = SETTINGS) -> None:
        session = build_session(merge(settings))
        self.messages: list[object] = []
        self.cond = threading.Condition()
        self.runner = Runner(session.trainer, self.put, running=running, stop=stop, settings=session.settings)
        self.thread = threading.Thread(target=self.runner.run, daemon=True)
        self.thread.start()

    def put(self, message: object) -> None:
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def wait(self, predicate, kind: type = Update, timeout: float = 60.0):
        with self.cond:
            found = lambda: next((m for m in self.messages if isinstance(m, kind) and predicate(m)), None)  # noqa: E731
            assert self.cond.wait_for(lambda: found() is not None, timeout), "no matching message"
            return found()

    def fork(self, changes: dict, request: int) -> ForkReply:
        self.runner.fork(request, changes)
        return self.wait(lambda r: r.request == request, kind=ForkReply)

    def updates(self) -> list[Update]:
        with self.cond:
            return [m for m in self.messages if isinstance(m, Update)]

    def close(self) -> None:
        self.runner.stop()
        self.thread.join(10)


@pytest.fixture
def harness():
    made: list[Harness] = []

    def make(**kwargs) -> Harness:
        made.append(Harness(**kwargs))
        return made[-1]

    yield make
    for h in made:
        h.close()


def flat(update: Update) -> np.ndarray:
    snap = update.snapshot
    return np.concatenate([w.ravel() for w in snap.W] + [b.ravel() for b in snap.b])


def test_forked_runs_trained_together_match_the_original_bit_for_bit(harness):
    h = harness(running=False, stop=StopRule(max_epochs=12))
    same = h.fork({"optimizer": "adam"}, 1)
    other = h.fork({"optimizer": "sgd", "batch_size": 4}, 2)
    assert (same.run, other.run, same.error) == (1, 2, None) and same.label == "optimizer=adam"
    h.runner.resume()  # all three take turns until each stops at epoch 12
    h.wait(lambda u: not u.running and all(r.stats.epoch == 12 for r in u.runs))
    h.runner.select(0)
    first = h.wait(lambda u: u.run == 0 and u.snapshot.epoch == 12)
    h.runner.select(1)
    fork = h.wait(lambda u: u.run == 1 and u.snapshot.epoch == 12)
    alone = build_session(merge(SETTINGS)).trainer
    for _ in range(12):
        alone.step_epoch()
    assert np.array_equal(flat(first), alone.net.params)
    assert np.array_equal(flat(fork), alone.net.params)


@pytest.mark.parametrize("batch_sizes", [(10, 10, 10), (1, 10, 125)])
def test_running_runs_take_fair_turns(harness, batch_sizes):
    """Turns go an epoch at a time: whenever an update is sent, the runs still training are within
    one epoch of one another, however long their epochs take."""
    h = harness(running=False, stop=StopRule(max_epochs=30))
    h.runner.set_lr(0.03)
    for request, size in enumerate(batch_sizes[1:], 1):
        assert h.fork({"batch_size": size}, request).error is None
    h.runner.set_publish_interval(0.0)  # an update at the end of every round
    h.runner.resume()
    h.wait(lambda u: not u.running and len(u.runs) == 3 and all(r.stats.epoch == 30 for r in u.runs))
    seen = [[r.stats.epoch for r in u.runs] for u in h.updates() if len(u.runs) == 3]
    assert len(seen) > 10
    assert all(max(epochs) - min(epochs) <= 1 for epochs in seen), seen


def test_a_stopped_run_takes_no_turns_and_the_others_go_on(harness):
    h = harness(running=False, stop=StopRule(max_epochs=40), settings=dict(dataset="plane", optimizer="sgd"))
    assert h.fork({"lr": 10}, 1).error is None  # diverges within a few epochs
    h.runner.resume()
    done = h.wait(lambda u: not u.running and u.runs[0].stats.epoch == 40)
    diverged = done.runs[1]
    assert diverged.diverged and not diverged.trains and diverged.stats.epoch < 40


def test_select_close_and_the_limit_of_runs(harness):
    h = harness()
    for request in range(1, MAX_RUNS):
        assert h.fork({"lr": 0.1 * request}, request).run == request
    too_many = h.fork({"lr": 0.5}, 99)
    assert too_many.run is None and str(MAX_RUNS) in too_many.error
    h.runner.select(2)
    selected = h.wait(lambda u: u.run == 2)
    assert selected.snapshot.lr == pytest.approx(0.2) and [r.run for r in selected.runs] == [0, 1, 2, 3]
    assert [r.settings.lr for r in selected.runs] == pytest.approx([0.03, 0.1, 0.2, 0.3])
    h.runner.close_run(2)  # the selected run: the first left is selected
    closed = h.wait(lambda u: [r.run for r in u.runs] == [0, 1, 3])
    assert closed.run == 0
    assert h.fork({"lr": 0.5}, 100).run == 4  # ids are never reused
    for run in (0, 1, 3):
        h.runner.close_run(run)
    h.runner.close_run(4)  # the last run is never closed
    h.runner.select(17)  # a run that is not there: nothing changes
    h.runner.step_epoch()
    last = h.wait(lambda u: u.snapshot.epoch == 1)
    assert last.run == 4 and [r.run for r in last.runs] == [4]


def test_a_new_trainer_replaces_every_run(harness):
    h = harness()
    assert h.fork({"optimizer": "sgd"}, 1).run == 1
    h.runner.select(1)
    h.wait(lambda u: u.run == 1)
    session = build_session(merge(SETTINGS, {"optimizer": "momentum"}))
    h.runner.replace(session.trainer, settings=session.settings)
    replaced = h.wait(lambda u: u.generation == 1)
    assert replaced.run == 0 and [(r.run, r.settings.optimizer) for r in replaced.runs] == [(0, "momentum")]
    assert h.fork({"lr": 0.1}, 2).run == 2  # a fork of the new run 0: ids are never used twice


def test_a_refused_fork_says_why_in_one_line(harness):
    h = harness()
    reply = h.fork({"layers": "3"}, 1)
    assert reply.run is None and reply.error.startswith("--layers cannot differ") and "\n" not in reply.error
    assert h.fork({"optimizer": "rmsprop"}, 2).error.startswith("--optimizer:")


def test_a_run_without_settings_cannot_be_forked():
    got: list[object] = []
    runner = Runner(build_session(merge(SETTINGS)).trainer, got.append, running=False)
    runner.fork(1, {"lr": 0.1})
    runner._commands.popleft()()
    assert [m.error for m in got if isinstance(m, ForkReply)] == ["this run's settings are not known, so it cannot be forked"]


def test_the_training_process_keeps_a_log_per_run_and_log_follows_the_selection():
    session = build_session(merge(SETTINGS))
    replies: list[object] = []
    live = LiveTraining(session.trainer, StopRule(max_epochs=5), running=False, settings=session.settings,
                        on_message=replies.append)
    try:
        request = live.fork({"optimizer": "sgd"})
        live.step_epoch()
        live.step_epoch()
        live.select(1)
        deadline = threading.Event()
        for _ in range(600):
            update = live.take()
            if update is not None and update.run == 1 and update.snapshot.epoch == 2:
                break
            deadline.wait(0.05)
        else:
            raise AssertionError("no update of run 1 at epoch 2")
        assert [r for r in replies if isinstance(r, ForkReply)] == [ForkReply(request, 1, "optimizer=sgd")]
        assert sorted(live.logs) == [0, 1] and live.selected == 1 and live.log is live.logs[1]
        assert [s.epoch for s in live.logs[0].iter_stats()] == [0, 1, 2] == [s.epoch for s in live.log.iter_stats()]
        assert live.logs[0].last().train_loss != live.logs[1].last().train_loss  # adam and sgd part ways
    finally:
        live.close()


# ------------------------------------------------------------------ headless --compare
def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_headless_compare_json_tags_every_epoch_and_sums_up_every_run(capsys):
    code, out, err = run(capsys, "--headless", "--json", "--epochs", "4", "--dataset", "xor",
                         "--compare", "optimizer=sgd,momentum,adam")
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    labels = ["optimizer=sgd", "optimizer=momentum", "optimizer=adam"]
    epochs = [e for e in events if e["event"] == "epoch"]
    assert all(set(e) == {"event", "run", "epoch", "train_loss", "test_loss", "train_acc", "test_acc", "lr"}
               for e in epochs)
    for label in labels:
        assert [e["epoch"] for e in epochs if e["run"] == label] == [0, 1, 2, 3, 4]
    assert len({e["train_loss"] for e in epochs if e["epoch"] == 0}) == 1  # the same initial weights
    summary, done = events[-2], events[-1]
    assert summary["event"] == "summary" and done["event"] == "done" and done["epochs"] == 12
    assert [r["run"] for r in summary["runs"]] == labels
    for figures in summary["runs"]:
        assert figures["epochs"] == 4 and figures["epochs_per_second"] > 0 and not figures["diverged"]
        last = [e for e in epochs if e["run"] == figures["run"]][-1]
        assert (figures["train_loss"], figures["test_acc"]) == (last["train_loss"], last["test_acc"])


def test_headless_compare_text_labels_lines_and_ends_with_a_table(capsys):
    code, out, err = run(capsys, "--headless", "--epochs", "2", "--compare", "lr=0.03,0.3")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("[lr=0.03] epoch     0") and lines[1].startswith("[lr=0.3] epoch     0")
    header = next(i for i, line in enumerate(lines) if line.startswith("run "))
    assert "train loss" in lines[header] and "epochs/s" in lines[header]
    assert [line.split()[0] for line in lines[header + 1 : header + 3]] == ["lr=0.03", "lr=0.3"]
    assert lines[-1].startswith("done: 4 epochs (2 runs)")


def test_a_compared_run_that_diverges_is_summed_up_and_exits_3(capsys):
    code, out, _ = run(capsys, "--headless", "--json", "--epochs", "60", "--dataset", "plane",
                       "--compare", "lr=0.03,10")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 3
    assert [e["run"] for e in events if e["event"] == "diverged"] == ["lr=10"]
    summary = next(e for e in events if e["event"] == "summary")
    assert [(r["run"], r["diverged"], r["epochs"]) for r in summary["runs"]][0] == ("lr=0.03", False, 60)
    assert summary["runs"][1]["diverged"] and summary["runs"][1]["epochs"] < 60


@pytest.mark.parametrize("args, says", [
    (["--compare", "layers=4,8"], "--layers cannot differ between compared runs"),
    (["--compare", "optimizer=sgd,rmsprop"], "--compare: --optimizer: 'rmsprop' is not one of"),
    (["--compare", "lr=0.1"], "give 2 to 4 values"),
    (["--compare", "lr=1,2,3,4,5"], "give 2 to 4 values"),
    (["--compare", "lr=0.1,0.10"], "the same run"),
    (["--compare", "speed=1,2"], "not a training setting"),
    (["--compare", "nonsense"], "expected NAME=V1,V2"),
    (["--compare", "lr=0.1,0.3", "--save", "m.npz"], "--save: not with --compare"),
])
def test_bad_compare_values_give_one_line_and_exit_2(capsys, args, says):
    code, out, err = run(capsys, "--headless", "--epochs", "1", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err, err


def test_compare_metrics_file_has_a_run_column(capsys, tmp_path):
    path = tmp_path / "m.csv"
    code, _, err = run(capsys, "--headless", "--epochs", "2", "--metrics", str(path), "--compare", "optimizer=sgd,adam")
    assert code == 0, err
    rows = path.read_text().splitlines()
    assert rows[0].startswith("run,epoch,train_loss")
    assert [r.split(",")[:2] for r in rows[1:]] == [
        [f"optimizer={o}", str(e)] for e in range(3) for o in ("sgd", "adam")]


def test_a_signal_stops_compared_runs_and_keeps_the_metrics(tmp_path):
    metrics = tmp_path / "m.csv"
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "--headless", "--epochs", "1000000", "--metrics",
                             str(metrics), "--compare", "optimizer=sgd,adam"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):
            if metrics.exists() and len(metrics.read_text().splitlines()) >= 5:
                break
            threading.Event().wait(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
    assert len(err.strip().splitlines()) == 1 and "interrupted by SIGTERM at epoch" in err, err
    assert metrics.read_text().splitlines()[-1].startswith("# interrupted by SIGTERM at epoch")


def test_resuming_restarts_stopped_runs_only_when_none_trains(harness):
    h = harness(running=False, stop=StopRule(max_epochs=2))
    h.runner.step_epoch()
    h.runner.step_epoch()  # run 0 reaches its limit …
    h.wait(lambda u: u.snapshot.epoch == 2 and u.stopped)
    assert h.fork({"optimizer": "sgd"}, 1).run == 1  # … a fork starts at epoch 0 under the same rule
    h.runner.resume()
    h.runner.pause()
    h.runner.resume()  # run 1 still trains: run 0 stays stopped
    both = h.wait(lambda u: not u.running and len(u.runs) == 2 and u.runs[1].stats.epoch == 2)
    assert both.runs[0].stats.epoch == 2 and both.runs[0].stopped
    h.runner.resume()  # none trains: the rules are off, both go on
    h.wait(lambda u: len(u.runs) == 2 and all(r.stats.epoch >= 4 and r.trains for r in u.runs))
