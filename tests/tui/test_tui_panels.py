"""Tests for the loss plot, the status bar and the help screen."""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding

from nntui.engine.trainer import EpochStats
from nntui.tui.help_screen import HelpScreen
from nntui.tui.loss_plot import LossPlot, downsample, lr_changes
from nntui.tui.status_bar import StatusBar


def make_history(n: int, *, lr_at: dict[int, float] | None = None, nan_from: int | None = None) -> list[EpochStats]:
    """n epochs of a smoothly falling loss and rising accuracy; lr_at maps epoch -> new rate."""
    out, lr = [], 0.03
    for e in range(n):
        lr = (lr_at or {}).get(e, lr)
        loss = math.exp(-e / (n / 4 + 1)) + 0.05
        test = loss * 1.2
        if nan_from is not None and e >= nan_from:
            loss = test = math.nan
        out.append(EpochStats(e, loss, test, 1 - loss / 2, 1 - test / 2, 0.0, (0.1,), lr))
    return out


# ------------------------------------------------------------------ pure functions
@pytest.mark.parametrize("n, max_points", [(0, 10), (1, 10), (10, 10), (11, 10), (10_000, 160), (10_001, 7), (5, 1)])
def test_downsample_bounds_and_endpoints(n: int, max_points: int) -> None:
    x = np.arange(n, dtype=float)
    y = x**2
    xs, ys = downsample(x, y, max_points)
    assert len(xs) == len(ys) <= max(max_points, 1) + 1
    if n:
        assert xs[0] == 0 and xs[-1] == n - 1
        assert np.all(np.diff(xs) > 0)
        np.testing.assert_array_equal(ys, xs**2)


def test_lr_changes() -> None:
    assert lr_changes(np.array([])) == []
    assert lr_changes(np.array([0.03])) == []
    assert lr_changes(np.full(20, 0.03)) == []
    lr = np.array([h.lr for h in make_history(20, lr_at={5: 0.1, 6: 0.3, 12: 0.03})])
    assert lr_changes(lr) == [5, 6, 12]


# ------------------------------------------------------------------ LossPlot
class PlotApp(App):
    """Just a loss plot."""

    def compose(self) -> ComposeResult:
        yield LossPlot()


async def _render(app: App, pilot) -> LossPlot:
    """Let the app paint, then return the plot."""
    await pilot.pause()
    return app.query_one(LossPlot)


@pytest.mark.parametrize("n", [0, 1, 10_000])
async def test_loss_plot_builds(n: int) -> None:
    app = PlotApp()
    async with app.run_test(size=(100, 30)) as pilot:
        plot = app.query_one(LossPlot)
        plot.set_history(make_history(n, lr_at={n // 2: 0.1} if n > 2 else None), classification=True)
        await pilot.pause()
        assert plot.build_count >= 1
        text = plot.render().plain
        assert "epoch" in text and "loss" in text
        if n:
            assert "train loss" in text and "test loss" in text
            # Downsampled to about the plot's width; the right axis holds accuracy.
            series_lengths = [len(x) for x in plot.plt.monitor.x]
            assert series_lengths and max(series_lengths) <= 100
            assert "right" in plot.plt.monitor.yside
        if n == 10_000:
            assert plot.plt.monitor.vcoord[0] == [5000.0]  # the learning-rate mark
            assert "lr 0.1" in text


async def test_loss_plot_history_set_before_mount() -> None:
    plot = LossPlot()
    plot.set_history(make_history(10), classification=True)

    class EarlyApp(App):
        def compose(self) -> ComposeResult:
            yield plot

    async with EarlyApp().run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        assert len(plot._epoch) == 10 and "train loss" in plot.render().plain


async def test_loss_plot_log_scale_and_regression() -> None:
    app = PlotApp()
    async with app.run_test(size=(100, 30)) as pilot:
        plot = app.query_one(LossPlot)
        history = [EpochStats(e, 10.0 ** -e, None, None, None, 0.0, (), 0.1) for e in range(6)]
        plot.set_history(history, classification=False)
        plot.log_scale = True
        await pilot.pause()
        text = plot.render().plain
        assert "log scale" in text and "acc" not in text and "%" not in text
        assert min(plot.plt.monitor.y[0]) == pytest.approx(-5.0)  # log10 of the loss, on a linear axis
        # The ticks name the losses themselves, a decade apart (some of 1e-5 … 1).
        labels = [label for label, _ in loss_ticks(text)]
        assert set(labels) <= {"1e-05", "0.0001", "0.001", "0.01", "0.1", "1"} and len(labels) >= 2


async def test_loss_plot_survives_nan_and_tiny_sizes() -> None:
    app = PlotApp()
    async with app.run_test(size=(100, 30)) as pilot:
        plot = app.query_one(LossPlot)
        plot.set_history(make_history(50, nan_from=30), classification=True)
        plot.flush()
        await pilot.pause()
        assert all(math.isfinite(v) for ys in plot.plt.monitor.y for v in ys)
        assert max(max(xs) for xs in plot.plt.monitor.x[:2]) == 29  # the diverged epochs are dropped
        for size in [(10, 4), (1, 1), (25, 7), (100, 30)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            plot.render()
        # Everything NaN (diverged at once) still draws axes.
        plot.set_history(make_history(5, nan_from=0, lr_at={2: 1.0}), classification=True)
        plot.flush()
        await pilot.pause()
        assert "epoch" in plot.render().plain


async def test_loss_plot_throttles_redraws() -> None:
    app = PlotApp()
    async with app.run_test(size=(100, 30)) as pilot:
        plot = await _render(app, pilot)
        before = plot.build_count
        history = make_history(300)
        for i in range(100):
            plot.set_history(history[: i + 1], classification=True)
        await pilot.pause()
        await pilot.pause()
        assert 1 <= plot.build_count - before <= 2
        # The last history is drawn once the throttle interval has passed (here: forced).
        plot.flush()
        await pilot.pause()
        assert len(plot._epoch) == 100



# ------------------------------------------------------------------ LossPlot: reading the rendered chart
def loss_ticks(text: str) -> list[tuple[str, int]]:
    """The loss axis's tick labels (left of "┤") and their line numbers."""
    return [(line.split("┤")[0].strip(), i) for i, line in enumerate(text.splitlines()) if "┤" in line.split("│")[0]]


def epoch_ticks(text: str) -> list[str]:
    """The epoch axis's tick labels (the last line, which ends with the axis's name)."""
    last = text.splitlines()[-1]
    assert last.rstrip().endswith("epoch")
    return last.rstrip()[: -len("epoch")].split()


def diverged_history(healthy: int = 40) -> list[EpochStats]:
    """A run that learns for a while, then blows up (huge but finite losses) and ends in NaN."""
    history = make_history(healthy)
    for k in range(5):
        loss = 10.0 ** (3 + 60 * k)
        history.append(EpochStats(healthy + k, loss, loss, 0.5, 0.5, 0.0, (0.1,), 0.03))
    history.append(EpochStats(healthy + 5, math.nan, math.nan, 0.5, 0.5, 0.0, (math.nan,), 0.03))
    return history


async def _chart(history: list[EpochStats], size=(100, 30), classification=True, **state) -> tuple[LossPlot, str]:
    app = PlotApp()
    async with app.run_test(size=size) as pilot:
        plot = app.query_one(LossPlot)
        plot.set_history(history, classification=classification, now=True)
        for name, value in state.items():
            setattr(plot, name, value)
        await pilot.pause()
        return plot, plot.render().plain


@pytest.mark.parametrize("size", [(38, 8), (48, 11), (58, 17), (98, 27)])  # the panel at 80x24 … 200x60
@pytest.mark.parametrize("kind", ["normal", "few", "diverged", "log", "rewound"])
async def test_loss_chart_reads_at_a_glance(size, kind) -> None:
    history = {"few": make_history(3), "diverged": diverged_history()}.get(kind, make_history(1613, lr_at={900: 0.1}))
    state = {"log": {"log_scale": True}, "rewound": {"marker_epoch": 700}}.get(kind, {})
    plot, text = await _chart(history, size, **state)
    lines = text.splitlines()
    width, height = size
    assert len(lines) == height and all(len(line) <= width for line in lines)  # nothing wrapped or cut
    # The legend is a line of its own above the axes, never on a data row.
    assert "train" in lines[0] and "test" in lines[0] and "acc" in lines[0]
    assert not any(word in line for line in lines[1:] for word in ("train", "test"))
    # The loss axis: ticks from 0 (or, on a log scale, positive losses), never below zero.
    ticks = [label for label, _ in loss_ticks(text)]
    assert len(ticks) >= 2 and all(float(t) >= 0 for t in ticks)
    if kind != "log":
        assert float(ticks[-1]) == 0  # the bottom tick
    # Accuracy on the right axis, in per cent, whole: "100%" and "0%".
    assert "├100%" in text and "├0%" in text
    # Whole-number epochs, from the first; the axis spans at least MIN_EPOCHS.
    epochs = [int(t.replace(",", "")) for t in epoch_ticks(text)]
    assert epochs[0] == 0 and epochs == sorted(epochs) and len(epochs) >= 2
    assert plot.plt.monitor.xlim[0][1] >= 10
    if kind == "rewound":  # the run as it was at the epoch viewed
        assert plot.plt.monitor.xlim[0][1] == 700 and max(max(x) for x in plot.plt.monitor.x) <= 700
        assert max(epochs) <= 700
    if kind == "diverged":
        assert "diverged" in text


async def test_loss_chart_after_a_divergence_keeps_the_healthy_history() -> None:
    plot, text = await _chart(diverged_history(40))
    monitor = plot.plt.monitor
    # Axes, ticks and both loss curves up to the run-up; the loss axis fits the healthy part.
    assert "┤" in text and "train loss" in text
    assert all(max(x) < 45 for x in monitor.x)  # the NaN epoch and what came with it are not drawn
    top = monitor.ylim[0][1]
    assert 1.2 <= top < 2  # the healthy losses reach 1.26: the run-up to 1e243 is off the top
    assert all(math.isfinite(v) and v <= top + 3 * top for ys in monitor.y for v in ys)
    assert "↑" in text  # the run-up is marked where it leaves the axes
    # The divergence is marked: a line at the epoch whose loss is NaN, labelled.
    assert monitor.vcoord[0] == [45.0] and "diverged" in text
    # Rewound to a healthy epoch, the chart is the healthy run.
    plot, text = await _chart(diverged_history(40), marker_epoch=30)
    assert "diverged" not in text and "↑" not in text and plot.plt.monitor.xlim[0][1] == 30


async def test_loss_chart_of_a_few_epochs_is_not_squashed() -> None:
    plot, text = await _chart(make_history(3), size=(60, 20))
    assert plot.plt.monitor.xlim[0] == [0.0, 10.0]
    assert epoch_ticks(text) == ["0", "2", "4", "6", "8", "10"] or epoch_ticks(text) == [str(e) for e in range(10)]


async def test_loss_chart_of_a_long_run_labels_epochs_in_one_format() -> None:
    plot, text = await _chart(make_history(25_000), size=(58, 18))
    labels = epoch_ticks(text)
    assert labels[0] == "0" and all(label.endswith("k") for label in labels[1:])  # not "5,000 … 10k"
    plot, text = await _chart(make_history(1_613), size=(58, 18))
    assert all(label.replace(",", "").isdigit() for label in epoch_ticks(text))


async def test_loss_chart_without_colour_tells_the_curves_apart(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    plot, text = await _chart(make_history(200), size=(80, 24))
    legend = text.splitlines()[0]
    assert "▚ train loss" in legend and "• test loss" in legend and "+ test acc" in legend
    assert "•" in text.split("\n", 1)[1] and "+" in text.split("\n", 1)[1]


async def test_loss_plot_follows_every_frame_while_a_build_is_cheap(monkeypatch) -> None:
    import nntui.tui.loss_plot as loss_plot

    clock = [1000.0]
    monkeypatch.setattr(loss_plot, "monotonic", lambda: clock[0])
    app = PlotApp()
    async with app.run_test(size=(100, 30)) as pilot:
        plot = app.query_one(LossPlot)
        history = make_history(10)
        plot.set_history(history[:2], classification=True)
        plot.last_build_seconds = 0.002
        assert plot.throttle() == pytest.approx(0.002 / loss_plot.BUILD_SHARE)
        for n in range(3, 8):
            clock[0] += 1 / 20  # the app's frames at a paced speed
            plot.set_history(history[:n], classification=True)
            assert len(plot._epoch) == n
        plot.last_build_seconds = 10.0  # a slow build: at most every MIN_INTERVAL
        assert plot.throttle() == loss_plot.MIN_INTERVAL
        await pilot.pause()


# ------------------------------------------------------------------ StatusBar
class StatusApp(App):
    """Just a status bar."""

    def compose(self) -> ComposeResult:
        yield StatusBar()


async def test_status_bar_shows_figures_and_divergence() -> None:
    app = StatusApp()
    async with app.run_test(size=(100, 10)) as pilot:
        bar = app.query_one(StatusBar)
        stats = EpochStats(42, 0.1234, 0.2345, 0.95, 0.9, 0.0, (1.0,), 0.03)
        bar.update_status(epoch=42, stats=stats, optimizer="adam", batch_size=10, state="running",
                          epochs_per_second=123.4, dataset="spiral", layers="2-8-1")
        await pilot.pause()
        text = str(bar.render())
        assert "epoch 42" in text and "0.1234" in text and "0.2345" in text
        assert "lr 0.03" in text and "95.0%" in text and "running" in text
        assert bar.has_class("-running") and not bar.has_class("-diverged")

        bad = EpochStats(12, math.nan, math.nan, 0.5, 0.5, 0.0, (math.nan,), 10.0)
        message = "diverged at epoch 12: the loss is NaN. Lower the learning rate and reset"
        bar.update_status(epoch=12, stats=bad, optimizer="sgd", batch_size=10, state="diverged",
                          epochs_per_second=0.0, message=message)
        await pilot.pause()
        text = str(bar.render())
        assert "diverged" in text and "Lower the learning rate" in text and "nan" in text
        assert bar.has_class("-diverged") and not bar.has_class("-running")
        assert bar.state == "diverged"


def test_status_text_fits_narrow_widths() -> None:
    stats = EpochStats(12345, 0.1234, 0.2345, 0.95, 0.9, 0.0, (1.0,), 0.003)
    for width in (20, 40, 80, 200):
        text = StatusBar.build_text(width, epoch=12345, stats=stats, optimizer="adam", batch_size=32,
                                    state="paused", epochs_per_second=1500.0, dataset="xor", layers="2-4-1")
        lines = text.plain.split("\n")
        assert len(lines) <= 2
        assert all(len(line) <= width for line in lines)
        assert "paused" in lines[0]
    assert "\n" not in text.plain  # 200 columns: everything on one line


# ------------------------------------------------------------------ HelpScreen
class HelpApp(App):
    """An app with a ? binding that opens the help."""

    BINDINGS = [Binding("question_mark", "help", "Help")]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(extra="Extra note from the app."))


async def test_help_screen_opens_and_closes() -> None:
    app = HelpApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Extra note from the app." in app.screen.query_one("#help-text").source
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_loss_plot_applies_with_a_frame_once_the_interval_has_passed(monkeypatch) -> None:
    import nntui.tui.loss_plot as loss_plot

    clock = [1000.0]
    monkeypatch.setattr(loss_plot, "monotonic", lambda: clock[0])
    app = PlotApp()
    async with app.run_test(size=(100, 30)) as pilot:
        plot = app.query_one(LossPlot)
        plot.last_build_seconds = 1.0  # a slow build: redraws at most every MIN_INTERVAL
        history = make_history(10)
        plot.set_history(history[:2], classification=True)  # long after any redraw: applied at once
        assert len(plot._epoch) == 2
        clock[0] += 0.5 * loss_plot.MIN_INTERVAL
        plot.set_history(history[:3], classification=True)  # too soon: kept for later
        assert len(plot._epoch) == 2
        plot.set_history(history[:4], classification=True, now=True)  # paused: drawn at once
        assert len(plot._epoch) == 4
        clock[0] += 0.95 * loss_plot.MIN_INTERVAL  # a frame arriving a little early still counts
        plot.set_history(history[:5], classification=True)
        assert len(plot._epoch) == 5
        await pilot.pause()
