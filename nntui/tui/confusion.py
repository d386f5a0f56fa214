"""Confusion matrix of the test set: rows are true classes, columns predicted classes."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.table import Table
from rich.text import Text
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


class ConfusionMatrix(Static):
    """A compact confusion table (title, header, one row per class) with the diagonal highlighted and recalls."""

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

    def set_matrix(self, matrix: np.ndarray, class_names: Sequence[str] | None = None) -> None:
        """Show a (k, k) count matrix (rows = true class, columns = predicted) with these class names."""
        m = np.asarray(matrix, dtype=np.int64)
        k = m.shape[0]
        names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
        names += [str(i) for i in range(len(names), k)]
        same_shape = self.matrix is not None and self.matrix.shape == m.shape
        self.matrix = m
        self.update(self._table(m, names[:k]), layout=not same_shape)  # layout only when k changes

    def _table(self, m: np.ndarray, names: list[str]) -> Table:
        """Build the Rich table for the matrix."""
        diag_style = "bold reverse" if self.no_color else f"bold {hex_color(POSITIVE)}"
        miss_style = "" if self.no_color else hex_color(NEGATIVE)
        total = int(m.sum())
        accuracy = f" · acc {np.trace(m) / total:.1%}" if total else ""
        table = Table(title=f"confusion (test){accuracy}", box=None, padding=(0, 1), show_edge=False,
                      pad_edge=False, collapse_padding=True, header_style="bold")
        table.add_column("true\\pred", justify="right", style="bold", no_wrap=True)
        for name in names:
            table.add_column(name if len(name) <= 6 else name[:5] + "…", justify="right", no_wrap=True)
        table.add_column("recall", justify="right", no_wrap=True)
        for i, name in enumerate(names):
            cells: list[Text] = []
            for j, count in enumerate(m[i].tolist()):
                if i == j:
                    cells.append(Text(str(count), style=diag_style))
                elif count:
                    cells.append(Text(str(count), style=miss_style))
                else:
                    cells.append(Text("·", style="dim"))
            row_total = int(m[i].sum())
            recall = Text(f"{m[i, i] / row_total:.0%}" if row_total else "–", style="dim" if not row_total else "")
            table.add_row(name, *cells, recall)
        return table
