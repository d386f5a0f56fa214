"""Confusion matrix of the test set: rows are true classes, columns predicted classes."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.align import Align
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.geometry import Size
from textual.widgets import Static

from nntui.tui.colors import NEGATIVE, POSITIVE, hex_color, no_color


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """Counts (k, k) int64: entry [t, p] is how many samples of true class t were predicted p (others ignored)."""
    t = np.asarray(true).reshape(-1).astype(np.int64)
    p = np.asarray(predicted).reshape(-1).astype(np.int64)
    n = min(len(t), len(p))
    t, p = t[:n], p[:n]
    ok = (t >= 0) & (t < k) & (p >= 0) & (p < k)
    return np.bincount(t[ok] * k + p[ok], minlength=k * k).reshape(k, k).astype(np.int64)


ROW_HEADER = "t\\p"  # the corner: rows are the true class, columns the predicted one
RECALL = "recall"
SUBTITLE = "rows true, columns predicted"


class ConfusionMatrix(Static):
    """A compact confusion table (title, header, one row per class) with the diagonal highlighted and recalls.

    Every class column is as wide as the widest count or class name, so nothing is ever cut; the
    recall column is left out when it would not fit beside them, and `narrowest` says how wide the
    panel must be for the counts alone."""

    DEFAULT_CSS = """
    ConfusionMatrix {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes)
        self.no_color = no_color()
        self.matrix: np.ndarray | None = None
        self.names: list[str] = []

    def on_mount(self) -> None:
        self.border_subtitle = SUBTITLE

    def set_matrix(self, matrix: np.ndarray, class_names: Sequence[str] | None = None) -> None:
        """Show a (k, k) count matrix (rows = true class, columns = predicted) with these class names."""
        m = np.asarray(matrix, dtype=np.int64)
        k = m.shape[0]
        names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
        names += [str(i) for i in range(len(names), k)]
        old_widths = None if self.matrix is None else (self._widths(self.matrix, self.names), self.matrix.shape)
        self.matrix, self.names = m, names[:k]
        self.refresh(layout=(self._widths(m, self.names), m.shape) != old_widths)  # layout only when the columns change

    @staticmethod
    def _widths(m: np.ndarray, names: list[str]) -> tuple[int, int]:
        """(row header, class column) widths in cells: a class column is as wide as the widest name or
        count it could hold (the largest class), so the widths stay put as the counts move."""
        head = max([len(ROW_HEADER), *map(len, names)])
        column = max([1, *map(len, names), len(str(int(m.sum(axis=1).max()) if m.size else 0))])
        return head, column

    def _fit(self, width: int) -> tuple[bool, int]:
        """(with the recalls?, table width) for a table at most `width` wide: without room, the recalls
        go; a table too wide even so is wider than `width` rather than cut (see narrowest)."""
        head, column = self._widths(self.matrix, self.names)
        counts = head + len(self.names) * (column + 1)
        full = counts + 1 + len(RECALL)
        return (True, full) if full <= width else (False, counts)

    def narrowest(self) -> int:
        """The fewest cells across (borders included) that show every count and header whole."""
        if self.matrix is None:
            return 0
        return max(self._fit(0)[1], len(SUBTITLE) + 2) + self.styles.gutter.width

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """The table's width: as much of it as fits in the container (see _fit), and the title."""
        if self.matrix is None:
            return 0
        table = self._fit(container.width)[1]
        return max(table, min(container.width, max(len(self._title(self.matrix)), len(SUBTITLE) + 2)))

    def render(self) -> RenderableType:
        if self.matrix is None:
            return ""
        title = Text(self._title(self.matrix), style="italic", justify="center", no_wrap=True)
        return Group(title, Align.center(self._table(self.content_size.width)))

    @staticmethod
    def _title(m: np.ndarray) -> str:
        total = int(m.sum())
        return f"confusion (test){f' · acc {np.trace(m) / total:.1%}' if total else ''}"

    def _table(self, width: int) -> Table:
        """Build the Rich table for the matrix, `width` cells wide at most (if it can be)."""
        m, names = self.matrix, self.names
        diag_style = "bold reverse" if self.no_color else f"bold {hex_color(POSITIVE)}"
        miss_style = "" if self.no_color else hex_color(NEGATIVE)
        head, column = self._widths(m, names)
        recall, _ = self._fit(width)
        table = Table(box=None, padding=(0, 1), show_edge=False,
                      pad_edge=False, collapse_padding=True, header_style="bold")
        table.add_column(ROW_HEADER, justify="right", style="bold", no_wrap=True, min_width=head)
        for name in names:
            table.add_column(name, justify="right", no_wrap=True, min_width=column)
        if recall:
            table.add_column(RECALL, justify="right", no_wrap=True)
        for i, name in enumerate(names):
            cells: list[Text] = []
            for j, count in enumerate(m[i].tolist()):
                if i == j:
                    cells.append(Text(str(count), style=diag_style))
                elif count:
                    cells.append(Text(str(count), style=miss_style))
                else:
                    cells.append(Text("·", style="dim"))
            if recall:
                row_total = int(m[i].sum())
                cells.append(Text(f"{m[i, i] / row_total:.0%}" if row_total else "–", style="" if row_total else "dim"))
            table.add_row(name, *cells)
        return table
