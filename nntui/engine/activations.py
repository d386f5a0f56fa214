"""Activation functions f(z) and their derivatives f'(z).

Each derivative takes both the pre-activation ``z`` and the activation ``a = f(z)``,
because several are simplest written in terms of ``a`` (tanh: 1 - a², sigmoid: a(1 - a)).

Both take an optional ``out`` array, like NumPy's ufuncs: the trainer passes arrays it
allocated once, so a training step creates no new arrays.  Always use the return value
(``identity`` without ``out`` returns z itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """A named activation function with its derivative, and what the rest of nntui needs to know of it."""

    name: str
    f: Callable[..., Array]  # f(z, out=None) -> f(z)
    df: Callable[..., Array]  # df(z, a, out=None) -> f'(z), given z and a = f(z)
    note: str  # what it does, in a few words (the inspector shows it)
    low_target: float = 0.0  # as an output, the target for "not this class": -1 for outputs ranging over ±1
    init: str = "xavier"  # the weight init "auto" picks for it as the hidden activation
    elementwise: bool = True  # a[i] depends on z[i] alone; only these can be hidden activations

    @property
    def threshold(self) -> float:
        """As a single output: above this it says the second class (midway from low_target to 1)."""
        return (self.low_target + 1.0) / 2.0


def _new(out: Array | None, like: Array) -> Array:
    return np.empty_like(like) if out is None else out


def tanh_df(z: Array, a: Array, out: Array | None = None) -> Array:
    """1 - a²"""
    out = np.multiply(a, a, out=out)
    return np.subtract(1.0, out, out=out)


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """1 / (1 + e^-z), computed as ½(1 + tanh(z/2)) so it never overflows."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def sigmoid_df(z: Array, a: Array, out: Array | None = None) -> Array:
    """a(1 - a)"""
    out = np.subtract(1.0, a, out=out)
    out *= a
    return out


def relu(z: Array, out: Array | None = None) -> Array:
    return np.maximum(z, 0.0, out=out)


def relu_df(z: Array, a: Array, out: Array | None = None) -> Array:
    """1 where z > 0, else 0 (the step function; 0 at the kink)."""
    if out is None:
        return (z > 0).astype(z.dtype)
    return np.greater(z, 0.0, out=out)  # True/False written as 1.0/0.0 (np.heaviside is 5× slower)


LEAK = 0.01  # slope of leaky ReLU for z < 0


def leaky_relu(z: Array, out: Array | None = None) -> Array:
    """z where z > 0, else LEAK·z; the same as max(z, LEAK·z) since 0 < LEAK < 1."""
    out = np.multiply(z, LEAK, out=out)
    return np.maximum(z, out, out=out)


def leaky_relu_df(z: Array, a: Array, out: Array | None = None) -> Array:
    """1 where z > 0, else LEAK."""
    out = _new(out, z)
    out.fill(LEAK)
    np.copyto(out, 1.0, where=z > 0)
    return out


def elu(z: Array, out: Array | None = None) -> Array:
    """z where z > 0, else e^z - 1."""
    out = np.minimum(z, 0.0, out=out)
    np.expm1(out, out=out)
    np.copyto(out, z, where=z > 0)
    return out


def elu_df(z: Array, a: Array, out: Array | None = None) -> Array:
    """1 where z > 0, else e^z = a + 1."""
    out = np.add(a, 1.0, out=out)
    np.copyto(out, 1.0, where=z > 0)
    return out


def softplus(z: Array, out: Array | None = None) -> Array:
    """log(1 + e^z), without overflow."""
    return np.logaddexp(0.0, z, out=out)


def softplus_df(z: Array, a: Array, out: Array | None = None) -> Array:
    """sigmoid(z)"""
    return sigmoid(z, out=out)


def identity(z: Array, out: Array | None = None) -> Array:
    """z itself, or a copy of it in ``out``."""
    if out is None:
        return z
    np.copyto(out, z)
    return out


def ones(z: Array, a: Array, out: Array | None = None) -> Array:
    out = _new(out, z)
    out.fill(1.0)
    return out


def softmax(z: Array, out: Array | None = None) -> Array:
    """e^z / Σ e^z along each row (shifted by the row's max for stability)."""
    out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        # tanh is a ufunc: it takes out= itself.  Its outputs range over ±1, as Playground's labels.
        Activation("tanh", np.tanh, tanh_df, "squashes z into −1…1", low_target=-1.0),
        Activation("relu", relu, relu_df, "keeps z if positive, else 0", init="he"),
        Activation("sigmoid", sigmoid, sigmoid_df, "squashes z into 0…1"),
        Activation("linear", identity, ones, "a = z, unchanged", low_target=-1.0),
        Activation("leaky_relu", leaky_relu, leaky_relu_df, f"keeps z if positive, else {LEAK}·z", init="he"),
        Activation("elu", elu, elu_df, "z if positive, else eᶻ − 1", init="he"),
        Activation("softplus", softplus, softplus_df, "log(1 + eᶻ), a smooth relu"),
        # Softmax is only used as an output paired with cross-entropy, whose output
        # delta (a - t) already includes its Jacobian; its df is never called.
        Activation("softmax", softmax, ones, "eᶻ / Σeᶻ: the outputs are probabilities summing to 1", elementwise=False),
    )
}

HIDDEN_ACTIVATIONS = tuple(name for name, a in ACTIVATIONS.items() if a.elementwise)


def get_activation(name: str) -> Activation:
    """Look an activation up by name; ValueError names the valid ones."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation '{name}' (choose from {', '.join(HIDDEN_ACTIVATIONS)})"
        ) from None
