"""Links between two columns of neuron tiles, routed so that each can be followed.

A link leaves its source tile on the right edge, runs along the source's row into the routing
channel between the columns, turns down (or up) in a lane of its own, and runs along the
target's row into the target tile on its left edge.  The lane depends on how far the link
climbs or falls: a short hop turns near the source, a long one near the target, so the links
into one neuron nest without crossing and the links out of one neuron cross at right angles.
Every cell records which ways its lines go (bits N E S W); cells where lines meet become
box-drawing junctions (┬ ┤ ┼).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N, E, S, W = 1, 2, 4, 8

# Box-drawing glyph for each combination of directions (light, rounded corners; and heavy).
_LIGHT = {0: " ", N: "│", S: "│", E: "─", W: "─", N | S: "│", E | W: "─", E | S: "╭", S | W: "╮", N | E: "╰",
          N | W: "╯", N | E | S: "├", N | S | W: "┤", E | S | W: "┬", N | E | W: "┴", N | E | S | W: "┼"}
_HEAVY = {0: " ", N: "┃", S: "┃", E: "━", W: "━", N | S: "┃", E | W: "━", E | S: "┏", S | W: "┓", N | E: "┗",
          N | W: "┛", N | E | S: "┣", N | S | W: "┫", E | S | W: "┳", N | E | W: "┻", N | E | S | W: "╋"}
# NO_COLOR: straight runs of a negative link are dashed, so the sign reads without colour.
_DASHED = {N | S: "╎", E | W: "╌", N: "╎", S: "╎", E: "╌", W: "╌"}
_HEAVY_DASHED = {N | S: "╏", E | W: "╍", N: "╏", S: "╏", E: "╍", W: "╍"}


def glyph(bits: int, heavy: bool, dashed: bool) -> str:
    """The box-drawing character for a cell whose lines go the ways in `bits`."""
    if dashed:
        table = _HEAVY_DASHED if heavy else _DASHED
        if bits in table:
            return table[bits]
    return (_HEAVY if heavy else _LIGHT)[bits]


@dataclass(frozen=True)
class Channel:
    """The links between the tiles of one layer (exits at x0) and the next (entries at x1)."""

    x0: int  # first column right of the source tiles
    x1: int  # last column left of the target tiles
    sources: tuple[int, ...]  # row where each shown source's links leave
    targets: tuple[int, ...]  # row where each shown target's links enter

    @property
    def lanes(self) -> tuple[int, ...]:
        """Columns where links may turn: between the one-cell stubs at both ends when there is room."""
        if self.x1 - self.x0 >= 2:
            return tuple(range(self.x0 + 1, self.x1))
        return (self.x0,)

    def lane(self, i: int, j: int) -> int:
        """The column where the link from source i to target j turns (further right the further it goes)."""
        lanes = self.lanes
        span = max((abs(s - t) for s in self.sources for t in self.targets), default=0)
        d = abs(self.sources[i] - self.targets[j])
        if span == 0 or len(lanes) == 1:
            return lanes[len(lanes) // 2]
        return lanes[round(d / span * (len(lanes) - 1))]

    def route(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cells (xs, ys, direction bits) of the link from source i to target j."""
        ys, yt = self.sources[i], self.targets[j]
        x = self.lane(i, j)
        cells: list[tuple[int, int, int]] = [(cx, ys, E | W) for cx in range(self.x0, x)]
        turn = 0 if yt == ys else (S if yt > ys else N)
        if turn:
            back = N if turn == S else S
            cells.append((x, ys, W | turn))
            step = 1 if yt > ys else -1
            cells.extend((x, cy, N | S) for cy in range(ys + step, yt, step))
            cells.append((x, yt, back | E))
        else:
            cells.append((x, ys, E | W))
        cells.extend((cx, yt, E | W) for cx in range(x + 1, self.x1 + 1))
        xs, rows, bits = (np.array(c, dtype=np.int64) for c in zip(*cells))
        return xs, rows, bits
