"""Memory of a long run with rewind history on (run by hand, not part of pytest).

    .venv/bin/python benchmarks/run.py --only memory [--quick]      (or this file on its own)

A fresh Python process builds the session the UI benchmarks use (spiral, 2-8-8-1, Adam,
batch 10) and trains it as the UI's training thread does, without the thread: per epoch
``trainer.step_epoch()`` and ``History.record(trainer.checkpoint())``, the trainer keeping every
epoch's ``EpochStats``.  It reports its resident memory (VmRSS and VmHWM from
/proc/self/status; getrusage's peak where there is no /proc) before training and after
1,000 … 10,000 epochs; the ratio is to the resident memory of the same process before
training (imports done, data and network built).  ``--quick`` changes nothing here (~8 s).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SETTINGS, SETTINGS_LABEL, Table, run_alone  # noqa: E402
MB = 1024 * 1024


def _status_kb(field: str) -> int | None:
    """A field of /proc/self/status in KiB (Linux), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_bytes() -> int:
    """This process's peak resident set size.  VmHWM where there is one: getrusage's ru_maxrss
    keeps the parent's peak across fork and exec on Linux."""
    hwm = _status_kb("VmHWM")
    if hwm is not None:
        return hwm * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def rss_bytes() -> int:
    """This process's resident set size now (VmRSS), else its peak so far."""
    rss = _status_kb("VmRSS")
    return peak_rss_bytes() if rss is None else rss * 1024


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def retained_bytes_per_epoch(epochs: int = 500) -> float:
    """Bytes a trainer keeps per epoch without any rewind history (its EpochStats), from tracemalloc."""
    import tracemalloc

    from nntui.session import build_session
    from nntui.settings import merge

    trainer = build_session(merge(SETTINGS)).trainer
    trainer.step_epoch()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(epochs):
        trainer.step_epoch()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / epochs


def epoch_with_checkpoint(trainer, history) -> None:
    """One epoch as the UI's training thread runs it (less the publishing): train, then record a checkpoint for rewind."""
    trainer.step_epoch()
    history.record(trainer.checkpoint())


def child(epochs: int, marks: list[int]) -> None:
    """The measured process: train ``epochs`` epochs, print one JSON line per mark."""
    import gc

    from nntui.live.history import History
    from nntui.session import build_session
    from nntui.settings import merge

    trainer = build_session(merge(SETTINGS)).trainer
    history = History()
    history.record(trainer.checkpoint())
    gc.collect()

    def report(seconds: float) -> None:
        print(json.dumps({
            "epoch": trainer.epoch, "rss": rss_bytes(), "peak": peak_rss_bytes(), "seconds": seconds,
            "checkpoints": len(history), "checkpoint_bytes": history.nbytes(), "stats": len(trainer.history),
        }), flush=True)

    report(0.0)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        epoch_with_checkpoint(trainer, history)
        if epoch in marks:
            report(time.perf_counter() - start)
    # Last, so that it cannot change the figures above: what the EpochStats alone cost, and what
    # copying the history costs, as Runner does for every update it publishes (about two per frame).
    long = trainer.history * 100  # a 1,000,000-epoch history (the same objects)
    print(json.dumps({
        "stats_bytes_per_epoch": retained_bytes_per_epoch(),
        "copy_ms": min(timed(lambda: tuple(trainer.history)) for _ in range(20)),
        "copy_long_ms": min(timed(lambda: tuple(long)) for _ in range(5)),
        "long": len(long),
    }), flush=True)


def measure(epochs: int) -> list[dict]:
    marks = sorted({m for m in (1_000, 2_000, 5_000, epochs) if m <= epochs})
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); import bench_memory; bench_memory.child({epochs}, {marks})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]  # the marks, then the EpochStats size


def run(quick: bool = False) -> list[Table]:
    epochs = 10_000
    *rows, stats = measure(epochs)
    before = rows[0]["rss"]
    stats_mb = stats["stats_bytes_per_epoch"] * rows[-1]["stats"] / MB
    table = Table(
        f"memory: resident memory of a {epochs:,}-epoch run with rewind history "
        f"({SETTINGS_LABEL}), ratio to before training",
        ["after epochs", "RSS MB", "÷ before", "growth MB", "checkpoints kept", "their arrays MB", "EpochStats kept", "peak RSS MB"],
    )
    for r in rows:
        table.add(f"{r['epoch']:,}", f"{r['rss'] / MB:.1f}", f"{r['rss'] / before:.2f}×", f"{(r['rss'] - before) / MB:+.1f}",
                  f"{r['checkpoints']:,}", f"{r['checkpoint_bytes'] / MB:.2f}", f"{r['stats']:,}", f"{r['peak'] / MB:.1f}")
    last = rows[-1]
    table.notes += [
        "a fresh process; per epoch Trainer.step_epoch() and History.record(trainer.checkpoint()) (History's "
        "defaults: every one of the last 1,000 epochs, about 1,000 older ones at a doubling stride); the "
        "trainer keeps every epoch's EpochStats.",
        f"before = after imports, data and network ({before / MB:.1f} MB); RSS = VmRSS, peak = VmHWM (/proc/self/status); "
        f"{last['epoch']:,} epochs took {last['seconds']:.1f} s ({last['epoch'] / last['seconds']:,.0f} epochs/s).",
        f"of the {(last['rss'] - before) / MB:.1f} MB growth after {last['epoch']:,} epochs: {last['checkpoint_bytes'] / MB:.1f} MB "
        f"the kept checkpoints' arrays (parameters and Adam's moments; a checkpoint taken part-way through an epoch also keeps its sample order), about "
        f"{stats_mb:.1f} MB the EpochStats ({stats['stats_bytes_per_epoch']:.0f} bytes each, from tracemalloc), the rest the checkpoints' Python objects (optimizer and "
        "RNG state dicts) and memory freed by the history's thinning but kept by the allocator (RSS never shrinks "
        "back from the 2,001 checkpoints held at 2,000 epochs).",
        f"the EpochStats list grows without bound, and the UI's Runner copies it (tuple(trainer.history)) for every "
        f"update it publishes, about two per frame: {stats['copy_ms']:.3f} ms at {last['stats']:,} epochs, "
        f"{stats['copy_long_ms']:.1f} ms at {stats['long']:,} epochs.",
    ]
    return [table]


if __name__ == "__main__":
    run_alone(__doc__, run)
