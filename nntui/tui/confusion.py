"""Confusion matrix of the test set: rows are true classes, columns predicted classes."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.console import RenderableType
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


class ConfusionMatrix(Static):
    """A compact confusion table (title, header, one row per class) with the diagonal highlighted and recalls.

    Every class column is as wide as the widest count or class name, so nothing is ever cut; the
    recall column is left out when it would not fit beside them."""

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
        self.border_subtitle = "rows true, columns predicted"

    def set_matrix(self, matrix: np.ndarray, class_names: Sequence[str] | None = None) -> None:
        """Show a (k, k) count matrix (rows = true class, columns = predicted) with these class names."""
        m = np.asarray(matrix, dtype=np.int64)
        k = m.shape[0]
        names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
        names += [str(i) for i in range(len(names), k)]
        old_widths = None if self.matrix is None else self._widths(self.matrix, self.names)
        self.matrix, self.names = m, names[:k]
        self.refresh(layout=self._widths(m, self.names) != old_widths)  # layout only when the columns change

    @staticmethod
    def _widths(m: np.ndarray, names: list[str]) -> tuple[int, int, int]:
        """(row header, class column, whole table with recalls) widths in cells."""
        head = max([len(ROW_HEADER), *map(len, names)])
        column = max([1, *map(len, names), len(str(int(m.max()) if m.size else 0))])
        return head, column, head + len(names) * (column + 1) + 1 + len(RECALL)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """The table's width: with the recalls if they fit in the container, else without."""
        if self.matrix is None:
            return 0
        head, column, full = self._widths(self.matrix, self.names)
        title = len(self._title(self.matrix))
        return max(title, full if full <= container.width else head + len(self.names) * (column + 1))

    def render(self) -> RenderableType:
        if self.matrix is None:
            return ""
        return self._table(self.matrix, self.names, self.content_size.width)

    @staticmethod
    def _title(m: np.ndarray) -> str:
        total = int(m.sum())
        return f"confusion (test){f' · acc {np.trace(m) / total:.1%}' if total else ''}"

    def _table(self, m: np.ndarray, names: list[str], width: int) -> Table:
        """Build the Rich table for the matrix, `width` cells wide at most."""
        diag_style = "bold reverse" if self.no_color else f"bold {hex_color(POSITIVE)}"
        miss_style = "" if self.no_color else hex_color(NEGATIVE)
        head, column, full = self._widths(m, names)
        recall = full <= width
        table = Table(title=self._title(m), box=None, padding=(0, 1), show_edge=False,
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
