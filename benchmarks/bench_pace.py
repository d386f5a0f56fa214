"""The pace benchmark (run by hand): how smoothly the boundary forms on screen at the TUI's
default pace, in a real terminal.

    .venv/bin/python benchmarks/run.py --only pace [--quick]
    .venv/bin/python benchmarks/bench_pace.py [--quick]

``nntui`` (the default circle, 4-2 tanh net) runs in a detached tmux pane of 120×40; the pane is
read every 25 ms (``tmux capture-pane``, colours included) and every change of the heatmap's
region counts as a redraw a person sees.  The window is the first seconds of the run, while the
boundary forms.  Reference, in the same run and measured the same way: a small program that
repaints that region 60 times a second, which is as many changes as this way of looking can see.
The same app at ``--speed full`` is measured too, for comparison.  Needs tmux.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Table, goal, nntui_command, run_alone, shorten  # noqa: E402

from nntui.settings import DEFAULT_SPEED  # noqa: E402

SIZE = (120, 40)
HEATMAP = (61, 119, 1, 37)  # columns and rows [start, end) inside the heatmap's border at 120×40
POLL = 0.025  # seconds between two looks at the pane
GOAL = 15.0  # heatmap redraws per second at the default pace
BOUNDARY_EPOCHS = 60  # the default circle's boundary has formed by about this epoch (accuracy ~1)
ANSI = re.compile(r"\x1b\[[0-9;:?]*[A-Za-z]")
EPOCH = re.compile(r"epoch (\d[\d,]*)")

# Repaints the heatmap's region 60 times a second, each time in another colour: what a program
# that redraws every frame looks like to the poller.
REFERENCE = """\
import sys, time
c0, c1, r0, r1 = map(int, sys.argv[1:])
sys.stdout.write("\\x1b[?25l\\x1b[2J")
for i in range(10**9):
    colour = f"\\x1b[48;2;{i % 256};{(7 * i) % 256};128m"
    sys.stdout.write("".join(f"\\x1b[{r + 1};{c0 + 1}H{colour}{' ' * (c1 - c0)}" for r in range(r0, r1)) + "\\x1b[0m")
    sys.stdout.flush()
    time.sleep(1 / 60)
"""


def _visible_columns(line: str, start: int, stop: int) -> str:
    """Columns [start, stop) of a captured line, its colour escapes kept (so colour changes count)."""
    out, column, i = [], 0, 0
    while i < len(line) and column < stop:
        match = ANSI.match(line, i)
        if match:
            out.append(match.group())
            i = match.end()
            continue
        if column >= start:
            out.append(line[i])
        column += 1
        i += 1
    return "".join(out)


class Pane:
    """A command in a detached tmux session of a fixed size."""

    def __init__(self, command: list[str], size: tuple[int, int]):
        self.name = f"nntui-pace-{os.getpid()}-{time.monotonic_ns() % 10**9}"
        line = " ".join(shlex.quote(part) for part in command)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]),
                        "-e", "COLORTERM=truecolor", f"{line}; sleep 30"], check=True)

    def capture(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-e", "-t", self.name],
                              capture_output=True, text=True).stdout

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _epoch(screen: str) -> int | None:
    match = EPOCH.search(ANSI.sub("", screen))
    return int(match.group(1).replace(",", "")) if match else None


def region_changes(command: list[str], seconds: float, wait_for_epoch: bool = True, timeout: float = 30.0) -> dict[str, float]:
    """Changes per second of the heatmap's region over ``seconds``, from the moment the screen first
    shows an epoch (or at once); and the epochs per second the status line counted meanwhile."""
    c0, c1, r0, r1 = HEATMAP
    pane = Pane(command, SIZE)
    try:
        started = time.perf_counter()
        screen = pane.capture()
        while wait_for_epoch and _epoch(screen) is None:
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"no epoch on screen after {timeout:g} s: {ANSI.sub('', screen)[-300:]!r}")
            time.sleep(POLL)
            screen = pane.capture()
        first_epoch = _epoch(screen)
        changes, previous = 0, None
        start = time.perf_counter()
        while (now := time.perf_counter()) - start < seconds:
            screen = pane.capture()
            rows = screen.split("\n")[r0:r1]
            digest = hashlib.md5("\n".join(_visible_columns(row, c0, c1) for row in rows).encode()).digest()
            changes += previous is not None and digest != previous
            previous = digest
            time.sleep(max(0.0, POLL - (time.perf_counter() - now)))
        elapsed = time.perf_counter() - start
        last_epoch = _epoch(screen)
    finally:
        pane.close()
    epochs = (last_epoch - first_epoch) / elapsed if first_epoch is not None and last_epoch is not None else float("nan")
    return {"changes": changes / elapsed, "epochs": epochs}


def run(quick: bool = False) -> list[Table]:
    title = f"pace: heatmap redraws per second in tmux ({SIZE[0]}×{SIZE[1]}) while the default circle's boundary forms"
    table = Table(title, ["run", "heatmap changes/s", "÷ reference", "epochs/s on screen"])
    if shutil.which("tmux") is None:
        table.notes.append("not measured: tmux is not installed (apt-get install tmux)")
        return [table]
    repeats = 1 if quick else 3
    seconds = BOUNDARY_EPOCHS / DEFAULT_SPEED  # the window in which the boundary forms
    nntui = nntui_command()
    reference = [sys.executable, "-c", REFERENCE, *map(str, HEATMAP)]
    runs = {
        f"default pace ({DEFAULT_SPEED} epochs/s): nntui": nntui,
        "full speed: nntui --speed full": [*nntui, "--speed", "full"],
    }
    measured: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    references: list[float] = []
    for _ in range(repeats):  # interleaved, so that a busy moment of the machine touches all alike
        references.append(region_changes(reference, seconds, wait_for_epoch=False)["changes"])
        for name, command in runs.items():
            measured[name].append(region_changes(command, seconds))
    ref = statistics.median(references)
    for name, results in measured.items():
        changes = statistics.median(r["changes"] for r in results)
        epochs = statistics.median(r["epochs"] for r in results)
        table.add(name, f"{changes:.1f}", f"{changes / ref:.2f}×" if ref else "–", f"{epochs:.0f}")
    table.add("reference: a program repainting the region 60 times a second", f"{ref:.1f}", "1.00×", "–")
    paced = statistics.median(r["changes"] for r in measured[next(iter(runs))])
    table.notes += [
        f"median of {repeats} run(s) of {seconds:g} s each, from the first epoch on screen (the boundary forms by about "
        f"epoch {BOUNDARY_EPOCHS}); the pane is read every {POLL * 1000:g} ms with its colours, so the reference is as "
        f"many changes as this way of looking can see; the app: `{' '.join(shorten(a) for a in nntui)}`.",
        "the app redraws its panels at most 20 times a second at a pace, 10 at full speed (tui/dashboard.py FRAME_INTERVAL, "
        "FULL_SPEED_INTERVAL); a change the poller sees is one frame a person sees.",
    ]
    table.goals.append(f"pace: heatmap redraws per second in tmux at the default pace = {paced:.1f} "
                       f"(goal ≥ {GOAL:g}: {goal(paced >= GOAL)})")
    return [table]


if __name__ == "__main__":
    run_alone(__doc__, run, quick_help="one run of each instead of three")
