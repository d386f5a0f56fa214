"""What the benchmark parts share: result tables, timing helpers and the machine's facts.

A part is a function ``run(quick: bool) -> list[Table]``; ``benchmarks/run.py`` prints each
table as text and writes them all, with the machine facts, to a markdown report.
"""

from __future__ import annotations

import importlib
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "benchmarks"):  # the benchmarks run from a checkout, even without `pip install -e`
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


# The run the UI, frames and memory parts measure: spiral data (500 points, 250 for training),
# a 2-8-8-1 tanh network, Adam, batch 10, at full speed (nntui --dataset spiral --layers 8,8 --optimizer adam
# --speed full).
SETTINGS = dict(dataset="spiral", layers="8,8", optimizer="adam", speed="full")
SETTINGS_LABEL = "spiral, 2-8-8-1 tanh, Adam, batch 10"


@dataclass
class Table:
    """One table of results: a title, column headers, rows of cells (already formatted) and notes."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)  # one line per goal, for the report's summary

    def add(self, *cells) -> None:
        self.rows.append([str(c) for c in cells])

    def text(self) -> str:
        """The table for a terminal: the first column left-aligned, the others right-aligned."""
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h) for i, h in enumerate(self.headers)]

        def line(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        out = [self.title, line(self.headers), "  ".join("-" * w for w in widths)]
        out += [line(r) for r in self.rows]
        out += [f"  {n}" for n in self.notes]
        return "\n".join(out)

    def markdown(self) -> str:
        align = ["---"] + ["---:"] * (len(self.headers) - 1)
        out = [f"**{self.title}**", "", "| " + " | ".join(self.headers) + " |", "| " + " | ".join(align) + " |"]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in self.rows]
        if self.notes:
            out.append("")
            out += [f"- {n}" for n in self.notes]
        return "\n".join(out)


# ------------------------------------------------------------------------ timing
def median_ms(fn, repeat: int = 30) -> float:
    """Median milliseconds of fn() over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of values, linearly interpolated; nan when empty."""
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values, dtype=float), q))


def ratio(x: float, reference: float) -> str:
    return f"{x / reference:.2f}×" if reference else "–"


def run_alone(doc: str, *parts, quick_help: str = "shorter runs (noisier)") -> None:
    """What a part's file does when run on its own: parse --quick, run the parts, print their tables."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    quick = parser.parse_args().quick
    for part in parts:
        for table in part(quick):
            print(table.text(), end="\n\n")


def goal(met: bool) -> str:
    """How a measured figure compares with its goal (informative only: nothing fails)."""
    return "met" if met else "NOT met"


# ------------------------------------------------------------------------ processes
def nntui_command() -> list[str]:
    """The installed ``nntui`` script beside this Python, else ``python -m nntui``."""
    script = Path(sys.executable).with_name("nntui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nntui"]


def shorten(path: str) -> str:
    """A path relative to the checkout when inside it."""
    p = Path(path)
    return str(p.relative_to(ROOT)) if p.is_absolute() and p.is_relative_to(ROOT) else path


def status_kb(field: str, pid: int | str = "self") -> int | None:
    """A field of /proc/PID/status in KiB (Linux: VmRSS, VmHWM, …), or None (no /proc, or no such process)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def cpu_seconds(pid: int | str = "self") -> float | None:
    """CPU seconds a process has used so far (utime + stime of /proc/PID/stat), or None."""
    try:
        # Fields after the command name (which may hold spaces, in parentheses): state is
        # field 3, utime 14 and stime 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[14 - 3]) + int(fields[15 - 3])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# ------------------------------------------------------------------------ the machine
def _busy_seconds() -> float | None:
    """CPU seconds all processes have used since boot (Linux /proc/stat), or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        ticks = [int(f) for f in fields]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
        busy = sum(ticks[:8]) - idle  # user … steal; guest time is counted in user already
        return busy / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def wait_for_quiet(max_seconds: float, quiet_seconds: float = 10.0, threshold: float = 0.05) -> bool:
    """Wait until the machine's CPUs have been idle (less than ``threshold`` CPUs busy) for
    ``quiet_seconds`` in a row; False if that did not happen within ``max_seconds``."""
    start = quiet_since = time.perf_counter()
    while time.perf_counter() - start < max_seconds:
        before = _busy_seconds()
        if before is None:
            return True
        time.sleep(1.0)
        if _busy_seconds() - before >= threshold:
            quiet_since = time.perf_counter()
        elif time.perf_counter() - quiet_since >= quiet_seconds:
            return True
    return False


class OtherLoad:
    """How many CPUs other processes kept busy between ``start()`` and ``cores()``: the machine's
    busy time less this process's and its children's.  Nonzero means the figures were disturbed."""

    def start(self) -> "OtherLoad":
        t = os.times()
        self._busy, self._own, self._wall = _busy_seconds(), t.user + t.system + t.children_user + t.children_system, time.perf_counter()
        return self

    def cores(self) -> float | None:
        busy = _busy_seconds()
        if busy is None or self._busy is None:
            return None
        t = os.times()
        own = t.user + t.system + t.children_user + t.children_system
        return max(0.0, (busy - self._busy) - (own - self._own)) / (time.perf_counter() - self._wall)



def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def blas() -> str:
    """The BLAS NumPy was built with, and its thread count when threadpoolctl is importable."""
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{cfg.get('name')} {cfg.get('version')}"
        config = cfg.get("openblas configuration", "")
        if "MAX_THREADS" in config:  # e.g. "… Haswell MAX_THREADS=64": the kernel set it was built for
            name += f" ({' '.join(config.split()[-2:])})"
    except Exception:  # older NumPy
        name = "?"
    try:
        from threadpoolctl import threadpool_info

        threads = {i["internal_api"]: i["num_threads"] for i in threadpool_info()}
        name += f", threads {threads}"
    except Exception:
        pass
    return name


def optional_version(module: str) -> str | None:
    """The version of an importable optional package, or None."""
    try:
        return getattr(importlib.import_module(module), "__version__", "?")
    except Exception:
        return None


def machine_facts() -> list[tuple[str, str]]:
    import textual

    env = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE") if k in os.environ}
    facts = [
        ("CPU", f"{os.cpu_count()} CPUs, {_cpu_model()}"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("NumPy", np.__version__),
        ("BLAS", blas()),
        ("BLAS/OpenMP environment", str(env) if env else "none set"),
        ("Textual", textual.__version__),
    ]
    for label, module in (("PyTorch", "torch"), ("scikit-learn", "sklearn")):
        facts.append((label, optional_version(module) or "not installed"))
    return facts
