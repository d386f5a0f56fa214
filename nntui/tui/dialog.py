"""What the app's small dialogs share: a one-line message and escape to cancel."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen
from textual.widgets import Static

Result = TypeVar("Result")


class Dialog(ModalScreen[Result]):
    """A modal screen with a ``#message`` line; cancelling dismisses with None."""

    # The frame every dialog shares (a subclass sets its width and where it sits).
    DEFAULT_CSS = """
    Dialog > Vertical, Dialog > #dialog {
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        border-title-style: bold;
        padding: 0 1;
        background: $surface;
    }
    Dialog #message {
        height: auto;
        color: $text-muted;
    }
    Dialog #message.-problem {
        color: $warning;
    }
    """

    def action_cancel(self) -> None:
        """Close without a result."""
        self.dismiss(None)

    def _say(self, text: str, problem: bool = False) -> None:
        """Show one line in the ``#message`` line (styled as a problem when it is one)."""
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(problem, "-problem")
