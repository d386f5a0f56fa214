"""Helpers the live-session tests share: a runner on a thread, waiting on processes and ptys."""

from __future__ import annotations

import os
import select
import threading
import time
from pathlib import Path

from nntui.engine import Trainer
from nntui.live.metrics import MetricsLog
from nntui.live.protocol import Update
from nntui.live.runner import Runner
from nntui.live.stop import StopRule


def wait_until(condition, timeout: float = 20.0) -> bool:
    """Poll condition() until it holds or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def pid_alive(pid: int) -> bool:
    """Whether the process pid runs (a zombie counts as ended)."""
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


class Inbox:
    """Collects what the runner sends and lets a test wait for a message that matches."""

    def __init__(self) -> None:
        self.messages: list[object] = []
        self.cond = threading.Condition()

    def put(self, message: object) -> None:
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def wait(self, predicate, kind: type = Update, timeout: float = 60.0):
        def match(m: object) -> bool:
            return isinstance(m, kind) and predicate(m)

        with self.cond:
            assert self.cond.wait_for(lambda: any(match(m) for m in self.messages), timeout), "no matching message"
            return next(m for m in self.messages if match(m))


class InThread:
    """A Runner on a thread of this process."""

    def __init__(self, trainer: Trainer, running: bool, stop: StopRule | None) -> None:
        self.inbox, self.log = Inbox(), MetricsLog()
        self.runner = Runner(trainer, self._publish, running=running, stop=stop)
        self.thread = threading.Thread(target=self.runner.run, daemon=True)
        self.thread.start()

    def _publish(self, message: object) -> None:
        if isinstance(message, Update):
            self.log.extend(message.epochs)
        self.inbox.put(message)

    def send(self, name: str, *args) -> None:
        getattr(self.runner, name)(*args)

    def close(self) -> None:
        self.runner.stop()
        self.thread.join(10)
        assert not self.thread.is_alive() and self.runner.finished.is_set()
