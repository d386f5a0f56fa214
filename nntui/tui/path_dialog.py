"""A small dialog asking for a file path; an existing file is never overwritten without asking."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


def check_path(text: str, *, must_exist: bool, suffixes: Sequence[str]) -> tuple[Path | None, str]:
    """The path and "" when it may be used, else (None or the path, a one-line reason)."""
    text = text.strip()
    if not text:
        return None, "type a file name"
    path = Path(text).expanduser()
    if suffixes and path.suffix.lower() not in suffixes:
        return None, f"the name must end in {' or '.join(suffixes)}"
    if must_exist and not path.is_file():
        return None, f"{path}: no such file"
    if not must_exist and not path.parent.is_dir():
        return None, f"{path.parent}: no such folder"
    if not must_exist and path.is_dir():
        return None, f"{path} is a folder"
    return path, ""


class PathDialog(ModalScreen[str | None]):
    """Ask for a path to load from (must exist) or save to (asks before overwriting)."""

    DEFAULT_CSS = """
    PathDialog {
        align: center middle;
    }
    PathDialog > Vertical {
        width: 70;
        max-width: 100%;
        height: auto;
        border: round $accent;
        padding: 0 1;
        background: $surface;
    }
    PathDialog #message {
        color: $warning;
        height: auto;
    }
    """

    AUTO_FOCUS = "Input"  # the app focuses nothing by default; a dialog starts in its first field

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: str, *, must_exist: bool = False, suffixes: Sequence[str] = ()) -> None:
        super().__init__()
        self.title_text, self.default = title, default
        self.must_exist = must_exist
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.confirming: Path | None = None  # an existing file the user is asked about

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(self.default, id="path", compact=True)
            yield Static("enter: OK · escape: cancel", id="message")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path, problem = check_path(event.value, must_exist=self.must_exist, suffixes=self.suffixes)
        if problem:
            self._say(problem)
        elif not self.must_exist and path.exists():
            self.confirming = path
            self._say(f"{path} exists — overwrite it? (y/n)")
            self.set_focus(None)  # y and n now answer the question
        else:
            self.dismiss(str(path))

    def on_key(self, event) -> None:
        if self.confirming is None:
            return
        if event.key == "y":
            event.stop()
            self.dismiss(str(self.confirming))
        elif event.key == "n":
            event.stop()
            self.confirming = None
            self._say("choose another name")
            self.query_one(Input).focus()

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)

    def action_cancel(self) -> None:
        """Close without a path."""
        self.dismiss(None)
