"""What each first-layer neuron looks for: its incoming weights drawn as a small image.

For image data (digits, an .npz of pictures) a neuron of the first layer has one weight per
pixel, so its weights are themselves a picture (as ConvNetJS shows them): blue where a bright
pixel raises the neuron's value, orange where it lowers it, white where the pixel does not
matter.  The widget shows a grid of these images, numbered like the neurons; the selected
neuron's image is drawn large beside the grid.  Tab focuses it, the arrows move the selection,
a click selects, Escape clears.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.style import Style
from textual import events
from textual.binding import Binding
from nntui.tui.messages import NeuronSelected
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from nntui.tui.colors import no_color
from nntui.tui.images import (
    WEIGHT_RAMP, Canvas, fit_factor, quantised_diverging, resize, sized, tile_factor, weight_images,
)

GAP = 1  # blank columns between images, and between the large image and the grid
BOLD, DIM = Style(bold=True), Style(dim=True)


def grid_shape(n: int, tile: tuple[int, int], cols: int, rows: int) -> tuple[int, int, int]:
    """(per_row, bands, shown): how many tiles of (cell rows, cell cols) `tile` fit side by side and
    in how many bands (each with a label row under it), and how many of n are shown, one slot
    going to "… N more" when not all fit (unless it is the only one)."""
    tile_rows, tile_cols = tile
    per_row = max(0, (cols + GAP) // (tile_cols + GAP))
    bands = max(0, (rows + 1) // (tile_rows + 1)) if rows >= tile_rows else 0
    slots = per_row * bands
    if slots >= n:
        return per_row, -(-n // per_row) if per_row else 0, n
    return per_row, bands, max(min(slots, 1), slots - 1)  # a single slot keeps its image


class WeightImages(Widget, can_focus=True):
    """The first layer's incoming weights as a grid of small orange/blue images; the selected neuron's large."""

    DEFAULT_CSS = """
    WeightImages {
        width: 1fr;
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("left", "move(-1)", "Previous neuron", show=False),
        Binding("right", "move(1)", "Next neuron", show=False),
        Binding("up", "move_row(-1)", "Neuron above", show=False),
        Binding("down", "move_row(1)", "Neuron below", show=False),
        Binding("escape", "clear_selection", "Clear selection", show=False),
    ]

    selected: reactive[tuple[int, int] | None] = reactive(None, init=False)  # (layer, index), as the app's

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.no_color = no_color()
        self.shape: tuple[int, int] = (1, 1)
        self.class_names: tuple[str, ...] = ()  # the output layer's neurons are the classes
        self._weights: np.ndarray | None = None  # (h·w, n): the first layer's weights as last given
        self._images = np.zeros((0, 1, 1))  # (n, h, w) in [-1, 1]
        self._peaks = np.zeros(0)  # each neuron's largest |w|
        self._version = 0
        self._strips: list[Strip] = []
        self._strips_key: tuple | None = None
        self._per_row = 1
        self._tiles: list[tuple[int, int, int]] = []  # (neuron, x, y) of each tile drawn, for clicks

    @property
    def count(self) -> int:
        """How many neurons (images) there are."""
        return len(self._images)

    def set_weights(self, W: np.ndarray, shape: tuple[int, int], class_names: Sequence[str] = ()) -> None:
        """Show the first layer's weights W (h·w, n) as n images of `shape`; cheap when nothing changed.
        With `class_names` the layer is the output, one neuron per class: the images are named by class."""
        W = np.asarray(W)
        class_names = tuple(class_names)
        if (self._weights is not None and shape == self.shape and class_names == self.class_names
                and np.array_equal(W, self._weights)):
            return
        self.shape, self.class_names = shape, class_names
        self._weights = W.copy()
        self._images = weight_images(W, shape)
        self._peaks = np.abs(np.nan_to_num(W)).max(axis=0) if W.size else np.zeros(W.shape[1])
        self._version += 1
        if self.selected is not None and self.selected[1] >= self.count:
            self.selected = None
        self._set_title()  # the selected neuron's |w| moves on
        self.refresh()

    # ------------------------------------------------------------------ selection
    def on_mount(self) -> None:
        self._set_title()

    def watch_selected(self, selected: tuple[int, int] | None) -> None:
        self.post_message(NeuronSelected(self, *(selected if selected is not None else (None, None))))
        self._set_title()
        self.refresh()

    def _set_title(self) -> None:
        """The border's title: what the panel shows, or which neuron is drawn large."""
        selected = self.selected
        if selected is None:
            self.border_title = "what each neuron looks for"
        elif selected[0] == 1 and selected[1] < self.count:
            index = selected[1]
            what = f"class {self._label(index)}" if self.class_names else f"neuron {index + 1} of {self.count}"
            self.border_title = f"{what}: |w| ≤ {self._peaks[index]:.2g} (Esc)"
        else:
            self.border_title = "only the first layer has weight images (Esc)"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape only acts when something is selected (otherwise it goes to the app)."""
        return self.selected is not None if action == "clear_selection" else True

    def _select_index(self, index: int) -> None:
        if self.count:
            self.selected = (1, max(0, min(self.count - 1, index)))

    def action_move(self, delta: int) -> None:
        """Select the previous / next neuron (the first one if none is)."""
        if self.selected is None or self.selected[0] != 1:
            self._select_index(0)
        else:
            self._select_index(self.selected[1] + delta)

    def action_move_row(self, delta: int) -> None:
        """Select the neuron a row of the grid above / below."""
        self.action_move(delta * self._per_row if self.selected is not None and self.selected[0] == 1 else 0)

    def action_clear_selection(self) -> None:
        """Clear the selection."""
        self.selected = None

    def on_click(self, event: events.Click) -> None:
        """Select the neuron whose image is under the mouse."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        tile_h, tile_w = self._tile_cells()
        for neuron, x, y in self._tiles:
            if x <= offset.x < x + tile_w and y <= offset.y < y + tile_h:
                self._select_index(neuron)
                return

    # ------------------------------------------------------------------ drawing
    def _label(self, index: int) -> str:
        """The name under an image: the neuron's number, or its class."""
        return self.class_names[index] if index < len(self.class_names) else str(index + 1)

    def _tile_cells(self) -> tuple[int, int]:
        """(rows, cols) of cells of one small image."""
        h, w = sized(self.shape, tile_factor(self.shape))
        return -(-h // 2), w

    def render_line(self, y: int) -> Strip:
        """One row of the images."""
        width, height = self.content_size
        key = (width, height, self._version, self.selected)
        if key != self._strips_key:
            self._strips = self._build(width, height)
            self._strips_key = key
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self.rich_style)

    def _build(self, width: int, height: int) -> list[Strip]:
        """Every row: the selected neuron's large image on the left, the grid beside it."""
        canvas = Canvas(width, height, self.rich_style, self.no_color)
        self._tiles = []
        if not self.count or width <= 0 or height <= 0:
            return canvas.strips()
        x0 = 0
        if self.selected is not None and self.selected[0] == 1 and self.selected[1] < self.count:
            # As large as leaves the grid room for every image, and at least twice the small ones.
            tile_rows, tile_cols = self._tile_cells()
            bands = max(1, (height + 1) // (tile_rows + 1))
            grid = -(-self.count // bands) * (tile_cols + GAP)
            factor = fit_factor(self.shape, max(width - grid - GAP, min(width // 2, 2 * self.shape[1])), height)
            if factor is not None:
                image = resize(self._images[self.selected[1]], factor)
                canvas.image(0, 0, image, quantised_diverging, WEIGHT_RAMP)
                x0 = image.shape[1] + 2 * GAP
        self._grid(canvas, x0, 0, width - x0, height)
        return canvas.strips()

    def _grid(self, canvas: Canvas, x0: int, y0: int, cols: int, rows: int) -> None:
        """The small images, numbered, from the page that holds the selected neuron; "… N more" if not all fit."""
        factor = tile_factor(self.shape)
        tile_rows, tile_cols = self._tile_cells()
        per_row, bands, shown = grid_shape(self.count, (tile_rows, tile_cols), cols, rows)
        self._per_row = max(1, per_row)
        if per_row == 0 or bands == 0:
            return
        start = 0
        if self.selected is not None and self.selected[0] == 1 and shown:
            start = self.selected[1] // shown * shown  # the page with the selected neuron
        neurons = list(range(start, min(start + shown, self.count)))
        tiles = resize(self._images[neurons], factor) if neurons else []
        for slot, (neuron, tile) in enumerate(zip(neurons, tiles)):
            x = x0 + (slot % per_row) * (tile_cols + GAP)
            y = y0 + (slot // per_row) * (tile_rows + 1)
            canvas.image(x, y, tile, quantised_diverging, WEIGHT_RAMP)
            is_selected = self.selected == (1, neuron)
            label = f"[{self._label(neuron)}]" if is_selected else self._label(neuron)
            canvas.text(x, y + tile_rows, label.center(tile_cols)[:tile_cols], BOLD if is_selected else None)
            self._tiles.append((neuron, x, y))
        hidden = self.count - len(neurons)
        if hidden:
            slot = len(neurons)
            x = x0 + (slot % per_row) * (tile_cols + GAP)
            y = y0 + (slot // per_row) * (tile_rows + 1)
            more = f"{hidden} more"
            lines = ["…", more] if len(more) <= tile_cols else ["…", f"+{hidden}"]
            for k, line in enumerate(lines):
                canvas.text(x, y + k, line.center(tile_cols)[:tile_cols].rstrip(), DIM)

