"""The TUI under random keys and resizes, networks changing shape under it, and its threads ending with it."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest
from textual import events


from tests.tui.helpers import make_app, wait_for

pytestmark = pytest.mark.usefixtures("in_tmp_cwd")  # whatever a key writes lands in a fresh folder


FUZZ_KEYS = [
    "space", "s", "b", "p", "i", "c", "left_square_bracket", "right_square_bracket", "left_curly_bracket",
    "right_curly_bracket", "plus", "minus", "r", "n", "t", "d", "a", "o", "l", "e", "question_mark", "escape",
    "enter", "up", "down", "left", "right", "tab", "end", "less_than_sign", "greater_than_sign", "0", "1", "delete",
]
NEVER = {"q", "ctrl+s", "ctrl+o", "x"}
N_FUZZ_KEYS = 250
CHARS = {
    "space": " ", "plus": "+", "minus": "-", "question_mark": "?", "left_square_bracket": "[",
    "right_square_bracket": "]", "left_curly_bracket": "{", "right_curly_bracket": "}",
    "less_than_sign": "<", "greater_than_sign": ">", "enter": "\r", "tab": "\t", "escape": "\x1b",
}


async def press_fast(pilot, key: str) -> None:
    """pilot.press without its waits for an idle CPU (which, while training runs at full speed,
    cost up to 2 s a key): send the key as the terminal would, then let the screen process it."""
    app = pilot.app
    event = events.Key(key, CHARS.get(key, key if len(key) == 1 else None))
    event.set_sender(app)
    app._driver.send_message(event)
    await pilot._wait_for_screen()


async def _back_to_main(pilot, app) -> None:
    """Escape until the main screen is back (a dialog may need two: one for an open dropdown)."""
    for _ in range(10):
        if len(app.screen_stack) == 1:
            return
        await press_fast(pilot, "escape")
        await pilot.pause(0.01)
    assert len(app.screen_stack) == 1, app.screen_stack


async def test_random_keys_and_resizes_never_crash_and_q_still_quits():
    keys = FUZZ_KEYS
    assert not NEVER & set(keys)
    # The whole plan is drawn first, so the sequence is the same whatever the timing.
    rng = random.Random(1234)
    plan = []
    for _ in range(N_FUZZ_KEYS):
        key, r, delay = rng.choice(keys), rng.random(), rng.choice([0, 0.005, 0.02])
        tiny = (rng.randint(1, 20), rng.randint(1, 8))
        size = rng.choice([tiny, (rng.randint(20, 200), rng.randint(8, 60))]) if rng.random() < 0.015 else None
        plan.append((key, r, delay, size, rng.random() < 0.1))
    assert sum(1 for p in plan if p[3]) >= 2  # a few resizes
    app = make_app(paused=False)
    screens_seen: set[str] = set()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.view.epoch >= 0)
        for key, r, delay, size, escape in plan:
            await press_fast(pilot, key)
            screens_seen.add(type(app.screen).__name__)
            if r < 0.01:
                await pilot.pause()  # until the CPU is idle (at most 1 s)
            elif r < 0.12:
                await pilot.pause(delay)
            if size:
                await pilot.resize_terminal(*size)
            if escape:
                await _back_to_main(pilot, app)
            if app.return_code is not None:
                break  # the app died: run_test re-raises its exception on the way out
            assert app.is_running
        assert app.return_code is None
        await pilot.resize_terminal(120, 40)
        await _back_to_main(pilot, app)
        assert app.return_code is None and app.generation > 0  # the keys did act (d/r/n/a/o rebuild)
        process = app.live.process
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=10)
    assert app.return_code == 0
    assert not process.is_alive()
    assert {"Screen", "InspectorScreen", "HelpScreen", "SettingsForm"} <= screens_seen, screens_seen


# Found by the fuzz (an old snapshot drawn on the new network: Network.set_weights ValueError); fixed in beaed4a.
async def test_rewound_then_next_dataset_with_another_shape():
    app = make_app(dataset="moons")  # the next dataset, blobs, has 3 outputs instead of 1
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: app.latest is not None and app.latest.snapshot.epoch == 2)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 1)
        await pilot.press("d")
        await wait_for(pilot, lambda: app.return_code is not None or (app.latest is not None and app.latest.generation >= 1))
        if app.return_code is None:
            await pilot.press("q")
    assert app.return_code == 0 and app.settings.dataset == "blobs"


# Found by the fuzz (the probe drawn on a diagram of the old shape); fixed in beaed4a.
async def test_probe_right_after_next_dataset_with_another_shape():
    app = make_app(dataset="moons")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        app.live.replace = lambda *args, **kwargs: None  # the new network's first update never comes
        await pilot.press("d")
        await pilot.press("c")
        await pilot.pause(0.05)
        assert app.return_code is None and app.latest is None  # nothing drawn of the new network yet
        await pilot.press("q")
    assert app.return_code == 0 and app.settings.dataset == "blobs" and app.probe is not None


async def test_probe_before_the_first_frame_is_drawn():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 20
        while app.latest is None and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        assert app.latest is not None
        await press_fast(pilot, "c")  # the first update has arrived; its frame may still be pending
        await pilot.pause(0.05)
        assert app.return_code is None and app.probe is not None
        await pilot.press("q")
    assert app.return_code == 0


async def test_probe_right_after_a_network_of_another_shape_arrives():
    app = make_app(dataset="moons", paused=False)  # the next dataset, blobs, has 3 outputs instead of 1
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.view.epoch >= 0)
        for _ in range(3):
            generation = app.generation
            await press_fast(pilot, "d")
            deadline = time.monotonic() + 10
            while not (app.latest is not None and app.latest.generation > generation) and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            await press_fast(pilot, "c")  # at once: the new network's first update has only just arrived
            await pilot.pause(0.05)
            assert app.return_code is None
        assert app.probe is None or app.session.dataset.is_2d
        await pilot.press("q")
    assert app.return_code == 0


# ---------------------------------------------------------------------------- threads end with the app
async def test_no_thread_outlives_the_app():
    before = set(threading.enumerate())
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None and app.latest.snapshot.epoch >= 2)
        started = [t for t in threading.enumerate() if t not in before]
        assert started, "the thread reading the training process should be running"
        await pilot.press("i")  # a trace request to the training process, then close it
        await pilot.pause(0.05)
        await _back_to_main(pilot, app)
        process = app.live.process
        await pilot.press("q")
    assert not process.is_alive()
    await asyncio.wait_for(asyncio.get_running_loop().shutdown_default_executor(), timeout=5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and [t for t in threading.enumerate() if t not in before and t.is_alive()]:
        time.sleep(0.01)
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftover == [], leftover
