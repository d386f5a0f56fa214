"""Checkpoints for rewinding through training, in a memory budget.

Every epoch of the most recent ``recent`` epochs is kept.  Older ones are kept only at
multiples of a stride (and epoch 0); whenever more than ``older`` of them pile up the stride
doubles (1, 2, 4, 8, … epochs) and the others are dropped.  So at most ``recent + older``
checkpoints are ever held, spread evenly over the whole run.  The two counts come from a byte
budget and the size of the first checkpoint recorded (all of a run's checkpoints are the same
size: a new trainer gets a new History).
"""

from __future__ import annotations

import bisect
import threading

from nntui.engine.trainer import Checkpoint

DEFAULT_BUDGET = 256 * 2**20  # bytes
MIN_CHECKPOINTS = 8  # kept whatever the budget
MAX_CHECKPOINTS = 2000  # kept at most: more gives finer rewinding than anyone steps through
OVERHEAD_BYTES = 2048  # a checkpoint's Python objects (array headers, dicts, generator state)


def checkpoint_nbytes(cp: Checkpoint) -> int:
    """The bytes of a checkpoint's arrays: parameters, optimizer state and sample order."""
    total = cp.params.nbytes + (0 if cp.order is None else cp.order.nbytes)
    return total + sum(v.nbytes for v in cp.optimizer.values() if hasattr(v, "nbytes"))


def counts_for_budget(budget_bytes: int, per_checkpoint: int) -> tuple[int, int]:
    """The (recent, older) counts whose checkpoints fit in the budget."""
    total = max(MIN_CHECKPOINTS, min(MAX_CHECKPOINTS, budget_bytes // (per_checkpoint + OVERHEAD_BYTES)))
    return total // 2, total - total // 2


class History:
    """Epoch checkpoints of one run: record while training, look up to rewind.

    ``recent`` and ``older`` are set from ``budget_bytes`` by the first ``record``, unless given.
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET, *, recent: int | None = None, older: int | None = None):
        if (recent is None) != (older is None) or (recent is not None and min(recent, older) < 1):
            raise ValueError("give both recent and older, each at least 1, or neither")
        self.budget_bytes = budget_bytes
        self.recent, self.older = recent, older
        self._epochs: list[int] = []
        self._checkpoints: list[Checkpoint] = []
        self.stride = 1  # spacing of the kept checkpoints older than the recent window
        self._lock = threading.Lock()  # recorded by the training thread, read by the UI

    def __len__(self) -> int:
        return len(self._epochs)

    def record(self, cp: Checkpoint) -> None:
        """Keep a checkpoint taken at the end of epoch ``cp.epoch`` (replacing any later ones)."""
        with self._lock:
            if self.recent is None:
                self.recent, self.older = counts_for_budget(self.budget_bytes, checkpoint_nbytes(cp))
            cut = bisect.bisect_left(self._epochs, cp.epoch)
            del self._epochs[cut:], self._checkpoints[cut:]
            self._epochs.append(cp.epoch)
            self._checkpoints.append(cp)
            self._thin()

    def _thin(self) -> None:
        """Drop the checkpoint that just left the recent window unless it is on the stride;
        while more than ``older`` are left before the window, double the stride."""
        first_recent = self._epochs[-1] - self.recent + 1
        boundary = bisect.bisect_left(self._epochs, first_recent)
        if boundary > 0 and not self._on_stride(self._epochs[boundary - 1]):
            del self._epochs[boundary - 1], self._checkpoints[boundary - 1]
            boundary -= 1
        while boundary > self.older:
            self.stride *= 2
            keep = [i for i in range(boundary) if self._on_stride(self._epochs[i])]
            keep += range(boundary, len(self._epochs))
            self._epochs = [self._epochs[i] for i in keep]
            self._checkpoints = [self._checkpoints[i] for i in keep]
            boundary = bisect.bisect_left(self._epochs, first_recent)

    def _on_stride(self, epoch: int) -> bool:
        return epoch % self.stride == 0

    def epochs(self) -> list[int]:
        """The epochs that can be rewound to, oldest first."""
        with self._lock:
            return list(self._epochs)

    def get(self, epoch: int) -> Checkpoint | None:
        """The checkpoint of exactly this epoch, or None."""
        with self._lock:
            i = bisect.bisect_left(self._epochs, epoch)
            return self._checkpoints[i] if i < len(self._epochs) and self._epochs[i] == epoch else None

    def step(self, epoch: int, delta: int) -> int | None:
        """The stored epoch ``delta`` places before (delta < 0) or after (delta > 0) ``epoch``,
        clamped to the oldest and newest; None when nothing is stored."""
        with self._lock:
            if not self._epochs:
                return None
            if delta < 0:  # the newest stored epoch before ``epoch`` is one place back
                i = bisect.bisect_left(self._epochs, epoch) + delta
            else:  # the oldest stored epoch after ``epoch`` is one place forward
                i = bisect.bisect_right(self._epochs, epoch) + delta - 1
            return self._epochs[max(0, min(len(self._epochs) - 1, i))]

    def drop_after(self, epoch: int) -> None:
        """Forget the checkpoints after ``epoch`` (training resumed from there)."""
        with self._lock:
            cut = bisect.bisect_right(self._epochs, epoch)
            del self._epochs[cut:], self._checkpoints[cut:]

    def nbytes(self) -> int:
        """Approximate memory held by the arrays of all checkpoints."""
        with self._lock:
            return sum(map(checkpoint_nbytes, self._checkpoints))
