"""Decision-boundary heatmap: the network's output over the data plane, drawn in half-block pixels.

The plane is drawn square (N columns × N/2 rows of two pixels) and centred in the panel, with
tick labels at its bounds and 0 and a legend (colour bar or class swatches, train/test key)
under it or, when that leaves the plane bigger, beside it.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from nntui.tui.colors import CHAR_RAMP, CLASS_COLORS, NEGATIVE, NEUTRAL, POSITIVE, diverging, no_color
from nntui.tui.halfblock import (
    GLYPH_SHIFT,
    UPPER_HALF,
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
CLASS_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"  # NO_COLOR: the field's character where a class wins
TRAIN_GLYPHS = "●■▲◆▼★♥♠♣"  # NO_COLOR: a training point's character, per class (regression: <0, ≥0)
TEST_GLYPHS = "○□△◇▽☆♡♤♧"  # … and a test point's: the hollow twin
CELL_CHARS = UPPER_HALF + "●"  # colour: a key's glyph bits pick two pixels (0) or a data point (1)
_POINT = 1 << GLYPH_SHIFT
TRAIN_OUTLINE = (255, 255, 255)  # Playground rings training points in white …
TEST_OUTLINE = (0, 0, 0)  # … and test points in black
_KEY_DOTS = {TRAIN_OUTLINE: (119, 119, 119), TEST_OUTLINE: (200, 200, 200)}  # the legend key's dot on each outline
_PALETTE = np.array(CLASS_COLORS, dtype=np.float64)
SHADES = 16  # colour steps per side of the ramp: few distinct colours keep the style cache warm across frames
MIN_PLANE = 16  # columns: below this the legend, then the tick labels, give their room to the plane
LEGEND_BAR = 12  # cells in the legend's colour bar
GAP = 2  # blank cells between legend entries, and between the plane and a legend beside it


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


def _class_probs(values: np.ndarray, n_classes: int) -> np.ndarray:
    """Multiclass values as (…, k) probabilities; a 2-D array has no class axis: no information."""
    v = np.asarray(values, dtype=np.float64)
    return np.zeros((*v.shape, max(n_classes, 2))) if v.ndim == 2 else v


def field_colors(values: np.ndarray, kind: str, n_classes: int = 2, discrete: bool = False) -> np.ndarray:
    """Colour a field of outputs: (H2, W) values, or (H2, W, k) probabilities for 'multiclass' -> (H2, W, 3) uint8.

    Colours are quantised to SHADES steps per side, like Playground's heatmap, so few distinct pairs occur.
    `discrete` shows only the decision: the sign of the value, or the winning class at full strength.
    """
    if kind == "multiclass":
        best, conf = class_confidence(_class_probs(values, n_classes))
        base = _PALETTE[best % len(_PALETTE)]
        return blend(base, NEUTRAL, 0.0 if discrete else 1.0 - _quantise(conf))
    if kind not in KINDS:
        raise ValueError(f"unknown heatmap kind {kind!r}")
    v = scalar_field(values, kind)
    return diverging(np.sign(v) if discrete else _quantise(v))


def field_chars(values: np.ndarray, kind: str, n_classes: int = 2, discrete: bool = False) -> np.ndarray:
    """NO_COLOR version of field_colors: (H2, W[, k]) -> (H2 // 2, W) array of single characters."""
    v = np.asarray(values, dtype=np.float64)
    if v.shape[0] % 2:
        v = np.concatenate([v, v[-1:]], axis=0)
    if kind == "multiclass":
        v = _class_probs(v, n_classes)
        cell = (_finite(v[0::2]) + _finite(v[1::2])) / 2.0
        best, conf = class_confidence(cell)
        glyphs = np.array(list(CLASS_CHARS))[best % len(CLASS_CHARS)]
        return glyphs if discrete else np.where(conf >= 0.5, glyphs, ".")
    s = scalar_field(v, kind)
    cell = (s[0::2] + s[1::2]) / 2.0
    return np.array(list(CHAR_RAMP))[ramp_index(np.sign(cell) if discrete else cell, len(CHAR_RAMP))]


def tick_label(value: float, span: float) -> str:
    """An axis label with about two significant digits of the axis' span: 6, -7.4, 0.25, 152.3."""
    decimals = max(1, 2 - int(np.floor(np.log10(span)))) if span > 0 else 1
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def short_number(value: float) -> str:
    """A number in at most 5 characters for a legend: 0.83, 12, 1e+03."""
    text = f"{value:.2g}"
    return text if len(text) <= 5 else f"{value:.0e}"


def _pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """(…, 3) colours -> (…) int64 0xRRGGBB."""
    c = np.asarray(rgb).round().astype(np.int64)
    return (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]


class Layout(NamedTuple):
    """Where the parts go in the panel, in cells."""

    x0: int  # the plane's top-left cell
    y0: int
    size: int  # the plane's width in columns: it is size // 2 rows of two pixels, a square
    ticks: bool  # tick labels left of and under the plane
    legend: tuple[tuple[int, int, int], ...]  # (x, y, entry) of each legend entry shown


def _pack_rows(widths: Sequence[int], width: int) -> list[list[int]]:
    """Legend entries (by index) packed greedily into rows of at most `width` cells; wider entries are left out."""
    rows: list[list[int]] = []
    used = width + 1
    for i, w in enumerate(widths):
        if w > width:
            continue
        if used + GAP + w > width:
            rows.append([])
            used = -GAP
        rows[-1].append(i)
        used += GAP + w
    return rows


def plane_layout(width: int, height: int, label_width: int, entry_widths: Sequence[int]) -> Layout:
    """The largest square plane a width × height panel holds with its tick labels and legend, centred.

    The legend goes under the plane's x labels, or beside the plane when that leaves the plane
    bigger (a wide, short panel); if the plane would be under MIN_PLANE columns the legend is
    dropped, then the tick labels.
    """

    def fit(cols: int, rows: int) -> int:
        n = max(min(cols, 2 * rows), 0)
        return n - n % 2

    def below(ticks: bool, legend: bool) -> Layout:
        margin = label_width + 1 if ticks else 0
        rows = _pack_rows(entry_widths, width) if legend else []
        n = fit(width - margin, height - ticks - len(rows))
        x0 = (width - margin - n) // 2 + margin
        y0 = max((height - n // 2 - ticks - len(rows)) // 2, 0)
        placed = []
        for r, row in enumerate(rows):
            row_width = sum(entry_widths[i] for i in row) + GAP * (len(row) - 1)
            x = min(max(x0 + n // 2 - row_width // 2, 0), width - row_width)
            for i in row:
                placed.append((x, y0 + n // 2 + ticks + r, i))
                x += entry_widths[i] + GAP
        return Layout(x0, y0, n, ticks, tuple(placed))

    def beside() -> Layout | None:
        margin = label_width + 1
        if not entry_widths or len(entry_widths) > height - 1:
            return None
        legend_width = max(entry_widths)
        n = fit(width - margin - GAP - legend_width, height - 1)
        x0 = (width - margin - n - GAP - legend_width) // 2 + margin
        rows = max(n // 2, len(entry_widths))
        y0 = max((height - 1 - rows) // 2, 0)
        top = y0 + max((n // 2 - len(entry_widths)) // 2, 0)
        placed = tuple((x0 + n + GAP, top + i, i) for i in range(len(entry_widths)))
        return Layout(x0, y0, n, True, placed)

    full = below(True, True)
    side = beside()
    if side is not None and side.size > full.size:
        full = side
    for layout in (full, below(True, False)):
        if layout.size >= MIN_PLANE:
            return layout
    return below(False, False)


def join_pieces(width: int, pieces: list[tuple[int, Strip]], style: Style) -> Strip:
    """One row of `width` cells: each (x, strip) piece at its column, blanks between (overlaps dropped)."""
    parts: list[Strip] = []
    x = 0
    for px, strip in sorted(pieces, key=lambda p: p[0]):
        if px < x or px >= width:
            continue
        if px > x:
            parts.append(Strip.blank(px - x, style))
        parts.append(strip)
        x = px + strip.cell_length
    if x < width:
        parts.append(Strip.blank(width - x, style))
    return Strip.join(parts).crop(0, width) if parts else Strip.blank(width, style)


class Heatmap(Widget, can_focus=False):
    """A 2-D field (e.g. a network's decision boundary) in half-block pixels, with data points on top."""

    DEFAULT_CSS = """
    Heatmap {
        width: 1fr;
        height: 1fr;
    }
    """

    class Clicked(Message):
        """Posted when the plane is clicked; `x`, `y` are data coordinates of the clicked cell's centre."""

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

    discretize: reactive[bool] = reactive(False)
    """Show only the decision (sign of the output, or the winning class), as Playground's checkbox does."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.no_color = no_color()
        self._evaluate: Evaluator | None = None
        self._kind = "binary"
        self._scale = (-1.0, 1.0)
        self._bounds: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)
        self._values: np.ndarray | None = None  # (N, N) or (N, N, k), finite
        self._train: tuple[np.ndarray, np.ndarray] | None = None
        self._test: tuple[np.ndarray, np.ndarray] | None = None
        self._show_test = True
        self._n_classes = 2
        self._class_names: tuple[str, ...] = ()
        self._regression = False
        self._layout: Layout | None = None
        self._entries: list[Strip] = []  # the legend's entries, as laid out
        self._dirty = True
        self._keys: np.ndarray | None = None  # (N/2, N) packed colour pairs (colour mode)
        self._chars: np.ndarray | None = None  # (N/2, N) characters (NO_COLOR mode)
        self._strips: dict[int, Strip] = {}  # widget row -> strip

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
    def plane(self) -> Region:
        """The cells the square plane occupies in the widget (empty before the first layout)."""
        layout = self._layout
        if layout is None:
            return Region(0, 0, 0, 0)
        return Region(layout.x0, layout.y0, layout.size, layout.size // 2)

    @property
    def values(self) -> np.ndarray | None:
        """The last evaluated grid, (N, N) or (N, N, k) pixels, non-finite values replaced by 0."""
        return self._values

    def set_evaluator(
        self,
        evaluate: Evaluator | None,
        kind: str,
        bounds: tuple[float, float, float, float],
        scale: tuple[float, float] = (-1.0, 1.0),
    ) -> None:
        """Set the function evaluated over the plane, the kind of its output and the plane's bounds.

        `scale` is what the colour ends mean for a 'binary' field, for the legend: (-1, 1) for a
        ±1 output, (0, 1) for a probability.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown heatmap kind {kind!r}")
        xmin, xmax, ymin, ymax = (float(b) for b in bounds)
        if not (xmax > xmin and ymax > ymin):
            raise ValueError(f"empty bounds {bounds!r}")
        self._evaluate, self._kind, self._bounds, self._scale = evaluate, kind, (xmin, xmax, ymin, ymax), scale
        self._lay_out(evaluate=True)
        self._invalidate()  # a new field: repaint it all (on the next render, after any new points too)

    def refresh_field(self) -> None:
        """Re-run the evaluator on the grid (call after the weights changed) and repaint the rows that changed.

        Colours are quantised, so once training settles most rows come out the same as
        before: those keep their strips, and Textual repaints only the others.
        """
        layout, entries = self._layout, [e.text for e in self._entries]
        self._lay_out(evaluate=True)
        if self._dirty or self._layout != layout:  # a full rebuild is due anyway
            self._invalidate()
            return
        old = self._keys if self._keys is not None else self._chars
        self._build()
        new = self._keys if self._keys is not None else self._chars
        if old is None or new is None or old.shape != new.shape:
            self._invalidate()
            return
        y0 = self._layout.y0
        rows = [y0 + r for r in np.flatnonzero((old != new).any(axis=1)).tolist()]
        if [e.text for e in self._entries] != entries:  # e.g. a neuron's peak, written on the legend
            rows += sorted({y for _, y, _ in self._layout.legend})
        for y in rows:
            self._strips.pop(y, None)
        if rows:
            width = self.size.width
            self.refresh(*(Region(0, y, width, 1) for y in rows))

    def set_points(
        self,
        points: np.ndarray | None,
        labels: np.ndarray | None,
        test_points: np.ndarray | None = None,
        test_labels: np.ndarray | None = None,
        show_test: bool = True,
        n_classes: int = 2,
        regression: bool = False,
        class_names: Sequence[str] = (),
    ) -> None:
        """Set the data points drawn on top of the field (training points ringed white, test points black)."""
        self._train = self._point_set(points, labels)
        self._test = self._point_set(test_points, test_labels)
        self._show_test = show_test
        self._n_classes = max(int(n_classes), 1)
        self._regression = regression
        self._class_names = tuple(str(name) for name in class_names)
        self._lay_out(evaluate=False)
        self._invalidate()

    def pixel_to_data(self, px: float, py: float) -> tuple[float, float]:
        """Data coordinates of the centre of plane pixel (px, py); py counts half-cells from the plane's top."""
        n = max(self.plane.width, 1)
        xmin, xmax, ymin, ymax = self._bounds
        x = xmin + (px + 0.5) / n * (xmax - xmin)
        y = ymax - (py + 0.5) / n * (ymax - ymin)
        return float(x), float(y)

    def data_to_pixel(self, x: float, y: float) -> tuple[int, int]:
        """The plane pixel (px, py) containing data point (x, y); may lie outside the plane ((-1, -1) if not finite)."""
        n = self.plane.width
        xmin, xmax, ymin, ymax = self._bounds
        if not (np.isfinite(x) and np.isfinite(y)):
            return -1, -1
        return int(np.floor((x - xmin) / (xmax - xmin) * n)), int(np.floor((ymax - y) / (ymax - ymin) * n))

    def data_to_cell(self, x: float, y: float) -> tuple[int, int]:
        """The widget cell (column, row) showing data point (x, y); may lie outside the plane."""
        px, py = self.data_to_pixel(x, y)
        plane = self.plane
        return plane.x + px, plane.y + py // 2

    def grid_points(self) -> np.ndarray:
        """The (N * N, 2) pixel centres of the plane in data coordinates, row-major from the top-left."""
        n = self.plane.width
        xmin, xmax, ymin, ymax = self._bounds
        xs = xmin + (np.arange(n) + 0.5) / max(n, 1) * (xmax - xmin)
        ys = ymax - (np.arange(n) + 0.5) / max(n, 1) * (ymax - ymin)
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    # ---------------------------------------------------------------- events

    def notify_style_update(self) -> None:
        """Drop cached strips: uncoloured text and blanks use the widget's own style."""
        super().notify_style_update()
        self._entries = self._legend()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        """Lay out and re-evaluate the grid at the new size."""
        self.refresh_field()

    def watch_discretize(self) -> None:
        """Recolour the field (the legend changes too)."""
        self._lay_out(evaluate=False)
        self._invalidate()

    def on_click(self, event: events.Click) -> None:
        """Post Clicked with the data coordinates of the clicked cell's centre (clicks off the plane are ignored)."""
        offset = event.get_content_offset(self)
        plane = self.plane
        if offset is None or not plane.contains(offset.x, offset.y):
            return
        x, _ = self.pixel_to_data(offset.x - plane.x, 0)
        _, y = self.pixel_to_data(0, 2 * (offset.y - plane.y) + 0.5)  # the cell's centre: between its two pixels
        self.post_message(self.Clicked(self, x, y))

    # ---------------------------------------------------------------- rendering

    def render_line(self, y: int) -> Strip:
        """One row of the panel: tick label, plane cells, legend (blank where there is nothing to show)."""
        if self._dirty:
            self._build()
            self._strips.clear()
        strip = self._strips.get(y)
        if strip is None:
            strip = self._strips[y] = join_pieces(self.size.width, self._pieces(y), self.rich_style)
        return self._draw_probe(strip, y)

    def _pieces(self, y: int) -> list[tuple[int, Strip]]:
        """The (column, strip) pieces of widget row y."""
        layout = self._layout
        rows = self._keys if self._keys is not None else self._chars
        if layout is None or rows is None or layout.size == 0:
            return []
        style = self.rich_style
        pieces = [(x, self._entries[i]) for x, ly, i in layout.legend if ly == y]
        r = y - layout.y0
        if 0 <= r < rows.shape[0]:
            if self._keys is not None:
                pieces.append((layout.x0, keys_to_strip(self._keys[r], CELL_CHARS)))
            else:
                pieces.append((layout.x0, text_strip("".join(self._chars[r].tolist()), style)))
            if layout.ticks:
                pieces += [(layout.x0 - 1 - len(text), text_strip(text, style))
                           for row, text in self._y_ticks() if row == r]
        elif layout.ticks and r == rows.shape[0]:
            pieces += [(layout.x0 + col, text_strip(text, style)) for col, text in self._x_ticks()]
        return pieces

    def _y_ticks(self) -> list[tuple[int, str]]:
        """(plane row, label) of the y tick labels: ymax at the top, ymin at the bottom, 0 between if it fits."""
        rows = self.plane.height
        _, _, ymin, ymax = self._bounds
        ticks = [(0, tick_label(ymax, ymax - ymin)), (rows - 1, tick_label(ymin, ymax - ymin))]
        zero = int(np.floor(ymax / (ymax - ymin) * rows)) if ymin < 0 < ymax else -1
        if 1 < zero < rows - 2:
            ticks.append((zero, "0"))
        return ticks

    def _x_ticks(self) -> list[tuple[int, str]]:
        """(plane column where the label starts, label): xmin at the left edge, xmax at the right, 0 between."""
        n = self.plane.width
        xmin, xmax, _, _ = self._bounds
        left, right = tick_label(xmin, xmax - xmin), tick_label(xmax, xmax - xmin)
        ticks = [(0, left), (n - len(right), right)]
        if xmin < 0 < xmax:
            col = int(np.floor(-xmin / (xmax - xmin) * n))
            if len(left) < col < n - len(right) - 1:
                ticks.append((col, "0"))
        return ticks if n >= len(left) + len(right) + 1 else []

    def _draw_probe(self, strip: Strip, y: int) -> Strip:
        """Overlay the probe cross on the strip if the probe lies in row y."""
        if self.probe is None:
            return strip
        col, row = self.data_to_cell(*self.probe)
        plane = self.plane
        if row != y or not plane.contains(col, row):
            return strip
        if self.no_color or self._keys is None:
            return overlay_cell(strip, col, "+", self.rich_style)
        key = int(self._keys[row - plane.y, col - plane.x])
        up, lo = (key >> 24) & 0xFFFFFF, key & 0xFFFFFF
        cell = tuple((((up >> s) & 0xFF) + ((lo >> s) & 0xFF)) // 2 for s in (16, 8, 0))
        style = Style(color=Color.from_rgb(*contrast_color(cell)), bgcolor=Color.from_rgb(*cell), bold=True)
        return overlay_cell(strip, col, "┼", style)

    # ---------------------------------------------------------------- legend

    def _legend(self) -> list[Strip]:
        """The legend's entries: what the colours (or characters) mean, then the train/test key."""
        if self._evaluate is None:
            return []
        if self.no_color:
            entries = [text_strip(text, self.rich_style) for text in self._legend_texts()]
        else:
            entries = self._scale_entries()
            if self._train is not None:
                entries.append(self._dot_entry(TRAIN_OUTLINE, "train"))
            if self._test is not None:
                entries.append(self._dot_entry(TEST_OUTLINE, "test"))
        if self._test is not None and not self._show_test:  # hidden with t: keep its room, so the plane stays put
            entries[-1] = Strip.blank(entries[-1].cell_length, self.rich_style)
        return entries

    def _names(self) -> list[str]:
        """The class names shown in the legend (class indices when none were given)."""
        k = self._values.shape[-1] if self._kind == "multiclass" and self._values is not None else self._n_classes
        k = max(k, 2)
        names = list(self._class_names[:k])
        return names + [str(i) for i in range(len(names), k)]

    def _range_labels(self) -> tuple[str, str]:
        """What the two ends of the colour scale stand for."""
        if self._kind == "neuron":
            peak = float(np.abs(self._values).max()) if self._values is not None and self._values.size else 0.0
            return f"-{short_number(peak)}", short_number(peak)
        if self._kind == "binary":
            return tick_label(self._scale[0], 1.0), tick_label(self._scale[1], 1.0)
        return "-1", "1"  # regression: the colours saturate at ±1

    def _scale_entries(self) -> list[Strip]:
        """Colour mode: a colour bar with its range, or one swatch per class (per sign when discretized)."""
        if self._kind == "multiclass" or (self._kind == "binary" and self.discretize):
            return [self._swatch(CLASS_COLORS[i % len(CLASS_COLORS)], name) for i, name in enumerate(self._names())]
        if self.discretize:
            return [self._swatch(NEGATIVE, "<0"), self._swatch(POSITIVE, ">0")]
        lo, hi = self._range_labels()
        colours = diverging(_quantise(np.linspace(-1.0, 1.0, LEGEND_BAR)))
        style = self.rich_style
        bar = [Segment(" ", Style(bgcolor=Color.from_rgb(*map(int, c)))) for c in colours]
        return [Strip([Segment(f"{lo} ", style), *bar, Segment(f" {hi}", style)])]

    def _swatch(self, colour: tuple[int, int, int], name: str) -> Strip:
        """A class's colour and its name."""
        return Strip([Segment("██", Style(color=Color.from_rgb(*colour))), Segment(f" {name}", self.rich_style)])

    def _dot_entry(self, outline: tuple[int, int, int], what: str) -> Strip:
        """How a training or test point looks: a dot on its outline colour."""
        dot = Style(color=Color.from_rgb(*_KEY_DOTS[outline]), bgcolor=Color.from_rgb(*outline))
        return Strip([Segment("●", dot), Segment(f" {what}", self.rich_style)])

    def _legend_texts(self) -> list[str]:
        """NO_COLOR: the legend's entries as plain text."""
        names = self._names()
        if self._kind == "multiclass":  # the field shows each class's character, a point its shape
            texts = [f"{CLASS_CHARS[i]}{TRAIN_GLYPHS[i % len(TRAIN_GLYPHS)]}"
                     + ("" if name == CLASS_CHARS[i] else f" {name}") for i, name in enumerate(names)]
        else:
            if self.discretize:
                lo, hi = ("<0", ">0") if self._kind != "binary" else (names[0], names[1])
                texts = [f"[{CHAR_RAMP[0]}]{lo} [{CHAR_RAMP[-1]}]{hi}"]
            else:
                lo, hi = self._range_labels()
                texts = [f"{lo} [{CHAR_RAMP}] {hi}"]
            if self._train is not None:
                point_names = ("<0", "≥0") if self._regression else names
                texts += [f"{TRAIN_GLYPHS[i % len(TRAIN_GLYPHS)]} {name}" for i, name in enumerate(point_names)]
        if self._test is not None:
            k = 2 if self._regression else len(names)
            texts.append("".join(TEST_GLYPHS[i % len(TEST_GLYPHS)] for i in range(k)) + " test")
        return texts

    # ---------------------------------------------------------------- internals

    def _invalidate(self) -> None:
        """Mark the pixels stale (rebuilt lazily on the next render) and refresh."""
        self._dirty = True
        self._strips.clear()
        self.refresh()

    def _lay_out(self, evaluate: bool) -> None:
        """Lay the panel out and evaluate the field on the plane if asked, or if the plane changed size
        (twice at most: the legend may widen with the new values, e.g. a neuron's peak)."""
        _, _, ymin, ymax = self._bounds
        label_width = max(len(tick_label(ymin, ymax - ymin)), len(tick_label(ymax, ymax - ymin)))
        for _ in range(2):
            self._entries = self._legend()
            layout = plane_layout(self.size.width, self.size.height, label_width,
                                  [e.cell_length for e in self._entries])
            resized = self._layout is None or layout.size != self._layout.size
            self._layout = layout
            if not (evaluate or resized):
                return
            self._values = self._evaluate_grid()
            evaluate = False

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

    def _evaluate_grid(self) -> np.ndarray | None:
        """Evaluate the whole plane in one call; None if there is nothing to evaluate."""
        n = self.plane.width
        if self._evaluate is None or n == 0:
            return None
        try:
            out = np.asarray(self._evaluate(self.grid_points()), dtype=np.float64)
            if self._kind == "multiclass":
                if out.ndim != 2 or out.shape[0] != n * n:
                    raise ValueError(f"expected ({n * n}, k) class probabilities, got {out.shape}")
                return _finite(out).reshape(n, n, out.shape[1])
            if out.size != n * n:
                raise ValueError(f"expected {n * n} values, got {out.shape}")
            return _finite(out).reshape(n, n)
        except Exception as error:  # a broken or diverged model must never take the UI down
            self.log.error(f"heatmap evaluator failed: {error!r}")
            shape = (n, n, max(self._n_classes, 2)) if self._kind == "multiclass" else (n, n)
            return np.zeros(shape)

    def _build(self) -> None:
        """Recompute cell colours (or characters) from the field and the points (strips are the caller's business)."""
        self._dirty = False
        self._keys = self._chars = None
        if self._values is None:
            return
        n_classes = self._values.shape[-1] if self._kind == "multiclass" else self._n_classes
        if self.no_color:
            self._chars = field_chars(self._values, self._kind, n_classes, self.discretize)
            self._overlay_chars(self._chars)
        else:
            self._keys = pack_pairs(field_colors(self._values, self._kind, n_classes, self.discretize))
            self._overlay_keys(self._keys)

    def _visible_sets(self) -> list[tuple[np.ndarray, np.ndarray, bool]]:
        """(points, labels, is_test) for each point set to draw, test points first (under training points)."""
        sets = []
        if self._show_test and self._test is not None:
            sets.append((*self._test, True))
        if self._train is not None:
            sets.append((*self._train, False))
        return sets

    def _pixel_indices(self, pts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, mask) of the pixels holding pts in an n × n plane; mask marks points inside it."""
        xmin, xmax, ymin, ymax = self._bounds
        cols = np.floor((pts[:, 0] - xmin) / (xmax - xmin) * n).astype(np.intp)
        rows = np.floor((ymax - pts[:, 1]) / (ymax - ymin) * n).astype(np.intp)
        inside = (cols >= 0) & (cols < n) & (rows >= 0) & (rows < n)
        return rows[inside], cols[inside], inside

    def _point_classes(self, labels: np.ndarray) -> np.ndarray:
        """Each point's class index (regression: 0 below zero, 1 from zero up)."""
        if self._regression:
            return (labels >= 0).astype(np.intp)
        return np.clip(labels, 0, None).astype(np.intp)

    def _overlay_keys(self, keys: np.ndarray) -> None:
        """Draw each data point as a dot in its class colour on a white (train) or black (test) cell.

        The outline keeps a point visible on any field colour, its own included; a dot too close
        to its outline (a regression target near 0 on white) is drawn darker.
        """
        for pts, labels, is_test in self._visible_sets():
            rows, cols, inside = self._pixel_indices(pts, keys.shape[1])
            if not len(rows):
                continue
            lab = labels[inside]
            fill = diverging(lab).astype(np.float64) if self._regression else _PALETTE[self._point_classes(lab) % len(_PALETTE)]
            outline = TEST_OUTLINE if is_test else TRAIN_OUTLINE
            close = np.abs(fill - np.array(outline)).max(axis=1) < 96
            fill[close] = blend(fill[close], (96, 96, 96), 0.5)
            keys[rows // 2, cols] = _POINT | (_pack_rgb(fill) << 24) | int(_pack_rgb(np.array(outline)))

    def _overlay_chars(self, chars: np.ndarray) -> None:
        """NO_COLOR: a point's cell shows its class's shape, filled for training points, hollow for test points."""
        for pts, labels, is_test in self._visible_sets():
            rows, cols, inside = self._pixel_indices(pts, chars.shape[1])
            glyphs = np.array(list(TEST_GLYPHS if is_test else TRAIN_GLYPHS))
            chars[rows // 2, cols] = glyphs[self._point_classes(labels[inside]) % len(glyphs)]
