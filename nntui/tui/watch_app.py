"""``nntui watch FILE…``: live curves of metrics files that some training (anywhere) is writing.

The files are followed by ``nntui.live.follow.FileFollower``, polled POLLS_PER_SECOND times a
second (or read once, without ``follow``); the plot is redrawn only when new lines came, and at
most once a second while they keep coming (a plot build is the costly part).  One
field is plotted at a time, of every file that has it, overlaid; ``f`` / ``F`` choose it, ``l``
switches the log scale.  Below the plot, a line per file: its newest x and field values, lines
per second and how long ago the last line came.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Static

from nntui.live.follow import FileFollower
from nntui.tui.key_bar import KeyBar
from nntui.tui.watch_plot import Curve, WatchPlot

POLLS_PER_SECOND = 5  # reads of the files a second while following (the status line's updates)
PLOT_INTERVAL = 1.0  # seconds between redraws of the curves while lines keep coming (a build costs ~10 ms)
PREFERRED = ("train_loss", "loss")  # the field shown first, if a file has it (else one with "loss" in its name)


def _number(value: float) -> str:
    """A value for the status line: short, as many digits as it needs."""
    if not math.isfinite(value):  # a diverged loss: nan, inf
        return str(value)
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value):,}"
    return f"{value:.4g}"


def _ago(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


class WatchApp(App):
    """Curves of one or more metrics files, following them as they grow."""

    CSS_PATH = "watch.tcss"
    TITLE = "nntui watch"
    BINDINGS = [
        Binding("f", "field(1)", "next field"),
        Binding("F", "field(-1)", "previous field", key_display="F"),
        Binding("l", "toggle_log", "log scale"),
        Binding("q", "quit", "quit"),
    ]

    field: reactive[str | None] = reactive(None)

    def __init__(self, paths: Sequence[str | Path], follow: bool = True, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.followers = [FileFollower(path, clock=clock) for path in paths]
        self.follow = follow
        self._clock = clock
        self._status_shown = ""
        self._plotted_at = -math.inf  # the clock's time of the last redraw for new lines
        self._versions: list[tuple[bool, int]] = []  # what poll last drew
        self._names = _short_names([f.path for f in self.followers])

    def compose(self) -> ComposeResult:
        yield WatchPlot(id="watch-plot")
        yield Static(id="watch-status")
        yield KeyBar()

    def on_mount(self) -> None:
        if not self.follow:  # read once, whole
            for follower in self.followers:
                follower.poll(max_bytes=None)
        self.poll()
        if self.follow:
            self.set_interval(1 / POLLS_PER_SECOND, lambda: self.poll(PLOT_INTERVAL), name="watch-poll")

    def on_unmount(self) -> None:
        for follower in self.followers:
            follower.close()

    # ------------------------------------------------------------------ reading
    def poll(self, plot_interval: float = 0.0) -> None:
        """Read what the files gained; redraw the curves if any did (and the last redraw is
        ``plot_interval`` seconds old); the status line always (its "ago")."""
        for follower in self.followers:
            follower.poll()
        versions = [(f.exists, f.columns.version) for f in self.followers]  # a file appeared, or lines came
        now = self._clock()
        if versions != self._versions and now - self._plotted_at >= plot_interval:
            self._versions = versions
            self._plotted_at = now
            if self.field not in self.fields():
                self.field = self._first_field()
            self._redraw()
        self._show_status()

    def fields(self) -> list[str]:
        """Every field of every file, in order of first appearance."""
        seen: dict[str, None] = {}
        for follower in self.followers:
            seen.update(dict.fromkeys(follower.columns.fields))
        return list(seen)

    def _first_field(self) -> str | None:
        fields = self.fields()
        return next((name for name in PREFERRED if name in fields), None) or next(
            (name for name in fields if "loss" in name), fields[0] if fields else None)

    def watch_field(self) -> None:
        self._redraw()
        self._show_status()

    def action_field(self, step: int) -> None:
        """Plot the next (or previous) field."""
        fields = self.fields()
        if fields:
            i = fields.index(self.field) if self.field in fields else -step
            self.field = fields[(i + step) % len(fields)]

    def action_toggle_log(self) -> None:
        plot = self.query_one(WatchPlot)
        plot.log_scale = not plot.log_scale

    # ------------------------------------------------------------------ showing
    def _redraw(self) -> None:
        curves = []
        for follower, name in zip(self.followers, self._names):
            columns = follower.columns
            if self.field in columns.fields:
                label = f"{name} {self.field}" if len(self.followers) > 1 else self.field
                curves.append(Curve(label, columns.x(), columns.column(self.field)))
        waiting = [name for follower, name in zip(self.followers, self._names) if not follower.exists]
        note = f"waiting for {', '.join(waiting)}" if waiting else ""
        if not curves and not waiting:
            note = "no lines yet" if self.follow else "no numeric lines"
        x_names = {f.columns.x_name or "line" for f in self.followers if len(f.columns)}
        self.query_one(WatchPlot).show(curves, note, x_names.pop() if len(x_names) == 1 else "x")

    def status_lines(self, width: int = 10_000) -> list[Text]:
        """A line per file of at most ``width`` cells: on the left the newest x and chosen field's
        value, then the other fields' as room allows; on the right lines per second and the time
        since the last line ("100 lines/s  last line 3 s ago", or "100/s, 3 s ago" if short of room)."""
        now = self._clock()
        lines = []
        for follower, name in zip(self.followers, self._names):
            main, extra = Text(name, style="bold"), Text()
            timing: list[Text] = []  # the right part, long and short
            columns = follower.columns
            if follower.error:
                main.append(f"  cannot read: {follower.error}", style="red")
            elif not follower.exists:
                main.append(f"  waiting for {follower.path}", style="dim")
            elif not len(columns):
                main.append("  no lines yet" if self.follow else "  no numeric lines", style="dim")
            else:
                latest = columns.latest
                if columns.x_name and columns.x_name in latest:
                    main.append(f"  {columns.x_name} {_number(latest[columns.x_name])}")
                if self.field in latest:
                    main.append(f"  {self.field} ").append(_number(latest[self.field]), style="bold")
                for other in columns.fields:
                    if other != self.field and other in latest:
                        extra.append(f"  {other} {_number(latest[other])}", style="dim")
                if follower.behind:
                    timing = [Text("reading what the file holds…", style="dim"), Text("reading…", style="dim")]
                elif self.follow:
                    rate = f"{follower.rate():,.0f}"
                    ago = "" if follower.last_line_at is None else _ago(now - follower.last_line_at)
                    timing = [Text(f"{rate} lines/s" + (f"  last line {ago}" if ago else ""), style="dim"),
                              Text(f"{rate}/s" + (f", {ago}" if ago else ""), style="dim")]
            warning = Text(f"  {follower.errors} bad line(s), {follower.last_error}", style="yellow") if follower.errors else Text()
            right = next((t for t in timing if main.cell_len + 2 + t.cell_len <= width), timing[-1] if timing else Text())
            room = width - main.cell_len - (right.cell_len + 2 if right else 0)
            fill = Text.assemble(warning, extra)
            if fill.cell_len > room:
                fill.truncate(max(0, room), overflow="ellipsis")
            line = Text.assemble(main, fill)
            if right:
                line.append(" " * max(2, room - fill.cell_len + 2)).append_text(right)
            line.truncate(width, overflow="ellipsis")
            lines.append(line)
        return lines

    def _show_status(self) -> None:
        status = self.query_one("#watch-status", Static)
        text = Text("\n").join(self.status_lines(status.content_region.width or self.size.width - 2))
        status.styles.height = len(self.followers)
        if text.plain != self._status_shown:  # the same text: no repaint
            self._status_shown = text.plain
            status.update(text)


def _short_names(paths: list[Path]) -> list[str]:
    """The files' names, as short as tells them apart: the name, else the path as given."""
    names = [p.name for p in paths]
    return names if len(set(names)) == len(names) else [str(p) for p in paths]
