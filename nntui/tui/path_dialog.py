"""A small dialog asking for a file path; an existing file is never overwritten without asking."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from nntui.tui.dialog import Dialog

HINT = "enter: OK · escape: cancel"


def check_path(text: str, *, must_exist: bool, suffixes: Sequence[str] = ()) -> tuple[Path | None, str]:
    """(the path, "") when it may be used, else (None, a one-line reason); expands ~."""
    text = text.strip()
    if not text:
        return None, "type a file name"
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~user that does not exist, or no home folder
        return None, f"{text}: cannot expand ~"
    suffixes = tuple(s.lower() for s in suffixes)
    if suffixes and path.suffix.lower() not in suffixes:
        return None, f"the name must end in {' or '.join(suffixes)}"
    try:
        if must_exist:
            if path.is_dir():
                return None, f"{path} is a folder, not a file"
            if not path.is_file():
                return None, f"{path}: no such file"
        else:
            if not path.parent.is_dir():
                return None, f"{path.parent}: no such folder"
            if path.is_dir():
                return None, f"{path} is a folder"
    except OSError as e:  # e.g. a name too long for the file system
        return None, f"{path}: {e.strerror or e}"
    return path, ""


class PathDialog(Dialog[str | None]):
    """Ask for a path to load from (must exist) or save to (asks before overwriting)."""

    DEFAULT_CSS = """
    PathDialog {
        align: center middle;
    }
    PathDialog > Vertical {
        width: 72;
    }
    PathDialog #title {
        text-style: bold;
    }
    PathDialog Horizontal {
        height: auto;
        align: right middle;
    }
    PathDialog #path {
        background: $boost;
    }
    PathDialog Button {
        width: auto;
        min-width: 8;
        margin-left: 2;
    }
    PathDialog #confirm {
        display: none;
    }
    PathDialog.-confirming #confirm {
        display: block;
    }
    PathDialog.-confirming #actions {
        display: none;
    }
    """

    AUTO_FOCUS = "Input"  # the app focuses nothing by default; the dialog starts in its field

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "answer(True)", "Overwrite", show=False),
        Binding("n", "answer(False)", "Keep", show=False),
    ]

    def __init__(self, title: str, default: str, *, must_exist: bool = False, suffixes: Sequence[str] = ()) -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.must_exist = must_exist
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.confirming: Path | None = None  # an existing file the user is being asked about

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="title", markup=False)
            yield Input(self.default, placeholder="a file path", id="path", compact=True)
            yield Static(HINT, id="message", markup=False)
            with Horizontal(id="actions"):
                yield Button("OK", variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
            with Horizontal(id="confirm"):
                yield Button("Yes, overwrite", variant="warning", id="yes", compact=True)
                yield Button("No", id="no", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.confirming is None:
            self._say(HINT)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id
        if button == "ok":
            self.submit(self.query_one(Input).value)
        elif button == "cancel":
            self.action_cancel()
        else:
            self.action_answer(button == "yes")

    def submit(self, text: str) -> None:
        """Dismiss with the path if it may be used, ask first if it would overwrite a file, else say why not."""
        path, problem = check_path(text, must_exist=self.must_exist, suffixes=self.suffixes)
        if path is None:
            self._say(problem, problem=True)
            self.query_one(Input).focus()  # back to the name, e.g. after the OK button
        elif not self.must_exist and path.exists():
            self.confirming = path
            self.add_class("-confirming")
            self._say(f"{path} exists — overwrite? (y/n)", problem=True)
            self.query_one("#no", Button).focus()  # enter keeps the file; y and n answer
        else:
            self.dismiss(str(path))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The y and n keys only answer while asking about overwriting."""
        if action == "answer":
            return self.confirming is not None
        return True

    def action_answer(self, overwrite: bool) -> None:
        """Yes: dismiss with the existing file's path; no: back to editing the name."""
        if self.confirming is None:
            return
        path, self.confirming = self.confirming, None
        self.remove_class("-confirming")
        if overwrite:
            self.dismiss(str(path))
            return
        self._say("not overwritten: choose another name", problem=True)
        self.query_one(Input).focus()


