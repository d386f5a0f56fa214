"""What a layer does to the plane: the data and a grid of the input plane, in the coordinates of
two neurons of one layer (ConvNetJS's hidden-space view), following training live.

Forward passes only: each grid line of the input plane is sampled finely, sent through the
network at the weights shown, and drawn as braille dots where the two chosen neurons put it.
Layer 0 is the inputs (the features): with x1, x2 that is the plain grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer

from nntui.tui.colors import CLASS_COLORS, diverging, hex_color, no_color
from nntui.tui.halfblock import PLAIN, text_strip
from nntui.tui.heatmap import TRAIN_GLYPHS, tick_label
from nntui.tui.network_view import CHUNK, NetworkView

if TYPE_CHECKING:
    from nntui.datasets import Dataset

GRID_LINES = 11  # lines of the input plane in each direction
LINE_SAMPLES = 160  # points along each line
MAX_POINTS = 4096  # training points drawn (and sent through the network) at most
LABEL_WIDTH = 6  # the y axis' tick labels
BRAILLE_CHARS = np.array([" "] + [chr(0x2800 + bits) for bits in range(1, 256)])  # by the bits of the dots
# The bit of each dot of a braille cell, by (row, column) of the 4×2 dots.
DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.int64)
GRID_STYLE = Style(color="#8c8c8c")
BOUNDED = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0)}  # activations with a fixed range
NEEDS_2D = "The hidden-space view needs 2-D data: this dataset's inputs are not points of a plane."


def layer_activations(view: NetworkView, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's activations for inputs x, CHUNK rows at a time (a wide network over many
    inputs at once would take hundreds of MB)."""
    chunks = [view.activations(x[i : i + CHUNK]) for i in range(0, max(len(x), 1), CHUNK)]
    return [np.concatenate([c[l] for c in chunks]) for l in range(len(chunks[0]))]


def spread(n: int, at_most: int) -> np.ndarray:
    """Indices of at most ``at_most`` of n items, evenly spread."""
    return np.arange(n) if n <= at_most else np.linspace(0, n - 1, at_most).round().astype(np.intp)


def grid_lines(bounds: tuple[float, float, float, float], lines: int = GRID_LINES,
               samples: int = LINE_SAMPLES) -> np.ndarray:
    """(2·lines, samples, 2) points: the vertical lines of the plane, then the horizontal ones."""
    xmin, xmax, ymin, ymax = bounds
    t = np.linspace(0.0, 1.0, samples)
    xs, ys = np.linspace(xmin, xmax, lines), np.linspace(ymin, ymax, lines)
    vertical = np.stack(np.broadcast_arrays(xs[:, None], (ymin + (ymax - ymin) * t)[None, :]), axis=-1)
    horizontal = np.stack(np.broadcast_arrays((xmin + (xmax - xmin) * t)[None, :], ys[:, None]), axis=-1)
    return np.concatenate([vertical, horizontal])


def axis_range(values: np.ndarray, activation: str | None) -> tuple[float, float]:
    """The axis of a neuron: its activation's range if bounded, else the values' (with a margin)."""
    if activation in BOUNDED:
        return BOUNDED[activation]
    v = values[np.isfinite(values)]
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
    margin = 0.05 * (hi - lo) if hi > lo else max(abs(lo), 1.0) * 0.5
    return lo - margin, hi + margin


def braille_cells(lines: np.ndarray, width: int, height: int) -> np.ndarray:
    """(height, width) int bit masks of braille dots along polylines given in cell units
    (lines: (n_lines, samples, 2), x from 0 to width, y from 0 to height, y up)."""
    dots_w, dots_h = 2 * width, 4 * height
    dx = lines[..., 0] * 2.0
    dy = (height - lines[..., 1]) * 4.0  # rows count down
    # Join consecutive samples: enough steps that no dot is skipped, at most 64 per segment.
    x0, y0, x1, y1 = dx[:, :-1].ravel(), dy[:, :-1].ravel(), dx[:, 1:].ravel(), dy[:, 1:].ravel()
    ok = np.isfinite(x0) & np.isfinite(y0) & np.isfinite(x1) & np.isfinite(y1)
    x0, y0, x1, y1 = x0[ok], y0[ok], x1[ok], y1[ok]
    steps = np.clip(np.ceil(np.maximum(np.abs(x1 - x0), np.abs(y1 - y0))), 1, 64).astype(np.intp)
    seg = np.repeat(np.arange(len(steps)), steps)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(steps) - steps, steps)) / steps[seg]
    px = np.floor(x0[seg] + (x1[seg] - x0[seg]) * t).astype(np.intp)
    py = np.floor(y0[seg] + (y1[seg] - y0[seg]) * t).astype(np.intp)
    inside = (px >= 0) & (px < dots_w) & (py >= 0) & (py < dots_h)
    px, py = px[inside], py[inside]
    cells = np.zeros((height, width), dtype=np.int64)
    np.bitwise_or.at(cells, (py // 4, px // 2), DOT_BITS[py % 4, px % 2])
    return cells


class HiddenSpace(Widget):
    """A plane whose axes are two neurons of a layer: the training points and the deformed grid."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.no_color = no_color()
        self.message: str | None = None  # shown instead of a plot (image data)
        self._lines: np.ndarray | None = None  # (n_lines, samples, 2) in the neurons' coordinates
        self._points: np.ndarray | None = None  # (n, 2)
        self._keys: np.ndarray | None = None  # (n,) a style key per point (class, or value bucket)
        self._styles: list[Style] = []
        self._glyphs: list[str] = []
        self._ranges = ((0.0, 1.0), (0.0, 1.0))
        self._legend: list[tuple[str, Style]] = []  # (text, style) pieces
        self._rows: list[Strip] | None = None
        self.flat: tuple[float | None, ...] = (None, None)  # the x (y) neuron's value if the same for every training point

    def show_message(self, message: str) -> None:
        """Show one line of text instead of the plot."""
        self.message = message
        self._rows = None
        self.refresh()

    def show(self, view: NetworkView, data: Dataset, layer: int, i: int, j: int) -> None:
        """Plot layer ``layer``'s neurons i (x) and j (y), 0-based, at the view's weights."""
        if not data.is_2d:
            self.show_message(NEEDS_2D)
            return
        self.message = None
        lines = grid_lines(data.bounds)
        pick = spread(data.n_train, MAX_POINTS)
        x = np.concatenate([data.inputs(lines.reshape(-1, 2)), data.x_train[pick]])
        a = layer_activations(view, x)[layer][:, [i, j]]
        n_grid = lines.shape[0] * lines.shape[1]
        self._lines = a[:n_grid].reshape(lines.shape[0], lines.shape[1], 2)
        self._points = a[n_grid:]
        net = view.net
        activation = None if layer == 0 else net.activation(layer - 1).name
        self._ranges = (axis_range(self._points[:, 0], activation), axis_range(self._points[:, 1], activation))
        with np.errstate(invalid="ignore"):
            self.flat = tuple(float(p[0]) if len(p) and np.ptp(p) == 0 else None for p in self._points.T)
        self._set_point_styles(data, pick)
        self._rows = None
        self.refresh()

    def _set_point_styles(self, data: Dataset, pick: np.ndarray) -> None:
        y = data.y_train[pick]
        if data.task == "regression":
            scale = float(np.abs(y).max()) or 1.0
            buckets = np.rint(np.clip(y / scale, -1, 1) * 5).astype(np.intp) + 5  # 11 shades
            self._keys = buckets
            self._styles = [Style(color=hex_color(c), bold=True) for c in diverging(np.linspace(-1, 1, 11))]
            self._glyphs = [TRAIN_GLYPHS[0] if k < 5 else TRAIN_GLYPHS[1] for k in range(11)]
            self._legend = [("training points: ", PLAIN)] + (
                [(f"{TRAIN_GLYPHS[0]} below 0, {TRAIN_GLYPHS[1]} 0 and above", PLAIN)] if self.no_color
                else [("● low", self._styles[0]), (" to ", PLAIN), ("● high", self._styles[-1])])
        else:
            k = max(data.n_classes, 2)
            self._keys = np.asarray(y, dtype=np.intp)
            self._styles = [Style(color=hex_color(CLASS_COLORS[c % len(CLASS_COLORS)]), bold=True) for c in range(k)]
            self._glyphs = [TRAIN_GLYPHS[c % len(TRAIN_GLYPHS)] for c in range(k)]
            names = data.class_names or tuple(str(c) for c in range(k))
            self._legend = []
            for c in range(k):
                self._legend += [(self._glyphs[c] if self.no_color else "●", self._styles[c]), (f" {names[c]}  ", PLAIN)]
        self._legend += [(" ⣿", GRID_STYLE), (" grid: lines of the input plane", PLAIN)]

    def on_resize(self) -> None:
        self._rows = None

    def render_line(self, y: int) -> Strip:
        if self._rows is None:
            self._rows = self._build()
        width = self.size.width
        row = self._rows[y] if y < len(self._rows) else Strip.blank(width, PLAIN)
        return row.crop_extend(0, width, PLAIN)

    def _build(self) -> list[Strip]:
        """Every row of the widget: the plot with its y ticks, the x ticks, the legend."""
        width, height = self.size.width, self.size.height
        if self.message is not None or self._lines is None:
            return [text_strip(self.message or "")]
        if not np.isfinite(self._points).any():
            return [text_strip("The network's numbers are no longer finite: it diverged.")]
        side = min(height - 2, (width - LABEL_WIDTH - 1) // 2)  # a square plot: cells are twice as tall as wide
        if side < 3:
            return [text_strip("too small")]
        h, w = side, 2 * side
        left = LABEL_WIDTH + 1 + (width - LABEL_WIDTH - 1 - w) // 2
        (xlo, xhi), (ylo, yhi) = self._ranges
        xspan, yspan = (xhi - xlo) or 1.0, (yhi - ylo) or 1.0
        scale = np.array([w / xspan, h / yspan])
        origin = np.array([xlo, ylo])
        cells = braille_cells((self._lines - origin) * scale, w, h)
        chars = BRAILLE_CHARS[cells]
        style = np.where(cells > 0, -1, -2)  # -1 grid, -2 blank, k ≥ 0 a point's style
        pts = (self._points - origin) * scale
        ok = np.isfinite(pts).all(axis=1)
        col = np.floor(pts[ok, 0]).astype(np.intp)
        row = h - 1 - np.floor(pts[ok, 1]).astype(np.intp)
        keys = self._keys[ok]
        inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
        col, row, keys = col[inside], row[inside], keys[inside]
        glyphs = np.array(self._glyphs if self.no_color else ["●"] * len(self._glyphs))
        chars[row, col] = glyphs[keys]
        style[row, col] = keys
        styles = {-1: GRID_STYLE, -2: PLAIN, **dict(enumerate(self._styles))}
        y_ticks = {0: tick_label(yhi, yspan), h // 2: tick_label((ylo + yhi) / 2, yspan), h - 1: tick_label(ylo, yspan)}
        rows = []
        for r in range(h):
            label = y_ticks.get(r, "")
            segments = [Segment(" " * (left - LABEL_WIDTH - 1) + label.rjust(LABEL_WIDTH)[:LABEL_WIDTH] + "│", PLAIN)]
            cuts = np.flatnonzero(style[r, 1:] != style[r, :-1]) + 1
            for s, e in zip([0, *cuts.tolist()], [*cuts.tolist(), w]):
                segments.append(Segment("".join(chars[r, s:e].tolist()), styles[int(style[r, s])]))
            rows.append(Strip(segments))
        rows.append(text_strip(self._x_axis(left, w, xlo, xhi, xspan)))
        rows.append(Strip([Segment(text, style) for text, style in self._legend]).crop(0, width))
        return rows

    def _x_axis(self, left: int, w: int, xlo: float, xhi: float, xspan: float) -> str:
        """The x tick labels under the plot."""
        line = [" "] * (left + w + 1)
        for at, value, align in ((0, xlo, 0), (w // 2, (xlo + xhi) / 2, 1), (w, xhi, 2)):
            text = tick_label(value, xspan)
            start = left + at - (0 if align == 0 else len(text) // 2 if align == 1 else len(text))
            line[max(0, start) : max(0, start) + len(text)] = list(text)
        return "".join(line).rstrip()


class HiddenSpaceScreen(Screen[None]):
    """The hidden-space view, in front of the app; it follows every frame the app draws."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("h", "close", "Close", show=False),
        Binding("left_square_bracket", "layer(-1)", "Layer", key_display="[ ]"),
        Binding("right_square_bracket", "layer(1)", "Next layer", key_display="]", show=False),
        Binding("left", "neuron(0, -1)", "x neuron", key_display="← →", priority=True),
        Binding("right", "neuron(0, 1)", "Next x neuron", key_display="→", show=False, priority=True),
        Binding("down", "neuron(1, -1)", "y neuron", key_display="↓ ↑", priority=True),
        Binding("up", "neuron(1, 1)", "Next y neuron", key_display="↑", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plot = HiddenSpace(id="hidden-space")
        self.shown_layer: int | None = None  # chosen on the first frame
        self.neurons = [0, 1]  # x, y: 0-based

    def compose(self) -> ComposeResult:
        yield self.plot
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app.dashboard, "frame", self._follow, init=True)

    def _follow(self) -> None:
        """Draw the app's current network (a frame was drawn, or a key changed the choice)."""
        app = self.app
        data = app.session.dataset
        if not data.is_2d:
            self.plot.border_title = "hidden space"
            self.plot.show_message(NEEDS_2D)
            return
        if app.latest is None:
            self.plot.show_message("waiting for the training process")
            return
        sizes = app.view.net.sizes
        layers = self.plottable_layers(sizes)
        if not layers:
            self.plot.show_message("No layer has two neurons to plot against each other.")
            return
        if self.shown_layer not in layers:
            near = 1 if self.shown_layer is None else self.shown_layer  # first: the first hidden layer
            self.shown_layer = min(layers, key=lambda l: (abs(l - near), l))
        n = sizes[self.shown_layer]
        if max(self.neurons) >= n:  # a smaller network since: its first two neurons
            self.neurons = [0, 1]
        i, j = self.neurons
        self.plot.show(app.view, data, self.shown_layer, i, j)
        self.plot.border_title = self.title_text(sizes, data.feature_labels)
        relu = app.view.net.hidden.name == "relu" and 0 < self.shown_layer < len(sizes) - 1
        flat = [f"{axis}: {'a dead ReLU, 0' if relu and value == 0 else 'the same'} for every training point"
                for axis, value in zip("xy", self.plot.flat) if value is not None]
        self.plot.border_subtitle = " · ".join([*flat, self._state_text()])

    @staticmethod
    def plottable_layers(sizes) -> list[int]:
        """The layers that can be plotted: those of at least two neurons (0: the inputs)."""
        return [l for l, n in enumerate(sizes) if n >= 2]

    def title_text(self, sizes, feature_labels) -> str:
        """What is plotted, numbered as on the diagram: layer 1 is the first hidden layer."""
        l, (i, j) = self.shown_layer, self.neurons
        if l == 0:
            return f"hidden space: the inputs, x = {feature_labels[i]}, y = {feature_labels[j]}"
        net = self.app.view.net
        what = "the output layer" if l == len(sizes) - 1 else f"layer {l}"
        activation = net.activation(l - 1).name
        return f"hidden space: {what} ({activation}), x = neuron {i + 1}, y = neuron {j + 1} of {sizes[l]}"

    def _state_text(self) -> str:
        app = self.app
        if app.latest is None:
            return ""
        if app.view_epoch is not None:
            return f"rewound to epoch {app.view_epoch}"
        return f"epoch {app.latest.snapshot.epoch}, {app.state}"

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss()

    def action_layer(self, delta: int) -> None:
        """The previous or next layer that has two neurons, at its first two."""
        layers = self.plottable_layers(self.app.view.net.sizes)
        if layers and self.shown_layer in layers:
            self.shown_layer = layers[(layers.index(self.shown_layer) + delta) % len(layers)]
            self.neurons = [0, 1]
            self._follow()

    def action_neuron(self, axis: int, delta: int) -> None:
        """The previous or next neuron of the layer for the x (axis 0) or y (axis 1) axis, never
        the other axis' one."""
        if self.shown_layer is None:
            return
        n = self.app.view.net.sizes[self.shown_layer]
        mine, other = self.neurons[axis], self.neurons[1 - axis]
        step = (mine + delta) % n
        if step == other:  # one neuron against itself is a diagonal: skip it (two neurons: swap)
            step = (step + delta) % n
            if step == mine:
                step, self.neurons[1 - axis] = other, mine
        self.neurons[axis] = step
        self._follow()
