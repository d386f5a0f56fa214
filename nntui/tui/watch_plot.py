"""The curves of ``nntui watch``: one field of one or more metrics files against epoch (or step).

Drawn as the loss plot is (its helpers for ticks, the figure's lines and the legend's colours):
a legend line above the axes naming each curve by file and field, whole-number x ticks, a y axis
that fits the data (or, with ``log_scale``, log10 of it, labelled with the values themselves).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from nntui.tui.colors import CLASS_COLORS, NEGATIVE, POSITIVE, no_color
from nntui.tui.loss_plot import (
    LOG_FLOOR,
    MIN_HEIGHT,
    MIN_WIDTH,
    downsample,
)
from nntui.tui.plot_text import epoch_ticks, figure_lines, log_ticks, name_x_axis, nice_step, color_style

COLORS = [POSITIVE, NEGATIVE, *CLASS_COLORS[2:]]  # the first file blue, the second orange, as train/test
PLAIN_MARKERS = [("hd", "▚"), ("dot", "•"), ("+", "+"), ("x", "x"), ("o", "o")]  # without colour
MIN_SPAN = 10  # the x axis spans at least this many epochs


class Curve(NamedTuple):
    """One curve: its legend label, x and y."""

    label: str
    x: np.ndarray
    y: np.ndarray


class WatchPlot(PlotextPlot):
    """Curves of one field, one per file, overlaid; redrawn only when ``show`` gives new ones."""

    log_scale: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's parameter name
        super().__init__(id=id)
        self.curves: list[Curve] = []
        self.note = ""  # said on the legend line's right (e.g. "waiting for m.jsonl")
        self.x_name = "epoch"  # what x is: epoch, step or line
        self.build_count = 0
        self._version = 0
        self._cache_key: tuple | None = None
        self._cache: RenderResult = Text("")

    def show(self, curves: list[Curve], note: str = "", x_name: str = "epoch") -> None:
        """Draw these curves from the next frame on."""
        self.curves, self.note, self.x_name = curves, note, x_name
        self._version += 1
        self.refresh()

    def render(self) -> RenderResult:
        """Build the plot when the curves, size, theme or scale changed; else reuse the last build."""
        width, height = self.size.width, self.size.height
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text("plot (too small)"[: max(0, width)], style="dim", no_wrap=True, overflow="crop")
        theme = self._get_plotext_theme_name(self.app.theme)
        key = (width, height, theme, self._version, self.log_scale)
        if key == self._cache_key:
            return self._cache
        plt = self.plt
        try:
            plt.plotsize(width, height - 1)
            plt._set_size(width, height - 1)  # as LossPlot.render: needed for resizing to work
            plt.theme(theme)
            legend = self._draw(width, height - 1)
            body = figure_lines(plt)
            body = name_x_axis(body, self.x_name, width)
            result: RenderResult = Text("\n").join([legend, *body])
        except Exception as error:  # noqa: BLE001 - a plotting glitch must never take the app down
            self.log.warning(f"WatchPlot: plot build failed at {width}x{height}: {error!r}")
            result = Text("")
        self.build_count += 1
        self._cache_key, self._cache = key, result
        return result

    def _draw(self, width: int, height: int) -> Text:
        """Put the curves, axes and ticks into plotext; returns the legend line."""
        plt = self.plt
        plt.clear_data()
        plt.title(None)
        plt.xlabel(None)
        plt.ylabel(None)
        plain = no_color()
        curves = []
        for curve in self.curves:
            y = curve.y
            if self.log_scale:
                with np.errstate(divide="ignore", invalid="ignore"):
                    y = np.log10(np.maximum(y, LOG_FLOOR))
            keep = np.isfinite(y) & np.isfinite(curve.x)
            curves.append((curve.label, curve.x[keep], y[keep]))
        drawn = [c for c in curves if len(c[1])]
        rows = height - 3  # the frame's two lines and the x ticks
        intervals = max(1, min(5, (rows - 1) // 2))
        if drawn:
            xs = np.concatenate([c[1] for c in drawn])
            ys = np.concatenate([c[2] for c in drawn])
            x_lo, x_hi = float(xs.min()), float(xs.max())
            y_lo, y_hi = float(ys.min()), float(ys.max())
        else:
            x_lo, x_hi, y_lo, y_hi = 0.0, 0.0, 0.0, 1.0
        x_hi = max(x_hi, x_lo + MIN_SPAN)
        if self.log_scale and drawn:
            pad = 0.04 * (y_hi - y_lo) or 0.5
            y_lo, y_hi = y_lo - pad, y_hi + pad
            ticks, labels = log_ticks(y_lo, y_hi, intervals)
        else:
            y_lo, y_hi, ticks, labels = linear_axis(y_lo, y_hi, intervals)
        width_labels = max(map(len, labels))
        labels = [label.rjust(width_labels) for label in labels]
        plt.ylim(y_lo, y_hi)
        plt.yticks(ticks, labels)
        left = width_labels + 1
        cols = max(1, width - 1 - left)
        plt.xlim(x_lo, x_hi)
        plt.xticks(*epoch_ticks(x_lo, x_hi, cols, width - len(self.x_name) - 2 - left))
        entries = []
        for i, (label, x, y) in enumerate(curves):
            color = COLORS[i % len(COLORS)]
            marker, glyph = PLAIN_MARKERS[i % len(PLAIN_MARKERS)] if plain else ("hd", "━")
            if len(x):
                xd, yd = downsample(x, y, max(2, cols))
                plt.plot(xd.tolist(), yd.tolist(), color=color, marker=marker)
            entries.append(Text.assemble((glyph, color_style(color)), " " + label))
        if not drawn:  # empty axes: an invisible point makes plotext draw them
            plt.scatter([x_lo], [y_lo], marker=" ")
        return _legend_line(width, entries, self.note + ("  log scale" if self.log_scale else ""))


def linear_axis(lo: float, hi: float, intervals: int) -> tuple[float, float, list[float], list[str]]:
    """Limits, ticks and labels of a linear axis that holds lo..hi: from 0 when the data are
    positive and start near it, nice round ticks otherwise."""
    if lo >= 0 and lo <= 0.5 * hi:
        lo = 0.0
    span = hi - lo
    if not span > 0:
        span = abs(hi) or 1.0
        lo, hi = lo - span / 2, hi + span / 2
    step = nice_step(span / (intervals + 0.5))
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    ticks = [first + k * step for k in range(int(round((last - first) / step)) + 1)]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if round(step * 10**decimals, 6) % 1:  # 2.5, 0.25: one more digit
        decimals += 1
    return first, last, ticks, [f"{t:.{decimals}f}" for t in ticks]


def _legend_line(width: int, entries: list[Text], note: str) -> Text:
    """The curves' names on one line, the note right-aligned if it fits."""
    line = Text("  ").join(entries)
    if note and line.cell_len + 2 + len(note) <= width:
        line.append(" " * (width - line.cell_len - len(note))).append(note, style="dim")
    line.truncate(width)
    return line
