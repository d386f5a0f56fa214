"""Drive a Trainer: run, pause and step it, record its history, and publish what it does.

In nntui the runner lives in the training process (``nntui.live.process``), its loop on the
main thread; commands arrive from another thread (``command``), and run in the loop between
two mini-batches.  So pause, step and quit take effect within one mini-batch, and all the
trainer's state is changed by one thread only.

Up to ``MAX_RUNS`` runs train side by side (``fork``): each a trainer with its own rewind
history, stop rules and random generator, so how their turns interleave changes none of their
numbers.  They take turns an epoch at a time, in the order of their ids (a run stopped or
diverged takes none), so over time every run trains the same number of epochs.  One run is
selected: the commands that name no run (step a batch, phases, rewind, edits, the learning
rate) act on it, and its snapshot is the one updates carry.

What the runner sends (``publish``) is plain data: ``Update``, ``TraceReply``, ``EpochView``,
``ForkReply``.  Plain Python: no Textual here.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from typing import Callable

import numpy as np

from nntui.engine import Checkpoint, EpochStats, Trainer
from nntui.engine.inspect import PhaseStepper, inspect_sample
from nntui.live.history import History
from nntui.live.metrics import stats_rows
from nntui.live.protocol import EpochView, ForkReply, RunFigures, TraceReply, Update
from nntui.live.stop import StopRule
from nntui.settings import MAX_RUNS, Settings, SettingsError, fork_settings, next_learning_rate


@dataclasses.dataclass(eq=False)
class Run:
    """One run the runner trains: its trainer and settings, its rewind history and stop rules,
    and the figures it has not published yet."""

    id: int
    label: str
    trainer: Trainer
    settings: Settings | None  # what it was built from (None: unknown, and it cannot be forked)
    stop_rule: StopRule | None
    history: History
    generation: int
    start: Checkpoint = dataclasses.field(init=False)  # its epoch 0, what a fork of it starts from
    stopped: str | None = None  # why a stop rule stopped it
    stepper: PhaseStepper | None = None  # the mini-batch under way, stepped phase by phase
    new_epochs: list[EpochStats] = dataclasses.field(init=False)  # finished since the last update
    grads: tuple[np.ndarray, ...] | None = None
    speed_mark: tuple[float, int] = dataclasses.field(init=False)  # (time, epoch) its speed is measured from
    epochs_per_second: float = 0.0

    def __post_init__(self) -> None:
        trainer = self.trainer
        self.start = trainer.checkpoint()
        self.history.record(self.start)
        self.new_epochs = [trainer.stats]
        if self.stop_rule is not None:
            self.stopped = self.stop_rule.check(trainer.stats)
        self.speed_mark = (time.perf_counter(), trainer.epoch)
        self.grads = _weight_gradients(trainer)

    @property
    def can_train(self) -> bool:
        return not self.trainer.diverged and self.stopped is None


def _weight_gradients(trainer: Trainer) -> tuple[np.ndarray, ...]:
    """Copies of ∂L/∂W over the whole training set at the epoch just evaluated: what
    ``Trainer.evaluate`` leaves in ``net.dW`` (for its ``grad_norms``)."""
    return tuple(dW.copy() for dW in trainer.net.dW)


class Runner:
    """Runs, pauses and steps up to ``MAX_RUNS`` trainers; publishes updates and answers requests."""

    # What a command may name (the training process runs nothing else it is sent).
    COMMANDS = frozenset({
        "pause", "resume", "toggle", "step_epoch", "step_batch", "phase", "inspect", "view",
        "set_speed", "set_lr", "change_lr", "set_publish_interval", "replace", "rewind", "stop", "set_data",
        "set_parameter", "switch_neuron", "fork", "close_run", "select",
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
        settings: Settings | None = None,
        label: str = "",
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
        self._next_id = 1  # of the next fork: ids are never used twice (run 0 is the session's own run, replaced or not)
        self._use(trainer, stop, generation, settings, label)

    # ------------------------------------------------------------ the selected run
    @property
    def trainer(self) -> Trainer:
        """The selected run's trainer."""
        return self.current.trainer

    @property
    def history(self) -> History:
        """The selected run's rewind history."""
        return self.current.history

    # ------------------------------------------------------------ called from another thread
    def command(self, fn: Callable[[], None]) -> None:
        """Run fn in the training loop before its next mini-batch."""
        self._commands.append(fn)
        self._wake.set()

    def pause(self) -> None:
        """Pause every run."""
        self.command(lambda: self._set_running(False))

    def resume(self) -> None:
        """Resume every run (a run a stop rule stopped goes on, its rules off from now on)."""
        self.command(lambda: self._set_running(True))

    def toggle(self) -> None:
        self.command(lambda: self._set_running(not self._running))

    def step_epoch(self) -> None:
        """Finish the current epoch of every run (a whole one if none is under way), then pause."""
        self.command(self._step_epoch)

    def step_batch(self) -> None:
        """Train the selected run on exactly one mini-batch, then pause."""
        self.command(self._step_batch)

    def phase(self, request: int) -> None:
        """Do the next phase of the selected run's current mini-batch (forward, loss, backward one
        layer at a time, update), pause, and send its trace."""
        self.command(lambda: self._phase(request))

    def inspect(self, request: int, sample: int | None = None, x: np.ndarray | None = None,
                label: np.ndarray | None = None) -> None:
        """Trace a whole step of the selected run, changing nothing: on training sample ``sample``,
        or on inputs x labelled ``label``; send the trace."""
        self.command(lambda: self._inspect(request, sample, x, label))

    def view(self, request: int, epoch: int, delta: int) -> None:
        """Send the selected run's recorded epoch ``delta`` places from ``epoch`` (clamped), to show it."""
        self.command(lambda: self._view(request, epoch, delta))

    def set_speed(self, max_rate: float | None) -> None:
        """Train at most ``max_rate`` epochs per second, each run (None: as fast as possible)."""
        self.max_rate = max_rate  # one attribute, read by the training loop before each wait
        self._wake.set()

    def set_publish_interval(self, seconds: float) -> None:
        """Publish at most one periodic update per ``seconds`` while training flat out."""
        self.min_interval = seconds

    def set_lr(self, lr: float) -> None:
        """Change the selected run's learning rate; nothing else is reset."""
        self.command(lambda: self._set_lr(lr))

    def change_lr(self, direction: int) -> None:
        """Move the learning rate the user set one step up (+1) or down (-1) the ladder of rates,
        from the rate the selected run's trainer has then (a rewind may have restored an earlier one)."""
        self.command(lambda: self._set_lr(next_learning_rate(self.trainer.base_lr, direction)))

    def replace(self, trainer: Trainer, stop: StopRule | None = None, running: bool | None = None,
                generation: int | None = None, keep_lr: bool = False, settings: Settings | None = None) -> None:
        """Swap in a new trainer (after a reset or new data) with its stop rules, as run 0 alone:
        the forks are closed.  Its updates carry ``generation`` (default: the last one plus 1).
        ``keep_lr``: it trains at the rate the selected run had (a change of rate may still have
        been on its way when it was built).  ``settings``: what it was built from, to fork it."""
        self.command(lambda: self._replace(trainer, stop, running, generation, keep_lr, settings))

    def rewind(self, epoch: int, generation: int | None = None) -> None:
        """Continue the selected run from a recorded epoch: the later history is dropped."""
        self.command(lambda: self._rewind(epoch, generation))

    def set_data(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray | None,
                 y_test: np.ndarray | None, generation: int | None = None) -> None:
        """Train every run on these samples from the next mini-batch on (points added or removed
        by hand): see ``Trainer.set_data``.  The rewind histories start again here: a checkpoint
        of the old data is never restored onto the new.  The updates carry ``generation``
        (default: the last one plus 1), as after a rewind."""
        self.command(lambda: self._set_data(x_train, y_train, x_test, y_test, generation))

    def set_parameter(self, layer: int, row: int | None, col: int, value: float) -> None:
        """Set a weight (or with row None a bias) of the selected run by hand: see ``Trainer.set_parameter``."""
        self.command(lambda: self._edit(lambda: self.trainer.set_parameter(layer, row, col, value)))

    def switch_neuron(self, layer: int, index: int, on: bool) -> None:
        """Switch a neuron of the selected run off (its outgoing weights held at zero) or on: see
        ``Trainer.switch_neuron``."""
        self.command(lambda: self._edit(lambda: self.trainer.switch_neuron(layer, index, on)))

    def fork(self, request: int, changes: dict, label: str | None = None) -> None:
        """Start a new run beside the selected one, from its epoch 0 (the same initial weights and
        shuffling, on the same data) with these options changed (``nntui.settings.FORKABLE``;
        values as the command line takes them).  It is not selected.  Answers with a ``ForkReply``:
        the new run's id, or why there is none.  ``label`` names it (default: the changes,
        like "optimizer=adam")."""
        self.command(lambda: self._fork(request, changes, label))

    def close_run(self, run: int) -> None:
        """Stop and forget a run (not the last one); closing the selected run selects the first left."""
        self.command(lambda: self._close_run(run))

    def select(self, run: int) -> None:
        """Make this run the selected one (an id that is gone changes nothing)."""
        self.command(lambda: self._select(run))

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
            run = self._next_turn() if self._running else None
            if run is not None:
                self._train_until_epoch_end(run)
            elif not self._stop:
                self._wake.wait(0.25)
                self._wake.clear()

    def _next_turn(self) -> Run | None:
        """The run whose turn it is: the first that can train from ``_turn`` on, in id order
        (runs take turns an epoch at a time); None if none can."""
        able = [run for run in self.runs.values() if run.can_train]
        return next((run for run in able if run.id >= self._turn), able[0] if able else None)

    def _use(self, trainer: Trainer, stop: StopRule | None, generation: int, settings: Settings | None,
             label: str = "") -> None:
        """Start afresh on this trainer, as run 0 alone: a fresh history, the stop rules, epoch 0's figures."""
        run = Run(0, label, trainer, settings, stop, self._new_history(), generation)
        self.runs: dict[int, Run] = {0: run}  # by id, in id order
        self.current = run  # the selected run
        self._turn = 0  # the id of the run whose turn it is (or the first after it)

    def _new_history(self, share: int = 1) -> History:
        """A rewind history in ``history_bytes`` / ``share`` (a fork's: a ``MAX_RUNS``-th)."""
        return History() if self.history_bytes is None else History(self.history_bytes // share)

    def _epoch_done(self, run: Run, stats: EpochStats) -> None:
        """An epoch ended, however it was trained: record it, and check the stop rules."""
        run.history.record(run.trainer.checkpoint())
        run.new_epochs.append(stats)
        run.grads = _weight_gradients(run.trainer)
        if run.stop_rule is not None:
            run.stopped = run.stop_rule.check(stats)

    def _batch(self, run: Run) -> EpochStats | None:
        """Train one mini-batch of a run; the epoch's stats if it ended one."""
        stats = run.trainer.step_batch()
        if stats is not None:
            self._epoch_done(run, stats)
        return stats

    def _train_until_epoch_end(self, run: Run) -> None:
        """Train mini-batches of a run until its epoch ends, or until a command is waiting:
        commands run between two mini-batches, so pause, step and quit take effect within one
        (and the run's turn goes on after them)."""
        commands, trainer = self._commands, run.trainer
        while not commands and not self._stop and not trainer.diverged:
            if self._batch(run) is not None:
                self._end_epoch(run)
                return

    def _end_epoch(self, run: Run) -> None:
        """The turn passes on.  Publish now and then, pause when no run can train, and at the end
        of a round wait out its time slot if slowed down."""
        self._turn = run.id + 1
        round_done = not any(other.can_train for other in self.runs.values() if other.id > run.id)
        if not run.can_train:  # it diverged, or a stop rule fired: it takes no more turns
            self._running = any(other.can_train for other in self.runs.values())
            self._publish_now()
        elif round_done and (self.max_rate or time.perf_counter() - self._last_publish >= self.min_interval):
            self._publish_now(periodic=True)
        if not round_done:
            return
        if self.max_rate:  # slowed down to watch: wait out the rest of this round's time slot
            self._wake.wait(max(0.0, self._epoch_started + 1 / self.max_rate - time.perf_counter()))
            self._wake.clear()
        self._epoch_started = time.perf_counter()

    def _phase(self, request: int) -> None:
        self._running = False
        run = self.current
        if run.trainer.diverged:
            return
        if run.stepper is None:
            run.stepper = PhaseStepper(run.trainer)
        trace = run.stepper.advance()
        if run.stepper.done:
            self._end_phases(run)
        self._publish_now()
        self.publish(TraceReply(request, trace))

    def _inspect(self, request: int, sample: int | None, x: np.ndarray | None, label: np.ndarray | None) -> None:
        trainer = self.trainer
        if sample is not None:
            k = sample % len(trainer.x_train)
            x, label = trainer.x_train[k : k + 1], trainer.y_train[k : k + 1]
        self.publish(TraceReply(request, inspect_sample(trainer, x, label)))

    def _view(self, request: int, epoch: int, delta: int) -> None:
        run = self.current
        target = run.history.step(epoch, delta)
        checkpoint = None if target is None else run.history.get(target)
        if checkpoint is None:
            self.publish(EpochView(request, run.generation, None))
        else:
            self.publish(EpochView(request, run.generation, target, checkpoint.params, checkpoint.stats, checkpoint.off))

    def _finish_phases(self, run: Run) -> None:
        """Complete a mini-batch that was being stepped phase by phase, so the numbers never
        depend on how training was stepped."""
        if run.stepper is not None:
            if not run.stepper.done:
                run.stepper.finish()
            self._end_phases(run)

    def _end_phases(self, run: Run) -> None:
        if run.stepper is not None and run.stepper.stats is not None:  # the batch ended an epoch
            self._epoch_done(run, run.stepper.stats)
        run.stepper = None

    def _set_running(self, running: bool) -> None:
        now = time.perf_counter()
        # Resuming when every run has stopped or diverged: the stop rules that fired are off from now on.
        # (While another run trains, a run a stop rule stopped stays stopped.)
        restart = running and not any(run.can_train for run in self.runs.values())
        for run in self.runs.values():
            if running:
                self._finish_phases(run)
            if restart and run.stopped:
                run.stop_rule, run.stopped = None, None
            run.speed_mark = (now, run.trainer.epoch)
        self._running = running
        self._publish_now()

    def _step_epoch(self) -> None:
        self._running = False
        for run in self.runs.values():
            if not run.trainer.diverged:
                self._finish_phases(run)
                while self._batch(run) is None and not run.trainer.diverged:
                    pass
        self._publish_now()

    def _step_batch(self) -> None:
        self._running = False
        run = self.current
        if run.stepper is not None:  # the batch under way, phase by phase, is the one to finish
            self._finish_phases(run)
        elif not run.trainer.diverged:
            self._batch(run)
            run.trainer.check_divergence()
        self._publish_now()

    def _set_lr(self, lr: float) -> None:
        self.trainer.lr = lr
        self._publish_now()

    def _rewind(self, epoch: int, generation: int | None) -> None:
        run = self.current
        checkpoint = run.history.get(epoch)
        if checkpoint is not None:
            run.stepper = None
            run.trainer.restore(checkpoint)
            run.history.drop_after(epoch)
            run.stopped = None
            run.new_epochs = [checkpoint.stats]  # the log goes on from this epoch
            run.grads = None  # not recorded: the next epoch's come with its end
            if run.stop_rule is not None:
                run.stop_rule.restart(checkpoint.stats)
        run.generation = run.generation + 1 if generation is None else generation  # even if nothing was recorded
        self._publish_now()

    def _set_data(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray | None,
                  y_test: np.ndarray | None, generation: int | None) -> None:
        for run in self.runs.values():
            self._finish_phases(run)
            trainer = run.trainer
            trainer.set_data(x_train, y_train, x_test, y_test)
            run.history = self._new_history(1 if run.id == 0 else MAX_RUNS)
            self._restart_from_here(run)
            run.generation = run.generation + 1 if generation is None else generation
        self._publish_now()

    def _restart_from_here(self, run: Run) -> None:
        """The run changed by hand at its current epoch: the history records it, the log takes this
        epoch's figures afresh, the stop rules scan on from it; at epoch 0 a fork starts from it."""
        trainer = run.trainer
        checkpoint = trainer.checkpoint()
        run.history.record(checkpoint)
        if trainer.steps == 0:
            run.start = checkpoint
        run.new_epochs = [s for s in run.new_epochs if s.epoch < trainer.epoch] + [trainer.stats]
        if run.stop_rule is not None:
            run.stop_rule.restart(trainer.stats)

    def _edit(self, change: Callable[[], None]) -> None:
        """An edit by hand, between two mini-batches: a mini-batch stepped phase by phase is
        finished first; the history records the edited state (rewinding to this epoch shows
        it), the log takes this epoch's figures afresh, and an update goes out at once."""
        run = self.current
        self._finish_phases(run)
        try:
            change()
        except ValueError:  # it named no parameter of this network (replaced since it was sent): nothing changes
            return
        self._restart_from_here(run)
        self._publish_now()

    def _replace(self, trainer: Trainer, stop: StopRule | None, running: bool | None, generation: int | None,
                 keep_lr: bool, settings: Settings | None) -> None:
        if keep_lr and trainer.base_lr != self.trainer.base_lr:
            trainer.lr = self.trainer.base_lr
            trainer.stats = dataclasses.replace(trainer.stats, lr=trainer.lr)  # epoch 0's figures say so too
        self._use(trainer, stop, self.current.generation + 1 if generation is None else generation, settings)
        if running is not None:
            self._running = running
        self._publish_now()

    def _fork(self, request: int, changes: dict, label: str | None) -> None:
        # Imported here: it brings the datasets and the option files, which the training process
        # needs only once a run is forked (it starts as fast as it did).
        from nntui.session import fork_trainer

        source = self.current
        try:
            if len(self.runs) >= MAX_RUNS:
                raise SettingsError(f"at most {MAX_RUNS} runs side by side: close one first")
            if source.settings is None:
                raise SettingsError("this run's settings are not known, so it cannot be forked")
            # It trains at the rate the source's user set last (+/-), unless the fork sets one.
            settings = fork_settings(dataclasses.replace(source.settings, lr=source.trainer.base_lr), changes)
            trainer = fork_trainer(source.trainer, source.start, settings)
        except SettingsError as e:
            self.publish(ForkReply(request, None, error=str(e)))
            return
        if label is None:
            label = ", ".join(f"{name.replace('_', '-')}={value}" for name, value in changes.items())
        rule = None if source.stop_rule is None else dataclasses.replace(source.stop_rule, _best=None)
        run = Run(self._next_id, label, trainer, settings, rule, self._new_history(MAX_RUNS), 0)
        self.runs[run.id] = run
        self._next_id += 1
        self.publish(ForkReply(request, run.id, label))
        self._publish_now()

    def _close_run(self, run_id: int) -> None:
        if run_id not in self.runs or len(self.runs) == 1:
            return
        del self.runs[run_id]
        if self.current.id == run_id:
            self.current = next(iter(self.runs.values()))
        self._publish_now()

    def _select(self, run_id: int) -> None:
        if run_id in self.runs:
            self.current = self.runs[run_id]
            self._publish_now()

    def _publish_now(self, periodic: bool = False) -> None:
        now = time.perf_counter()
        figures = []
        for run in self.runs.values():
            mark_time, mark_epoch = run.speed_mark
            if self._running and now - mark_time >= 0.5:
                run.epochs_per_second = (run.trainer.epoch - mark_epoch) / (now - mark_time)
                run.speed_mark = (now, run.trainer.epoch)
            elif not self._running:
                run.epochs_per_second = 0.0
            new, run.new_epochs = run.new_epochs, []
            trainer = run.trainer
            figures.append(RunFigures(run.id, run.label, stats_rows(new), trainer.stats, run.epochs_per_second,
                                      run.generation, run.stopped, trainer.diverged, self._running and run.can_train,
                                      run.settings))
        self._last_publish = now
        run, trainer = self.current, self.current.trainer
        selected = next(f for f in figures if f.run == run.id)
        self.publish(
            Update(
                trainer.snapshot(),
                selected.epochs,
                self._running,
                run.epochs_per_second,
                trainer.batch_in_epoch,
                trainer.n_batches,
                run.generation,
                run.stopped,
                periodic,
                run.grads,
                run.id,
                tuple(figures),
            )
        )
