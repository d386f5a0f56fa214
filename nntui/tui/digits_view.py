"""A row (or rows) of 8×8 test digits in half-block pixels, each with the network's prediction underneath."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from nntui.tui.colors import CHAR_RAMP, no_color
from nntui.tui.halfblock import pixels_to_strips, ramp_index, text_strip

DIGIT_SIDE = 8  # pixels per side of one digit image
DIGIT_ROWS = DIGIT_SIDE // 2  # terminal rows of one digit image
GAP = 1  # blank columns between digits and blank rows between bands
STRIDE_X = DIGIT_SIDE + GAP
BAND_ROWS = DIGIT_ROWS + 1  # image rows + the label row

CORRECT = Style(color="green", bold=True)
WRONG = Style(color="red", bold=True)


def digit_label(true: int, predicted: int) -> str:
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
        self._images = np.zeros((0, DIGIT_SIDE, DIGIT_SIDE))
        self._true = np.zeros(0, dtype=np.int64)
        self._predicted = np.zeros(0, dtype=np.int64)
        self._lines: list[Strip] | None = None
        self._lines_size: Size | None = None

    @property
    def count(self) -> int:
        """Number of digits held (not all may fit)."""
        return len(self._images)

    def set_digits(self, images: np.ndarray, true: np.ndarray, predicted: np.ndarray) -> None:
        """Show these digits: images (n, 64) in [0, 1], true and predicted labels (n,)."""
        imgs = np.asarray(images, dtype=np.float64).reshape(-1, DIGIT_SIDE, DIGIT_SIDE)
        true = np.asarray(true).reshape(-1).astype(np.int64)
        predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
        n = min(len(imgs), len(true), len(predicted))
        same_count = n == len(self._images)
        self._images = np.clip(np.where(np.isfinite(imgs[:n]), imgs[:n], 0.0), 0.0, 1.0)
        self._true, self._predicted = true[:n], predicted[:n]
        self._lines = None
        self.refresh(layout=not same_count)  # the height depends only on how many digits

    def per_row(self, width: int) -> int:
        """How many digits fit side by side in `width` cells (at least one)."""
        return max(1, (width + GAP) // STRIDE_X)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """Width of all digits side by side, up to the container."""
        return min(container.width, max(DIGIT_SIDE, self.count * STRIDE_X - GAP))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Height of the bands needed to show every digit at this width."""
        bands = max(1, -(-self.count // self.per_row(width)))
        return bands * (BAND_ROWS + GAP) - GAP

    def notify_style_update(self) -> None:
        """Drop cached rows: labels and blanks use the widget's own style."""
        super().notify_style_update()
        self._lines = None

    def render_line(self, y: int) -> Strip:
        """One terminal row of the digit bands."""
        if self._lines is None or self._lines_size != self.size:
            self._lines = self._build(self.size.width, self.size.height)
            self._lines_size = self.size
        if y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _digit_strips(self, image: np.ndarray) -> list[Strip]:
        """The DIGIT_ROWS strips of one 8×8 image: grey ramp on black, or CHAR_RAMP without colour."""
        if self.no_color:
            cells = (image[0::2] + image[1::2]) / 2.0  # (4, 8) in [0, 1]
            ramp = np.array(list(CHAR_RAMP))[ramp_index(cells * 2.0 - 1.0, len(CHAR_RAMP))]
            return [text_strip("".join(row.tolist()), self.rich_style) for row in ramp]
        grey = (image * 255.0).round().astype(np.uint8)
        return pixels_to_strips(np.repeat(grey[..., None], 3, axis=2))

    def _label_strip(self, true: int, predicted: int) -> Strip:
        """The label under one digit, centred in its DIGIT_SIDE cells."""
        text = digit_label(true, predicted)[:DIGIT_SIDE].center(DIGIT_SIDE)
        base = self.rich_style
        return text_strip(text, base if self.no_color else base + (CORRECT if true == predicted else WRONG))

    def _build(self, width: int, height: int) -> list[Strip]:
        """All rows of the view for this size."""
        if width <= 0 or height <= 0 or not self.count:
            return []
        per_row = self.per_row(width)
        bands = max(1, min(-(-self.count // per_row), (height + GAP) // (BAND_ROWS + GAP)))
        blank_style = self.rich_style
        gap = Strip.blank(GAP, blank_style)
        lines: list[Strip] = []
        for band in range(bands):
            start = band * per_row
            indices = range(start, min(start + per_row, self.count))
            if not indices:
                break
            columns = [self._digit_strips(self._images[i]) + [self._label_strip(self._true[i], self._predicted[i])]
                       for i in indices]
            for row in range(BAND_ROWS):
                parts: list[Strip] = []
                for column in columns:
                    parts += [column[row], gap]
                lines.append(Strip.join(parts[:-1]).adjust_cell_length(width, blank_style))
            if band < bands - 1:
                lines.extend(Strip.blank(width, blank_style) for _ in range(GAP))
        return lines
