"""Learning-rate schedules and stop conditions.

A schedule turns the learning rate the user set (the base rate) into the rate used in each
epoch; the trainer asks it at the start of every epoch.  A stop rule looks at the per-epoch
figures so far and says whether, and why, training should stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # the trainer imports this module
    from nntui.engine.trainer import EpochStats

SCHEDULES = ("none", "step", "exponential", "cosine")


@dataclass(frozen=True)
class Schedule:
    """The learning rate as a function of the epoch (0 is the first epoch trained)."""

    name: str = "none"
    gamma: float = 0.5  # step: factor every step_size epochs; exponential: factor every epoch
    step_size: int = 100  # step: epochs between two multiplications by gamma
    period: int = 100  # cosine: epochs from the base rate down to 0

    def rate(self, epoch: int, base_lr: float) -> float:
        """The learning rate for the given epoch when the user set base_lr."""
        if self.name == "step":
            return base_lr * self.gamma ** (epoch // self.step_size)
        if self.name == "exponential":
            return base_lr * self.gamma**epoch
        if self.name == "cosine":
            return base_lr * 0.5 * (1.0 + math.cos(math.pi * min(epoch, self.period) / self.period))
        return base_lr


def make_schedule(name: str, gamma: float = 0.5, step_size: int = 100, period: int = 100) -> Schedule:
    """A schedule by name: none, step, exponential or cosine."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule '{name}' (choose from {', '.join(SCHEDULES)})")
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"the schedule's gamma must be greater than 0 and at most 1, got {gamma:g}")
    if step_size < 1 or period < 1:
        raise ValueError("the schedule's step size and period must be at least 1 epoch")
    return Schedule(name, float(gamma), int(step_size), int(period))


@dataclass(frozen=True)
class StopRule:
    """When to stop: after max_epochs, at a target train loss, or when the loss stops improving."""

    max_epochs: int | None = None
    target_loss: float | None = None  # stop once the train loss is at most this
    patience: int | None = None  # stop after this many epochs without a new best loss
    min_delta: float = 0.0  # a new best must beat the old one by more than this
    # The early stop's scan so far, [epochs scanned, the last one, watched, best, its epoch], so
    # that a check after every epoch reads only the new epochs: a cache, not part of the rule.
    _scan: list = field(default_factory=list, compare=False, repr=False)

    def check(self, history: Sequence[EpochStats]) -> str | None:
        """Why training should stop after the last epoch of history, or None to go on."""
        last = history[-1]
        if self.max_epochs is not None and last.epoch >= self.max_epochs:
            return f"reached {self.max_epochs} epoch{'' if self.max_epochs == 1 else 's'}"
        if self.target_loss is not None and last.train_loss <= self.target_loss:
            return f"train loss {last.train_loss:.4g} ≤ target {self.target_loss:g} at epoch {last.epoch}"
        if self.patience is not None:
            return self._early_stop(history, self.patience)
        return None

    def _early_stop(self, history: Sequence[EpochStats], patience: int) -> str | None:
        """The early-stop reason if the watched loss has not improved for ``patience`` epochs."""
        watched = "train" if history[-1].test_loss is None else "test"
        start, best, best_epoch = 0, math.inf, history[0].epoch
        if self._scan:  # go on from the last scan if the history still starts with what it scanned
            n, last, was_watched, was_best, was_best_epoch = self._scan
            if was_watched == watched and n <= len(history) and history[n - 1] is last:
                start, best, best_epoch = n, was_best, was_best_epoch
        for stats in history[start:]:
            loss = stats.train_loss if watched == "train" else stats.test_loss
            if loss is not None and loss < best - self.min_delta:
                best, best_epoch = loss, stats.epoch
        self._scan[:] = [len(history), history[-1], watched, best, best_epoch]
        waited = history[-1].epoch - best_epoch
        if waited < patience:
            return None
        return (
            f"early stop: {watched} loss has not improved for {waited} epochs "
            f"(best {best:.4g} at epoch {best_epoch})"
        )
