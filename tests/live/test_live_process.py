"""The training process: it ends with the UI, the UI survives its end, and signals restore the terminal."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nntui.live.process import ChildExited, LiveTraining
from nntui.session import build_session
from nntui.settings import merge
from tests.live.helpers import children_of, pid_alive, read_until, wait_until

ROOT = Path(__file__).resolve().parents[2]


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
from tests.live.helpers import children_of, pid_alive, read_until, wait_until
from tests.live.helpers import children_of, pid_alive, read_until, wait_until
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
