"""When a run should stop: after N epochs, at a target loss, or when the loss stops improving.

A stop rule is fed every epoch's figures as they come (``check``), so it keeps only what it
needs (the best loss so far and its epoch), never the run's whole history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nntui.engine.trainer import EpochStats


@dataclass
class StopRule:
    """When to stop: after max_epochs, at a target train loss, or when the loss stops improving."""

    max_epochs: int | None = None
    target_loss: float | None = None  # stop once the train loss is at most this
    patience: int | None = None  # stop after this many epochs without a new best loss
    min_delta: float = 0.0  # a new best must beat the old one by more than this
    # The early stop's scan so far: (watched loss, best, its epoch); not part of the rule.
    _best: tuple[str, float, int] | None = field(default=None, compare=False, repr=False)

    def check(self, stats: EpochStats) -> str | None:
        """Take the figures of the epoch just finished (epoch 0 first); why to stop now, or None."""
        if self.patience is not None:
            self._track_best(stats)
        if self.max_epochs is not None and stats.epoch >= self.max_epochs:
            return f"reached {self.max_epochs} epoch{'' if self.max_epochs == 1 else 's'}"
        if self.target_loss is not None and stats.train_loss <= self.target_loss:
            return f"train loss {stats.train_loss:.4g} ≤ target {self.target_loss:g} at epoch {stats.epoch}"
        if self.patience is not None:
            return self._early_stop(stats.epoch, self.patience)
        return None

    def restart(self, stats: EpochStats) -> None:
        """Scan afresh from this epoch's figures (the run was rewound to it)."""
        self._best = None
        if self.patience is not None:
            self._track_best(stats)

    def _track_best(self, stats: EpochStats) -> None:
        watched = "train" if stats.test_loss is None else "test"
        loss = stats.train_loss if watched == "train" else stats.test_loss
        if self._best is None or self._best[0] != watched:
            self._best = (watched, math.inf, stats.epoch)
        _, best, _ = self._best
        if loss is not None and loss < best - self.min_delta:
            self._best = (watched, loss, stats.epoch)

    def _early_stop(self, epoch: int, patience: int) -> str | None:
        """The early-stop reason if the watched loss has not improved for ``patience`` epochs."""
        assert self._best is not None
        watched, best, best_epoch = self._best
        waited = epoch - best_epoch
        if waited < patience:
            return None
        return (
            f"early stop: {watched} loss has not improved for {waited} epochs "
            f"(best {best:.4g} at epoch {best_epoch})"
        )
