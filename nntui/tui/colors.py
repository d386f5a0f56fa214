"""Colours shared by the panels: TensorFlow Playground's orange (negative) and blue (positive)."""

from __future__ import annotations

import os

import numpy as np

NEGATIVE = (245, 147, 34)  # #f59322, Playground's orange: negative weights, class 0 / label −1
POSITIVE = (8, 119, 189)  # #0877bd, Playground's blue: positive weights, class 1 / label +1
NEUTRAL = (232, 234, 235)  # #e8eaeb, the white in between

# Class colours for multi-class data (class 0 and 1 keep Playground's orange and blue).
CLASS_COLORS = [NEGATIVE, POSITIVE, (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
                (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
CLASS_COLOR_NAMES = ("orange", "blue", "green", "red", "purple", "brown", "pink", "grey", "olive", "cyan")

CHAR_RAMP = " .:-=+*#%@"  # for NO_COLOR terminals: low to high


def no_color() -> bool:
    """True when the user asked for no colour (https://no-color.org)."""
    return bool(os.environ.get("NO_COLOR"))


def hex_color(rgb) -> str:
    """(r, g, b) -> '#rrggbb'."""
    r, g, b = (int(c) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def diverging(values: np.ndarray) -> np.ndarray:
    """Map values in [-1, 1] to colours orange (−1) – white (0) – blue (+1); shape (..., 3) uint8."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), -1.0, 1.0)[..., None]
    neutral, neg, pos = (np.array(c, dtype=np.float64) for c in (NEUTRAL, NEGATIVE, POSITIVE))
    rgb = np.where(v < 0, neutral + (neg - neutral) * -v, neutral + (pos - neutral) * v)
    return rgb.round().astype(np.uint8)
