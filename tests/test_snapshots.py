"""SVG snapshots of the main screen, paused at a fixed seed and epoch (deterministic).

Update them after an intended change of the look with: pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.app import NNTuiApp


def trained_app(epochs: int, **options) -> NNTuiApp:
    session = build_session(merge({"paused": True, **options}))
    for _ in range(epochs):
        session.trainer.step_epoch()
    return NNTuiApp(session)


async def settle(pilot) -> None:
    """Wait until the first update from the (paused) training thread has been drawn."""
    app = pilot.app
    while app.latest is None:
        await pilot.pause(0.01)
    app.plot.flush()
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_main_screen(snap_compare, size):
    assert snap_compare(trained_app(50), terminal_size=size, run_before=settle)


def test_main_screen_spiral_with_selected_neuron(snap_compare):
    async def select(pilot):
        await settle(pilot)
        pilot.app.diagram.focus()
        await pilot.press("right", "right", "down")
        await pilot.pause()

    assert snap_compare(trained_app(100, dataset="spiral", layers="8,8", optimizer="adam"),
                        terminal_size=(120, 40), run_before=select)


def test_digits_screen(snap_compare):
    assert snap_compare(trained_app(3, dataset="digits", layers="32", optimizer="adam", lr=0.01),
                        terminal_size=(120, 40), run_before=settle)


def test_probe(snap_compare):
    async def probe(pilot):
        await settle(pilot)
        await pilot.press("c", "right", "right", "right", "up", "up")
        await pilot.pause()

    assert snap_compare(trained_app(50), terminal_size=(120, 40), run_before=probe)


def test_inspector_phase_stepping(snap_compare):
    from nntui.tui.inspector_screen import InspectorScreen

    async def phases(pilot):
        await settle(pilot)
        app = pilot.app
        for n in (1, 2, 3):  # forward, loss, backward of the output layer
            await pilot.press("p")
            while not (isinstance(app.screen, InspectorScreen) and app.screen.trace.n_done == n):
                await pilot.pause(0.01)
        await pilot.pause()

    assert snap_compare(trained_app(20), terminal_size=(120, 40), run_before=phases)
