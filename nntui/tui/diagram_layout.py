"""Where the network diagram puts things: a tile per neuron in columns, routing channels between them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from nntui.tui.link_routing import Channel

# Tile sizes (columns, rows, tight), largest first: Playground's 10 × 10 pixels (two a cell, one
# above the other), its 6 × 6 when short of room, then smaller.  Tiles are a blank row apart, or
# when `tight` half a row: the tile's top pixel row is left blank.  A one-row tile is a box of two pixels.
TIERS = ((10, 5, False), (8, 4, False), (6, 3, False), (6, 3, True), (4, 2, True), (4, 1, False), (3, 1, False),
         (2, 1, False), (4, 1, True), (3, 1, True), (2, 1, True), (1, 1, True))
BUNDLE_MIN = 13  # an input layer this wide (an image) is one tile with one bundle of links


def _fit(texts: Sequence[str], width: int) -> str:
    """The first of `texts` that fits in `width` cells, or ''."""
    for text in texts:
        if len(text) <= width:
            return text
    return ""


def bundle_label(n: int) -> tuple[str, str]:
    """Two lines naming an input layer drawn as one tile: ('image 8×8', '64 inputs')."""
    side = math.isqrt(n)
    return (f"image {side}×{side}" if side * side == n else "inputs", f"{n} inputs")


@dataclass
class DiagramLayout:
    """Tile positions, collapse markers and link channels for one widget size (no weights needed)."""

    width: int
    height: int
    sizes: tuple[int, ...]
    names: tuple[str, ...]
    starts: tuple[int, ...]  # first neuron shown, per layer (a window onto a layer taller than the panel)
    tile_w: int = 1
    tile_h: int = 1
    tight: bool = False  # tiles half a row apart (their top pixel row blank) rather than a row
    label_width: int = 0  # cells left of the input tiles for their names
    bundle: bool = False  # the input layer is one tile (an image) with one bundle of links
    columns: list[int] = field(default_factory=list)  # left x of each drawn layer's tiles
    shown: list[range] = field(default_factory=list)  # neuron indices shown, per drawn layer
    tops: list[list[int]] = field(default_factory=list)  # top row of each shown tile
    markers: list[list[tuple[int, int, str]]] = field(default_factory=list)  # (x, y, "… N more") per layer
    channels: list[Channel] = field(default_factory=list)  # links between drawn layer l and l + 1
    info_row: int | None = None  # bottom row: the hidden layers' sizes, the layers beyond the edge
    more_layers: int = 0  # layers beyond the right edge
    cache: dict = field(default_factory=dict, repr=False)  # the painter's routes for this layout

    @classmethod
    def build(
        cls, width: int, height: int, sizes: Sequence[int], names: Sequence[str], starts: Sequence[int] = ()
    ) -> DiagramLayout:
        """Pick the largest tiles that fit, then place columns, tiles, markers and channels."""
        width, height = max(0, int(width)), max(0, int(height))
        sizes = tuple(max(0, int(n)) for n in sizes)
        starts = tuple(int(s) for s in starts) + (0,) * max(0, len(sizes) - len(starts))
        layout = cls(width, height, sizes, tuple(str(s) for s in names), starts[: len(sizes)])
        if not sizes or not width or not height:
            return layout
        layout.bundle = sizes[0] >= BUNDLE_MIN

        # Input names left of the input tiles.
        if layout.bundle:
            longest = max(len(t) for t in bundle_label(sizes[0]))
        else:
            longest = max((len(s) for s in layout.names[: sizes[0]]), default=0)
        label_width = min(longest, width // 5)
        layout.label_width = label_width if label_width >= min(longest, 2) else 0
        left = layout.label_width + 1 if layout.label_width else 0

        # The largest tiles with which every neuron fits, else the largest that fit across (collapsing).
        tallest = max([1] + [n for n in sizes[layout.bundle :]])
        n_cols = len(sizes)
        for cols in range(n_cols, 0, -1):
            fitting = [t for t in TIERS if left + cols * t[0] + (cols - 1) * (3 if t[1] > 1 else 2) <= width]
            if fitting:
                break
        else:
            return layout

        def fits(t: tuple[int, int, bool], rows: int) -> bool:
            """Whether the tallest layer's tiles of size t fit in `rows`."""
            return tallest * (t[1] + (not t[2])) - (not t[2]) <= rows

        # The bottom row names the layers' sizes, unless it costs tile size (it always counts layers left out).
        tile = next((t for t in fitting if fits(t, height)), None)
        if tile is None:  # some layer collapses anyway: as many as fit, in the widest one-row tiles
            tile = next(t for t in fitting if t[1] == 1 and t[2])
        layout.more_layers = n_cols - cols
        if (height >= 6 and (fits(tile, height - 1) or not fits(tile, height))) or (layout.more_layers and height >= 2):
            layout.info_row = height - 1
        usable = height - (layout.info_row is not None)
        layout.tile_w, layout.tile_h, layout.tight = tw, th, tight = tile

        # Columns: channels share the room left, up to two lanes per neuron plus the stubs.
        if cols > 1:
            widest = max(sizes[layout.bundle : cols] or [1])
            gap = min((width - left - cols * tw) // (cols - 1), 2 * widest + 4)
            spare = width - left - cols * tw - (cols - 1) * gap
            x = left + spare // 2
        else:
            gap, x = 0, left
        for _ in range(cols):
            layout.columns.append(x)
            x += tw + gap

        # Rows: every tile a blank row apart, centred; a layer too tall shows a window with markers.
        stride = th + (not tight)
        for l in range(cols):
            n = sizes[l]
            lo, hi = layout.text_bounds(l)
            if l == 0 and layout.bundle:
                layout.shown.append(range(n))
                layout.tops.append([(usable - layout.bundle_height) // 2])
                layout.markers.append([])
                continue
            start, k, above, below = _window(n, layout.starts[l], usable, stride, tight)
            layout.shown.append(range(start, start + k))
            used = above + k * stride - (not tight) + below
            top = (usable - used) // 2 + above
            layout.tops.append([top + t * stride for t in range(k)])
            marks = []
            below_y = top + k * stride - (not tight)
            for flag, y, count, arrow in ((above, top - 1, start, "↑"), (below, below_y, n - start - k, "↓")):
                if flag:
                    texts = (f"… {count} more {arrow}", f"{arrow} {count} more", f"{arrow}{count} more", f"{arrow}{count}")
                    text = _fit(texts, hi - lo)
                    marks.append((max(lo, min(layout.columns[l], hi - len(text))), y, text))
            layout.markers.append(marks)

        # Channels: exits and entries at each tile's middle row.
        for l in range(cols - 1):
            x0 = layout.columns[l] + tw
            x1 = layout.columns[l + 1] - 1
            layout.channels.append(Channel(x0, x1, tuple(layout.port_rows(l)), tuple(layout.port_rows(l + 1))))
        return layout

    def port_rows(self, layer: int) -> list[int]:
        """The row where links leave and enter each shown tile of `layer` (its middle row)."""
        if layer == 0 and self.bundle:
            top = self.tops[0][0]
            return [top + self.bundle_height // 2]
        return [y + self.port_offset for y in self.tops[layer]]

    @property
    def tile_pixels(self) -> int:
        """Pixel rows of heatmap in a tile (two a row, less the blank one on top of a tight tile)."""
        return 2 * self.tile_h - self.tight

    @property
    def port_offset(self) -> int:
        """The row of a tile where its links leave and enter: the middle of its pixels."""
        return self.tile_h // 2 if self.tight else (self.tile_h - 1) // 2

    @property
    def bundle_height(self) -> int:
        """Rows of the input tile when the inputs are one bundle."""
        usable = self.height - (self.info_row is not None)
        return min(usable, max(self.tile_h, 3))

    def tile_rect(self, layer: int, index: int) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) of neuron `index`'s tile, or None when it is not drawn."""
        if not 0 <= layer < len(self.shown):
            return None
        if layer == 0 and self.bundle:
            return (self.columns[0], self.tops[0][0], self.tile_w, self.bundle_height) if 0 <= index < self.sizes[0] else None
        shown = self.shown[layer]
        if index not in shown:
            return None
        return self.columns[layer], self.tops[layer][index - shown.start], self.tile_w, self.tile_h

    def neuron_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The (layer, index) whose tile (or input name) covers cell (x, y), else None."""
        for layer, shown in enumerate(self.shown):
            left = self.columns[layer]
            lo = 0 if layer == 0 and self.label_width else left
            if not lo <= x < left + self.tile_w:
                continue
            if layer == 0 and self.bundle:
                top = self.tops[0][0]
                return (0, 0) if top <= y < top + self.bundle_height else None
            for index, top in zip(shown, self.tops[layer]):
                if top <= y < top + self.tile_h:
                    return layer, index
        return None

    def text_bounds(self, layer: int) -> tuple[int, int]:
        """Horizontal room [lo, hi) for text under column `layer`: half of the channel on each side."""
        cols, tw = self.columns, self.tile_w
        lo = (cols[layer - 1] + tw + cols[layer]) // 2 if layer > 0 else 0
        hi = (cols[layer] + tw + cols[layer + 1]) // 2 - 1 if layer + 1 < len(cols) else self.width
        return max(0, lo), max(0, min(self.width, hi))


def _window(n: int, start: int, usable: int, stride: int, tight: bool) -> tuple[int, int, bool, bool]:
    """(first shown, how many, marker above?, marker below?) for a layer of n tiles in `usable` rows."""
    gap = 0 if tight else 1
    if n * stride - gap <= usable:
        return 0, n, False, False
    one = max(1, (usable - 1 + gap) // stride)  # with one marker row
    two = max(1, (usable - 2 + gap) // stride)  # with two
    if start <= 0:
        return 0, one, False, True
    if start + one >= n:
        return n - one, one, True, False
    return start, two, True, True
