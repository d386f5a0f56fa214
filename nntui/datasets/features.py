"""Playground's input features, computed from raw 2-D points (x1, x2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .errors import DataError


def _x1(points: np.ndarray) -> np.ndarray:
    """The first coordinate."""
    return points[:, 0]


def _x2(points: np.ndarray) -> np.ndarray:
    """The second coordinate."""
    return points[:, 1]


def _x1sq(points: np.ndarray) -> np.ndarray:
    """x1 squared."""
    return points[:, 0] ** 2


def _x2sq(points: np.ndarray) -> np.ndarray:
    """x2 squared."""
    return points[:, 1] ** 2


def _x1x2(points: np.ndarray) -> np.ndarray:
    """x1 times x2."""
    return points[:, 0] * points[:, 1]


def _sinx1(points: np.ndarray) -> np.ndarray:
    """sin(x1)."""
    return np.sin(points[:, 0])


def _sinx2(points: np.ndarray) -> np.ndarray:
    """sin(x2)."""
    return np.sin(points[:, 1])


# Feature name -> function mapping (n, 2) points to an (n,) column.
FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": _x1,
    "x2": _x2,
    "x1sq": _x1sq,
    "x2sq": _x2sq,
    "x1x2": _x1x2,
    "sinx1": _sinx1,
    "sinx2": _sinx2,
}


# How each feature is shown, given the names of the two raw inputs ("x1", "x2", or a CSV header's).
LABELS: dict[str, str] = {
    "x1": "{0}",
    "x2": "{1}",
    "x1sq": "{0}²",
    "x2sq": "{1}²",
    "x1x2": "{0}·{1}",
    "sinx1": "sin {0}",
    "sinx2": "sin {1}",
}


def feature_label(name: str, inputs: tuple[str, str] = ("x1", "x2")) -> str:
    """How the feature is shown on screen: its name with the inputs named as given ("x1sq", ("width", "h")) → "width²"."""
    if inputs == ("x1", "x2"):
        return name  # the names Playground shows, and --features takes
    return LABELS[name].format(*inputs)


def check_features(names: Sequence[str]) -> tuple[str, ...]:
    """Return the feature names as a tuple, or raise DataError if any is unknown, repeated or missing."""
    if isinstance(names, str):
        names = [names]
    names = tuple(names)
    if len(names) == 0:
        raise DataError("no input features selected (choose from " + ", ".join(FEATURES) + ")")
    for name in names:
        if name not in FEATURES:
            raise DataError(f"unknown feature {name!r} (choose from " + ", ".join(FEATURES) + ")")
        if names.count(name) > 1:
            raise DataError(f"feature {name!r} is listed more than once")
    return names


def expand(points: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Turn raw (n, 2) points into an (n, len(names)) float64 array of the named features."""
    names = check_features(names)
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise DataError(f"features need (n, 2) points, got an array of shape {points.shape}")
    columns = [FEATURES[name](points) for name in names]
    return np.column_stack(columns)
