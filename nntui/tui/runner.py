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

from nntui.engine import EpochStats, Snapshot, StopRule, Trainer
from nntui.engine.inspect import PhaseStepper, Trace, inspect_sample
from nntui.live.history import History


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
    stopped: str | None  # why a stop rule paused training, or None
    periodic: bool = False  # sent on the clock while training; else in answer to a command or a change of state


class Runner:
    """Runs, pauses and steps a trainer in its own thread."""

    def __init__(
        self,
        trainer: Trainer,
        publish: Callable[[Update], None],
        *,
        running: bool = True,
        stop: StopRule | None = None,
        min_interval: float = 1 / 5,
    ):
        self.trainer = trainer
        self.publish = publish
        self.stop_rule = stop  # --epochs, --target-loss, --patience: pause when one is met
        self.stopped: str | None = None
        self.max_rate: float | None = None  # epochs per second to slow down to (None: full speed)
        self._epoch_started = time.perf_counter()
        self.min_interval = min_interval  # seconds between published updates while running
        self.generation = 0
        self.history = self._new_history(trainer)
        self.finished = threading.Event()
        self._running = running
        self._stop = False
        self.stepper: PhaseStepper | None = None  # a mini-batch being stepped phase by phase
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

    def phase(self, show: Callable[[Trace], None]) -> None:
        """Do the next phase of the current mini-batch (forward, loss, backward one layer at a
        time, update), pause, and hand the trace to ``show`` (called in the training thread)."""
        self.command(lambda: self._phase(show))

    def inspect(self, pick: Callable[[Trainer], tuple], show: Callable[[Trace], None]) -> None:
        """Trace a whole step on the samples ``pick(trainer)`` returns, changing nothing."""
        self.command(lambda: show(inspect_sample(self.trainer, *pick(self.trainer))))

    def set_speed(self, max_rate: float | None) -> None:
        """Train at most ``max_rate`` epochs per second (None: as fast as possible)."""
        self.max_rate = max_rate  # one attribute, read by the training thread before each wait
        self._wake.set()

    def set_lr(self, lr: float) -> None:
        """Change the learning rate; nothing else is reset."""
        self.command(lambda: self._set_lr(lr))

    def replace(self, trainer: Trainer, stop: StopRule | None = None) -> None:
        """Swap in a new trainer (after a reset or new data) with its stop rules."""
        self.command(lambda: self._replace(trainer, stop))

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
                self._train_until_epoch_end()
            else:
                self._wake.wait(0.25)
                self._wake.clear()

    def _can_train(self) -> bool:
        return not self.trainer.diverged and self.stopped is None

    @staticmethod
    def _new_history(trainer: Trainer) -> History:
        """A checkpoint per epoch, for rewinding, starting with the trainer's current state."""
        history = History()
        history.record(trainer.checkpoint())
        return history

    def _batch(self) -> EpochStats | None:
        """Train one mini-batch; when it ends an epoch, record a checkpoint for rewinding."""
        stats = self.trainer.step_batch()
        if stats is not None:
            self.history.record(self.trainer.checkpoint())
        return stats

    def _train_until_epoch_end(self) -> None:
        """Train mini-batches until the epoch ends, or until a command is waiting: commands run
        between two mini-batches, so pause, step and quit take effect within one."""
        commands, trainer = self._commands, self.trainer
        while not commands and not self._stop and not trainer.diverged:
            if self._batch() is not None:
                self._end_epoch()
                return

    def _end_epoch(self) -> None:
        """Check the stop rules, publish now and then, and wait out the epoch's time slot if slowed down."""
        trainer = self.trainer
        if self.stop_rule is not None:
            self.stopped = self.stop_rule.check(trainer.history)
        if trainer.diverged or self.stopped:
            self._running = False
            self._publish_now()
        elif time.perf_counter() - self._last_publish >= self.min_interval or self.max_rate:
            self._publish_now(periodic=True)
        if self.max_rate:  # slowed down to watch: wait out the rest of this epoch's time slot
            self._wake.wait(max(0.0, self._epoch_started + 1 / self.max_rate - time.perf_counter()))
            self._wake.clear()
        self._epoch_started = time.perf_counter()

    def _phase(self, show: Callable[[Trace], None]) -> None:
        self._running = False
        if self.trainer.diverged:
            return
        if self.stepper is None:
            self.stepper = PhaseStepper(self.trainer)
        trace = self.stepper.advance()
        if self.stepper.done:
            self._end_phases()
        self._publish_now()
        show(trace)

    def _finish_phases(self) -> None:
        """Complete a mini-batch that was being stepped phase by phase, so the numbers never
        depend on how training was stepped."""
        if self.stepper is not None:
            if not self.stepper.done:
                self.stepper.finish()
            self._end_phases()

    def _end_phases(self) -> None:
        if self.stepper is not None and self.stepper.stats is not None:  # the batch ended an epoch
            self.history.record(self.trainer.checkpoint())
        self.stepper = None

    def _set_running(self, running: bool) -> None:
        if running:
            self._finish_phases()
        if running and self.stopped:  # resuming after a stop rule fired: the rules are off from now on
            self.stop_rule, self.stopped = None, None
        self._running = running
        self._speed_mark = (time.perf_counter(), self.trainer.epoch)
        self._publish_now()

    def _step_epoch(self) -> None:
        self._running = False
        if self.trainer.diverged:
            return
        self._finish_phases()
        while self._batch() is None and not self.trainer.diverged:
            pass
        self._publish_now()

    def _step_batch(self) -> None:
        self._running = False
        if self.stepper is not None:  # the batch under way, phase by phase, is the one to finish
            self._finish_phases()
        elif not self.trainer.diverged:
            self._batch()
            self.trainer.check_divergence()
        self._publish_now()

    def _set_lr(self, lr: float) -> None:
        self.trainer.lr = lr
        self._publish_now()

    def _rewind(self, epoch: int) -> None:
        checkpoint = self.history.get(epoch)
        if checkpoint is not None:
            self.stepper = None
            self.trainer.restore(checkpoint)
            self.history.drop_after(epoch)
            self.stopped = None
        self.generation += 1  # always, so the UI's count of rewinds and swaps stays in step
        self._publish_now()

    def _replace(self, trainer: Trainer, stop: StopRule | None = None) -> None:
        self.trainer, self.stepper = trainer, None
        self.stop_rule, self.stopped = stop, None
        self.history = self._new_history(trainer)
        self.generation += 1
        self._speed_mark = (time.perf_counter(), trainer.epoch)
        self._epochs_per_second = 0.0
        self._publish_now()

    def _publish_now(self, periodic: bool = False) -> None:
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
                self.stopped,
                periodic,
            )
        )
