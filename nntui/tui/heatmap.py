"""Decision-boundary heatmap: the network's output over the data plane, drawn in half-block pixels."""

from __future__ import annotations

from typing import Callable

import numpy as np
from rich.color import Color
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from nntui.tui.colors import CHAR_RAMP, CLASS_COLORS, NEUTRAL, diverging, no_color
from nntui.tui.halfblock import (
    blend,
    contrast_color,
    keys_to_strip,
    overlay_cell,
    pack_pairs,
    ramp_index,
    text_strip,
)

Evaluator = Callable[[np.ndarray], np.ndarray]
KINDS = ("binary", "multiclass", "regression", "neuron")
CLASS_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"  # NO_COLOR glyph of each class
_PALETTE = np.array(CLASS_COLORS, dtype=np.float64)
_WHITE = (255, 255, 255)
SHADES = 16  # colour steps per side of the ramp: few distinct colours keep the style cache warm across frames


def _finite(values: np.ndarray) -> np.ndarray:
    """Values as float64 with every non-finite entry replaced by 0."""
    v = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(v), v, 0.0)


def scalar_field(values: np.ndarray, kind: str) -> np.ndarray:
    """Values of a one-output field mapped to [-1, 1] for colouring ('neuron' is scaled by its max |v|)."""
    v = _finite(values)
    if kind == "neuron":
        peak = float(np.abs(v).max()) if v.size else 0.0
        v = v / peak if peak > 0 else v
    return np.clip(v, -1.0, 1.0)


def class_confidence(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(…, k) class probabilities -> (argmax class, confidence rescaled from [1/k, 1] to [0, 1])."""
    p = _finite(probs)
    k = p.shape[-1]
    best = p.argmax(axis=-1)
    top = p.max(axis=-1)
    conf = (top - 1.0 / k) / (1.0 - 1.0 / k) if k > 1 else np.ones_like(top)
    return best, np.clip(conf, 0.0, 1.0)


def _quantise(values: np.ndarray) -> np.ndarray:
    """Round values to multiples of 1 / SHADES (so -1, 0 and 1 stay exact)."""
    return np.round(values * SHADES) / SHADES


def field_colors(values: np.ndarray, kind: str, n_classes: int = 2) -> np.ndarray:
    """Colour a field of outputs: (H2, W) values, or (H2, W, k) probabilities for 'multiclass' -> (H2, W, 3) uint8.

    Colours are quantised to SHADES steps per side, like Playground's heatmap, so few distinct pairs occur.
    """
    if kind == "multiclass":
        probs = np.asarray(values, dtype=np.float64)
        if probs.ndim == 2:  # one column per pixel row is not a class axis: treat as no information
            probs = np.zeros((*probs.shape, max(n_classes, 2)))
        best, conf = class_confidence(probs)
        base = _PALETTE[best % len(_PALETTE)]
        return blend(base, NEUTRAL, 1.0 - _quantise(conf))
    if kind not in KINDS:
        raise ValueError(f"unknown heatmap kind {kind!r}")
    return diverging(_quantise(scalar_field(values, kind)))


def field_chars(values: np.ndarray, kind: str, n_classes: int = 2) -> np.ndarray:
    """NO_COLOR version of field_colors: (H2, W[, k]) -> (H2 // 2, W) array of single characters."""
    v = np.asarray(values, dtype=np.float64)
    if v.shape[0] % 2:
        v = np.concatenate([v, v[-1:]], axis=0)
    if kind == "multiclass":
        if v.ndim == 2:
            v = np.zeros((*v.shape, max(n_classes, 2)))
        cell = (_finite(v[0::2]) + _finite(v[1::2])) / 2.0
        best, conf = class_confidence(cell)
        glyphs = np.array(list(CLASS_CHARS))[best % len(CLASS_CHARS)]
        return np.where(conf >= 0.5, glyphs, ".")
    s = scalar_field(v, kind)
    cell = (s[0::2] + s[1::2]) / 2.0
    return np.array(list(CHAR_RAMP))[ramp_index(cell, len(CHAR_RAMP))]


class Heatmap(Widget, can_focus=False):
    """A 2-D field (e.g. a network's decision boundary) in half-block pixels, with data points on top."""

    DEFAULT_CSS = """
    Heatmap {
        width: 1fr;
        height: 1fr;
    }
    """

    class Clicked(Message):
        """Posted when the heatmap is clicked; `x`, `y` are data coordinates of the clicked cell's centre."""

        def __init__(self, heatmap: Heatmap, x: float, y: float) -> None:
            super().__init__()
            self.heatmap = heatmap
            self.x = x
            self.y = y

        @property
        def control(self) -> Heatmap:
            """The heatmap that was clicked."""
            return self.heatmap

    probe: reactive[tuple[float, float] | None] = reactive(None)
    """A cursor position in data coordinates, drawn as a cross (None hides it)."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.no_color = no_color()
        self._evaluate: Evaluator | None = None
        self._kind = "binary"
        self._data_bounds: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)
        self._values: np.ndarray | None = None  # (2H, W) or (2H, W, k), finite
        self._train: tuple[np.ndarray, np.ndarray] | None = None
        self._test: tuple[np.ndarray, np.ndarray] | None = None
        self._show_test = True
        self._n_classes = 2
        self._regression = False
        self._dirty = True
        self._keys: np.ndarray | None = None  # (H, W) packed colour pairs (colour mode)
        self._chars: np.ndarray | None = None  # (H, W) characters (NO_COLOR mode)
        self._strips: dict[int, Strip] = {}

    # ---------------------------------------------------------------- public API

    @property
    def kind(self) -> str:
        """The kind of field shown ('binary', 'multiclass', 'regression' or 'neuron')."""
        return self._kind

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) of the plane shown."""
        return self._bounds

    @property
    def _bounds(self) -> tuple[float, float, float, float]:
        """The data bounds, widened in x or y so that every pixel covers a square of the plane."""
        xmin, xmax, ymin, ymax = self._data_bounds
        width, height = self.size.width, 2 * self.size.height
        if width <= 0 or height <= 0:
            return self._data_bounds
        dx, dy = xmax - xmin, ymax - ymin
        if dx / width < dy / height:
            grow = (dy * width / height - dx) / 2
            return xmin - grow, xmax + grow, ymin, ymax
        grow = (dx * height / width - dy) / 2
        return xmin, xmax, ymin - grow, ymax + grow

    @property
    def values(self) -> np.ndarray | None:
        """The last evaluated grid, (2H, W) or (2H, W, k), non-finite values replaced by 0."""
        return self._values

    def set_evaluator(self, evaluate: Evaluator | None, kind: str, bounds: tuple[float, float, float, float]) -> None:
        """Set the function evaluated over the plane, the kind of its output and the plane's bounds."""
        if kind not in KINDS:
            raise ValueError(f"unknown heatmap kind {kind!r}")
        xmin, xmax, ymin, ymax = (float(b) for b in bounds)
        if not (xmax > xmin and ymax > ymin):
            raise ValueError(f"empty bounds {bounds!r}")
        self._evaluate, self._kind, self._data_bounds = evaluate, kind, (xmin, xmax, ymin, ymax)
        self._values = self._evaluate_grid()
        self._invalidate()  # a new field: repaint it all (on the next render, after any new points too)

    def refresh_field(self) -> None:
        """Re-run the evaluator on the grid (call after the weights changed) and repaint the rows that changed.

        Colours are quantised, so once training settles most rows come out the same as
        before: those keep their strips, and Textual repaints only the others.
        """
        self._values = self._evaluate_grid()
        if self._dirty:  # a full rebuild is due anyway
            self._invalidate()
            return
        old = self._keys if self._keys is not None else self._chars
        self._build()
        new = self._keys if self._keys is not None else self._chars
        if old is None or new is None or old.shape != new.shape:
            self._invalidate()
            return
        changed = np.flatnonzero((old != new).any(axis=1)).tolist()
        for y in changed:
            self._strips.pop(y, None)
        if changed:
            width = self.size.width
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def set_points(
        self,
        points: np.ndarray | None,
        labels: np.ndarray | None,
        test_points: np.ndarray | None = None,
        test_labels: np.ndarray | None = None,
        show_test: bool = True,
        n_classes: int = 2,
        regression: bool = False,
    ) -> None:
        """Set the data points drawn on top of the field (test points drawn lighter)."""
        self._train = self._point_set(points, labels)
        self._test = self._point_set(test_points, test_labels)
        self._show_test = show_test
        self._n_classes = max(int(n_classes), 1)
        self._regression = regression
        self._invalidate()

    def pixel_to_data(self, px: float, py: float) -> tuple[float, float]:
        """Data coordinates of the centre of pixel (px, py); py counts half-cells from the top."""
        width, height = self.size.width, 2 * self.size.height
        xmin, xmax, ymin, ymax = self._bounds
        x = xmin + (px + 0.5) / max(width, 1) * (xmax - xmin)
        y = ymax - (py + 0.5) / max(height, 1) * (ymax - ymin)
        return float(x), float(y)

    def data_to_pixel(self, x: float, y: float) -> tuple[int, int]:
        """The pixel (px, py) containing data point (x, y); may lie outside the widget ((-1, -1) if not finite)."""
        width, height = self.size.width, 2 * self.size.height
        xmin, xmax, ymin, ymax = self._bounds
        if not (np.isfinite(x) and np.isfinite(y)):
            return -1, -1
        return int(np.floor((x - xmin) / (xmax - xmin) * width)), int(np.floor((ymax - y) / (ymax - ymin) * height))

    def data_to_cell(self, x: float, y: float) -> tuple[int, int]:
        """The cell (column, row) containing data point (x, y); may lie outside the widget."""
        px, py = self.data_to_pixel(x, y)
        return px, py // 2

    # ---------------------------------------------------------------- events

    def notify_style_update(self) -> None:
        """Drop cached strips: uncoloured text and blanks use the widget's own style."""
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        """Re-evaluate the grid at the new size."""
        self.refresh_field()

    def on_click(self, event: events.Click) -> None:
        """Post Clicked with the data coordinates of the clicked cell's centre."""
        offset = event.get_content_offset(self)
        if offset is None or self.size.width == 0 or self.size.height == 0:
            return
        x, _ = self.pixel_to_data(offset.x, 0)
        _, y = self.pixel_to_data(0, 2 * offset.y + 0.5)  # the cell's centre: between its two pixels
        self.post_message(self.Clicked(self, x, y))

    # ---------------------------------------------------------------- rendering

    def render_line(self, y: int) -> Strip:
        """One row of half-block cells (blank when there is nothing to show)."""
        width = self.size.width
        if self._dirty:
            self._build()
            self._strips.clear()
        rows = self._keys if self._keys is not None else self._chars
        if rows is None or y >= rows.shape[0]:
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(y)
        if strip is None:
            if self._keys is not None:
                strip = keys_to_strip(self._keys[y])
            else:
                strip = text_strip("".join(self._chars[y].tolist()), self.rich_style)
            if strip.cell_length != width:  # the grid lags a resize by a frame
                strip = strip.adjust_cell_length(width, self.rich_style)
            self._strips[y] = strip
        return self._draw_probe(strip, y)

    def _draw_probe(self, strip: Strip, y: int) -> Strip:
        """Overlay the probe cross on the strip if the probe lies in row y."""
        if self.probe is None:
            return strip
        col, row = self.data_to_cell(*self.probe)
        if row != y or not 0 <= col < strip.cell_length:
            return strip
        if self.no_color or self._keys is None or col >= self._keys.shape[1]:
            return overlay_cell(strip, col, "+", self.rich_style)
        key = int(self._keys[y, col])
        up, lo = key >> 24, key & 0xFFFFFF
        cell = tuple((((up >> s) & 0xFF) + ((lo >> s) & 0xFF)) // 2 for s in (16, 8, 0))
        style = Style(color=Color.from_rgb(*contrast_color(cell)), bgcolor=Color.from_rgb(*cell), bold=True)
        return overlay_cell(strip, col, "┼", style)

    # ---------------------------------------------------------------- internals

    def _invalidate(self) -> None:
        """Mark the pixels stale (rebuilt lazily on the next render) and refresh."""
        self._dirty = True
        self._strips.clear()
        self.refresh()

    @staticmethod
    def _point_set(points: np.ndarray | None, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray] | None:
        """Validate a (points, labels) pair, dropping rows with non-finite coordinates or labels."""
        if points is None or labels is None:
            return None
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        lab = np.asarray(labels, dtype=np.float64).reshape(-1)
        n = min(len(pts), len(lab))
        pts, lab = pts[:n], lab[:n]
        ok = np.isfinite(pts).all(axis=1) & np.isfinite(lab)
        return pts[ok], lab[ok]

    def grid_points(self) -> np.ndarray:
        """The (2H * W, 2) pixel centres in data coordinates, row-major from the top-left."""
        width, height = self.size.width, 2 * self.size.height
        xmin, xmax, ymin, ymax = self._bounds
        xs = xmin + (np.arange(width) + 0.5) / max(width, 1) * (xmax - xmin)
        ys = ymax - (np.arange(height) + 0.5) / max(height, 1) * (ymax - ymin)
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    def _evaluate_grid(self) -> np.ndarray | None:
        """Evaluate the whole grid in one call; None if there is nothing to evaluate."""
        width, height = self.size.width, 2 * self.size.height
        if self._evaluate is None or width == 0 or height == 0:
            return None
        n = width * height
        try:
            out = np.asarray(self._evaluate(self.grid_points()), dtype=np.float64)
            if self._kind == "multiclass":
                if out.ndim != 2 or out.shape[0] != n:
                    raise ValueError(f"expected ({n}, k) class probabilities, got {out.shape}")
                return _finite(out).reshape(height, width, out.shape[1])
            if out.size != n:
                raise ValueError(f"expected {n} values, got {out.shape}")
            return _finite(out).reshape(height, width)
        except Exception as error:  # a broken or diverged model must never take the UI down
            self.log.error(f"heatmap evaluator failed: {error!r}")
            shape = (height, width, max(self._n_classes, 2)) if self._kind == "multiclass" else (height, width)
            return np.zeros(shape)

    def _build(self) -> None:
        """Recompute cell colours (or characters) from the field and the points (strips are the caller's business)."""
        self._dirty = False
        self._keys = self._chars = None
        if self._values is None:
            return
        n_classes = self._values.shape[-1] if self._kind == "multiclass" else self._n_classes
        if self.no_color:
            self._chars = field_chars(self._values, self._kind, n_classes)
            self._overlay_chars(self._chars)
        else:
            pixels = field_colors(self._values, self._kind, n_classes)
            self._overlay_pixels(pixels)
            self._keys = pack_pairs(pixels)

    def _visible_sets(self) -> list[tuple[np.ndarray, np.ndarray, bool]]:
        """(points, labels, is_test) for each point set to draw, test points first (under training points)."""
        sets = []
        if self._show_test and self._test is not None:
            sets.append((*self._test, True))
        if self._train is not None:
            sets.append((*self._train, False))
        return sets

    def _pixel_indices(self, pts: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, mask) of the pixels holding pts in a (2H, W) grid; mask marks points inside it."""
        height, width = shape
        xmin, xmax, ymin, ymax = self._bounds
        cols = np.floor((pts[:, 0] - xmin) / (xmax - xmin) * width).astype(np.intp)
        rows = np.floor((ymax - pts[:, 1]) / (ymax - ymin) * height).astype(np.intp)
        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        return rows[inside], cols[inside], inside

    def _point_colors(self, labels: np.ndarray) -> np.ndarray:
        """Saturated colour of each label: class colour, or the diverging ramp for regression targets."""
        if self._regression:
            return diverging(labels).astype(np.float64)
        return _PALETTE[np.clip(labels, 0, None).astype(np.intp) % len(_PALETTE)]

    def _overlay_pixels(self, pixels: np.ndarray) -> None:
        """Paint data points into the (2H, W, 3) pixel array in place, keeping them visible on the field."""
        for pts, labels, is_test in self._visible_sets():
            rows, cols, inside = self._pixel_indices(pts, pixels.shape[:2])
            if not len(rows):
                continue
            colour = self._point_colors(labels[inside])
            if is_test:
                colour = blend(colour, _WHITE, 0.5).astype(np.float64)
            under = pixels[rows, cols].astype(np.float64)
            too_close = np.abs(colour - under).max(axis=1) < 64  # e.g. an orange point in an orange region
            colour[too_close] *= 0.55
            pixels[rows, cols] = colour.round().astype(np.uint8)

    def _overlay_chars(self, chars: np.ndarray) -> None:
        """NO_COLOR: replace the cells holding data points by 'o'/'x' (binary) or class characters."""
        for pts, labels, is_test in self._visible_sets():
            rows, cols, inside = self._pixel_indices(pts, (2 * chars.shape[0], chars.shape[1]))
            lab = labels[inside]
            if self._regression:
                glyphs = np.where(lab < 0, "o", "x")
            elif self._n_classes <= 2:
                glyphs = np.where(lab > 0, "x", "o")
            else:
                glyphs = np.array(list(CLASS_CHARS))[np.clip(lab, 0, None).astype(np.intp) % len(CLASS_CHARS)]
            if is_test:
                glyphs = np.char.upper(glyphs)
            chars[rows // 2, cols] = glyphs
