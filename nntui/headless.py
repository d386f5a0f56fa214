"""Training without the TUI: a line per epoch, ``--metrics`` streamed, ``--save`` at the end.

With ``--compare`` several runs train side by side from the same initial weights, an epoch
each in turn; every line names its run, and a summary of them all ends the output.

Whatever ends the run, what it made is kept: SIGINT, SIGTERM and SIGHUP (a closed SSH
session) stop training between two mini-batches, then the model and the metrics are written
(marked as interrupted) and the exit code is 128 + the signal's number; a closed pipe on
stdout (``| head``) stops the printing, not the run.  Each output is written on its own, so
one that fails never keeps another from being written.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
import time
from dataclasses import dataclass
from typing import Iterator, TextIO

from nntui.engine import EpochStats, Trainer, save_model
from nntui.files import discard_output
from nntui.live.metrics import MetricsWriter
from nntui.live.stop import StopRule
from nntui.session import Session, stop_rule

EXIT_DIVERGED = 3
EXIT_WRITE_FAILED = 1
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _fmt(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def epoch_line(s: EpochStats) -> str:
    """One human-readable line for an epoch."""
    return (
        f"epoch {s.epoch:5d}  train loss {_fmt(s.train_loss)}  test loss {_fmt(s.test_loss)}  "
        f"train acc {_fmt(s.train_acc, 3)}  test acc {_fmt(s.test_acc, 3)}  lr {s.lr:g}"
    )


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def epoch_json(s: EpochStats, run: str | None = None) -> str:
    """One JSON line for an epoch (non-finite numbers as null), of the run labelled ``run`` if runs are compared."""
    return json.dumps({
        "event": "epoch", **({} if run is None else {"run": run}), "epoch": s.epoch, "train_loss": _num(s.train_loss),
        "test_loss": _num(s.test_loss), "train_acc": s.train_acc, "test_acc": s.test_acc, "lr": s.lr,
    })


class Output:
    """Prints to a stream until its reader goes away (a closed pipe), then quietly no more."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.closed = False

    def print(self, text: str) -> None:
        if self.closed:
            return
        try:
            print(text, file=self.stream, flush=True)
        except BrokenPipeError:
            self.closed = True
            with contextlib.suppress(ValueError):  # a stream without a descriptor (a test's StringIO)
                discard_output(self.stream.fileno())


@contextlib.contextmanager
def caught_signals() -> Iterator[list[int]]:
    """While inside, SIGINT, SIGTERM and SIGHUP are only noted (in the list yielded), so the
    run can stop where it may: between two mini-batches, never in the middle of a write."""
    caught: list[int] = []
    previous = {}
    for sig in SIGNALS:
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            previous[sig] = signal.signal(sig, lambda number, frame: caught.append(number))
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class HeadlessRun:
    """One run trained headless: its label (compared runs: like "optimizer=adam"; alone: ""), its
    session and stop rule, and how it went."""

    label: str
    session: Session
    rule: StopRule
    stats: EpochStats | None = None  # the newest epoch's figures, not printed yet (None: it trains no more)
    stopped: str | None = None  # why a target loss or early stop ended it before the last epoch
    train_seconds: float = 0.0
    first_epoch: int = 0

    @property
    def trainer(self) -> Trainer:
        return self.session.trainer

    @property
    def epochs(self) -> int:
        """Epochs trained here."""
        return self.trainer.epoch - self.first_epoch

    @property
    def epochs_per_second(self) -> float:
        return self.epochs / self.train_seconds if self.train_seconds > 0 else 0.0


def run_headless(session: Session, epochs: int, as_json: bool, out: TextIO, err: TextIO | None = None) -> int:
    """Train for up to ``epochs`` epochs or until a stop rule holds, printing every epoch and
    streaming it to ``--metrics``; then save; returns the exit code."""
    return run_compare([("", session)], epochs, as_json, out, err)


def run_compare(sessions: list[tuple[str, Session]], epochs: int, as_json: bool, out: TextIO,
                err: TextIO | None = None) -> int:
    """Train runs side by side, taking turns an epoch at a time, each for up to ``epochs``
    epochs or until its stop rule holds, printing every epoch of each (prefixed by its label:
    ``[optimizer=adam] epoch 3 …``, or ``"run": "optimizer=adam"`` in JSON) and streaming them to
    ``--metrics`` (one file, with a ``run`` column); then a summary of every run.  A single run
    labelled "" is plain ``nntui --headless``: no labels, no summary, and ``--save`` at the end.
    Returns the exit code."""
    err = sys.stderr if err is None else err
    settings = sessions[0][1].settings
    compared = len(sessions) > 1
    runs = [HeadlessRun(label, session, stop_rule(session.settings.replace(epochs=epochs)), session.trainer.stats,
                        first_epoch=session.trainer.epoch) for label, session in sessions]
    printer = Output(out)
    failed: list[str] = []
    metrics = _open_metrics(settings.metrics, failed)
    with caught_signals() as caught:
        while not caught and any(run.stats is not None for run in runs):
            for run in runs:
                if run.stats is None or caught:
                    continue
                stats, run.stats, trainer = run.stats, None, run.trainer
                printer.print(_shown(stats, run.label, as_json))
                if metrics is not None and not metrics.write([stats], run.label or None):
                    failed.append(f"{settings.metrics}: {metrics.error}")
                    metrics = None
                reason = run.rule.check(stats)
                if reason is not None:
                    if trainer.epoch < epochs:  # a target loss or early stop
                        run.stopped = reason
                        printer.print(_event(run, "stopped", reason=reason) if as_json
                                      else _labelled(f"stopped: {reason}", run.label))
                    continue
                start = time.perf_counter()
                run.stats = trainer.step_epoch(until=lambda: bool(caught))  # signals stop it between mini-batches
                run.train_seconds += time.perf_counter() - start
                if trainer.diverged:
                    printer.print(_event(run, "diverged", message=trainer.diverged) if as_json
                                  else _labelled(trainer.diverged, run.label))
        interrupted = signal.Signals(caught[0]) if caught else None
        epoch_reached = max(run.trainer.epoch for run in runs)
        mark = None if interrupted is None else f"interrupted by {interrupted.name} at epoch {epoch_reached}"
        if metrics is not None:
            if mark:
                metrics.note(mark)
            if not metrics.close():
                failed.append(f"{settings.metrics}: {metrics.error}")
        saved = not compared and _save(sessions[0][1], mark, failed, err)
    if compared:
        printer.print(summary_json(runs) if as_json else summary_table(runs))
    for failure in failed:
        print(f"nntui: error: could not write {failure}", file=err)
    if interrupted is not None:
        kept = [p for p, ok in ((settings.save, saved), (settings.metrics, metrics is not None)) if p and ok]
        print(f"nntui: {mark}" + (f"; kept {' and '.join(kept)}" if kept else ""), file=err)
        return 128 + interrupted
    if any(run.trainer.diverged for run in runs):
        return EXIT_DIVERGED
    if failed:
        return EXIT_WRITE_FAILED
    done = sum(run.epochs for run in runs)
    train_seconds = sum(run.train_seconds for run in runs)
    per_second = done / train_seconds if train_seconds > 0 else 0.0
    of_runs = f" ({len(runs)} runs)" if compared else ""
    printer.print(json.dumps({"event": "done", "epochs": done, "train_seconds": train_seconds,
                              "epochs_per_second": per_second}) if as_json
                  else f"done: {done} epochs{of_runs} in {train_seconds:.3f} s of training ({per_second:.1f} epochs/s)")
    return 0


def _labelled(line: str, label: str) -> str:
    return f"[{label}] {line}" if label else line


def _shown(stats: EpochStats, label: str, as_json: bool) -> str:
    """An epoch's line, of the run labelled ``label`` ("": the only run)."""
    return epoch_json(stats, label or None) if as_json else _labelled(epoch_line(stats), label)


def _event(run: HeadlessRun, event: str, **fields: object) -> str:
    """A JSON event line about a run (``"run"`` only when runs are compared)."""
    return json.dumps({"event": event, **({"run": run.label} if run.label else {}), "epoch": run.trainer.epoch,
                       **fields})


def run_figures(run: HeadlessRun) -> dict:
    """A compared run's final figures, as the summary gives them."""
    s = run.trainer.stats
    return {
        "run": run.label, "epochs": run.trainer.epoch, "train_loss": _num(s.train_loss), "test_loss": _num(s.test_loss),
        "train_acc": s.train_acc, "test_acc": s.test_acc, "train_seconds": run.train_seconds,
        "epochs_per_second": run.epochs_per_second, "diverged": run.trainer.diverged is not None,
        "stopped": run.stopped,
    }


def summary_json(runs: list[HeadlessRun]) -> str:
    """The ``{"event": "summary", "runs": [...]}`` line after compared runs."""
    return json.dumps({"event": "summary", "runs": [run_figures(run) for run in runs]})


def summary_table(runs: list[HeadlessRun]) -> str:
    """Compared runs side by side: a row each of its final figures."""
    headers = ("run", "epochs", "train loss", "test loss", "train acc", "test acc", "epochs/s")
    rows = []
    for run in runs:
        f = run_figures(run)
        end = " diverged" if f["diverged"] else f" stopped: {f['stopped']}" if f["stopped"] else ""
        rows.append((f["run"], str(f["epochs"]), _fmt(f["train_loss"]), _fmt(f["test_loss"]),
                     _fmt(f["train_acc"], 3), _fmt(f["test_acc"], 3), f"{f['epochs_per_second']:.1f}", end))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(headers), *(line(r[:-1]) + r[-1] for r in rows)])


def _open_metrics(path: str | None, failed: list[str]) -> MetricsWriter | None:
    if not path:
        return None
    try:
        return MetricsWriter(path)
    except OSError as e:
        failed.append(f"{path}: {e.strerror or e}")
        return None


def _save(session: Session, mark: str | None, failed: list[str], err: TextIO) -> bool:
    """Write --save (not after a divergence); whether it was written."""
    trainer, settings = session.trainer, session.settings
    if not settings.save:
        return False
    if trainer.diverged:
        print(f"nntui: not saving {settings.save}: the run diverged", file=err)
        return False
    snap = trainer.snapshot()
    saved_settings = settings.model_settings()
    if mark:
        saved_settings["interrupted"] = mark
    try:
        save_model(settings.save, snap.W, snap.b, saved_settings, snap.off)
    except OSError as e:
        failed.append(f"{settings.save}: {e.strerror or e}")
        return False
    return True
