"""The TUI in a real terminal (a pty): it keeps --save and --metrics, and its exit code tells the truth."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np

from nntui.engine import load_model
from tests.live.helpers import children_of, pid_alive, read_until, wait_until

ROOT = Path(__file__).resolve().parents[2]


def run_in_pty(code: str, steps: list[tuple[bytes, bytes]], tmp_path: Path, stderr_to_pty: bool = True):
    """Run Python ``code`` with a pty as its terminal; for each (shown, keys) step, once ``shown``
    is on the terminal, type ``keys``; returns (exit code, everything the terminal got)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30", "XDG_CACHE_HOME": str(tmp_path)}
    err = follower if stderr_to_pty else open(tmp_path / "err.txt", "w")
    run = subprocess.Popen([sys.executable, "-c", code], stdin=follower, stdout=follower, stderr=err,
                           env=env, cwd=tmp_path, start_new_session=True)
    os.close(follower)
    out = b""
    try:
        for shown, keys in steps:
            seen = len(out)
            out += read_until(leader, lambda o, shown=shown, seen=seen: shown in o[seen:] or run.poll() is not None)
            os.write(leader, keys)
        out += read_until(leader, lambda o: run.poll() is not None, timeout=30)
        code = run.wait(30)
        out += read_until(leader, lambda o: False, timeout=0.5)
    finally:
        run.kill()
        os.close(leader)
    return code, out.decode("utf-8", "replace")


def nntui(*args: str) -> str:
    return f"import sys; from nntui.cli import main; sys.exit(main({list(args)!r}))"


def test_save_and_metrics_are_written_when_epochs_pauses_and_on_quit(tmp_path):
    code, out = run_in_pty(nntui("--epochs", "30", "--save", "m.npz", "--metrics", "m.csv"),
                           [(b"reached 30 epochs", b"q")], tmp_path)
    assert code == 0, out[-2000:]
    W, b, settings = load_model(tmp_path / "m.npz")
    assert settings["layers"] == [4, 2] and np.isfinite(W[0]).all()
    rows = (tmp_path / "m.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and [r.split(",")[0] for r in rows[1:]] == [str(e) for e in range(31)]
    assert "saved the model of epoch 30 to m.npz" in out and "wrote every epoch's figures to m.csv" in out


def test_a_crash_exits_1_with_one_line_and_the_traceback_in_a_log_file(tmp_path):
    code = (
        "import sys; from nntui.tui.app import NNTuiApp\n"
        "def broken(self): raise RuntimeError('a bug in a key')\n"
        "NNTuiApp.action_help = broken\n"
        "from nntui.cli import main; sys.exit(main(['--paused']))\n"
    )
    exit_code, out = run_in_pty(code, [(b"epoch", b"?")], tmp_path)
    assert exit_code == 1
    line = re.search(r"nntui: crashed: RuntimeError: a bug in a key \(the traceback is in (\S+)\)", out)
    assert line, out[-2000:]
    log = Path(line.group(1))
    assert log.parent == tmp_path / "nntui" and "Traceback" in log.read_text() and "broken" in log.read_text()
    assert "Traceback" not in out  # the terminal got one line


def test_two_enters_in_one_burst_in_the_command_palette_do_not_crash(tmp_path):
    # ctrl+p, Enter, Enter: the palette runs its first command ("Back", which rewinds) …
    code, out = run_in_pty(nntui("--paused"), [(b"epoch", b"\x10\r\r"), (b"rewound", b"q")], tmp_path)
    assert code == 0, out[-2000:]  # … and the app lives on, until q
    assert "ScreenStackError" not in out and "crashed" not in out


def test_a_redirected_stderr_is_refused_with_one_line(tmp_path):
    code, out = run_in_pty(nntui(), [], tmp_path, stderr_to_pty=False)
    assert code == 2
    assert "stderr is not a terminal" in out and "stderr is not a terminal" in (tmp_path / "err.txt").read_text()
    assert "\x1b[?1049h" not in out  # nothing was drawn


def test_a_terminal_that_hangs_up_ends_both_processes(tmp_path):
    """An SSH session that drops: the terminal goes away (SIGHUP, and every write fails after it)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}

    def controlling_terminal() -> None:  # as a terminal or sshd starts a shell: the pty is the session's
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    run = subprocess.Popen([sys.executable, "-m", "nntui", "--save", str(tmp_path / "m.npz")], stdin=follower,
                           stdout=follower, stderr=follower, env=env, cwd=ROOT, preexec_fn=controlling_terminal)
    os.close(follower)
    try:
        read_until(leader, lambda o: b"ep/s" in o)  # training, and drawn
        assert wait_until(lambda: children_of(run.pid), 10)
        children = children_of(run.pid)
        os.close(leader)  # the terminal hangs up
        assert run.wait(30) == 128 + signal.SIGHUP
        assert all(wait_until(lambda c=c: not pid_alive(c), 10) for c in children)
    finally:
        run.kill()
    assert load_model(tmp_path / "m.npz")[0]  # the run's model was kept


def test_quitting_while_training_saves_the_epoch_the_metrics_end_with(tmp_path):
    code, out = run_in_pty(nntui("--save", "m.npz", "--metrics", "m.csv"), [(b"ep/s", b"q")], tmp_path)
    assert code == 0, out[-2000:]
    saved = re.search(r"saved the model of epoch (\d+) to m\.npz", out)
    last = (tmp_path / "m.csv").read_text().splitlines()[-1].split(",")[0]
    assert saved and saved.group(1) == last, (saved and saved.group(0), last)
