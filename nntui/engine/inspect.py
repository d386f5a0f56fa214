"""Look inside one training step: every intermediate quantity, phase by phase.

For teaching backprop it helps to see the numbers of a single step, in the order they are
computed:

    forward      z[l] = a[l] · W[l] + b[l],  a[l+1] = f(z[l])        for l = 0 … L-1
    loss         L(a[L], t), its gradient ∂L/∂a at the output, and δ[L-1] = ∂L/∂z[L-1]
    backward l   ∂L/∂W[l] = a[l]ᵀ · δ[l],  ∂L/∂b[l] = Σ δ[l],
                 δ[l-1] = (δ[l] · W[l]ᵀ) ⊙ f'(z[l-1])                for l = L-1 … 0
    update       w ← w − lr·∂L/∂w (or the momentum / Adam step)

``PhaseStepper`` performs a trainer's next mini-batch step in exactly these phases, with the
engine's own code and arithmetic, so that completing it is bit for bit one ``step_batch``.
``inspect_sample`` computes the same trace for any samples without touching the trainer,
and ``check_gradients`` compares backprop with central differences.

Every array in a ``Trace`` is a read-only copy: traces may be kept and handed to the UI.
Pure NumPy; the trainer is only read, except by ``PhaseStepper``, which trains it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nntui.engine.gradcheck import analytic_gradient, numerical_gradient, relative_error
from nntui.engine.losses import Loss, encode_targets
from nntui.engine.network import Network, split_flat
from nntui.engine.optimizers import Optimizer
from nntui.engine.regularization import add_penalty_gradient, penalty

Array = np.ndarray

FORWARD, LOSS, UPDATE = "forward", "loss", "update"


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
    phase: str  # the phase just completed: "forward", "loss", "backward 2", …, "update"
    lr: float
    optimizer: str
    phases: tuple[str, ...] = ()  # every phase of the step, in order
    activations: tuple[str, ...] = ()  # name of f for each layer
    loss_name: str = ""  # "bce", "ce" or "squared"
    reg: str = "none"
    reg_rate: float = 0.0
    penalty: float | None = None  # the regularization term of the objective, once the loss is computed

    @property
    def n_done(self) -> int:
        """How many phases are done (the phase just completed included)."""
        return self.phases.index(self.phase) + 1 if self.phase in self.phases else 0

    @property
    def complete(self) -> bool:
        return self.phase == UPDATE


def phase_names(n_layers: int) -> list[str]:
    """The phases of a step through a network with n_layers weight layers."""
    return [FORWARD, LOSS, *(f"backward {l}" for l in range(n_layers - 1, -1, -1)), UPDATE]


def output_gradient(loss: Loss, a: Array, t: Array) -> Array | None:
    """∂L/∂a at the output for the batch-mean loss (None for an unknown loss).

    The engine never needs it (its losses give δ = ∂L/∂z directly); it is shown for teaching.
    """
    n = len(a)
    with np.errstate(all="ignore"):
        if loss.name == "squared":  # ½Σ(a−t)²
            return (a - t) / n
        if loss.name == "bce":  # −[t log a + (1−t) log(1−a)]
            return (a - t) / (a * (1.0 - a)) / n
        if loss.name == "ce":  # −Σ t log a
            return np.where(t != 0, -t / a, 0.0) / n
    return None


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


def param_label(sizes: Sequence[int], index: int) -> str:
    """A readable name of a flat parameter index, e.g. "W1[0,2]" or "b1[2]"."""
    kind, l, i, j = describe_index(sizes, index)
    return f"W{l}[{i},{j}]" if kind == "W" else f"b{l}[{i}]"


def layer_indices(net, l: int, biases: bool = False) -> list[int]:
    """The flat indices of W[l] (row by row), followed by b[l]'s if biases."""
    n_in, n_out = net.sizes[l], net.sizes[l + 1]
    first = weight_index(net, l, 0, 0)
    out = list(range(first, first + n_in * n_out))
    if biases:
        first_b = bias_index(net, l, 0)
        out += list(range(first_b, first_b + n_out))
    return out


def targets(trainer, y: Array) -> Array:
    """The target matrix the trainer's loss takes for labels (or regression values) y."""
    net = trainer.net
    return encode_targets(np.asarray(y), net.sizes[-1], trainer.task, net.output.name).astype(net.dtype)


# ------------------------------------------------------------------ one step, phase by phase
class _Step:
    """One gradient step of ``net`` on (x, t), done phase by phase with the trainer's arithmetic.

    Mirrors ``Trainer.train_batch``: forward with a workspace, loss.delta into the workspace,
    backward_layer from the output layer down (what ``Network.backward`` does), the penalty
    gradient on the weights' slice of the gradient, optimizer.step.
    """

    def __init__(self, net: Network, loss: Loss, optimizer: Optimizer, reg: str, reg_rate: float, x: Array, t: Array):
        self.net, self.loss, self.optimizer = net, loss, optimizer
        self.reg, self.reg_rate = reg, reg_rate
        if x.dtype != net.dtype:  # as train_batch: the workspace's products need the network's dtype
            x = x.astype(net.dtype)
        self.x, self.t = x, t
        self.phases = phase_names(net.n_layers)
        self.index = 0
        # Its own arrays (the same products as the trainer's workspace for this batch size),
        # so nothing else using the trainer's workspace between two phases can disturb them.
        self.ws = net.workspace(len(x))
        self.fwd = None
        self.delta: Array | None = None
        self.params_before: Array | None = None
        self.grad: Array | None = None  # the gradient so far, restored before each phase
        L = net.n_layers
        self.rec: list[dict] = [{} for _ in range(L)]
        self.loss_value: float | None = None
        self.penalty_value: float | None = None
        self.dloss: Array | None = None
        self.x_copy, self.t_copy = _frozen(x), _frozen(t)

    @property
    def done(self) -> bool:
        return self.index >= len(self.phases)

    def advance(self, lr: float) -> str:
        """Do the next phase; returns its name."""
        if self.done:
            raise RuntimeError("every phase of this step is done")
        name = self.phases[self.index]
        net = self.net
        if name != FORWARD and not np.array_equal(net.params, self.params_before, equal_nan=True):
            raise RuntimeError("the network's parameters changed between two phases of a step")
        with np.errstate(all="ignore"):  # as step_batch: divergence is reported, not warned about
            if name == FORWARD:
                self._forward()
            elif name == LOSS:
                self._loss()
            elif name == UPDATE:
                self._update(lr)
            else:
                self._backward(int(name.split()[1]))
        self.index += 1
        return name

    def _forward(self) -> None:
        net = self.net
        self.params_before = net.params.copy()
        self.fwd = net.forward(self.x, self.ws)
        for l in range(net.n_layers):
            self.rec[l].update(z=_frozen(self.fwd.z[l]), a=_frozen(self.fwd.a[l + 1]),
                               W=_frozen(net.W[l]), b=_frozen(net.b[l]))

    def _loss(self) -> None:
        net, fwd, ws = self.net, self.fwd, self.ws
        z, a = fwd.z[-1], fwd.output
        self.delta = self.loss.delta(z, a, self.t, net.output, out=ws.deltas[-1])  # ∂L/∂z at the output
        self.rec[-1]["delta"] = _frozen(self.delta)
        self.loss_value = float(self.loss.value(z, a, self.t))
        self.penalty_value = penalty(net.params[: net.n_weights], self.reg, self.reg_rate)
        d = output_gradient(self.loss, a, self.t)
        self.dloss = None if d is None else _frozen(d)

    def _backward(self, l: int) -> None:
        net = self.net
        if self.grad is not None:
            net.grad[...] = self.grad  # in case something else used net.grad since the last phase
        below = net.backward_layer(l, self.delta, self.fwd, self.ws)
        dW = net.dW[l].copy()
        if self.reg != "none":  # the same elementwise term train_batch adds over all weights at once
            add_penalty_gradient(dW.reshape(-1), net.W[l].reshape(-1), self.reg, self.reg_rate)
        self.rec[l].update(dW=_frozen(dW), db=_frozen(net.db[l]))
        if below is not None:
            self.delta = below
            self.rec[l - 1]["delta"] = _frozen(below)
        if l == 0 and self.reg != "none":
            add_penalty_gradient(net.grad[: net.n_weights], net.params[: net.n_weights], self.reg, self.reg_rate)
        self.grad = net.grad.copy()

    def _update(self, lr: float) -> None:
        net = self.net
        net.grad[...] = self.grad
        self.optimizer.step(net.params, net.grad, lr)  # may overwrite net.grad: dW, db were copied
        change = net.params - self.params_before
        n_w = net.n_weights
        dWs = split_flat(change[:n_w], [w.shape for w in net.W])
        dbs = split_flat(change[n_w:], [b.shape for b in net.b])
        for l in range(net.n_layers):
            self.rec[l].update(dW_update=_frozen(dWs[l]), db_update=_frozen(dbs[l]))
        self.params_before = None

    def trace(self, lr: float, optimizer: str) -> Trace:
        net = self.net
        return Trace(
            x=self.x_copy,
            t=self.t_copy,
            layers=tuple(LayerTrace(**r) for r in self.rec),
            loss=self.loss_value,
            dloss_da=self.dloss,
            phase=self.phases[self.index - 1] if self.index else "",
            lr=float(lr),
            optimizer=optimizer,
            phases=tuple(self.phases),
            activations=tuple(net.activation(l).name for l in range(net.n_layers)),
            loss_name=self.loss.name,
            reg=self.reg,
            reg_rate=float(self.reg_rate),
            penalty=self.penalty_value,
        )


def _clone(net: Network, dtype=None) -> Network:
    """A new network with the same layers and a copy of the parameters (optionally another dtype)."""
    twin = Network(net.sizes, net.hidden, net.output, net.dtype if dtype is None else dtype)
    twin.params[...] = net.params
    return twin


def _as_batch(trainer, x: Array, t: Array, dtype) -> tuple[Array, Array]:
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


def inspect_sample(trainer, x: Array, t: Array) -> Trace:
    """The full trace (forward, loss, backward, update) for the samples x (n, d) with targets t.

    Computed with the engine's own forward/backward code on a copy of the network, without
    changing the trainer: the update is what the trainer's optimizer (a copy of it, with its
    state) would apply for a step on exactly these samples at the current learning rate and
    regularization.  t is the target matrix (see ``targets`` to make it from labels).
    """
    net = trainer.net
    x, t = _as_batch(trainer, x, t, net.dtype)
    step = _Step(_clone(net), trainer.loss, copy.deepcopy(trainer.optimizer), trainer.reg, trainer.reg_rate, x, t)
    lr = trainer.lr
    while not step.done:
        step.advance(lr)
    return step.trace(lr, trainer.optimizer.name)


class PhaseStepper:
    """Steps one mini-batch of a trainer phase by phase.

    forward → loss → backward (one layer per call, from the output layer down) → update.
    After the update it calls trainer.finish_batch() and check_divergence(), so completing
    all phases equals exactly one trainer.step_batch(): identical weights, bit for bit.
    The batch is taken with trainer.next_batch() on the first advance().

    The trainer must not train in between (run the phases in the thread that owns it);
    if its parameters change between two phases, advance() raises RuntimeError.
    """

    def __init__(self, trainer) -> None:
        self.trainer = trainer
        self.phases: list[str] = phase_names(trainer.net.n_layers)
        self.index = 0  # phases done
        self.stats = None  # finish_batch()'s EpochStats, when this batch completed an epoch
        self._step: _Step | None = None
        self._trace: Trace | None = None

    @property
    def done(self) -> bool:
        return self.index >= len(self.phases)

    @property
    def next_phase(self) -> str | None:
        """The phase the next advance() performs (None when done)."""
        return None if self.done else self.phases[self.index]

    @property
    def trace(self) -> Trace | None:
        """The trace so far (None before the first advance)."""
        return self._trace

    def advance(self) -> Trace:
        """Do the next phase and return the trace so far (read-only copies)."""
        trainer = self.trainer
        if self.done:
            raise RuntimeError("every phase of this step is done: start a new PhaseStepper")
        if self._step is None:
            if trainer.diverged:
                raise RuntimeError(trainer.diverged)
            x, t = trainer.next_batch()
            self._step = _Step(trainer.net, trainer.loss, trainer.optimizer, trainer.reg, trainer.reg_rate, x, t)
        step = self._step
        lr = trainer.lr
        name = step.advance(lr)
        if name == UPDATE:
            self.stats = trainer.finish_batch()
            trainer.check_divergence()
        self.index = step.index
        self._trace = step.trace(lr, trainer.optimizer.name)
        return self._trace

    def finish(self) -> Trace:
        """Do all remaining phases; returns the complete trace."""
        while not self.done:
            self.advance()
        assert self._trace is not None
        return self._trace


# ------------------------------------------------------------------ gradient check
def trace_params(trace: Trace) -> Array:
    """The flat parameter vector a trace's step started from ([W0, W1, …, b0, b1, …])."""
    if any(lt.W is None for lt in trace.layers):
        raise ValueError("the trace has no weights yet (its forward phase is not done)")
    return np.concatenate([lt.W.ravel() for lt in trace.layers] + [lt.b.ravel() for lt in trace.layers])


def check_gradients(
    trainer, x: Array, t: Array, indices: Sequence[int], params: Array | None = None
) -> list[tuple[int, float, float, float]]:
    """(index, analytic, numerical, relative error) for the given flat parameter indices.

    The gradient of the trainer's objective (mean data loss + regularization penalty) on the
    samples x, t: by backprop and by central differences (J(p+ε) − J(p−ε)) / 2ε, at the
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
