"""Rewind checkpoints: exact lookups and bounded memory."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nntui.live.history import History
from nntui.session import build_session
from nntui.settings import merge


def checkpoints(n: int):
    trainer = build_session(merge(dict(layers="8,8"))).trainer
    base = trainer.checkpoint()
    return [replace(base, epoch=e) for e in range(n + 1)]


def test_recent_epochs_are_all_kept_and_older_ones_evenly_strided():
    h = History(recent=100, older=50)
    for cp in checkpoints(10_000):
        h.record(cp)
    epochs = h.epochs()
    assert epochs[-101:] == list(range(9_900, 10_001))  # the recent window, every epoch
    older = epochs[:-101]
    assert older[0] == 0 and len(older) <= 51
    gaps = set(np.diff(older))
    assert gaps == {h.stride} or len(gaps) <= 2  # evenly spread (one short gap at the window's edge)
    assert len(h) <= 100 + 50 + 2


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
    assert len(h) <= 2_100
    assert h.nbytes() < 20e6
