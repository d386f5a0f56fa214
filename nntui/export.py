"""Writing what a run produced: the per-epoch metrics as CSV or JSON lines, and a 2-D dataset's points as CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Iterable

from nntui.datasets import Dataset
from nntui.engine import EpochStats
from nntui.files import atomic_write

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


class MetricsText:
    """The text of a metrics file, a piece at a time: CSV (a header before the first row) or JSON lines."""

    def __init__(self, path: str):
        self.format = metrics_format(path)
        self._fields: list[str] | None = None  # the CSV header, once written

    def lines(self, stats: Iterable[EpochStats], run: str | None = None) -> str:
        """The lines for these epochs (with the CSV header if none was given yet); ``run``: the
        label of the run they are of, in a first column ``run`` (runs compared in one file)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for s in stats:
            row = metrics_row(s) if run is None else {"run": run, **metrics_row(s)}
            if self.format == "jsonl":
                buf.write(json.dumps(row) + "\n")
                continue
            if self._fields is None:
                buf.write(self.header(list(row)))
            writer.writerow("" if v is None else v for v in row.values())
        return buf.getvalue()

    def header(self, fields: list[str] | None = None) -> str:
        """The CSV header line (once; empty for JSON lines or when already given)."""
        if self.format != "csv" or self._fields is not None:
            return ""
        self._fields = fields or list(METRIC_FIELDS)
        return ",".join(self._fields) + "\n"


def write_metrics(path: str, log: Iterable[EpochStats]) -> None:
    """Write every epoch's figures (the log) to path (.csv or .jsonl), atomically."""
    text = MetricsText(path)
    body = text.lines(log)
    body = text.header() + body  # a CSV of no epochs still has its header
    atomic_write(path, lambda f: f.write(body.encode("utf-8")))


def data_test_path(path: str) -> str:
    """Where ``write_data`` puts the test points of ``path``: data.csv → data-test.csv."""
    p = Path(path)
    return str(p.with_name(f"{p.stem}-test{p.suffix}"))


def write_data(path: str, data: Dataset) -> str:
    """Write a 2-D dataset's training points to ``path`` and its test points beside it
    (``data_test_path``), each a CSV of x1,x2,label, atomically; returns the test file's path.

    ``nntui --dataset path --test-data TEST`` loads them back as the same split (one file
    would be split afresh).  Labels are the class names (a regression target: the number);
    coordinates are written in full, so they read back exactly."""
    if data.points_train is None or data.points_test is None:
        raise ValueError(f"{data.name} is not 2-D data: only 2-D points are exported")
    test_path = data_test_path(path)
    names = data.input_names or ("x1", "x2")
    how = f"load both with: nntui --dataset {Path(path).name} --test-data {Path(test_path).name}"
    for file, points, labels, what in ((path, data.points_train, data.y_train, "training"),
                                       (test_path, data.points_test, data.y_test, "test")):
        buf = io.StringIO()
        buf.write(f"# nntui: the {len(points)} {what} points of {data.name}; {how}\n")
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([*names, "label"])
        for (x1, x2), label in zip(points.tolist(), labels.tolist()):
            writer.writerow([repr(x1), repr(x2), data.class_names[label] if data.class_names else repr(label)])
        text = buf.getvalue()
        atomic_write(file, lambda f, text=text: f.write(text.encode("utf-8")))
    return test_path
