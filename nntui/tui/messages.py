"""Messages from the training process to the UI, and between the panels and the app."""

from __future__ import annotations

from textual.message import Message
from textual.widget import Widget


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


class NeuronSelected(Message):
    """A panel's selected neuron changed (the diagram's, or the weight pictures'): its layer and
    index, both None when the selection was cleared."""

    def __init__(self, panel: Widget, layer: int | None, index: int | None) -> None:
        super().__init__()
        self.panel = panel
        self.layer = layer
        self.index = index

    @property
    def control(self) -> Widget:
        """The panel that posted the message (for `@on(NeuronSelected, "#id")`)."""
        return self.panel
