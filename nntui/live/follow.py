"""Following a metrics file as it grows, the way ``tail -F`` does: for ``nntui watch``.

A metrics file is JSON lines (one object a line: ``{"epoch": 3, "train_loss": 0.41, ...}``) or
CSV (a header row, then one row a line; ``#`` lines are comments): what ``nntui --headless
--metrics`` writes, and what any training script can write with a line of its own.  The x axis
is ``epoch``, else ``step``, else the line's number; every other numeric value is a field.

``FileFollower.poll`` reads what was appended since the last call, and copes with what happens
to a file being written: it may not exist yet (it waits), it may be truncated (a new run: what
was read goes), rotated (renamed away and a new file made: the old one is read to its end, then
the new one from its start), and its last line may be half written (kept until its newline
comes).  A line that does not parse is counted and named, and reading goes on.  ``Columns``
keeps the figures in a bounded amount of memory however long the run: when full, every other
row goes and only every second row from then on is kept (the newest always is).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections import deque
from pathlib import Path

import numpy as np

X_FIELDS = ("epoch", "step")  # the x axis, the first of these a file has
DEFAULT_CAPACITY = 2**14  # rows kept per file: 16,384 × (1 + fields) floats
READ_CHUNK = 1 << 18  # bytes a read
READ_BUDGET = 1 << 21  # bytes a poll reads at most (about 8,000 lines of nntui's, 0.1 s of parsing)
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
RATE_WINDOW = 10.0  # seconds over which lines per second are counted


class Columns:
    """The figures of one file: an x column and one column per field, in at most ``capacity`` rows.

    Rows are kept of every ``stride``-th line (the first line's, and so on), and of the newest
    line, whichever it is.  When the rows fill the capacity, every other one goes and the stride
    doubles: the whole run stays, at one resolution, finer the shorter the run.  A line whose x
    is not after the last one means the run went back (a rewind, a restart): the rows from that
    x on go.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        if capacity < 4 or capacity % 2:
            raise ValueError("columns hold an even number of rows, at least 4")
        self.capacity = capacity
        self.version = 0  # bumped by every change
        self.clear()

    def clear(self) -> None:
        """Forget every row and field."""
        self.x_name: str | None = None  # "epoch", "step", or None: the line's number
        self.fields: list[str] = []  # in order of first appearance
        self.latest: dict[str, float] = {}  # the newest value of each field (and of x)
        self.stride = 1
        self._x = np.empty(self.capacity)
        self._cols: dict[str, np.ndarray] = {}
        self._n = 0  # rows of every stride-th line
        self._count = 0  # lines so far (the x of a file without epoch or step is a line's number)
        self._newest: tuple[float, dict[str, float]] | None = None  # the newest line, if it has no row
        self._last_x = math.nan  # the newest line's x
        self.version += 1

    def __len__(self) -> int:
        return self._n + (self._newest is not None)

    def add(self, values: dict[str, float]) -> None:
        """Append one line's numeric values (x among them, if the file has one)."""
        if self.x_name is None and self._count == 0:
            self.x_name = next((name for name in X_FIELDS if name in values), None)
        x = values.get(self.x_name, math.nan) if self.x_name else float(self._count + 1)
        if not math.isfinite(x):
            return  # a line without x (a note): nothing to plot it at
        if self.x_name and len(self) and x <= self._last_x:
            self._drop_from(x)
        self._last_x = x
        for name in values:
            if name != self.x_name and name not in self._cols:
                self.fields.append(name)
                self._cols[name] = np.full(self.capacity, np.nan)
        self.latest.update(values)
        self._newest = (x, values)
        if self._count % self.stride == 0:
            self._write(self._n, x, values)
            self._n += 1
            self._newest = None
            if self._n == self.capacity:
                self._thin()
                if self._count % self.stride:  # its row went: it is still the newest
                    self._newest = (x, values)
        self._count += 1
        self.version += 1

    def _write(self, row: int, x: float, values: dict[str, float]) -> None:
        self._x[row] = x
        for name, column in self._cols.items():
            column[row] = values.get(name, math.nan)

    def _drop_from(self, x: float) -> None:
        """Forget the lines from x on."""
        self._newest = None
        self._n = int(np.searchsorted(self._x[: self._n], x))
        self._count = self._n * self.stride
        if self._n == 0:
            self.stride = 1

    def _thin(self) -> None:
        """Keep every other row (the first's, the third's, …); the stride doubles."""
        keep = np.arange(0, self._n, 2)
        self._x[: len(keep)] = self._x[keep]
        for column in self._cols.values():
            column[: len(keep)] = column[keep]
        self._n = len(keep)
        self.stride *= 2

    def x(self) -> np.ndarray:
        """A copy of the x column, oldest first."""
        tail = [self._newest[0]] if self._newest else []
        return np.concatenate([self._x[: self._n], tail])

    def column(self, name: str) -> np.ndarray:
        """A copy of a field's column (NaN where a line did not have it)."""
        tail = [self._newest[1].get(name, math.nan)] if self._newest else []
        return np.concatenate([self._cols[name][: self._n], tail])


def parse_json_line(text: str) -> dict[str, float]:
    """The numeric values of a JSON object line (booleans, strings and nested values are left out)."""
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise ValueError(f"not JSON ({e.msg})") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return {str(k): float(v) for k, v in obj.items() if type(v) in (int, float)}  # bool is no number here


def _number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan


class FileFollower:
    """One metrics file, read a piece at a time as it grows; ``poll`` reads what is new."""

    def __init__(self, path: str | Path, capacity: int = DEFAULT_CAPACITY, clock=time.monotonic):
        self.path = Path(path)
        self.columns = Columns(capacity)
        self.lines = 0  # lines read (comments and bad lines included) since the file was (re)started
        self.errors = 0  # lines that did not parse
        self.last_error: str | None = None  # the newest of them: "line 12: not JSON (...)"
        self.error: str | None = None  # why the file cannot be read now, if it cannot
        self.last_line_at: float | None = None  # clock() when the newest data line came
        self.events: list[str] = []  # what happened to the file: "truncated", "rotated" (newest last)
        self._clock = clock
        self._file = None
        self._id: tuple[int, int] | None = None  # (device, inode) of the file open
        self._offset = 0
        self._partial = b""
        self._header: list[str] | None = None  # the CSV header, once read
        suffix = self.path.suffix.lower()
        # JSON lines or CSV, by the name; else each line says (a JSON object starts with "{")
        self._json = True if suffix in JSON_SUFFIXES else False if suffix == ".csv" else None
        self._recent: deque[tuple[float, int]] = deque()  # (when, data lines) of recent polls
        self._since: float | None = None  # clock() at the first poll
        self.behind = False  # whether the last poll left bytes unread (max_bytes)

    @property
    def exists(self) -> bool:
        """Whether the file has been opened (it existed at a poll)."""
        return self._file is not None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def poll(self, max_bytes: int | None = READ_BUDGET) -> int:
        """Read what was appended since the last poll, up to ``max_bytes`` (a long file is read over
        several polls, so that the screen stays alive meanwhile: ``behind`` says whether there is
        more); the number of data lines read."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self.error = None
            return self._read_to_end() if self._file is not None else 0  # renamed away: what is left in it
        except OSError as e:
            self.error = e.strerror or str(e)
            return 0
        new = 0
        catching_up = self._since is None or self.behind  # lines already there: no rate, as old as the file
        if self._file is not None and (stat.st_dev, stat.st_ino) != self._id:
            new += self._read_to_end()  # rotated: finish the old file, then the new one from its start
            self._finish_partial()
            self.close()
            self.events.append("rotated")
        if self._file is None:
            try:
                self._file = open(self.path, "rb")  # noqa: SIM115 - kept open between polls
            except OSError as e:
                self.error = e.strerror or str(e)
                return new
            self.error = None
            self._id = (stat.st_dev, stat.st_ino)
            self._offset, self._partial, self._header = 0, b"", None
        elif stat.st_size < self._offset:  # truncated: the file starts again, and so does its story
            self.events.append("truncated")
            self._restart()
        if stat.st_size > self._offset:
            new += self._read_to_end(max_bytes)
        self.behind = self._offset < stat.st_size
        now = self._clock()
        if self._since is None:
            self._since = now
        if new and catching_up:
            self.last_line_at = now - max(0.0, time.time() - stat.st_mtime)
        elif new:
            self.last_line_at = now
            self._recent.append((now, new))
        return new

    def rate(self) -> float:
        """Data lines per second over the last RATE_WINDOW seconds (0 if none came)."""
        now = self._clock()
        while self._recent and now - self._recent[0][0] > RATE_WINDOW:
            self._recent.popleft()
        if not self._recent:
            return 0.0
        span = min(RATE_WINDOW, now - self._since)  # the first poll's lines are not counted: the time before it is not
        return sum(n for _, n in self._recent) / max(span, 1.0)

    def _restart(self) -> None:
        """Read the file from its start again, forgetting what was read."""
        self._file.seek(0)
        self._offset, self._partial, self._header = 0, b"", None
        self.lines = self.errors = 0
        self.last_error = None
        self.columns.clear()

    def _read_to_end(self, max_bytes: int | None = None) -> int:
        """Read and parse the bytes after the offset (up to about ``max_bytes``); the number of data lines."""
        new, start = 0, self._offset
        while max_bytes is None or self._offset - start < max_bytes:
            try:
                self._file.seek(self._offset)
                size = READ_CHUNK if max_bytes is None else min(READ_CHUNK, start + max_bytes - self._offset)
                chunk = self._file.read(size)
            except OSError as e:
                self.error = e.strerror or str(e)
                return new
            if not chunk:
                return new
            self._offset += len(chunk)
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            for line in lines:
                new += self._parse(line)
        return new

    def _finish_partial(self) -> None:
        """The old file of a rotation is done: its last line counts, newline or not."""
        if self._partial.strip():
            self._parse(self._partial)
        self._partial = b""

    def _parse(self, raw: bytes) -> int:
        """Parse one line into the columns; 1 if it was a data line."""
        self.lines += 1
        text = raw.decode("utf-8", errors="replace").strip()
        if not text or text.startswith("#"):
            return 0
        try:
            if self._json or (self._json is None and text.startswith("{")):
                values = parse_json_line(text)
            elif self._header is None:
                self._header = [name.strip() for name in next(csv.reader([text]))]
                return 0
            else:
                cells = next(csv.reader([text]))
                if len(cells) != len(self._header):
                    raise ValueError(f"{len(cells)} values for {len(self._header)} columns")
                values = {name: _number(cell) for name, cell in zip(self._header, cells)}
                values = {name: v for name, v in values.items() if not math.isnan(v)}  # empty or not a number
        except ValueError as e:
            self.errors += 1
            self.last_error = f"line {self.lines}: {e}"
            return 0
        if not values:
            return 0
        self.columns.add(values)
        return 1
