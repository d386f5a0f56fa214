"""Rows of test pictures (the 8×8 digits, or any grey images) in half-block pixels, each with the network's prediction underneath."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from nntui.tui.colors import no_color
from nntui.tui.images import Canvas, grey_colors, resize, tile_factor

GAP = 1  # blank columns between pictures and blank rows between bands

CORRECT = Style(color="green", bold=True)
WRONG = Style(color="red", bold=True)


def digit_label(true: str, predicted: str) -> str:
    """Label under a digit: the prediction, ticked if right, else crossed with the true label in brackets."""
    return f"{predicted} ✓" if true == predicted else f"{predicted} ✗({true})"


class DigitsView(Widget, can_focus=False):
    """Test digits drawn in half-blocks, with the predicted label under each (green right, red wrong)."""

    DEFAULT_CSS = """
    DigitsView {
        width: 1fr;
        height: auto;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.no_color = no_color()
        self._images = np.zeros((0, 8, 8))  # (n, h, w) in [0, 1], as drawn (large pictures shrunk)
        self._true = np.zeros(0, dtype=np.int64)
        self._predicted = np.zeros(0, dtype=np.int64)
        self._names: tuple[str, ...] = ()
        self._lines: list[Strip] | None = None
        self._lines_size: Size | None = None

    @property
    def count(self) -> int:
        """Number of digits held (not all may fit)."""
        return len(self._images)

    @property
    def tile(self) -> tuple[int, int]:
        """(rows, cols) of cells of one picture."""
        h, w = self._images.shape[1:]
        return -(-h // 2), w

    def set_digits(self, images: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                   names: Sequence[str] = ()) -> None:
        """Show these pictures: images (n, h, w) in [0, 1] ((n, 64): 8×8), true and predicted classes
        (n,), and the class names (default: the class numbers)."""
        imgs = np.asarray(images, dtype=np.float64)
        if imgs.ndim == 2:
            side = int(round(np.sqrt(imgs.shape[1])))
            imgs = imgs.reshape(-1, side, side)
        imgs = resize(imgs, tile_factor(imgs.shape[1:]))
        true = np.asarray(true).reshape(-1).astype(np.int64)
        predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
        n = min(len(imgs), len(true), len(predicted))
        if (np.array_equal(predicted[:n], self._predicted) and np.array_equal(true[:n], self._true)
                and tuple(names) == self._names and np.array_equal(imgs[:n], self._images)):
            return  # the same pictures and predictions as the last frame
        same_layout = n == len(self._images) and imgs.shape[1:] == self._images.shape[1:]
        self._images = np.clip(np.where(np.isfinite(imgs[:n]), imgs[:n], 0.0), 0.0, 1.0)
        self._true, self._predicted, self._names = true[:n], predicted[:n], tuple(names)
        self._lines = None
        self.refresh(layout=not same_layout)  # the height depends only on how many pictures and their size

    def _class_name(self, k: int) -> str:
        return self._names[k] if 0 <= k < len(self._names) else str(k)

    def per_row(self, width: int) -> int:
        """How many pictures fit side by side in `width` cells (at least one)."""
        return max(1, (width + GAP) // (self.tile[1] + GAP))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """Width of all pictures side by side, up to the container."""
        cols = self.tile[1]
        return min(container.width, max(cols, self.count * (cols + GAP) - GAP))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Height of the bands needed to show every picture at this width."""
        bands = max(1, -(-self.count // self.per_row(width)))
        return bands * (self.tile[0] + 1 + GAP) - GAP

    def notify_style_update(self) -> None:
        """Drop cached rows: labels and blanks use the widget's own style."""
        super().notify_style_update()
        self._lines = None

    def render_line(self, y: int) -> Strip:
        """One terminal row of the bands of pictures."""
        if self._lines is None or self._lines_size != self.size:
            self._lines = self._build(self.size.width, self.size.height)
            self._lines_size = self.size
        if y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _build(self, width: int, height: int) -> list[Strip]:
        """All rows of the view for this size: each band the pictures, then their labels."""
        if width <= 0 or height <= 0 or not self.count:
            return []
        rows, cols = self.tile
        per_row = self.per_row(width)
        band = rows + 1 + GAP
        canvas = Canvas(width, height, self.rich_style, self.no_color)
        shown = min(self.count, per_row * max(1, (height + GAP) // band))
        for i in range(shown):
            x, y = (i % per_row) * (cols + GAP), (i // per_row) * band
            canvas.image(x, y, self._images[i] * 2.0 - 1.0, grey_colors)
            true, predicted = self._class_name(int(self._true[i])), self._class_name(int(self._predicted[i]))
            style = None if self.no_color else (CORRECT if true == predicted else WRONG)
            canvas.text(x, y + rows, digit_label(true, predicted)[:cols].center(cols), style)
        return canvas.strips()
