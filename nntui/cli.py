"""The ``nntui`` command: parse options, then open the TUI or train headless."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Sequence, TextIO

from nntui import __version__
from nntui.engine import EpochStats, ModelFileError, save_model
from nntui.export import metrics_format
from nntui.live.metrics import MetricsWriter
from nntui.session import USER_ERRORS, Session, build_session, resolve_settings, stop_rule
from nntui.settings import OPTIONS, Settings, SettingsError

HEADLESS_EPOCHS = 100  # default --epochs without the TUI

EXIT_USAGE = 2
EXIT_DIVERGED = 3


def one_line(message: object) -> str:
    """A message on one line, whatever the user typed into it (a value may hold a newline)."""
    return " ".join(str(message).splitlines())


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"nntui: error: {one_line(message)} (see nntui --help)\n")


def make_parser() -> argparse.ArgumentParser:
    """The argument parser, built from the options table in nntui.settings."""
    p = _Parser(
        prog="nntui",
        description="Watch a neural network learn, in your terminal. Without --headless it opens the TUI.",
        epilog="Every option can also be set in a TOML file given with --config (flags override it). "
        "Keys in the TUI: space pause, s step, +/- learning rate, r reset, ? help, q quit.",
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("--version", action="version", version=f"nntui {__version__}")
    p.add_argument("--headless", action="store_true", help="train without the TUI, printing one line per epoch")
    p.add_argument("--json", action="store_true", help="with --headless: print JSON lines instead")
    p.add_argument("--config", metavar="FILE.toml", help="read options from a TOML file")
    defaults = Settings()
    for o in OPTIONS:
        flag = "--" + o.name.replace("_", "-")
        default = getattr(defaults, o.name)
        if o.name == "shuffle":
            p.add_argument("--no-shuffle", dest="shuffle", action="store_false", help="never reshuffle the training data")
        elif o.metavar is None:
            p.add_argument(flag, dest=o.name, action="store_true", help=o.help)
        else:
            shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
            suffix = "" if default is None else f" (default: {shown})"
            p.add_argument(flag, dest=o.name, metavar=o.metavar, help=o.help + suffix)
    return p


# ------------------------------------------------------------------ headless
def _fmt(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def epoch_line(s: EpochStats) -> str:
    """One human-readable line for an epoch."""
    return (
        f"epoch {s.epoch:5d}  train loss {_fmt(s.train_loss)}  test loss {_fmt(s.test_loss)}  "
        f"train acc {_fmt(s.train_acc, 3)}  test acc {_fmt(s.test_acc, 3)}  lr {s.lr:g}"
    )


def epoch_json(s: EpochStats) -> str:
    """One JSON line for an epoch (non-finite numbers as null)."""
    def num(x: float | None) -> float | None:
        return None if x is None or not math.isfinite(x) else x

    return json.dumps(
        {
            "event": "epoch",
            "epoch": s.epoch,
            "train_loss": num(s.train_loss),
            "test_loss": num(s.test_loss),
            "train_acc": s.train_acc,
            "test_acc": s.test_acc,
            "lr": s.lr,
        }
    )


def run_headless(session: Session, epochs: int, as_json: bool, out: TextIO) -> int:
    """Train for up to ``epochs`` epochs or until a stop condition holds, printing every epoch
    (and streaming it to ``--metrics``); returns the exit code."""
    trainer = session.trainer
    settings = session.settings
    rule = stop_rule(settings.replace(epochs=epochs))
    show = epoch_json if as_json else epoch_line
    metrics = MetricsWriter(settings.metrics) if settings.metrics else None
    first_epoch = trainer.epoch
    train_seconds = 0.0
    try:
        stats = trainer.stats
        while True:
            print(show(stats), file=out)
            if metrics is not None:
                metrics.write([stats])
            reason = rule.check(stats)
            if reason is not None:
                break
            start = time.perf_counter()
            stats = trainer.step_epoch()
            train_seconds += time.perf_counter() - start
            if stats is None:
                break
    finally:
        if metrics is not None:
            metrics.close()
    if reason is not None and trainer.epoch < epochs:  # a target loss or early stop, not the last epoch
        if as_json:
            print(json.dumps({"event": "stopped", "epoch": trainer.epoch, "reason": reason}), file=out)
        else:
            print(f"stopped: {reason}", file=out)
    if trainer.diverged:
        if as_json:
            print(json.dumps({"event": "diverged", "epoch": trainer.epoch, "message": trainer.diverged}), file=out)
        else:
            print(trainer.diverged, file=out)
        if settings.save:
            print(f"nntui: not saving {settings.save}: the run diverged", file=sys.stderr)
        return EXIT_DIVERGED
    if settings.save:
        snap = trainer.snapshot()
        save_model(settings.save, snap.W, snap.b, settings.model_settings())
    done = trainer.epoch - first_epoch
    per_second = done / train_seconds if train_seconds > 0 else 0.0
    if as_json:
        print(json.dumps({"event": "done", "epochs": done, "train_seconds": train_seconds, "epochs_per_second": per_second}), file=out)
    else:
        print(f"done: {done} epochs in {train_seconds:.3f} s of training ({per_second:.1f} epochs/s)", file=out)
    return 0


# ------------------------------------------------------------------ main
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nntui`` console script; returns the exit code."""
    args = vars(make_parser().parse_args(argv))
    headless = args.pop("headless", False)
    as_json = args.pop("json", False)
    config = args.pop("config", None)
    try:
        settings, weights = resolve_settings(args, config)
        if settings.metrics:
            try:
                metrics_format(settings.metrics)
            except ValueError as e:
                raise SettingsError(f"--metrics: {e}") from None
        for option, path in (("--save", settings.save), ("--metrics", settings.metrics)):
            if path and not Path(path).expanduser().parent.is_dir():  # say so now, not after training
                raise SettingsError(f"{option}: {path}: the folder {Path(path).parent} does not exist")
        if not headless and not (sys.stdin.isatty() and sys.stdout.isatty()):
            print("nntui: no terminal to draw on (stdin/stdout are not a TTY): use --headless", file=sys.stderr)
            return EXIT_USAGE
        session = build_session(settings, weights)
        if headless:
            epochs = HEADLESS_EPOCHS if settings.epochs is None else settings.epochs
            return run_headless(session, epochs, as_json, sys.stdout)
    except USER_ERRORS as e:
        print(f"nntui: error: {one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # e.g. --save into a missing folder
        where = f"{e.filename}: " if e.filename else ""
        print(f"nntui: error: {one_line(where + str(e.strerror or e))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

    from nntui.tui.app import NNTuiApp  # imported late: headless runs never load Textual

    app = NNTuiApp(session, weights)
    app.run()
    return app.return_code or 0
