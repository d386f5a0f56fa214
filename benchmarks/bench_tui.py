"""TUI benchmarks (run by hand): live-UI training throughput against headless, frame rates and
costs, and start-up times.

    .venv/bin/python benchmarks/run.py --only ui --only frames --only startup [--quick]
    .venv/bin/python benchmarks/bench_tui.py [--quick]          (the same three parts)

Every figure is measured in this run and printed beside a reference measured in the same run:
throughput as a ratio to headless training of the same settings in the same process, frame
costs also as the number of training epochs they amount to, start-up times as a ratio to
``python -c pass``.

Training runs in a spawned child process (``nntui.live.process.LiveTraining``); the UI process
only draws what the child sends.  They share no interpreter lock, and on a 2-core machine each
gets a core: live throughput ÷ headless measures what is left of the interference (the
pickling of updates, the caches and memory bus both processes use), and the frame rates and
CPU shares what the UI process does with its core.

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
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_memory import epoch_with_checkpoint  # noqa: E402
from common import (  # noqa: E402
    SETTINGS, SETTINGS_LABEL, Table, cpu_seconds, goal, median_ms, nntui_command, ratio, run_alone, shorten,
)

from nntui.live.history import History  # noqa: E402
from nntui.live.metrics import MetricsLog, stats_rows  # noqa: E402
from nntui.live.process import LiveTraining  # noqa: E402
from nntui.session import build_session  # noqa: E402
from nntui.settings import DEFAULT_SPEED, merge  # noqa: E402
from nntui.tui.app import SPEEDS, NNTuiApp  # noqa: E402
from nntui.tui.dashboard import FRAME_INTERVAL, FULL_SPEED_INTERVAL, UI_BUDGET  # noqa: E402
from nntui.tui.loss_plot import BUILD_SHARE as PLOT_SHARE  # noqa: E402
from nntui.tui.loss_plot import MIN_INTERVAL as PLOT_INTERVAL  # noqa: E402

SIZE = (120, 40)
UI_GOAL = 0.97  # live-UI throughput ÷ headless
FRAMES_GOAL, FRAMES_REQUIRED = 10.0, 5.0  # heavy-panel frames per second at full speed
PLOT_GOAL, PLOT_REQUIRED = 4.0, 2.0  # loss-plot builds per second at full speed
PACED_REQUIRED = 15.0  # heavy-panel frames per second at the TUI's default pace, the picture changing every frame
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
# The headless runs of a process all train one trainer (one session, its training continued):
# a fresh trainer's arrays land elsewhere in memory, which alone moves a small net's speed by
# several per cent.  A live run's training process gets a pickled copy of that trainer as it
# stands, so it trains on from the same state; what it trains does not come back, and the
# headless runs go on from where they left off.
def headless_epochs_per_second(seconds: float, checkpoints: bool = False, trainer=None) -> float:
    """Epochs per second of plain `Trainer.step_epoch` calls (what --headless does); with
    ``checkpoints``, each epoch also records a checkpoint for rewind, as the training process does."""
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


class EpochClock:
    """The live epoch as seen by polling: (perf_counter time, epoch) each time it changed.

    Updates come a few dozen times a second, each many epochs on at full speed, so the rate is
    taken between the first and the last change inside a window, not between the window's ends:
    the granularity of the updates then does not bias it."""

    def __init__(self) -> None:
        self.changes: list[tuple[float, int]] = []

    def note(self, epoch: int) -> None:
        if not self.changes or epoch != self.changes[-1][1]:
            self.changes.append((time.perf_counter(), epoch))

    @property
    def epoch(self) -> int | None:
        return self.changes[-1][1] if self.changes else None

    def rate(self, start: float, end: float) -> float:
        """Epochs per second between the first and the last change in [start, end] (nan: fewer than two)."""
        inside = [(t, e) for t, e in self.changes if start <= t <= end]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return float("nan")
        (t0, e0), (t1, e1) = inside[0], inside[-1]
        return (e1 - e0) / (t1 - t0)


class CpuMeter:
    """CPU seconds per second of wall time (1 = one core) between ``start()`` and ``shares()``:
    of this thread, of this process, and of another process (the training process) by pid."""

    def __init__(self, child_pid: int) -> None:
        self.child_pid = child_pid

    def start(self) -> "CpuMeter":
        self._wall, self._thread, self._process = time.perf_counter(), time.thread_time(), time.process_time()
        self._child = cpu_seconds(self.child_pid)
        return self

    def shares(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self._wall
        child = cpu_seconds(self.child_pid)
        return {
            "ui_cpu": (time.thread_time() - self._thread) / elapsed,
            "process_cpu": (time.process_time() - self._process) / elapsed,
            "child_cpu": float("nan") if child is None or self._child is None else (child - self._child) / elapsed,
        }


def process_epochs_per_second(seconds: float, trainer) -> dict[str, float]:
    """The training process with nobody drawing: a LiveTraining running this trainer (a
    checkpoint per epoch for rewind, updates pickled over the pipe at the Runner's default rate),
    its updates taken by this thread as they come; the rate from their epochs and arrival times."""
    clock = EpochClock()

    def poll(until: float) -> None:
        while time.perf_counter() < until:
            update = live.take()
            if update is not None:
                clock.note(update.snapshot.epoch)
            time.sleep(0.005)

    first = trainer.epoch
    live = LiveTraining(trainer, running=True)
    try:
        timeout = time.perf_counter() + 20.0
        while (clock.epoch or first) < first + 20:  # the process has started and trains
            if time.perf_counter() > timeout or not live.alive:
                raise RuntimeError(f"the training process did not train (exit code {live.process.exitcode})")
            poll(time.perf_counter() + 0.01)
        poll(time.perf_counter() + WARM_UP)
        cpu = CpuMeter(live.process.pid).start()
        start = time.perf_counter()
        poll(start + seconds)
        result = {"rate": clock.rate(start, time.perf_counter()), **cpu.shares()}
    finally:
        live.close()
    return result


async def live_epochs_per_second(seconds: float, session, serialise: bool = False, pace: float | None = None) -> dict[str, float]:
    """The TUI running and drawing: epochs per second (from ``app.latest.snapshot.epoch``), heavy-panel
    frames, loss-plot builds and screen updates per second, and the CPU shares of the UI thread,
    the UI process and the training process.  With ``pace`` the app starts paused (the session's
    settings say so), is slowed down with "<" until it trains at most ``pace`` epochs/s, then resumed."""
    app = NNTuiApp(session)
    frames = 0
    draw = app.dashboard._draw

    def counting_draw() -> None:
        nonlocal frames
        frames += 1
        draw()

    app.dashboard._draw = counting_draw
    tap = ScreenTap(app) if serialise else None
    clock = EpochClock()

    async def watch(until: float) -> None:  # polls in the UI thread, as cheaply as it can
        while time.perf_counter() < until:
            if app.latest is not None:
                clock.note(app.latest.snapshot.epoch)
            await asyncio.sleep(0.005)

    first = session.trainer.epoch  # the training process starts from a copy of this trainer
    async with app.run_test(size=SIZE) as pilot:
        if pace is not None:
            await wait_until(pilot, lambda: app.latest is not None)
            for _ in range(len(SPEEDS)):
                if app.live.max_rate == pace:
                    break
                await pilot.press("less_than_sign")  # paused, so the app gets idle: press can be awaited
            if app.live.max_rate != pace:
                raise RuntimeError(f"'<' did not reach {pace} epochs/s")
            app.action_toggle_pause()  # not a press: Pilot.press waits for an idle app, rare while training
        await wait_until(pilot, lambda: app.latest is not None and app.latest.running and app.latest.snapshot.epoch >= first + 20,
                         timeout=20.0)
        # Warm up for a second: the first frames paint everything.
        await watch(time.perf_counter() + WARM_UP)
        start_frames, start_builds = frames, app.dashboard.plot.build_count
        start_updates = tap.count if tap else 0
        cpu = CpuMeter(app.live.process.pid).start()  # this coroutine runs in the UI thread
        start = time.perf_counter()
        await watch(start + seconds)  # not pilot.pause(), which forces extra screen updates
        end = time.perf_counter()
        elapsed = end - start
        result = {
            "rate": clock.rate(start, end),
            "frames": (frames - start_frames) / elapsed,
            "builds": (app.dashboard.plot.build_count - start_builds) / elapsed,
            "updates": ((tap.count - start_updates) / elapsed) if tap else float("nan"),
            **cpu.shares(),
        }
        app.live.pause()  # the app quits faster when it does not train meanwhile
        await pilot.press("q")
    return result


PACE = DEFAULT_SPEED  # epochs per second of the paced run (the TUI's default pace, reached with "<" from full speed)
ALONE = "training process alone, nobody drawing (LiveTraining)"
LIVE = "live UI (run_test)"
PACED = f"live UI paced at {PACE} epochs/s (\"<\", fresh session)"
UI_RUNS = {  # name: how one run of it is measured, training on from the process's one trainer for `seconds`
    "headless + a checkpoint per epoch (History.record)": lambda trainer, session, seconds: {
        "rate": headless_epochs_per_second(seconds / 2, checkpoints=True, trainer=trainer)},
    ALONE: lambda trainer, session, seconds: process_epochs_per_second(seconds, trainer),
    LIVE: lambda trainer, session, seconds: asyncio.run(live_epochs_per_second(seconds, session)),
    "live UI + escape sequences (as a terminal)": lambda trainer, session, seconds: asyncio.run(
        live_epochs_per_second(seconds, session, serialise=True)),
}


def ui_rounds(rounds: int, seconds: float) -> dict:
    """Every run of UI_RUNS, ``rounds`` times interleaved, each beside the headless runs just before
    and after it, then one paced run; returns the headless rates and, per run, its results and
    ratios to headless (none for the paced run)."""
    session = build_session(merge({**SETTINGS, "paused": False}))
    trainer = session.trainer
    results: dict[str, list[dict[str, float]]] = {name: [] for name in [*UI_RUNS, PACED]}
    ratios: dict[str, list[float]] = {name: [] for name in UI_RUNS}
    headless = [headless_epochs_per_second(seconds / 2, trainer=trainer)]
    for _ in range(rounds):
        for name, run in UI_RUNS.items():
            results[name].append(run(trainer, session, seconds))
            headless.append(headless_epochs_per_second(seconds / 2, trainer=trainer))
            ratios[name].append(results[name][-1]["rate"] / ((headless[-2] + headless[-1]) / 2))
    paced = build_session(merge({**SETTINGS, "paused": True}))
    results[PACED].append(asyncio.run(live_epochs_per_second(seconds, paced, pace=PACE)))
    return {"headless": headless, "results": results, "ratios": ratios}


def ui_rounds_in_processes(processes: int, rounds: int, seconds: float) -> dict:
    """ui_rounds in fresh Python processes, one after the other, their lists joined.  Where a
    process's arrays and code land in memory moves its speeds by a few per cent, and not the same
    way for headless and live training: one process is one draw of that luck."""
    joined: dict = {"headless": [], "results": {name: [] for name in [*UI_RUNS, PACED]},
                    "ratios": {name: [] for name in UI_RUNS}}
    for _ in range(processes):
        out = subprocess.run(
            [sys.executable, __file__, "--ui-rounds", str(rounds), str(seconds)],
            capture_output=True, text=True, check=True,
        ).stdout
        part = json.loads(out.strip().splitlines()[-1])
        joined["headless"] += part["headless"]
        for kind in ("results", "ratios"):
            for name in joined[kind]:
                joined[kind][name] += part[kind][name]
    return joined


def run_ui(quick: bool = False) -> list[Table]:
    processes, rounds, seconds = (1, 2, 2.0) if quick else (4, 3, 3.0)
    data = ui_rounds_in_processes(processes, rounds, seconds)
    headless, results, ratios = data["headless"], data["results"], data["ratios"]

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    table = Table(
        f"ui: training throughput with the TUI at {SIZE[0]}×{SIZE[1]}, ratio to headless "
        f"({SETTINGS_LABEL})",
        ["run", "epochs/s", "÷ headless (median)", "÷ headless (range)", "frames/s", "plot builds/s",
         "UI thread CPU", "UI process CPU", "training process CPU"],
    )
    reference = statistics.median(headless)
    table.add("headless (Trainer.step_epoch)", f"{reference:,.0f}", "1.00×", "", "", "", "", "", "")
    for name in [*UI_RUNS, PACED]:
        cells = [name, f"{median(name, 'rate'):,.0f}"]
        if name in ratios:
            cells += [ratio(statistics.median(ratios[name]), 1.0), f"{min(ratios[name]):.2f}–{max(ratios[name]):.2f}"]
        else:
            cells += ["–", "–"]
        cells += [f"{median(name, 'frames'):.1f}", f"{median(name, 'builds'):.1f}"] if "frames" in results[name][0] else ["", ""]
        cells += [f"{median(name, 'ui_cpu'):.0%}"] if "frames" in results[name][0] else [""]
        cells += [f"{median(name, 'process_cpu'):.0%}", f"{median(name, 'child_cpu'):.0%}"] if "child_cpu" in results[name][0] else ["", ""]
        table.add(*cells)
    share = statistics.median(ratios[LIVE])
    per_process = [statistics.median(ratios[LIVE][i : i + rounds]) for i in range(0, len(ratios[LIVE]), rounds)]
    alone = statistics.median(ratios[ALONE])
    frames, builds, paced_frames = median(LIVE, "frames"), median(LIVE, "builds"), median(PACED, "frames")
    table.notes += [
        f"{processes} fresh process{'es' if processes > 1 else ''} × {rounds} rounds of every run, {seconds:g} s each "
        f"(the training-process and live ones after {WARM_UP:g} s of warm-up), then one paced run per process; each "
        f"ratio divides a run by the mean of the headless runs ({seconds / 2:g} s) just before and after it; headless "
        f"ranged {min(headless):,.0f}–{max(headless):,.0f} epochs/s.",
        "in each process the headless runs train one trainer on (one session); every training process starts from a "
        "pickled copy of that trainer as it stands (the app's LiveTraining pickles session.trainer), so it trains on "
        "from the same state as the headless runs around it, and gives nothing back; the paced run has a fresh session.",
        "live epochs/s: app.latest.snapshot.epoch, polled every 5 ms by the benchmark's coroutine in the UI thread, "
        "the rate between its first and last change in the window; the training process alone: the epochs of its "
        "updates, taken as they came (publishing at the Runner's default, 30 a second).",
        "live UI ÷ headless, the median of each process: " + ", ".join(f"{m:.2f}" for m in per_process) + ".",
        "frames/s: the app's heavy-panel redraws (app.dashboard._draw: heatmap, diagram, status, plot data), spaced by the frame "
        f"pacer so that drawing takes at most {UI_BUDGET:.0%} of the UI process's core, at most {1 / FULL_SPEED_INTERVAL:g} "
        f"a second at full speed (FULL_SPEED_INTERVAL) and {1 / FRAME_INTERVAL:g} paced (FRAME_INTERVAL); plot builds/s: "
        f"plotext builds of the loss plot (LossPlot.build_count), with every frame while a build takes at most "
        f"{PLOT_SHARE:.0%} of the time between them, else less often, down to one per {PLOT_INTERVAL:g} s.",
        "CPU: seconds of CPU per second of wall time (1 = one core): the UI thread from time.thread_time() (it includes "
        "the polling), the UI process from time.process_time() (with the reader thread unpickling updates), the training "
        "process from utime + stime of /proc/PID/stat; training and drawing share no interpreter lock now, and on a "
        "2-core machine each process gets a core.",
        f"screen updates serialised per second (median): {median('live UI + escape sequences (as a terminal)', 'updates'):.1f}.",
    ]
    table.goals += [
        f"ui: live-UI throughput ÷ headless = {share:.2f} (median of {len(ratios[LIVE])} rounds in {processes} "
        f"process{'es' if processes > 1 else ''}; goal ≥ {UI_GOAL}: {goal(share >= UI_GOAL)}); the training process "
        f"alone reaches {alone:.2f}",
        f"ui: heavy-panel frames at full speed = {frames:.1f}/s (goal ≥ {FRAMES_GOAL:g}/s: {goal(frames >= FRAMES_GOAL)}; "
        f"required ≥ {FRAMES_REQUIRED:g}/s: {goal(frames >= FRAMES_REQUIRED)})",
        f"ui: loss-plot builds at full speed = {builds:.1f}/s (goal ≥ {PLOT_GOAL:g}/s: {goal(builds >= PLOT_GOAL)}; "
        f"required ≥ {PLOT_REQUIRED:g}/s: {goal(builds >= PLOT_REQUIRED)})",
        f"ui: heavy-panel frames paced at {PACE} epochs/s = {paced_frames:.1f}/s (required ≥ {PACED_REQUIRED:g}/s: "
        f"{goal(paced_frames >= PACED_REQUIRED)})",
    ]
    return [table]


# ------------------------------------------------------------------ part "frames": frame costs
async def frame_costs(size, repeat: int) -> dict[str, float]:
    """Milliseconds for each heavy panel's work at one terminal size (median of ``repeat``)."""
    session = build_session(merge({**SETTINGS, "paused": True}))
    trainer = session.trainer
    history = [trainer.stats]  # 50 epochs trained here: the app's training process starts from epoch 50
    for _ in range(50):
        history.append(trainer.step_epoch())
    app = NNTuiApp(session)
    costs = {}
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.latest is not None)
        await pilot.pause()
        snap = app.latest.snapshot
        heat, diagram, plot = app.dashboard.heatmap, app.dashboard.diagram, app.dashboard.plot
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
            # As in the app: a MetricsLog the reader thread extends with the new epochs' rows.
            log = MetricsLog.of(history + [replace(history[-1], epoch=e) for e in range(len(history), n)])
            last = history[-1]
            epoch = n - 1
            plot.set_log(log, True, now=True)

            def plot_build(log=log, last=last):  # one more epoch, as in a frame while training
                nonlocal epoch
                epoch += 1
                log.extend(stats_rows([replace(last, epoch=epoch)]))
                plot.set_log(log, True)
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
        f"({epoch_ms:.3f} ms each, measured in this run), for scale: training runs in its own process, so a frame "
        "no longer takes this from training but from the UI process's core.",
        "grid pixels: " + ", ".join(f"{int(c['grid pixels']):,}" for c in costs) + "; heatmap render = colours, points "
        "and strips from an evaluated grid; plot build = one more epoch added to the MetricsLog, ingested and the "
        f"plot drawn, after 50 epochs of training or (synthetic) {LONG_HISTORY:,}, which the log keeps thinned to "
        f"at most {MetricsLog().capacity:,} rows.",
        f"while training the app redraws these panels at most {1 / FRAME_INTERVAL:g} times a second paced "
        f"(FRAME_INTERVAL), {1 / FULL_SPEED_INTERVAL:g} at full speed (FULL_SPEED_INTERVAL), and less often when "
        f"drawing would take more than {UI_BUDGET:.0%} of the UI process's core (tui/pacer.py); the loss plot with "
        f"every frame while its build takes at most {PLOT_SHARE:.0%} of the time, else down to one per "
        f"{PLOT_INTERVAL:g} s (loss_plot.BUILD_SHARE, MIN_INTERVAL).",
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
        while not app.dashboard.drawn:
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
