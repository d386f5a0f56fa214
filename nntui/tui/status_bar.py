"""The status line: epoch, losses, accuracy, learning rate, pace, settings and state.

One row of figures that never wraps: the fields that do not fit are dropped, the least
important first.  A message (diverged, stopped, rewound) takes a second row while it lasts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import Static

from nntui.engine.trainer import EpochStats
from nntui.settings import format_speed
from nntui.tui.colors import NEGATIVE, POSITIVE, hex_color

STATES = ("running", "paused", "diverged", "rewound", "failed")
STATE_STYLE = {
    "running": "bold green", "paused": "bold yellow", "diverged": "bold red", "rewound": "bold magenta", "failed": "bold red",
}
STATE_ICON = {"running": "▶", "paused": "⏸", "diverged": "✖", "rewound": "⏪", "failed": "✖"}
SEPARATOR = "  "
FALLBACK_WIDTH = 78  # used before the first layout, when the widget has no size yet
SHORT_OF_PACE = 0.8  # below this share of the pace, the status line says the pace is not reached


@dataclass(frozen=True, eq=False)
class _Segment:
    """One field of the status line; lower priority numbers are kept longer when space is short."""

    priority: int
    text: Text


def _fmt_loss(v: float | None) -> str:
    """A loss with four significant digits; 'nan' / 'inf' for a diverged run."""
    if v is None:
        return "–"
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else "inf"
    return f"{v:.4g}"


def _fmt_acc(v: float | None) -> str:
    """An accuracy as a percentage."""
    if v is None or not math.isfinite(v):
        return "–"
    return f"{v * 100:.1f}%"


def _pair(label: str, train: str, test: str | None) -> Text:
    """'label train / test' with train in blue and test in orange (the plot's colours)."""
    t = Text(f"{label} ", style="dim")
    t.append(train, style=hex_color(POSITIVE))
    if test is not None:
        t.append(" / ", style="dim")
        t.append(test, style=hex_color(NEGATIVE))
    return t


def _field(label: str, value: str) -> Text:
    """'label value' with a dim label."""
    t = Text(f"{label} " if label else "", style="dim")
    t.append(value)
    return t


def _pace(pace: float | None, epochs_per_second: float, running: bool) -> Text:
    """'20 ep/s' (the pace set with < >), '12 of 20 ep/s' while training falls short of it, or
    'full speed 1,234 ep/s' (the rate reached)."""
    eps = epochs_per_second if math.isfinite(epochs_per_second) else 0.0
    if pace is None:
        return _field("full speed", f"{eps:,.0f} ep/s") if running and eps > 0 else _field("", format_speed(None))
    if running and 0 < eps < SHORT_OF_PACE * pace:
        return _field("", f"{eps:,.3g} of {format_speed(pace)}")
    return _field("", format_speed(pace))


def _join(segments: list[Text]) -> Text:
    """Segments separated by two spaces."""
    return Text(SEPARATOR).join(segments)


class StatusBar(Static):
    """A row of training figures (and a row for a message); the state is also a CSS class for the app's .tcss."""

    DEFAULT_CSS = """
    StatusBar {
        height: auto;
        text-wrap: nowrap;  /* a row never wraps: until the fields are fitted to a new width, it is cut */
        text-overflow: ellipsis;
    }
    """

    state: reactive[str] = reactive("paused")

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's parameter name
        classes: str | None = None,
    ) -> None:
        super().__init__("", name=name, id=id, classes=classes)
        self._args: dict | None = None
        self._rows = 1  # rows of the text shown: 2 while there is a message

    def update_status(self, **fields) -> None:
        """Show the latest figures (the keyword arguments of ``build_text``); fields are dropped
        by priority when the widget is narrow."""
        self._args = fields
        self.state = fields["state"]
        self._show()

    def _show(self) -> None:
        """Fit the figures to the content's width (inside the padding)."""
        text = self.build_text(self.size.width or FALLBACK_WIDTH, **self._args)
        rows = len(text.plain.split("\n"))
        # Only a message coming or going changes the height: the layout pass (the whole screen's)
        # is skipped otherwise.
        self.update(text, layout=rows != self._rows)
        self._rows = rows

    def watch_state(self, state: str) -> None:
        """Mirror the state as one of the CSS classes -running, -paused, -diverged."""
        for name in STATES:
            self.set_class(state == name, f"-{name}")

    def on_resize(self, event: Resize) -> None:
        """Re-fit the fields to the new width (the event's size includes the padding; self.size does not)."""
        if self._args is not None:
            self._show()

    @staticmethod
    def build_text(
        width: int,
        *,
        epoch: int,
        stats: EpochStats,
        optimizer: str,
        batch_size: int,
        state: str,
        epochs_per_second: float,
        pace: float | None = None,
        message: str | None = None,
        dataset: str = "",
        layers: str = "",
        lr: float | None = None,
        batches: tuple[int, int] | None = None,
        run: tuple[str, str, tuple[int, int, int]] | None = None,
    ) -> Text:
        """One row of fields that fit the width, and a second row for a message if there is one.

        ``pace`` is the epochs per second training is held to (None: full speed); ``lr`` is the
        current learning rate when it differs from the one the stats were taken at; ``batches``
        (done, per epoch) is shown beside the epoch while an epoch is part done (b, p); ``run`` (its
        name like "run 2/3", what sets it apart like "optimizer=adam", its colour) names the run the
        figures are of, while several train side by side."""
        width = max(1, width)
        icon = STATE_ICON.get(state, "•")
        segments = [
            _Segment(0, Text(f"{icon} {state}", style=STATE_STYLE.get(state, "bold"))),
        ]
        if run is not None:
            name, label, rgb = run
            segments.append(_Segment(1, Text(name, style=f"bold {hex_color(rgb)}")))
            if label:
                segments.append(_Segment(2, Text(label, style=hex_color(rgb))))
        segments += [
            _Segment(0, _field("epoch", f"{epoch:,}" + (f" · batch {batches[0]}/{batches[1]}" if batches and batches[0] else ""))),
            _Segment(1, _pair("loss", _fmt_loss(stats.train_loss),
                              None if stats.test_loss is None else _fmt_loss(stats.test_loss))),
        ]
        if stats.train_acc is not None:
            segments.append(_Segment(3, _pair("acc", _fmt_acc(stats.train_acc),
                                              None if stats.test_acc is None else _fmt_acc(stats.test_acc))))
        segments.append(_Segment(1, _field("lr", f"{stats.lr if lr is None else lr:g}")))
        segments.append(_Segment(2, _pace(pace, epochs_per_second, state == "running")))
        if optimizer:
            segments.append(_Segment(4, _field("", optimizer)))
        segments.append(_Segment(5, _field("batch size", str(batch_size))))
        if dataset:
            segments.append(_Segment(6, _field("", dataset)))
        if layers:
            segments.append(_Segment(7, _field("", layers)))

        lines = [_join([s.text for s in _fit(segments, width)])]
        if message:
            lines.append(Text(message, style="bold red" if state in ("diverged", "failed") else "italic"))
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        return Text("\n").join(lines)


def _fit(segments: list[_Segment], width: int) -> list[_Segment]:
    """The highest-priority segments (in their original order) that fit in width."""
    kept = list(segments)
    while len(kept) > 1 and _join([s.text for s in kept]).cell_len > width:
        kept.remove(max(kept, key=lambda s: (s.priority, kept.index(s))))
    return kept
