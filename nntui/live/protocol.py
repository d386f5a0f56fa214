"""What the training process and the UI say to each other.

Down, from the UI: commands, each a method name of ``Runner.COMMANDS`` with its arguments,
run between two mini-batches.  Up, from the training process: ``Update`` (the weights and
figures, now and then), and answers to requests (``TraceReply``, ``EpochView``), and
``Failure`` when training raised.  Everything is plain data, pickled over a pipe.

Up to ``MAX_RUNS`` runs may train side by side (``Runner.fork``): every update carries each
run's new figures (``Update.runs``, tagged with its run id) and the snapshot of one of them,
the selected run (``Update.run``).  Run 0 is the run the session started with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from nntui.engine import EpochStats, Snapshot
from nntui.engine.inspect import Trace
from nntui.settings import Settings


class RunState(str, Enum):
    """What a run is doing, as the status line says it (a str: compares equal to its value)."""

    RUNNING = "running"
    PAUSED = "paused"
    DIVERGED = "diverged"  # the loss or a weight is no longer finite: training stopped
    FAILED = "failed"  # the training process ended without being asked to (the UI's to say)
    REWOUND = "rewound"  # a recorded epoch is shown, not the latest (the UI's to say)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RunFigures:
    """One of the runs trained side by side, as an update reports it."""

    run: int  # its id: 0 for the run the session started with, then 1, 2, … in the order forked
    label: str  # what sets it apart, like "optimizer=adam" ("" for run 0 unless named)
    epochs: np.ndarray  # its epochs finished since the last update, as ``Update.epochs``
    stats: EpochStats  # its latest epoch's figures
    epochs_per_second: float
    generation: int  # bumped whenever it is rewound or its trainer replaced
    stopped: str | None  # why a stop rule stopped it, or None
    diverged: str | None  # why it diverged, or None
    trains: bool  # it takes turns: the session runs, and the run has neither stopped nor diverged
    settings: Settings | None = None  # what it was built from (its activation, optimizer, rate, …); None if not known


@dataclass(frozen=True)
class ForkReply:
    """The answer to a fork: the new run's id and label, or why there is none (one line)."""

    request: int
    run: int | None
    label: str = ""
    error: str | None = None


@dataclass(frozen=True)
class Update:
    """The run as it stands: a snapshot, the epochs finished since the last update, the state."""

    snapshot: Snapshot
    # (n, columns) the figures of the epochs finished since the last update, as
    # ``nntui.live.metrics.stats_rows``.  After a rewind or a new trainer the first row is
    # the epoch training goes on from: a log drops what it holds from that epoch on.
    epochs: np.ndarray
    running: bool
    epochs_per_second: float
    batch_in_epoch: int  # batches done in the current epoch
    n_batches: int  # batches per epoch
    generation: int  # bumped whenever the trainer is replaced or rewound
    stopped: str | None  # why a stop rule paused training, or None
    periodic: bool = False  # sent on the clock while training; else in answer to a command or a change of state
    # ∂L/∂W per layer over the whole training set at the end of epoch ``snapshot.epoch`` (the
    # gradient behind the epoch's ``grad_norms``), for the layer statistics; None after a rewind.
    grads: tuple[np.ndarray, ...] | None = None
    run: int = 0  # the run the snapshot (and epochs, generation, stopped, grads) is of: the selected one
    runs: tuple[RunFigures, ...] = ()  # every run, by id: its new figures since the last update

    @property
    def state(self) -> RunState:
        if self.snapshot.diverged:
            return RunState.DIVERGED
        return RunState.RUNNING if self.running else RunState.PAUSED


@dataclass(frozen=True)
class TraceReply:
    """A traced training step, for the inspector (phase stepping, or chosen samples)."""

    request: int
    trace: Trace


@dataclass(frozen=True)
class EpochView:
    """A recorded epoch's weights and figures, to show while rewinding (None: nothing recorded)."""

    request: int
    generation: int
    epoch: int | None
    params: np.ndarray | None = None
    stats: EpochStats | None = None
    off: tuple[tuple[int, int], ...] = ()  # the neurons switched off then


@dataclass(frozen=True)
class Failure:
    """Training raised: the error in one line, and the traceback for the log."""

    message: str
    traceback: str
