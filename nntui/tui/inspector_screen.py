"""The inspector: the numbers of one training step, layer by layer, phase by phase.

Layers and neurons are numbered as everywhere on screen: layer 1 is the first hidden layer,
neurons count from 1, a₀ = x.  For the selected layer k (the engine's weight layer k − 1) it
explains, in the order they are computed:

    ① forward propagation   z_k = a_{k-1} · W_k + b_k
    ② activation            a_k = f(z_k)
    ③ prediction and loss   (at the output layer) L and ∂L/∂a, as the mean over the batch
    ④ backpropagation       δ_k = ∂L/∂z_k, walking backwards from the output
    ⑤ gradients             ∂L/∂W_k = a_{k-1}ᵀ · δ_k,  ∂L/∂b_k = Σ δ_k
    ⑥ update rule           what the optimizer changed: Δw (−lr·∂L/∂w for SGD)

Each phase shows only what the step has computed so far: δ_k and ∂L/∂W_k appear with the
phase "backward k".

with the phase progress of the step on top and, on `g`, a numerical gradient check.
The numbers come from an ``nntui.engine.inspect.Trace``; ``show_trace`` replaces them.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from rich.cells import cell_len
from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from nntui.engine import ACTIVATIONS, LOSSES, OPTIMIZERS, decode_outputs
from nntui.engine.inspect import Phase, Stage, Trace, param_label
from nntui.tui.colors import NEGATIVE, POSITIVE, hex_color, no_color
from nntui.tui.digits_view import DigitsView
from nntui.tui.images import ImageData
from nntui.tui.network_diagram import NetworkDiagram

GradCheck = Callable[[int], list[tuple[int, float, float, float]]]

MAX_SHOWN = 8  # rows and columns of a matrix shown; "…" stands for the rest
GRADCHECK_ROWS = 12  # rows of the gradient check table shown
SAMPLE_PICTURES = 8  # image data: the step's first samples drawn as pictures
AGREES, CLOSE = 1e-5, 1e-3  # relative errors: backprop agrees / is close

PHASE_SECTION = {Stage.FORWARD: "forward", Stage.LOSS: "loss", Stage.BACKWARD: "delta", Stage.UPDATE: "update"}
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(n: int) -> str:
    """n as subscript digits: 12 -> '₁₂'."""
    return str(n).translate(SUBSCRIPTS)


def format_number(v: float) -> str:
    """Compact and signed: +0.123, -1.2e-05, 0, nan, +inf."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:+.3f}"
    return f"{v:+.1e}"


def number_text(v: float) -> Text:
    """A formatted number, blue if positive and orange if negative (Playground's colours)."""
    s = format_number(v)
    if no_color() or not np.isfinite(v) or v == 0:
        return Text(s, style="dim" if v == 0 else "")
    return Text(s, style=hex_color(POSITIVE if v > 0 else NEGATIVE))


def matrix(title: str, m: np.ndarray, rows: Sequence[str], cols: Sequence[str]) -> Table:
    """A compact table of m (at most MAX_SHOWN × MAX_SHOWN, "…" beyond) with row and column labels."""
    m = np.atleast_2d(np.asarray(m, dtype=np.float64))
    n_rows, n_cols = m.shape
    shown_rows, shown_cols = min(n_rows, MAX_SHOWN), min(n_cols, MAX_SHOWN)
    full_title = f"{title} ({n_rows}×{n_cols})" if n_rows > 1 else f"{title} ({n_cols})"
    table = Table(
        title=full_title, title_justify="left", title_style="bold", box=None, padding=(0, 1), show_edge=False,
        header_style="dim", pad_edge=False, min_width=cell_len(full_title),
    )
    table.add_column("", style="dim", no_wrap=True)
    for j in range(shown_cols):
        table.add_column(str(cols[j]) if j < len(cols) else str(j + 1), justify="right", no_wrap=True)
    if n_cols > shown_cols:
        table.add_column("…", justify="left", no_wrap=True)
    for i in range(shown_rows):
        cells = [number_text(m[i, j]) for j in range(shown_cols)]
        if n_cols > shown_cols:
            cells.append(Text("…", style="dim"))
        table.add_row(str(rows[i]) if i < len(rows) else str(i + 1), *cells)
    if n_rows > shown_rows:
        table.add_row(f"…{n_rows - shown_rows}", *(Text("…", style="dim") for _ in range(shown_cols + (n_cols > shown_cols))))
    return table


def pending(text: str) -> Text:
    """A dim note in place of numbers not computed yet."""
    return Text(f"  {text}", style="dim italic")


def heading(number: str, name: str, formula: str, note: str = "") -> Text:
    """A section's header: its number and name, the formula, a plain-words note."""
    text = Text()
    text.append(f"{number} {name}".strip(), style="bold reverse")
    text.append("  ")
    text.append(formula, style="bold")
    if note:
        text.append(f"   {note}", style="italic")
    return text


def _widest_window(n: int, current: int, fits: Callable[[int, int], bool]) -> tuple[int, int]:
    """The widest range [lo, hi) of n items around ``current`` for which fits(lo, hi) holds
    (widened to the right first, then to the left)."""
    lo, hi = current, current + 1
    while True:
        for a, b in ((lo, hi + 1), (lo - 1, hi)):
            if 0 <= a and b <= n and fits(a, b):
                lo, hi = a, b
                break
        else:
            return lo, hi


class InspectorScreen(Screen[None]):
    """Every number of one training step for one layer at a time, with the formulas."""

    DEFAULT_CSS = """
    InspectorScreen {
        layout: vertical;
    }
    InspectorScreen #inspector-top {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    InspectorScreen #inspector-diagram {
        height: 9;
        border-bottom: solid $panel;
    }
    InspectorScreen #inspector-body {
        height: 1fr;
        padding: 0 1;
    }
    InspectorScreen .section {
        margin: 1 0 0 0;
        height: auto;
    }
    InspectorScreen #inspector-sample {
        width: auto;
        min-width: 12;
        margin: 1 0 0 0;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
    }
    InspectorScreen #sec-gradcheck {
        display: none;
        border: round $accent;
        padding: 0 1;
    }
    InspectorScreen #sec-gradcheck.-shown {
        display: block;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("i", "close", "Close", show=False),
        Binding("left", "move_layer(-1)", "Layer ←", key_display="←", priority=True),
        Binding("right", "move_layer(1)", "Layer →", key_display="→", priority=True),
        Binding("p", "phase", "Next phase"),
        Binding("g", "gradcheck", "Gradient check"),
    ]

    layer: reactive[int] = reactive(0)  # the weight layer explained: a[l] → z[l] → a[l+1]

    class LayerChanged(Message):
        """The layer being explained changed (the app may highlight it on the diagram)."""

        def __init__(self, layer: int) -> None:
            super().__init__()
            self.layer = layer  # weight layer l: links W[l], neurons of layer l+1 (on screen: layer l+1)

    class PhaseRequested(Message):
        """`p`: the user asks for the next phase (the app advances its stepper and calls show_trace)."""

    def __init__(
        self,
        trace: Trace,
        sizes: Sequence[int],
        feature_names: Sequence[str],
        title: str,
        gradcheck: GradCheck | None = None,
        *,
        layer: int | None = None,
        follow: bool = True,
        images: ImageData | None = None,
        look_only: bool = False,
    ) -> None:
        super().__init__()
        self.look_only = look_only  # the trace is a look at a step on a copy: no weight was changed
        self.images = images  # image data: the samples are drawn as pictures too
        self.trace = trace
        self.sizes = tuple(int(n) for n in sizes)
        self.feature_names = tuple(feature_names)
        self.inspector_title = title
        self.gradcheck = gradcheck
        self.follow = follow  # move to the layer the step is working on when a trace arrives
        self.checks: dict[int, list[tuple[int, float, float, float]] | str] = {}
        n_layers = len(self.sizes) - 1
        start = self._phase_layer(trace)
        if layer is not None:
            start = layer
        self.set_reactive(InspectorScreen.layer, min(max(start if start is not None else 0, 0), n_layers - 1))

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Vertical(id="inspector-top"):
            yield Static(id="inspector-title")
            yield Static(id="inspector-phases")
            yield Static(id="inspector-layers")
        yield NetworkDiagram(id="inspector-diagram")
        with VerticalScroll(id="inspector-body"):
            if self.images is not None and self.images.class_names:
                yield DigitsView(id="inspector-sample")
            for name in ("forward", "activation", "loss", "delta", "grad", "update"):
                yield Static(id=f"sec-{name}", classes="section")
            yield Static(id="sec-gradcheck", classes="section")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#inspector-body").focus()
        self._render_all()
        self.post_message(self.LayerChanged(self.layer))  # the initial layer, for the diagram

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    # ------------------------------------------------------------------ API
    def show_trace(self, trace: Trace) -> None:
        """Show another trace (the next phase, or other samples), in place."""
        old = self.trace
        self.trace = trace
        if not _same_start(old, trace):
            self.checks.clear()  # the gradient checks were for other weights or samples
        target = self._phase_layer(trace) if self.follow else None
        if target is not None and target != self.layer:
            self.layer = target  # the watcher redraws
        elif self.is_mounted:
            self._render_all()
        if self.follow and self.is_mounted:
            # After the refresh that lays the new numbers out: the sections' places change with them.
            self.call_after_refresh(self.call_after_refresh, self._scroll_to_phase)

    def _scroll_to_phase(self) -> None:
        """Bring what the phase just done computed into view: loss → ③, backward → ④, update → ⑥."""
        section = PHASE_SECTION.get(self.trace.phase.stage)
        if section is not None:
            self.query_one(f"#sec-{section}").scroll_visible(animate=False, top=True)

    def validate_layer(self, layer: int) -> int:
        return min(max(int(layer), 0), self.n_layers - 1)

    def watch_layer(self, layer: int) -> None:
        self.post_message(self.LayerChanged(layer))
        if self.is_mounted:
            self._render_all()

    # ------------------------------------------------------------------ actions
    def action_close(self) -> None:
        """Close the inspector."""
        self.dismiss(None)

    def action_move_layer(self, step: int) -> None:
        """Explain the previous / next layer."""
        self.layer = self.layer + step

    def action_phase(self) -> None:
        """Ask the app for the next phase of the step."""
        self.post_message(self.PhaseRequested())

    def action_gradcheck(self) -> None:
        """Compare backprop's gradient for this layer's weights with central differences."""
        if self.gradcheck is None:
            self.notify("No gradient check available here.", severity="warning")
            return
        layer = self.layer
        try:
            self.checks[layer] = list(self.gradcheck(layer))
        except Exception as e:  # a callback failure is shown, not fatal
            self.checks[layer] = f"the gradient check failed: {e}"
        self._render_all()
        self.query_one("#sec-gradcheck").scroll_visible(animate=False)

    # ------------------------------------------------------------------ rendering
    def _phase_layer(self, trace: Trace) -> int | None:
        """The layer the phase just completed worked on (None: stay where we are)."""
        if trace.phase.stage is Stage.LOSS:
            return self.n_layers - 1
        return trace.phase.layer  # a backward phase's layer; None for forward and update

    def _render_all(self) -> None:
        trace, l = self.trace, self.layer
        self._show_network(trace, l)
        self._show_sample(trace)
        self._render_header()
        for name, renderable in self.sections(trace, l).items():
            self.query_one(f"#sec-{name}", Static).update(renderable)
        check = self.query_one("#sec-gradcheck", Static)
        check.set_class(l in self.checks, "-shown")
        if l in self.checks:
            check.update(self._gradcheck_renderable(l, self.checks[l]))
            check.border_title = f"gradient check, W{sub(l + 1)} (layer {l + 1})"

    def _show_network(self, trace: Trace, l: int) -> None:
        """The diagram above the numbers: this step's weights, the first sample's activations,
        and the layer being explained highlighted."""
        diagram = self.query_one(NetworkDiagram)
        if any(layer.W is None or layer.b is None for layer in trace.layers):
            return
        diagram.set_network(self.sizes, [layer.W for layer in trace.layers], [layer.b for layer in trace.layers],
                            self.feature_names)
        diagram.set_activations([np.asarray(trace.x)[0]] + [layer.a[0] for layer in trace.layers])
        diagram.highlight_layer = l

    def _show_sample(self, trace: Trace) -> None:
        """Image data: the step's first samples as pictures, each with the prediction, ticked if right,
        else crossed with the label in brackets."""
        if self.images is None or not self.images.class_names or not trace.layers:
            return
        output = trace.activations[-1] if trace.activations else "softmax"
        n = min(SAMPLE_PICTURES, len(trace.x))
        true = decode_outputs(np.asarray(trace.t)[:n], "classification", output)
        predicted = decode_outputs(np.asarray(trace.layers[-1].a)[:n], "classification", output)
        view = self.query_one("#inspector-sample", DigitsView)
        view.set_digits(self.images.grey(np.asarray(trace.x)[:n]), true, predicted, self.images.class_names)
        view.border_title = "sample" if len(trace.x) == 1 else f"samples 1–{n} of {len(trace.x)}"

    def _header_width(self) -> int:
        """Columns of the header's lines (inside the padding); the app's width before the first layout."""
        return self.query_one("#inspector-top").content_region.width or max(1, self.app.size.width - 2)

    def on_resize(self) -> None:
        """Fit the header to the new width."""
        self._render_header()

    def _render_header(self) -> None:
        width = self._header_width()
        self.query_one("#inspector-title", Static).update(self._title_text(width))
        self.query_one("#inspector-phases", Static).update(self._phases_text(width))
        self.query_one("#inspector-layers", Static).update(self._layers_text(width))

    def _title_text(self, width: int) -> Text:
        """'Inspector — what was traced · samples · loss · optimizer, lr'; on one row of ``width``:
        the samples, then the optimizer are left out, then the title is cut short."""
        trace = self.trace
        head = Text()
        head.append("Inspector", style="bold")
        head.append(f" — {self.inspector_title}" if self.inspector_title else "")
        n = len(trace.x)
        samples = Text(f"{n} sample{'s' if n != 1 else ''}")
        loss = None
        if trace.loss is not None:
            loss = Text("loss ")
            loss.append(format_number(trace.loss), style="bold")
            if trace.penalty:
                loss.append(f" + {trace.reg.upper()} penalty {format_number(trace.penalty)}")
        optimizer = Text(f"{trace.optimizer}, lr {trace.lr:g}")
        dot = Text("  ·  ")
        for parts in ([samples, loss, optimizer], [loss, optimizer], [loss]):
            text = dot.join([head, *(p for p in parts if p is not None)])
            if text.cell_len <= width:
                return text
        text.truncate(width, overflow="ellipsis")
        return text

    def _phases_text(self, width: int) -> Text:
        """'step: forward ✓ → loss … → backward 1 → … → update   (p: next phase)' on one row of
        ``width``: the hint goes first, then 'backward' is shortened to 'back', then only the
        phases around the current one are shown."""
        trace = self.trace
        phases = trace.phases or (trace.phase,)
        done = trace.n_done
        if done < len(phases):
            hint = "   (p: next phase)"
        elif self.look_only:
            hint = "   a look at one step: the weights are not changed"
        else:
            hint = "   step done, weights updated (p: next mini-batch)"

        def line(short: bool, lo: int, hi: int, with_hint: bool) -> Text:
            text = Text("step: ", style="bold")
            if lo > 0:
                text.append("… → ", style="dim")
            for k in range(lo, hi):
                name = phase_name(phases[k])
                name = name.replace("backward", "back") if short else name
                if k > lo:
                    text.append(" → ", style="dim")
                if k < done:
                    text.append(f"{name} ✓", style="green" if not no_color() else "")
                elif k == done:
                    text.append(f"{name} …", style="bold reverse")
                else:
                    text.append(name, style="dim")
            if hi < len(phases):
                text.append(" → …", style="dim")
            if with_hint:
                text.append(hint, style="italic")
            return text

        n = len(phases)
        for short, with_hint in ((False, True), (True, True), (False, False), (True, False)):
            text = line(short, 0, n, with_hint)
            if text.cell_len <= width:
                return text
        lo, hi = _widest_window(n, min(done, n - 1), lambda a, b: line(True, a, b, False).cell_len <= width)
        text = line(True, lo, hi, False)
        text.truncate(width, overflow="ellipsis")
        return text

    def _layers_text(self, width: int) -> Text:
        """'layer (←/→): [ 1: W₁ 2→4 tanh ]─ 2: W₂ 4→2 tanh …' on one row of ``width``: the activations
        go first, then only the layers around the selected one are shown."""
        n = self.n_layers

        def line(with_activation: bool, lo: int, hi: int) -> Text:
            trace = self.trace
            text = Text("layer (←/→): ", style="bold")
            if lo > 0:
                text.append("…─", style="dim")
            for l in range(lo, hi):
                act = trace.activations[l] if with_activation and l < len(trace.activations) else ""
                output = " (output)" if with_activation and l == n - 1 else ""
                label = f" {l + 1}: W{sub(l + 1)} {self.sizes[l]}→{self.sizes[l + 1]}{' ' + act if act else ''}{output} "
                if l > lo:
                    text.append("─", style="dim")
                text.append(f"[{label}]" if l == self.layer else f" {label} ", style="bold reverse" if l == self.layer else "")
            if hi < n:
                text.append("─…", style="dim")
            return text

        for with_activation in (True, False):
            text = line(with_activation, 0, n)
            if text.cell_len <= width:
                return text
        lo, hi = _widest_window(n, self.layer, lambda a, b: line(False, a, b).cell_len <= width)
        text = line(False, lo, hi)
        text.truncate(width, overflow="ellipsis")
        return text

    # ------------------------------------------------------------------ sections
    def _neuron_names(self, k: int) -> list[str]:
        """Column labels of the neurons of layer k (0: the input features)."""
        if k == 0:
            names = list(self.feature_names)
            return names + [f"x{i + 1}" for i in range(len(names), self.sizes[0])]
        return [f"n{j + 1}" for j in range(self.sizes[k])]

    def sections(self, trace: Trace, l: int) -> dict[str, RenderableType]:
        """The six sections for weight layer l, shown as layer k = l + 1: forward, activation,
        loss, delta, grad, update; each with only what the phases done so far computed."""
        L = self.n_layers
        lt = trace.layers[l]
        loss = LOSSES.get(trace.loss_name)
        out_layer = l == L - 1
        n = len(trace.x)
        samples = [f"s{i + 1}" for i in range(n)]
        inputs, neurons = self._neuron_names(l), self._neuron_names(l + 1)
        act = trace.activations[l] if l < len(trace.activations) else "f"
        k = sub(l + 1)  # the layer's number on screen
        a_in = f"a{sub(l)}" if l else "x"
        backward_done = _done(trace, Phase(Stage.BACKWARD, l))
        s: dict[str, RenderableType] = {}

        # ① forward
        forward_parts = [matrix(a_in if l else "x (inputs)", trace.x if l == 0 else trace.layers[l - 1].a, samples, inputs)]
        if lt.W is not None:
            forward_parts += [matrix(f"W{k}", lt.W, inputs, neurons), matrix(f"b{k}", lt.b[None, :], [""], neurons)]
        forward_parts.append(matrix(f"z{k}", lt.z, samples, neurons))
        s["forward"] = Group(
            heading("① forward", f"layer {l + 1}", f"z{k} = {a_in}·W{k} + b{k}",
                    "each neuron adds up its inputs times their weights, plus its bias"),
            Columns(forward_parts, padding=(0, 3)),
        )

        # ② activation
        act_parts = [matrix(f"a{k} = {act}(z{k})", lt.a, samples, neurons)]
        fn = ACTIVATIONS.get(act)
        if fn is not None and fn.elementwise:
            with np.errstate(all="ignore"):
                act_parts.append(matrix(f"{act}'(z{k}), for backprop", fn.df(lt.z, lt.a), samples, neurons))
        s["activation"] = Group(
            heading("② activation", act, f"a{k} = {act}(z{k})", fn.note if fn is not None else ""),
            Columns(act_parts, padding=(0, 3)),
        )

        # ③ prediction and loss (output layer)
        a_out = f"a{sub(L)}"
        gradient = f"∂L/∂{a_out} = {loss.gradient.format(a=a_out)}" if loss is not None and loss.gradient else f"∂L/∂{a_out}"
        if not out_layer:
            s["loss"] = Group(
                heading("③ prediction and loss", "", "at the output layer", f"(→ layer {L})"),
            )
        else:
            formula = loss.formula if loss is not None else "L"
            note = f"summed over the outputs, averaged over the n = {n} samples"
            parts = [matrix(f"{a_out} = prediction", lt.a, samples, neurons), matrix("t = target", trace.t, samples, neurons)]
            if trace.loss is None:
                body: RenderableType = pending("computed in phase loss (p)")
            else:
                line = Text("  L = ")
                line.append(format_number(trace.loss), style="bold")
                if trace.penalty:
                    line.append(f"   with the {trace.reg.upper()} penalty {format_number(trace.penalty)}:"
                                f" {format_number(trace.loss + trace.penalty)}, what the gradients below descend")
                body = line
                if trace.dloss_da is not None:
                    line.append(f"   {gradient}", style="bold")
                    line.append(f"   n = {n}: L is the mean over the {n} samples, so each one's share is 1/n",
                                style="italic")
                    parts.append(matrix(f"∂L/∂{a_out}", trace.dloss_da, samples, neurons))
            s["loss"] = Group(heading("③ prediction and loss", trace.loss_name, formula, note), body, Columns(parts, padding=(0, 3)))

        # ④ backpropagation: δ
        if out_layer:
            formula = f"δ{k} = ∂L/∂{a_out} ⊙ {act}'(z{k})"
            if fn is not None and not fn.elementwise:  # every output depends on every z
                formula = f"δ{k} = ∂L/∂{a_out} · ∂{a_out}/∂z{k} ({act}'s Jacobian)"
            if loss is not None and act in loss.cancels:
                note = loss.cancels[act]
            else:
                note = "δ = ∂L/∂z: how much the loss changes with each neuron's z"
        else:
            above = sub(l + 2)
            formula = f"δ{k} = (δ{above}·W{above}ᵀ) ⊙ {act}'(z{k})"
            note = "the error of the layer above, sent back through its weights and scaled by f'"
        if lt.delta is None or not backward_done:
            delta_body: RenderableType = pending(f"not computed yet: phase backward {l + 1} (p)")
        else:
            parts = []
            if not out_layer and trace.layers[l + 1].delta is not None:
                parts.append(matrix(f"δ{sub(l + 2)} (from above)", trace.layers[l + 1].delta, samples, self._neuron_names(l + 2)))
            parts.append(matrix(f"δ{k} = ∂L/∂z{k}", lt.delta, samples, neurons))
            delta_body = Columns(parts, padding=(0, 3))
        s["delta"] = Group(heading("④ backpropagation", "δ", formula, note), delta_body)

        # ⑤ gradients
        formula = f"∂L/∂W{k} = {a_in}ᵀ·δ{k}"
        if trace.reg == "l2":
            formula += f" + {trace.reg_rate:g}·W{k}"
        elif trace.reg == "l1":
            formula += f" + {trace.reg_rate:g}·sign(W{k})"
        formula += f",   ∂L/∂b{k} = Σ δ{k} over the samples"
        if lt.dW is None or not backward_done:
            grad_body: RenderableType = pending(f"not computed yet: phase backward {l + 1} (p)")
        else:
            grad_body = Columns(
                [matrix(f"∂L/∂W{k}", lt.dW, inputs, neurons), matrix(f"∂L/∂b{k}", lt.db[None, :], [""], neurons)],
                padding=(0, 3),
            )
        reg_note = " (with the regularization term; biases are not regularized)" if trace.reg != "none" else ""
        s["grad"] = Group(heading("⑤ gradients", "", formula, f"which way each weight should move{reg_note}"), grad_body)

        # ⑥ update rule
        optimizer = OPTIMIZERS.get(trace.optimizer)
        rule = optimizer.rule if optimizer is not None else f"Δw as the {trace.optimizer} optimizer applies it."
        if lt.dW_update is None:
            update_body: RenderableType = pending("not applied yet: phase update (p)")
        else:
            parts = [matrix(f"ΔW{k}", lt.dW_update, inputs, neurons),
                     matrix(f"Δb{k}", lt.db_update[None, :], [""], neurons)]
            if trace.optimizer != "sgd" and lt.dW is not None:  # for comparison
                parts.append(matrix(f"−lr·∂L/∂W{k}, plain SGD's step", -trace.lr * lt.dW, inputs, neurons))
            update_body = Columns(parts, padding=(0, 3))
        update_parts: list[RenderableType] = [
            heading("⑥ update rule", trace.optimizer, f"w ← w − lr·∂L/∂w,  lr = {trace.lr:g}"),
            Text(f"  {rule}", style="italic"),
        ]
        if self.look_only and lt.dW_update is not None:
            update_parts.append(Text("  a look at one step: the weights are not changed (Δw is what a step on "
                                     "these samples would apply)", style="bold"))
        s["update"] = Group(*update_parts, update_body)
        return s

    def _gradcheck_renderable(self, l: int, rows: list[tuple[int, float, float, float]] | str) -> RenderableType:
        penalty = f" (L with its {self.trace.reg.upper()} penalty)" if self.trace.reg != "none" else ""
        intro = Text(
            f"∂L/∂w{penalty} by backprop (analytic) and by central differences (L(w+ε) − L(w−ε)) / 2ε, "
            f"for W{sub(l + 1)}: the weights into layer {l + 1}",
            style="italic",
        )
        if isinstance(rows, str):
            return Group(intro, Text(rows, style="bold red"))
        if not rows:
            return Group(intro, Text("no parameters were checked"))
        table = Table(box=None, padding=(0, 1), header_style="bold", pad_edge=False)
        for name in ("parameter", "analytic", "numerical", "relative error"):
            table.add_column(name, justify="left" if name == "parameter" else "right", no_wrap=True)
        for index, analytic, numeric, err in rows[:GRADCHECK_ROWS]:
            try:
                label = param_label(self.sizes, index, self.feature_names)
            except IndexError:
                label = str(index)
            table.add_row(label, number_text(analytic), number_text(numeric), f"{err:.0e}")
        parts: list[RenderableType] = [intro, table]
        if len(rows) > GRADCHECK_ROWS:
            parts.append(Text(f"… and {len(rows) - GRADCHECK_ROWS} more", style="dim"))
        parts.append(verdict(max(r[3] for r in rows)))
        return Group(*parts)


def verdict(max_error: float) -> Text:
    """The gradient check's conclusion from the largest relative error."""
    head = f"max relative error {max_error:.0e}: "
    if max_error < AGREES:
        return Text(head + "backprop agrees", style="bold green")
    if max_error < CLOSE:
        return Text(head + "close: backprop nearly agrees (a kink of relu, or float32 rounding?)", style="bold yellow")
    return Text(head + "backprop DISAGREES with the numerical gradient", style="bold red")


def phase_name(phase: Phase) -> str:
    """A phase as the screen names it: "backward 2" is the phase of layer 2 (the engine's weight layer 1)."""
    return str(phase) if phase.layer is None else f"{phase.stage} {phase.layer + 1}"


def _done(trace: Trace, phase: Phase) -> bool:
    """Whether the trace's step has done this phase (a trace without phases is complete)."""
    return not trace.phases or phase in trace.phases[: trace.n_done]


def _same_start(a: Trace | None, b: Trace) -> bool:
    """Whether two traces start from the same weights on the same samples."""
    if a is None or a.x.shape != b.x.shape or not np.array_equal(a.x, b.x):
        return False
    for la, lb in zip(a.layers, b.layers):
        if la.W is None or lb.W is None or not (np.array_equal(la.W, lb.W) and np.array_equal(la.b, lb.b)):
            return False
    return True
