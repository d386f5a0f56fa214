"""The training process: it ends with the UI, the UI survives its end, and signals restore the terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nntui.live.process import ChildExited, LiveTraining
from nntui.session import build_session
from nntui.settings import merge

ROOT = Path(__file__).resolve().parent.parent


def wait_until(condition, timeout: float = 20.0) -> bool:
    """Poll condition() until it holds or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")  # a zombie has ended


def children_of(pid: int) -> list[int]:
    """The child processes of pid (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            found += [int(c) for c in children.read_text().split()]
    return found


def start_live(**options) -> tuple[LiveTraining, list[object]]:
    received: list[object] = []
    live = LiveTraining(build_session(merge({"paused": True, **options})).trainer, running=False,
                        on_message=received.append)
    return live, received


def test_an_error_in_training_is_reported_with_its_message():
    live, received = start_live()
    try:
        live.set_lr("not a number")  # the trainer raises on it
        assert wait_until(lambda: any(isinstance(m, ChildExited) for m in received))
        ended = next(m for m in received if isinstance(m, ChildExited))
        assert ended.exitcode != 0 and ended.failure is not None
        assert "ValueError" in ended.failure.message and "Traceback" in ended.failure.traceback
        assert "\n" not in ended.failure.message
    finally:
        live.close()


def test_a_killed_training_process_is_reported_and_replace_starts_a_new_one():
    live, received = start_live()
    try:
        first = live.process
        os.kill(first.pid, signal.SIGKILL)
        assert wait_until(lambda: any(isinstance(m, ChildExited) for m in received))
        assert next(m for m in received if isinstance(m, ChildExited)).exitcode == -signal.SIGKILL
        live.replace(build_session(merge({"paused": True})).trainer, generation=5)
        assert wait_until(lambda: (u := live.take()) is not None and u.generation == 5)
        assert live.process is not first and live.alive
    finally:
        live.close()
    assert not live.alive


def test_closing_ends_the_process_and_leaves_no_thread():
    before = set(threading.enumerate())
    live, _ = start_live()
    live.resume()
    assert wait_until(lambda: len(live.log) > 3)
    live.close()
    assert not live.alive and live.process.exitcode == 0
    assert wait_until(lambda: not [t for t in threading.enumerate() if t not in before and t.is_alive()], 5)


SCRIPT = """
import os, sys
from nntui.live.process import LiveTraining
from nntui.session import build_session
from nntui.settings import merge
live = LiveTraining(build_session(merge({})).trainer, running=True)
while len(live.log) < 5:
    pass
print(live.process.pid, flush=True)
sys.stdin.readline()
os.kill(os.getpid(), 9)  # the UI process dies without a word
"""


def test_the_training_process_ends_when_the_ui_process_dies():
    ui = subprocess.Popen([sys.executable, "-c", SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        child = int(ui.stdout.readline())
        assert pid_alive(child)
        ui.stdin.write("\n")
        ui.stdin.flush()
        assert ui.wait(20) == -signal.SIGKILL
        assert wait_until(lambda: not pid_alive(child)), "the training process outlived the UI"
    finally:
        ui.kill()


def read_until(fd: int, predicate, timeout: float = 30.0) -> bytes:
    """Read from a pty until predicate(all read so far) holds, or EOF, or timeout."""
    out = b""
    deadline = time.monotonic() + timeout
    while not predicate(out) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            out += chunk
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_end_both_processes_and_restore_the_terminal(sig):
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env.pop("NO_COLOR", None)
    ui = subprocess.Popen([sys.executable, "-m", "nntui"], stdin=follower, stdout=follower, stderr=follower,
                          env=env, cwd=ROOT, start_new_session=True)
    os.close(follower)
    try:
        screen = read_until(leader, lambda out: b"epoch" in out)
        assert b"\x1b[?1049h" in screen  # the alternate screen is on
        assert wait_until(lambda: children_of(ui.pid), 10)
        training = children_of(ui.pid)
        ui.send_signal(sig)
        rest = read_until(leader, lambda out: ui.poll() is not None and b"\x1b[?1049l" in out)
        assert ui.wait(20) == 128 + sig
        assert b"\x1b[?1049l" in rest  # the alternate screen is off again …
        assert b"\x1b[?1000l" in rest or b"\x1b[?1003l" in rest  # … and so is mouse reporting
        assert all(wait_until(lambda c=c: not pid_alive(c), 10) for c in training)
    finally:
        ui.kill()
        os.close(leader)
