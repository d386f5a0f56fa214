"""The settings form (`e`): change the data, the network and the training while it runs."""

from __future__ import annotations

from typing import Any, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from nntui.engine import HIDDEN_ACTIVATIONS, OPTIMIZERS, REGULARIZERS
from nntui.settings import Settings, SettingsError, check_option

# (option, label, choices or None for a text field)
FIELDS: tuple[tuple[str, str, Sequence[str] | None], ...] = (
    ("dataset", "dataset", None),  # choices filled in from the constructor
    ("noise", "noise (0–1)", None),
    ("samples", "samples", None),
    ("train_fraction", "training share (0–1)", None),
    ("features", "features", None),
    ("layers", "hidden layers", None),
    ("activation", "activation", HIDDEN_ACTIVATIONS),
    ("optimizer", "optimizer", tuple(OPTIMIZERS)),
    ("batch_size", "batch size", None),
    ("reg", "regularization", REGULARIZERS),
    ("reg_rate", "regularization rate", None),
    ("lr", "learning rate", None),
)


def shown(value: Any) -> str:
    """An option's value as the form shows it."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def changed_options(before: Settings, values: dict[str, Any]) -> dict[str, Any]:
    """The options whose parsed values differ from ``before``; SettingsError names a bad one."""
    changes = {}
    for name, value in values.items():
        parsed = check_option(name, value)
        if parsed != getattr(before, name):
            changes[name] = parsed
    return changes


def needs_reset(changes: dict[str, Any]) -> bool:
    """Everything but the learning rate needs fresh weights."""
    return any(name != "lr" for name in changes)


class SettingsForm(ModalScreen[dict | None]):
    """Edit the settings; returns only the changed options (or None when cancelled)."""

    DEFAULT_CSS = """
    SettingsForm {
        align: center middle;
    }
    SettingsForm > VerticalScroll {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        padding: 0 1;
        background: $surface;
    }
    SettingsForm .row {
        height: auto;
    }
    SettingsForm .row {
        margin-bottom: 1;
    }
    SettingsForm .row Label {
        width: 24;
        padding: 0 1 0 0;
    }
    SettingsForm .row Input, SettingsForm .row Select {
        width: 1fr;
    }
    SettingsForm #message {
        color: $warning;
        height: auto;
    }
    SettingsForm #buttons {
        height: auto;
        align: right middle;
    }
    """

    AUTO_FOCUS = "Input"  # the app focuses nothing by default; a dialog starts in its first field

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Apply")]

    def __init__(self, settings: Settings, datasets: Sequence[str]) -> None:
        super().__init__()
        self.settings = settings
        self.datasets = tuple(datasets) + (() if settings.dataset in datasets else (settings.dataset,))

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(
                "Change the run. Anything but the learning rate resets the weights.\n"
                "features: x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2 · hidden layers: neurons per layer, "
                "like 8,8 (empty for none) · enter or ctrl+s applies, escape cancels"
            )
            for name, label, choices in FIELDS:
                choices = self.datasets if name == "dataset" else choices
                value = shown(getattr(self.settings, name))
                with Horizontal(classes="row"):
                    yield Label(label)
                    if choices:
                        yield Select([(c, c) for c in choices], value=value, allow_blank=False, id=name, compact=True)
                    else:
                        yield Input(value, id=name, compact=True)
            yield Static("", id="message")
            with Horizontal(id="buttons"):
                yield Button("Apply", variant="primary", id="apply", compact=True)
                yield Button(" Cancel", id="cancel", compact=True)

    def values(self) -> dict[str, Any]:
        """What the fields say now, by option name."""
        out = {}
        for name, _, _ in FIELDS:
            widget = self.query_one(f"#{name}")
            out[name] = widget.value
        return out

    def on_input_changed(self, event: Input.Changed) -> None:
        try:
            check_option(event.input.id, event.value)
        except SettingsError as e:
            self._say(str(e))
        else:
            self._say("")

    def on_input_submitted(self) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        """Apply the changes (refused while a field is invalid)."""
        try:
            changes = changed_options(self.settings, self.values())
        except SettingsError as e:
            self._say(str(e))
            return
        self.dismiss(changes)

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)
