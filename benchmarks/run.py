"""nntui's benchmark suite: run every part, print its tables, write a markdown report.

    .venv/bin/python benchmarks/run.py [--quick] [--only NAME ...] [--report FILE.md] [--retry-disturbed N]

Run by hand, never in CI.  Every figure is printed beside a reference measured in the same
run (the plain NumPy loop, headless training, ``python -c pass``, the process before
training, …), never against a fixed limit; nothing fails.  The full suite (every part but
soak) takes about seven minutes on a 2-core machine, ``--quick`` under two.  After each part
it says how many CPUs other processes kept busy meanwhile: on a 2-core machine any other load
(a test run, a build) skews the figures, OpenBLAS's two-thread products worst of all, so run
it on a quiet machine and run again when a part says it was disturbed (``--retry-disturbed N``
does that).

Parts (``--only`` takes these names, repeated or comma-separated):
    engine    steps/s of the engine against a plain NumPy loop (and PyTorch / scikit-learn if importable)
    ui        training throughput with the live TUI (training in its own process) ÷ headless,
              frames and loss-plot builds per second, CPU of the UI thread, UI process and training process
    latency   key press to screen update while training at full speed (p50 / p95)
    frames    cost of the heavy panels' work per frame at 120×40 and 200×60
    pace      heatmap redraws per second in a real terminal (tmux) while the default circle's boundary forms at
              the TUI's default pace, against a program repainting that region 60 times a second
    startup   time to the first frame, `nntui --headless --epochs 0`, against `python -c pass`
    compare   4 runs side by side (headless --compare, and the training process's Runner) against one run:
              epochs per second in all ÷ one run's (goal ≥ 0.9)
    memory    resident memory after 10,000 epochs of what the training process keeps, against before training
    watch     CPU of `nntui watch` following a file written at 100 lines/s, against the same app idle (--no-follow)
    soak      the real TUI in a pty for 10 minutes (--quick: 1): resident memory of the UI and training
              processes over time, and the peak of a wide net against the history budget.  Not run by
              default (it takes 11 minutes): only with --only soak.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_compare  # noqa: E402
import bench_engine  # noqa: E402
import bench_latency  # noqa: E402
import bench_memory  # noqa: E402
import bench_pace  # noqa: E402
import bench_tui  # noqa: E402
import bench_watch  # noqa: E402
from common import ROOT, OtherLoad, Table, machine_facts, wait_for_quiet  # noqa: E402

DISTURBED = 0.1  # CPUs kept busy by other processes during a part above which its figures are flagged

PARTS = {
    "engine": bench_engine.run,
    "ui": bench_tui.run_ui,
    "latency": bench_latency.run,
    "frames": bench_tui.run_frames,
    "pace": bench_pace.run,
    "startup": bench_tui.run_startup,
    "compare": bench_compare.run,
    "memory": bench_memory.run,
    "watch": bench_watch.run,
    "soak": bench_memory.run_soak,
}
OPT_IN = ("soak",)  # parts run only when --only names them


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="parts: " + ", ".join(PARTS) + f" (by default all but {', '.join(OPT_IN)})",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs and fewer repeats (noisier figures)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only this part (repeat, or NAME,NAME); {', '.join(OPT_IN)} runs only when named")
    parser.add_argument("--retry-disturbed", type=int, default=0, metavar="N",
                        help="run a part again, up to N times, when other processes kept ≥ 0.1 CPU busy meanwhile, "
                        "after waiting (at most 2 minutes) for a quiet machine; the least disturbed run is kept (default 0)")
    parser.add_argument("--report", metavar="FILE.md", default=str(HERE / "REPORT.md"),
                        help="where to write the markdown report (default: benchmarks/REPORT.md)")
    args = parser.parse_args(argv)
    names = [n.strip() for item in (args.only or []) for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        parser.error(f"unknown part {', '.join(unknown)} (choose from {', '.join(PARTS)})")
    args.parts = [n for n in PARTS if n in names] if names else [n for n in PARTS if n not in OPT_IN]
    return args


def disturbance(cores: float | None) -> str:
    """What other processes did to a part's figures, for its heading."""
    if cores is None:
        return ""
    text = f"; other processes kept {cores:.2f} CPUs busy meanwhile"
    return text + (": figures disturbed, run again on a quiet machine" if cores >= DISTURBED else "")


def report(path: Path, args: argparse.Namespace, facts, results: dict[str, list[Table]], seconds: dict[str, float],
           others: dict[str, float | None], total: float) -> None:
    goals = [g for tables in results.values() for t in tables for g in t.goals]
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    command = "benchmarks/run.py" + "".join(f" {a}" for a in sys.argv[1:])
    lines = [
        "# nntui benchmarks",
        "",
        f"`{command}` on {when}, {total:.0f} s"
        + (" (--quick: shorter runs, noisier figures)" if args.quick else "") + ". "
        "Every ratio is to a reference measured in the same run; nothing here is a pass/fail limit.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in facts],
        "",
    ]
    if goals:
        lines += ["## Goals", "", *[f"- {g}" for g in goals], ""]
    for name, tables in results.items():
        lines += [f"## {name}", "", f"{seconds[name]:.0f} s{disturbance(others[name])}.", ""]
        for t in tables:
            lines += [t.markdown(), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> None:
    args = parse_args(argv)
    suite_start = time.perf_counter()
    facts = machine_facts()
    print("\n".join(f"{k}: {v}" for k, v in facts), end="\n\n")
    results: dict[str, list[Table]] = {}
    seconds: dict[str, float] = {}
    others: dict[str, float | None] = {}
    for name in args.parts:
        for attempt in range(1 + max(0, args.retry_disturbed)):
            if attempt:
                print(f"({name} was disturbed: waiting for a quiet machine, then run {attempt + 1})", flush=True)
                wait_for_quiet(120)
            print(f"== {name} ==", flush=True)
            start, load = time.perf_counter(), OtherLoad().start()
            tables = PARTS[name](args.quick)
            elapsed, other = time.perf_counter() - start, load.cores()
            for table in tables:
                print(table.text(), end="\n\n")
            print(f"({name}: {elapsed:.0f} s{disturbance(other)})\n", flush=True)
            if name not in results or (other or 0.0) < (others[name] or 0.0):
                results[name], seconds[name], others[name] = tables, elapsed, other
            if (other or 0.0) < DISTURBED:
                break
    goals = [g for tables in results.values() for t in tables for g in t.goals]
    if goals:
        print("goals:\n" + "\n".join(f"  {g}" for g in goals))
    path = Path(args.report)
    total = time.perf_counter() - suite_start
    report(path, args, facts, results, seconds, others, total)
    shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
    print(f"\nreport written to {shown} ({total:.0f} s in all)")


if __name__ == "__main__":
    main()
