"""Memory of long runs (run by hand, not part of pytest): what the training process keeps per
epoch, and the real TUI's processes over ten minutes.

    .venv/bin/python benchmarks/run.py --only memory [--quick]      (or this file on its own)
    .venv/bin/python benchmarks/run.py --only soak [--quick]        (or this file with --soak)

Part "memory": a fresh Python process builds the session the UI benchmarks use (spiral,
2-8-8-1, Adam, batch 10) and does per epoch what the training process does, without the
process machinery: ``trainer.step_epoch()`` and ``History.record(trainer.checkpoint())`` (the
default 256 MB byte budget); and what the UI process does with the figures of each epoch:
``MetricsLog.extend(stats_rows([stats]))``.  It reports its resident memory (VmRSS and VmHWM
from /proc/self/status; getrusage's peak where there is no /proc) before training and after
1,000 … 10,000 epochs; the ratio is to the resident memory of the same process before training
(imports done, data and network built).  ``--quick`` changes nothing here (~10 s).

Part "soak" (only when asked for: it takes 11 minutes, ``--quick`` 2): the real TUI
(``nntui`` with its defaults: circle data, full speed) in a pseudo-terminal of 120×40 whose
output a thread drains, as a terminal would.  Every 10 s it samples the resident memory of the
UI process and of its training process (the UI's child running ``multiprocessing.spawn``), for
10 minutes (``--quick``: 1); then a wide net (``--layers 512,512 --optimizer adam``), whose
checkpoints fill the rewind history's budget within seconds, for 1 minute (``--quick``: 30 s),
sampled every second, for its peak.  Each app is ended with SIGTERM, and the benchmark checks
that its processes are gone.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import resource
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SETTINGS, SETTINGS_LABEL, Table, cpu_seconds, goal, nntui_command, run_alone, shorten, status_kb  # noqa: E402

MB = 1024 * 1024


def peak_rss_bytes() -> int:
    """This process's peak resident set size.  VmHWM where there is one: getrusage's ru_maxrss
    keeps the parent's peak across fork and exec on Linux."""
    hwm = status_kb("VmHWM")
    if hwm is not None:
        return hwm * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def rss_bytes() -> int:
    """This process's resident set size now (VmRSS), else its peak so far."""
    rss = status_kb("VmRSS")
    return peak_rss_bytes() if rss is None else rss * 1024


# ------------------------------------------------------------------ part "memory"
def epoch_with_checkpoint(trainer, history):
    """One epoch as the training process's Runner runs it (less the publishing): train, then
    record a checkpoint for rewind; returns the epoch's EpochStats."""
    stats = trainer.step_epoch()
    history.record(trainer.checkpoint())
    return stats


def child(epochs: int, marks: list[int]) -> None:
    """The measured process: train ``epochs`` epochs, print one JSON line per mark."""
    import gc

    from nntui.live.history import History
    from nntui.live.metrics import MetricsLog, stats_rows
    from nntui.session import build_session
    from nntui.settings import merge

    trainer = build_session(merge(SETTINGS)).trainer
    history = History()  # the default budget, as the app's (--history-mb 256)
    history.record(trainer.checkpoint())
    log = MetricsLog()
    log.extend(stats_rows([trainer.stats]))
    gc.collect()

    def report(seconds: float) -> None:
        columns = log.table().shape[1]
        print(json.dumps({
            "epoch": trainer.epoch, "rss": rss_bytes(), "peak": peak_rss_bytes(), "seconds": seconds,
            "checkpoints": len(history), "checkpoint_bytes": history.nbytes(), "budget": history.budget_bytes,
            "recent": history.recent, "older": history.older,
            "log_rows": len(log), "log_bytes": len(log) * columns * 8, "log_capacity": log.capacity,
            "log_allocated": log.capacity * columns * 8, "log_stride": log.stride, "columns": columns,
        }), flush=True)

    report(0.0)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        stats = epoch_with_checkpoint(trainer, history)
        log.extend(stats_rows([stats]))
        if epoch in marks:
            report(time.perf_counter() - start)


def measure(epochs: int) -> list[dict]:
    marks = sorted({m for m in (1_000, 2_000, 5_000, epochs) if m <= epochs})
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); import bench_memory; bench_memory.child({epochs}, {marks})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def run(quick: bool = False) -> list[Table]:
    from nntui.live.history import MAX_CHECKPOINTS

    epochs = 10_000
    rows = measure(epochs)
    before = rows[0]["rss"]
    table = Table(
        f"memory: resident memory of a {epochs:,}-epoch run with rewind history and a metrics log "
        f"({SETTINGS_LABEL}), ratio to before training",
        ["after epochs", "RSS MB", "÷ before", "growth MB", "checkpoints kept", "their arrays MB",
         "MetricsLog rows", "their MB", "peak RSS MB"],
    )
    for r in rows:
        table.add(f"{r['epoch']:,}", f"{r['rss'] / MB:.1f}", f"{r['rss'] / before:.2f}×", f"{(r['rss'] - before) / MB:+.1f}",
                  f"{r['checkpoints']:,}", f"{r['checkpoint_bytes'] / MB:.2f}", f"{r['log_rows']:,}",
                  f"{r['log_bytes'] / MB:.2f}", f"{r['peak'] / MB:.1f}")
    last = rows[-1]
    log_growth = (last["log_bytes"] - rows[0]["log_bytes"]) / MB
    table.notes += [
        "a fresh process; per epoch Trainer.step_epoch() and History.record(trainer.checkpoint()), as the training "
        "process does, and MetricsLog.extend(stats_rows([stats])), as the UI process does with the rows each update "
        "brings (here in one process, without pipes or drawing).",
        f"History's byte budget is {last['budget'] / MB:.0f} MB; a checkpoint of this net is "
        f"{last['checkpoint_bytes'] / max(last['checkpoints'], 1) / 1024:.1f} KiB of arrays (parameters, Adam's moments, "
        f"the sample order), so History keeps "
        + ("at most its cap (MAX_CHECKPOINTS): " if last["recent"] + last["older"] >= MAX_CHECKPOINTS else "what fits: ")
        + f"every one of the last {last['recent']:,} epochs and {last['older']:,} older ones at a doubling stride.",
        f"MetricsLog: a row of {last['columns']} floats ({last['columns'] * 8} bytes) per epoch; its table is allocated "
        f"at capacity up front ({last['log_capacity']:,} rows, {last['log_allocated'] / MB:.1f} MB, in RSS only as rows "
        f"are written) and thinned to buckets when full, so a run of any length keeps at most that; "
        + (f"not thinned yet at {last['epoch']:,} epochs" if last["log_stride"] == 1 else
           f"{last['log_stride']} epochs a bucket at {last['epoch']:,} epochs")
        + f", {log_growth:.2f} MB of rows written.",
        f"before = after imports, data and network ({before / MB:.1f} MB); RSS = VmRSS, peak = VmHWM (/proc/self/status); "
        f"{last['epoch']:,} epochs took {last['seconds']:.1f} s ({last['epoch'] / last['seconds']:,.0f} epochs/s).",
        f"of the {(last['rss'] - before) / MB:.1f} MB growth after {last['epoch']:,} epochs: {last['checkpoint_bytes'] / MB:.1f} MB "
        f"the kept checkpoints' arrays, {last['log_bytes'] / MB:.1f} MB the log's rows, the rest the checkpoints' Python "
        "objects (optimizer and RNG state dicts) and memory freed by the history's thinning but kept by the allocator "
        "(RSS does not shrink back from the most checkpoints held, at 2,000 epochs).",
    ]
    return [table]


# ------------------------------------------------------------------ part "soak"
TERMINAL = (120, 40)
SAMPLE_SECONDS = 10.0  # between samples of the default run
WIDE = ["--layers", "512,512", "--optimizer", "adam", "--speed", "full"]
GROWTH_GOAL_MB = 20.0  # from minute 1 to the end of the default run
WIDE_MARGIN_MB = 200.0  # the wide net's peak: at most the history budget + this
HISTORY_BUDGET_MB = 256  # --history-mb's default
ANSI = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
EPOCH = re.compile(r"epoch (\d[\d,]*)")
TAIL_BYTES = 256 * 1024  # of the terminal output kept, to read the epoch off the status bar


class Terminal:
    """A pseudo-terminal running a command, its output drained by a thread as a terminal would
    (so the app never blocks on a full pty), the last bytes kept to read the screen's text."""

    def __init__(self, command: list[str], size: tuple[int, int] = TERMINAL):
        columns, lines = size
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)}
        self.process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(follower)  # the app's (and its children's) now: reads fail with EIO once they all close it
        self._leader = leader
        self.bytes = 0
        self._tail = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._drain, name="pty-drain", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self._leader, 65536)
            except OSError:  # EIO: every process holding the terminal has closed it
                return
            if not data:
                return
            with self._lock:
                self.bytes += len(data)
                self._tail += data
                if len(self._tail) > 2 * TAIL_BYTES:
                    del self._tail[:-TAIL_BYTES]

    def epoch(self) -> int | None:
        """The newest epoch the status bar showed in the output kept, or None."""
        with self._lock:
            text = ANSI.sub("", self._tail.decode("utf-8", "replace"))
        found = EPOCH.findall(text)
        return int(found[-1].replace(",", "")) if found else None

    def close(self) -> None:
        self._reader.join(5.0)
        os.close(self._leader)


def children(pid: int) -> list[int]:
    """The child processes of a process (/proc/PID/task/*/children)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return found


def is_training(pid: int) -> bool:
    """Is this the training process (a multiprocessing spawn child), not the resource tracker?"""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def alive(pid: int) -> bool:
    """Does the process still run (exists and is no zombie)?"""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    kb = status_kb(field, pid)
    return 0.0 if kb is None else kb / 1024


def soak(args: list[str], seconds: float, every: float) -> dict:
    """Run nntui with ``args`` in a pty for ``seconds``; sample the memory every ``every`` seconds;
    end it with SIGTERM and check that its processes are gone."""
    term = Terminal([*nntui_command(), *args])
    ui = term.process.pid
    try:
        deadline = time.perf_counter() + 60.0
        while not any(is_training(c) for c in children(ui)) or term.epoch() is None:  # started, and drawn
            if time.perf_counter() > deadline or term.process.poll() is not None:
                raise RuntimeError(f"nntui {' '.join(args)} did not start (exit code {term.process.poll()})")
            time.sleep(0.1)
        kids = children(ui)
        training = [c for c in kids if is_training(c)]
        others = [c for c in kids if c not in training]
        cpu_start = {pid: cpu_seconds(pid) for pid in [ui, *training]}
        samples, start = [], time.perf_counter()
        for k in range(int(seconds / every) + 1):
            time.sleep(max(0.0, start + k * every - time.perf_counter()))
            samples.append({
                "t": time.perf_counter() - start, "epoch": term.epoch(), "ui": rss_mb(ui),
                "training": sum(rss_mb(c) for c in training), "others": sum(rss_mb(c) for c in others),
            })
        elapsed = time.perf_counter() - start
        cpu = {pid: ((cpu_seconds(pid) or 0.0) - (cpu_start[pid] or 0.0)) / elapsed for pid in cpu_start}
        peaks = {"ui": rss_mb(ui, "VmHWM"), "training": sum(rss_mb(c, "VmHWM") for c in training)}
    except BaseException:
        term.process.kill()
        term.process.wait()
        term.close()
        raise
    # The end: SIGTERM, as a closed session would send; the app quits as with q.
    stop = time.perf_counter()
    os.kill(ui, signal.SIGTERM)
    try:
        code = term.process.wait(15.0)
    except subprocess.TimeoutExpired:
        term.process.kill()
        code = f"killed ({term.process.wait()}) after 15 s"
    ui_gone = time.perf_counter() - stop
    deadline = time.perf_counter() + 10.0
    while any(alive(c) for c in kids) and time.perf_counter() < deadline:
        time.sleep(0.05)
    left = [c for c in kids if alive(c)]
    for pid in left:  # ours to end: the app started them
        os.kill(pid, signal.SIGKILL)
    all_gone = time.perf_counter() - stop
    term.close()
    return {
        "samples": samples, "cpu_ui": cpu[ui], "cpu_training": sum(cpu[c] for c in training), "peaks": peaks,
        "output_mb_per_s": term.bytes / MB / (time.perf_counter() - start), "exit_code": code,
        "ui_gone": ui_gone, "all_gone": all_gone, "left": left, "children": len(kids),
    }


def clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(round(seconds % 60)):02d}"


BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], min_span: float = 4.0) -> tuple[str, float, float]:
    """One character per value, ▁ … █ from the lowest value to at least ``min_span`` above it
    (so that noise stays flat); returns the line and the values of ▁ and █."""
    lo = min(values)
    hi = max(max(values), lo + min_span)
    line = "".join(BLOCKS[min(len(BLOCKS) - 1, int((v - lo) / (hi - lo) * len(BLOCKS)))] for v in values)
    return line, lo, hi


def ending(run: dict) -> str:
    """How the app ended, for a note."""
    gone = (f"all {run['children'] + 1} processes gone {run['all_gone']:.1f} s after SIGTERM"
            if not run["left"] else f"{len(run['left'])} still ran 10 s later and were killed (SIGKILL)")
    return f"after SIGTERM the UI exited in {run['ui_gone']:.1f} s (exit code {run['exit_code']}); {gone}"


def run_soak(quick: bool = False) -> list[Table]:
    minutes, wide_seconds = (1, 30.0) if quick else (10, 60.0)
    nntui = " ".join(shorten(a) for a in nntui_command())

    base = soak(["--speed", "full"], minutes * 60.0, SAMPLE_SECONDS)
    samples = base["samples"]
    total = [s["ui"] + s["training"] for s in samples]
    reference_t = 60.0 if minutes >= 2 else minutes * 60.0 / 2  # minute 1 (a 1-minute run: half-way)
    ref = next(i for i, s in enumerate(samples) if s["t"] >= reference_t - 0.5)
    growth = total[-1] - total[ref]
    table = Table(
        f"soak: resident memory of the TUI (`{nntui}`: circle data, full speed) in a {TERMINAL[0]}×{TERMINAL[1]} pty "
        f"for {minutes} minute{'s' if minutes > 1 else ''}",
        ["m:ss", "epoch", "UI RSS MB", "training RSS MB", "total MB", "÷ at 0:00"],
    )
    for s, t in zip(samples, total):
        table.add(clock(s["t"]), "–" if s["epoch"] is None else f"{s['epoch']:,}", f"{s['ui']:.1f}",
                  f"{s['training']:.1f}", f"{t:.1f}", f"{t / total[0]:.2f}×")
    line, lo, hi = sparkline(total)
    table.notes += [
        f"total RSS, one character per sample from 0:00 to {clock(samples[-1]['t'])}, ▁ = {lo:.1f} MB … █ = {hi:.1f} MB: {line}",
        f"growth of the total from {clock(samples[ref]['t'])} to {clock(samples[-1]['t'])}: {growth:+.1f} MB "
        f"(UI {samples[-1]['ui'] - samples[ref]['ui']:+.1f}, training {samples[-1]['training'] - samples[ref]['training']:+.1f}).",
        f"RSS = VmRSS of /proc/PID/status every {SAMPLE_SECONDS:g} s, from when the training process ran and the first "
        "frame was drawn; the training process is the UI's child running multiprocessing.spawn; the UI's other child, "
        f"multiprocessing's resource tracker, held {samples[-1]['others']:.1f} MB and is left out of the total; RSS counts "
        "the pages both processes share (Python, NumPy's libraries) in each.",
        f"epoch: read off the status bar in the terminal output; CPU over the run: UI process {base['cpu_ui']:.0%}, "
        f"training process {base['cpu_training']:.0%} of a core; terminal output {base['output_mb_per_s']:.2f} MB/s.",
        ending(base) + ".",
    ]
    table.goals.append(f"soak: total RSS growth from {clock(samples[ref]['t'])} to the end of a {minutes}-minute run = "
                       f"{growth:+.1f} MB (goal ≤ +{GROWTH_GOAL_MB:g} MB: {goal(growth <= GROWTH_GOAL_MB)})")

    wide = soak(WIDE, wide_seconds, 1.0)
    ws = wide["samples"]
    wide_total = [s["ui"] + s["training"] for s in ws]
    peak = max(wide_total)
    limit = HISTORY_BUDGET_MB + WIDE_MARGIN_MB
    wide_table = Table(
        f"soak: the wide net (`{nntui} {' '.join(WIDE)}`) for {wide_seconds:g} s, resident memory against the rewind "
        f"history's budget ({HISTORY_BUDGET_MB} MB)",
        ["m:ss", "epoch", "UI RSS MB", "training RSS MB", "total MB"],
    )
    for s, t in list(zip(ws, wide_total))[::5]:
        wide_table.add(clock(s["t"]), "–" if s["epoch"] is None else f"{s['epoch']:,}", f"{s['ui']:.1f}",
                       f"{s['training']:.1f}", f"{t:.1f}")
    line, lo, hi = sparkline(wide_total)
    wide_table.notes += [
        f"sampled every second (every 5th shown); peak total {peak:.1f} MB at {clock(ws[wide_total.index(peak)]['t'])}; "
        f"the processes' own peaks (VmHWM) add up to {wide['peaks']['ui'] + wide['peaks']['training']:.1f} MB "
        f"(UI {wide['peaks']['ui']:.1f}, training {wide['peaks']['training']:.1f}), an upper bound of the total's peak.",
        f"total RSS, one character per second, ▁ = {lo:.1f} MB … █ = {hi:.1f} MB: {line}",
        f"CPU over the run: UI process {wide['cpu_ui']:.0%}, training process {wide['cpu_training']:.0%} of a core; "
        + ending(wide) + ".",
    ]
    wide_table.goals.append(f"soak: wide net (512,512, Adam) peak total RSS = {peak:.0f} MB (goal ≤ history budget "
                            f"{HISTORY_BUDGET_MB} + {WIDE_MARGIN_MB:g} = {limit:g} MB: {goal(peak <= limit)})")
    return [table, wide_table]


if __name__ == "__main__":
    if "--soak" in sys.argv:
        sys.argv.remove("--soak")
        run_alone(__doc__, run_soak, quick_help="1 minute, and 30 s of the wide net")
    else:
        run_alone(__doc__, run)
