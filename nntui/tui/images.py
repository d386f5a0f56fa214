"""Image data on screen: samples as grey half-block pictures, weights as orange/blue ones.

Shared by the test digits, the first layer's weight images and the inspector's sample.  A
``Canvas`` places images (two pixels per terminal cell, one above the other) and text on a
block of cells and turns it into Strips in one pass; without colour each cell is a character
of CHAR_RAMP instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from nntui.datasets import Dataset
from nntui.tui.colors import CHAR_RAMP, diverging
from nntui.tui.halfblock import UPPER_HALF, overlay_cell, pack_pairs, pair_style, ramp_index

TILE_SIDE = 14  # small images are shrunk until no side is longer than this (a 28×28 image to 14×14)
SHADES = 16  # colour steps per sign: few distinct colours keep the style cache warm from frame to frame
BLANK = -1  # the key of a cell no image covers
WEIGHT_RAMP = "=- +#"  # NO_COLOR weights: − strong and weak, 0 blank, + weak and strong


@dataclass(frozen=True, eq=False)
class ImageData:
    """How the network's inputs map back to pictures: their shape and the raw pixel range."""

    shape: tuple[int, int]  # (height, width)
    low: float  # the darkest and brightest raw pixel values of the training set
    high: float
    mean: np.ndarray | None  # --standardize: inputs are (raw − mean) / std
    std: np.ndarray | None
    class_names: tuple[str, ...]

    @classmethod
    def of(cls, data: Dataset) -> ImageData | None:
        """The image description of a dataset of pictures, or None for any other data."""
        if data.image_shape is None or data.is_2d:
            return None
        h, w = data.image_shape
        if h * w != data.n_inputs:
            return None
        lows, highs = data.x_train.min(axis=0), data.x_train.max(axis=0)  # per column, then un-standardized
        if data.mean is not None and data.std is not None:
            lows, highs = lows * data.std + data.mean, highs * data.std + data.mean
        return cls((h, w), float(lows.min()), float(highs.max()), data.mean, data.std, data.class_names)

    def grey(self, x: np.ndarray) -> np.ndarray:
        """Network inputs (n, h·w) -> pictures (n, h, w) in [0, 1], 0 the darkest raw pixel value."""
        raw = np.asarray(x, dtype=np.float64).reshape(-1, self.shape[0] * self.shape[1])
        if self.mean is not None and self.std is not None:
            raw = raw * self.std + self.mean
        span = self.high - self.low
        scaled = (raw - self.low) / span if span > 0 else np.zeros_like(raw)
        return np.clip(np.nan_to_num(scaled), 0.0, 1.0).reshape(-1, *self.shape)


SCALE_PERCENTILE = 95  # a weight image's full colour: this percentile of its |w| (the few above saturate)


def weight_images(W: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A weight matrix (h·w, n) -> n images (n, h, w) in [-1, 1], each on its own scale.

    Per neuron, so that every neuron's pattern shows whatever its size (one neuron's large
    weights would wash out all the others on a common scale); and to the 95th percentile of its
    |w| rather than the largest, so that a stray weight (a pixel that is nearly always blank and
    keeps its initial weight) does not wash out the pattern.  0 stays white."""
    images = np.nan_to_num(np.asarray(W, dtype=np.float64)).T.reshape(-1, *shape)
    scale = np.percentile(np.abs(images), SCALE_PERCENTILE, axis=(1, 2), keepdims=True)
    return np.clip(images / np.where(scale > 0, scale, 1.0), -1.0, 1.0)


def resize(images: np.ndarray, factor: int) -> np.ndarray:
    """Images (..., h, w) enlarged by `factor` (each pixel a factor×factor block) when positive, or
    shrunk by −factor (the mean of each block; edges padded with their last pixels) when negative."""
    if factor >= 1:
        return np.repeat(np.repeat(images, factor, axis=-2), factor, axis=-1)
    d = -factor
    h, w = images.shape[-2:]
    pad = [(0, 0)] * (images.ndim - 2) + [(0, -h % d), (0, -w % d)]
    padded = np.pad(images, pad, mode="edge")
    H, W = padded.shape[-2] // d, padded.shape[-1] // d
    return padded.reshape(*padded.shape[:-2], H, d, W, d).mean(axis=(-3, -1))


def fit_factor(shape: tuple[int, int], cols: int, rows: int, most: int = 8) -> int | None:
    """The `resize` factor that makes an image of `shape` as large as fits in cols × rows cells
    (at most `most` times), or None if not even one pixel would fit."""
    h, w = shape
    if cols < 1 or rows < 1:
        return None
    up = min(most, cols // w, (2 * rows) // h)
    if up >= 1:
        return up
    down = max(-(-w // cols), -(-h // (2 * rows)))
    return -down


def tile_factor(shape: tuple[int, int]) -> int:
    """The `resize` factor for a small image: shrunk until no side is longer than TILE_SIDE."""
    return -max(1, -(-max(shape) // TILE_SIDE))


def sized(shape: tuple[int, int], factor: int) -> tuple[int, int]:
    """(height, width) in pixels of an image of `shape` after `resize` by `factor`."""
    h, w = shape
    if factor >= 1:
        return h * factor, w * factor
    return -(-h // -factor), -(-w // -factor)


def grey_colors(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] -> grey levels (..., 3) uint8, black at −1 and white at +1."""
    level = np.rint((np.clip(np.nan_to_num(values), -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=-1)


def quantised_diverging(values: np.ndarray) -> np.ndarray:
    """Playground's orange (−1), white (0), blue (+1) in SHADES steps per sign."""
    return diverging(np.rint(np.clip(np.nan_to_num(values), -1.0, 1.0) * SHADES) / SHADES)


def rgb_of(color: Color | None, default: tuple[int, int, int] = (0, 0, 0)) -> tuple[int, int, int]:
    """A Rich colour as (r, g, b), or `default` when it has none."""
    if color is None:
        return default
    triplet = color.get_truecolor()
    return triplet.red, triplet.green, triplet.blue


class Canvas:
    """A block of cells holding images and text, turned into Strips at once.

    Images are given as values in [-1, 1] with a palette (values -> (…, 3) uint8 colours); with
    `plain` (NO_COLOR) each cell shows the ramp character of its two pixels' mean instead.
    Cells no image covers are blank in the base style."""

    def __init__(self, cols: int, rows: int, base: Style, plain: bool) -> None:
        self.cols, self.rows, self.base, self.plain = max(cols, 0), max(rows, 0), base, plain
        background = rgb_of(base.bgcolor)
        self.pixels = np.empty((2 * self.rows, self.cols, 3), dtype=np.uint8)
        self.pixels[...] = background
        self.covered = np.zeros((self.rows, self.cols), dtype=bool)
        self.chars = np.full((self.rows, self.cols), " ", dtype="<U1")
        self.texts: list[tuple[int, int, str, Style | None]] = []

    def image(self, x: int, y: int, values: np.ndarray, palette, ramp: str = CHAR_RAMP) -> None:
        """Put an image (h, w) of values in [-1, 1] with its top-left corner at cell (x, y): its
        colours from `palette`, or without colour, the characters of `ramp` (from −1 to +1)."""
        values = np.asarray(values, dtype=np.float64)
        h, w = values.shape
        rows = min(-(-h // 2), self.rows - y)
        w = min(w, self.cols - x)
        if x < 0 or y < 0 or rows <= 0 or w <= 0:
            return
        values = values[: 2 * rows, :w]
        if self.plain:
            pairs = values if len(values) % 2 == 0 else np.concatenate([values, values[-1:]])
            cells = (pairs[0::2] + pairs[1::2]) / 2.0
            self.chars[y : y + rows, x : x + w] = np.array(list(ramp))[ramp_index(cells, len(ramp))]
        else:
            self.pixels[2 * y : 2 * y + len(values), x : x + w] = palette(values)
        self.covered[y : y + rows, x : x + w] = True

    def text(self, x: int, y: int, text: str, style: Style | None = None) -> None:
        """Write text from cell (x, y) (clipped at the right edge)."""
        if 0 <= y < self.rows and text:
            self.texts.append((x, y, text, style))

    def strips(self) -> list[Strip]:
        """One Strip per row."""
        if self.plain:
            lines = ["".join(row.tolist()) for row in self.chars]
            strips = [Strip([Segment(line, self.base)], self.cols) if line else Strip([], 0) for line in lines]
        else:
            keys = np.where(self.covered, pack_pairs(self.pixels), BLANK) if self.rows else np.zeros((0, 0))
            strips = [self._row(row) for row in keys]
        for x, y, text, style in self.texts:
            strips[y] = overlay_cell(strips[y], x, text, self.base + style if style else self.base)
        return strips

    def _row(self, keys: np.ndarray) -> Strip:
        """One row of pair keys: runs of half-blocks, blanks where no image is."""
        if not len(keys):
            return Strip([], 0)
        cuts = (np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist()
        starts, ends = [0, *cuts], [*cuts, len(keys)]
        segments = []
        for key, start, end in zip(keys[starts].tolist(), starts, ends):
            if key == BLANK:
                segments.append(Segment(" " * (end - start), self.base))
            else:
                segments.append(Segment(UPPER_HALF * (end - start), pair_style(key)))
        return Strip(segments, self.cols)
