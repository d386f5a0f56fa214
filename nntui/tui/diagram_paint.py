"""Painting the network diagram: neuron tiles (each a heatmap of its own output), links, labels."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from nntui.tui.colors import NEGATIVE, NEUTRAL, POSITIVE, diverging
from nntui.tui.diagram_layout import DiagramLayout, bundle_label
from nntui.tui.halfblock import UPPER_HALF, contrast_color, pack_pairs, pair_style
from nntui.tui.link_routing import glyph

Cell = tuple[str, "Style | None"]
Grid = list[list[Cell]]

SHADES = 15  # colour steps per side: Playground's 30 shades from −1 to +1
LEVELS = 4  # link magnitude levels 1..4; level 0 = a link dimmed (another neuron or layer is in focus)
_LEVEL_MIX = (0.15, 0.5, 0.68, 0.84, 1.0)  # how far from _DIM_BASE towards the sign colour, per level
_DIM_BASE = (72, 72, 72)
_HEAVY_LEVEL = 3  # levels >= this use heavy glyphs (|w| above half the largest)
TILE_RAMP = "=-~·+*#"  # NO_COLOR tiles: −1 … 0 … +1, minus signs for negative, plus for positive
THIN_ABOVE = 100  # more links than this between two columns: only each neuron's strongest 3
_FRAME = Style(color=Color.from_rgb(255, 255, 255), bold=True)
_PLAIN_FRAME = Style(bold=True)
_LABEL = Style(bold=True)
_SELECTED_LABEL = Style(bold=True, reverse=True)
_MUTED = Style(dim=True)
_UNDERLINE = Style(underline=True)
LOWER_HALF = "▄"
_NOTE = Style(dim=True, italic=True)


def number(v: float, width: int | None = None) -> str:
    """A value with two significant digits and its sign: +0.50, -1.2, +12, 0; with one if two do not
    fit in `width` (-0.2), and '' if that does not fit either."""
    if not math.isfinite(v):
        text = "nan" if math.isnan(v) else ("+inf" if v > 0 else "-inf")
    elif v == 0:
        text = "0"
    else:
        text = ""
        for digits in (2, 1):
            text = f"{v:+.0f}" if abs(v) >= (9.95 if digits == 2 else 9.5) else f"{v:+#.{digits}g}".rstrip(".")
            if width is None or len(text) <= width:
                break
    return text if width is None or len(text) <= width else ""


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


@dataclass
class Picture:
    """What one frame of the diagram shows (the layout says where)."""

    weights: Sequence[np.ndarray]
    biases: Sequence[np.ndarray]
    planes: Sequence[np.ndarray] | None = None  # per layer (neurons, 2 * tile_h, tile_w) in [-1, 1]
    activations: Sequence[np.ndarray] | None = None  # per layer (neurons,): one input's values (the probe)
    selected: tuple[int, int] | None = None
    highlight_layer: int | None = None
    plain: bool = False  # NO_COLOR
    max_abs: float | None = None
    hovered: tuple[int, int] | None = None  # under the mouse: its links are shown like the selected one's
    off: Sequence[tuple[int, int]] = ()  # neurons switched off by hand: a grey "off" tile, their links dimmed
    link: tuple[int, int, int] | None = None  # (layer, row, col): the link of W[layer][row, col] stands out


@lru_cache(maxsize=64)
def _link_style(sign: int, level: int, plain: bool) -> Style:
    """Style of a link: sign 0 negative (orange), 1 positive (blue), 2 a bundle (grey); brighter for larger |w|."""
    if plain:
        return _MUTED if level <= 1 else (Style(bold=True) if level == LEVELS else Style())
    target = np.array((NEGATIVE, POSITIVE, NEUTRAL)[sign], dtype=np.float64)
    base = np.array(_DIM_BASE, dtype=np.float64)
    r, g, b = (base + (target - base) * _LEVEL_MIX[level]).round().astype(int)
    return Style(color=Color.from_rgb(r, g, b), bold=level >= _HEAVY_LEVEL)


@lru_cache(maxsize=1024)
def _fill_style(rgb: tuple[int, int, int], bold: bool = False) -> Style:
    """A cell filled with `rgb`, its text in black or white, whichever reads."""
    return Style(color=Color.from_rgb(*contrast_color(rgb)), bgcolor=Color.from_rgb(*rgb), bold=bold)


@lru_cache(maxsize=64)
def _ink(rgb: tuple[int, int, int]) -> Style:
    """Text in colour `rgb`."""
    return Style(color=Color.from_rgb(*rgb))


def _routes(layout: DiagramLayout, c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat cell, direction bits, link number i * n + j) of every link of channel c, cached on the layout."""
    key = ("routes", c)
    cached = layout.cache.get(key)
    if cached is None:
        channel = layout.channels[c]
        n = len(channel.targets)
        flats, bits, links = [], [], []
        for i in range(len(channel.sources)):
            for j in range(n):
                xs, ys, b = channel.route(i, j)
                keep = (xs >= 0) & (xs < layout.width) & (ys >= 0) & (ys < layout.height)
                flats.append(ys[keep] * layout.width + xs[keep])
                bits.append(b[keep])
                links.append(np.full(int(keep.sum()), i * n + j, dtype=np.int64))
        empty = np.zeros(0, dtype=np.int64)
        cached = tuple(np.concatenate(a) if a else empty for a in (flats, bits, links))
        layout.cache[key] = cached
    return cached


def _channel_links(layout: DiagramLayout, c: int, pic: Picture, scale: float) -> tuple[np.ndarray, ...] | None:
    """Per link of channel c: (drawn?, priority, sign, level), or None if there is nothing to draw."""
    src, tgt = layout.shown[c], layout.shown[c + 1]
    if c >= len(pic.weights) or not len(tgt):
        return None
    w_all = np.asarray(pic.weights[c], dtype=np.float64)
    cols = np.arange(tgt.start, tgt.stop)
    if c == 0 and layout.bundle:  # one bundle: each target's weights as one grey link, by their RMS
        w = np.sqrt(np.mean(np.nan_to_num(w_all[:, cols]) ** 2, axis=0))[None, :]
        sign = np.full(w.shape, 2, dtype=np.int64)
    else:
        w = np.nan_to_num(w_all[np.arange(src.start, src.stop)][:, cols])
        sign = (w >= 0).astype(np.int64)
    mag = np.abs(w)
    m, n = w.shape
    drawn = np.ones(w.shape, dtype=bool)
    if m * n > THIN_ABOVE and min(m, n) > 3:
        drawn[:] = False
        drawn[np.arange(m)[:, None], np.argsort(-mag, axis=1, kind="stable")[:, :3]] = True
        drawn[np.argsort(-mag, axis=0, kind="stable")[:3, :], np.arange(n)[None, :]] = True
    level = np.clip(np.ceil(mag * scale * LEVELS), 1, LEVELS).astype(np.int64)
    prio = mag * scale
    sel = pic.hovered if pic.hovered is not None else pic.selected
    if sel is not None and sel[0] in (c, c + 1):  # only the selected neuron's links, on top
        mine = np.zeros(w.shape, dtype=bool)
        if sel[0] == c and (layout.bundle and c == 0 or sel[1] in src):
            mine[0 if layout.bundle and c == 0 else sel[1] - src.start, :] = True
        elif sel[0] == c + 1 and sel[1] in tgt:
            mine[:, sel[1] - tgt.start] = True
        drawn = mine
        level = np.maximum(level, 2)  # the links in focus stand out, even the weak ones
    elif sel is not None or (pic.highlight_layer is not None and pic.highlight_layer != c):
        level[:] = 0
    elif len(layout.channels[c].lanes) < max(m, n):  # too narrow for the links to part: a quiet bus
        level = np.minimum(level, 2)
    for layer, index in pic.off:  # a switched-off neuron's links out are held at zero: dimmed
        if layer == c and index in src and not (layout.bundle and c == 0):
            level[index - src.start, :] = 0
    if pic.link is not None and pic.link[0] == c and not (layout.bundle and c == 0):
        _, i, j = pic.link
        if i in src and j in tgt:  # the link being edited: on top, at full strength; the others faint
            k = (i - src.start, j - tgt.start)
            level = np.minimum(level, 1)
            level[k], drawn[k], prio[k] = LEVELS, True, 2.0
    return drawn.ravel(), prio.ravel(), sign.ravel(), level.ravel()


def _paint_links(grid: Grid, layout: DiagramLayout, pic: Picture) -> None:
    """Every drawn link, strongest on top; where lines meet, a junction of all of them."""
    width = layout.width
    max_abs = max_abs_weight(pic.weights) if pic.max_abs is None else pic.max_abs
    scale = 1.0 / max_abs if max_abs > 0 else 0.0
    flats, bits, prios, codes = [], [], [], []
    for c in range(len(layout.channels)):
        links = _channel_links(layout, c, pic, scale)
        if links is None:
            continue
        drawn, prio, sign, level = links
        flat, b, link = _routes(layout, c)
        keep = drawn[link]
        link = link[keep]
        flats.append(flat[keep])
        bits.append(b[keep])
        prios.append(prio[link] + (level[link] > 0))
        codes.append(sign[link] * (LEVELS + 1) + level[link])
    if not flats:
        return
    flat, bit, prio, code = (np.concatenate(a) for a in (flats, bits, prios, codes))
    if not flat.size:
        return
    cells = np.zeros(layout.width * layout.height, dtype=np.int64)
    np.bitwise_or.at(cells, flat, bit)
    order = np.argsort(-prio, kind="stable")
    where, first = np.unique(flat[order], return_index=True)
    for cell, c in zip(where.tolist(), code[order][first].tolist()):
        sign, level = divmod(c, LEVELS + 1)
        heavy = level >= _HEAVY_LEVEL
        ch = glyph(int(cells[cell]), heavy, pic.plain and sign == 0)
        grid[cell // width][cell % width] = (ch, _link_style(sign, level, pic.plain))


def _put(grid: Grid, x: int, y: int, text: str, style: Style | None) -> None:
    """Write `text` at (x, y), clipped to the grid."""
    if 0 <= y < len(grid):
        row = grid[y]
        for dx, ch in enumerate(text):
            if 0 <= x + dx < len(row):
                row[x + dx] = (ch, style)


_SHADE_RGB = diverging(np.arange(-SHADES, SHADES + 1) / SHADES)  # the 31 colours a tile pixel can take


def _shade(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (non-finite as 0) -> shade index 0 … 2 * SHADES."""
    v = np.asarray(values, dtype=np.float64)
    v = np.clip(np.where(np.isfinite(v), v, 0.0), -1.0, 1.0)
    return np.rint(v * SHADES).astype(np.intp) + SHADES


def _shade_style(index: int) -> Style:
    """Text in the colour of shade `index`."""
    return _ink(tuple(int(c) for c in _SHADE_RGB[index]))


def layer_tiles(plane: np.ndarray, plain: bool, tight: bool) -> list[list[list[Cell]]]:
    """Tiles of one layer, (neurons, pixel rows, w) values in [-1, 1] -> per neuron, rows of cells.

    Colour: half-block cells, two pixels each, quantised to Playground's 30 shades.  A tight tile
    has an odd number of pixel rows: its top row of cells shows only the lower pixel, the upper one
    is the blank half row between it and the tile above.  NO_COLOR: a character per cell from
    TILE_RAMP, and a tight tile's last row underlined to part it from the next."""
    shade = _shade(plane)
    n, px, w = shade.shape
    top, body = (shade[:, :1], shade[:, 1:]) if tight else (None, shade)
    if plain:
        cell = (body[:, 0::2] + body[:, 1::2]) / 2.0
        if top is not None:
            cell = np.concatenate([top, cell], axis=1)
        ramp = np.array(list(TILE_RAMP))
        chars = ramp[np.rint((cell / (2 * SHADES)) * (len(TILE_RAMP) - 1)).astype(np.intp)].tolist()
        tiles = [[[(ch, None) for ch in row] for row in tile] for tile in chars]
        if tight:
            for tile in tiles:
                tile[-1] = [(ch, _UNDERLINE) for ch, _ in tile[-1]]
        return tiles
    rows = body.shape[1] // 2
    keys = pack_pairs(_SHADE_RGB[body.reshape(n * body.shape[1], w)]).reshape(n, rows, w).tolist()
    tiles = [[[(UPPER_HALF, pair_style(k)) for k in row] for row in tile] for tile in keys]
    if top is not None:
        for tile, first in zip(tiles, top[:, 0].tolist()):
            tile.insert(0, [(LOWER_HALF, _shade_style(i)) for i in first])
    return tiles


def _box_cells(w: int, h: int, value: float | None, bias: float | None, plain: bool, mid: int, tight: bool) -> list[list[Cell]]:
    """A tile without a heatmap: one colour, by the value given (the probe's) or else the bias; text on row `mid`."""
    text = number(value, w) if value is not None else ""
    fill = value if value is not None else (math.tanh(bias) if bias is not None and math.isfinite(bias) else 0.0)
    if plain:
        if not text:
            text = "·" if bias is None else ("+" if bias > 0 else "-" if bias < 0 else "0")
        inner = w - 2 if w >= 4 else w
        line = text if len(text) <= inner else text[: max(1, inner)]
        rows = []
        for r in range(h):
            body = (line if r == mid else "").center(inner)[:inner]
            rows.append([(ch, None) for ch in ("[" + body + "]" if w >= 4 else body)])
        return rows
    rgb = tuple(int(c) for c in diverging(np.clip(fill if math.isfinite(fill) else 0.0, -1.0, 1.0)))
    style = _fill_style(rgb)
    rows = [[(" ", style)] * w for _ in range(h)]
    if tight:  # the upper half of the top row parts it from the tile above
        rows[0] = [(LOWER_HALF, _ink(rgb))] * w
    if text and len(text) <= w:
        x = (w - len(text)) // 2
        rows[mid] = [(" ", style)] * x + [(ch, style) for ch in text] + [(" ", style)] * (w - x - len(text))
    return rows


_OFF_FILL = (96, 96, 96)  # a switched-off neuron's tile: grey


def _off_cells(w: int, h: int, plain: bool, mid: int, tight: bool) -> list[list[Cell]]:
    """The tile of a neuron switched off by hand: grey (in brackets without colour), "off" on row `mid`."""
    text = "off" if w >= 3 else "×"
    if plain:
        inner = w - 2 if w >= 5 else w
        rows = [(text if r == mid else "").center(inner)[:inner] for r in range(h)]
        return [[(ch, None) for ch in ("[" + row + "]" if w >= 5 else row)] for row in rows]
    style = _fill_style(_OFF_FILL)
    rows = [[(ch, style) for ch in (text if r == mid else "").center(w)[:w]] for r in range(h)]
    if tight:
        rows[0] = [(LOWER_HALF, _ink(_OFF_FILL))] * w
    return rows


def _value_at(values: Sequence[np.ndarray] | None, layer: int, index: int) -> float | None:
    """values[layer][index] as a float, or None."""
    if values is None or layer >= len(values):
        return None
    v = np.asarray(values[layer]).reshape(-1)
    return float(v[index]) if index < v.size else None


def _paint_tiles(grid: Grid, layout: DiagramLayout, pic: Picture) -> None:
    """Each shown neuron's tile, its bias cell, the input names and the selection frame."""
    tw, th = layout.tile_w, layout.tile_h
    for layer, shown in enumerate(layout.shown):
        if layer == 0 and layout.bundle:
            _paint_bundle(grid, layout, pic)
            continue
        plane = pic.planes[layer] if pic.planes is not None and layer < len(pic.planes) else None
        tiles = layer_tiles(np.asarray(plane)[shown.start : shown.stop], pic.plain, layout.tight) if plane is not None else None
        biases = np.asarray(pic.biases[layer - 1], dtype=np.float64).reshape(-1) if 0 < layer <= len(pic.biases) else None
        for index in shown:
            x, y, _, _ = layout.tile_rect(layer, index)
            value = _value_at(pic.activations, layer, index)
            bias = float(biases[index]) if biases is not None and index < biases.size else None
            if tiles is not None and index - shown.start < len(tiles):
                cells = tiles[index - shown.start]
                if value is not None:  # the probe's value, over the tile's middle (when it fits)
                    text = number(value, tw)
                    row = cells[layout.port_offset]
                    at = (tw - len(text)) // 2
                    for k, ch in enumerate(text):
                        under = row[at + k][1]
                        bg = under.bgcolor.get_truecolor() if under is not None and under.bgcolor else None
                        row[at + k] = (ch, _fill_style(tuple(bg), True) if bg else Style(bold=True))
            else:
                cells = _box_cells(tw, th, value, bias, pic.plain, layout.port_offset, layout.tight)
            if (layer, index) in pic.off:
                cells = _off_cells(tw, th, pic.plain, layout.port_offset, layout.tight)
            for r, row in enumerate(cells):
                if 0 <= y + r < layout.height:
                    grid[y + r][x : x + tw] = row[: max(0, layout.width - x)]
            if bias is not None and th >= 2 and x >= 1 and not pic.plain:  # Playground's bias square, at the corner
                row = th - 1 if th - 1 != layout.port_offset else 0
                _put(grid, x - 1, y + row, "▪", _shade_style(int(_shade(math.tanh(bias)))))
            if layer == 0 and layout.label_width:
                name = layout.names[index] if index < len(layout.names) else f"x{index + 1}"
                if len(name) > layout.label_width:
                    name = name[: layout.label_width - 1] + "…"
                style = _SELECTED_LABEL if pic.selected == (0, index) else _LABEL
                _put(grid, x - 1 - len(name), y + layout.port_offset, name, style)


def _paint_bundle(grid: Grid, layout: DiagramLayout, pic: Picture) -> None:
    """Image inputs: one grey tile, named to its left ('image 8×8', '64 inputs')."""
    x, y, w, h = layout.tile_rect(0, 0)
    style = None if pic.plain else _fill_style(tuple(int(c) for c in NEUTRAL))
    for r in range(h):
        _put(grid, x, y + r, ("[" + " " * (w - 2) + "]" if pic.plain and w >= 3 else " " * w), style)
    style = _SELECTED_LABEL if pic.selected is not None and pic.selected[0] == 0 else _LABEL
    for k, text in enumerate(bundle_label(layout.sizes[0])):
        text = text if len(text) <= layout.label_width else text[: max(0, layout.label_width - 1)] + "…"
        if layout.label_width:
            _put(grid, x - 1 - len(text), y + (h - 1) // 2 + k, text, style if k == 0 else _MUTED)


def _paint_frame(grid: Grid, layout: DiagramLayout, pic: Picture) -> None:
    """A bright frame round the selected tile (links meet it where they enter and leave)."""
    if pic.selected is None:
        return
    rect = layout.tile_rect(*pic.selected)
    if rect is None:
        return
    x, y, w, h = rect
    style = _PLAIN_FRAME if pic.plain else _FRAME
    layer = pic.selected[0]
    port = layout.port_rows(layer)[0 if layer == 0 and layout.bundle else pic.selected[1] - layout.shown[layer].start]
    if not layout.tight:  # tight tiles have no blank row to frame them in: only the sides
        _put(grid, x - 1, y - 1, "┏" + "━" * w + "┓", style)
        _put(grid, x - 1, y + h, "┗" + "━" * w + "┛", style)
    for r in range(y, y + h):
        left_in = r == port and layer > 0
        right_out = r == port and layer + 1 < len(layout.shown)
        _put(grid, x - 1, r, "┫" if left_in else "┃", style)
        _put(grid, x + w, r, "┣" if right_out else "┃", style)


def _paint_text(grid: Grid, layout: DiagramLayout, pic: Picture) -> None:
    """The "… N more" markers, and the bottom row: the hidden layers' sizes, the layers beyond the edge."""
    for marks in layout.markers:
        for mx, my, text in marks:
            _put(grid, mx, my, text, _NOTE)
    y = layout.info_row
    if y is None:
        return
    for layer in range(1, len(layout.shown) - 1):
        lo, hi = layout.text_bounds(layer)
        n = layout.sizes[layer]
        text = next((t for t in (f"{n} neurons", str(n)) if len(t) <= hi - lo), "")
        x = max(lo, min(layout.columns[layer] + layout.tile_w // 2 - len(text) // 2, hi - len(text)))
        _put(grid, x, y, text, _MUTED)
    if layout.more_layers:
        text = f"… {layout.more_layers} more layers →"
        _put(grid, layout.width - len(text), y, text, _NOTE)


def neuron_name(sizes: Sequence[int], names: Sequence[str], layer: int, index: int) -> str:
    """A neuron as the diagram names it: an input's name ('x1'), 'layer 1 neuron 3', 'output neuron 1'."""
    if layer == 0:
        return names[index] if index < len(names) else f"input {index + 1}"
    return f"{'output' if layer == len(sizes) - 1 else f'layer {layer}'} neuron {index + 1}"


def selection_facts(layout: DiagramLayout, pic: Picture) -> str:
    """The selected neuron in words and numbers: its name, bias, the probe's value and its weights in."""
    if pic.selected is None or not 0 <= pic.selected[0] < len(layout.sizes):
        return ""
    layer, index = pic.selected
    name = neuron_name(layout.sizes, layout.names, layer, index)
    parts = [f"input {name}" if layer == 0 and index < len(layout.names) else name]
    if (layer, index) in pic.off:
        parts.append("off (z: on)")
    if 0 < layer <= len(pic.biases):
        parts.append(f"bias {number(float(np.asarray(pic.biases[layer - 1]).reshape(-1)[index]))}")
    value = _value_at(pic.activations, layer, index)
    if value is not None:
        parts.append(f"value {number(value)}")
    if 0 < layer <= len(pic.weights) and not (layer == 1 and layout.bundle):
        w_in = np.asarray(pic.weights[layer - 1])[:, index]
        parts.append("w in " + " ".join(number(float(v)) for v in w_in[:16]) + (" …" if len(w_in) > 16 else ""))
    return " · ".join(parts)


def paint(layout: DiagramLayout, pic: Picture) -> Grid:
    """The character grid (rows of (char, style)) of the diagram."""
    grid: Grid = [[(" ", None)] * layout.width for _ in range(layout.height)]
    if not layout.shown:
        return grid
    _paint_links(grid, layout, pic)
    _paint_tiles(grid, layout, pic)
    _paint_frame(grid, layout, pic)
    _paint_text(grid, layout, pic)
    return grid


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
