"""The fork dialog (`f`): start a run beside the selected one with one setting changed, to compare them."""

from __future__ import annotations


from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from nntui.engine.schedules import SCHEDULES
from nntui.settings import FORKABLE, Settings, SettingsError, check_option
from nntui.tui.dialog import Dialog
from nntui.tui.compare import ORDER, value_text
from nntui.tui.settings_form import CHOICES, LABELS

assert set(ORDER) == FORKABLE, "every option a fork may change has a place in the dialog"
NAMES = {**LABELS, "lr": "learning rate", "momentum": "momentum (0 to <1)", "schedule": "rate schedule",
         "schedule_gamma": "schedule gamma", "schedule_step": "schedule step", "schedule_period": "schedule period",
         "shuffle": "reshuffle each epoch"}
VALUES: dict[str, tuple[str, ...]] = {**CHOICES, "schedule": SCHEDULES, "shuffle": ("true", "false")}
HINT = "enter: fork · shift+tab: another setting · escape: cancel"


class ForkDialog(Dialog[dict | None]):
    """Choose one setting and its new value; returns {option: parsed value}, or None when cancelled.

    Options with a few values (optimizer, activation, …) list them: enter on one forks.  Numbers
    are typed, checked by the option's own parser; a bad value is refused in one line."""

    DEFAULT_CSS = """
    ForkDialog {
        align: center middle;
    }
    ForkDialog > Vertical {
        width: 72;
    }
    ForkDialog .row {
        height: auto;
    }
    ForkDialog .row > Label {
        width: 11;
    }
    ForkDialog .row > Select, ForkDialog .row > Input, ForkDialog .row > OptionList {
        width: 1fr;
    }
    ForkDialog OptionList {
        height: auto;
        max-height: 8;
    }
    ForkDialog #buttons {
        height: auto;
        align: right middle;
    }
    ForkDialog #buttons Button {
        width: auto;
        min-width: 8;
        margin-left: 2;
    }
    """

    AUTO_FOCUS = "#choices"  # the first option is the optimizer: its values, ready to choose one
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "fork", "Fork")]

    def __init__(self, settings: Settings, run: str = "this run") -> None:
        """``settings``: the selected run's (the fork's are these, one changed); ``run``: its name."""
        super().__init__()
        self.settings = settings
        self.run = run

    def compose(self) -> ComposeResult:
        with Vertical() as dialog:
            dialog.border_title = f"Fork {self.run}: same initial weights, same data"
            with Horizontal(classes="row"):
                yield Label("change")
                yield Select([(NAMES[name], name) for name in ORDER], value=ORDER[0], allow_blank=False,
                             id="option", compact=True)
            with Horizontal(classes="row"):
                yield Label("to")
                yield OptionList(id="choices", compact=True)
                yield Input(id="value", compact=True)
            yield Static(HINT, id="message", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Fork", variant="primary", id="fork", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._offer(ORDER[0])

    @property
    def option(self) -> str:
        """The option chosen to change."""
        return str(self.query_one("#option", Select).value)

    def _offer(self, name: str) -> None:
        """Show the values of this option: a list to choose from, or a field to type a number in."""
        now = value_text(getattr(self.settings, name))
        choices, field = self.query_one("#choices", OptionList), self.query_one("#value", Input)
        values = VALUES.get(name)
        choices.display, field.display = values is not None, values is None
        if values is not None:
            choices.clear_options()
            choices.add_options(Option(f"{v}  (now)" if v == now else v, id=v) for v in values)
            choices.highlighted = next((i for i, v in enumerate(values) if v != now), 0)
        else:
            field.value = now
            field.placeholder = "default" if not now else ""
            field.select_all()
        self._say(f"now {now or 'default'} · {HINT}")

    @on(Select.Changed, "#option")
    def _option_changed(self, event: Select.Changed) -> None:
        """Another setting chosen: on to its value."""
        event.stop()
        self._offer(self.option)
        self.query_one("#choices" if self.option in VALUES else "#value").focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_fork()

    @on(Input.Submitted, "#value")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_fork()

    @on(Input.Changed, "#value")
    def _typing(self, event: Input.Changed) -> None:
        event.stop()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "fork":
            self.action_fork()
        else:
            self.action_cancel()

    def value(self) -> str:
        """The new value as chosen or typed."""
        if VALUES.get(self.option) is not None:
            choices = self.query_one("#choices", OptionList)
            if choices.highlighted is None:
                return ""
            return str(choices.get_option_at_index(choices.highlighted).id)
        return self.query_one("#value", Input).value

    def action_fork(self) -> None:
        """Dismiss with {option: value} (refused, in one line, for a bad value or the one the run has)."""
        name = self.option
        try:
            value = check_option(name, self.value())
        except SettingsError as e:
            self._say(str(e), problem=True)
            return
        if value == getattr(self.settings, name):
            self._say(f"--{name.replace('_', '-')} is {value_text(value) or 'default'} already: choose another value",
                      problem=True)
            return
        self.dismiss({name: value})

