"""The training driver: pausing and stepping never change the numbers, whether the runner
trains on a thread of this process or in the training process the TUI starts."""

from __future__ import annotations


import numpy as np
import pytest

from nntui.engine import EpochStats, Trainer
from nntui.live.process import LiveTraining
from nntui.live.protocol import EpochView, TraceReply, Update
from nntui.live.stop import StopRule
from nntui.session import build_session
from nntui.settings import merge
from tests.live.helpers import InThread, Inbox

SETTINGS = dict(dataset="spiral", layers="8,8", optimizer="adam", seed=7)


class InProcess:
    """The training process, as the TUI runs it."""

    def __init__(self, trainer: Trainer, running: bool, stop: StopRule | None) -> None:
        self.inbox = Inbox()
        self.live = LiveTraining(trainer, stop, running=running, on_update=self._take, on_message=self.inbox.put)
        self.log = self.live.log

    def _take(self) -> None:
        update = self.live.take()
        if update is not None:
            self.inbox.put(update)

    def send(self, name: str, *args) -> None:
        self.live.send(name, *args)

    def close(self) -> None:
        self.live.close()
        assert not self.live.alive


@pytest.fixture(params=[InThread, InProcess], ids=["thread", "process"])
def start(request):
    """Start a runner on a fresh trainer of SETTINGS: start(running=False, stop=None)."""
    started = []

    def make(running: bool = False, stop: StopRule | None = None):
        harness = request.param(build_session(merge(SETTINGS)).trainer, running, stop)
        started.append(harness)
        return harness

    yield make
    for harness in started:
        harness.close()


def trained_straight(epochs: int) -> tuple[Trainer, list[EpochStats]]:
    """A fresh trainer of SETTINGS after ``epochs`` epochs played straight through, and its log."""
    trainer = build_session(merge(SETTINGS)).trainer
    log = [trainer.stats] + [trainer.step_epoch() for _ in range(epochs)]
    return trainer, log


def params_of(update: Update) -> np.ndarray:
    """The flat parameter vector of a snapshot (weights, then biases, as Network.params)."""
    snap = update.snapshot
    return np.concatenate([w.ravel() for w in snap.W] + [b.ravel() for b in snap.b])


def test_100_epochs_straight_equal_100_single_steps(start):
    straight, log = trained_straight(100)
    run = start()
    for i in range(1, 101):
        run.send("step_epoch")
        last = run.inbox.wait(lambda u, i=i: u.snapshot.epoch == i)
    assert np.array_equal(straight.net.params, params_of(last))
    assert [s.train_loss for s in log] == [s.train_loss for s in run.log.iter_stats()]


def test_running_with_pauses_and_batch_steps_equals_straight_training(start):
    straight, _ = trained_straight(30)
    run = start(stop=StopRule(max_epochs=30))
    for _ in range(7):  # a few single mini-batches …
        run.send("step_batch")
    run.inbox.wait(lambda u: u.snapshot.steps == 7)
    run.send("resume")  # … then run, pause, and run on to the epoch limit
    run.send("pause")
    run.send("resume")
    final = run.inbox.wait(lambda u: u.snapshot.epoch == 30 and not u.running)
    assert final.stopped == "reached 30 epochs"
    assert np.array_equal(params_of(final), straight.net.params)


def test_phase_steps_equal_a_batch_step_and_send_their_traces(start):
    run = start()
    for request in range(1, 20):
        run.send("phase", request)
    trace = run.inbox.wait(lambda r: r.request == 19, kind=TraceReply).trace
    assert trace.phase  # a phase name, e.g. "update"
    run.send("step_batch")  # finishes the mini-batch under way, if any
    stepped = run.inbox.wait(lambda u: not u.running and u.snapshot.steps >= 1 and u.batch_in_epoch >= 1)
    straight = build_session(merge(SETTINGS)).trainer
    for _ in range(stepped.snapshot.steps):
        straight.step_batch()
    assert np.array_equal(params_of(stepped), straight.net.params)


def test_learning_rate_change_keeps_the_weights_and_epoch(start):
    run = start()
    run.send("step_epoch")
    before = run.inbox.wait(lambda u: u.snapshot.epoch == 1)
    run.send("set_lr", 0.3)
    after = run.inbox.wait(lambda u: u.snapshot.lr == 0.3)
    assert after.snapshot.epoch == 1
    assert all(np.array_equal(a, b) for a, b in zip(before.snapshot.W, after.snapshot.W))


def test_the_ladder_steps_from_the_trainers_rate_and_a_rewind_restores_it(start):
    """+ / - step from the rate the trainer has when the command arrives, so two presses in a row
    are two steps, and after a rewind past a change they step from the rate restored."""
    run = start()  # lr 0.03
    run.send("step_epoch")
    run.inbox.wait(lambda u: u.snapshot.epoch == 1)
    run.send("change_lr", 1)
    run.send("change_lr", 1)
    run.inbox.wait(lambda u: u.snapshot.base_lr == 0.3)  # 0.03 → 0.1 → 0.3
    run.send("step_epoch")
    run.inbox.wait(lambda u: u.snapshot.epoch == 2)
    run.send("rewind", 1, None)  # epoch 1 was recorded before the change
    rewound = run.inbox.wait(lambda u: u.generation == 1)
    assert rewound.snapshot.base_lr == rewound.snapshot.lr == 0.03
    run.send("change_lr", -1)
    assert run.inbox.wait(lambda u: u.generation == 1 and u.snapshot.base_lr != 0.03).snapshot.base_lr == 0.01


def test_a_replaced_trainer_may_keep_the_running_rate(start):
    """A reset built while a change of rate was on its way still trains at the changed rate."""
    run = start()
    run.send("change_lr", -1)  # 0.03 → 0.01
    reset = build_session(merge(SETTINGS)).trainer  # built at 0.03, as the TUI may before it hears of it
    run.send("replace", reset, None, None, None, True)
    replaced = run.inbox.wait(lambda u: u.generation == 1)
    assert replaced.snapshot.base_lr == replaced.snapshot.lr == 0.01
    assert run.log.last().lr == 0.01  # epoch 0's figures say so too


def test_snapshots_are_read_only_copies(start):
    run = start()
    first = run.inbox.wait(lambda u: True)
    run.send("step_epoch")
    second = run.inbox.wait(lambda u: u.snapshot.epoch == 1)
    assert not first.snapshot.W[0].flags.writeable
    assert not np.array_equal(first.snapshot.W[0], second.snapshot.W[0])


def test_updates_carry_only_the_new_epochs(start):
    run = start(running=True, stop=StopRule(max_epochs=200))
    run.inbox.wait(lambda u: u.snapshot.epoch == 200 and not u.running)
    updates = [m for m in run.inbox.messages if isinstance(m, Update)]
    epochs = np.concatenate([u.epochs[:, 0] for u in updates])
    assert list(epochs) == list(range(201))  # each epoch sent once, in order
    assert len(run.log) == 201 and run.log.last().epoch == 200


def test_rewind_and_resume_equals_a_fresh_run(start):
    fresh, log = trained_straight(10)
    run = start()
    for _ in range(7):
        run.send("step_epoch")
    run.inbox.wait(lambda u: u.snapshot.epoch == 7)
    run.send("view", 1, 7, -3)  # what the TUI shows: epoch 4's weights and figures …
    view = run.inbox.wait(lambda v: v.request == 1, kind=EpochView)
    assert view.epoch == 4 and view.stats == log[4]
    run.send("rewind", 4, None)  # … and continue from there
    run.inbox.wait(lambda u: u.generation == 1 and u.snapshot.epoch == 4)
    for i in range(5, 11):  # … on to 10
        run.send("step_epoch")
        last = run.inbox.wait(lambda u, i=i: u.generation == 1 and u.snapshot.epoch == i)
    assert np.array_equal(fresh.net.params, params_of(last))
    assert [s.test_loss for s in log] == [s.test_loss for s in run.log.iter_stats()]


def test_stop_ends_the_runner_within_a_batch(start):
    run = start(running=True)
    run.inbox.wait(lambda u: u.snapshot.epoch >= 2)
    run.close()  # asserts that it ended
