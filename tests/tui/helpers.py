"""Helpers the TUI tests share: an app on given options, waiting for a condition, reading the screen."""

from __future__ import annotations

import time

import numpy as np
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Static

from nntui.live.metrics import stats_rows
from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.app import NNTuiApp
from nntui.tui.status_bar import StatusBar


def make_app(**options) -> NNTuiApp:
    """The app on these options, paused and (once resumed) at full speed unless they say otherwise."""
    options.setdefault("paused", True)
    options.setdefault("speed", "full")
    return NNTuiApp(build_session(merge(options)))


async def wait_for(pilot, condition, timeout: float = 20.0) -> None:
    """Let the app run until condition() holds (fails the test after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await pilot.pause(0.01)


def epoch(app: NNTuiApp) -> int:
    return -1 if app.latest is None else app.latest.snapshot.epoch


async def step_to(pilot, app: NNTuiApp, last: int) -> None:
    """Press s until the app shows epoch ``last``, waiting for each epoch in turn."""
    await wait_for(pilot, lambda: app.latest is not None)
    for n in range(epoch(app) + 1, last + 1):
        await pilot.press("s")
        await wait_for(pilot, lambda n=n: epoch(app) == n)


def status_text(app: NNTuiApp) -> str:
    return str(app.query_one(StatusBar).render())


def rgb(color) -> tuple[int, int, int] | None:
    """(r, g, b) of a Rich colour, or None."""
    if color is None:
        return None
    t = color.get_truecolor()
    return (t.red, t.green, t.blue)


def cells(strip: Strip) -> list[tuple[str, tuple | None, tuple | None]]:
    """One (char, fg, bg) per cell of a strip."""
    out = []
    for segment in strip:
        style = segment.style
        for char in segment.text:
            out.append((char, rgb(style.color) if style else None, rgb(style.bgcolor) if style else None))
    return out


def rendered_text(screen) -> str:
    """What every Static of the screen renders (its whole height, scrolled into view or not)."""
    out = []
    for static in screen.query(Static):
        if not static.display or static.outer_size.area == 0:
            continue
        width, height = static.outer_size  # with the border, if any
        lines = static.render_lines(Region(0, 0, width, height))
        out.append("\n".join(line.text for line in lines))
    return "\n".join(out)


async def type_path(pilot, text: str) -> None:
    """Type a path into the open dialog and press Enter."""
    field = pilot.app.screen.query_one("Input")
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


def screen_rows(app) -> list[str]:
    """The text of every row of the screen, as a terminal would show it."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def first_frame(pilot, app) -> None:
    """Wait for the first frame, and for the key bar to fit its keys."""
    await wait_for(pilot, lambda: app.dashboard.drawn)
    await pilot.pause()
    await pilot.pause()


GRID = 2.0**-8  # trained weights are rounded to this grid: see trained_app


def trained_app(epochs: int, **options) -> NNTuiApp:
    """The app on a session paused after ``epochs`` epochs, its loss plot holding them.

    The weights are rounded to a coarse grid, so the picture never depends on the last bits
    that a CPU's BLAS kernels leave in 100 epochs of training: the snapshots hold on any CPU.
    """
    session = build_session(merge({"paused": True, **options}))
    trainer = session.trainer
    log = [trainer.stats] + [trainer.step_epoch() for _ in range(epochs)]
    trainer.net.params[...] = np.round(trainer.net.params / GRID) * GRID
    trainer.stats = trainer.evaluate()
    app = NNTuiApp(session)
    app.earlier = log[:-1]
    return app


async def settle_trained(pilot) -> None:
    """Wait until the first update from the (paused) training process has been drawn."""
    app = pilot.app
    while app.latest is None:
        await pilot.pause(0.01)
    # The epochs trained before the app started, and then the one the training process sent.
    app.live.log.extend(stats_rows([*app.earlier, app.latest.snapshot.stats]))
    app.dashboard.plot.flush()
    await pilot.pause()
