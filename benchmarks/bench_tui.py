"""TUI benchmarks (run by hand): live-UI training throughput against headless, frame costs,
and start-up times.

    .venv/bin/python benchmarks/run.py --only ui --only frames --only startup [--quick]
    .venv/bin/python benchmarks/bench_tui.py [--quick]          (the same three parts)

Every figure is measured in this run and printed beside a reference measured in the same run:
throughput as a ratio to headless training of the same settings in the same process, frame
costs also as the number of training epochs they cost, start-up times as a ratio to
``python -c pass``.

The app runs under ``App.run_test()`` (Textual's headless driver), which composes every screen
update exactly as in a terminal but does not turn it into escape sequences.  ``ScreenTap`` does
that last step too (what a real terminal driver does, short of the write), and keeps the text
of each update with its time, for the latency benchmark.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_memory import epoch_with_checkpoint  # noqa: E402
from common import ROOT, SETTINGS, SETTINGS_LABEL, Table, goal, median_ms, ratio, run_alone  # noqa: E402

from nntui.live.history import History  # noqa: E402
from nntui.session import build_session  # noqa: E402
from nntui.settings import merge  # noqa: E402
from nntui.tui.app import FRAME_INTERVAL, UI_BUDGET, NNTuiApp  # noqa: E402
from nntui.tui.loss_plot import MIN_INTERVAL as PLOT_INTERVAL  # noqa: E402
from nntui.tui.runner import Runner  # noqa: E402

SIZE = (120, 40)
UI_GOAL = 0.9  # live-UI throughput ÷ headless
WARM_UP = 1.0  # seconds of live training before the measurement starts
LONG_HISTORY = 100_000  # epochs of history for the plot of a long run


# ------------------------------------------------------------------ helpers shared with bench_latency
ANSI = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


class ScreenTap:
    """Serialises every screen update of an app to escape sequences, as a terminal driver would.

    Keeps the time of each update (after serialising) and, with ``keep_text``, its text
    without the escape sequences.  Install before ``run_test``.
    """

    def __init__(self, app: NNTuiApp, keep_text: bool = False):
        self.count = 0
        self.updates: list[tuple[float, str]] = []
        display = app._display

        def tapped(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is None or app._batch_count or not hasattr(renderable, "render_segments"):
                return
            data = renderable.render_segments(app.console)
            self.count += 1
            if keep_text:
                self.updates.append((time.perf_counter(), ANSI.sub("", data)))

        app._display = tapped


def make_app(**overrides) -> NNTuiApp:
    return NNTuiApp(build_session(merge({**SETTINGS, **overrides})))


async def wait_until(pilot, condition, timeout: float = 10.0) -> None:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.005)


# ------------------------------------------------------------------ part "ui": throughput
# Every run trains the same trainer (one session, its training continued): a fresh trainer's
# arrays land elsewhere in memory, which alone moves a small net's speed by several per cent.
def headless_epochs_per_second(seconds: float, checkpoints: bool = False, trainer=None) -> float:
    """Epochs per second of plain `Trainer.step_epoch` calls (what --headless does); with
    ``checkpoints``, each epoch also records a checkpoint for rewind, as the UI's Runner does."""
    trainer = trainer or build_session(merge(SETTINGS)).trainer
    history = History()
    history.record(trainer.checkpoint())
    start_epoch, start = trainer.epoch, time.perf_counter()
    while time.perf_counter() - start < seconds:
        if checkpoints:
            epoch_with_checkpoint(trainer, history)
        else:
            trainer.step_epoch()
    return (trainer.epoch - start_epoch) / (time.perf_counter() - start)


def runner_epochs_per_second(seconds: float, trainer=None) -> float:
    """Epochs per second of the UI's training thread with nobody drawing: a Runner (a checkpoint
    per epoch for rewind, snapshots published a few times a second) publishing to nowhere."""
    trainer = trainer or build_session(merge(SETTINGS)).trainer
    runner = Runner(trainer, lambda update: None, running=True)
    thread = threading.Thread(target=runner.run, daemon=True)
    first = trainer.epoch
    thread.start()
    while trainer.epoch < first + 1:
        time.sleep(0.001)
    start_epoch, start = trainer.epoch, time.perf_counter()
    time.sleep(seconds)
    rate = (trainer.epoch - start_epoch) / (time.perf_counter() - start)
    runner.stop()
    runner.finished.wait(timeout=5)
    return rate


async def live_epochs_per_second(seconds: float, size=SIZE, serialise: bool = False, session=None) -> dict[str, float]:
    """Epochs per second with the TUI running and drawing, the heavy-panel frames and screen
    updates per second, and the CPU share (of one core) of the UI thread and of the process."""
    app = NNTuiApp(session) if session is not None else make_app(paused=False)
    frames = 0
    draw = app._draw

    def counting_draw() -> None:
        nonlocal frames
        frames += 1
        draw()

    app._draw = counting_draw
    tap = ScreenTap(app) if serialise else None
    async with app.run_test(size=size) as pilot:
        trainer = app.runner.trainer
        first = trainer.epoch
        await wait_until(pilot, lambda: app.latest is not None and trainer.epoch >= first + 20)
        # Warm up for a second: the first frames paint everything, and the loss plot ingests the
        # whole history of the trainer, which the earlier runs of this benchmark made long.
        await asyncio.sleep(WARM_UP)
        start_epoch, start_frames = trainer.epoch, frames
        start_updates = tap.count if tap else 0
        start, cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        await asyncio.sleep(seconds)  # not pilot.pause(), which forces extra screen updates
        elapsed = time.perf_counter() - start
        result = {
            "rate": (trainer.epoch - start_epoch) / elapsed,
            "frames": (frames - start_frames) / elapsed,
            "updates": ((tap.count - start_updates) / elapsed) if tap else float("nan"),
            "ui_cpu": (time.thread_time() - cpu) / elapsed,  # this coroutine runs in the UI thread
            "process_cpu": (time.process_time() - process_cpu) / elapsed,
        }
        await pilot.press("q")
    return result


UI_RUNS = {  # name: how one run of it is measured, training the process's one trainer for `seconds`
    "headless + a checkpoint per epoch (History.record)": lambda trainer, session, seconds: {
        "rate": headless_epochs_per_second(seconds / 2, checkpoints=True, trainer=trainer)},
    "Runner thread, nobody drawing (+ snapshots published)": lambda trainer, session, seconds: {
        "rate": runner_epochs_per_second(seconds, trainer)},
    "live UI (run_test)": lambda trainer, session, seconds: asyncio.run(
        live_epochs_per_second(seconds, session=session)),
    "live UI + escape sequences (as a terminal)": lambda trainer, session, seconds: asyncio.run(
        live_epochs_per_second(seconds, serialise=True, session=session)),
}


def ui_rounds(rounds: int, seconds: float) -> dict:
    """Every run of UI_RUNS, ``rounds`` times interleaved, each beside the headless runs just before
    and after it; returns the headless rates and, per run, its results and ratios to headless."""
    session = build_session(merge({**SETTINGS, "paused": False}))
    trainer = session.trainer
    results: dict[str, list[dict[str, float]]] = {name: [] for name in UI_RUNS}
    ratios: dict[str, list[float]] = {name: [] for name in UI_RUNS}
    headless = [headless_epochs_per_second(seconds / 2, trainer=trainer)]
    for _ in range(rounds):
        for name, run in UI_RUNS.items():
            results[name].append(run(trainer, session, seconds))
            headless.append(headless_epochs_per_second(seconds / 2, trainer=trainer))
            ratios[name].append(results[name][-1]["rate"] / ((headless[-2] + headless[-1]) / 2))
    return {"headless": headless, "results": results, "ratios": ratios}


def ui_rounds_in_processes(processes: int, rounds: int, seconds: float) -> dict:
    """ui_rounds in fresh Python processes, one after the other, their lists joined.  Where a
    process's arrays and code land in memory moves its speeds by a few per cent, and not the same
    way for headless and live training: one process is one draw of that luck."""
    joined: dict = {"headless": [], "results": {name: [] for name in UI_RUNS}, "ratios": {name: [] for name in UI_RUNS}}
    for _ in range(processes):
        out = subprocess.run(
            [sys.executable, __file__, "--ui-rounds", str(rounds), str(seconds)],
            capture_output=True, text=True, check=True,
        ).stdout
        part = json.loads(out.strip().splitlines()[-1])
        joined["headless"] += part["headless"]
        for name in UI_RUNS:
            joined["results"][name] += part["results"][name]
            joined["ratios"][name] += part["ratios"][name]
    return joined


def run_ui(quick: bool = False) -> list[Table]:
    processes, rounds, seconds = (1, 3, 2.0) if quick else (4, 3, 3.0)
    data = ui_rounds_in_processes(processes, rounds, seconds)
    headless, results, ratios = data["headless"], data["results"], data["ratios"]

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    table = Table(
        f"ui: training throughput with the TUI at {SIZE[0]}×{SIZE[1]}, ratio to headless "
        f"({SETTINGS_LABEL})",
        ["run", "epochs/s", "÷ headless (median)", "÷ headless (range)", "frames/s", "UI thread CPU", "process CPU"],
    )
    reference = statistics.median(headless)
    table.add("headless (Trainer.step_epoch)", f"{reference:,.0f}", "1.00×", "", "", "", "")
    for name in UI_RUNS:
        cells = [name, f"{median(name, 'rate'):,.0f}", ratio(statistics.median(ratios[name]), 1.0),
                 f"{min(ratios[name]):.2f}–{max(ratios[name]):.2f}"]
        if "frames" in results[name][0]:
            cells += [f"{median(name, 'frames'):.1f}", f"{median(name, 'ui_cpu'):.0%}", f"{median(name, 'process_cpu'):.0%}"]
        else:
            cells += ["", "", ""]
        table.add(*cells)
    live = "live UI (run_test)"
    share = statistics.median(ratios[live])
    per_process = [statistics.median(ratios[live][i : i + rounds]) for i in range(0, len(ratios[live]), rounds)]
    runner = statistics.median(ratios["Runner thread, nobody drawing (+ snapshots published)"])
    table.notes += [
        f"{processes} fresh processes × {rounds} rounds of every run, {seconds:g} s each (the live ones after "
        f"{WARM_UP:g} s of warm-up); in each process all runs train one trainer (one session); each ratio divides a "
        f"run by the mean of the headless runs ({seconds / 2:g} s) just before and after it; headless ranged "
        f"{min(headless):,.0f}–{max(headless):,.0f} epochs/s.",
        "live UI ÷ headless, the median of each process: " + ", ".join(f"{m:.2f}" for m in per_process) + ".",
        "frames/s: the app's heavy-panel redraws (heatmap, diagram, plot), spaced by the frame pacer so that the UI "
        f"thread takes about {UI_BUDGET:.0%} of the time; CPU: seconds of CPU per second of wall time (1 = one core), "
        "from time.thread_time() in the UI thread and time.process_time().",
        f"screen updates serialised per second (median): {median('live UI + escape sequences (as a terminal)', 'updates'):.1f}.",
    ]
    table.goals.append(f"ui: live-UI throughput ÷ headless = {share:.2f} (median of {len(ratios[live])} rounds in "
                       f"{processes} processes; goal ≥ {UI_GOAL}: {goal(share >= UI_GOAL)}); the Runner thread alone "
                       f"reaches {runner:.2f}")
    return [table]


# ------------------------------------------------------------------ part "frames": frame costs
async def frame_costs(size, repeat: int) -> dict[str, float]:
    """Milliseconds for each heavy panel's work at one terminal size (median of ``repeat``)."""
    session = build_session(merge({**SETTINGS, "paused": True}))
    for _ in range(50):
        session.trainer.step_epoch()
    app = NNTuiApp(session)
    costs = {}
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.latest is not None)
        await pilot.pause()
        snap, history = app.latest.snapshot, app.latest.history
        heat, diagram, plot = app.heatmap, app.diagram, app.plot
        grid = heat.grid_points()
        costs["boundary grid evaluation"] = median_ms(lambda: app.view.field(grid), repeat)

        def heat_render():
            heat._invalidate()  # colours and strips again, from the evaluated field
            for y in range(heat.size.height):
                heat.render_line(y)

        costs["heatmap render (all lines)"] = median_ms(heat_render, repeat)

        def diagram_render():
            diagram.set_network(app.view.net.sizes, [w.copy() for w in snap.W], snap.b, session.dataset.features)
            for y in range(diagram.size.height):
                diagram.render_line(y)

        costs["diagram render (all lines)"] = median_ms(diagram_render, repeat)

        for n in (len(history), LONG_HISTORY):
            growing = list(history) + [replace(history[-1], epoch=e) for e in range(len(history), n)]
            plot.set_history(growing, True)
            plot.flush()

            def plot_build():  # one more epoch, as in a frame while training
                growing.append(replace(growing[-1], epoch=growing[-1].epoch + 1))
                plot.set_history(growing, True)
                plot.flush()
                plot.render()

            costs[f"plot build, {n - 1:,} epochs of history"] = median_ms(plot_build, max(3, repeat // 3))
        costs["grid pixels"] = float(len(grid))
        await pilot.press("q")
    return costs


def run_frames(quick: bool = False) -> list[Table]:
    repeat = 10 if quick else 30
    epoch_ms = 1000 / headless_epochs_per_second(1.0 if quick else 2.0)
    sizes = [(120, 40), (200, 60)]
    costs = [asyncio.run(frame_costs(size, repeat)) for size in sizes]
    headers = ["work per frame"]
    for w, h in sizes:
        headers += [f"{w}×{h} ms", "÷ epoch"]
    table = Table("frames: cost of each heavy panel's work per frame (median), in ms and in headless training epochs", headers)
    work = [k for k in costs[0] if k != "grid pixels"]
    frame = work[:4]  # a frame early in a run: all but the long-history plot
    for name in work + ["one frame (the first four)"]:
        row = [name]
        for c in costs:
            ms = sum(c[k] for k in frame) if name not in c else c[name]
            row += [f"{ms:.2f}", f"{ms / epoch_ms:.1f}"]
        table.add(*row)
    table.notes += [
        f"÷ epoch: the cost as a number of headless training epochs of the same settings "
        f"({epoch_ms:.3f} ms each, measured in this run) — what a frame takes from training while it holds the GIL.",
        "grid pixels: " + ", ".join(f"{int(c['grid pixels']):,}" for c in costs) + "; heatmap render = colours, points "
        "and strips from an evaluated grid; plot build = one more epoch ingested and the plot drawn, after 50 "
        f"epochs of training or (synthetic) {LONG_HISTORY:,}.",
        f"while training the app redraws these panels at most {1 / FRAME_INTERVAL:g} times a second "
        f"(FRAME_INTERVAL), at full speed less often, so that drawing takes about {UI_BUDGET:.0%} of the time "
        f"(tui/pacer.py); at full speed the loss plot every {PLOT_INTERVAL:g} s (loss_plot.MIN_INTERVAL).",
    ]
    return [table]


# ------------------------------------------------------------------ part "startup"
FIRST_FRAME = """\
import time, asyncio
from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.app import NNTuiApp
async def main():
    app = NNTuiApp(build_session(merge({'paused': True})))
    async with app.run_test(size=(120, 40)) as pilot:
        while not app._drawn:
            await asyncio.sleep(0.002)
        print(time.time())
        await pilot.press('q')
asyncio.run(main())
"""


def first_frame_seconds() -> float:
    """Wall time from starting a Python process that runs the app to its first drawn frame."""
    start = time.time()
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1]) - start


def command_seconds(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True)
    return time.perf_counter() - start


def shorten(path: str) -> str:
    """A path relative to the checkout when inside it."""
    p = Path(path)
    return str(p.relative_to(ROOT)) if p.is_absolute() and p.is_relative_to(ROOT) else path


def nntui_command() -> list[str]:
    """The installed ``nntui`` script beside this Python, else ``python -m nntui``."""
    script = Path(sys.executable).with_name("nntui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nntui"]


def run_startup(quick: bool = False) -> list[Table]:
    repeat = 3 if quick else 7
    nntui = nntui_command()
    runs = {
        "python -c pass": lambda: command_seconds(sys.executable, "-c", "pass"),
        "python -c 'import numpy'": lambda: command_seconds(sys.executable, "-c", "import numpy"),
        "python -c 'import nntui.tui.app' (Textual and the app)": lambda: command_seconds(sys.executable, "-c", "import nntui.tui.app"),
        "nntui --headless --epochs 0": lambda: command_seconds(*nntui, "--headless", "--epochs", "0"),
        "nntui to its first frame (run_test, 120×40)": first_frame_seconds,
    }
    times = {name: [] for name in runs}
    for _ in range(repeat):  # interleaved, so that a slow moment does not hit one command only
        for name, fn in runs.items():
            times[name].append(fn())
    medians = {name: statistics.median(t) for name, t in times.items()}
    reference = medians["python -c pass"]
    table = Table("startup: wall time from starting the process (median), ratio to `python -c pass`",
                  ["command", "seconds", "÷ python -c pass", "min", "max"])
    for name, t in times.items():
        table.add(name, f"{medians[name]:.3f}", ratio(medians[name], reference), f"{min(t):.3f}", f"{max(t):.3f}")
    table.notes += [
        f"{repeat} runs each, interleaved; nntui = {' '.join(shorten(a) for a in nntui)}; the first-frame time "
        "stops at the frame, the others include the interpreter's exit.",
        "first frame: a process that builds the default session and runs the app under run_test until its first "
        "heavy-panel frame is drawn (App._drawn set), timed from before the process starts.",
    ]
    return [table]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ui-rounds"]:  # one process of the ui part (see ui_rounds_in_processes)
        print(json.dumps(ui_rounds(int(sys.argv[2]), float(sys.argv[3]))))
    else:
        run_alone(__doc__, run_ui, run_frames, run_startup)
