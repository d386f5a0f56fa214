"""A small dialog to set a neuron's bias or one of its weights by hand, and watch what it does."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static

from nntui.tui.diagram_paint import neuron_name
from nntui.tui.dialog import Dialog

HINT = "↑↓ choose · type a value · enter: set · escape: close"
LIMIT = 1e6  # a value typed by hand is at most this large (float32 networks hold it exactly enough)


@dataclass(frozen=True)
class Parameter:
    """One number of the network that can be set by hand: W[layer][row, col], or b[layer][col] if row is None."""

    name: str  # as the diagram names it: "x1 → layer 1 neuron 3", "bias of layer 1 neuron 3"
    layer: int  # the weight layer (W[layer] joins neuron layer `layer` to `layer + 1`)
    row: int | None
    col: int
    value: float = 0.0
    held: bool = False  # a weight out of a switched-off neuron: it stays zero


def neuron_parameters(sizes: Sequence[int], names: Sequence[str], layer: int, index: int) -> list[Parameter]:
    """The numbers touching neuron `index` of `layer` (0: the inputs): its bias, its weights in, its weights out."""
    me = neuron_name(sizes, names, layer, index)
    params = []
    if layer > 0:
        params.append(Parameter(f"bias of {me}", layer - 1, None, index))
        params += [Parameter(f"{neuron_name(sizes, names, layer - 1, i)} → {me}", layer - 1, i, index)
                   for i in range(sizes[layer - 1])]
    if layer < len(sizes) - 1:
        params += [Parameter(f"{me} → {neuron_name(sizes, names, layer + 1, j)}", layer, index, j)
                   for j in range(sizes[layer + 1])]
    return params


def with_values(params: Sequence[Parameter], W: Sequence[np.ndarray], b: Sequence[np.ndarray],
                off: Sequence[tuple[int, int]]) -> list[Parameter]:
    """The parameters with their values in these weights, and which are held at zero."""
    return [
        replace(p, value=float(b[p.layer][p.col] if p.row is None else W[p.layer][p.row, p.col]),
                held=p.row is not None and (p.layer, p.row) in off)
        for p in params
    ]


def parse_value(text: str) -> tuple[float | None, str]:
    """(the number typed, "") or (None, why it is refused, in one line)."""
    text = text.strip().replace("−", "-")
    if not text:
        return None, "type a number, e.g. 1.5 or -2"
    try:
        value = float(text)
    except ValueError:
        return None, f"'{text[:20]}' is not a number: type e.g. 1.5 or -2"
    if not math.isfinite(value):
        return None, "type a finite number"
    if abs(value) > LIMIT:
        return None, f"type a number between -{LIMIT:g} and {LIMIT:g}"
    return value, ""


def _prompt(p: Parameter, width: int) -> Content:
    value = "0 (off)" if p.held else f"{p.value:+.4g}"
    return Content(f"{p.name:<{width}}  {value:>9}")


class EditDialog(Dialog[None]):
    """The selected neuron's bias and weights with their values: choose one, type a value, enter.

    Each value set is posted as ``Edited`` (the app sends it to the training process) and the
    dialog stays open, so the boundary can be watched changing; escape closes it."""

    DEFAULT_CSS = """
    EditDialog {
        align: left bottom;
        background: $background 0%;
    }
    EditDialog > Vertical {
        width: 64;  /* narrowed to the contents on mount */
    }
    EditDialog #title {
        text-style: bold;
    }
    EditDialog OptionList {
        height: auto;
        max-height: 8;
    }
    EditDialog #value {
        background: $boost;
    }
    """

    AUTO_FOCUS = "#value"
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("up", "choose(-1)", "Previous", show=False),
        Binding("down", "choose(1)", "Next", show=False),
    ]

    class Edited(Message):
        """Set W[layer][row, col] (row None: the bias b[layer][col]) to value."""

        def __init__(self, layer: int, row: int | None, col: int, value: float) -> None:
            super().__init__()
            self.layer, self.row, self.col, self.value = layer, row, col, value

    class Chosen(Message):
        """The parameter highlighted in the list changed: W[layer][row, col], or row None for a bias."""

        def __init__(self, layer: int, row: int | None, col: int) -> None:
            super().__init__()
            self.layer, self.row, self.col = layer, row, col

    def __init__(self, title: str, params: Sequence[Parameter]) -> None:
        super().__init__()
        self.title_text = title
        self.params = list(params)
        self._width = max((len(p.name) for p in self.params), default=0)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="title", markup=False)
            yield OptionList(*(_prompt(p, self._width) for p in self.params), id="params", compact=True)
            yield Input(placeholder="a value, e.g. 1.5", id="value", compact=True)
            yield Static(HINT, id="message", markup=False)

    def on_mount(self) -> None:
        """As wide as the longest line (border and padding: 4 cells), the first parameter chosen."""
        self.query_one(Vertical).styles.width = max(len(self.title_text), self._width + 13, len(HINT)) + 4
        self.query_one(OptionList).highlighted = 0

    @property
    def chosen(self) -> Parameter | None:
        """The parameter highlighted in the list."""
        i = self.query_one(OptionList).highlighted
        return None if i is None or not 0 <= i < len(self.params) else self.params[i]

    def action_choose(self, delta: int) -> None:
        """Highlight the previous or next parameter (the arrow keys, while typing a value)."""
        options = self.query_one(OptionList)
        i = 0 if options.highlighted is None else options.highlighted + delta
        options.highlighted = max(0, min(len(self.params) - 1, i))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """A parameter chosen: its value in the field, ready to be typed over."""
        event.stop()
        self._offer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click on a parameter: on to typing its value."""
        event.stop()
        self.query_one(Input).focus()

    def _offer(self) -> None:
        p = self.chosen
        if p is None:
            return
        self.post_message(self.Chosen(p.layer, p.row, p.col))
        field = self.query_one(Input)
        field.value = "0" if p.held else f"{p.value:.4g}"
        field.select_all()
        self._say(f"{p.name}: switched off, it stays 0 (z on the diagram switches it on)" if p.held else HINT, p.held)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        p = self.chosen
        if p is None:
            return
        value, problem = parse_value(event.value)
        if value is None:
            self._say(problem, problem=True)
            return
        if p.held:
            self._say(f"{p.name} is switched off: it stays 0 (z on the diagram switches it on)", problem=True)
            return
        self.post_message(self.Edited(p.layer, p.row, p.col, value))
        self._set(self.params.index(p), replace(p, value=value))
        self._say(f"set {p.name} to {value:g}")

    def show_values(self, W: Sequence[np.ndarray], b: Sequence[np.ndarray], off: Sequence[tuple[int, int]]) -> None:
        """Show the values the network has now (it goes on training while the dialog is open)."""
        for i, p in enumerate(with_values(self.params, W, b, off)):
            if p != self.params[i]:
                self._set(i, p)

    def _set(self, i: int, p: Parameter) -> None:
        self.params[i] = p
        for options in self.query(OptionList):  # none yet while the dialog is being put up
            options.replace_option_prompt_at_index(i, _prompt(p, self._width))
