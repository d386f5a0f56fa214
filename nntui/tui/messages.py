"""Messages from the training process to the UI."""

from __future__ import annotations

from textual.message import Message


class TrainingUpdate(Message):
    """A new update waits in ``LiveTraining`` (``take`` it).  Consecutive ones coalesce, and the
    reader posts one only after the last was taken: the UI never falls behind, however fast
    training runs."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrainingUpdate)


class LiveMessage(Message):
    """Anything else from the training process: a trace, a recorded epoch, its end."""

    def __init__(self, message: object) -> None:
        super().__init__()
        self.message = message
