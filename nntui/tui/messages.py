"""Messages between the training thread and the UI."""

from __future__ import annotations

from textual.message import Message

from nntui.engine.inspect import Trace
from nntui.tui.runner import Update


class TrainingUpdate(Message):
    """A new snapshot from the training thread.  Consecutive updates coalesce: only the
    newest waiting one is handled, so the UI never falls behind however fast training runs."""

    def __init__(self, update: Update) -> None:
        super().__init__()
        self.update = update

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrainingUpdate)


class TraceReady(Message):
    """A traced training step for the inspector: a phase of phase stepping, or chosen samples."""

    def __init__(self, trace: Trace, title: str) -> None:
        super().__init__()
        self.trace = trace
        self.title = title
