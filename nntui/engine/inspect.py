"""Look inside one training step: every intermediate quantity, phase by phase.

For teaching backprop it helps to see the numbers of a single step, in the order they are
computed:

    forward      z[l] = a[l] · W[l] + b[l],  a[l+1] = f(z[l])        for l = 0 … L-1
    loss         L(a[L], t), its gradient ∂L/∂a at the output, and δ[L-1] = ∂L/∂z[L-1]
    backward l   ∂L/∂W[l] = a[l]ᵀ · δ[l],  ∂L/∂b[l] = Σ δ[l],
                 δ[l-1] = (δ[l] · W[l]ᵀ) ⊙ f'(z[l-1])                for l = L-1 … 0
    update       w ← w − lr·∂L/∂w (or the momentum / Adam step)

``PhaseStepper`` performs a trainer's next mini-batch step one phase at a time by calling
the trainer's own phase methods (``forward``, ``output_delta``, ``backward_layer``,
``update``: what ``train_batch`` calls), and records what each computed; so completing it is
one ``step_batch``.  ``inspect_sample`` traces a step on any samples without touching the
trainer, and ``check_gradients`` compares backprop with central differences.

Every array in a ``Trace`` is a read-only copy: traces may be kept and handed to the UI.
Pure NumPy; the trainer is only read, except by ``PhaseStepper``, which trains it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

import numpy as np

from nntui.engine.gradcheck import analytic_gradient, numerical_gradient, relative_error
from nntui.engine.network import Network, split_flat
from nntui.engine.regularization import penalty
from nntui.engine.trainer import EpochStats, Trainer

Array = np.ndarray


class Stage(str, Enum):
    """The kinds of phase of a training step, in the order they come."""

    FORWARD = "forward"
    LOSS = "loss"
    BACKWARD = "backward"  # one phase per weight layer, from the output layer down
    UPDATE = "update"

    def __str__(self) -> str:
        return self.value


class Phase(str):
    """One phase of a step, a string as the inspector shows it ("forward", "loss", "backward 2",
    "update"), with its ``stage`` and, for a backward phase, its weight ``layer``."""

    stage: Stage
    layer: int | None

    def __new__(cls, stage: Stage, layer: int | None = None) -> "Phase":
        phase = super().__new__(cls, stage.value if layer is None else f"{stage.value} {layer}")
        phase.stage, phase.layer = stage, layer
        return phase

    def __getnewargs__(self) -> tuple[Stage, int | None]:  # pickled as what it is made from
        return self.stage, self.layer


@dataclass(frozen=True)
class LayerTrace:
    """One weight layer l: a[l] → z[l] = a[l]·W[l] + b[l] → a[l+1] = f(z[l])."""

    z: Array  # (n, n_out) pre-activation
    a: Array  # (n, n_out) activation f(z)
    delta: Array | None = None  # (n, n_out) ∂L/∂z; None until backprop reached this layer
    dW: Array | None = None  # (n_in, n_out) ∂L/∂W including the regularization term; None until computed
    db: Array | None = None  # (n_out,) ∂L/∂b
    dW_update: Array | None = None  # what the optimizer applied: W after − W before; None until the update
    db_update: Array | None = None
    W: Array | None = None  # the weights and biases the step started from
    b: Array | None = None


@dataclass(frozen=True)
class Trace:
    """Everything about one step on some samples, as read-only copies."""

    x: Array  # (n, n_0) inputs
    t: Array  # (n, n_L) targets, as the loss sees them
    layers: tuple[LayerTrace, ...]
    loss: float | None  # mean data loss over the samples, once computed
    dloss_da: Array | None  # ∂L/∂a at the output (n, n_L), once computed
    phase: Phase  # the phase just completed: "forward", "loss", "backward 2", …, "update"
    lr: float
    optimizer: str
    phases: tuple[Phase, ...] = ()  # every phase of the step, in order
    activations: tuple[str, ...] = ()  # name of f for each layer
    loss_name: str = ""  # its name in LOSSES
    reg: str = "none"
    reg_rate: float = 0.0
    penalty: float | None = None  # the regularization term of the objective, once the loss is computed

    @property
    def n_done(self) -> int:
        """How many phases are done (the phase just completed included)."""
        return self.phases.index(self.phase) + 1 if self.phase in self.phases else 0

    @property
    def complete(self) -> bool:
        return self.phase.stage is Stage.UPDATE


def phase_names(n_layers: int) -> list[Phase]:
    """The phases of a step through a network with n_layers weight layers."""
    backward = [Phase(Stage.BACKWARD, l) for l in range(n_layers - 1, -1, -1)]
    return [Phase(Stage.FORWARD), Phase(Stage.LOSS), *backward, Phase(Stage.UPDATE)]


def _frozen(a: Array) -> Array:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


# ------------------------------------------------------------------ flat parameter indices
def weight_index(net, l: int, i: int, j: int) -> int:
    """Flat index of W[l][i, j] in net.params (params = [W0, W1, …, b0, b1, …])."""
    sizes = net.sizes
    if not (0 <= l < len(sizes) - 1 and 0 <= i < sizes[l] and 0 <= j < sizes[l + 1]):
        raise IndexError(f"no weight W{l}[{i},{j}] in a {'-'.join(map(str, sizes))} network")
    offset = sum(n_in * n_out for n_in, n_out in zip(sizes[:l], sizes[1 : l + 1]))
    return offset + i * sizes[l + 1] + j


def bias_index(net, l: int, j: int) -> int:
    """Flat index of b[l][j] in net.params."""
    sizes = net.sizes
    if not (0 <= l < len(sizes) - 1 and 0 <= j < sizes[l + 1]):
        raise IndexError(f"no bias b{l}[{j}] in a {'-'.join(map(str, sizes))} network")
    n_weights = sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return n_weights + sum(sizes[1 : l + 1]) + j


def describe_index(sizes: Sequence[int], index: int) -> tuple[str, int, int, int]:
    """The parameter at a flat index: ("W", l, i, j) or ("b", l, j, 0)."""
    sizes = tuple(int(n) for n in sizes)
    start = 0
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if index < start + n_in * n_out:
            i, j = divmod(index - start, n_out)
            return "W", l, i, j
        start += n_in * n_out
    for l, n_out in enumerate(sizes[1:]):
        if index < start + n_out:
            return "b", l, index - start, 0
        start += n_out
    raise IndexError(f"parameter index {index} out of range for a {'-'.join(map(str, sizes))} network")


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def param_label(sizes: Sequence[int], index: int, inputs: Sequence[str] = ()) -> str:
    """A flat parameter index named as the screen numbers layers and neurons (layer 1 is the
    first hidden layer, neurons from 1): "W₁ x1→n3" is the weight from input x1 to neuron 3 of
    layer 1 (W[0][0, 2] here), "b₂ n1" the bias of neuron 1 of layer 2.  ``inputs`` names the
    input features (x1, x2, … if not given)."""
    kind, l, i, j = describe_index(sizes, index)
    layer = str(l + 1).translate(SUBSCRIPTS)
    if kind == "b":
        return f"b{layer} n{i + 1}"
    source = (inputs[i] if i < len(inputs) else f"x{i + 1}") if l == 0 else f"n{i + 1}"
    return f"W{layer} {source}→n{j + 1}"


def layer_indices(net, l: int, biases: bool = False) -> list[int]:
    """The flat indices of W[l] (row by row), followed by b[l]'s if biases."""
    n_in, n_out = net.sizes[l], net.sizes[l + 1]
    first = weight_index(net, l, 0, 0)
    out = list(range(first, first + n_in * n_out))
    if biases:
        first_b = bias_index(net, l, 0)
        out += list(range(first_b, first_b + n_out))
    return out


# ------------------------------------------------------------------ one step, phase by phase
class PhaseStepper:
    """Steps one mini-batch of a trainer phase by phase, and records what each phase computed.

    forward → loss → backward (one layer per call, from the output layer down) → update, each
    the trainer's own method; the batch is taken with trainer.next_batch() on the first
    advance(), and after the update come trainer.finish_batch() and check_divergence(), so
    completing all phases is exactly one trainer.step_batch().

    The trainer must not train in between (run the phases in the thread that owns it);
    if its parameters change between two phases, advance() raises RuntimeError.
    """

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.phases: list[Phase] = phase_names(trainer.net.n_layers)
        self.index = 0  # phases done
        self.stats: EpochStats | None = None  # finish_batch()'s figures, when this batch completed an epoch
        self._trace: Trace | None = None
        # What the phases computed so far: the trainer's arrays, and read-only copies for the trace.
        self._fwd = self._delta = self._params_before = self._grad = None
        self._layers: list[dict] = [{} for _ in range(trainer.net.n_layers)]
        self._x = self._t = None  # the batch, and its read-only copies for the trace
        self._x_copy = self._t_copy = None
        self._loss: float | None = None
        self._penalty: float | None = None
        self._dloss: Array | None = None

    @property
    def done(self) -> bool:
        return self.index >= len(self.phases)

    @property
    def next_phase(self) -> Phase | None:
        """The phase the next advance() performs (None when done)."""
        return None if self.done else self.phases[self.index]

    @property
    def trace(self) -> Trace | None:
        """The trace so far (None before the first advance)."""
        return self._trace

    def advance(self) -> Trace:
        """Do the next phase and return the trace so far (read-only copies)."""
        trainer, net = self.trainer, self.trainer.net
        if self.done:
            raise RuntimeError("every phase of this step is done: start a new PhaseStepper")
        phase = self.phases[self.index]
        if phase.stage is Stage.FORWARD:
            if trainer.diverged:
                raise RuntimeError(trainer.diverged)
            self._x, self._t = trainer.next_batch()
            self._x_copy, self._t_copy = _frozen(self._x), _frozen(self._t)
        elif not np.array_equal(net.params, self._params_before, equal_nan=True):
            raise RuntimeError("the network's parameters changed between two phases of a step")
        with np.errstate(all="ignore"):  # as step_batch: divergence is reported, not warned about
            if phase.stage is Stage.FORWARD:
                self._forward()
            elif phase.stage is Stage.LOSS:
                self._output_delta()
            elif phase.stage is Stage.BACKWARD:
                self._backward(phase.layer)
            else:
                self._update()
        self.index += 1
        self._trace = self._make_trace(phase)
        return self._trace

    def finish(self) -> Trace:
        """Do all remaining phases; returns the complete trace."""
        while not self.done:
            self.advance()
        assert self._trace is not None
        return self._trace

    def _forward(self) -> None:
        trainer, net = self.trainer, self.trainer.net
        self._params_before = net.params.copy()
        self._fwd = fwd = trainer.forward(self._x)
        for l, layer in enumerate(self._layers):
            layer.update(z=_frozen(fwd.z[l]), a=_frozen(fwd.a[l + 1]), W=_frozen(net.W[l]), b=_frozen(net.b[l]))

    def _output_delta(self) -> None:
        trainer, fwd, t = self.trainer, self._fwd, self._t
        self._delta = trainer.output_delta(fwd, t)
        self._layers[-1]["delta"] = _frozen(self._delta)
        # For the reader: the loss itself, the penalty, and ∂L/∂a (training needs none of them).
        self._loss = float(trainer.loss.value(fwd.z[-1], fwd.output, t))
        net = trainer.net
        self._penalty = penalty(net.params[: net.n_weights], trainer.reg, trainer.reg_rate)
        self._dloss = _frozen(trainer.loss.output_gradient(fwd.output, t))

    def _backward(self, l: int) -> None:
        net = self.trainer.net
        if self._grad is not None:
            net.grad[...] = self._grad  # in case something else used net.grad since the last phase
        below = self.trainer.backward_layer(l, self._delta, self._fwd)
        self._layers[l].update(dW=_frozen(net.dW[l]), db=_frozen(net.db[l]))
        if below is not None:
            self._delta = below
            self._layers[l - 1]["delta"] = _frozen(below)
        self._grad = net.grad.copy()

    def _update(self) -> None:
        trainer, net = self.trainer, self.trainer.net
        net.grad[...] = self._grad
        trainer.update()  # may overwrite net.grad: dW, db were copied
        change = net.params - self._params_before
        n_w = net.n_weights
        dWs = split_flat(change[:n_w], [w.shape for w in net.W])
        dbs = split_flat(change[n_w:], [b.shape for b in net.b])
        for l, layer in enumerate(self._layers):
            layer.update(dW_update=_frozen(dWs[l]), db_update=_frozen(dbs[l]))
        self.stats = trainer.finish_batch()
        trainer.check_divergence()

    def _make_trace(self, phase: Phase) -> Trace:
        trainer, net = self.trainer, self.trainer.net
        return Trace(
            x=self._x_copy,
            t=self._t_copy,
            layers=tuple(LayerTrace(**layer) for layer in self._layers),
            loss=self._loss,
            dloss_da=self._dloss,
            phase=phase,
            lr=float(trainer.lr),
            optimizer=trainer.optimizer.name,
            phases=tuple(self.phases),
            activations=tuple(net.activation(l).name for l in range(net.n_layers)),
            loss_name=trainer.loss.name,
            reg=trainer.reg,
            reg_rate=float(trainer.reg_rate),
            penalty=self._penalty,
        )


def _clone(net: Network, dtype=None) -> Network:
    """A new network with the same layers and a copy of the parameters (optionally another dtype)."""
    twin = Network(net.sizes, net.hidden, net.output, net.dtype if dtype is None else dtype)
    twin.params[...] = net.params
    return twin


def inspect_sample(trainer: Trainer, x: Array, y: Array) -> Trace:
    """The full trace (forward, loss, backward, update) of one step on the samples x (n, d)
    labelled y (classes, or regression values), leaving the trainer as it was.

    The step is taken by a trainer on just these samples, starting from a copy of this one's
    network and optimizer (with its memory), at its learning rate and regularization: the
    update is what this trainer would apply for a step on exactly these samples.
    """
    net = trainer.net
    x = np.atleast_2d(np.asarray(x))
    y = np.atleast_1d(np.asarray(y))
    if x.shape[1] != net.sizes[0] or len(y) != len(x):
        raise ValueError(f"expected x ({len(x)}, {net.sizes[0]}) and {len(x)} labels, got {x.shape} and {len(y)}")
    twin = Trainer(
        _clone(net), trainer.loss, copy.deepcopy(trainer.optimizer), x, y,
        task=trainer.task, lr=trainer.lr, batch_size=len(x), shuffle=False, reg=trainer.reg, reg_rate=trainer.reg_rate,
    )
    twin._hold(trainer.off)  # the neurons switched off by hand stay off in the step shown
    return PhaseStepper(twin).finish()


# ------------------------------------------------------------------ gradient check
def trace_params(trace: Trace) -> Array:
    """The flat parameter vector a trace's step started from ([W0, W1, …, b0, b1, …])."""
    if any(lt.W is None for lt in trace.layers):
        raise ValueError("the trace has no weights yet (its forward phase is not done)")
    return np.concatenate([lt.W.ravel() for lt in trace.layers] + [lt.b.ravel() for lt in trace.layers])


def _as_batch(trainer: Trainer, x: Array, t: Array, dtype) -> tuple[Array, Array]:
    net = trainer.net
    x = np.ascontiguousarray(np.atleast_2d(np.asarray(x)), dtype=dtype)
    t = np.asarray(t, dtype=dtype)
    if t.ndim == 1:
        t = t.reshape(len(x), -1)
    if x.shape[1] != net.sizes[0] or t.shape != (len(x), net.sizes[-1]):
        raise ValueError(
            f"expected x ({len(x)}, {net.sizes[0]}) and t ({len(x)}, {net.sizes[-1]}), got {x.shape} and {t.shape}"
        )
    return x, t


def check_gradients(
    trainer, x: Array, t: Array, indices: Sequence[int], params: Array | None = None
) -> list[tuple[int, float, float, float]]:
    """(index, analytic, numerical, relative error) for the given flat parameter indices.

    The gradient of the trainer's objective (mean data loss + regularization penalty) on the
    samples x, t: by backprop and by central differences (L(p+ε) − L(p−ε)) / 2ε, at the
    trainer's current parameters or at ``params`` (e.g. ``trace_params(trace)``, the weights a
    trace's step started from, so the analytic column is the trace's ∂L/∂W).  Computed in
    float64 on a copy of the network, so the trainer's parameters stay exactly as they were.
    """
    net = trainer.net
    x, t = _as_batch(trainer, x, t, np.float64)
    twin = _clone(net, np.float64)
    if params is not None:
        twin.params[...] = params
    indices = [int(i) for i in indices]
    with np.errstate(all="ignore"):
        analytic = analytic_gradient(twin, trainer.loss, x, t, trainer.reg, trainer.reg_rate)
        numeric = numerical_gradient(twin, trainer.loss, x, t, trainer.reg, trainer.reg_rate, indices=indices)
        errors = relative_error(analytic, numeric)
    return [(i, float(analytic[i]), float(numeric[i]), float(errors[i])) for i in indices]
