"""Writing what a run produced: the per-epoch metrics as CSV or JSON lines (atomically)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Iterable

from nntui.engine import EpochStats, atomic_write

METRIC_FIELDS = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc", "penalty", "lr")


def metrics_row(stats: EpochStats) -> dict:
    """One epoch's figures as a flat dict (gradient norms as grad_norm_0, grad_norm_1, …)."""
    row = {k: getattr(stats, k) for k in METRIC_FIELDS}
    for l, g in enumerate(stats.grad_norms):
        row[f"grad_norm_{l}"] = g
    return row


def metrics_format(path: str) -> str:
    """'csv' or 'jsonl' from the file name; ValueError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".json"):
        return "jsonl"
    raise ValueError(f"{path}: metrics file must end in .csv or .jsonl")


def write_metrics(path: str, history: Iterable[EpochStats]) -> None:
    """Write every epoch's figures to path (.csv or .jsonl), atomically."""
    fmt = metrics_format(path)
    rows = [metrics_row(s) for s in history]
    buf = io.StringIO()
    if fmt == "csv":
        fields = list(rows[0]) if rows else list(METRIC_FIELDS)
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    else:
        for r in rows:
            buf.write(json.dumps(r) + "\n")
    atomic_write(path, lambda f: f.write(buf.getvalue().encode("utf-8")))
