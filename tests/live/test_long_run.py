"""A long run: five thousand epochs with rewind checkpoints stay in bounded memory."""

from __future__ import annotations

import gc
import tracemalloc


from nntui.live.history import History
from nntui.session import build_session
from nntui.settings import merge



LONG_EPOCHS = 5000


def test_five_thousand_epochs_stay_in_bounded_memory():
    # Batches of 25 (10 a epoch) rather than 10: the same per-epoch bookkeeping in 5 s instead of 13 s.
    session = build_session(merge({"dataset": "circle", "layers": "8,8", "optimizer": "adam", "lr": 0.003, "batch_size": 25}))
    assert session.net.sizes == (2, 8, 8, 1)
    trainer = session.trainer
    history = History(recent=1000, older=1000)  # a checkpoint per epoch, as the runner
    history.record(trainer.checkpoint())
    samples: dict[int, int] = {}
    tracemalloc.start()
    try:
        for epoch in range(1, LONG_EPOCHS + 1):
            assert trainer.step_epoch() is not None, trainer.diverged
            history.record(trainer.checkpoint())
            if epoch in (1000, 2500, LONG_EPOCHS):
                gc.collect()
                samples[epoch] = tracemalloc.get_traced_memory()[0]
                if epoch == 2500:
                    per_checkpoint = history.nbytes() / len(history)
    finally:
        tracemalloc.stop()
    mb = 1024 * 1024
    # The documented bound: at most about recent + older checkpoints, however long the run.
    assert len(history) <= history.recent + history.older + 2
    assert history.nbytes() <= (history.recent + history.older + 2) * per_checkpoint * 1.1
    assert history.epochs()[0] == 0 and history.epochs()[-1] == LONG_EPOCHS
    assert samples[LONG_EPOCHS] < samples[2500] * 1.5 + 2 * mb, samples
    # Keeping every checkpoint would add 2500 of them after epoch 2500; the growth must stay well below.
    assert samples[LONG_EPOCHS] - samples[2500] < 1000 * per_checkpoint, (samples, per_checkpoint)
    assert samples[LONG_EPOCHS] < 100 * mb, samples
