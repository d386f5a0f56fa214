"""Learning-rate schedules, the trainer's use of them, and stop rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nntui.engine import EpochStats, Schedule, make_schedule
from nntui.live.stop import StopRule
from nntui.session import build_session, schedule_for, stop_rule
from nntui.settings import merge

SMALL = {"dataset": "xor", "samples": 60, "layers": "3", "batch_size": 10, "lr": 0.1}


def trainer_for(**options):
    return build_session(merge({**SMALL, **options})).trainer


def stats(epoch: int, train_loss: float, test_loss: float | None = None) -> EpochStats:
    return EpochStats(epoch, train_loss, test_loss, None, None, 0.0, (), 0.1)


# ---------------------------------------------------------------------------- schedules
def test_none_is_constant():
    s = make_schedule("none")
    assert [s.rate(e, 0.03) for e in (0, 1, 50, 1000)] == [0.03] * 4


def test_step_halves_every_step_size_epochs():
    s = make_schedule("step", gamma=0.5, step_size=100)
    assert s.rate(0, 0.1) == 0.1 and s.rate(99, 0.1) == 0.1
    assert s.rate(100, 0.1) == 0.05 and s.rate(199, 0.1) == 0.05
    assert s.rate(200, 0.1) == 0.025


def test_exponential():
    s = make_schedule("exponential", gamma=0.9)
    assert s.rate(0, 0.1) == 0.1
    assert s.rate(1, 0.1) == pytest.approx(0.09)
    assert s.rate(10, 0.1) == pytest.approx(0.1 * 0.9**10)


def test_cosine_goes_from_base_to_zero_then_stays():
    s = make_schedule("cosine", period=50)
    rates = [s.rate(e, 0.2) for e in range(80)]
    assert rates[0] == 0.2
    assert rates[25] == pytest.approx(0.1)
    assert rates[50] == pytest.approx(0.0, abs=1e-15)
    assert all(a >= b for a, b in zip(rates, rates[1:]))  # never goes up
    assert rates[50:] == [rates[50]] * 30  # stays at the floor


def test_make_schedule_rejects_bad_values():
    for name, kw in [("foo", {}), ("step", {"gamma": 0.0}), ("step", {"gamma": 1.5}), ("step", {"step_size": 0})]:
        with pytest.raises(ValueError):
            make_schedule(name, **kw)


def test_cosine_period_comes_from_the_option_else_epochs_else_100():
    assert schedule_for(merge({"schedule": "cosine"})).period == 100
    assert schedule_for(merge({"schedule": "cosine", "epochs": 30})).period == 30
    assert schedule_for(merge({"schedule": "cosine", "epochs": 30, "schedule_period": 7})).period == 7
    assert schedule_for(merge({})) is None


# ---------------------------------------------------------------------------- trainer
def test_trainer_records_each_epochs_rate():
    trainer = trainer_for(schedule="step", schedule_step=2, schedule_gamma=0.5)
    log = [trainer.stats] + [trainer.step_epoch() for _ in range(5)]
    # Epoch k's stats carry the rate used to train it: rate(k - 1); epoch 0 shows rate(0).
    assert [s.lr for s in log] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025]
    assert trainer.base_lr == 0.1


def test_manual_lr_change_rescales_the_schedule():
    trainer = trainer_for(schedule="step", schedule_step=2, schedule_gamma=0.5)
    for _ in range(3):
        trainer.step_epoch()
    trainer.lr = 0.4  # what the TUI's +/- keys do: a new base rate
    assert trainer.base_lr == 0.4 and trainer.lr == 0.2  # epoch 3 is in the second step
    assert [trainer.step_epoch().lr for _ in range(2)] == [0.2, 0.1]


def test_restore_brings_back_the_base_rate_and_the_same_numbers():
    trainer = trainer_for(schedule="exponential", schedule_gamma=0.9)
    trainer.step_epoch()
    cp = trainer.checkpoint()
    assert cp.base_lr == 0.1
    trainer.step_epoch()
    expected = trainer.net.params.copy()
    trainer.lr = 1.0
    trainer.step_epoch()
    trainer.restore(cp)
    assert trainer.base_lr == 0.1 and trainer.lr == cp.lr
    trainer.step_epoch()
    np.testing.assert_array_equal(trainer.net.params, expected)
    assert trainer.stats.lr == pytest.approx(0.09)


def test_without_a_schedule_the_numbers_are_unchanged():
    plain = trainer_for()
    none = trainer_for(schedule="none")
    assert plain.schedule is None and none.schedule is None
    # A trainer given the constant schedule explicitly trains bit for bit the same.
    explicit = trainer_for()
    explicit.schedule = Schedule("none")
    logs = [[t.stats] + [t.step_epoch() for _ in range(3)] for t in (plain, none, explicit)]
    np.testing.assert_array_equal(plain.net.params, none.net.params)
    np.testing.assert_array_equal(plain.net.params, explicit.net.params)
    assert logs[0] == logs[1] == logs[2]
    assert [s.lr for s in logs[0]] == [0.1] * 4


def test_set_lr_without_a_schedule_is_exact():
    trainer = trainer_for()
    trainer.lr = 0.01
    assert trainer.lr == trainer.base_lr == 0.01


# ---------------------------------------------------------------------------- stop rules
def test_no_rule_never_stops():
    assert feed(StopRule(None, None, None), [stats(0, 1.0), stats(1, 1.0)]) is None


def feed(rule: StopRule, history: list[EpochStats]) -> str | None:
    """Check every epoch of history in turn, as training does; the last answer."""
    return [rule.check(s) for s in history][-1]


def test_max_epochs():
    rule = StopRule(max_epochs=300, target_loss=None, patience=None)
    assert rule.check(stats(299, 0.5)) is None
    assert rule.check(stats(300, 0.5)) == "reached 300 epochs"


def test_target_loss():
    rule = StopRule(max_epochs=None, target_loss=0.01, patience=None)
    assert rule.check(stats(56, 0.0101)) is None
    assert rule.check(stats(57, 0.0098)) == "train loss 0.0098 ≤ target 0.01 at epoch 57"


def test_patience_watches_the_test_loss():
    rule = StopRule(max_epochs=None, target_loss=None, patience=20)
    history = [stats(e, 1.0 / (e + 1), test_loss=1.0 - e / 100) for e in range(81)]  # best test loss at 80
    history += [stats(e, 0.001, test_loss=0.5) for e in range(81, 100)]  # train loss improves, test does not
    best = history[80].test_loss
    assert all(rule.check(s) is None for s in history)
    reason = rule.check(stats(100, 0.001, test_loss=0.5))
    assert reason == f"early stop: test loss has not improved for 20 epochs (best {best:.4g} at epoch 80)"


def test_patience_uses_the_train_loss_without_a_test_set_and_min_delta():
    history = [stats(0, 1.0), stats(1, 0.5), stats(2, 0.49), stats(3, 0.495)]
    assert feed(StopRule(None, None, patience=2), history) is None  # 0.49 at epoch 2 is the best
    reason = feed(StopRule(None, None, patience=2, min_delta=0.05), history)
    assert reason == "early stop: train loss has not improved for 2 epochs (best 0.5 at epoch 1)"


def test_restart_scans_afresh_from_the_epoch_rewound_to():
    rule = StopRule(None, None, patience=3)
    feed(rule, [stats(0, 1.0), stats(1, 0.1), stats(2, 0.5), stats(3, 0.5)])
    rule.restart(stats(2, 0.5))  # rewound to epoch 2: the best of the dropped future is forgotten
    assert rule.check(stats(3, 0.6)) is None and rule.check(stats(4, 0.6)) is None
    assert rule.check(stats(5, 0.6)) == "early stop: train loss has not improved for 3 epochs (best 0.5 at epoch 2)"


def test_stop_rule_from_settings():
    assert stop_rule(merge({})) == StopRule(None, None, None)
    assert stop_rule(merge({}), default_epochs=100) == StopRule(100, None, None)
    rule = stop_rule(merge({"epochs": 5, "target_loss": 0.1, "patience": 3}), default_epochs=100)
    assert rule == StopRule(5, 0.1, 3)
    assert math.isclose(rule.min_delta, 0.0)
