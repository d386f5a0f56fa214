"""Runs side by side in the TUI: the fork dialog, the loss plot's overlay, the status line's run."""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual.widgets import Input, Select

from nntui.engine.trainer import EpochStats
from nntui.live.metrics import MetricsLog
from nntui.live.protocol import RunFigures
from nntui.settings import FORKABLE, Settings
from nntui.tui.compare import ORDER, run_color, run_label
from nntui.tui.fork_dialog import ForkDialog
from nntui.tui.heatmap import Heatmap
from nntui.tui.loss_plot import LossPlot, PlotRun
from nntui.tui.status_bar import StatusBar
from tests.tui.test_tui_dialogs import Host, message
from tests.tui.helpers import make_app, status_text, wait_for
from tests.tui.test_tui_panels import PlotApp, epoch_ticks, loss_ticks


# ------------------------------------------------------------------ naming runs
def figures(run: int, label: str = "", **settings) -> RunFigures:
    stats = EpochStats(0, 1.0, 1.0, 0.5, 0.5, 0.0, (0.1,), 0.03)
    return RunFigures(run, label, np.empty(0), stats, 0.0, 0, None, None, True, Settings(**settings))


def test_the_dialog_offers_every_forkable_option_the_common_ones_first():
    assert set(ORDER) == FORKABLE
    assert ORDER[:5] == ("optimizer", "lr", "activation", "batch_size", "reg")


def test_a_run_without_a_label_is_named_by_what_the_others_change():
    runs = [figures(0), figures(1, "optimizer=adam", optimizer="adam"), figures(2, "lr=0.1", lr=0.1)]
    assert run_label(runs[0], runs) == "optimizer=sgd, lr=0.03"
    assert run_label(runs[1], runs) == "optimizer=adam"  # its own label, as forked
    assert run_label(runs[0], runs[:1]) == ""  # alone, nothing sets it apart


# ------------------------------------------------------------------ the fork dialog
async def test_fork_dialog_chooses_a_value_from_a_list():
    app = Host(ForkDialog(Settings(optimizer="sgd"), "run 1"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "now sgd" in message(app)
        await pilot.press("down", "down", "enter")  # momentum is offered first (sgd is the run's), then nesterov, adam
        await pilot.pause()
    assert app.results == [{"optimizer": "adam"}]


async def test_fork_dialog_types_a_number_checked_by_the_options_parser():
    app = Host(ForkDialog(Settings(lr=0.03), "run 1"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#option", Select).value = "lr"
        await pilot.pause()
        field = app.screen.query_one("#value", Input)
        assert field.display and field.value == "0.03"
        for bad, why in (("fast", "expected a number"), ("-1", "greater than 0"), ("0.03", "already")):
            field.value = bad
            field.focus()
            await pilot.press("enter")
            await pilot.pause()
            assert why in message(app) and "\n" not in message(app)
            assert app.results == []  # refused: the dialog stays open
        field.value = "0.3"
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [{"lr": 0.3}]


async def test_fork_dialog_escape_forks_nothing():
    app = Host(ForkDialog(Settings(), "run 1"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# ------------------------------------------------------------------ the loss plot
def falling(n: int, rate: float, start: float = 1.0) -> MetricsLog:
    """n epochs of a loss falling from ``start`` at this rate."""
    return MetricsLog.of([EpochStats(e, start * math.exp(-e * rate) + 0.05, start * 1.2 * math.exp(-e * rate) + 0.05,
                                     0.5, 0.6, 0.0, (0.1,), 0.03) for e in range(n)])


async def _runs_chart(runs: list[PlotRun], selected: int, size=(100, 24)) -> str:
    app = PlotApp()
    async with app.run_test(size=size) as pilot:
        plot = app.query_one(LossPlot)
        plot.set_runs(runs, selected, classification=True, now=True)
        await pilot.pause()
        return plot.render().plain


def two_runs(second_start: float = 1.0) -> list[PlotRun]:
    return [PlotRun("run 1", "optimizer=sgd", run_color(0), falling(200, 0.01)),
            PlotRun("run 2", "optimizer=adam", run_color(1), falling(120, 0.05, second_start))]


async def test_one_run_looks_as_it_always_did():
    log = falling(50, 0.05)
    alone = await _runs_chart([PlotRun("run 1", "", run_color(0), log)], 0)
    app = PlotApp()
    async with app.run_test(size=(100, 24)) as pilot:
        plot = app.query_one(LossPlot)
        plot.set_log(log, classification=True, now=True)
        await pilot.pause()
        assert plot.render().plain == alone
    assert "run 1" not in alone and "train loss" in alone


async def test_runs_side_by_side_share_a_chart_with_a_legend_naming_each():
    text = await _runs_chart(two_runs(), 1)
    legend, *rows = text.splitlines()
    assert "run 1 optimizer=sgd" in legend and "run 2 optimizer=adam" in legend
    assert "test loss" in legend and "train loss" not in legend and "acc" not in legend  # the selected run's test loss only
    assert not any("run" in row for row in rows)
    assert max(int(label) for label in epoch_ticks(text)) > 120  # the epoch axis reaches the longer run


async def test_runs_side_by_side_without_colour_are_told_apart_by_their_numbers(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    text = await _runs_chart(two_runs(), 0)
    legend, *rows = text.splitlines()
    assert legend.startswith("1 run 1") and "2 run 2" in legend
    left, right = rows[0].index("┌"), rows[0].index("┐")
    plot_area = "".join(row[left + 1 : right] for row in rows[1:-2])
    assert "1" in plot_area and "2" in plot_area


async def test_the_loss_axis_fits_every_run():
    text = await _runs_chart(two_runs(second_start=3.0), 0)  # the run not selected starts three times higher
    top = max(float(label) for label, _ in loss_ticks(text))
    assert top >= 3.0


async def test_a_narrow_legend_keeps_the_runs_numbers():
    text = await _runs_chart(two_runs(), 0, size=(40, 10))
    legend = text.splitlines()[0]
    assert "run 1" in legend and "run 2" in legend and "optimizer" not in legend
    assert len(legend) <= 40


# ------------------------------------------------------------------ the status line
STATUS = dict(epoch=12, stats=EpochStats(12, 0.5, 0.6, 0.8, 0.7, 0.0, (0.1,), 0.03), optimizer="adam",
              batch_size=10, state="running", epochs_per_second=20.0, pace=20.0, dataset="spiral", layers="2-8-8-1")


@pytest.mark.parametrize("width", [200, 120, 80, 60, 40])
def test_the_status_line_names_the_selected_run_and_drops_its_label_first(width):
    text = StatusBar.build_text(width, run=("run 2/3", "optimizer=adam", run_color(1)), **STATUS).plain
    assert "run 2/3" in text and len(text) <= width
    if width >= 120:
        assert "run 2/3  optimizer=adam" in text
    if "optimizer=adam" not in text:
        assert "spiral" not in text  # the dataset goes before the run's label


def test_the_status_line_of_one_run_names_none():
    assert "run" not in StatusBar.build_text(200, **STATUS).plain.replace("running", "")


# ------------------------------------------------------------------ the app: fork, select, close
def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


def runs(app) -> tuple:
    return () if app.latest is None else app.latest.runs


async def fork(pilot, *keys: str) -> None:
    """f, then these keys in the dialog (its first list: the optimizers)."""
    app = pilot.app
    await pilot.press("f")
    await wait_for(pilot, lambda: isinstance(app.screen, ForkDialog))
    await pilot.press(*keys)


async def test_fork_sgd_against_adam_on_one_chart_select_and_close():
    app = make_app(dataset="spiral", layers="8,8", optimizer="sgd")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await fork(pilot, "down", "down", "enter")  # momentum, nesterov, adam
        await wait_for(pilot, lambda: len(runs(app)) == 2)
        assert any("optimizer=adam" in n and "same initial weights" in n for n in notes(app))
        assert app.latest.run == 0  # the fork is not selected
        # Both train, from the same start.
        await pilot.press("space")
        await wait_for(pilot, lambda: all(len(app.live.logs.get(r.run, ())) >= 4 for r in runs(app)))
        await pilot.press("space")
        await wait_for(pilot, lambda: app.state == "paused")
        first = [app.live.logs[r.run].table()[0] for r in runs(app)]
        np.testing.assert_allclose(first[0][1:3], first[1][1:3])  # epoch 0's losses: the same weights
        await pilot.pause(0.1)
        legend = app.query_one(LossPlot).render().plain.splitlines()[0]
        assert "run 1 optimizer=sgd" in legend and "run 2 optimizer=adam" in legend
        assert "run 1/2" in status_text(app)
        # k: the other run's network on every panel.
        heatmap = app.query_one(Heatmap)
        before, W_before = heatmap.values.copy(), [w.copy() for w in app.view.net.W]
        await pilot.press("k")
        await wait_for(pilot, lambda: app.latest is not None and app.latest.run == 1
                       and app.view.epoch == app.latest.snapshot.epoch)
        await wait_for(pilot, lambda: "run 2/2" in status_text(app))
        assert "optimizer=adam" in status_text(app)
        assert any(not np.allclose(a, b) for a, b in zip(app.view.net.W, W_before))
        await wait_for(pilot, lambda: not np.allclose(heatmap.values, before))
        # K: closed, one run left (the first), drawn as before.
        await pilot.press("K")
        await wait_for(pilot, lambda: len(runs(app)) == 1)
        await wait_for(pilot, lambda: app.latest is not None and app.latest.run == 0
                       and "run 1" not in status_text(app))
        assert "run 1" not in app.query_one(LossPlot).render().plain


async def test_a_fork_with_another_activation_is_drawn_with_it():
    app = make_app(dataset="circle", activation="tanh")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await fork(pilot)
        dialog = app.screen
        dialog.query_one("#option", Select).value = "activation"
        await pilot.pause()
        await pilot.press("enter")  # relu: the first activation after tanh
        await wait_for(pilot, lambda: len(runs(app)) == 2)
        await pilot.press("k")
        await wait_for(pilot, lambda: app.latest is not None and app.latest.run == 1
                       and app.view.epoch == app.latest.snapshot.epoch)
        assert app.view.net.hidden.name == "relu"
        assert app.settings.activation == "relu"  # what ctrl+s saves and x exports with its weights
        await pilot.press("k")  # back to the first run: tanh again
        await wait_for(pilot, lambda: app.latest is not None and app.latest.run == 0
                       and app.view.epoch == app.latest.snapshot.epoch)
        assert app.view.net.hidden.name == "tanh"
        await pilot.press("k", "r")  # a reset starts afresh with the run shown alone
        await wait_for(pilot, lambda: app.latest is not None and len(runs(app)) == 1)
        assert app.settings.activation == "relu" and app.view.net.hidden.name == "relu"


async def test_the_fork_dialog_refuses_a_bad_value_and_four_runs_are_the_most():
    app = make_app(dataset="circle")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await fork(pilot)
        app.screen.query_one("#option", Select).value = "batch_size"
        await pilot.pause()
        app.screen.query_one("#value", Input).value = "0"
        app.screen.query_one("#value", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ForkDialog) and "at least 1" in message(app)
        for value in ("20", "30", "40"):
            app.screen.query_one("#value", Input).value = value
            await pilot.press("enter")
            await wait_for(pilot, lambda: not isinstance(app.screen, ForkDialog))
            await wait_for(pilot, lambda value=value: any(r.label == f"batch-size={value}" for r in runs(app)))
            if value != "40":
                await fork(pilot)
                app.screen.query_one("#option", Select).value = "batch_size"
                await pilot.pause()
                app.screen.query_one("#value", Input).focus()
        assert len(runs(app)) == 4
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, ForkDialog)
        assert any("at most 4 runs" in n for n in notes(app))
