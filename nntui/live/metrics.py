"""The per-epoch figures of a run, kept as compact columns in a bounded amount of memory.

``stats_rows`` packs ``EpochStats`` into rows of floats, which is how they travel from the
training process to the UI (only the epochs finished since the last update, never the whole
run).  ``MetricsLog`` keeps them: a float64 table of at most ``capacity`` rows.  When it fills,
its older three quarters are thinned: each group of four rows keeps the two with the lowest
and highest train loss, in epoch order, so a curve drawn through what is left still reaches
every dip and spike.  The newest rows always stay whole.  ``MetricsWriter`` streams every
epoch to a ``--metrics`` file as it comes.

A row is: epoch, flags, train_loss, test_loss, train_acc, test_acc, penalty, lr, then one
gradient norm per layer.  ``flags`` says which of the optional figures are present (a value
of None is stored as NaN, and a diverged loss is NaN too: the flags tell them apart).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import IO, Iterable, Iterator, Sequence

import numpy as np

from nntui.engine.trainer import EpochStats
from nntui.export import MetricsText

COLUMNS = ("epoch", "flags", "train_loss", "test_loss", "train_acc", "test_acc", "penalty", "lr")
COL = {name: i for i, name in enumerate(COLUMNS)}
N_FIXED = len(COLUMNS)  # the gradient norms follow, one per layer
OPTIONAL = ("test_loss", "train_acc", "test_acc")  # flag bit k: OPTIONAL[k] is not None
DEFAULT_CAPACITY = 2**15  # rows: 32,768 × (8 + layers) floats, about 3 MB for a 4-layer net
FLUSH_SECONDS = 1.0  # a metrics file is flushed at least this often


# ------------------------------------------------------------------ rows
def stats_rows(stats: Sequence[EpochStats]) -> np.ndarray:
    """(n, 8 + layers) float64 rows of these epochs' figures."""
    n_layers = len(stats[0].grad_norms) if stats else 0
    rows = np.empty((len(stats), N_FIXED + n_layers))
    for i, s in enumerate(stats):
        flags = sum(1 << k for k, name in enumerate(OPTIONAL) if getattr(s, name) is not None)
        rows[i, :N_FIXED] = (
            s.epoch, flags, s.train_loss, _nan(s.test_loss), _nan(s.train_acc), _nan(s.test_acc), s.penalty, s.lr,
        )
        rows[i, N_FIXED:] = s.grad_norms
    return rows


def row_stats(row: np.ndarray) -> EpochStats:
    """The EpochStats a row was made from."""
    flags = int(row[COL["flags"]])

    def optional(name: str) -> float | None:
        return float(row[COL[name]]) if flags & (1 << OPTIONAL.index(name)) else None

    return EpochStats(
        epoch=int(row[COL["epoch"]]),
        train_loss=float(row[COL["train_loss"]]),
        test_loss=optional("test_loss"),
        train_acc=optional("train_acc"),
        test_acc=optional("test_acc"),
        penalty=float(row[COL["penalty"]]),
        grad_norms=tuple(float(g) for g in row[N_FIXED:]),
        lr=float(row[COL["lr"]]),
    )


def _nan(v: float | None) -> float:
    return np.nan if v is None else v


# ------------------------------------------------------------------ the log
class MetricsLog:
    """Every epoch's figures so far, thinned when long; safe to extend on one thread and read on another."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        if capacity < 16:
            raise ValueError("a metrics log holds at least 16 rows")
        self.capacity = capacity
        self.version = 0  # bumped by every change, so a reader can tell it has seen this state
        self.thinned = False  # whether any rows were dropped to stay within capacity
        self._rows = np.empty((capacity, N_FIXED))
        self._n = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, stats: Sequence[EpochStats], capacity: int = DEFAULT_CAPACITY) -> MetricsLog:
        """A log holding these epochs."""
        log = cls(capacity)
        log.extend(stats_rows(stats))
        return log

    def __len__(self) -> int:
        return self._n

    def extend(self, rows: np.ndarray) -> None:
        """Append rows (``stats_rows``).  Rows whose first epoch is not after the last one held
        mean the run went back (rewind, a new trainer): what is held from that epoch on goes."""
        if len(rows) == 0:
            return
        with self._lock:
            n = self._n
            if rows.shape[1] != self._rows.shape[1]:  # another network: start afresh
                self._rows, n = np.empty((self.capacity, rows.shape[1])), 0
                self.thinned = False
            elif n and rows[0, 0] <= self._rows[n - 1, 0]:
                n = int(np.searchsorted(self._rows[:n, 0], rows[0, 0]))
                if n == 0:
                    self.thinned = False
            for start in range(0, len(rows), self.capacity // 2):  # in pieces that always fit once thinned
                piece = rows[start : start + self.capacity // 2]
                if n + len(piece) > self.capacity:
                    n = self._thin(n)
                self._rows[n : n + len(piece)] = piece
                n += len(piece)
            self._n = n
            self.version += 1

    def _thin(self, n: int) -> int:
        """Halve the older three quarters of the n rows held (min and max train loss of each
        four); returns the new count."""
        old = (n - n // 4) // 4 * 4  # whole groups of four, from the start
        groups = self._rows[:old].reshape(old // 4, 4, -1)
        loss = groups[:, :, COL["train_loss"]]
        finite = np.isfinite(loss)
        lo = np.where(finite, loss, np.inf).argmin(axis=1)
        hi = np.where(finite, loss, -np.inf).argmax(axis=1)
        hi = np.where(hi == lo, np.where(lo == 3, 0, 3), hi)  # flat (or one finite value): keep two ends
        first, second = np.minimum(lo, hi), np.maximum(lo, hi)
        g = np.arange(len(groups))
        kept = np.stack([groups[g, first], groups[g, second]], axis=1).reshape(old // 2, -1)
        self._rows[: old // 2] = kept
        self._rows[old // 2 : n - old // 2] = self._rows[old:n]
        self.thinned = True
        return n - old // 2

    def table(self) -> np.ndarray:
        """A copy of the rows held, (n, 8 + layers), oldest first."""
        with self._lock:
            return self._rows[: self._n].copy()

    def last(self) -> EpochStats | None:
        """The newest epoch's figures, or None if the log is empty."""
        with self._lock:
            return row_stats(self._rows[self._n - 1]) if self._n else None

    def iter_stats(self) -> Iterator[EpochStats]:
        """Every epoch held, oldest first, as EpochStats."""
        for row in self.table():
            yield row_stats(row)


# ------------------------------------------------------------------ a metrics file, as the run goes
class MetricsWriter:
    """Writes each epoch's figures to a .csv or .jsonl file as they come, flushed at least once a second.

    The file is written in place (not to a temporary file and renamed at the end), so that a run
    that is interrupted, however it ends, keeps the figures of every epoch it finished."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._text = MetricsText(self.path)
        self._file: IO[str] = open(self.path, "w", encoding="utf-8", newline="")
        self._last_flush = time.monotonic()

    def write(self, stats: Iterable[EpochStats]) -> None:
        """Append these epochs (after a rewind the epochs from there on come again: the file
        tells the run's whole story)."""
        self._file.write(self._text.lines(stats))
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def write_rows(self, rows: np.ndarray) -> None:
        """Append rows as ``stats_rows`` makes them."""
        self.write(row_stats(r) for r in rows)

    def flush(self) -> None:
        self._file.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush and close (a CSV of no epochs still gets its header)."""
        if not self._file.closed:
            self._file.write(self._text.header())
            self._file.close()
