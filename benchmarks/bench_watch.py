"""The watch benchmark (run by hand): CPU that ``nntui watch`` takes while following a metrics file.

    .venv/bin/python benchmarks/run.py --only watch [--quick]
    .venv/bin/python benchmarks/bench_watch.py [--quick]

``nntui watch FILE`` runs in a detached tmux pane of 120×40 while a child process appends a JSON
line (an epoch's figures, as ``nntui --headless --metrics`` writes them) 100 times a second; the
watch process's CPU time (user + system, from /proc) is divided by the wall time.  Reference, in
the same run and measured the same way: the same app following a file that does not grow (the
cost of polling); and, for scale, reading it once (``--no-follow``: an idle Textual app).  Needs tmux and /proc.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pace import SIZE, Pane  # noqa: E402
from common import Table, goal, nntui_command, run_alone  # noqa: E402

RATE = 100  # lines a second the writer appends
GOAL = 0.05  # of a core
WARMUP = 3.0  # seconds for the app to start before measuring

WRITER = """\
import json, math, sys, time
path, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
start = time.monotonic()
with open(path, "a") as f:
    epoch = 0
    while (now := time.monotonic()) - start < seconds:
        loss = 1 / (1 + epoch / 50)
        f.write(json.dumps({"epoch": epoch, "train_loss": loss, "test_loss": 1.1 * loss,
                            "train_acc": 1 - loss / 2, "test_acc": 1 - loss / 1.8, "lr": 0.03}) + "\\n")
        f.flush()
        epoch += 1
        time.sleep(max(0.0, start + epoch / rate - time.monotonic()))
"""


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, IndexError, ValueError):
        return total
    return total + sum(_tree_cpu(int(child)) for child in children)


def cpu_share(args: list[str], path: Path, seconds: float, write: bool) -> float:
    """CPU of ``nntui watch ARGS`` ÷ wall time over ``seconds``, while lines are appended (or not)."""
    pane = Pane([*nntui_command(), "watch", *args, str(path)], SIZE)
    writer = None
    try:
        pid = int(subprocess.run(["tmux", "display-message", "-p", "-t", pane.name, "#{pane_pid}"],
                                 capture_output=True, text=True, check=True).stdout)
        if write:
            writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(RATE), str(WARMUP + seconds + 5)])
        time.sleep(WARMUP)
        cpu0, t0 = _tree_cpu(pid), time.perf_counter()
        time.sleep(seconds)
        cpu1, t1 = _tree_cpu(pid), time.perf_counter()
    finally:
        if writer is not None:
            writer.kill()
            writer.wait()
        pane.close()
    return (cpu1 - cpu0) / (t1 - t0)


def run(quick: bool = False) -> list[Table]:
    title = f"watch: CPU of `nntui watch` in tmux ({SIZE[0]}×{SIZE[1]}) following a file written at {RATE} lines/s"
    table = Table(title, ["run", "CPU (share of a core)", "÷ reference"])
    if shutil.which("tmux") is None or not Path("/proc/self/stat").exists():
        table.notes.append("not measured: needs tmux and /proc")
        return [table]
    seconds = 5.0 if quick else 20.0
    repeats = 1 if quick else 3
    ref_name = "reference: following a file that does not grow (polling only)"
    results: dict[str, list[float]] = {"following, 100 lines/s": [], ref_name: [], "--no-follow (an idle Textual app)": []}
    with tempfile.TemporaryDirectory() as folder:
        for i in range(repeats):  # interleaved, so that a busy moment of the machine touches all alike
            growing = Path(folder) / f"grow-{i}.jsonl"
            still = Path(folder) / f"still-{i}.jsonl"
            still.write_text('{"epoch": 0, "train_loss": 1.0}\n')
            results["following, 100 lines/s"].append(cpu_share([], growing, seconds, write=True))
            results[ref_name].append(cpu_share([], still, seconds, write=False))
            results["--no-follow (an idle Textual app)"].append(
                cpu_share(["--no-follow"], still, seconds, write=False))
    medians = {name: statistics.median(v) for name, v in results.items()}
    ref = medians[ref_name]
    for name, share in medians.items():
        table.add(name, f"{share:.1%}", f"{share / ref:.1f}×" if ref > 0 else "–")
    following = medians["following, 100 lines/s"]
    table.notes.append(f"median of {repeats} run(s) of {seconds:g} s, after {WARMUP:g} s to start; CPU time of the "
                       "pane's process tree (/proc utime + stime, 10 ms ticks) ÷ wall time. The app reads the file 5 times a "
                       "second and redraws the curves at most once a second, only when lines came "
                       "(tui/watch_app.py POLLS_PER_SECOND, PLOT_INTERVAL).")
    table.goals.append(f"watch: CPU following a file at {RATE} lines/s = {following:.1%} of a core "
                       f"(goal < {GOAL:.0%}: {goal(following < GOAL)})")
    return [table]


if __name__ == "__main__":
    run_alone(__doc__, run, quick_help="one run of 5 s of each instead of three of 20 s")
