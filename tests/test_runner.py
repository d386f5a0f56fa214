"""The training thread's driver: pausing and stepping never change the numbers."""

from __future__ import annotations

import threading

import numpy as np

from nntui.engine import StopRule, Trainer
from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.runner import Runner, Update


class Inbox:
    """Collects published updates and lets a test wait for one that matches."""

    def __init__(self) -> None:
        self.updates: list[Update] = []
        self.cond = threading.Condition()

    def publish(self, update: Update) -> None:
        with self.cond:
            self.updates.append(update)
            self.cond.notify_all()

    def wait(self, predicate, timeout: float = 30.0) -> Update:
        with self.cond:
            ok = self.cond.wait_for(lambda: any(predicate(u) for u in self.updates), timeout)
            assert ok, "no matching update"
            return next(u for u in self.updates if predicate(u))


def start(runner: Runner) -> threading.Thread:
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    return thread


SETTINGS = dict(dataset="spiral", layers="8,8", optimizer="adam", seed=7)


def trained_straight(epochs: int) -> Trainer:
    """A fresh trainer of SETTINGS after ``epochs`` epochs played straight through (the reference)."""
    trainer = build_session(merge(SETTINGS)).trainer
    for _ in range(epochs):
        trainer.step_epoch()
    return trainer


def start_runner(running: bool = False, stop: StopRule | None = None) -> tuple[Runner, Inbox, threading.Thread]:
    """A Runner on a fresh trainer of SETTINGS, its thread started, publishing into an Inbox."""
    inbox = Inbox()
    runner = Runner(build_session(merge(SETTINGS)).trainer, inbox.publish, running=running, stop=stop)
    return runner, inbox, start(runner)


def test_100_epochs_straight_equal_100_single_steps():
    straight = trained_straight(100)
    runner, inbox, thread = start_runner()
    for i in range(1, 101):
        runner.step_epoch()
        inbox.wait(lambda u, i=i: u.snapshot.epoch == i)
    runner.stop()
    thread.join(10)
    stepped = runner.trainer
    assert np.array_equal(straight.net.params, stepped.net.params)
    assert [s.train_loss for s in straight.history] == [s.train_loss for s in stepped.history]


def test_running_with_pauses_and_batch_steps_equals_straight_training():
    straight = trained_straight(30)
    runner, inbox, thread = start_runner(stop=StopRule(max_epochs=30))
    for _ in range(7):  # a few single mini-batches …
        runner.step_batch()
    inbox.wait(lambda u: u.snapshot.steps == 7)
    runner.resume()  # … then run, pause, and run on to the epoch limit
    runner.pause()
    runner.resume()
    final = inbox.wait(lambda u: u.snapshot.epoch == 30 and not u.running)
    runner.stop()
    thread.join(10)
    assert all(np.array_equal(a, b) for a, b in zip(final.snapshot.W, straight.net.W))


def test_learning_rate_change_keeps_the_weights_and_epoch():
    runner, inbox, thread = start_runner()
    runner.step_epoch()
    before = inbox.wait(lambda u: u.snapshot.epoch == 1)
    runner.set_lr(0.3)
    after = inbox.wait(lambda u: u.snapshot.lr == 0.3)
    runner.stop()
    thread.join(10)
    assert after.snapshot.epoch == 1
    assert all(np.array_equal(a, b) for a, b in zip(before.snapshot.W, after.snapshot.W))


def test_snapshots_are_read_only_copies():
    runner, inbox, thread = start_runner()
    first = inbox.wait(lambda u: True)
    runner.step_epoch()
    inbox.wait(lambda u: u.snapshot.epoch == 1)
    runner.stop()
    thread.join(10)
    assert not first.snapshot.W[0].flags.writeable
    assert not np.array_equal(first.snapshot.W[0], runner.trainer.net.W[0])


def test_stop_ends_the_thread_within_a_batch():
    runner, inbox, thread = start_runner(running=True)
    inbox.wait(lambda u: u.snapshot.epoch >= 2)
    runner.stop()
    thread.join(10)
    assert not thread.is_alive() and runner.finished.is_set()


def test_rewind_and_resume_equals_a_fresh_run():
    fresh = trained_straight(10)
    runner, inbox, thread = start_runner()
    for i in range(1, 8):
        runner.step_epoch()
    inbox.wait(lambda u: u.snapshot.epoch == 7)
    runner.rewind(4)  # back to epoch 4 …
    inbox.wait(lambda u: u.generation == 1 and u.snapshot.epoch == 4)
    for i in range(5, 11):  # … and on to 10
        runner.step_epoch()
        inbox.wait(lambda u, i=i: u.generation == 1 and u.snapshot.epoch == i)
    runner.stop()
    thread.join(10)
    assert np.array_equal(fresh.net.params, runner.trainer.net.params)
    assert [s.test_loss for s in fresh.history] == [s.test_loss for s in runner.trainer.history]
