"""Synthetic 2-D datasets, following TensorFlow Playground's dataset.ts.

Every generator has the signature ``fn(n, noise, rng, classes) -> (points, y)``:

* ``n``: number of points to make (all of them are returned, in class order);
* ``noise``: Playground's noise slider divided by 100, so 0..0.5 matches the
  Playground UI (we allow up to 1);
* ``rng``: the NumPy random generator to draw from;
* ``classes``: number of classes, or None for the generator's default.

``points`` is an (n, 2) float64 array, roughly inside [-6, 6] x [-6, 6].
``y`` is an (n,) int64 array of class indices 0..k-1 for classification
(for two-class sets 0 is Playground's label -1, orange, and 1 is its +1, blue),
or an (n,) float64 array of targets in about [-1, 1] for regression.

Every generator draws the same random numbers whatever the noise level, so
changing only the noise keeps the underlying sample and moves labels/points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import DataError

# The type of a generator function: fn(n, noise, rng, classes) -> (points, y).
GeneratorFn = Callable[..., tuple[np.ndarray, np.ndarray]]


def _check_fixed_classes(name: str, classes: int | None, expected: int) -> None:
    """Raise DataError unless classes is None or the one count this dataset supports."""
    if classes is None or classes == expected:
        return
    if expected == 0:
        raise DataError(f"{name} is a regression dataset; it has no classes (got classes={classes})")
    raise DataError(f"{name} always has {expected} classes (got classes={classes})")


def _check_class_range(name: str, classes: int, low: int, high: int) -> None:
    """Raise DataError unless low <= classes <= high."""
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or not low <= classes <= high:
        raise DataError(f"{name} needs classes between {low} and {high} (got {classes!r})")


def _split_count(n: int, parts: int) -> list[int]:
    """Split n into `parts` nearly equal counts, the first ones one larger when n does not divide evenly."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _gauss_variance(noise: float) -> float:
    """Playground's variance for Gaussian clusters: noise 0 -> 0.5, noise 0.5 -> 4 (linear)."""
    return 0.5 + noise * (4.0 - 0.5) / 0.5


def circle(n: int, noise: float, rng: np.random.Generator, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Playground's circle: class 1 in a disc of radius 2.5, class 0 in a ring from 3.5 to 5."""
    _check_fixed_classes("circle", classes, 2)
    radius = 5.0
    n_inside = n // 2
    n_outside = n - n_inside
    r = np.concatenate([
        rng.uniform(0.0, radius * 0.5, n_inside),
        rng.uniform(radius * 0.7, radius, n_outside),
    ])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    x = r * np.sin(angle)
    y = r * np.cos(angle)
    # Noise does not move the points; it moves where the label is looked up.
    noise_x = rng.uniform(-radius, radius, n) * noise
    noise_y = rng.uniform(-radius, radius, n) * noise
    inside = np.hypot(x + noise_x, y + noise_y) < radius * 0.5
    labels = np.where(inside, 1, 0).astype(np.int64)
    return np.column_stack([x, y]), labels


def xor(n: int, noise: float, rng: np.random.Generator, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Playground's XOR: class 1 where x1 * x2 >= 0, with a 0.3 gap around the axes."""
    _check_fixed_classes("xor", classes, 2)
    padding = 0.3
    x = rng.uniform(-5.0, 5.0, n)
    y = rng.uniform(-5.0, 5.0, n)
    x = x + np.where(x > 0, padding, -padding)
    y = y + np.where(y > 0, padding, -padding)
    noise_x = rng.uniform(-5.0, 5.0, n) * noise
    noise_y = rng.uniform(-5.0, 5.0, n) * noise
    same_sign = (x + noise_x) * (y + noise_y) >= 0
    labels = np.where(same_sign, 1, 0).astype(np.int64)
    return np.column_stack([x, y]), labels


def gauss(n: int, noise: float, rng: np.random.Generator, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Playground's two Gaussians: class 1 around (2, 2), class 0 around (-2, -2)."""
    _check_fixed_classes("gauss", classes, 2)
    std = np.sqrt(_gauss_variance(noise))
    n_positive = n // 2
    n_negative = n - n_positive
    centers = np.concatenate([
        np.tile([2.0, 2.0], (n_positive, 1)),
        np.tile([-2.0, -2.0], (n_negative, 1)),
    ])
    points = centers + rng.standard_normal((n, 2)) * std
    labels = np.concatenate([np.ones(n_positive), np.zeros(n_negative)]).astype(np.int64)
    return points, labels


def spiral(n: int, noise: float, rng: np.random.Generator, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Playground's two-arm spiral (classes=2, the default) or a k-arm spiral for k in 3..6."""
    k = 2 if classes is None else classes
    _check_class_range("spiral", k, 2, 6)
    xs, ys, labels = [], [], []
    for label, count in enumerate(_split_count(n, k)):
        # Arms are spread evenly around the circle. Class 0 starts at angle pi
        # and, for k = 2, class 1 at angle 2*pi (= 0), exactly like Playground.
        start_angle = np.pi + 2 * np.pi * label / k
        i = np.arange(count)
        r = i / count * 5.0
        t = 1.75 * i / count * 2 * np.pi + start_angle
        xs.append(r * np.sin(t) + rng.uniform(-1.0, 1.0, count) * noise)
        ys.append(r * np.cos(t) + rng.uniform(-1.0, 1.0, count) * noise)
        labels.append(np.full(count, label, dtype=np.int64))
    return np.column_stack([np.concatenate(xs), np.concatenate(ys)]), np.concatenate(labels)


def moons(n: int, noise: float, rng: np.random.Generator, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half moons (class 0 on top, class 1 below), scaled to about [-5, 5]."""
    _check_fixed_classes("moons", classes, 2)
    scale = 10.0 / 3.0  # the unscaled moons span 3 units from left to right
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = rng.uniform(0.0, np.pi, n_upper)
    t_lower = rng.uniform(0.0, np.pi, n_lower)
    # The classic moons (as in scikit-learn's make_moons), centred on (0.5, 0.25).
    x = np.concatenate([np.cos(t_upper), 1.0 - np.cos(t_lower)]) - 0.5
    y = np.concatenate([np.sin(t_upper), 0.5 - np.sin(t_lower)]) - 0.25
    points = np.column_stack([x, y]) * scale
    # Gaussian jitter: standard deviation 1 at noise 0.5 (Playground's maximum).
    points = points + rng.standard_normal((n, 2)) * (2.0 * noise)
    labels = np.concatenate([np.zeros(n_upper), np.ones(n_lower)]).astype(np.int64)
    return points, labels


def blobs(n: int, noise: float, rng: np.random.Generator, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """k Gaussian blobs (default 3, k in 2..6) on a circle of radius 4, spread like Playground's gauss."""
    k = 3 if classes is None else classes
    _check_class_range("blobs", k, 2, 6)
    std = np.sqrt(_gauss_variance(noise))
    points, labels = [], []
    for label, count in enumerate(_split_count(n, k)):
        angle = np.pi / 2 + 2 * np.pi * label / k  # first blob at the top
        center = np.array([4.0 * np.cos(angle), 4.0 * np.sin(angle)])
        points.append(center + rng.standard_normal((count, 2)) * std)
        labels.append(np.full(count, label, dtype=np.int64))
    return np.concatenate(points), np.concatenate(labels)


def plane(n: int, noise: float, rng: np.random.Generator, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Playground's plane regression: target (x1 + x2) / 10 on the square [-6, 6]^2."""
    _check_fixed_classes("plane", classes, 0)
    radius = 6.0
    x = rng.uniform(-radius, radius, n)
    y = rng.uniform(-radius, radius, n)
    noise_x = rng.uniform(-radius, radius, n) * noise
    noise_y = rng.uniform(-radius, radius, n) * noise
    target = ((x + noise_x) + (y + noise_y)) / 10.0
    return np.column_stack([x, y]), target


# Playground's six Gaussian bumps: (center x, center y, sign).
_BUMPS = [
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
]


def multigauss(n: int, noise: float, rng: np.random.Generator, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Playground's multi-Gaussian regression: six +1/-1 bumps of radius 2 on the square [-6, 6]^2."""
    _check_fixed_classes("multigauss", classes, 0)
    radius = 6.0
    x = rng.uniform(-radius, radius, n)
    y = rng.uniform(-radius, radius, n)
    noise_x = rng.uniform(-radius, radius, n) * noise
    noise_y = rng.uniform(-radius, radius, n) * noise
    px = x + noise_x
    py = y + noise_y
    # One column per bump: sign * (1 at the center, falling linearly to 0 at distance 2).
    values = np.zeros((n, len(_BUMPS)))
    for j, (cx, cy, sign) in enumerate(_BUMPS):
        distance = np.hypot(px - cx, py - cy)
        values[:, j] = sign * np.clip(1.0 - distance / 2.0, 0.0, 1.0)
    # Keep the bump with the largest absolute value, as Playground does.
    strongest = np.argmax(np.abs(values), axis=1)
    target = values[np.arange(n), strongest]
    return np.column_stack([x, y]), target


# Dataset name -> generator function.
GENERATORS: dict[str, GeneratorFn] = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
    "blobs": blobs,
    "plane": plane,
    "multigauss": multigauss,
}

# Dataset name -> number of classes when `classes` is None (0 means regression).
DEFAULT_CLASSES: dict[str, int] = {
    "circle": 2,
    "xor": 2,
    "gauss": 2,
    "spiral": 2,
    "moons": 2,
    "blobs": 3,
    "plane": 0,
    "multigauss": 0,
}
