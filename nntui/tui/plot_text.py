"""plotext figures as Rich text, and the axes the project's plots share (the loss chart's and
``nntui watch``'s): whole-number epoch ticks, log ticks labelled with the values, colours."""

from __future__ import annotations

import math
from typing import Any

from plotext._utility import colors_to_ansi as plotext_ansi
from rich.ansi import AnsiDecoder
from rich.style import Style
from rich.text import Text

from nntui.tui.colors import no_color

_STYLES: dict[str, Style] = {}  # plotext cell colours → Rich styles, as they are met


def name_x_axis(lines: list[Text], name: str, width: int) -> list[Text]:
    """The figure's last line (the x ticks) with the axis named at its right end, where it reads on."""
    ticks = lines[-1]
    if ticks.cell_len == width and not ticks.plain[-len(name) - 1 :].strip():
        lines[-1] = ticks[: width - len(name)].append(name, style="dim")
    return lines


def figure_lines(plt: Any) -> list[Text]:
    """plotext's figure as lines of Rich Text, read from its matrix of characters and colours.

    ``plt.build()`` writes the matrix out as ANSI codes, which Text.from_ansi then parses back:
    reading the matrix directly costs about half as much (plotext < 6, as pinned).
    """
    plt._set_sizes()
    plt._build_matrix()
    matrix = plt.monitor.matrix
    lines = []
    for row in reversed(range(matrix.rows)):
        chars, fg, bg, style = matrix.marker[row], matrix.fullground[row], matrix.background[row], matrix.style[row]
        line, start = Text(), 0
        for col in range(1, matrix.cols + 1):
            if col == matrix.cols or fg[col] != fg[start] or bg[col] != bg[start] or style[col] != style[start]:
                line.append("".join(chars[start:col]), rich_style(fg[start], style[start], bg[start]))
                start = col
        lines.append(line)
    return lines


def rich_style(fg: Any, style: Any, bg: Any) -> Style:
    """The Rich style of a plotext cell's colours: as plotext writes them in ANSI, read by Rich."""
    key = repr((fg, style, bg))
    if key not in _STYLES:
        spans = AnsiDecoder().decode_line(plotext_ansi(fg, style, bg) + " ").spans
        _STYLES[key] = spans[0].style if spans else Style.null()  # type: ignore[assignment]
    return _STYLES[key]


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``raw``."""
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))


def epoch_ticks(lo: float, hi: float, cols: int, end: int) -> tuple[list[float], list[str]]:
    """Whole-number epochs from lo to hi on an axis of ``cols`` columns and their labels, spaced so
    that the labels don't touch, each (centred on its tick) ending before column ``end``."""
    room = len(f"{int(hi):,}") + 3
    step = nice_step(max(1.0, (hi - lo) / max(1, cols // room)))
    if step % 1:  # 2.5 epochs: not a whole number
        step *= 2
    ticks = [k * step for k in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]

    def last_column(t: float, label: str) -> float:
        return (t - lo) / (hi - lo) * (cols - 1) - len(label) // 2 + len(label)

    kept = [(t, label) for t, label in zip(ticks, epoch_labels(ticks)) if last_column(t, label) < end]
    return [t for t, _ in kept], [label for _, label in kept]


def epoch_labels(ticks: list[float]) -> list[str]:
    """Epochs as tick labels: 1,500; or 20k, 40k when they are all whole thousands, up to 10,000 or more."""
    epochs = [int(round(t)) for t in ticks]
    if epochs and max(epochs) >= 10_000 and all(e % 1000 == 0 for e in epochs):
        return [f"{e // 1000:,}k" if e else "0" for e in epochs]
    return [f"{e:,}" for e in epochs]


def log_ticks(lo: float, hi: float, intervals: int) -> tuple[list[float], list[str]]:
    """Ticks of a log10 axis from lo to hi, labelled with the losses themselves: every n-th decade,
    or 1, 2 and 5 times each, or every digit; the finest of these with at most intervals + 1 ticks."""
    first, last = math.floor(lo), math.ceil(hi)
    step = max(1, math.ceil((last - first) / max(1, intervals)))
    choices = []
    for mantissas in ((1,), (1, 2, 5), tuple(range(1, 10))):
        decades = [k for k in range(first, last + 1) if k % step == 0 or len(mantissas) > 1]
        ticks = [(math.log10(m) + k, m, k) for k in decades for m in mantissas if lo <= math.log10(m) + k <= hi]
        choices.append(ticks)
    fitting = [ticks for ticks in choices if 2 <= len(ticks) <= intervals + 1]
    ticks = fitting[-1] if fitting else next((t for t in choices if len(t) >= 2), choices[-1])
    return [t for t, _, _ in ticks], [power_label(m, k) for _, m, k in ticks]


def power_label(m: int, k: int) -> str:
    """m × 10**k as a loss: 0.02, 1, 500, or 2e-5 and 1e6 beyond."""
    return f"{m * 10.0**k:g}" if -4 <= k <= 4 else f"{m}e{k}"


def color_style(rgb: tuple[int, int, int]) -> str:
    """A Rich style of this colour (none without colour)."""
    return "" if no_color() else f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"
