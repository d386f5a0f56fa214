"""SVG snapshots of the main screen, paused at a fixed seed and epoch (deterministic).

Update them after an intended change of the look with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.tui.helpers import settle_trained, trained_app


SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_main_screen(snap_compare, size):
    assert snap_compare(trained_app(50), terminal_size=size, run_before=settle_trained)


@SIZES
def test_main_screen_two_hidden_layers(snap_compare, size):
    """2-D data and an 8,8 network: every neuron a tile, the loss chart and the heatmap at each size."""
    assert snap_compare(trained_app(30, dataset="spiral", layers="8,8", optimizer="adam"),
                        terminal_size=size, run_before=settle_trained)


@SIZES
def test_four_class_blobs(snap_compare, size):
    """Four classes: a square plane with its class legend beside the confusion matrix."""
    assert snap_compare(trained_app(20, dataset="blobs", classes=4, layers="8"),
                        terminal_size=size, run_before=settle_trained)


@SIZES
def test_digits_at_each_size(snap_compare, size):
    """Image data: the first layer's weights as pictures, the test digits, the whole confusion matrix."""
    assert snap_compare(trained_app(3, dataset="digits", layers="32", optimizer="adam", lr=0.01),
                        terminal_size=size, run_before=settle_trained)


def test_main_screen_spiral_with_selected_neuron(snap_compare):
    async def select(pilot):
        await settle_trained(pilot)
        pilot.app.dashboard.diagram.focus()
        await pilot.press("right", "right", "down")
        await pilot.pause()

    assert snap_compare(trained_app(30, dataset="spiral", layers="8,8", optimizer="adam"),
                        terminal_size=(120, 40), run_before=select)


def test_probe(snap_compare):
    async def probe(pilot):
        await settle_trained(pilot)
        await pilot.press("c", "right", "right", "right", "up", "up")
        await pilot.pause()

    assert snap_compare(trained_app(50), terminal_size=(120, 40), run_before=probe)


def test_inspector_phase_stepping(snap_compare):
    from nntui.tui.inspector_screen import InspectorScreen

    async def phases(pilot):
        await settle_trained(pilot)
        app = pilot.app
        for n in (1, 2, 3):  # forward, loss, backward of the output layer
            await pilot.press("p")
            while not (isinstance(app.screen, InspectorScreen) and app.screen.trace.n_done == n):
                await pilot.pause(0.01)
        await pilot.pause()

    assert snap_compare(trained_app(20), terminal_size=(120, 40), run_before=phases)


@pytest.mark.parametrize("phases", [1, 2, 6])  # forward; loss (no δ yet); the update (4,2: three backward phases)
def test_inspector_phase(snap_compare, phases):
    from nntui.tui.inspector_screen import InspectorScreen

    async def step(pilot):
        await settle_trained(pilot)
        app = pilot.app
        for n in range(1, phases + 1):
            await pilot.press("p")
            while not (isinstance(app.screen, InspectorScreen) and app.screen.trace.n_done == n):
                await pilot.pause(0.01)
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(trained_app(20), terminal_size=(120, 40), run_before=step)


def test_inspector_look_only(snap_compare):
    """`i`: a step on one training sample, which says the weights are not changed."""
    from nntui.tui.inspector_screen import InspectorScreen

    async def look(pilot):
        await settle_trained(pilot)
        await pilot.press("i")
        while not isinstance(pilot.app.screen, InspectorScreen):
            await pilot.pause(0.01)
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(trained_app(20), terminal_size=(80, 24), run_before=look)
