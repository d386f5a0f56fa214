"""TUI benchmarks (run by hand): live-UI training throughput against headless, frame costs,
and the time from starting `nntui` to its first frame.

    .venv/bin/python benchmarks/bench_tui.py [--seconds 5]

Every figure is measured in this run; throughput is printed as a ratio to headless training
of the same settings in the same process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time

import numpy as np

from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.app import NNTuiApp

SETTINGS = dict(dataset="spiral", layers="8,8", optimizer="adam")


def headless_epochs_per_second(seconds: float) -> float:
    """Epochs per second of plain `Trainer.step_epoch` calls (what --headless does)."""
    trainer = build_session(merge(SETTINGS)).trainer
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.step_epoch()
    return trainer.epoch / (time.perf_counter() - start)


async def live_epochs_per_second(seconds: float, size=(120, 40)) -> tuple[float, int, float]:
    """Epochs per second with the TUI running and drawing; also the frames drawn and the UI thread's CPU share."""
    app = NNTuiApp(build_session(merge({**SETTINGS, "paused": False})))
    frames = 0
    draw = app._draw

    def counting_draw() -> None:
        nonlocal frames
        frames += 1
        draw()

    app._draw = counting_draw
    async with app.run_test(size=size) as pilot:
        while app.latest is None or app.latest.snapshot.epoch < 1:
            await pilot.pause(0.01)
        start_epoch, start, cpu = app.runner.trainer.epoch, time.perf_counter(), time.thread_time()
        await asyncio.sleep(seconds)  # not pilot.pause(), which forces extra screen updates
        elapsed = time.perf_counter() - start
        rate = (app.runner.trainer.epoch - start_epoch) / elapsed
        ui_share = (time.thread_time() - cpu) / elapsed
        await pilot.press("q")
    return rate, frames, ui_share


def time_it(fn, repeat: int = 30) -> float:
    """Median milliseconds of fn()."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def frame_costs(size) -> dict[str, float]:
    """Milliseconds for each heavy panel's work at one terminal size."""
    session = build_session(merge({**SETTINGS, "paused": True}))
    for _ in range(50):
        session.trainer.step_epoch()
    app = NNTuiApp(session)
    costs = {}
    async with app.run_test(size=size) as pilot:
        while app.latest is None:
            await pilot.pause(0.01)
        await pilot.pause()
        snap, history = app.latest.snapshot, app.latest.history
        heat, diagram, plot = app.heatmap, app.diagram, app.plot
        grid = heat.grid_points()
        costs["heatmap grid evaluation"] = time_it(lambda: app.view.field(grid))

        def heat_render():
            heat.refresh_field()
            for y in range(heat.size.height):
                heat.render_line(y)

        costs["heatmap evaluate + render"] = time_it(heat_render)

        def diagram_render():
            diagram.set_network(app.view.net.sizes, [w.copy() for w in snap.W], snap.b, session.dataset.features)
            for y in range(diagram.size.height):
                diagram.render_line(y)

        costs["diagram render"] = time_it(diagram_render)

        def plot_build():
            plot.set_history(history[:-1], True)
            plot.set_history(history, True)
            plot.flush()
            plot.render()

        costs["plot build"] = time_it(plot_build, repeat=10)
        costs[f"grid pixels"] = float(len(grid))
        await pilot.press("q")
    return costs


def first_frame_seconds() -> float:
    """Wall time from starting a Python process that runs the app to its first drawn frame."""
    code = (
        "import time, asyncio\n"
        "from nntui.session import build_session\n"
        "from nntui.settings import merge\n"
        "from nntui.tui.app import NNTuiApp\n"
        "async def main():\n"
        "    app = NNTuiApp(build_session(merge({'paused': True})))\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        while app._last_frame == 0.0:\n"
        "            await pilot.pause(0.005)\n"
        "        print(time.time())\n"
        "asyncio.run(main())\n"
    )
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1]) - start


def headless_startup_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nntui", "--headless", "--epochs", "0"], capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    headless = headless_epochs_per_second(args.seconds)
    live, frames, ui_share = asyncio.run(live_epochs_per_second(args.seconds))
    headless_again = headless_epochs_per_second(args.seconds)
    reference = (headless + headless_again) / 2
    print(f"training throughput, {SETTINGS}")
    print(f"  headless         {reference:8.1f} epochs/s (runs: {headless:.1f}, {headless_again:.1f})")
    print(f"  live UI 120x40   {live:8.1f} epochs/s   ratio {live / reference:.2f}  ({frames / args.seconds:.0f} frames/s; UI thread used {ui_share:.0%} of a core)")
    for size in [(120, 40), (200, 60)]:
        costs = asyncio.run(frame_costs(size))
        print(f"frame costs at {size[0]}x{size[1]} (median ms)")
        for name, ms in costs.items():
            print(f"  {name:28s} {ms:8.2f}")
    ff = statistics.median(first_frame_seconds() for _ in range(3))
    hs = statistics.median(headless_startup_seconds() for _ in range(3))
    print(f"start-up: first frame {ff:.2f} s; nntui --headless --epochs 0: {hs:.2f} s")


if __name__ == "__main__":
    main()
