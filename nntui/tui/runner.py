"""Drive a Trainer in a background thread and publish immutable snapshots.

The UI thread never touches the trainer: it queues commands (pause, step, set the learning
rate, swap in a new trainer), which the training thread runs between two mini-batches.
So pause, step and quit take effect within one mini-batch, and all the trainer's state is
changed by one thread only.  Plain Python: no Textual here.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nntui.engine import EpochStats, Snapshot, Trainer
from nntui.engine.history import History


@dataclass(frozen=True)
class Update:
    """What the training thread publishes: a snapshot plus the run's state."""

    snapshot: Snapshot
    history: tuple[EpochStats, ...]  # every epoch so far (a copy)
    running: bool
    epochs_per_second: float
    batch_in_epoch: int  # batches done in the current epoch
    n_batches: int  # batches per epoch
    generation: int  # bumped whenever the trainer is replaced (reset, new data)


class Runner:
    """Runs, pauses and steps a trainer in its own thread."""

    def __init__(
        self,
        trainer: Trainer,
        publish: Callable[[Update], None],
        *,
        running: bool = True,
        max_epochs: int | None = None,
        min_interval: float = 1 / 10,
    ):
        self.trainer = trainer
        self.publish = publish
        self.max_epochs = max_epochs
        self.min_interval = min_interval  # seconds between published updates while running
        self.generation = 0
        self.history = History()  # a checkpoint per epoch, for rewinding
        self.history.record(trainer.checkpoint())
        self.finished = threading.Event()
        self._running = running
        self._stop = False
        self._commands: deque[Callable[[], None]] = deque()
        self._wake = threading.Event()
        self._last_publish = 0.0
        self._speed_mark = (time.perf_counter(), trainer.epoch)
        self._epochs_per_second = 0.0

    # ------------------------------------------------------------ called from the UI thread
    def command(self, fn: Callable[[], None]) -> None:
        """Run fn in the training thread before its next mini-batch."""
        self._commands.append(fn)
        self._wake.set()

    def pause(self) -> None:
        self.command(lambda: self._set_running(False))

    def resume(self) -> None:
        self.command(lambda: self._set_running(True))

    def toggle(self) -> None:
        self.command(lambda: self._set_running(not self._running))

    def step_epoch(self) -> None:
        """Finish the current epoch (a whole one if none is under way), then pause."""
        self.command(self._step_epoch)

    def step_batch(self) -> None:
        """Train on exactly one mini-batch, then pause."""
        self.command(self._step_batch)

    def set_lr(self, lr: float) -> None:
        """Change the learning rate; nothing else is reset."""
        self.command(lambda: self._set_lr(lr))

    def replace(self, trainer: Trainer) -> None:
        """Swap in a new trainer (after a reset or new data)."""
        self.command(lambda: self._replace(trainer))

    def rewind(self, epoch: int) -> None:
        """Continue from a recorded epoch: the later history is dropped."""
        self.command(lambda: self._rewind(epoch))

    def stop(self) -> None:
        """Ask the thread to finish; returns at once (see ``finished``)."""
        self._stop = True
        self._wake.set()

    # ------------------------------------------------------------ the training thread
    def run(self) -> None:
        """The thread's body: train while running, obey commands, publish updates."""
        try:
            with np.errstate(all="ignore"):  # a diverging run is reported, not warned about
                self._loop()
        finally:
            self.finished.set()

    def _loop(self) -> None:
        self._publish_now()
        while not self._stop:
            while self._commands:
                self._commands.popleft()()
            if self._running and self._can_train():
                self._train_one_batch()
            else:
                self._wake.wait(0.25)
                self._wake.clear()

    def _can_train(self) -> bool:
        if self.trainer.diverged:
            return False
        return self.max_epochs is None or self.trainer.epoch < self.max_epochs

    def _train_one_batch(self) -> None:
        trainer = self.trainer
        stats = trainer.step_batch()
        if stats is not None:
            self.history.record(trainer.checkpoint())
        if trainer.diverged or (self.max_epochs is not None and trainer.epoch >= self.max_epochs):
            self._running = False
            self._publish_now()
        elif stats is not None and time.perf_counter() - self._last_publish >= self.min_interval:
            self._publish_now()

    def _set_running(self, running: bool) -> None:
        self._running = running
        self._speed_mark = (time.perf_counter(), self.trainer.epoch)
        self._publish_now()

    def _step_epoch(self) -> None:
        self._running = False
        if self.trainer.diverged:
            return
        while self.trainer.step_batch() is None and not self.trainer.diverged:
            pass
        if not self.trainer.diverged:
            self.history.record(self.trainer.checkpoint())
        self._publish_now()

    def _step_batch(self) -> None:
        self._running = False
        if not self.trainer.diverged:
            if self.trainer.step_batch() is not None:
                self.history.record(self.trainer.checkpoint())
            self.trainer.check_divergence()
        self._publish_now()

    def _set_lr(self, lr: float) -> None:
        self.trainer.lr = lr
        self._publish_now()

    def _rewind(self, epoch: int) -> None:
        checkpoint = self.history.get(epoch)
        if checkpoint is None:
            return
        self.trainer.restore(checkpoint)
        self.history.drop_after(epoch)
        self.generation += 1
        self._publish_now()

    def _replace(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.history = History()
        self.history.record(trainer.checkpoint())
        self.generation += 1
        self._speed_mark = (time.perf_counter(), trainer.epoch)
        self._epochs_per_second = 0.0
        self._publish_now()

    def _publish_now(self) -> None:
        trainer = self.trainer
        now = time.perf_counter()
        mark_time, mark_epoch = self._speed_mark
        if self._running and now - mark_time >= 0.5:
            self._epochs_per_second = (trainer.epoch - mark_epoch) / (now - mark_time)
            self._speed_mark = (now, trainer.epoch)
        elif not self._running:
            self._epochs_per_second = 0.0
        self._last_publish = now
        self.publish(
            Update(
                trainer.snapshot(),
                tuple(trainer.history),
                self._running,
                self._epochs_per_second,
                trainer.batch_in_epoch,
                trainer.n_batches,
                self.generation,
            )
        )
