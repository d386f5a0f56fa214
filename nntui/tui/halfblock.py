"""Half-block painting shared by the pixel widgets: two vertical pixels per terminal cell."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

UPPER_HALF = "▀"  # foreground paints the upper pixel, background the lower one
GLYPH_SHIFT = 48  # a packed key's bits from here on pick the cell's character (0: the half block)
_RGB_PAIR = (1 << GLYPH_SHIFT) - 1
PLAIN = Style()  # style of uncoloured text: never None, Textual's NO_COLOR filter needs a Style


def blend(rgb: np.ndarray, target: tuple[int, int, int], amount: np.ndarray | float) -> np.ndarray:
    """Blend colours (..., 3) towards `target` by `amount` in [0, 1] (broadcast); returns uint8."""
    rgb = np.asarray(rgb, dtype=np.float64)
    t = np.clip(np.asarray(amount, dtype=np.float64), 0.0, 1.0)
    if t.ndim:
        t = t[..., None]
    out = rgb + (np.asarray(target, dtype=np.float64) - rgb) * t
    return out.round().astype(np.uint8)


def pack_pairs(pixels: np.ndarray) -> np.ndarray:
    """(2H, W, 3) uint8 pixels -> (H, W) int64 keys packing the (upper rgb, lower rgb) pair of each cell."""
    p = np.asarray(pixels, dtype=np.uint8)
    if p.shape[0] % 2:
        p = np.concatenate([p, p[-1:]], axis=0)  # odd height: repeat the last pixel row
    rgb = p.astype(np.int64)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]  # (2H, W)
    return (packed[0::2] << 24) | packed[1::2]


@lru_cache(maxsize=4096)
def _color(packed: int) -> Color:
    """Rich truecolor for a packed 0xRRGGBB value."""
    return Color.from_rgb(packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF)


@lru_cache(maxsize=8192)
def pair_style(key: int) -> Style:
    """Style for a packed (upper, lower) colour pair: fg = upper pixel, bg = lower pixel (glyph bits ignored)."""
    return Style(color=_color((key & _RGB_PAIR) >> 24), bgcolor=_color(key & 0xFFFFFF))


@lru_cache(maxsize=16384)
def _run_segment(key: int, length: int, char: str) -> Segment:
    """A run of `length` identical half-block cells."""
    return Segment(char * length, pair_style(key))


def keys_to_strip(row: np.ndarray, char: str = UPPER_HALF) -> Strip:
    """One row of packed pair keys (W,) -> a Strip with one Segment per run of identical pairs.

    A key's bits from GLYPH_SHIFT on index into `char` (fg then colours that glyph, bg the cell
    behind it): keys_to_strip(row, "▀●") draws cells keyed 1 << GLYPH_SHIFT | … as ●.
    """
    width = int(row.shape[0])
    if width == 0:
        return Strip([], 0)
    cuts = (np.flatnonzero(row[1:] != row[:-1]) + 1).tolist()
    starts = [0, *cuts]
    ends = [*cuts, width]
    keys = row[starts].tolist()
    return Strip([_run_segment(k, e - s, char[k >> GLYPH_SHIFT]) for k, s, e in zip(keys, starts, ends)], width)


def pixels_to_strips(pixels: np.ndarray, char: str = UPPER_HALF) -> list[Strip]:
    """Turn a (2H, W, 3) uint8 pixel array into H Strips of half-block cells."""
    return [keys_to_strip(row, char) for row in pack_pairs(pixels)]


def text_strip(text: str, style: Style | None = None) -> Strip:
    """A Strip holding plain (single-width) text in one style (PLAIN when None)."""
    return Strip([Segment(text, style or PLAIN)] if text else [], len(text))


def chars_to_strips(chars: np.ndarray) -> list[Strip]:
    """(H, W) array of single characters -> H unstyled Strips (NO_COLOR rendering)."""
    return [text_strip("".join(row.tolist())) for row in np.asarray(chars)]


def overlay_cell(strip: Strip, x: int, text: str, style: Style | None = None) -> Strip:
    """Return `strip` with the cells from x replaced by `text` (clipped to the strip)."""
    width = strip.cell_length
    if x < 0 or x >= width or not text:
        return strip
    text = text[: width - x]
    return Strip.join([strip.crop(0, x), text_strip(text, style), strip.crop(x + len(text), width)])


def contrast_color(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever stands out more against `rgb`."""
    r, g, b = rgb
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def ramp_index(values: np.ndarray, ramp_length: int) -> np.ndarray:
    """Map values in [-1, 1] (non-finite as 0) to integer indices into a ramp of `ramp_length`."""
    v = np.asarray(values, dtype=np.float64)
    v = np.clip(np.where(np.isfinite(v), v, 0.0), -1.0, 1.0)
    return np.rint((v + 1.0) / 2.0 * (ramp_length - 1)).astype(np.intp)
