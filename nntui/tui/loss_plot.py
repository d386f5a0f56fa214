"""The loss-curve panel: train/test loss per epoch, accuracy on a right axis, learning-rate marks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from time import monotonic, perf_counter

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.timer import Timer
from textual_plotext import PlotextPlot

from nntui.engine.trainer import EpochStats
from nntui.live.metrics import COL, MetricsLog
from nntui.tui.colors import CLASS_COLORS, NEGATIVE, NEUTRAL, POSITIVE, no_color

Array = np.ndarray

TRAIN_COLOR = POSITIVE  # blue, as in the heatmap's class-1 / positive colour
TEST_COLOR = NEGATIVE  # orange
LR_COLOR = CLASS_COLORS[4]  # purple: not used for anything else in this panel
MAX_LR_MARKS = 8  # more learning-rate changes than this (a schedule): plot the rate as a line
MARKER_COLOR = CLASS_COLORS[2]  # green: the epoch being viewed while rewinding
MIN_INTERVAL = 0.2  # seconds between redraws while epochs keep arriving, unless told to draw now
MIN_WIDTH, MIN_HEIGHT = 20, 6  # below this the plot is not drawn (plotext can fail on tiny canvases)
LOG_FLOOR = 1e-12  # log10 of a zero loss is plotted as -12 instead of -inf


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


def lr_change_epochs(history: Sequence[EpochStats]) -> list[int]:
    """Epochs whose learning rate differs from the previous epoch's (the first epoch with the new rate)."""
    return [
        cur.epoch
        for prev, cur in zip(history, history[1:])
        if not math.isclose(prev.lr, cur.lr, rel_tol=1e-9, abs_tol=0.0)
    ]


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
        self.last_build_seconds = 0.0  # time of the latest data + build + ANSI parse
        self._pending: MetricsLog | None = None
        self._classification = True
        self._dirty = False
        self._timer: Timer | None = None
        self._last_apply = -math.inf
        self._version = 0  # bumped whenever new data is applied
        self._cache_key: tuple | None = None
        self._cache: RenderResult = Text("")
        self._reset_arrays()

    # ------------------------------------------------------------------ data
    def set_log(self, log: MetricsLog, classification: bool, now: bool = False) -> None:
        """Draw this log's figures, at most once per MIN_INTERVAL unless ``now``."""
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

    def _schedule(self) -> None:
        """Apply now if the last redraw is old enough; else the next call will, or a timer if none comes.

        The app calls set_history on every frame of its own: applying with the frame (rather than
        on a timer of the plot's own) keeps them to one screen update.  Frames come with some
        jitter, so 90% of the interval counts as enough.
        """
        if not self.is_mounted:
            return
        since = monotonic() - self._last_apply
        if since >= 0.9 * MIN_INTERVAL:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self._apply()
        elif self._timer is None:  # in case no further history arrives
            self._timer = self.set_timer(2 * MIN_INTERVAL - since, self._on_timer, name="loss-plot-throttle")

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
        self._seen: tuple[int, int] | None = None  # (id, version) of the log last copied

    def _ingest(self, log: MetricsLog | None) -> bool:
        """Copy the log's columns, if it changed since the last copy; returns whether it did."""
        if log is None or self._seen == (id(log), log.version):
            return False
        self._seen = (id(log), log.version)
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
            plt.plotsize(width, height)
            plt._set_size(width, height)  # see PlotextPlot.render: needed for resizing to work
            plt.theme(theme)
            self._draw(width, height)
            result: RenderResult = Text.from_ansi(plt.build())
        except Exception as error:  # noqa: BLE001 - a plotting glitch must never take the app down
            self.log.warning(f"LossPlot: plot build failed at {width}x{height}: {error!r}")
            result = Text("")
        self.build_count += 1
        self.last_build_seconds = perf_counter() - start
        self._cache_key, self._cache = key, result
        return result

    def _draw(self, width: int, height: int) -> None:
        """Put the (downsampled, finite) curves, limits, labels and lr marks into plotext."""
        plt = self.plt
        plt.clear_data()
        log = self.log_scale
        ylabel = "log10 loss" if log else "loss"
        plt.xlabel("epoch")
        plt.ylabel(ylabel)
        show_acc = self._classification and bool(np.isfinite(self._train_acc).any() or np.isfinite(self._test_acc).any())
        plt.title(f"{ylabel} · accuracy (right)" if show_acc else ylabel)
        epochs = self._epoch
        if len(epochs) == 0:
            return
        # The legend sits inside the plot: on short plots label only the loss lines, or nothing.
        rows = height - 5  # title, frame, tick labels and axis label take about five rows
        labelled = {"train loss", "test loss"} if rows >= 4 else set()
        if rows >= 12:
            labelled |= {"train acc", "test acc", "lr change"}
        max_points = max(2, width - 12)  # about one point per character column of the plot area
        plain = no_color()
        x_lo, x_hi = float(epochs[0]), float(epochs[-1])
        if x_hi <= x_lo:
            x_hi = x_lo + 1.0
        plt.xlim(x_lo, x_hi)

        y_lo, y_hi = math.inf, -math.inf
        curves = (
            (self._train_loss, "train loss", TRAIN_COLOR, "hd"),
            (self._test_loss, "test loss", TEST_COLOR, "dot" if plain else "hd"),
        )
        for values, label, color, marker in curves:
            if log:
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = np.log10(np.maximum(values, LOG_FLOOR))
            keep = np.isfinite(values)
            if not keep.any():
                continue
            xs, ys = downsample(epochs[keep], values[keep], max_points)
            y_lo, y_hi = min(y_lo, float(ys.min())), max(y_hi, float(ys.max()))
            plt.plot(xs.tolist(), ys.tolist(), label=label if label in labelled else None, color=color, marker=marker)
        if math.isfinite(y_lo):
            pad = (y_hi - y_lo) * 0.05 or max(abs(y_hi) * 0.1, 0.5)
            y_lo, y_hi = y_lo - pad, y_hi + pad
            plt.ylim(y_lo, y_hi)

        if show_acc:
            accs = (
                (self._train_acc, "train acc", _tint(TRAIN_COLOR), "braille"),
                (self._test_acc, "test acc", _tint(TEST_COLOR), "+" if plain else "braille"),
            )
            for values, label, color, marker in accs:
                keep = np.isfinite(values)
                if keep.any():
                    xs, ys = downsample(epochs[keep], values[keep], max_points)
                    plt.plot(
                        xs.tolist(), ys.tolist(), label=label if label in labelled else None,
                        color=color, marker=marker, yside="right",
                    )
            plt.ylim(0.0, 1.0, yside="right")

        self._draw_lr_marks(epochs, x_lo, x_hi, width, y_lo, y_hi, "lr change" in labelled)
        if self.marker_epoch is not None:
            plt.vline(float(self.marker_epoch), color=MARKER_COLOR)

    def _draw_lr_marks(
        self, epochs: Array, x_lo: float, x_hi: float, width: int, y_lo: float, y_hi: float, legend: bool
    ) -> None:
        """A purple vertical line at each learning-rate change, labelled with the new rate where it fits."""
        lr = self._lr
        if len(lr) < 2:
            return
        with np.errstate(invalid="ignore"):
            changed = ~np.isclose(lr[1:], lr[:-1], rtol=1e-9, atol=0.0)
        where = np.flatnonzero(changed) + 1
        if len(where) == 0:
            return
        plt = self.plt
        if len(where) > MAX_LR_MARKS:  # a schedule: draw the rate itself, scaled to the right axis
            keep = np.isfinite(lr) & (lr > 0)
            xs, ys = downsample(epochs[keep], lr[keep] / lr[keep].max(), max(2, width - 12))
            plt.plot(xs.tolist(), ys.tolist(), color=LR_COLOR, marker="braille", yside="right",
                     label="lr ÷ max" if legend else None)
            plt.ylim(0.0, 1.0, yside="right")
            return
        for i in where:
            plt.vline(float(epochs[i]), color=LR_COLOR)
        if not math.isfinite(y_lo):
            return
        if legend:
            # A legend entry: one "│" point drawn on top of the first mark itself, so it is invisible.
            # (A point outside the axes would be clipped, and plotext 5 crashes on a labelled empty series.)
            plt.scatter([float(epochs[where[0]])], [y_lo], label="lr change", color=LR_COLOR, marker="│")
        # Labels "lr 0.1" at the bottom, right of each mark, only where they don't run into the next mark.
        plot_cols = max(1, width - 12)
        per_col = (x_hi - x_lo) / plot_cols
        xs = [float(epochs[i]) for i in where] + [x_hi + per_col * 20]
        for k, i in enumerate(where):
            label = f"lr {lr[i]:g}"
            if (xs[k + 1] - xs[k]) / per_col >= len(label) + 2 and xs[k] + per_col * (len(label) + 1) <= x_hi:
                plt.text(label, xs[k] + per_col, y_lo, color=LR_COLOR, alignment="left")
