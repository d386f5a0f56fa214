"""The settings form (`e`): change the data, the network and the training while it runs."""

from __future__ import annotations

from typing import Any, Sequence

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from nntui.datasets.generators import GENERATORS
from nntui.engine import HIDDEN_ACTIVATIONS, OPTIMIZERS, REGULARIZERS
from nntui.settings import FEATURE_NAMES, LEARNING_RATES, OPTION_BY_NAME, Settings, SettingsError, check_option, parse_layers
from nntui.tui.dialog import Dialog

# The form's options, in order, with labels shortened from their OPTIONS help text.
LABELS: dict[str, str] = {
    "dataset": "dataset",
    "noise": "label noise (0–1)",
    "samples": "points (train + test)",
    "train_fraction": "training fraction",
    "features": "input features (2-D)",
    "layers": "hidden layer sizes",
    "activation": "hidden activation",
    "optimizer": "optimizer",
    "batch_size": "mini-batch size",
    "reg": "regularization",
    "reg_rate": "regularization rate",
    "lr": "learning rate (> 0)",
}
CHOICES: dict[str, Sequence[str]] = {
    "activation": tuple(HIDDEN_ACTIVATIONS),
    "optimizer": tuple(OPTIMIZERS),
    "reg": tuple(REGULARIZERS),
}
DEFAULT_FEATURES = ("x1", "x2")
MAX_NEURONS = 4096
CHROME_ROWS = 5  # the dialog's rows outside the scrolling fields
LAYER_BUTTONS = {"add-layer": "+ layer", "remove-layer": "− layer", "add-neuron": "+ neuron", "remove-neuron": "− neuron"}


def shown(value: Any) -> str:
    """An option's value as the form's text fields show it."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def rate_text(rate: float) -> str:
    """0.00001 -> '0.00001' (not '1e-05')."""
    return f"{rate:.5f}".rstrip("0").rstrip(".")


def is_generated(dataset: str) -> bool:
    """True for the generated 2-D sets (which have noise, a sample count and features)."""
    return dataset in GENERATORS


def has_features(dataset: str) -> bool:
    """True unless the dataset is known not to be 2-D (digits); a file may be 2-D."""
    return dataset != "digits"


def changed_options(before: Settings, after_values: dict[str, Any]) -> dict[str, Any]:
    """The options whose parsed values differ from ``before``, {name: parsed}; SettingsError names a bad one."""
    changes = {}
    for name, value in after_values.items():
        parsed = check_option(name, value)
        if parsed != getattr(before, name):
            changes[name] = parsed
    return changes


def needs_reset(changes: dict[str, Any]) -> bool:
    """True unless the only change is the learning rate (which never resets the weights)."""
    return any(name != "lr" for name in changes)


def edit_layers(text: str, edit: str) -> str:
    """The layers text after one button: add-layer, remove-layer, add-neuron or remove-neuron (on the last layer)."""
    sizes = list(parse_layers(text))  # SettingsError when the text is not a layer spec
    if edit == "add-layer":
        sizes.append(sizes[-1] if sizes else 4)
    elif edit == "remove-layer":
        sizes = sizes[:-1]
    elif edit == "add-neuron" and sizes:
        sizes[-1] = min(sizes[-1] + 1, MAX_NEURONS)
    elif edit == "remove-neuron" and sizes:
        sizes[-1] = max(sizes[-1] - 1, 1)
    return ",".join(map(str, sizes))


class OptionValidator(Validator):
    """Validate a text field with check_option (so invalid fields get Input's -invalid style)."""

    def __init__(self, option: str) -> None:
        super().__init__()
        self.option = option

    def validate(self, value: str) -> ValidationResult:
        """Success, or a failure carrying the one-line SettingsError."""
        try:
            check_option(self.option, value)
        except SettingsError as e:
            return self.failure(str(e))
        return self.success()


class SettingsForm(Dialog[dict | None]):
    """Edit the settings; returns only the changed options (or None when cancelled)."""

    DEFAULT_CSS = """
    SettingsForm {
        align: center middle;
    }
    SettingsForm > #dialog {
        width: 80;
    }
    SettingsForm #fields {
        height: auto;
    }
    SettingsForm .row {
        height: auto;
    }
    SettingsForm .row > Label {
        width: 23;
        padding-right: 1;
    }
    SettingsForm .row:disabled > Label {
        color: $text-disabled;
    }
    SettingsForm .row > Input, SettingsForm .row > Select, SettingsForm .row > SelectionList {
        width: 1fr;
    }
    SettingsForm .row > SelectionList {
        height: auto;
    }
    SettingsForm .error {
        display: none;
        padding-left: 23;
        color: $error;
    }
    SettingsForm .error.-shown {
        display: block;
    }
    SettingsForm #layer-buttons {
        height: auto;
        padding-left: 23;
    }
    SettingsForm #layer-buttons Button {
        width: auto;
        min-width: 0;
        margin-right: 2;
    }
    SettingsForm #message {
        max-height: 2;
    }
    SettingsForm #buttons {
        height: auto;
        align: right middle;
    }
    SettingsForm #buttons Button {
        width: auto;
        min-width: 10;
        margin-left: 2;
    }
    """

    AUTO_FOCUS = "#dataset"  # the app focuses nothing by default; the form starts in its first field

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, settings: Settings, datasets: Sequence[str]) -> None:
        super().__init__()
        self.settings = settings
        self.datasets = tuple(datasets) + (() if settings.dataset in datasets else (settings.dataset,))

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Settings · anything but the learning rate resets the weights"
            with VerticalScroll(id="fields"):
                yield from self._row("dataset", Select([(Content(d), d) for d in self.datasets], value=s.dataset, allow_blank=False, compact=True))
                yield from self._row("noise", self._input("noise"))
                yield from self._row("samples", self._input("samples"))
                yield from self._row("train_fraction", self._input("train_fraction"))
                features = SelectionList[str](*((f, f, f in s.features) for f in FEATURE_NAMES), compact=True)
                yield from self._row("features", features)
                yield from self._row("layers", self._input("layers", placeholder="none: a linear model"))
                with Horizontal(id="layer-buttons"):
                    for button_id, label in LAYER_BUTTONS.items():
                        yield Button(label, id=button_id, compact=True)
                for name in ("activation", "optimizer"):
                    yield from self._row(name, Select([(c, c) for c in CHOICES[name]], value=getattr(s, name), allow_blank=False, compact=True))
                yield from self._row("batch_size", self._input("batch_size"))
                yield from self._row("reg", Select([(c, c) for c in CHOICES["reg"]], value=s.reg, allow_blank=False, compact=True))
                yield from self._row("reg_rate", self._input("reg_rate"))
                yield from self._row("lr", self._input("lr"))
            yield Static("", id="message", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def _input(self, name: str, placeholder: str = "") -> Input:
        """A text field for one option, validated by check_option as it is typed."""
        return Input(shown(getattr(self.settings, name)), placeholder=placeholder, validators=[OptionValidator(name)], compact=True)

    def _row(self, name: str, field: Widget) -> ComposeResult:
        """A labelled row for one option (tooltip: its full help), and its error line underneath."""
        field.id = name
        field.tooltip = OPTION_BY_NAME[name].help
        if name == "lr":
            field.tooltip += ". Playground's steps: " + ", ".join(rate_text(r) for r in LEARNING_RATES)
        with Horizontal(classes="row", id=f"row-{name}"):
            yield Label(LABELS[name])
            yield field
        yield Static("", id=f"error-{name}", classes="error", markup=False)

    def on_mount(self) -> None:
        self.refresh_state()

    def on_resize(self, event: events.Resize) -> None:
        # The fields scroll; the two border rows, a status of up to two lines and the buttons always show.
        self.query_one("#fields").styles.max_height = max(1, event.size.height - CHROME_ROWS)

    # ------------------------------------------------------------------ state
    def enabled(self) -> set[str]:
        """The options that apply to the dataset now chosen (the others are disabled and ignored)."""
        dataset = self.query_one("#dataset", Select).value
        names = set(LABELS)
        if not is_generated(dataset):
            names -= {"noise", "samples"}
        if not has_features(dataset):
            names.discard("features")
        if self.query_one("#reg", Select).value == "none":
            names.discard("reg_rate")
        return names

    def values(self) -> dict[str, Any]:
        """What the enabled fields say now, by option name (features in menu order)."""
        out: dict[str, Any] = {}
        enabled = self.enabled()
        for name in LABELS:
            if name not in enabled:
                continue
            widget = self.query_one(f"#{name}")
            if isinstance(widget, SelectionList):
                picked = set(widget.selected)
                out[name] = self.settings.features if picked == set(self.settings.features) else tuple(f for f in FEATURE_NAMES if f in picked)
            else:
                out[name] = widget.value
        if "features" not in enabled:
            out["features"] = DEFAULT_FEATURES  # data that is not 2-D only takes the plain inputs
        return out

    def errors(self) -> dict[str, str]:
        """The one-line SettingsError of each invalid enabled field."""
        problems = {}
        for name, value in self.values().items():
            try:
                check_option(name, value)
            except SettingsError as e:
                problems[name] = str(e)
        return problems

    def refresh_state(self) -> None:
        """Enable the fields that apply, show each field's error, and allow Save only when all are valid."""
        enabled = self.enabled()
        for name in LABELS:
            self.query_one(f"#row-{name}").disabled = name not in enabled
        layers_ok = True
        try:
            parse_layers(self.query_one("#layers", Input).value)
        except SettingsError:
            layers_ok = False
        for button_id in LAYER_BUTTONS:
            self.query_one(f"#{button_id}", Button).disabled = not layers_ok
        problems = self.errors()
        for name in LABELS:
            error = self.query_one(f"#error-{name}", Static)
            error.update(problems.get(name, ""))
            error.set_class(name in problems, "-shown")
        self.query_one("#save", Button).disabled = bool(problems)
        if problems:
            self._say(next(iter(problems.values())), problem=True)
            return
        changes = changed_options(self.settings, self.values())
        if not changes:
            self._say("no changes · ctrl+s or enter saves, escape cancels")
        else:
            effect = "resets the weights" if needs_reset(changes) else "keeps the weights"
            self._say(f"changed: {', '.join(changes)} — {effect}")

    # ------------------------------------------------------------------ events
    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _field_changed(self, event: Message) -> None:
        """Any field changed: check the values and say what saving would do."""
        event.stop()
        self.refresh_state()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id
        if button == "save":
            self.action_save()
        elif button == "cancel":
            self.action_cancel()
        elif button in LAYER_BUTTONS:
            field = self.query_one("#layers", Input)
            try:
                field.value = edit_layers(field.value, button)
            except SettingsError as e:
                self._say(str(e), problem=True)

    # ------------------------------------------------------------------ actions
    def action_save(self) -> None:
        """Dismiss with the changed options (refused while a field is invalid)."""
        problems = self.errors()
        if problems:
            name, problem = next(iter(problems.items()))
            self._say(problem, problem=True)
            self.query_one(f"#{name}").focus()
            return
        self.dismiss(changed_options(self.settings, self.values()))


