"""Key-to-screen latency while training at full speed (run by hand, not part of pytest).

    .venv/bin/python benchmarks/run.py --only latency [--quick]      (or this file on its own)

Keys are pressed through Textual's Pilot (``+``, ``-``, ``space`` twice, ``t``, over and over,
with a random pause of 50-250 ms between presses), and each is timed from the press until a
screen update shows its effect:

    +, -     the status bar shows the new learning rate (``lr 0.1``)
    space    the status bar shows the new state (``⏸ paused`` / ``▶ running``)
    t        the heatmap was re-rendered with its test points shown / hidden

Screen updates are caught by ``bench_tui.ScreenTap``, which also turns each one into escape
sequences, as a terminal driver would; the poll loop awaits ``asyncio.sleep(0.001)``.  A press
is not awaited: ``Pilot.press`` then waits until the app is idle, which seldom happens while
training runs (updates keep coming from the training process); the press's task is cancelled
once the screen has shown its effect.

Training runs in its own process (``nntui.live.process``): a key's command goes down a pipe
and takes effect between two mini-batches there, and the change comes back with the next
update; the UI process draws it.  The two share no interpreter lock.

Reference, in the same run: the same app paused (nothing training), keys ``+``, ``-``, ``t``.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tui import SIZE, ScreenTap, make_app, wait_until  # noqa: E402
from common import Table, goal, percentile, run_alone  # noqa: E402

from nntui.settings import next_learning_rate  # noqa: E402

GOAL_MS = 50.0  # p95 key-to-screen latency while training
TIMEOUT = 3.0  # seconds to wait for a press to show
LR = re.compile(r"\blr (\S+)")
KEYS_TRAINING = ("plus", "minus", "space", "space", "t")
KEYS_IDLE = ("plus", "minus", "t")


class RenderTap:
    """Records (time, test points shown) whenever the heatmap renders a line."""

    def __init__(self, heatmap):
        self.renders: list[tuple[float, bool]] = []
        render_line = heatmap.render_line

        def tapped(y: int):
            strip = render_line(y)
            self.renders.append((time.perf_counter(), heatmap._show_test))
            return strip

        heatmap.render_line = tapped


def shown(app, key: str, screen: ScreenTap, renders: RenderTap):
    """For a key about to be pressed: a function of the press time giving the time of the
    first screen update showing the key's effect, or None while there is none yet."""
    if key in ("plus", "minus"):
        want = f"{next_learning_rate(app.settings.lr, +1 if key == 'plus' else -1):g}"

        def status(t0: float) -> float | None:
            for t, text in screen.updates:
                if t >= t0 and any(m == want for m in LR.findall(text)):
                    return t
            return None

        return status
    if key == "space":
        want = "⏸ paused" if app.state == "running" else "▶ running"
        return lambda t0: next((t for t, text in screen.updates if t >= t0 and want in text), None)
    if key == "t":
        want = not app.show_test

        def heatmap(t0: float) -> float | None:
            rendered = next((t for t, show in renders.renders if t >= t0 and show == want), None)
            if rendered is None:
                return None
            return next((t for t, _ in screen.updates if t >= rendered), None)

        return heatmap
    raise ValueError(key)


async def press_and_time(pilot, app, key: str, screen: ScreenTap, renders: RenderTap) -> float | None:
    """Milliseconds from pressing ``key`` to the screen update showing it (None: not within TIMEOUT)."""
    done = shown(app, key, screen, renders)
    del screen.updates[:-1], renders.renders[:-1]  # only what comes after the press matters
    t0 = time.perf_counter()
    press = asyncio.create_task(pilot.press(key))
    try:
        while time.perf_counter() - t0 < TIMEOUT:
            await asyncio.sleep(0.001)
            t = done(t0)
            if t is not None:
                return (t - t0) * 1000
        return None
    finally:
        press.cancel()
        try:
            await press
        except asyncio.CancelledError:
            pass


async def latencies(keys: tuple[str, ...], presses: int, training: bool, seed: int = 0) -> dict[str, list]:
    """{key: [ms or None, …]} over ``presses`` presses cycling through ``keys``."""
    rng = np.random.default_rng(seed)
    app = make_app(paused=not training)
    screen = ScreenTap(app, keep_text=True)
    renders = RenderTap(app.dashboard.heatmap)
    result: dict[str, list] = {key: [] for key in dict.fromkeys(keys)}
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.latest is not None and (not training or app.latest.snapshot.epoch >= 5))
        await asyncio.sleep(0.3)
        for i in range(presses):
            await asyncio.sleep(float(rng.uniform(0.05, 0.25)))  # presses at random moments of the frame cycle
            key = keys[i % len(keys)]
            result[key].append(await press_and_time(pilot, app, key, screen, renders))
        epochs = app.latest.snapshot.epoch  # as the UI last drew it (the training process's trainer is elsewhere)
        app.live.pause()  # the app quits faster when it does not train meanwhile
        await pilot.press("q")
    result["epochs"] = [epochs]
    return result


def _row(table: Table, name: str, values: list) -> list[float]:
    ms = [v for v in values if v is not None]
    missed = len(values) - len(ms)
    table.add(name, len(values), f"{percentile(ms, 50):.1f}", f"{percentile(ms, 95):.1f}",
              f"{max(ms) if ms else float('nan'):.1f}", missed)
    return ms


def run(quick: bool = False) -> list[Table]:
    presses = 20 if quick else 40
    training = asyncio.run(latencies(KEYS_TRAINING, presses, training=True))
    idle = asyncio.run(latencies(KEYS_IDLE, presses * 3 // 5, training=False, seed=1))
    names = {"plus": "+ (lr up)", "minus": "- (lr down)", "space": "space (pause / resume)", "t": "t (test points)"}
    table = Table(f"latency: key press to screen update, ms, {SIZE[0]}×{SIZE[1]}",
                  ["key", "presses", "p50", "p95", "max", "missed"])
    everything = []
    for key in dict.fromkeys(KEYS_TRAINING):
        everything += _row(table, f"training: {names[key]}", training[key])
    all_training = [v for k in dict.fromkeys(KEYS_TRAINING) for v in training[k]]
    _row(table, "training: all keys", all_training)
    idle_all = [v for k in KEYS_IDLE for v in idle[k]]
    idle_ms = _row(table, "paused, nothing training (reference): + - t", idle_all)
    p95 = percentile(everything, 95) if len(everything) == len(all_training) else float("inf")
    table.notes += [
        f"training at full speed (in the training process): {training['epochs'][0]:,} epochs had run by the last press "
        "(app.latest.snapshot.epoch).",
        f"p95 while training ÷ p95 paused: {p95 / percentile(idle_ms, 95):.1f}×; missed = no screen update "
        f"showed the press within {TIMEOUT:g} s.",
        "timed from Pilot.press() to the screen update (composed and turned into escape sequences) that shows "
        "the effect: the learning rate and the state in the status bar, the test points in the heatmap.",
    ]
    table.goals.append(f"latency: p95 key-to-screen while training = {p95:.1f} ms (goal < {GOAL_MS:g} ms: {goal(p95 < GOAL_MS)})")
    return [table]


if __name__ == "__main__":
    run_alone(__doc__, run, quick_help="fewer presses (noisier)")
