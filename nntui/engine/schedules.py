"""Learning-rate schedules.

A schedule turns the learning rate the user set (the base rate) into the rate used in each
epoch; the trainer asks it at the start of every epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
