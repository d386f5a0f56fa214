"""Training in its own process, so drawing never slows it down and it never stalls the drawing.

    UI process                                   training process (spawned; NumPy, no Textual)
    ──────────                                   ─────────────────────────────────────────────
    LiveTraining.pause() … ── commands pipe ──▶  listener thread → Runner.command(…)
    reader thread ◀────────── updates pipe ────  Runner loop: trains, publishes Update,
      ├ logs[run].extend(each run's epochs)        TraceReply, EpochView, ForkReply, Failure
      └ keeps only the newest Update, tells the UI once

The UI never waits on the child: the reader thread takes every message off the pipe as it
comes and keeps the newest update (the per-epoch figures go into ``logs``, one per run trained
side by side, so none is lost; ``log`` is the selected run's).
The child never waits on the UI: it publishes a few dozen times a second at most, and the
reader drains the pipe at once.  If the UI process dies, the child's command pipe closes and
the child stops; if the child dies, the reader reports it (``ChildExited``).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import multiprocessing.connection
import signal
import sys
import threading
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Callable, Iterator

import numpy as np

from nntui.engine import Trainer
from nntui.files import discard_output
from nntui.live.metrics import MetricsLog, MetricsWriter
from nntui.live.protocol import Failure, Update
from nntui.live.runner import Runner
from nntui.live.stop import StopRule
from nntui.settings import Settings

START_METHOD = "spawn"  # never fork: the UI process runs threads (Textual's, the reader)


@dataclass(frozen=True)
class ChildExited:
    """The training process ended without being asked to (killed, or it raised)."""

    exitcode: int | None
    failure: Failure | None


# ------------------------------------------------------------------ the training process
def serve(commands: Connection, updates: Connection, trainer: Trainer, stop: StopRule | None,
          running: bool, history_bytes: int | None, generation: int = 0, settings: Settings | None = None) -> None:
    """The training process's body: run a Runner, fed by the commands pipe."""
    # The terminal is the UI's: this process draws nothing on it (its errors go up the pipe as
    # ``Failure``), and the terminal's signals are the UI's to handle; the UI ends this process
    # (or its pipe closes).
    discard_output(1)
    discard_output(2)
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTSTP):
        if hasattr(signal, sig.name):
            signal.signal(sig, signal.SIG_IGN)

    def publish(message: object) -> None:
        try:
            updates.send(message)
        except (BrokenPipeError, EOFError, OSError):  # the UI is gone
            runner.stop()

    runner = Runner(trainer, publish, running=running, stop=stop, history_bytes=history_bytes, generation=generation,
                    settings=settings)

    def listen() -> None:
        try:
            while True:
                name, args = commands.recv()
                if name in Runner.COMMANDS:
                    getattr(runner, name)(*args)
        except (EOFError, OSError):  # the UI closed the pipe, or died
            pass
        runner.stop()

    threading.Thread(target=listen, name="commands", daemon=True).start()
    try:
        runner.run()
    except BaseException as e:  # report it, so the UI can show it and start afresh
        publish(Failure(" ".join(f"{type(e).__name__}: {e}".splitlines()), traceback.format_exc()))
        raise
    finally:
        updates.close()


# ------------------------------------------------------------------ the UI's handle
@contextlib.contextmanager
def _real_stderr() -> Iterator[None]:
    """Textual replaces sys.stderr with an object that has no file descriptor, and the spawn
    machinery hands stderr's descriptor to the process it starts: give it the real one."""
    captured, sys.stderr = sys.stderr, sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = captured


class LiveTraining:
    """The UI's handle on training in a child process: send commands, take the newest update."""

    def __init__(
        self,
        trainer: Trainer,
        stop: StopRule | None = None,
        *,
        running: bool = True,
        history_bytes: int | None = None,
        on_update: Callable[[], None] = lambda: None,
        on_message: Callable[[object], None] = lambda message: None,
        metrics: str | None = None,
        max_rate: float | None = None,  # epochs per second (None: full speed), from the first epoch on
        settings: Settings | None = None,  # what the trainer was built from: needed to fork it
    ):
        self.on_update = on_update  # called (on the reader thread) when a new update waits
        self.on_message = on_message  # called (on the reader thread) with every other message
        self.history_bytes = history_bytes
        # Every epoch's figures so far (thinned when long), per run trained side by side.
        self.logs: dict[int, MetricsLog] = {0: MetricsLog()}
        self.selected = 0  # the run the newest update's snapshot is of
        # --metrics: every epoch's figures of run 0 (the run the options describe), written by the
        # reader thread as they come
        self.metrics = MetricsWriter(metrics) if metrics else None
        self.max_rate: float | None = max_rate
        self._lock = threading.Lock()
        self._reap_lock = threading.Lock()
        self._newest: Update | None = None
        self._told = False  # on_update called, and the update not taken yet
        self._closing = False
        self._requests = 0
        self._start(trainer, stop, running, 0, settings)

    @property
    def log(self) -> MetricsLog:
        """Every epoch's figures of the selected run so far."""
        logs = self.logs
        log = logs.get(self.selected)
        return log if log is not None else logs[min(logs)]

    def _start(self, trainer: Trainer, stop: StopRule | None, running: bool, generation: int,
               settings: Settings | None) -> None:
        ctx = mp.get_context(START_METHOD)
        commands_recv, commands_send = ctx.Pipe(duplex=False)
        updates_recv, updates_send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=serve,
            args=(commands_recv, updates_send, trainer, stop, running, self.history_bytes, generation, settings),
            name="nntui-training",
            daemon=True,
        )
        with _real_stderr():
            self.process.start()
        commands_recv.close()  # the child's ends
        updates_send.close()
        self._commands = commands_send
        self._reader = threading.Thread(
            target=self._read, args=(updates_recv, self.process), name="nntui-updates", daemon=True
        )
        self._reader.start()
        if self.max_rate is not None:
            self.send("set_speed", self.max_rate)

    @property
    def alive(self) -> bool:
        with self._reap_lock:  # see _ended
            return self.process.is_alive()

    # ------------------------------------------------------------ commands
    def send(self, name: str, *args: Any) -> None:
        """Send a command to the training process (quietly dropped if it has ended)."""
        try:
            self._commands.send((name, args))
        except (BrokenPipeError, EOFError, OSError):
            pass  # the reader reports the child's end

    def request(self, name: str, *args: Any) -> int:
        """Send a command whose answer comes back as a message; returns its request number."""
        self._requests += 1
        self.send(name, self._requests, *args)
        return self._requests

    def pause(self) -> None:
        self.send("pause")

    def resume(self) -> None:
        self.send("resume")

    def toggle(self) -> None:
        self.send("toggle")

    def step_epoch(self) -> None:
        self.send("step_epoch")

    def step_batch(self) -> None:
        self.send("step_batch")

    def set_lr(self, lr: float) -> None:
        self.send("set_lr", lr)

    def change_lr(self, direction: int) -> None:
        """One step up (+1) or down (-1) the ladder of rates, from the rate the trainer has then."""
        self.send("change_lr", direction)

    def set_speed(self, max_rate: float | None) -> None:
        self.max_rate = max_rate
        self.send("set_speed", max_rate)

    def set_publish_interval(self, seconds: float) -> None:
        self.send("set_publish_interval", seconds)

    def set_parameter(self, layer: int, row: int | None, col: int, value: float) -> None:
        """Set W[layer][row, col] (row None: the bias b[layer][col]) by hand, between two mini-batches."""
        self.send("set_parameter", layer, row, col, value)

    def switch_neuron(self, layer: int, index: int, on: bool) -> None:
        """Switch a neuron off (its outgoing weights held at zero) or on again."""
        self.send("switch_neuron", layer, index, on)

    def fork(self, changes: dict[str, object], label: str | None = None) -> int:
        """Start a run beside the selected one, from its initial weights on the same data, with
        these options changed (``Runner.fork``); returns the request number its ``ForkReply``
        (the new run's id, or why there is none) comes back with, through ``on_message``."""
        return self.request("fork", changes, label)

    def close_run(self, run: int) -> None:
        """Stop and forget a run trained side by side (not the last one)."""
        self.send("close_run", run)

    def select(self, run: int) -> None:
        """Show this run: updates carry its snapshot, ``log`` is its figures, and the commands
        that name no run act on it."""
        self.send("select", run)

    def rewind(self, epoch: int, generation: int | None = None) -> None:
        """Continue training from a recorded epoch (its updates carry ``generation``)."""
        self.send("rewind", epoch, generation)

    def set_data(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray | None = None,
                 y_test: np.ndarray | None = None, generation: int | None = None) -> None:
        """Train on these samples from the next mini-batch on (``Runner.set_data``; its updates
        carry ``generation``)."""
        self.send("set_data", x_train, y_train, x_test, y_test, generation)

    def replace(self, trainer: Trainer, stop: StopRule | None = None, running: bool | None = None,
                generation: int | None = None, keep_lr: bool = False, settings: Settings | None = None) -> None:
        """Train this trainer from now on, as run 0 alone (the forks are closed; ``keep_lr``: at the
        last one's rate; ``settings``: what it was built from, to fork it); starts a new training
        process if the last one ended."""
        if self.alive:
            self.send("replace", trainer, stop, running, generation, keep_lr, settings)
            return
        self.close()
        self._closing = False
        self._start(trainer, stop, True if running is None else running, generation or 0, settings)

    # ------------------------------------------------------------ updates
    def take(self) -> Update | None:
        """The newest update not taken yet (older ones were dropped), or None."""
        with self._lock:
            update, self._newest, self._told = self._newest, None, False
        return update

    def _read(self, conn: Connection, process: mp.process.BaseProcess) -> None:
        """The reader thread: every message off the pipe as it comes; the newest update is kept."""
        failure = None
        try:
            while True:
                message = conn.recv()
                if isinstance(message, Update):
                    self._extend_logs(message)
                    with self._lock:
                        self._newest = message
                        tell, self._told = not self._told, True
                    if tell:
                        self.on_update()
                elif isinstance(message, Failure):
                    failure = message
                else:
                    self.on_message(message)
        except (EOFError, OSError):
            pass
        self._ended(process, 5.0)
        if not self._closing:
            self.on_message(ChildExited(process.exitcode, failure))

    def _extend_logs(self, update: Update) -> None:
        """Each run's new figures into its log (and run 0's into --metrics); the logs of runs
        closed are dropped."""
        logs = {run.run: self.logs[run.run] if run.run in self.logs else MetricsLog() for run in update.runs}
        for run in update.runs:
            logs[run.run].extend(run.epochs)
            if run.run == 0 and self.metrics is not None:
                self.metrics.write_rows(run.epochs)  # a failure is kept in metrics.error
        self.logs = logs  # a new dict, so the UI thread never reads one being changed
        self.selected = update.run

    # ------------------------------------------------------------ ending
    def close(self, timeout: float = 3.0) -> None:
        """End the training process (politely, then not) and the reader; leaves no orphan."""
        self._closing = True
        self.send("stop")
        try:
            self._commands.close()
        except OSError:
            pass
        process = self.process
        if not self._ended(process, timeout):
            process.terminate()
            if not self._ended(process, 1.0):
                process.kill()
                self._ended(process, 1.0)
        if self._reader is not threading.current_thread():
            self._reader.join(timeout)
        if self.metrics is not None:
            self.metrics.close()

    def _ended(self, process: mp.process.BaseProcess, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the training process to end.  The reader and close
        both wait for it: only one of them at a time may reap it, or the other would think it
        still runs."""
        if not mp.connection.wait([process.sentinel], timeout):
            return False
        with self._reap_lock:  # its end is under way: join waits for it (it is a zombie within moments)
            process.join()
            return True
