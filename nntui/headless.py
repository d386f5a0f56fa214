"""Training without the TUI: a line per epoch, ``--metrics`` streamed, ``--save`` at the end.

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
from typing import Iterator, TextIO

from nntui.engine import EpochStats, save_model
from nntui.files import discard_output
from nntui.live.metrics import MetricsWriter
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


def epoch_json(s: EpochStats) -> str:
    """One JSON line for an epoch (non-finite numbers as null)."""
    return json.dumps({
        "event": "epoch", "epoch": s.epoch, "train_loss": _num(s.train_loss), "test_loss": _num(s.test_loss),
        "train_acc": s.train_acc, "test_acc": s.test_acc, "lr": s.lr,
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


def run_headless(session: Session, epochs: int, as_json: bool, out: TextIO, err: TextIO | None = None) -> int:
    """Train for up to ``epochs`` epochs or until a stop rule holds, printing every epoch and
    streaming it to ``--metrics``; then save; returns the exit code."""
    err = sys.stderr if err is None else err
    trainer, settings = session.trainer, session.settings
    rule = stop_rule(settings.replace(epochs=epochs))
    show = epoch_json if as_json else epoch_line
    printer = Output(out)
    failed: list[str] = []
    metrics = _open_metrics(settings.metrics, failed)
    first_epoch, train_seconds, reason = trainer.epoch, 0.0, None
    with caught_signals() as caught:
        stats: EpochStats | None = trainer.stats
        while stats is not None:
            printer.print(show(stats))
            if metrics is not None and not metrics.write([stats]):
                failed.append(f"{settings.metrics}: {metrics.error}")
                metrics = None
            reason = rule.check(stats)
            if reason is not None:
                break
            start = time.perf_counter()
            stats = trainer.step_epoch(until=lambda: bool(caught))  # signals stop it between mini-batches
            train_seconds += time.perf_counter() - start
        interrupted = signal.Signals(caught[0]) if caught else None
        if interrupted is None and reason is not None and trainer.epoch < epochs:  # a target loss or early stop
            printer.print(json.dumps({"event": "stopped", "epoch": trainer.epoch, "reason": reason}) if as_json
                          else f"stopped: {reason}")
        if trainer.diverged:
            printer.print(json.dumps({"event": "diverged", "epoch": trainer.epoch, "message": trainer.diverged})
                          if as_json else trainer.diverged)
        mark = None if interrupted is None else f"interrupted by {interrupted.name} at epoch {trainer.epoch}"
        if metrics is not None:
            if mark:
                metrics.note(mark)
            if not metrics.close():
                failed.append(f"{settings.metrics}: {metrics.error}")
        saved = _save(session, mark, failed, err)
    for failure in failed:
        print(f"nntui: error: could not write {failure}", file=err)
    if interrupted is not None:
        kept = [p for p, ok in ((settings.save, saved), (settings.metrics, metrics is not None)) if p and ok]
        print(f"nntui: {mark}" + (f"; kept {' and '.join(kept)}" if kept else ""), file=err)
        return 128 + interrupted
    if trainer.diverged:
        return EXIT_DIVERGED
    if failed:
        return EXIT_WRITE_FAILED
    done = trainer.epoch - first_epoch
    per_second = done / train_seconds if train_seconds > 0 else 0.0
    printer.print(json.dumps({"event": "done", "epochs": done, "train_seconds": train_seconds,
                              "epochs_per_second": per_second}) if as_json
                  else f"done: {done} epochs in {train_seconds:.3f} s of training ({per_second:.1f} epochs/s)")
    return 0


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
