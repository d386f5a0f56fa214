"""Network diagram: neurons as boxes in columns, links coloured by weight sign and sized by magnitude."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from nntui.tui.colors import NEGATIVE, NEUTRAL, POSITIVE, diverging, no_color

Cell = tuple[str, "Style | None"]
Grid = list[list[Cell]]

# Link cell kinds (index into a glyph string).
_H, _V, _UP, _DOWN = 0, 1, 2, 3
_LEVELS = 4  # magnitude levels 1..4; level 0 = a link dimmed by `highlight_layer`
_LEVEL_MIX = (0.12, 0.35, 0.55, 0.78, 1.0)  # how far from _DIM_BASE towards the sign colour, per level
_DIM_BASE = (72, 72, 72)  # dim links fade towards this grey
_HEAVY_LEVEL = 3  # levels >= this use heavy glyphs (|w| > 50 % of the largest)
# Glyphs for kinds (─ │ ╱ ╲): [no_color][positive][heavy].
_GLYPHS = {
    (False, True, False): "─│╱╲",
    (False, True, True): "━┃╱╲",
    (False, False, False): "─│╱╲",
    (False, False, True): "━┃╱╲",
    (True, True, False): "─│╱╲",
    (True, True, True): "━┃╱╲",
    (True, False, False): "╌╎⋰⋱",
    (True, False, True): "╍╏⋰⋱",
}
_NOTE_TEXTS = ("strongest links shown", "strongest shown", "strongest")
_LABEL_STYLE = Style(bold=True)
_MUTED_STYLE = Style(dim=True)
_NOTE_STYLE = Style(dim=True, italic=True)


def max_abs_weight(weights: Sequence[np.ndarray]) -> float:
    """Largest finite |w| over all layers (no big temporaries, so cheap even for 4096×4096)."""
    best = 0.0
    for w in weights:
        w = np.asarray(w)
        if not w.size:
            continue
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN layer of a diverged run
            m = max(float(np.nanmax(w)), -float(np.nanmin(w)))
        if not math.isfinite(m):
            finite = np.abs(w[np.isfinite(w)])
            m = float(finite.max()) if finite.size else 0.0
        best = max(best, m)
    return best


def _round(v: np.ndarray) -> np.ndarray:
    """Round half up to int64 (consistent across the line, unlike banker's rounding)."""
    return np.floor(v + 0.5).astype(np.int64)


def link_path(x0: int, y0: int, x1: int, y1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells (xs, ys, kinds) of a link leaving a box at (x0, y0) and entering one at (x1, y1), x0 <= x1.

    One-cell horizontal stubs at both ends (when there is room), then a straight rasterised line whose
    cells are ─ where it runs flat, │ where it runs steep and ╱/╲ where it crosses a row or column.
    """
    n = x1 - x0 + 1
    if n <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    stub = 1 if n >= 5 else 0
    a, c = x0 + stub, x1 - stub
    dx, dy = c - a, y1 - y0
    diag = _DOWN if dy > 0 else _UP
    if dy == 0:
        xs = np.arange(a, c + 1, dtype=np.int64)
        ys = np.full(xs.shape, y0, dtype=np.int64)
        kinds = np.full(xs.shape, _H, dtype=np.int64)
    elif abs(dy) <= dx:  # x-major: one cell per column
        t = np.arange(dx + 1, dtype=np.float64)
        slope = dy / dx
        ys = _round(y0 + slope * t)
        left = _round(y0 + slope * np.maximum(t - 0.5, 0.0))
        right = _round(y0 + slope * np.minimum(t + 0.5, dx))
        xs = a + t.astype(np.int64)
        kinds = np.where(left == right, _H, diag)
    else:  # y-major: one cell per row
        step = 1 if dy > 0 else -1
        s = np.arange(abs(dy) + 1, dtype=np.float64)
        inv = dx / abs(dy)
        xs = _round(a + inv * s)
        top = _round(a + inv * np.maximum(s - 0.5, 0.0))
        bottom = _round(a + inv * np.minimum(s + 0.5, abs(dy)))
        ys = y0 + step * s.astype(np.int64)
        kinds = np.where(top == bottom, _V, diag)
    if stub:
        xs = np.concatenate(([x0], xs, [x1]))
        ys = np.concatenate(([y0], ys, [y1]))
        kinds = np.concatenate(([_H], kinds, [_H]))
    return xs, ys, kinds


def _fit(texts: Sequence[str], width: int) -> str:
    """The first of `texts` that fits in `width` cells, or ''."""
    for text in texts:
        if len(text) <= width:
            return text
    return ""


def format_value(v: float, width: int) -> str:
    """A neuron value in at most `width` characters ('' if it cannot fit)."""
    if not math.isfinite(v):
        return _fit(("nan" if math.isnan(v) else ("+inf" if v > 0 else "-inf"), "?"), width)
    out = []
    for spec in (".2f", ".1f", ".0f"):
        s = format(v, spec)
        out.append(s)
        out.append(s.replace("0.", ".", 1) if s.lstrip("-").startswith("0.") else s)
    return _fit(out, width)


@lru_cache(maxsize=4)
def _link_cell_table(plain: bool) -> tuple[Cell, ...]:
    """(char, style) for every link cell code = kind + 4 * (positive + 2 * level)."""
    table: list[Cell] = []
    for level in range(_LEVELS + 1):
        for positive in (False, True):
            heavy = level >= _HEAVY_LEVEL
            glyphs = _GLYPHS[(plain, positive, heavy)]
            if plain:
                style = Style(dim=True) if level <= 1 else (Style(bold=True) if level == _LEVELS else None)
            else:
                target = np.array(POSITIVE if positive else NEGATIVE, dtype=np.float64)
                base = np.array(_DIM_BASE, dtype=np.float64)
                rgb = (base + (target - base) * _LEVEL_MIX[level]).round().astype(int)
                style = Style(color=Color.from_rgb(*rgb), bold=heavy)
            for kind in range(4):
                table.append((glyphs[kind], style))
    return tuple(table)


@lru_cache(maxsize=1024)
def _box_style(rgb: tuple[int, int, int], selected: bool) -> Style:
    """Box fill `rgb` with readable text on it; the selected box is bold and underlined."""
    r, g, b = rgb
    light = 0.299 * r + 0.587 * g + 0.114 * b > 140
    return Style(
        color=Color.from_rgb(0, 0, 0) if light else Color.from_rgb(255, 255, 255),
        bgcolor=Color.from_rgb(r, g, b),
        bold=selected,
        underline=selected,
    )


@dataclass
class DiagramLayout:
    """Where everything goes for one widget size and one set of layer sizes (weights not needed)."""

    width: int
    height: int
    sizes: tuple[int, ...]
    names: tuple[str, ...]
    box_width: int = 1
    label_width: int = 0  # cells for input labels (left of the input boxes)
    columns: list[int] = field(default_factory=list)  # left x of each layer's boxes
    rows: list[list[int]] = field(default_factory=list)  # y of each shown neuron (the first len(...) of the layer)
    markers: list[tuple[int, int, str] | None] = field(default_factory=list)  # (x, y, "… N more") per layer
    size_row: int | None = None  # row with the hidden layer sizes (and the thinning note)
    size_labels: list[tuple[int, str]] = field(default_factory=list)  # (x, text) on size_row
    thin: list[int] = field(default_factory=list)  # per weight layer: 0 = draw all links, k = top-k per neuron
    note: tuple[int, str] | None = None  # (x, text) of the "strongest links shown" note
    _paths: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, width: int, height: int, sizes: Sequence[int], names: Sequence[str]) -> DiagramLayout:
        """Lay out columns, neuron rows, collapse markers and labels for a `width` × `height` area."""
        width, height = max(0, int(width)), max(0, int(height))
        sizes = tuple(max(0, int(n)) for n in sizes)
        names = tuple(str(s) for s in names)
        layout = cls(width, height, sizes, names)
        n_cols = len(sizes)
        if not n_cols or not width or not height:
            layout.columns = [width] * n_cols
            layout.rows = [[] for _ in sizes]
            layout.markers = [None] * n_cols
            layout.thin = [0] * max(0, n_cols - 1)
            return layout

        # Columns: input labels on the left, then boxes spread evenly, the last flush right.
        longest = max((len(s) for s in names[: sizes[0]]), default=0)
        label_width = min(longest, width // 5)
        if label_width < min(longest, 2):  # a lone "…" says nothing
            label_width = 0
        label_area = label_width + 1 if label_width else 0
        avail = width - label_area
        box_width = 1
        for bw, min_gap in ((4, 10), (3, 6), (2, 3)):
            if n_cols * bw + (n_cols - 1) * min_gap <= avail:
                box_width = bw
                break
        if n_cols == 1:
            columns = [label_area]
        else:
            span = max(0, avail - box_width)
            columns = [label_area + round(i * span / (n_cols - 1)) for i in range(n_cols)]
        layout.box_width, layout.label_width, layout.columns = box_width, label_width, columns

        # Rows: spread each layer vertically; collapse the tail into a marker when it does not fit.
        size_row = height - 1 if height >= 4 else None
        usable = height - (1 if size_row is not None else 0)
        bounds = [layout._column_bounds(i) for i in range(n_cols)]
        for i, n in enumerate(sizes):
            if 2 * n - 1 <= usable:  # everything fits with blank rows between boxes
                shown, gap = n, max(1, min(4, usable // max(n, 1)))
            elif n <= usable:  # boxes touch, but every neuron is shown
                shown, gap = n, 1
            elif usable < 6:
                shown, gap = max(0, usable - 1), 1
            else:  # first few boxes, a blank row apart, then "… N more"
                shown, gap = usable // 2, 2
            collapsed = shown < n
            span = (shown - 1) * gap + 1 if shown else 0
            top = max(0, (usable - span - (1 if collapsed else 0)) // 2)
            layout.rows.append([top + k * gap for k in range(shown)])
            marker = None
            if collapsed:
                lo, hi = bounds[i]
                text = _fit((f"… {n - shown} more", f"…{n - shown} more", f"+{n - shown}", "…"), hi - lo)
                if text:
                    x = max(lo, min(columns[i], hi - len(text)))
                    marker = (x, top + span, text)
            layout.markers.append(marker)

        # Links: thin out a weight layer when there are too many to follow.
        for i in range(n_cols - 1):
            m_a, m_b = len(layout.rows[i]), len(layout.rows[i + 1])
            gap_cells = columns[i + 1] - columns[i] - box_width
            budget = max(6, gap_cells * usable // 6)
            if m_a * m_b <= budget or min(m_a, m_b) <= 1:
                layout.thin.append(0)
            else:
                layout.thin.append(max(1, min(3, budget // (m_a + m_b))))

        # Bottom row: hidden layer sizes centred under their columns, then the thinning note if it fits.
        if size_row is not None:
            layout.size_row = size_row
            taken: list[tuple[int, int]] = []
            for i in range(1, n_cols - 1):
                lo, hi = bounds[i]
                text = _fit((f"{sizes[i]} neurons", str(sizes[i])), hi - lo)
                if not text:
                    continue
                x = max(lo, min(columns[i] + box_width // 2 - len(text) // 2, hi - len(text)))
                layout.size_labels.append((x, text))
                taken.append((x, x + len(text)))
            if any(layout.thin):
                layout.note = layout._place_note(taken)
        return layout

    def _column_bounds(self, i: int) -> tuple[int, int]:
        """Horizontal room [lo, hi) for text belonging to column `i` (between its neighbours' boxes)."""
        lo = self.columns[i - 1] + self.box_width + 1 if i > 0 else 0
        hi = self.columns[i + 1] - 1 if i + 1 < len(self.columns) else self.width
        return max(0, lo), max(0, min(self.width, hi))

    def _place_note(self, taken: list[tuple[int, int]]) -> tuple[int, str] | None:
        """Find a free stretch of the size row for the "strongest links shown" note."""
        edges = [(-1, -1), *sorted(taken), (self.width + 1, self.width + 1)]
        for text in _NOTE_TEXTS:
            for (_, end), (start, _) in zip(edges, edges[1:]):
                lo, hi = end + 1, start - 1
                lo, hi = max(0, lo), min(self.width, hi)
                if hi - lo >= len(text):
                    return hi - len(text), text
        return None

    def path(self, layer: int, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Cached (flat cell index, kind) of the link from shown neuron i of `layer` to shown j of layer+1."""
        key = (layer, i, j)
        cached = self._paths.get(key)
        if cached is None:
            x0 = self.columns[layer] + self.box_width
            x1 = self.columns[layer + 1] - 1
            xs, ys, kinds = link_path(x0, self.rows[layer][i], x1, self.rows[layer + 1][j])
            keep = (xs >= 0) & (xs < self.width) & (ys >= 0) & (ys < self.height)
            cached = (ys[keep] * self.width + xs[keep], kinds[keep])
            self._paths[key] = cached
        return cached

    def neuron_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The (layer, index) whose box (or input label) covers cell (x, y), else None."""
        for layer, (left, rows) in enumerate(zip(self.columns, self.rows)):
            lo = 0 if layer == 0 and self.label_width else left
            if lo <= x < left + self.box_width and y in rows:
                return layer, rows.index(y)
        return None

    def box_center(self, layer: int, index: int) -> tuple[int, int] | None:
        """The middle cell of a shown neuron's box, or None if it is collapsed / off-screen."""
        if not 0 <= layer < len(self.rows) or not 0 <= index < len(self.rows[layer]):
            return None
        return self.columns[layer] + self.box_width // 2, self.rows[layer][index]

    def paint(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        activations: Sequence[np.ndarray] | None = None,
        selected: tuple[int, int] | None = None,
        highlight_layer: int | None = None,
        plain: bool = False,
        max_abs: float | None = None,
    ) -> Grid:
        """The character grid (rows of (char, style)) for these weights; `plain` = NO_COLOR."""
        width, height = self.width, self.height
        grid: Grid = [[(" ", None)] * width for _ in range(height)]
        if not width or not height or not self.sizes:
            return grid
        if max_abs is None:
            max_abs = max_abs_weight(weights)
        scale = 1.0 / max_abs if max_abs > 0 else 0.0

        # Links: gather every drawn link's cells, weakest first, then keep the last write per cell.
        flats, codes, prios = [], [], []
        for layer in range(len(self.sizes) - 1):
            m_a, m_b = len(self.rows[layer]), len(self.rows[layer + 1])
            if not m_a or not m_b or layer >= len(weights):
                continue
            sub = np.nan_to_num(np.asarray(weights[layer], dtype=np.float64)[:m_a, :m_b])
            mag = np.abs(sub)
            k = self.thin[layer]
            if k:
                mask = np.zeros(sub.shape, dtype=bool)
                top_out = np.argsort(-mag, axis=1, kind="stable")[:, :k]
                top_in = np.argsort(-mag, axis=0, kind="stable")[:k, :]
                mask[np.arange(m_a)[:, None], top_out] = True
                mask[top_in, np.arange(m_b)[None, :]] = True
            else:
                mask = np.ones(sub.shape, dtype=bool)
            prio = mag.copy()
            if selected is not None:
                s_layer, s_index = selected
                if s_layer == layer and s_index < m_a:
                    mask[s_index, :] = True
                    prio[s_index, :] += 1e300
                elif s_layer == layer + 1 and s_index < m_b:
                    mask[:, s_index] = True
                    prio[:, s_index] += 1e300
            levels = np.clip(np.ceil(mag * scale * _LEVELS), 1, _LEVELS).astype(np.int64)
            if highlight_layer is not None and highlight_layer != layer:
                levels[:] = 0
            link_codes = 4 * ((sub >= 0).astype(np.int64) + 2 * levels)
            for i, j in zip(*np.nonzero(mask)):
                flat, kinds = self.path(layer, int(i), int(j))
                if flat.size:
                    flats.append(flat)
                    codes.append(kinds + link_codes[i, j])
                    prios.append(np.full(flat.size, prio[i, j]))
        if flats:
            flat = np.concatenate(flats)
            code = np.concatenate(codes)
            order = np.argsort(np.concatenate(prios), kind="stable")[::-1]  # strongest first
            cells, first = np.unique(flat[order], return_index=True)
            table = _link_cell_table(plain)
            for cell, c in zip(cells.tolist(), code[order][first].tolist()):
                grid[cell // width][cell % width] = table[c]

        def put(x: int, y: int, text: str, style: Style | None) -> None:
            """Write `text` at (x, y), clipped to the grid."""
            if 0 <= y < height:
                row = grid[y]
                for dx, ch in enumerate(text):
                    if 0 <= x + dx < width:
                        row[x + dx] = (ch, style)

        # Boxes, input labels and collapse markers on top of the links.
        for layer, rows in enumerate(self.rows):
            x = self.columns[layer]
            acts = None
            if activations is not None and layer < len(activations):
                acts = np.asarray(activations[layer], dtype=np.float64).reshape(-1)
            bias = np.asarray(biases[layer - 1], dtype=np.float64).reshape(-1) if 0 < layer <= len(biases) else None
            for index, y in enumerate(rows):
                is_sel = selected == (layer, index)
                value = float(acts[index]) if acts is not None and index < acts.size else None
                b = float(bias[index]) if bias is not None and index < bias.size else None
                if layer == 0 and self.label_width:
                    name = self.names[index] if index < len(self.names) else f"x{index + 1}"
                    if len(name) > self.label_width:
                        name = name[: self.label_width - 1] + "…"
                    label_style = Style(reverse=True, bold=True) if is_sel else _LABEL_STYLE
                    put(self.label_width - len(name), y, name, label_style)
                put(x, y, *self._box(value, b, is_sel, plain))
            if self.markers[layer] is not None:
                mx, my, text = self.markers[layer]
                hidden_sel = selected is not None and selected[0] == layer and selected[1] >= len(rows)
                put(mx, my, text, Style(reverse=True, bold=True) if hidden_sel else _NOTE_STYLE)
        if self.size_row is not None:
            for x, text in self.size_labels:
                put(x, self.size_row, text, _MUTED_STYLE)
            if self.note is not None:
                put(self.note[0], self.size_row, self.note[1], _NOTE_STYLE)
        return grid

    def _box(self, value: float | None, bias: float | None, selected: bool, plain: bool) -> tuple[str, Style | None]:
        """Text and style of one neuron box: fill by activation (if given) or bias."""
        bw = self.box_width
        if plain:
            if value is not None:
                inner = format_value(value, bw - 2 if bw >= 3 else bw) or "?"
            elif bias is None:
                inner = "·"
            else:
                inner = "+" if bias > 0 else ("-" if bias < 0 else "0")
            if bw >= 3:
                text = "[" + inner.center(bw - 2)[: bw - 2] + "]"
            else:
                text = (inner if bw == 1 else "[" + inner)[:bw]
            return text, Style(reverse=True, bold=True) if selected else None
        if value is not None:
            fill = diverging(np.clip(value, -1.0, 1.0) if math.isfinite(value) else 0.0)
            inner = format_value(value, bw)
        else:
            fill = diverging(np.tanh(bias)) if bias is not None and math.isfinite(bias) else np.array(NEUTRAL)
            inner = ""
        if selected and bw >= 3:
            middle = format_value(value, bw - 2) if value is not None else ""
            inner = "▶" + middle.center(bw - 2) + "◀"
        elif selected:
            inner = "▶◀"[:bw] if bw == 2 else "●"
        return inner.center(bw)[:bw], _box_style(tuple(int(c) for c in fill), selected)


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
) -> Grid:
    """Pure helper: the (char, style) grid the widget would show at `width` × `height`."""
    layout = DiagramLayout.build(width, height, sizes, input_names)
    return layout.paint(weights, biases, activations, selected, highlight_layer, no_color() if plain is None else plain)


def grid_to_strips(grid: Grid, base: Style | None = None) -> list[Strip]:
    """Turn a character grid into one Strip per row (runs of equal style become one Segment)."""
    strips = []
    for row in grid:
        segments: list[Segment] = []
        run_chars: list[str] = []
        run_style: Style | None = None
        for ch, style in row:
            if run_chars and style is not run_style and style != run_style:
                segments.append(Segment("".join(run_chars), run_style))
                run_chars = []
            run_style = style
            run_chars.append(ch)
        if run_chars:
            segments.append(Segment("".join(run_chars), run_style))
        strip = Strip(segments, len(row))
        strips.append(strip.apply_style(base) if base is not None else strip)
    return strips


class NetworkDiagram(Widget, can_focus=True):
    """Neurons as boxes in columns, links coloured by weight sign and drawn heavier for larger |w|."""

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

    class NeuronSelected(Message):
        """The selected neuron changed; `layer`/`index` are None when the selection was cleared."""

        def __init__(self, layer: int | None, index: int | None) -> None:
            super().__init__()
            self.layer = layer
            self.index = index
            self.diagram: NetworkDiagram | None = None  # set by the posting widget

        @property
        def control(self) -> NetworkDiagram | None:
            """The diagram that posted the message (for `@on(..., "#id")`)."""
            return self.diagram

    selected: reactive[tuple[int, int] | None] = reactive(None, init=False, bindings=True)
    highlight_layer: reactive[int | None] = reactive(None)

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._sizes: tuple[int, ...] = ()
        self._weights: list[np.ndarray] = []
        self._biases: list[np.ndarray] = []
        self._names: tuple[str, ...] = ()
        self._activations: list[np.ndarray] | None = None
        self._max_abs = 0.0
        self._version = 0  # bumped whenever weights/activations change
        self._layout: DiagramLayout | None = None
        self._strips: list[Strip] = []
        self._strips_key: tuple | None = None

    # ----------------------------------------------------------------- data in
    def set_network(
        self, sizes: Sequence[int], W: Sequence[np.ndarray], b: Sequence[np.ndarray], input_names: Sequence[str]
    ) -> None:
        """Show a network: W[l] has shape (sizes[l], sizes[l+1]), b[l] shape (sizes[l+1],)."""
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
        self._sizes, self._names = sizes, names
        self._weights = [np.asarray(w) for w in W]
        self._biases = [np.asarray(x) for x in b]
        self._max_abs = max_abs_weight(self._weights)
        self._version += 1
        self._repaint_changed_rows()

    def set_activations(self, activations: Sequence[np.ndarray] | None) -> None:
        """Show per-neuron values for one input (activations[l] shape (sizes[l],)), or None to show biases."""
        if activations is not None:
            activations = [np.asarray(a).reshape(-1) for a in activations]
            if len(activations) != len(self._sizes) or any(
                a.size != n for a, n in zip(activations, self._sizes)
            ):
                raise ValueError(f"activations do not match the layer sizes {self._sizes}")
        self._activations = activations
        self._version += 1
        self.refresh()

    # ----------------------------------------------------------------- layout & rendering
    @property
    def layout_info(self) -> DiagramLayout:
        """The layout for the current content size (cached per size, layer sizes and input names)."""
        width, height = self.content_size
        layout = self._layout
        if layout is None or (layout.width, layout.height, layout.sizes, layout.names) != (
            width,
            height,
            self._sizes,
            self._names,
        ):
            layout = self._layout = DiagramLayout.build(width, height, self._sizes, self._names)
        return layout

    def neuron_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The (layer, index) of the neuron box at content cell (x, y), or None."""
        return self.layout_info.neuron_at(x, y)

    def grid(self) -> Grid:
        """The current character grid (rows of (char, style)) at the widget's size."""
        return self.layout_info.paint(
            self._weights,
            self._biases,
            self._activations,
            self.selected,
            self.highlight_layer,
            no_color(),
            self._max_abs,
        )

    def _key(self) -> tuple:
        """What the strips depend on; index 3 is the version of the weights (or activations)."""
        return (self.content_size, self._sizes, self._names, self._version, self.selected, self.highlight_layer, no_color())

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
        message = self.NeuronSelected(*(value if value is not None else (None, None)))
        message.diagram = self
        self.post_message(message)

    def _navigable(self, layer: int) -> int:
        """How many neurons of `layer` the keys can reach (the shown ones, or all before layout)."""
        n = self._sizes[layer]
        layout = self._layout
        if layout is not None and layout.sizes == self._sizes and layout.width and layout.height:
            return min(n, len(layout.rows[layer]))
        return n

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
        layer = max(0, min(len(self._sizes) - 1, layer + delta))
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
