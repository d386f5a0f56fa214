"""The loss-curve panel: train/test loss per epoch, accuracy on a right axis, learning-rate marks.

Made to be read at a glance: the legend is a line of its own above the axes, never over the data;
the loss axis starts at 0 (or, with ``log_scale``, shows log10 of the loss, its ticks labelled with
the losses themselves); the epoch ticks are whole numbers; accuracy has the right axis, 0-100 %.
A run that diverged keeps its healthy history on screen: the loss axis reaches the highest finite
loss up to SPIKE times the first epoch's, what lies above goes off the top, and a red line marks
the epoch whose loss is no longer a number.  Rewound to an earlier epoch, the chart shows the run
as it was then: up to that epoch, scaled to it, like every other panel.

Runs trained side by side (``set_runs``) share the chart: each run's train loss in its own colour,
named in the legend; the selected run's line is the heavy one, and only its test loss (dotted) and
rate marks are drawn beside: four runs' every figure would be a tangle, and an accuracy line in a
run's colour would read as one more run (the status line says the selected run's accuracy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from time import monotonic, perf_counter
from typing import NamedTuple

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.timer import Timer
from textual_plotext import PlotextPlot

from nntui.engine.trainer import EpochStats
from nntui.live.metrics import COL, MetricsLog
from nntui.tui.colors import CLASS_COLORS, NEGATIVE, NEUTRAL, POSITIVE, no_color
from nntui.tui.plot_text import epoch_ticks, figure_lines, log_ticks, name_x_axis, nice_step, color_style

Array = np.ndarray

TRAIN_COLOR = POSITIVE  # blue, as in the heatmap's class-1 / positive colour
TEST_COLOR = NEGATIVE  # orange
LR_COLOR = CLASS_COLORS[4]  # purple: not used for anything else in this panel
MAX_LR_MARKS = 8  # more learning-rate changes than this (a schedule): plot the rate as a line
MARKER_COLOR = CLASS_COLORS[2]  # green: the note naming the epoch being viewed while rewinding
DIVERGED_COLOR = CLASS_COLORS[3]  # red: the epoch the loss stopped being a number
MIN_INTERVAL = 0.2  # the longest wait between redraws while epochs keep arriving, unless told to draw now
BUILD_SHARE = 0.25  # while training, redraw as often as building the plot takes at most this share of the time
MIN_EPOCHS = 10  # the epoch axis spans at least this many epochs, so that the first few are not one column
SPIKE = 10.0  # losses above this many times the first epoch's are drawn off the top (a divergence's run-up)
MIN_WIDTH, MIN_HEIGHT = 20, 6  # below this the plot is not drawn (plotext can fail on tiny canvases)
LOG_FLOOR = 1e-12  # log10 of a zero loss is plotted as -12 instead of -inf
DIVERGED = "diverged"  # the label of the divergence's mark
EPOCH = "epoch"  # the name of the x axis, at the end of its tick labels
Spec = tuple[str, tuple[int, int, int], str]  # a curve's plotext marker, colour and legend glyph


class PlotRun(NamedTuple):
    """One of the runs trained side by side, as the chart draws it."""

    name: str  # "run 2": the legend's entry, when short of room
    label: str  # what sets it apart, after its name when there is room: "optimizer=adam"
    color: tuple[int, int, int]
    log: MetricsLog


class Mark(NamedTuple):
    """A vertical mark's label on the frame's top line."""

    column: int  # where the mark's line meets the frame
    label: str
    style: str
    left_too: bool  # may go left of the line if there is no room right of it


def _tint(rgb: tuple[int, int, int], amount: float = 0.35) -> tuple[int, int, int]:
    """Mix a colour towards the palette's neutral white (for the accuracy lines)."""
    return tuple(int(round(c + (n - c) * amount)) for c, n in zip(rgb, NEUTRAL))  # type: ignore[return-value]


def downsample(x: Array, y: Array, max_points: int) -> tuple[Array, Array]:
    """Keep every k-th point (k chosen so at most max_points remain) plus always the last one."""
    x, y = np.asarray(x), np.asarray(y)
    n = len(x)
    max_points = max(1, int(max_points))
    if n <= max_points:
        return x, y
    stride = math.ceil(n / max_points)
    idx = np.arange(0, n, stride)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return x[idx], y[idx]


class LossPlot(PlotextPlot):
    """Train/test loss per epoch, accuracy on a right axis (classification), learning-rate marks."""

    log_scale: reactive[bool] = reactive(False)
    marker_epoch: reactive[int | None] = reactive(None)  # an epoch to mark (rewind: the one shown)

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's parameter name
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.build_count = 0  # plotext builds so far (for tests and profiling)
        self.last_build_seconds = 0.0  # time of the latest build: data, plotext and the text
        self._pending: MetricsLog | None = None
        self._classification = True
        self._dirty = False
        self._timer: Timer | None = None
        self._last_apply = -math.inf
        self._version = 0  # bumped whenever new data is applied
        self._cache_key: tuple | None = None
        self._cache: RenderResult = Text("")
        self._marks: list[Mark] = []  # labels for the frame's top line, made by _draw
        self._runs: tuple[PlotRun, ...] = ()  # runs side by side (none: one run, the log's)
        self._selected = 0  # the place in _runs of the run whose log is the main one
        self._reset_arrays()

    # ------------------------------------------------------------------ data
    def set_log(self, log: MetricsLog, classification: bool, now: bool = False) -> None:
        """Draw this log's figures: with the next frame, unless building the plot is slow (``throttle``)."""
        self._runs = ()
        self._set(log, classification, now)

    def set_runs(self, runs: Sequence[PlotRun], selected: int, classification: bool, now: bool = False) -> None:
        """Draw several runs side by side (``selected``: the place of the one all figures are drawn
        of); one run is drawn as ``set_log`` draws it."""
        if len(runs) < 2:
            self.set_log(runs[0].log, classification, now)
            return
        self._runs, self._selected = tuple(runs), selected
        self._set(runs[selected].log, classification, now)

    def _set(self, log: MetricsLog, classification: bool, now: bool) -> None:
        self._pending = log
        self._classification = bool(classification)
        self._dirty = True
        if now:
            self.flush()
        else:
            self._schedule()

    def set_history(self, history: Sequence[EpochStats], classification: bool, now: bool = False) -> None:
        """Draw these epochs' figures (as ``set_log``)."""
        self.set_log(MetricsLog.of(history), classification, now)

    def flush(self) -> None:
        """Apply pending history now (ignoring the throttle); the redraw happens on the next frame."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._dirty:
            self._apply()

    def on_mount(self) -> None:
        """Apply history that was set before the widget was mounted."""
        if self._dirty:
            self._apply()

    def throttle(self) -> float:
        """Seconds between redraws while training: none while a build is cheap, so that the curve
        follows every frame; longer for a slow build (a huge terminal), up to MIN_INTERVAL."""
        return min(MIN_INTERVAL, self.last_build_seconds / BUILD_SHARE)

    def _schedule(self) -> None:
        """Apply now if the last redraw is old enough; else the next call will, or a timer if none comes.

        The app calls set_log on every frame of its own: applying with the frame (rather than
        on a timer of the plot's own) keeps them to one screen update.  Frames come with some
        jitter, so 90% of the interval counts as enough.
        """
        if not self.is_mounted:
            return
        since = monotonic() - self._last_apply
        interval = self.throttle()
        if since >= 0.9 * interval:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self._apply()
        elif self._timer is None:  # in case no further history arrives
            self._timer = self.set_timer(2 * interval - since, self._on_timer, name="loss-plot-throttle")

    def _on_timer(self) -> None:
        """The throttle interval has passed: apply what arrived meanwhile."""
        self._timer = None
        if self._dirty:
            self._apply()

    def _apply(self) -> None:
        """Copy the new epochs into the plot's arrays and ask for a repaint."""
        self._dirty = False
        self._last_apply = monotonic()
        if self._ingest(self._pending):
            self._version += 1
            self.refresh()

    def _reset_arrays(self) -> None:
        """Forget all ingested epochs."""
        self._epoch = self._train_loss = self._test_loss = np.empty(0)
        self._train_acc = self._test_acc = self._lr = np.empty(0)
        self._others: list[tuple[PlotRun, Array, Array]] = []  # the other runs: epochs, train losses
        self._seen: tuple | None = None  # (id, version) of the log last copied, and of the runs beside it

    def _ingest(self, log: MetricsLog | None) -> bool:
        """Copy the log's columns, if it changed since the last copy; returns whether it did."""
        beside = tuple((run.name, run.label, run.color, id(run.log), run.log.version) for run in self._runs), self._selected
        if log is None or self._seen == (id(log), log.version, beside):
            return False
        self._seen = (id(log), log.version, beside)
        self._others = []
        for place, run in enumerate(self._runs):
            if place != self._selected:
                columns = run.log.table()
                self._others.append((run, columns[:, COL["epoch"]], columns[:, COL["train_loss"]]))
        table = log.table()
        self._epoch = table[:, COL["epoch"]]
        self._train_loss = table[:, COL["train_loss"]]
        self._test_loss = table[:, COL["test_loss"]]
        self._train_acc = table[:, COL["train_acc"]]
        self._test_acc = table[:, COL["test_acc"]]
        self._lr = table[:, COL["lr"]]
        return True

    # --------------------------------------------------------------- drawing
    def render(self) -> RenderResult:
        """Build the plot when data, size, theme or scale changed; otherwise reuse the last build."""
        width, height = self.size.width, self.size.height
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text("loss plot (too small)"[: max(0, width)], style="dim", no_wrap=True, overflow="crop")
        theme = self._get_plotext_theme_name(self.app.theme)
        key = (width, height, theme, self._version, self.log_scale, self._classification, self.marker_epoch)
        if key == self._cache_key:
            return self._cache
        start = perf_counter()
        try:
            plt = self.plt
            plot_height = height - 1  # the legend's line is above the axes
            plt.plotsize(width, plot_height)
            plt._set_size(width, plot_height)  # see PlotextPlot.render: needed for resizing to work
            plt.theme(theme)
            legend = self._draw(width, plot_height)
            body = figure_lines(plt)
            if len(body) > 1:  # the frame's top line names the vertical marks, where they cross it
                body[0] = _label_marks(body[0], self._marks)
            body = name_x_axis(body, EPOCH, width)
            result: RenderResult = Text("\n").join([legend, *body])
        except Exception as error:  # noqa: BLE001 - a plotting glitch must never take the app down
            self.log.warning(f"LossPlot: plot build failed at {width}x{height}: {error!r}")
            result = Text("")
        self.build_count += 1
        self.last_build_seconds = perf_counter() - start
        self._cache_key, self._cache = key, result
        return result

    def _draw(self, width: int, height: int) -> Text:
        """Put the curves, axes, ticks and marks of the epochs shown into plotext; returns the legend."""
        plt = self.plt
        plt.clear_data()
        self._marks = []
        plt.title(None)
        plt.xlabel(None)
        plt.ylabel(None)
        plain = no_color()
        series = _series(plain)
        compared = bool(self._runs)
        if compared:
            series.update(_run_series(plain, self._runs, self._selected))
        # Rewound: the run as it was at the epoch viewed.  Diverged: the epochs before the loss
        # stopped being a number (the diverged epoch's other figures mean nothing either).
        n = self._shown(self._epoch)
        others = []  # the other runs' train losses, up to the epoch viewed and their divergence
        for run, xs, ys in self._others:
            k = self._shown(xs)
            bad = ~np.isfinite(ys[:k])
            k = int(np.argmax(bad)) if bad.any() else k
            others.append((run.name, xs[:k], ys[:k]))
        if n == 0 and not any(len(xs) for _, xs, _ in others):  # no epoch yet: empty axes (an invisible point makes plotext draw them)
            plt.xlim(0, MIN_EPOCHS)
            plt.ylim(0, 1)
            plt.yticks([0, 1], ["0", "1"])
            plt.xticks(*epoch_ticks(0, MIN_EPOCHS, width - 3, width - len(EPOCH) - 4))  # as below: "0", "1" left
            plt.scatter([0], [0], marker=" ")
            return self._legend(width, ["train loss", "test loss"], series)
        epochs = self._epoch[:n]
        bad = ~np.isfinite(self._train_loss[:n])
        diverged = int(np.argmax(bad)) if bad.any() else None
        end = n if diverged is None else diverged
        epochs_drawn = epochs[:end]
        losses = {"train loss": self._train_loss[:end], "test loss": self._test_loss[:end]}
        accs = {"train acc": self._train_acc[:end], "test acc": self._test_acc[:end]}
        shown = [name for name, v in losses.items() if np.isfinite(v).any()]
        if compared:  # an accuracy line in a run's colour would read as one more run: the status line has it
            accs = {}
        show_acc = self._classification and any(np.isfinite(v).any() for v in accs.values())
        if show_acc:
            shown += [name for name, v in accs.items() if np.isfinite(v).any()]
        lr = self._lr[:end]
        marks = lr_changes(lr)
        schedule = len(marks) > MAX_LR_MARKS  # then the rate is drawn as a line on the right axis

        # The loss axis (left) fits the healthy losses; accuracy (right) is 0-100 %.
        rows = height - 3  # the frame's two lines and the epoch ticks
        y_lo, y_hi, y_ticks, y_labels = self._loss_axis(losses, max(1, min(5, (rows - 1) // 2)),
                                                         [ys for _, _, ys in others])
        y_labels = [label.rjust(max(map(len, y_labels))) for label in y_labels]
        plt.ylim(y_lo, y_hi)
        plt.yticks(y_ticks, y_labels)
        right_ticks: list[float] = []
        right_labels: list[str] = []
        if show_acc:
            right_ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if rows >= 9 else [0.0, 0.5, 1.0]
            right_labels = [f"{t:.0%}" for t in right_ticks]
        elif schedule:
            right_ticks, right_labels = [0.0, 1.0], ["0", f"{np.nanmax(lr):g}"]
        if right_ticks:
            plt.ylim(0.0, 1.0, yside="right")
            plt.yticks(right_ticks, right_labels, yside="right")
        left_width = len(y_labels[0]) + 1  # the tick labels and the axis: the canvas starts here
        cols = max(1, width - 1 - left_width - max(map(len, right_labels), default=0))

        # The epoch axis: from the first epoch to the last shown (at least MIN_EPOCHS), whole-number ticks.
        drawn = [xs for xs in (epochs, *(xs for _, xs, _ in others)) if len(xs)]
        x_lo = min(float(xs[0]) for xs in drawn)
        x_hi = max(*(float(xs[-1]) for xs in drawn), float(self.marker_epoch or 0), x_lo + MIN_EPOCHS)
        label_cols = len(DIVERGED) + 2
        if diverged is not None and cols > 2 * label_cols:  # room right of the mark for its label
            at = float(epochs[diverged])
            x_hi = max(x_hi, (at * cols - label_cols * x_lo) / (cols - label_cols))
        plt.xlim(x_lo, x_hi)
        # The ticks' labels end short of the line's end, which names the axis.
        plt.xticks(*epoch_ticks(x_lo, x_hi, cols, width - len(EPOCH) - 2 - left_width))

        max_points = max(2, cols)  # about one point per character column of the plot area
        margin = 3 * (y_hi - y_lo)  # beyond this a point is clipped (still off the axes) before plotext sees it

        def draw(name: str, xs: Array, ys: Array, right: bool = False) -> None:
            marker, color, _ = series[name]
            plt.plot(xs.tolist(), ys.tolist(), color=color, marker=marker, yside="right" if right else None)

        def mark(epoch: float, label: str, color: tuple[int, int, int], left_too: bool = False) -> None:
            """A vertical line at this epoch, named on the frame's top line where it crosses it."""
            plt.vline(epoch, color=color)
            column = left_width + math.floor(0.5 + (cols - 1) * (epoch - x_lo) / (x_hi - x_lo))
            self._marks.append(Mark(column, label, color_style(color), left_too))

        def loss_curve(name: str, epochs: Array, values: Array) -> None:
            if self.log_scale:
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = np.log10(np.maximum(values, LOG_FLOOR))
            keep = np.isfinite(values)
            if keep.any():
                xs, ys = downsample(epochs[keep], np.clip(values[keep], y_lo - margin, y_hi + margin), max_points)
                draw(name, xs, ys)
                above = ys > y_hi  # off the top (a divergence's run-up): an arrow on the top row says so
                if above.any():
                    plt.scatter(xs[above].tolist(), [y_hi] * int(above.sum()), color=series[name][1], marker="↑")

        for name, xs, ys in others:  # under the selected run's curves
            loss_curve(name, xs, ys)
        for name, values in losses.items():
            loss_curve(name, epochs_drawn, values)
        if show_acc:
            for name, values in accs.items():
                keep = np.isfinite(values)
                if keep.any():
                    draw(name, *downsample(epochs_drawn[keep], values[keep], max_points), right=True)
        if diverged is not None:
            mark(float(epochs[diverged]), DIVERGED, DIVERGED_COLOR, left_too=True)
        if schedule:
            keep = np.isfinite(lr) & (lr > 0)
            draw("lr", *downsample(epochs_drawn[keep], lr[keep] / lr[keep].max(), max_points), right=True)
            shown.append("lr")
        elif marks:
            for i in marks:
                mark(float(epochs_drawn[i]), f"lr {lr[i]:g}", LR_COLOR)
            shown.append("lr change")
        return self._legend(width, shown, series)

    def _shown(self, epochs: Array) -> int:
        """How many of these epochs are shown: all, or rewound, those up to the epoch viewed."""
        if self.marker_epoch is None:
            return len(epochs)
        return int(np.searchsorted(epochs, self.marker_epoch, side="right"))

    def _legend(self, width: int, names: list[str], series: dict[str, Spec]) -> Text:
        """The legend line: the curves' names, or side by side, the runs' names and the selected run's other curves."""
        if not self._runs:
            return _legend(width, names, self._note())
        return _runs_legend(width, self._runs, self._selected, [name for name in names if name != "train loss"],
                            self._note(), series)

    def _loss_axis(self, losses: dict[str, Array], intervals: int,
                   others: Sequence[Array] = ()) -> tuple[float, float, list[float], list[str]]:
        """Limits, ticks and tick labels of the loss axis, from the healthy losses.

        From 0 to just above the highest loss, or to the tick there if that is close.  A divergence's
        run-up (losses above SPIKE times the first epoch's) does not stretch the axis: it goes off
        the top.  On a log scale the axis is log10 of the loss, labelled with the losses themselves.
        ``others``: the train losses of runs drawn beside (the axis fits them too).
        """
        train, test = losses["train loss"], losses["test loss"]
        both = np.concatenate([train, test, *others])
        finite = healthy = both[np.isfinite(both)]
        top = 1.0
        if finite.size:
            rows = np.stack([train, test], axis=1)
            firsts = [float(np.nanmax(row)) for row in rows[np.isfinite(rows).any(axis=1)][:1]]
            firsts += [float(ys[np.isfinite(ys)][0]) for ys in others if np.isfinite(ys).any()]
            first = max(firsts)
            cap = SPIKE * first
            healthy = finite[finite <= cap] if cap > 0 else finite
            top = float(healthy.max()) if healthy.size else first
        if self.log_scale:
            logs = np.log10(np.maximum(healthy, LOG_FLOOR)) if healthy.size else np.zeros(1)
            lo, hi = float(logs.min()), float(logs.max())
            pad = 0.04 * (hi - lo) or 0.5
            return (lo - pad, hi + pad, *log_ticks(lo - pad, hi + pad, intervals))
        if not top > 0:
            top = 1.0
        step = nice_step(top / (intervals + 0.5))
        hi = top * 1.04  # a little headroom; up to the next tick if that is close
        if step * math.ceil(top / step - 1e-9) <= top * 1.15:
            hi = max(hi, step * math.ceil(top / step - 1e-9))
        ticks = [step * k for k in range(math.floor(hi / step + 1e-9) + 1)]
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        if round(step * 10**decimals, 6) % 1:  # 2.5, 0.25: one more digit
            decimals += 1
        return 0.0, hi, ticks, [f"{t:.{decimals}f}" for t in ticks]

    def _note(self) -> Text:
        """What the legend line says on its right: rewound to an epoch, the log scale."""
        note = Text()
        if self.marker_epoch is not None:
            note.append(f"to epoch {self.marker_epoch:,}", style=color_style(MARKER_COLOR))
        if self.log_scale:
            note.append("  " if note else "").append("log scale", style="dim")
        return note




def _series(plain: bool) -> dict[str, Spec]:
    """Each curve's marker, colour and legend glyph; without colour the markers tell them apart."""
    return {
        "train loss": ("hd", TRAIN_COLOR, "▚" if plain else "━"),
        "test loss": ("dot", TEST_COLOR, "•") if plain else ("hd", TEST_COLOR, "━"),
        "train acc": ("braille", _tint(TRAIN_COLOR), "⠒"),
        "test acc": ("+", _tint(TEST_COLOR), "+") if plain else ("braille", _tint(TEST_COLOR), "⠒"),
        "lr": ("braille", LR_COLOR, "⠒"),
        "lr change": ("│", LR_COLOR, "│"),
    }


def _run_series(plain: bool, runs: Sequence[PlotRun], selected: int) -> dict[str, Spec]:
    """The curves of runs side by side: each run's train loss in its colour (the selected run's
    heavy, without colour each run's number), and the selected run's test loss in its colour."""
    rgb = runs[selected].color
    series = {run.name: (str(place + 1), run.color, str(place + 1)) if plain else ("braille", run.color, "─")
              for place, run in enumerate(runs)}
    series["train loss"] = series[runs[selected].name] if plain else ("hd", rgb, "━")
    series["test loss"] = ("dot", rgb, "•")
    return series


def _legend(width: int, names: list[str], note: Text) -> Text:
    """One line naming the curves, each after its glyph in its colour: in full if that fits, else
    grouped ("loss ━train ━test"), else without the learning rate; the note right-aligned if it fits."""
    series = _series(no_color())

    def entry(glyph_of: str, label: str) -> Text:
        return Text.assemble((series[glyph_of][2], color_style(series[glyph_of][1])), label)

    full = [entry(name, " " + name) for name in names]
    grouped: list[Text] = []
    for kind in ("loss", "acc"):
        mine = [name for name in names if name.endswith(" " + kind)]
        if mine:
            grouped.append(Text(kind + " ").append_text(Text(" ").join(entry(n, n.split()[0]) for n in mine)))
    rate = [entry(name, "lr") for name in names if name.startswith("lr")]
    return _fit_legend([Text("  ").join(full), Text("  ").join(grouped + rate), Text("  ").join(grouped)], width, note)


def _runs_legend(width: int, runs: Sequence[PlotRun], selected: int, names: list[str], note: Text,
                 series: dict[str, Spec]) -> Text:
    """The legend of runs side by side: each run's glyph, name and label (the selected run's in
    bold), then the selected run's other curves (``names``); if that does not fit, their names
    shortened, then the runs alone, then without their labels."""
    short_names = {"test loss": "test", "lr change": "lr"}

    def run_entry(place: int, run: PlotRun, labelled: bool) -> Text:
        _, rgb, glyph = series["train loss" if place == selected else run.name]
        text = f"{run.name} {run.label}" if labelled and run.label else run.name
        return Text.assemble((glyph, color_style(rgb)), (" " + text, "bold" if place == selected else ""))

    def line(labelled: bool, short: bool, rate: bool = True, others: bool = True) -> Text:
        entries = [run_entry(place, run, labelled) for place, run in enumerate(runs)]
        for name in names if others else ():
            if rate or not name.startswith("lr"):
                _, rgb, glyph = series[name]
                entries.append(Text.assemble((glyph, color_style(rgb)), " " + (short_names.get(name, name) if short else name)))
        return Text("  ").join(entries)

    lines = [line(True, False), line(True, True), line(True, True, rate=False), line(True, True, others=False),
             line(False, True), line(False, True, rate=False)]
    return _fit_legend(lines, width, note)


def _fit_legend(lines: list[Text], width: int, note: Text) -> Text:
    """The first of these legend lines that fits beside the note (right-aligned), else the first
    that fits alone, else the last, cut."""
    with_note = next((line for line in lines if line.cell_len + 2 + note.cell_len <= width), None)
    if note and with_note is not None:
        return with_note.append(" " * (width - with_note.cell_len - note.cell_len)).append_text(note)
    line = next((line for line in lines if line.cell_len <= width), lines[-1])
    line.truncate(width)
    return line


def lr_changes(lr: Array) -> list[int]:
    """Indices of the rows whose learning rate differs from the row before's (the first with the new rate)."""
    if len(lr) < 2:
        return []
    with np.errstate(invalid="ignore"):
        changed = ~np.isclose(lr[1:], lr[:-1], rtol=1e-9, atol=0.0)
    return (np.flatnonzero(changed) + 1).tolist()


def _label_marks(line: Text, marks: list[Mark]) -> Text:
    """The frame's top line with each mark's label just right of where its line meets the frame
    (or, for some, just left), where that part of the frame is bare; other labels are left out."""
    for column, label, style, left_too in marks:
        for start in (column + 1, column - len(label)) if left_too else (column + 1,):
            end = start + len(label)
            if start > 0 and end < line.cell_len and set(line.plain[start:end]) == {"─"}:
                line = Text.assemble(line[:start], (label, style), line[end:])
                break
    return line


