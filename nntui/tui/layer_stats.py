"""Layer statistics: per-layer histograms of the weights, the activations over the training data
and the gradients, with the dead ReLUs and the saturated tanh / sigmoid units counted.

The activations come from a forward pass in the UI; the gradients never do: they are the
whole-training-set ∂L/∂W the training process computes at the end of every epoch (``Update.grads``).
A deep sigmoid network shows them vanishing toward the first layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from nntui.tui.colors import NEGATIVE, POSITIVE, hex_color
from nntui.tui.hidden_space import BOUNDED, MAX_POINTS, layer_activations, spread
from nntui.tui.network_view import NetworkView

BLOCKS = " ▁▂▃▄▅▆▇█"  # a bar's height in eighths of a row
LABEL = 6  # characters of a histogram's min and max labels
GAP = "  "
NORM_BAR = 10  # characters of the gradient-norm bar (6 below WIDE)
WIDE = 100
MAX_HEIGHT = 4  # rows of a histogram at most
SATURATED_SHARE = 0.9  # a unit is saturated when this share of the samples is in its flat ends
RULE = (
    "dead: a ReLU unit whose activation is 0 for every training sample. "
    f"saturated: a tanh unit with |a| > 0.99, or a sigmoid unit with a < 0.01 or a > 0.99, "
    f"for over {SATURATED_SHARE:.0%} of the training samples: its gradient is nearly 0."
)
STYLES = {-1: Style(color=hex_color(NEGATIVE)), 0: Style(color="#8c8c8c"), 1: Style(color=hex_color(POSITIVE))}
MUTED = Style(dim=True)
WARN = Style(color="#d62728", bold=True)


def number(value: float) -> str:
    """A histogram's end in at most LABEL characters, alike for ±v: -0.81, 0.011, -3e-05."""
    text = f"{abs(value):.2g}"
    if len(text) >= LABEL:
        text = f"{abs(value):.0e}"
    return ("-" if value < 0 else "") + text


def dead_units(a: np.ndarray) -> int:
    """Units (columns of a: samples × units) whose activation is 0 for every sample."""
    return int(np.count_nonzero(np.all(a == 0, axis=0))) if len(a) else 0


def saturated_units(a: np.ndarray, activation: str) -> int | None:
    """Units in a flat end of tanh or sigmoid for over SATURATED_SHARE of the samples
    (None for other activations)."""
    if activation == "tanh":
        flat = np.abs(a) > 0.99
    elif activation == "sigmoid":
        flat = (a < 0.01) | (a > 0.99)
    else:
        return None
    return int(np.count_nonzero(flat.mean(axis=0) > SATURATED_SHARE)) if len(a) else 0


def histogram(values: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    """Counts of the finite values in ``bins`` equal bins from lo to hi."""
    v = values[np.isfinite(values)]
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.histogram(v, bins=bins, range=(lo, hi))[0]


def bar_rows(counts: np.ndarray, height: int = 1) -> list[str]:
    """Counts as columns of block characters, ``height`` rows from the top; every non-empty bin
    shows at least its lowest eighth, so a few samples never look like none."""
    top = counts.max() if len(counts) else 0
    levels = np.zeros(len(counts), dtype=np.intp)
    if top > 0:
        levels = np.where(counts > 0, np.maximum(1, np.rint(counts / top * 8 * height)), 0).astype(np.intp)
    rows = []
    for r in range(height - 1, -1, -1):  # the top row first
        rows.append("".join(BLOCKS[k] for k in np.clip(levels - 8 * r, 0, 8)))
    return rows


def value_range(values: np.ndarray, activation: str | None = None) -> tuple[float, float]:
    """A histogram's range: a bounded activation's own, [0, max] for ReLU, else symmetric about 0
    (so the middle is 0 and the colours are the signs)."""
    if activation in BOUNDED:
        return BOUNDED[activation]
    v = values[np.isfinite(values)]
    if not len(v):
        return -1.0, 1.0
    if activation == "relu":
        return 0.0, max(float(v.max()), 1e-12)
    m = max(float(np.abs(v).max()), 1e-12)
    return -m, m


def norm_bar(share: float, width: int) -> str:
    """A bar of ``width`` characters filled to ``share`` (0 to 1), in eighths of a character."""
    eighths = int(round(min(max(share, 0.0), 1.0) * 8 * width))
    return (BLOCKS[8] * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")).ljust(width)


def sign_keys(lo: float, hi: float, bins: int) -> np.ndarray:
    """Each bin's colour: −1 (below 0), 0 (holding 0), 1 (above 0)."""
    edges = np.linspace(lo, hi, bins + 1)
    return np.where(edges[1:] <= 0, -1, np.where(edges[:-1] >= 0, 1, 0))


@dataclass(frozen=True)
class Layer:
    """One layer's figures: the weights into it, its activations, ∂L/∂W into it."""

    title: str
    activation: str
    weights: np.ndarray
    activations: np.ndarray  # samples × units
    grads: np.ndarray | None
    dead: int | None
    saturated: int | None


def layer_figures(view: NetworkView, x: np.ndarray, grads) -> list[Layer]:
    """Every layer's figures (1 = the first hidden layer … the output layer)."""
    net = view.net
    acts = layer_activations(view, x)
    layers = []
    for l in range(1, len(net.sizes)):
        output = l == len(net.sizes) - 1
        activation = net.activation(l - 1).name
        n = net.sizes[l]
        title = f"{'output' if output else f'layer {l}'} · {activation} · {n} neuron{'s' if n > 1 else ''}"
        a = acts[l]
        layers.append(Layer(
            title, activation, net.W[l - 1].ravel(), a,
            None if grads is None else np.asarray(grads[l - 1]).ravel(),
            None if output or activation != "relu" else dead_units(a),
            None if output else saturated_units(a, activation),
        ))
    return layers


class LayerStats(Widget):
    """The histograms, a block per layer; as tall as its lines (it scrolls)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.figures: list[Layer] = []
        self.shared_scale = False  # one range for every layer's weights (and gradients)
        self.notes: list[str] = []  # under the histograms: where the figures come from
        self.height_hint = 40  # the screen's height: histograms get taller where there is room
        self._text: tuple[int, Text] | None = None  # (width, the text at that width), till the next show

    def show(self, layers: list[Layer], notes: list[str], height_hint: int) -> None:
        """Show these figures."""
        self.figures, self.notes, self.height_hint = layers, notes, height_hint
        self._text = None
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.text(width).wrap(self.app.console, width))

    def render(self) -> Text:
        return self.text(self.content_size.width)

    def layout(self) -> tuple[int, bool]:
        """Rows per histogram (1 to MAX_HEIGHT) and whether a blank line parts the layers: as
        much as the screen has room for (beyond it, the panel scrolls)."""
        n = max(len(self.figures), 1)
        room = self.height_hint - 3 - 1 - (len(self.notes) + 3)  # borders and footer, the heads, the notes
        rows = int(np.clip(room // n - 2, 1, MAX_HEIGHT))
        return rows, n * (rows + 2) <= room

    def text(self, width: int) -> Text:
        """The whole panel at this width."""
        if self._text is None or self._text[0] != width:
            self._text = (width, self._compose_text(width))
        return self._text[1]

    def _compose_text(self, width: int) -> Text:
        out = Text(no_wrap=False, end="")
        if not self.figures:
            out.append("waiting for the training process")
            return out
        bins = max(4, (width - 2 * len(GAP) - 3 * (2 * LABEL + 2)) // 3)
        column = bins + 2 * LABEL + 2
        heads = ["weights into the layer", "activations", "gradients ∂L/∂W"]
        out.append(GAP.join(h[:column].ljust(column) for h in heads).rstrip() + "\n", Style(bold=True))
        height, parted = self.layout()
        bar = NORM_BAR if width >= WIDE else NORM_BAR - 4
        ranges = self._ranges()
        norms = [None if lay.grads is None else float(np.linalg.norm(lay.grads)) for lay in self.figures]
        top_norm = max((n for n in norms if n is not None and np.isfinite(n)), default=0.0)
        for lay, (wr, ar, gr), norm in zip(self.figures, ranges, norms):
            out.append("\n" * parted + lay.title, Style(bold=True))
            if norm is not None and not np.isfinite(norm):
                out.append("  ‖∂L/∂W‖ not a finite number", WARN)
            elif norm is not None:
                out.append(f"  ‖∂L/∂W‖ {norm:<7.2g} ")
                out.append(norm_bar(norm / top_norm if top_norm > 0 else 0.0, bar), STYLES[1])
            for label, count in (("dead", lay.dead), ("saturated", lay.saturated)):
                if count is not None:
                    units = lay.activations.shape[1]
                    out.append(f"  {label} {count} of {units}", WARN if count else MUTED)
            out.append("\n")
            hist = [self._histogram(values, span, bins, height) if values is not None and np.isfinite(values).any()
                    else ("—" if values is None else "not finite numbers")
                    for values, span in ((lay.weights, wr), (lay.activations, ar), (lay.grads, gr))]
            for r in range(height):
                for c, h in enumerate(hist):
                    if c:
                        out.append(GAP)
                    if isinstance(h, str):  # nothing to count: what is missing
                        out.append(("" if r < height - 1 else h).center(column), MUTED)
                    else:
                        out.append_text(h[r])
                out.append("\n")
        for note in [*self.notes, RULE]:
            out.append("\n" + note, MUTED)
        return out

    def _ranges(self) -> list[tuple[tuple[float, float], ...]]:
        """Each layer's (weights, activations, gradients) ranges; with the shared scale the weights'
        and the gradients' are the widest of all layers (the activations keep their own)."""
        ranges = []
        for lay in self.figures:
            grads = value_range(lay.grads) if lay.grads is not None else (-1.0, 1.0)
            ranges.append((value_range(lay.weights), value_range(lay.activations, lay.activation), grads))
        if not self.shared_scale:
            return ranges
        weights = (min(r[0][0] for r in ranges), max(r[0][1] for r in ranges))
        grads = (min(r[2][0] for r in ranges), max(r[2][1] for r in ranges))
        return [(weights, r[1], grads) for r in ranges]

    @staticmethod
    def _histogram(values: np.ndarray, span: tuple[float, float], bins: int, height: int) -> list[Text]:
        """A histogram's rows: the min label, the bars coloured by sign, the max label (on the bottom row)."""
        lo, hi = span
        keys = sign_keys(lo, hi, bins)
        rows = []
        for r, bars in enumerate(bar_rows(histogram(values, lo, hi, bins), height)):
            bottom = r == height - 1
            row = Text((number(lo) if bottom else "").rjust(LABEL) + " ", end="")
            cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
            for s, e in zip([0, *cuts.tolist()], [*cuts.tolist(), bins]):
                row.append(bars[s:e], STYLES[int(keys[s])])
            row.append(" " + (number(hi) if bottom else "").ljust(LABEL))
            rows.append(row)
        return rows


class LayerStatsScreen(Screen[None]):
    """The layer statistics, in front of the app; they follow every frame the app draws."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("y", "close", "Close", show=False),
        Binding("z", "toggle_scale", "One scale"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stats = LayerStats(id="layer-stats")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="layer-stats-scroll"):
            yield self.stats
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#layer-stats-scroll").border_title = "layer statistics"
        self.watch(self.app.dashboard, "frame", self._follow, init=True)

    def _follow(self) -> None:
        """Take the figures of the network the app shows."""
        app = self.app
        update = app.latest
        if update is None:
            return
        data = app.session.dataset
        pick = spread(data.n_train, MAX_POINTS)
        rewound = app.view_epoch is not None
        grads = None if rewound else update.grads
        layers = layer_figures(app.view, data.x_train[pick], grads)
        samples = f"{len(pick)} training samples" + ("" if len(pick) == data.n_train else f" (of {data.n_train}, evenly spread)")
        notes = [f"activations: over {samples}, at the weights shown."]
        if rewound:
            notes.append("gradients: not recorded for past epochs (End goes back to live).")
        elif grads is None:
            notes.append("gradients: they come with the end of the next epoch.")
        else:
            since = f"; {update.batch_in_epoch} mini-batches trained since" if update.batch_in_epoch else ""
            notes.append(f"gradients: ∂L/∂W over all {data.n_train} training samples at the end of epoch "
                         f"{update.snapshot.epoch}, from the training process{since}.")
        if self.stats.shared_scale:
            notes.append("weights and gradients: one scale for every layer (z: each layer its own).")
        self.stats.show(layers, notes, self.app.size.height)
        epoch = f"rewound to epoch {app.view_epoch}" if rewound else f"epoch {update.snapshot.epoch}, {app.state}"
        self.query_one("#layer-stats-scroll").border_subtitle = epoch

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss()

    def action_toggle_scale(self) -> None:
        """One scale for every layer's histograms (the gradients' sizes compare), or each its own."""
        self.stats.shared_scale = not self.stats.shared_scale
        self._follow()
