"""SVG snapshots of the hidden-space view and the layer statistics, paused at a fixed seed and
epoch, on weights rounded to a grid (see test_snapshots.trained_app): they hold on any CPU.

Update them after an intended change of the look with:
pytest tests/tui/test_snapshots_layer_views.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.tui.helpers import settle_trained, trained_app, wait_for
from nntui.tui.hidden_space import HiddenSpaceScreen
from nntui.tui.layer_stats import LayerStatsScreen


def open_panel(key: str, screen: type, *more: str):
    """run_before: settle_trained, open the panel with ``key``, press ``more``, wait for its first frame."""

    async def run(pilot) -> None:
        await settle_trained(pilot)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, screen))
        await pilot.press(*more)
        await pilot.pause()

    return run


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_hidden_space(snap_compare, size):
    app = trained_app(30, dataset="spiral", layers="8,8", optimizer="adam")
    assert snap_compare(app, terminal_size=size, run_before=open_panel("h", HiddenSpaceScreen, "right_square_bracket"))


def test_layer_stats_deep_sigmoid(snap_compare):
    app = trained_app(50, dataset="spiral", layers="6,6,6,6,6,6", activation="sigmoid")
    assert snap_compare(app, terminal_size=(120, 40), run_before=open_panel("y", LayerStatsScreen))


def test_layer_stats_relu_80x24(snap_compare):
    app = trained_app(20, dataset="spiral", layers="6,6,6", activation="relu", lr=0.3)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_panel("y", LayerStatsScreen))
