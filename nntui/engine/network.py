"""A fully connected network: a[l+1] = f(a[l] · W[l] + b[l]).

Shapes, for a batch of n samples and layer sizes (n_0, n_1, …, n_L):
    a[l]  (n, n_l)          activations, a[0] = x
    W[l]  (n_l, n_{l+1})    weights from layer l to layer l+1
    b[l]  (n_{l+1},)        biases of layer l+1
    z[l]  (n, n_{l+1})      pre-activations, z[l] = a[l] · W[l] + b[l]

All parameters live in one flat vector ``params`` laid out as [W0, W1, …, b0, b1, …];
``W[l]`` and ``b[l]`` are views into it, and the gradients likewise into ``grad``.
That lets an optimizer update every parameter with one vectorized expression and lets
regularization touch all weights (but no biases) as the slice ``params[:n_weights]``.

``forward`` and ``backward`` write into a ``Workspace``: arrays for a batch size, allocated
once and overwritten by every pass.  The trainer keeps one, so a training step allocates
nothing; on wide layers that also spares the operating system handing out (and zeroing)
fresh memory pages for every temporary array.  Without one, a pass allocates its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nntui.engine.activations import Activation

Array = np.ndarray

INITS = ("auto", "xavier", "he", "uniform")


@dataclass
class Forward:
    """What the forward pass computed, kept for the backward pass."""

    z: list[Array]  # z[l], l = 0 … L-1: pre-activations of layer l+1
    a: list[Array]  # a[l], l = 0 … L: a[0] is the input, a[L] the output

    @property
    def output(self) -> Array:
        return self.a[-1]


def matrix_product(n: int, n_in: int, n_out: int):
    """The faster of NumPy's two matrix products for a layer n_in → n_out on n samples.

    Both compute the same products.  np.dot's fixed cost per call is about 0.25 µs lower,
    which is most of the time of a small layer's product; np.matmul is faster on large ones
    (it spreads them better over OpenBLAS's threads), except that it computes the outer
    product δ·Wᵀ below a one-neuron layer without BLAS, several times slower than np.dot.
    The two cost about the same near n·n_in·n_out = 65,536 multiply-adds.
    """
    return np.dot if n_out == 1 or n * n_in * n_out < 65_536 else np.matmul


@dataclass
class Workspace:
    """Arrays for the passes over a batch of ``n`` samples, reused by every step.

    The batch must have the network's dtype, and so the arrays do: np.dot, unlike
    np.matmul, does not cast its result into ``out``.
    """

    sizes: tuple[int, ...]  # the network's layer sizes
    fwd: Forward  # z[l] and a[l+1] (a[0] is set to the batch itself)
    deltas: list[Array]  # δ[l] = ∂L/∂z[l], shaped like z[l]
    df: list[Array]  # f'(z[l]), shaped like z[l]

    def __post_init__(self):
        self.n = len(self.fwd.z[0])
        self.products = [matrix_product(self.n, n_in, n_out) for n_in, n_out in zip(self.sizes, self.sizes[1:])]

    @classmethod
    def allocate(cls, sizes: Sequence[int], n: int, dtype) -> "Workspace":
        def arrays() -> list[Array]:  # every element is written before it is read
            return [np.empty((n, n_out), dtype) for n_out in sizes[1:]]

        return cls(tuple(sizes), Forward(arrays(), [None] + arrays()), arrays(), arrays())

    def rows(self, n: int) -> "Workspace":
        """The same arrays cut to their first n rows (views: a smaller batch shares them)."""
        if n > self.n:
            raise ValueError(f"workspace has {self.n} rows, {n} wanted")
        return Workspace(
            self.sizes,
            Forward([z[:n] for z in self.fwd.z], [None] + [a[:n] for a in self.fwd.a[1:]]),
            [d[:n] for d in self.deltas],
            [d[:n] for d in self.df],
        )


def split_flat(flat: Array, shapes: Sequence[tuple[int, ...]]) -> list[Array]:
    """Cut a flat vector into consecutive views of the given shapes."""
    views, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        views.append(flat[start : start + size].reshape(shape))
        start += size
    return views


class Network:
    """Dense layers with one hidden activation and an output activation."""

    def __init__(self, sizes: Sequence[int], hidden: Activation, output: Activation, dtype=np.float64):
        if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
            raise ValueError(f"layer sizes must be at least 1, got {list(sizes)}")
        self.sizes = tuple(int(n) for n in sizes)
        self.hidden = hidden
        self.output = output
        self.activations = (hidden,) * (len(self.sizes) - 2) + (output,)  # f of each weight layer's outputs
        self.dtype = np.dtype(dtype)
        w_shapes = [(n_in, n_out) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        b_shapes = [(n_out,) for n_out in self.sizes[1:]]
        self.n_weights = sum(n_in * n_out for n_in, n_out in w_shapes)
        n_params = self.n_weights + sum(self.sizes[1:])
        self.params = np.zeros(n_params, dtype=self.dtype)
        self.grad = np.zeros(n_params, dtype=self.dtype)
        self.W = split_flat(self.params, w_shapes)
        self.b = split_flat(self.params[self.n_weights :], b_shapes)
        self.dW = split_flat(self.grad, w_shapes)
        self.db = split_flat(self.grad[self.n_weights :], b_shapes)

    def __reduce__(self):
        """Pickle as the layer sizes, activations and parameters: the views into ``params`` and
        ``grad`` are made afresh by ``__init__`` (pickle would copy them apart)."""
        return (_rebuilt, (self.sizes, self.hidden, self.output, self.dtype, self.params))

    @property
    def n_layers(self) -> int:
        """Number of weight layers L (hidden layers + the output layer)."""
        return len(self.W)

    def activation(self, l: int) -> Activation:
        """The activation applied after weight layer l."""
        return self.activations[l]

    def workspace(self, n: int) -> Workspace:
        """Arrays for forward and backward passes over batches of n samples (see ``forward``)."""
        return Workspace.allocate(self.sizes, n, self.dtype)

    # ---------------------------------------------------------------- initialisation
    def initialize(self, rng: np.random.Generator, init: str = "auto") -> None:
        """Draw fresh weights: Xavier/Glorot, He, or Playground's uniform(-0.5, 0.5)."""
        if init == "auto":
            init = self.hidden.init
        for W, b in zip(self.W, self.b):
            n_in, n_out = W.shape
            if init == "xavier":  # Var(w) = 2 / (n_in + n_out)
                W[...] = rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), W.shape)
                b[...] = 0.0
            elif init == "he":  # Var(w) = 2 / n_in
                W[...] = rng.normal(0.0, np.sqrt(2.0 / n_in), W.shape)
                b[...] = 0.0
            elif init == "uniform":  # TensorFlow Playground
                W[...] = rng.uniform(-0.5, 0.5, W.shape)
                b[...] = 0.1
            else:
                raise ValueError(f"unknown init '{init}' (choose from {', '.join(INITS)})")

    def set_weights(self, W: Sequence[Array], b: Sequence[Array]) -> None:
        """Copy given weights and biases in; shapes must match the layer sizes."""
        if len(W) != self.n_layers or len(b) != self.n_layers:
            raise ValueError(f"expected {self.n_layers} weight layers, got {len(W)}")
        for l, (w_new, b_new) in enumerate(zip(W, b)):
            if np.shape(w_new) != self.W[l].shape or np.shape(b_new) != self.b[l].shape:
                raise ValueError(
                    f"layer {l}: expected W{l} {self.W[l].shape} and b{l} {self.b[l].shape}, "
                    f"got {np.shape(w_new)} and {np.shape(b_new)}"
                )
            self.W[l][...] = w_new
            self.b[l][...] = b_new

    # ---------------------------------------------------------------- forward
    def forward(self, x: Array, ws: Workspace | None = None) -> Forward:
        """Propagate a batch x (n, n_0) through every layer, keeping z and a.

        The results are written into the workspace ``ws`` for n samples (a new one if None),
        and the returned ``ws.fwd`` is only valid until the workspace's next pass.
        """
        if ws is None:
            ws = self.workspace(len(x))
        if x.dtype != self.dtype:  # the workspace's products need the network's dtype
            x = x.astype(self.dtype)
        fwd = ws.fwd
        fwd.a[0] = a = x
        for l, f in enumerate(self.activations):
            z = ws.products[l](a, self.W[l], out=fwd.z[l])  # (n, n_{l+1})
            z += self.b[l]
            a = f.f(z, out=fwd.a[l + 1])
        return fwd

    def predict(self, x: Array) -> Array:
        """The network's output for x, shape (n, n_L)."""
        return self.forward(x).output

    # ---------------------------------------------------------------- backward
    def backward_layer(self, l: int, delta: Array, fwd: Forward, ws: Workspace, biases: bool = True) -> Array | None:
        """Backpropagate through weight layer l.

        Given delta = ∂L/∂z[l] (n, n_{l+1}), write the gradients
            ∂L/∂W[l] = a[l]ᵀ · delta        (n_l, n_{l+1})
            ∂L/∂b[l] = Σ_samples delta      (n_{l+1},)
        into dW[l] and db[l], and return the delta of the layer below,
            ∂L/∂z[l-1] = (delta · W[l]ᵀ) ⊙ f'(z[l-1])     (n, n_l),
        written into ``ws``, or None at the input layer.
        """
        product = ws.products[l]
        product(fwd.a[l].T, delta, out=self.dW[l])
        if biases:
            np.add.reduce(delta, axis=0, out=self.db[l])  # np.sum without its Python wrapper
        if l == 0:
            return None
        below = product(delta, self.W[l].T, out=ws.deltas[l - 1])
        below *= self.hidden.df(fwd.z[l - 1], fwd.a[l], out=ws.df[l - 1])
        return below

    def backward(self, fwd: Forward, delta_out: Array, ws: Workspace | None = None, biases: bool = True) -> list[Array]:
        """Fill ``grad`` from the output delta ∂L/∂z[L-1]; return every layer's delta.

        The deltas of the hidden layers are written into ``ws`` (a new workspace if None).
        ``biases=False`` leaves db alone (the trainer's evaluation only needs ∂L/∂W).
        """
        if ws is None:
            ws = self.workspace(len(delta_out))
        deltas = [delta_out] * self.n_layers
        delta = delta_out
        for l in range(self.n_layers - 1, 0, -1):
            delta = deltas[l - 1] = self.backward_layer(l, delta, fwd, ws, biases)
        self.backward_layer(0, delta, fwd, ws, biases)
        return deltas


def _rebuilt(sizes: Sequence[int], hidden: Activation, output: Activation, dtype, params: Array) -> Network:
    """A Network with these parameters (for unpickling)."""
    net = Network(sizes, hidden, output, dtype)
    net.params[...] = params
    return net
