"""Numerical gradient check: compare backprop's gradient with central differences.

    ∂L/∂p ≈ (L(p + ε) - L(p - ε)) / 2ε      for every parameter p,

where L is the data loss plus the regularization penalty (the inspector's one loss symbol).  The relative error
|analytic - numeric| / max(|analytic| + |numeric|, tiny) should be ~1e-7 or smaller in float64.
"""

from __future__ import annotations

import numpy as np

from nntui.engine.losses import Loss
from nntui.engine.network import Network
from nntui.engine.regularization import add_penalty_gradient, penalty

Array = np.ndarray


def objective(net: Network, loss: Loss, x: Array, t: Array, reg: str = "none", reg_rate: float = 0.0) -> float:
    """L = mean data loss + regularization penalty, at the network's current parameters."""
    fwd = net.forward(x)
    return loss.value(fwd.z[-1], fwd.output, t) + penalty(net.params[: net.n_weights], reg, reg_rate)


def analytic_gradient(net: Network, loss: Loss, x: Array, t: Array, reg: str = "none", reg_rate: float = 0.0) -> Array:
    """∂L/∂params by backpropagation (a copy of the flat gradient)."""
    fwd = net.forward(x)
    net.backward(fwd, loss.delta(fwd.z[-1], fwd.output, t, net.output))
    add_penalty_gradient(net.grad[: net.n_weights], net.params[: net.n_weights], reg, reg_rate)
    return net.grad.copy()


def numerical_gradient(
    net: Network, loss: Loss, x: Array, t: Array, reg: str = "none", reg_rate: float = 0.0,
    eps: float = 1e-5, indices=None,
) -> Array:
    """∂L/∂params by central differences (for the given flat indices, or all)."""
    indices = range(len(net.params)) if indices is None else indices
    grad = np.zeros(len(net.params))
    for i in indices:
        saved = net.params[i]
        net.params[i] = saved + eps
        j_plus = objective(net, loss, x, t, reg, reg_rate)
        net.params[i] = saved - eps
        j_minus = objective(net, loss, x, t, reg, reg_rate)
        net.params[i] = saved
        grad[i] = (j_plus - j_minus) / (2 * eps)
    return grad


def relative_error(analytic: Array, numeric: Array) -> Array:
    """|a - n| / max(|a| + |n|, 1e-12), elementwise."""
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)


def gradient_check(net: Network, loss: Loss, x: Array, t: Array, reg: str = "none", reg_rate: float = 0.0) -> float:
    """The largest relative error between backprop and central differences over all parameters."""
    analytic = analytic_gradient(net, loss, x, t, reg, reg_rate)
    numeric = numerical_gradient(net, loss, x, t, reg, reg_rate)
    return float(relative_error(analytic, numeric).max())
