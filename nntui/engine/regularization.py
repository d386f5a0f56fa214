"""L1 and L2 weight penalties (on weights only, never biases), as in TensorFlow Playground.

    L2: penalty = rate · Σ ½ w²    gradient = rate · w
    L1: penalty = rate · Σ |w|     gradient = rate · sign(w)
"""

from __future__ import annotations

import numpy as np

REGULARIZERS = ("none", "l1", "l2")


def penalty(weights: np.ndarray, kind: str, rate: float) -> float:
    """The regularization term added to the data loss."""
    if kind == "l2":
        return float(rate * 0.5 * np.dot(weights, weights))
    if kind == "l1":
        return float(rate * np.abs(weights).sum())
    return 0.0


def add_penalty_gradient(grad: np.ndarray, weights: np.ndarray, kind: str, rate: float) -> None:
    """grad += ∂penalty/∂w, in place."""
    if kind == "l2":
        grad += rate * weights
    elif kind == "l1":
        grad += rate * np.sign(weights)
