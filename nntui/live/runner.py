"""Drive a Trainer: run, pause and step it, record its history, and publish what it does.

In nntui the runner lives in the training process (``nntui.live.process``), its loop on the
main thread; commands arrive from another thread (``command``), and run in the loop between
two mini-batches.  So pause, step and quit take effect within one mini-batch, and all the
trainer's state is changed by one thread only.  What the runner sends (``publish``) is plain
data: ``Update``, ``TraceReply``, ``EpochView``.  Plain Python: no Textual here.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from typing import Callable

import numpy as np

from nntui.engine import EpochStats, Trainer
from nntui.engine.inspect import PhaseStepper, inspect_sample
from nntui.live.history import History
from nntui.live.metrics import stats_rows
from nntui.live.protocol import EpochView, TraceReply, Update
from nntui.live.stop import StopRule
from nntui.settings import next_learning_rate


class Runner:
    """Runs, pauses and steps a trainer; publishes updates and answers requests."""

    # What a command may name (the training process runs nothing else it is sent).
    COMMANDS = frozenset({
        "pause", "resume", "toggle", "step_epoch", "step_batch", "phase", "inspect", "view",
        "set_speed", "set_lr", "change_lr", "set_publish_interval", "replace", "rewind", "stop", "set_data",
        "set_parameter", "switch_neuron",
    })

    def __init__(
        self,
        trainer: Trainer,
        publish: Callable[[object], None],
        *,
        running: bool = True,
        stop: StopRule | None = None,
        min_interval: float = 1 / 30,
        history_bytes: int | None = None,
        generation: int = 0,
    ):
        self.publish = publish
        self.min_interval = min_interval  # seconds between published updates while running
        self.max_rate: float | None = None  # epochs per second to slow down to (None: full speed)
        self.history_bytes = history_bytes
        self.finished = threading.Event()
        self._running = running
        self._stop = False
        self._commands: deque[Callable[[], None]] = deque()
        self._wake = threading.Event()
        self._last_publish = 0.0
        self._epoch_started = time.perf_counter()
        self._use(trainer, stop, generation)

    # ------------------------------------------------------------ called from another thread
    def command(self, fn: Callable[[], None]) -> None:
        """Run fn in the training loop before its next mini-batch."""
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

    def phase(self, request: int) -> None:
        """Do the next phase of the current mini-batch (forward, loss, backward one layer at a
        time, update), pause, and send its trace."""
        self.command(lambda: self._phase(request))

    def inspect(self, request: int, sample: int | None = None, x: np.ndarray | None = None,
                label: np.ndarray | None = None) -> None:
        """Trace a whole step, changing nothing: on training sample ``sample``, or on inputs x
        labelled ``label``; send the trace."""
        self.command(lambda: self._inspect(request, sample, x, label))

    def view(self, request: int, epoch: int, delta: int) -> None:
        """Send the recorded epoch ``delta`` places from ``epoch`` (clamped), to show it."""
        self.command(lambda: self._view(request, epoch, delta))

    def set_speed(self, max_rate: float | None) -> None:
        """Train at most ``max_rate`` epochs per second (None: as fast as possible)."""
        self.max_rate = max_rate  # one attribute, read by the training loop before each wait
        self._wake.set()

    def set_publish_interval(self, seconds: float) -> None:
        """Publish at most one periodic update per ``seconds`` while training flat out."""
        self.min_interval = seconds

    def set_lr(self, lr: float) -> None:
        """Change the learning rate; nothing else is reset."""
        self.command(lambda: self._set_lr(lr))

    def change_lr(self, direction: int) -> None:
        """Move the learning rate the user set one step up (+1) or down (-1) the ladder of rates,
        from the rate the trainer has then (a rewind may have restored an earlier one)."""
        self.command(lambda: self._set_lr(next_learning_rate(self.trainer.base_lr, direction)))

    def replace(self, trainer: Trainer, stop: StopRule | None = None, running: bool | None = None,
                generation: int | None = None, keep_lr: bool = False) -> None:
        """Swap in a new trainer (after a reset or new data) with its stop rules; its updates carry
        ``generation`` (default: the last one plus 1).  ``keep_lr``: it trains at the rate the
        last trainer had (a change of rate may still have been on its way when it was built)."""
        self.command(lambda: self._replace(trainer, stop, running, generation, keep_lr))

    def rewind(self, epoch: int, generation: int | None = None) -> None:
        """Continue from a recorded epoch: the later history is dropped."""
        self.command(lambda: self._rewind(epoch, generation))

    def set_data(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray | None,
                 y_test: np.ndarray | None, generation: int | None = None) -> None:
        """Train on these samples from the next mini-batch on (points added or removed by hand):
        see ``Trainer.set_data``.  The rewind history starts again here: a checkpoint of the
        old data is never restored onto the new.  The updates carry ``generation`` (default: the
        last one plus 1), as after a rewind."""
        self.command(lambda: self._set_data(x_train, y_train, x_test, y_test, generation))

    def set_parameter(self, layer: int, row: int | None, col: int, value: float) -> None:
        """Set a weight (or with row None a bias) by hand: see ``Trainer.set_parameter``."""
        self.command(lambda: self._edit(lambda: self.trainer.set_parameter(layer, row, col, value)))

    def switch_neuron(self, layer: int, index: int, on: bool) -> None:
        """Switch a neuron off (its outgoing weights held at zero) or on: see ``Trainer.switch_neuron``."""
        self.command(lambda: self._edit(lambda: self.trainer.switch_neuron(layer, index, on)))

    def stop(self) -> None:
        """Ask the loop to finish; returns at once (see ``finished``)."""
        self._stop = True
        self._wake.set()

    # ------------------------------------------------------------ the training loop
    def run(self) -> None:
        """The loop: train while running, obey commands, publish updates."""
        try:
            with np.errstate(all="ignore"):  # a diverging run is reported, not warned about
                self._loop()
        finally:
            self.finished.set()

    def _loop(self) -> None:
        self._publish_now()
        while not self._stop:
            while self._commands and not self._stop:
                self._commands.popleft()()
            if self._running and self._can_train():
                self._train_until_epoch_end()
            elif not self._stop:
                self._wake.wait(0.25)
                self._wake.clear()

    def _can_train(self) -> bool:
        return not self.trainer.diverged and self.stopped is None

    def _use(self, trainer: Trainer, stop: StopRule | None, generation: int) -> None:
        """Start a run on this trainer: a fresh history, the stop rules, epoch 0's figures."""
        self.trainer, self.stepper = trainer, None
        self.stop_rule, self.stopped = stop, None
        self.history = self._new_history()
        self.history.record(trainer.checkpoint())
        self._new_epochs: list[EpochStats] = [trainer.stats]  # finished since the last update
        if stop is not None:
            self.stopped = stop.check(trainer.stats)
        self.generation = generation
        self._speed_mark = (time.perf_counter(), trainer.epoch)
        self._epochs_per_second = 0.0
        self._grads = self._weight_gradients()

    def _new_history(self) -> History:
        return History() if self.history_bytes is None else History(self.history_bytes)

    def _epoch_done(self, stats: EpochStats) -> None:
        """An epoch ended, however it was trained: record it, and check the stop rules."""
        self.history.record(self.trainer.checkpoint())
        self._new_epochs.append(stats)
        self._grads = self._weight_gradients()
        if self.stop_rule is not None:
            self.stopped = self.stop_rule.check(stats)

    def _weight_gradients(self) -> tuple[np.ndarray, ...]:
        """Copies of ∂L/∂W over the whole training set at the epoch just evaluated: what
        ``Trainer.evaluate`` leaves in ``net.dW`` (for its ``grad_norms``)."""
        return tuple(dW.copy() for dW in self.trainer.net.dW)

    def _batch(self) -> EpochStats | None:
        """Train one mini-batch; the epoch's stats if it ended one."""
        stats = self.trainer.step_batch()
        if stats is not None:
            self._epoch_done(stats)
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
        """Publish now and then, pause on a stop rule, and wait out the epoch's time slot if slowed down."""
        if self.trainer.diverged or self.stopped:
            self._running = False
            self._publish_now()
        elif self.max_rate or time.perf_counter() - self._last_publish >= self.min_interval:
            self._publish_now(periodic=True)
        if self.max_rate:  # slowed down to watch: wait out the rest of this epoch's time slot
            self._wake.wait(max(0.0, self._epoch_started + 1 / self.max_rate - time.perf_counter()))
            self._wake.clear()
        self._epoch_started = time.perf_counter()

    def _phase(self, request: int) -> None:
        self._running = False
        if self.trainer.diverged:
            return
        if self.stepper is None:
            self.stepper = PhaseStepper(self.trainer)
        trace = self.stepper.advance()
        if self.stepper.done:
            self._end_phases()
        self._publish_now()
        self.publish(TraceReply(request, trace))

    def _inspect(self, request: int, sample: int | None, x: np.ndarray | None, label: np.ndarray | None) -> None:
        trainer = self.trainer
        if sample is not None:
            k = sample % len(trainer.x_train)
            x, label = trainer.x_train[k : k + 1], trainer.y_train[k : k + 1]
        self.publish(TraceReply(request, inspect_sample(trainer, x, label)))

    def _view(self, request: int, epoch: int, delta: int) -> None:
        target = self.history.step(epoch, delta)
        checkpoint = None if target is None else self.history.get(target)
        if checkpoint is None:
            self.publish(EpochView(request, self.generation, None))
        else:
            self.publish(EpochView(request, self.generation, target, checkpoint.params, checkpoint.stats, checkpoint.off))

    def _finish_phases(self) -> None:
        """Complete a mini-batch that was being stepped phase by phase, so the numbers never
        depend on how training was stepped."""
        if self.stepper is not None:
            if not self.stepper.done:
                self.stepper.finish()
            self._end_phases()

    def _end_phases(self) -> None:
        self.trainer.hold_off()  # the stepper's update moved every weight: the switched-off ones go back to zero
        if self.stepper is not None and self.stepper.stats is not None:  # the batch ended an epoch
            self._epoch_done(self.stepper.stats)
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
        if not self.trainer.diverged:
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

    def _rewind(self, epoch: int, generation: int | None) -> None:
        checkpoint = self.history.get(epoch)
        if checkpoint is not None:
            self.stepper = None
            self.trainer.restore(checkpoint)
            self.history.drop_after(epoch)
            self.stopped = None
            self._new_epochs = [checkpoint.stats]  # the log goes on from this epoch
            self._grads = None  # not recorded: the next epoch's come with its end
            if self.stop_rule is not None:
                self.stop_rule.restart(checkpoint.stats)
        self.generation = self.generation + 1 if generation is None else generation  # even if nothing was recorded
        self._publish_now()

    def _set_data(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray | None,
                  y_test: np.ndarray | None, generation: int | None) -> None:
        self._finish_phases()
        trainer = self.trainer
        trainer.set_data(x_train, y_train, x_test, y_test)
        self.history = self._new_history()
        self.history.record(trainer.checkpoint())
        # The log takes this epoch's figures afresh, over the new samples.
        self._new_epochs = [s for s in self._new_epochs if s.epoch < trainer.epoch] + [trainer.stats]
        if self.stop_rule is not None:
            self.stop_rule.restart(trainer.stats)
        self.generation = self.generation + 1 if generation is None else generation
        self._publish_now()

    def _edit(self, change: Callable[[], None]) -> None:
        """An edit by hand, between two mini-batches: a mini-batch stepped phase by phase is
        finished first; the history records the edited state (rewinding to this epoch shows
        it), the log takes this epoch's figures afresh, and an update goes out at once."""
        self._finish_phases()
        try:
            change()
        except ValueError:  # it named no parameter of this network (replaced since it was sent): nothing changes
            return
        trainer = self.trainer
        self.history.record(trainer.checkpoint())
        self._new_epochs = [s for s in self._new_epochs if s.epoch < trainer.epoch] + [trainer.stats]
        if self.stop_rule is not None:
            self.stop_rule.restart(trainer.stats)
        self._publish_now()

    def _replace(self, trainer: Trainer, stop: StopRule | None, running: bool | None, generation: int | None,
                 keep_lr: bool) -> None:
        if keep_lr and trainer.base_lr != self.trainer.base_lr:
            trainer.lr = self.trainer.base_lr
            trainer.stats = dataclasses.replace(trainer.stats, lr=trainer.lr)  # epoch 0's figures say so too
        self._use(trainer, stop, self.generation + 1 if generation is None else generation)
        if running is not None:
            self._running = running
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
        new, self._new_epochs = self._new_epochs, []
        self.publish(
            Update(
                trainer.snapshot(),
                stats_rows(new),
                self._running,
                self._epochs_per_second,
                trainer.batch_in_epoch,
                trainer.n_batches,
                self.generation,
                self.stopped,
                periodic,
                self._grads,
            )
        )
