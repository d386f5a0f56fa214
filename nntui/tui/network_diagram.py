"""Network diagram: every neuron a small heatmap of its own output, links routed so each can be followed."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from nntui.tui.messages import NeuronSelected
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from nntui.tui.colors import no_color
from nntui.tui.diagram_layout import DiagramLayout
from nntui.tui.diagram_paint import Grid, Picture, grid_to_strips, max_abs_weight, paint, selection_facts

# (columns, pixel rows) -> per layer (neurons, pixel rows, columns): every neuron's output over the plane.
Planes = Callable[[int, int], Sequence[np.ndarray]]


def diagram_grid(
    width: int,
    height: int,
    sizes: Sequence[int],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    input_names: Sequence[str] = (),
    activations: Sequence[np.ndarray] | None = None,
    selected: tuple[int, int] | None = None,
    highlight_layer: int | None = None,
    plain: bool | None = None,
    planes: Planes | None = None,
    off: Sequence[tuple[int, int]] = (),
) -> Grid:
    """Pure helper: the (char, style) grid the widget would show at `width` × `height`."""
    layout = DiagramLayout.build(width, height, sizes, input_names)
    values = planes(layout.tile_w, layout.tile_pixels) if planes is not None and layout.shown else None
    plain = no_color() if plain is None else plain
    return paint(layout, Picture(weights, biases, values, activations, selected, highlight_layer, plain, off=off))


class NetworkDiagram(Widget, can_focus=True):
    """Every neuron a tile showing its output over the input plane (a coloured box without one),
    in columns; links coloured by the weight's sign, brighter and heavier for larger |w|."""

    DEFAULT_CSS = """
    NetworkDiagram {
        width: 1fr;
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("left", "move_layer(-1)", "Previous layer", show=False),
        Binding("right", "move_layer(1)", "Next layer", show=False),
        Binding("up", "move_neuron(-1)", "Previous neuron", show=False),
        Binding("down", "move_neuron(1)", "Next neuron", show=False),
        Binding("escape", "clear_selection", "Clear selection", show=False),
    ]

    selected: reactive[tuple[int, int] | None] = reactive(None, init=False, bindings=True)
    highlight_layer: reactive[int | None] = reactive(None)
    hovered: reactive[tuple[int, int] | None] = reactive(None)  # the neuron under the mouse: its links stand out
    link: reactive[tuple[int, int, int] | None] = reactive(None)  # (layer, row, col): W[layer][row, col] in focus

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._sizes: tuple[int, ...] = ()
        self._weights: list[np.ndarray] = []
        self._biases: list[np.ndarray] = []
        self._off: tuple[tuple[int, int], ...] = ()  # neurons switched off by hand
        self._names: tuple[str, ...] = ()
        self._activations: list[np.ndarray] | None = None
        self._planes: Planes | None = None
        self._plane_values: tuple[tuple, Sequence[np.ndarray] | None] = ((), None)  # (key, values)
        self._starts: list[int] = []  # first neuron shown per layer, when a layer is taller than the panel
        self._max_abs = 0.0
        self._version = 0  # bumped whenever weights/activations change
        self._layout: DiagramLayout | None = None
        self._strips: list[Strip] = []
        self._strips_key: tuple | None = None

    # ----------------------------------------------------------------- data in
    def set_network(
        self,
        sizes: Sequence[int],
        W: Sequence[np.ndarray],
        b: Sequence[np.ndarray],
        input_names: Sequence[str],
        planes: Planes | None = None,
        off: Sequence[tuple[int, int]] = (),
    ) -> None:
        """Show a network: W[l] has shape (sizes[l], sizes[l+1]), b[l] shape (sizes[l+1],).

        `planes(columns, pixel_rows)` gives every neuron's output over the input plane (see
        NetworkView.neuron_planes) for the tiles; without it each neuron is a coloured box.  `off`:
        the neurons switched off by hand, (layer, index), drawn grey with their links dimmed."""
        sizes = tuple(int(n) for n in sizes)
        if len(W) != max(0, len(sizes) - 1) or len(b) != len(W):
            raise ValueError(f"need {len(sizes) - 1} weight and bias arrays for sizes {sizes}")
        for l, (w, bias) in enumerate(zip(W, b)):
            if np.shape(w) != (sizes[l], sizes[l + 1]) or np.shape(bias) != (sizes[l + 1],):
                raise ValueError(f"layer {l}: W {np.shape(w)} / b {np.shape(bias)} do not match sizes {sizes}")
        names = tuple(str(s) for s in input_names)
        if sizes != self._sizes:
            self._activations = None
            if self.selected is not None and not self._valid(self.selected, sizes):
                self.selected = None
            if self.highlight_layer is not None and not 0 <= self.highlight_layer < len(sizes) - 1:
                self.highlight_layer = None
        self._sizes, self._names, self._planes = sizes, names, planes
        self._starts = self._starts[: len(sizes)] + [0] * max(0, len(sizes) - len(self._starts))
        self._weights = [np.asarray(w) for w in W]
        self._biases = [np.asarray(x) for x in b]
        self._off = tuple(off)
        self._max_abs = max_abs_weight(self._weights)
        self._version += 1
        self._update_subtitle()
        self._repaint_changed_rows()

    def set_activations(self, activations: Sequence[np.ndarray] | None) -> None:
        """Show per-neuron values for one input (activations[l] shape (sizes[l],)), or None to show biases."""
        if activations is None and self._activations is None:
            return  # no probe before, none now (every frame without one): nothing to redraw
        if activations is not None:
            activations = [np.asarray(a).reshape(-1) for a in activations]
            if len(activations) != len(self._sizes) or any(
                a.size != n for a, n in zip(activations, self._sizes)
            ):
                raise ValueError(f"activations do not match the layer sizes {self._sizes}")
        self._activations = activations
        self._version += 1
        self._update_subtitle()
        self.refresh()

    # ----------------------------------------------------------------- layout & rendering
    @property
    def layout_info(self) -> DiagramLayout:
        """The layout for the current content size, with the selected neuron in view (cached)."""
        width, height = self.content_size
        for _ in range(3):  # a window that moves may gain or lose a marker row: settle it
            layout = self._layout
            if layout is None or (layout.width, layout.height, layout.sizes, layout.names, layout.starts) != (
                width, height, self._sizes, self._names, tuple(self._starts)
            ):
                layout = self._layout = DiagramLayout.build(width, height, self._sizes, self._names, self._starts)
            selected = self.selected
            if selected is None or selected[0] >= len(layout.shown) or layout.tile_rect(*selected) is not None:
                break
            layer, index = selected
            shown = layout.shown[layer]
            self._starts[layer] = index if index < shown.start else index - len(shown) + 1
        return layout

    def neuron_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The (layer, index) of the neuron tile (or input name) at content cell (x, y), or None."""
        return self.layout_info.neuron_at(x, y)

    def _tile_values(self, layout: DiagramLayout) -> Sequence[np.ndarray] | None:
        """Every neuron's output over the plane at the tiles' size: one evaluation per version and size."""
        if self._planes is None or not layout.shown:
            return None
        key = (self._version, layout.tile_w, layout.tile_pixels)
        if self._plane_values[0] != key:
            try:
                values = self._planes(layout.tile_w, layout.tile_pixels)
            except Exception as error:  # a diverged network must not take the UI down: boxes instead
                self.log.error(f"diagram tiles failed: {error!r}")
                values = None
            self._plane_values = (key, values)
        return self._plane_values[1]

    def _picture(self, layout: DiagramLayout) -> Picture:
        """What the diagram shows now."""
        return Picture(
            self._weights,
            self._biases,
            self._tile_values(layout),
            self._activations,
            self.selected,
            self.highlight_layer,
            no_color(),
            self._max_abs,
            self.hovered,
            self._off,
            self.link,
        )

    def grid(self) -> Grid:
        """The current character grid (rows of (char, style)) at the widget's size."""
        layout = self.layout_info
        return paint(layout, self._picture(layout))

    def _update_subtitle(self) -> None:
        """The selected neuron's numbers under the diagram (its border's subtitle): name, bias, weights in."""
        layout = self.layout_info
        facts = selection_facts(layout, Picture(self._weights, self._biases, None, self._activations, self.selected,
                                                off=self._off))
        if facts != self.border_subtitle:
            self.border_subtitle = facts

    def _key(self) -> tuple:
        """What the strips depend on; index 3 is the version of the weights (or activations)."""
        return (self.content_size, self._sizes, self._names, self._version, self.selected, self.highlight_layer,
                no_color(), self.hovered, self.link)

    def _repaint_changed_rows(self) -> None:
        """After new weights: rebuild the strips now and repaint only the rows that differ.

        Link colours and line weights are quantised, so as training settles most rows stay
        the same from one frame to the next.  Anything else that changed (size, selection, …)
        repaints the whole diagram."""
        old, old_key, key = self._strips, self._strips_key, self._key()
        if not self.is_mounted or old_key is None or old_key[:3] + old_key[4:] != key[:3] + key[4:]:
            self.refresh()
            return
        self._strips, self._strips_key = grid_to_strips(self.grid(), self.rich_style), key
        if len(old) != len(self._strips):
            self.refresh()
            return
        width = self.size.width
        changed = [Region(0, y, width, 1) for y, (a, b) in enumerate(zip(old, self._strips)) if a != b]
        if changed:  # (refresh() without regions repaints everything)
            self.refresh(*changed)

    def render_line(self, y: int) -> Strip:
        """One row of the diagram."""
        key = self._key()
        if key != self._strips_key:
            self._strips = grid_to_strips(self.grid(), self.rich_style)
            self._strips_key = key
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.content_size.width, self.rich_style)

    # ----------------------------------------------------------------- selection
    @staticmethod
    def _valid(selection: tuple[int, int] | None, sizes: Sequence[int]) -> bool:
        """Whether `selection` names a neuron of a network with layer `sizes`."""
        if selection is None:
            return True
        layer, index = selection
        return 0 <= layer < len(sizes) and 0 <= index < sizes[layer]

    def validate_selected(self, value: tuple[int, int] | None) -> tuple[int, int] | None:
        """Drop selections that name no neuron."""
        if value is None:
            return None
        value = (int(value[0]), int(value[1]))
        if not self._sizes:  # no network yet: keep it, set_network checks it later
            return value if min(value) >= 0 else None
        return value if self._valid(value, self._sizes) else None

    def validate_highlight_layer(self, value: int | None) -> int | None:
        """Only weight layers 0..L-1 can be highlighted."""
        if value is None or value < 0 or (self._sizes and value >= len(self._sizes) - 1):
            return None
        return int(value)

    def watch_selected(self, value: tuple[int, int] | None) -> None:
        """Tell the app about the new selection."""
        self._update_subtitle()
        self.post_message(NeuronSelected(self, *(value if value is not None else (None, None))))

    def _layers(self) -> int:
        """How many layers the keys can reach: those drawn (all before the first layout)."""
        layout = self._layout
        if layout is not None and layout.sizes == self._sizes and layout.shown:
            return len(layout.shown)
        return len(self._sizes)

    def _navigable(self, layer: int) -> int:
        """How many neurons of `layer` the keys can reach: all of them (the view follows), one for an image."""
        layout = self._layout
        if layer == 0 and layout is not None and layout.sizes == self._sizes and layout.bundle:
            return 1
        return self._sizes[layer]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape only acts when something is selected (otherwise it goes to the app)."""
        if action == "clear_selection":
            return self.selected is not None
        return True

    def action_move_layer(self, delta: int) -> None:
        """Select the neuron at the same index in the previous/next layer."""
        if not self._sizes:
            return
        if self.selected is None:
            self.selected = (0, 0)
            return
        layer, index = self.selected
        layer = max(0, min(self._layers() - 1, layer + delta))
        limit = max(1, self._navigable(layer))
        self.selected = (layer, min(index, limit - 1))

    def action_move_neuron(self, delta: int) -> None:
        """Select the previous/next neuron of the selected layer."""
        if not self._sizes:
            return
        if self.selected is None:
            self.selected = (0, 0)
            return
        layer, index = self.selected
        limit = max(1, self._navigable(layer))
        self.selected = (layer, max(0, min(limit - 1, index + delta)))

    def action_clear_selection(self) -> None:
        """Clear the selection."""
        self.selected = None

    def on_click(self, event: events.Click) -> None:
        """Select the neuron under the mouse."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        hit = self.neuron_at(offset.x, offset.y)
        if hit is not None:
            self.selected = hit

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Show the links of the neuron under the mouse."""
        offset = event.get_content_offset(self)
        self.hovered = None if offset is None else self.neuron_at(offset.x, offset.y)

    def on_leave(self, event: events.Leave) -> None:
        """The mouse left: back to the selected neuron's links (or all)."""
        self.hovered = None
