"""Rewind checkpoints: exact lookups and memory within a budget."""

from __future__ import annotations

from dataclasses import replace

import tracemalloc

import numpy as np
import pytest

from nntui.engine.trainer import Checkpoint, EpochStats
from nntui.live.history import MAX_CHECKPOINTS, MIN_CHECKPOINTS, OVERHEAD_BYTES, History, checkpoint_nbytes
from nntui.session import build_session
from nntui.settings import merge


def checkpoints(n: int):
    trainer = build_session(merge(dict(layers="8,8"))).trainer
    base = trainer.checkpoint()
    return [replace(base, epoch=e) for e in range(n + 1)]


def adam_checkpoint(epoch: int, n_params: int) -> Checkpoint:
    """A checkpoint of an Adam-trained network with ``n_params`` float64 parameters, built by hand."""
    def arr() -> np.ndarray:
        return np.zeros(n_params)
    return Checkpoint(epoch=epoch, steps=epoch, params=arr(), optimizer={"m": arr(), "v": arr(), "t": 1},
                      rng={}, order=None, cursor=0, lr=0.01, base_lr=0.01,
                      stats=EpochStats(epoch, 1.0, None, None, None, 0.0, (), 0.01))


def test_recent_epochs_are_all_kept_and_older_ones_evenly_strided():
    h = History(recent=100, older=50)
    for cp in checkpoints(10_000):
        h.record(cp)
    epochs = h.epochs()
    assert epochs[-100:] == list(range(9_901, 10_001))  # the recent window, every epoch
    older = epochs[:-100]
    assert older[0] == 0 and len(older) <= 50
    gaps = set(np.diff(older))
    assert gaps == {h.stride} or len(gaps) <= 2  # evenly spread (one short gap at the window's edge)
    assert len(h) <= 100 + 50


def test_step_moves_between_stored_epochs():
    h = History(recent=5, older=100)
    for cp in checkpoints(20):
        h.record(cp)
    assert h.step(20, -1) == 19 and h.step(20, -10) == 10 and h.step(3, -5) == 0
    assert h.step(10, 1) == 11 and h.step(20, 3) == 20


def test_recording_an_earlier_epoch_drops_the_later_ones():
    h = History()
    cps = checkpoints(10)
    for cp in cps:
        h.record(cp)
    h.record(cps[4])
    assert h.epochs() == [0, 1, 2, 3, 4]
    h.drop_after(2)
    assert h.epochs() == [0, 1, 2] and h.get(2) is cps[2] and h.get(3) is None


def test_ten_thousand_epochs_of_a_small_net_stay_small():
    h = History()  # the TUI's defaults
    for cp in checkpoints(10_000):
        h.record(cp)
    assert h.recent + h.older == MAX_CHECKPOINTS  # the count caps tiny checkpoints
    assert len(h) <= MAX_CHECKPOINTS
    assert h.nbytes() < 20e6


def test_a_wide_adam_net_stays_within_its_budget_over_the_whole_run():
    budget, n_params = 64 * 2**20, 512 * 512 + 2 * 512 + 1
    per_checkpoint = checkpoint_nbytes(adam_checkpoint(0, n_params))  # about 6 MB
    h = History(budget)
    tracemalloc.start()
    try:
        for epoch in range(10_001):
            h.record(adam_checkpoint(epoch, n_params))
            assert h.nbytes() <= budget
        peak = tracemalloc.get_traced_memory()[1]  # the history full, plus the one being recorded
    finally:
        tracemalloc.stop()
    assert peak <= budget + per_checkpoint + 2**20
    epochs = h.epochs()
    assert h.recent + h.older == budget // (per_checkpoint + OVERHEAD_BYTES) == 10  # the budget sets the count
    assert len(h) <= 10
    assert epochs[0] == 0 and epochs[-1] == 10_000  # rewinding still reaches the whole run
    assert max(np.diff(epochs)) <= h.stride and epochs[-h.recent - 1] >= 10_000 - h.recent - h.stride


def test_a_tiny_budget_still_keeps_a_few_checkpoints():
    h = History(1)
    for epoch in range(1000):
        h.record(adam_checkpoint(epoch, 10))
    assert len(h) == MIN_CHECKPOINTS and h.epochs()[0] == 0 and h.epochs()[-1] == 999


def test_recent_and_older_go_together():
    with pytest.raises(ValueError):
        History(recent=10)
