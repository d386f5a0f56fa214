"""The ``nntui`` command: parse options, then open the TUI or train headless."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from nntui import __version__
from nntui.export import metrics_format
from nntui import export_code
from nntui.files import atomic_write, check_writable, discard_output
from nntui.headless import run_compare, run_headless
from nntui.lessons import LESSONS
from nntui.session import USER_ERRORS, build_session, fork_session, resolve_settings
from nntui.settings import FORKABLE, MAX_RUNS, OPTIONS, Settings, SettingsError, parse_compare

HEADLESS_EPOCHS = 100  # default --epochs without the TUI

EXIT_USAGE = 2


def one_line(message: object) -> str:
    """A message on one line, whatever the user typed into it (a value may hold a newline)."""
    return " ".join(str(message).splitlines())


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def make_parser() -> argparse.ArgumentParser:
    """The argument parser, built from the options table in nntui.settings."""
    p = _Parser(
        prog="nntui",
        description="Watch a neural network learn, in your terminal. Without --headless it opens the TUI.",
        epilog="Every option can also be set in a TOML file given with --config (flags override it). "
        "Keys in the TUI: space pause, s step, < / > pace (slower / faster), +/- learning rate, r reset, "
        "? help, q quit. nntui export MODEL.npz writes a saved model as a Python script (see nntui export --help).",
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("--version", action="version", version=f"nntui {__version__}")
    p.add_argument("--headless", action="store_true", help="train without the TUI, printing one line per epoch")
    p.add_argument("--json", action="store_true", help="with --headless: print JSON lines instead")
    p.add_argument("--config", metavar="FILE.toml", help="read options from a TOML file")
    p.add_argument("--compare", metavar="NAME=V1,V2", help="with --headless: train one run per value of option NAME "
                   f"(2 to {MAX_RUNS}; {', '.join(sorted(n.replace('_', '-') for n in FORKABLE))}), side by side from the same initial weights "
                   "and data, then print a summary")
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


# ------------------------------------------------------------------ nntui export
def export_command(argv: Sequence[str]) -> int:
    """``nntui export MODEL.npz [--to numpy|pytorch] [-o FILE.py]``; returns the exit code."""
    p = _Parser(prog="nntui export", description="Write a trained model as a standalone Python script "
                "(the weights, input features and standardisation in it; no nntui needed to run it).")
    p.add_argument("model", metavar="MODEL.npz", help="a model saved by nntui (--save, or ctrl+s in the TUI)")
    p.add_argument("--to", default="numpy", choices=export_code.TARGETS,
                   help="numpy: functions predict(x) and outputs(x); pytorch: an nn.Sequential `model` "
                   "with the weights loaded, and the same functions (default: numpy)")
    p.add_argument("-o", "--output", metavar="FILE.py", help="write the script here (default: print it)")
    args = p.parse_args(argv)
    try:
        if args.output:  # say so now, before the data is rebuilt
            check_writable(Path(args.output).expanduser())
        text = export_code.model_code(export_code.read_model_file(args.model), args.to)
        if args.output:
            atomic_write(Path(args.output).expanduser(), lambda f: f.write(text.encode("utf-8")))
        else:
            sys.stdout.write(text)
    except (*USER_ERRORS, export_code.ExportError) as e:
        print(f"nntui export: error: {one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except OSError as e:  # -o into a missing folder, onto a folder, …
        where = f"{e.filename}: " if e.filename else ""
        print(f"nntui export: error: {one_line(where + str(e.strerror or e))}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def lesson_list() -> str:
    """What ``--lesson list`` prints: each lesson's name, title and the options it sets."""
    width = max(len(lesson.name) for lesson in LESSONS)
    return "\n".join(
        f"{lesson.name:<{width}}  {lesson.title}: "
        + " ".join(f"--{k.replace('_', '-')} {','.join(map(str, v)) if isinstance(v, tuple) else v}"
                   if not isinstance(v, bool) else f"--{k}" for k, v in lesson.settings.items())
        for lesson in LESSONS
    )


# ------------------------------------------------------------------ main
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nntui`` console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["export"]:  # nntui export MODEL.npz --to numpy|pytorch -o FILE.py
        return export_command(argv[1:])
    if argv[:1] == ["watch"]:  # nntui watch FILE… : follow metrics files as they grow
        return watch_command(argv[1:])
    args = vars(make_parser().parse_args(argv))
    headless = args.pop("headless", False)
    as_json = args.pop("json", False)
    config = args.pop("config", None)
    if args.get("lesson") == "list":
        print(lesson_list())
        return 0
    compare = args.pop("compare", None)
    try:
        settings, weights = resolve_settings(args, config)
        compared = None if compare is None else parse_compare(compare)
        if compared is not None and not headless:
            raise SettingsError("--compare: only with --headless (in the TUI, fork the run with its key)")
        if compared is not None and settings.save:
            raise SettingsError("--save: not with --compare (one file, several models): train the run you choose "
                                "again with --save")
        if settings.metrics:
            try:
                metrics_format(settings.metrics)
            except ValueError as e:
                raise SettingsError(f"--metrics: {e}") from None
        for option, path in (("--save", settings.save), ("--metrics", settings.metrics)):
            if path:  # say so now, not after training
                try:
                    check_writable(Path(path).expanduser())
                except OSError as e:
                    raise SettingsError(f"{option}: {path}: {e.strerror}") from None
        if not headless and not (sys.stdin.isatty() and sys.stdout.isatty()):
            print("nntui: no terminal to draw on (stdin/stdout are not a TTY): use --headless", file=sys.stderr)
            return EXIT_USAGE
        if not headless and not sys.stderr.isatty():  # Textual draws on stderr: the screen would go there
            for stream in {sys.stdout, sys.stderr}:
                print("nntui: stderr is not a terminal, and the TUI draws on it: do not redirect it (2>), "
                      "or use --headless", file=stream)
            return EXIT_USAGE
        session = build_session(settings, weights)
        if headless:
            epochs = HEADLESS_EPOCHS if settings.epochs is None else settings.epochs
            if compared is not None:
                name, values = compared
                runs = [(label, fork_session(session, {name: value})) for label, value in values]
                return run_compare(runs, epochs, as_json, sys.stdout)
            return run_headless(session, epochs, as_json, sys.stdout)
    except USER_ERRORS as e:
        print(f"nntui: error: {one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except MemoryError:  # what the estimate in build_session did not foresee
        print("nntui: error: out of memory: lower --samples, --layers or --history-mb", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # e.g. --save into a missing folder
        where = f"{e.filename}: " if e.filename else ""
        print(f"nntui: error: {one_line(where + str(e.strerror or e))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130

    from nntui.tui.app import NNTuiApp  # imported late: headless runs never load Textual

    app = NNTuiApp(session, weights)
    app.run()
    for note in app.exit_notes:
        _say(f"nntui: {note}")
    if app.signalled is not None:  # what a hung-up terminal does to the way out is no crash
        return 128 + app.signalled
    if app.crash is not None:
        _say(f"nntui: crashed: {one_line(app.crash.rstrip().splitlines()[-1])} (the traceback is in {write_crash_log(app.crash)})")
        return app.return_code or 1
    return app.return_code or 0


# ------------------------------------------------------------------ watch
def watch_command(argv: Sequence[str]) -> int:
    """``nntui watch FILE…``: follow metrics files as they grow (nntui.tui.watch_app)."""
    p = _Parser(
        prog="nntui watch",
        description="Live curves of metrics files as some training writes them: JSON lines or CSV, "
        "one line per epoch (or step) with numeric fields such as train_loss, test_loss, train_acc, lr; "
        "what nntui --headless --metrics writes, or any script. A file that does not exist yet is waited for.",
        epilog="Keys: f / F next / previous field, l log scale, q quit.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="a .jsonl or .csv metrics file")
    p.add_argument("--follow", action=argparse.BooleanOptionalAction, default=True,
                   help="keep reading as the files grow (--no-follow: read them once)")
    args = p.parse_args(argv)
    for file in args.files:
        path = Path(file).expanduser()
        if path.is_dir():
            print(f"nntui watch: error: {one_line(file)}: is a folder, not a metrics file", file=sys.stderr)
            return EXIT_USAGE
        if path.exists() and not os.access(path, os.R_OK):
            print(f"nntui watch: error: {one_line(file)}: permission denied", file=sys.stderr)
            return EXIT_USAGE
        if not path.exists() and not args.follow:
            print(f"nntui watch: error: {one_line(file)}: no such file (without --no-follow it is waited for)",
                  file=sys.stderr)
            return EXIT_USAGE
    if not (sys.stdin.isatty() and sys.stdout.isatty() and sys.stderr.isatty()):
        print("nntui watch: no terminal to draw on (stdin, stdout and stderr must be a TTY)", file=sys.stderr)
        return EXIT_USAGE

    from nntui.tui.watch_app import WatchApp  # imported late, as the TUI's

    try:
        WatchApp([Path(f).expanduser() for f in args.files], follow=args.follow).run()
    except KeyboardInterrupt:
        return 130
    return 0


def _say(line: str) -> None:
    """A line on stderr, if there is still a terminal to take it (a hung-up one fails every write)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        discard_output(sys.stderr.fileno())


def write_crash_log(text: str) -> str:
    """Keep a crash's traceback in a file (the user's cache folder, else the temporary one); its path."""
    name = time.strftime("crash-%Y%m%d-%H%M%S.log")
    for folder in (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nntui", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / (name if folder.name == "nntui" else f"nntui-{name}")
            path.write_text(text, encoding="utf-8")
            return str(path)
        except OSError:
            continue
    return "nowhere: no folder could be written"
