"""The per-epoch figures of a run, kept as compact columns in a bounded amount of memory.

``stats_rows`` packs ``EpochStats`` into rows of floats, which is how they travel from the
training process to the UI (only the epochs finished since the last update, never the whole
run).  ``MetricsLog`` keeps them in a float64 table of at most ``capacity`` rows, whatever
the run's length: a long run is kept as buckets of epochs, each the epochs of lowest and
highest train loss in it, so that a curve drawn through them still reaches every dip and spike.
``MetricsWriter`` streams every epoch to a ``--metrics`` file as it comes.

A row is: epoch, flags, train_loss, test_loss, train_acc, test_acc, penalty, lr, then one
gradient norm per layer.  ``flags`` says which of the optional figures are present (a value
of None is stored as NaN, and a diverged loss is NaN too: the flags tell them apart).
"""

from __future__ import annotations

import contextlib
import json
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
    """Every epoch's figures so far, in at most ``capacity`` rows; extended on one thread, read on another.

    Rows stand for buckets of ``stride`` consecutive epochs, two rows a bucket (the epochs of
    lowest and highest train loss in it, in epoch order), one while ``stride`` is 1.  When the
    rows fill the capacity, neighbouring buckets merge and the stride doubles, so the whole run
    is kept at one resolution, finer the shorter the run.  Of the bucket under way the log
    keeps its lowest, highest and newest epoch: the newest epoch is always there.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        if capacity < 16 or capacity % 4:
            raise ValueError("a metrics log holds a multiple of 4 rows, at least 16")
        self.capacity = capacity
        self.version = 0  # bumped by every change, so a reader can tell it has seen this state
        self._lock = threading.Lock()
        self._start(N_FIXED)

    def _start(self, n_columns: int) -> None:
        self.stride = 1  # epochs per bucket
        self._rows = np.empty((self.capacity, n_columns))  # the finished buckets
        self._n = 0
        self._bucket = np.empty((0, n_columns))  # the bucket under way: its lowest, highest and newest epoch
        self._in_bucket = 0  # epochs in it

    @classmethod
    def of(cls, stats: Sequence[EpochStats], capacity: int = DEFAULT_CAPACITY) -> MetricsLog:
        """A log holding these epochs."""
        log = cls(capacity)
        log.extend(stats_rows(stats))
        return log

    def __len__(self) -> int:
        return self._n + len(self._bucket)

    @property
    def thinned(self) -> bool:
        """Whether the log holds fewer rows than epochs (the stride grew)."""
        return self.stride > 1

    def extend(self, rows: np.ndarray) -> None:
        """Append rows (``stats_rows``).  Rows whose first epoch is not after the last one held
        mean the run went back (rewind, a new trainer): what is held from that epoch on goes."""
        if len(rows) == 0:
            return
        with self._lock:
            if rows.shape[1] != self._rows.shape[1]:  # another network: start afresh
                self._start(rows.shape[1])
            else:
                self._drop_from(rows[0, 0])
            i = 0
            while i < len(rows):
                k = min(len(rows) - i, self.stride - self._in_bucket)
                self._bucket = _kept(np.concatenate([self._bucket, rows[i : i + k]]))
                self._in_bucket += k
                i += k
                if self._in_bucket == self.stride:
                    self._close_bucket()
            self.version += 1

    def _drop_from(self, epoch: float) -> None:
        """Forget every epoch from ``epoch`` on (the bucket under way goes whole if it has any)."""
        if len(self._bucket) and self._bucket[-1, 0] >= epoch:
            self._bucket, self._in_bucket = self._bucket[:0], 0
        if self._n and self._rows[self._n - 1, 0] >= epoch:
            self._n = int(np.searchsorted(self._rows[: self._n, 0], epoch))
        if self._n == 0 and self._in_bucket == 0:
            self._start(self._rows.shape[1])

    def _close_bucket(self) -> None:
        """The bucket under way is full: keep its lowest and highest train loss; merge when full."""
        kept = self._bucket if self.stride == 1 else _extremes(self._bucket[None])[0]
        self._rows[self._n : self._n + len(kept)] = kept
        self._n += len(kept)
        self._bucket, self._in_bucket = self._bucket[:0], 0
        if self._n + 2 > self.capacity:
            self._merge()

    def _merge(self) -> None:
        """Halve the rows: every four (two buckets; four epochs while the stride was 1) become one
        bucket of two rows."""
        n = self._n // 4 * 4
        merged = _extremes(self._rows[:n].reshape(n // 4, 4, -1)).reshape(-1, self._rows.shape[1])
        rest = self._rows[n : self._n].copy()  # an odd bucket left over at the end
        self._rows[: len(merged)] = merged
        self._rows[len(merged) : len(merged) + len(rest)] = rest
        self._n = len(merged) + len(rest)
        self.stride = 4 if self.stride == 1 else 2 * self.stride

    def table(self) -> np.ndarray:
        """A copy of the rows held, (n, 8 + layers), oldest first."""
        with self._lock:
            return np.concatenate([self._rows[: self._n], self._bucket])

    def last(self) -> EpochStats | None:
        """The newest epoch's figures, or None if the log is empty."""
        with self._lock:
            if len(self._bucket):
                return row_stats(self._bucket[-1])
            return row_stats(self._rows[self._n - 1]) if self._n else None

    def iter_stats(self) -> Iterator[EpochStats]:
        """Every epoch held, oldest first, as EpochStats."""
        for row in self.table():
            yield row_stats(row)


def _kept(rows: np.ndarray) -> np.ndarray:
    """Of consecutive rows, the ones a bucket keeps: lowest and highest train loss, and the newest."""
    if len(rows) <= 3:
        return rows
    pair = _extremes(rows[None])[0]
    newest = rows[-1:]
    return pair if pair[-1, 0] == newest[0, 0] else np.concatenate([pair, newest])


def _extremes(groups: np.ndarray) -> np.ndarray:
    """(g, k, columns) → (g, m, columns): of each group of k rows, the rows of lowest and highest
    train loss in their order (m = 2), or the row itself (k = 1, m = 1)."""
    if groups.shape[1] == 1:
        return groups
    loss = groups[:, :, COL["train_loss"]]
    finite = np.isfinite(loss)
    lo = np.where(finite, loss, np.inf).argmin(axis=1)
    hi = np.where(finite, loss, -np.inf).argmax(axis=1)
    last = groups.shape[1] - 1
    hi = np.where(hi == lo, np.where(lo == last, 0, last), hi)  # flat, or one finite value: keep an end too
    g = np.arange(len(groups))
    return np.stack([groups[g, np.minimum(lo, hi)], groups[g, np.maximum(lo, hi)]], axis=1)


# ------------------------------------------------------------------ a metrics file, as the run goes
class MetricsWriter:
    """Writes each epoch's figures to a .csv or .jsonl file as they come, flushed at least once a second.

    The file is written in place (not to a temporary file and renamed at the end), so that a run
    that is interrupted, however it ends, keeps the figures of every epoch it finished.  A write
    that fails (a full disk) stops the writing, not the run: ``write`` and ``close`` say so, and
    ``error`` says why.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._text = MetricsText(self.path)
        self._file: IO[str] = open(self.path, "w", encoding="utf-8", newline="")
        self._last_flush = time.monotonic()
        self.error: str | None = None

    def write(self, stats: Iterable[EpochStats], run: str | None = None) -> bool:
        """Append these epochs (after a rewind the epochs from there on come again: the file
        tells the run's whole story), of the run labelled ``run`` if runs are compared; False once
        writing failed."""
        return self._do(lambda: self._file.write(self._text.lines(stats, run)),
                        time.monotonic() - self._last_flush >= FLUSH_SECONDS)

    def write_rows(self, rows: np.ndarray) -> bool:
        """Append rows as ``stats_rows`` makes them."""
        return self.write(row_stats(r) for r in rows)

    def note(self, text: str) -> bool:
        """A line that says how the run ended: a JSON event, or a ``#`` comment in a CSV."""
        line = json.dumps({"event": "note", "note": text}) if self._text.format == "jsonl" else f"# {text}"
        return self._do(lambda: self._file.write(self._text.header() + line + "\n"), True)

    def flush(self) -> bool:
        return self._do(lambda: None, True)

    def close(self) -> bool:
        """Flush and close (a CSV of no epochs still gets its header); False if writing failed."""
        if self._file.closed:
            return self.error is None
        ok = self._do(lambda: self._file.write(self._text.header()), True)
        with contextlib.suppress(OSError):
            self._file.close()
        return ok

    def _do(self, write, flush: bool) -> bool:
        if self.error is not None:
            return False
        try:
            write()
            if flush:
                self._file.flush()
                self._last_flush = time.monotonic()
        except OSError as e:
            self.error = e.strerror or str(e)
            return False
        return True
