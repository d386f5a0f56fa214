"""The per-epoch figures: packed into rows and back, kept in bounded memory, streamed to a file."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nntui.engine import EpochStats
from nntui.live.metrics import COL, MetricsLog, MetricsWriter, row_stats, stats_rows

ROOT = Path(__file__).resolve().parents[2]


def stats(epoch: int, loss: float = 1.0, **kw) -> EpochStats:
    fields = dict(test_loss=0.5, train_acc=0.9, test_acc=None, penalty=0.0, grad_norms=(0.1, 0.2), lr=0.03)
    fields.update(kw)
    return EpochStats(epoch, loss, fields["test_loss"], fields["train_acc"], fields["test_acc"],
                      fields["penalty"], fields["grad_norms"], fields["lr"])


def test_rows_give_back_the_same_stats_none_and_nan_apart():
    original = [stats(0), stats(1, math.nan, test_loss=math.nan), stats(2, test_loss=None, train_acc=None)]
    back = [row_stats(r) for r in stats_rows(original)]
    assert back[0] == original[0] and back[2] == original[2]
    assert math.isnan(back[1].train_loss) and math.isnan(back[1].test_loss)  # diverged, not missing
    assert back[1].test_acc is None and back[2].test_loss is None and back[2].train_acc is None


def test_a_rewind_or_new_run_drops_what_the_log_holds_from_that_epoch_on():
    log = MetricsLog()
    log.extend(stats_rows([stats(e) for e in range(10)]))
    log.extend(stats_rows([stats(4, loss=2.0), stats(5, loss=2.0)]))  # rewound to 4, trained on
    assert [s.epoch for s in log.iter_stats()] == [0, 1, 2, 3, 4, 5]
    assert log.last().train_loss == 2.0
    log.extend(stats_rows([stats(0, grad_norms=(0.1,))]))  # a new network, other columns
    assert [s.epoch for s in log.iter_stats()] == [0] and log.last().grad_norms == (0.1,)


def test_a_long_run_stays_within_capacity_and_keeps_every_spike_and_the_newest_epochs():
    rng = np.random.default_rng(0)
    n, capacity = 200_000, 1024
    loss = rng.uniform(1.0, 2.0, n)
    spikes = np.arange(20) * (n // 25) + 777  # far apart: each in a bucket of its own
    loss[spikes] = 100.0 + np.arange(20)  # rare spikes, as a learning rate too high for a moment
    loss[n // 3] = 0.001  # and one dip
    log = MetricsLog(capacity)
    for start in range(0, n, 37):  # in updates of a few epochs, as they come
        log.extend(stats_rows([stats(e, loss[e]) for e in range(start, min(n, start + 37))]))
    table = log.table()
    assert len(table) <= capacity and log.thinned
    kept = table[:, COL["train_loss"]]
    assert set(loss[spikes]) <= set(kept) and 0.001 in kept  # every extreme is still drawn
    assert table[-1, COL["epoch"]] == n - 1  # the newest epoch is there
    widths = np.diff(table[::2, COL["epoch"]][:-2])  # buckets, from one to the next: one resolution
    assert widths.max() <= 2 * log.stride and widths.min() >= 1
    assert np.all(np.diff(table[:, COL["epoch"]]) > 0)  # in epoch order, each once
    assert table[0, COL["epoch"]] < 2 * log.stride  # from the start


def test_the_log_is_a_fixed_size_whatever_the_run_length():
    log = MetricsLog(256)
    log.extend(stats_rows([stats(e) for e in range(10)]))
    size = log._rows.nbytes
    for start in range(10, 100_000, 500):
        log.extend(stats_rows([stats(e) for e in range(start, start + 500)]))
    assert log._rows.nbytes == size and len(log) <= 256


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_the_writer_streams_every_epoch_and_flushes(tmp_path, suffix):
    path = tmp_path / f"m{suffix}"
    writer = MetricsWriter(path)
    writer.write([stats(0), stats(1, test_loss=None)])
    writer.flush()
    text = path.read_text()  # readable while the run goes on
    if suffix == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        assert [r["epoch"] for r in rows] == ["0", "1"] and rows[1]["test_loss"] == "" and "grad_norm_1" in rows[0]
    else:
        assert [json.loads(line)["test_loss"] for line in text.splitlines()] == [0.5, None]
    writer.close()


def test_an_empty_csv_still_has_its_header(tmp_path):
    writer = MetricsWriter(tmp_path / "m.csv")
    writer.close()
    assert (tmp_path / "m.csv").read_text().startswith("epoch,train_loss")


def test_headless_metrics_are_on_disk_while_the_run_goes_on(tmp_path):
    """An interrupted run keeps its figures: the file grows during training, flushed every second."""
    path = tmp_path / "m.jsonl"
    run = subprocess.Popen(
        [sys.executable, "-m", "nntui", "--headless", "--epochs", "100000", "--metrics", str(path)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (path.exists() and path.stat().st_size > 0):
            time.sleep(0.1)
        lines = path.read_text().splitlines()
        assert run.poll() is None, "the run should still be training"
        assert lines and json.loads(lines[0])["epoch"] == 0
    finally:
        run.kill()
        run.wait()
