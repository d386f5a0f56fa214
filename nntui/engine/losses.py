"""Losses L(a, t), averaged over the samples of a batch, and their output deltas ∂L/∂z.

The output delta is the gradient of the mean loss with respect to the output layer's
pre-activation z.  For sigmoid + binary cross-entropy and softmax + cross-entropy it is
the famous (a - t) / n; for squared error it is (a - t) · f'(z) / n.
"""

from __future__ import annotations

import numpy as np

from nntui.engine.activations import ACTIVATIONS, Activation

Array = np.ndarray


def prediction_error(a: Array, t: Array, out: Array | None = None) -> Array:
    """(a - t) / n: how far each output is from its target, averaged over the n samples."""
    out = np.subtract(a, t, out=out)
    out /= len(a)
    return out


class Loss:
    """Base class: a loss, the output activations it is paired with, and how it reads.

    A new loss is a subclass here with its entry in ``LOSSES``: the settings offer it, the
    session builds it, and the inspector shows its formula and ∂L/∂a from these attributes.
    """

    name = ""
    formula = ""  # L for one sample, as the inspector shows it
    gradient = ""  # ∂L/∂a of the mean over the n samples of a mini-batch, with {a} for the output's name
    outputs: tuple[str, ...] = ()  # output activations this loss may be used with
    default_output = ""  # the one --output auto picks
    regression = False  # may be used on regression data (else classification only)
    # Output activations whose f'(z) drops out of δ = ∂L/∂a ⊙ f'(z) (``delta`` skips it), each
    # with the inspector's note on why and what δ is then.
    cancels: dict[str, str] = {}

    def value(self, z: Array, a: Array, t: Array) -> float:
        """Mean loss over the batch; z is the output pre-activation, a = f(z)."""
        raise NotImplementedError

    def output_gradient(self, a: Array, t: Array) -> Array:
        """∂L/∂a of the mean loss, (n, n_out).  Training never needs it (``delta`` goes straight
        to ∂L/∂z); the inspector shows it."""
        raise NotImplementedError

    def delta(self, z: Array, a: Array, t: Array, f: Activation, out: Array | None = None) -> Array:
        """∂L/∂z at the output layer, shape (n, n_out) (written into ``out`` if given)."""
        raise NotImplementedError

    def n_outputs(self, n_classes: int) -> int | None:
        """Output neurons for n_classes classes: one for two (labels low/1), else one per class;
        None if this loss cannot take that many classes."""
        return 1 if n_classes == 2 else n_classes


class BinaryCrossEntropy(Loss):
    """L = -Σ_k [t_k log a_k + (1 - t_k) log(1 - a_k)] with a = sigmoid(z), t in {0, 1}."""

    name = "bce"
    formula = "L = −Σ[t·log a + (1 − t)·log(1 − a)]"
    gradient = "({a} − t)/({a}·(1 − {a}))/n"
    outputs = ("sigmoid",)
    default_output = "sigmoid"
    cancels = {"sigmoid": "for a sigmoid output with cross-entropy f' = a(1 − a) cancels: simply (a − t)/n"}

    def value(self, z: Array, a: Array, t: Array) -> float:
        # Written in terms of z, log(1 + e^z) - t·z, so it never takes log(0).
        e = np.logaddexp(0.0, z) - t * z
        return float(e.sum() / len(z))  # summed over outputs, averaged over samples

    def output_gradient(self, a: Array, t: Array) -> Array:
        return (a - t) / (a * (1.0 - a)) / len(a)

    def delta(self, z: Array, a: Array, t: Array, f: Activation, out: Array | None = None) -> Array:
        return prediction_error(a, t, out)  # the sigmoid's f'(z) cancels against the loss's 1/(a(1-a))

    def n_outputs(self, n_classes: int) -> int | None:
        return 1 if n_classes == 2 else None  # one sigmoid output: two classes only


class CrossEntropy(Loss):
    """L = -Σ_k t_k log a_k with a = softmax(z), t one-hot."""

    name = "ce"
    formula = "L = −Σ t·log a"
    gradient = "−(t/{a})/n"
    outputs = ("softmax",)
    default_output = "softmax"
    cancels = {"softmax": "for a softmax output with cross-entropy its Jacobian cancels: simply (a − t)/n"}

    def value(self, z: Array, a: Array, t: Array) -> float:
        # -Σ t·log softmax(z) = logsumexp(z) - Σ t·z for one-hot t.
        m = z.max(axis=1, keepdims=True)
        logsumexp = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
        e = logsumexp - (t * z).sum(axis=1)
        return float(e.sum() / e.size)

    def output_gradient(self, a: Array, t: Array) -> Array:
        return np.where(t != 0, -t / a, 0.0) / len(a)

    def delta(self, z: Array, a: Array, t: Array, f: Activation, out: Array | None = None) -> Array:
        return prediction_error(a, t, out)  # the softmax Jacobian cancels the same way

    def n_outputs(self, n_classes: int) -> int | None:
        return n_classes  # a softmax over every class, two included


class SquaredError(Loss):
    """L = ½ Σ_k (a_k - t_k)², the convention of Nielsen's book and TensorFlow Playground."""

    name = "squared"
    formula = "L = ½·Σ(a − t)²"
    gradient = "({a} − t)/n"
    outputs = ("linear", "tanh", "sigmoid")
    default_output = "linear"
    regression = True
    cancels = {"linear": "with a linear output f' = 1: simply (a − t)/n"}

    def value(self, z: Array, a: Array, t: Array) -> float:
        e = a - t
        return float(0.5 * np.sum(e * e) / len(a))

    def output_gradient(self, a: Array, t: Array) -> Array:
        return (a - t) / len(a)

    def delta(self, z: Array, a: Array, t: Array, f: Activation, out: Array | None = None) -> Array:
        e = prediction_error(a, t, out)  # (a - t) / n ⊙ f'(z)
        if f.name not in self.cancels:
            e *= f.df(z, a)
        return e


LOSSES: dict[str, Loss] = {loss.name: loss for loss in (BinaryCrossEntropy(), CrossEntropy(), SquaredError())}
OUTPUTS = tuple(dict.fromkeys(name for loss in LOSSES.values() for name in loss.outputs))  # every output activation


def encode_targets(y: Array, n_outputs: int, task: str, output: str) -> Array:
    """Turn labels into the network's target matrix t, shape (n, n_outputs).

    Regression: the values themselves.  One output for two classes: low/1.
    Otherwise one-hot (with the low target for the other classes).
    """
    if task == "regression":
        return np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    low = ACTIVATIONS[output].low_target
    if n_outputs == 1:
        return np.where(y.reshape(-1, 1) == 1, 1.0, low)
    t = np.full((len(y), n_outputs), low)
    t[np.arange(len(y)), y] = 1.0
    return t


def decode_outputs(a: Array, task: str, output: str) -> Array:
    """Predicted class indices (classification) or values (regression) from outputs a."""
    if task == "regression":
        return a[:, 0] if a.shape[1] == 1 else a
    if a.shape[1] == 1:
        threshold = ACTIVATIONS[output].threshold
        return (a[:, 0] > threshold).astype(np.int64)
    return a.argmax(axis=1)
