"""Datasets for nntui: Playground-style 2-D sets, the bundled digits, and your own .csv/.npz files.

Everything goes through ``make_dataset(name, ...)``, which returns a ``Dataset``
holding train and test arrays that are ready to feed to a network.

Randomness: ``make_dataset`` creates one ``np.random.default_rng(seed)``. For the
generated 2-D sets it first draws the points from it, then draws the train/test
permutation from the same generator. For digits and files (which need no
generating) the permutation is the first thing drawn. So the same arguments
always give byte-identical arrays.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
import dataclasses
from dataclasses import dataclass

import numpy as np

from .errors import DataError
from .features import FEATURES, check_features, expand, feature_label
from .generators import DEFAULT_CLASSES, GENERATORS
from .loaders import load_csv, load_digits, load_npz, read_npz

__all__ = [
    "DATASETS",
    "DataError",
    "Dataset",
    "FEATURES",
    "expand",
    "load_csv",
    "load_digits",
    "load_npz",
    "make_dataset",
]

# The built-in dataset names, in menu order.
DATASETS = ("circle", "xor", "gauss", "spiral", "moons", "blobs", "plane", "multigauss", "digits")

DEFAULT_FEATURES = ("x1", "x2")
TASKS = ("auto", "classification", "regression")
MAX_SAMPLES = 1_000_000  # a guard against typos that would eat all memory
MAX_AUTO_CLASSES = 20  # task="auto": integer labels with at most this many values are classes


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split ready for a network, plus what is needed to plot and label it."""

    name: str
    task: str  # "classification" | "regression"
    n_classes: int  # 0 for regression
    x_train: np.ndarray  # (n_train, d) float64 network inputs (after feature expansion and standardization)
    y_train: np.ndarray  # (n_train,) int64 class indices, or float64 targets for regression
    x_test: np.ndarray
    y_test: np.ndarray
    features: tuple[str, ...]  # input names, e.g. ("x1", "x2"), ("pixel0", ...) or ("col0", ...)
    points_train: np.ndarray | None  # (n_train, 2) raw 2-D points for 2-D sets (for plotting), else None
    points_test: np.ndarray | None
    class_names: tuple[str, ...]  # e.g. ("-1", "+1"), ("0", ..., "9"), or a CSV's label values
    mean: np.ndarray | None  # standardization applied to inputs (None when off)
    std: np.ndarray | None
    input_names: tuple[str, str] | None = None  # 2-D data: what a CSV header calls x1 and x2
    image_shape: tuple[int, int] | None = None  # image data: (height, width) of the flattened inputs

    @property
    def feature_labels(self) -> tuple[str, ...]:
        """The inputs as the screen names them: for 2-D data from a CSV with a header, the header's
        names stand for x1 and x2 ("width²" for x1sq)."""
        if self.is_2d and self.input_names is not None:
            return tuple(feature_label(f, self.input_names) for f in self.features)
        return self.features

    def inputs(self, points: np.ndarray) -> np.ndarray:
        """Network inputs for raw 2-D points (feature expansion, then standardization), e.g. for a heatmap grid."""
        if not self.is_2d:
            raise DataError(f"{self.name} is not a 2-D dataset, so it has no inputs for 2-D points")
        x = expand(points, self.features)
        if self.mean is not None and self.std is not None:
            x = (x - self.mean) / self.std
        return x

    def with_point(self, point: Sequence[float], label: float) -> Dataset:
        """This 2-D dataset with one more training point (x1, x2) labelled ``label`` (a class
        index, or a regression target).  Its inputs are made as the others' were: the same
        features, and the standardization statistics of the original training set."""
        point = np.asarray(point, dtype=np.float64).reshape(1, 2)
        x = self.inputs(point)  # raises DataError for data that is not 2-D
        return dataclasses.replace(
            self,
            x_train=np.concatenate([self.x_train, x]),
            y_train=np.concatenate([self.y_train, np.asarray([label], dtype=self.y_train.dtype)]),
            points_train=np.concatenate([self.points_train, point]),
        )

    def without_point(self, index: int, test: bool = False) -> Dataset:
        """This 2-D dataset without training point ``index`` (a test point with ``test``)."""
        if not self.is_2d:
            raise DataError(f"{self.name} is not a 2-D dataset, so it has no points to remove")
        part = "test" if test else "train"
        return dataclasses.replace(self, **{
            f"{name}_{part}": np.delete(getattr(self, f"{name}_{part}"), index, axis=0)
            for name in ("x", "y", "points")
        })

    def nearest(self, point: Sequence[float], test: bool = True) -> tuple[bool, int]:
        """(is it a test point, its index) of the point nearest to (x1, x2), in units of the
        plot's width and height (as it looks); among the training points only unless ``test``."""
        if self.points_train is None or self.points_test is None:
            raise DataError(f"{self.name} is not a 2-D dataset, so it has no points")
        xmin, xmax, ymin, ymax = self.bounds
        scale = np.array([xmax - xmin, ymax - ymin])
        target = np.asarray(point, dtype=np.float64) / scale
        d_train = ((self.points_train / scale - target) ** 2).sum(axis=1)
        i = int(np.argmin(d_train))
        if test and len(self.points_test):
            d_test = ((self.points_test / scale - target) ** 2).sum(axis=1)
            j = int(np.argmin(d_test))
            if d_test[j] < d_train[i]:
                return True, j
        return False, i

    @property
    def n_inputs(self) -> int:
        """Number of network inputs (columns of x_train)."""
        return self.x_train.shape[1]

    @property
    def n_train(self) -> int:
        """Number of training samples."""
        return self.x_train.shape[0]

    @property
    def n_test(self) -> int:
        """Number of test samples."""
        return self.x_test.shape[0]

    @property
    def is_2d(self) -> bool:
        """True if the data are raw 2-D points that can be plotted."""
        return self.points_train is not None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) around all points with a small margin; built-ins also cover [-6, 6]^2."""
        if self.points_train is None or self.points_test is None:
            raise DataError(f"{self.name} is not a 2-D dataset, so it has no plot bounds")
        points = np.concatenate([self.points_train, self.points_test])
        low = points.min(axis=0)
        high = points.max(axis=0)
        span = high - low
        margin = np.where(span > 0, 0.05 * span, 0.5)
        low = low - margin
        high = high + margin
        if self.name in GENERATORS:
            # Playground's view is the box [-6, 6]^2; grow it if noisy points fall outside.
            low = np.minimum(low, -6.0)
            high = np.maximum(high, 6.0)
        return float(low[0]), float(high[0]), float(low[1]), float(high[1])


def _check_options(samples: int, noise: float, train_fraction: float, seed: int, classes: int | None, task: str) -> None:
    """Raise DataError for any option that is the wrong type or out of range."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)):
        raise DataError(f"samples must be a whole number (got {samples!r})")
    if not 2 <= samples <= MAX_SAMPLES:
        raise DataError(f"samples must be between 2 and {MAX_SAMPLES} (got {samples})")
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)):
        raise DataError(f"noise must be a number (got {noise!r})")
    if not 0.0 <= noise <= 1.0:
        raise DataError(f"noise must be between 0 and 1 (got {noise})")
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, (int, float, np.integer, np.floating)):
        raise DataError(f"train_fraction must be a number (got {train_fraction!r})")
    if not 0.0 < train_fraction < 1.0:
        raise DataError(f"train_fraction must be strictly between 0 and 1 (got {train_fraction})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a whole number >= 0 (got {seed!r})")
    if classes is not None and (isinstance(classes, bool) or not isinstance(classes, (int, np.integer))):
        raise DataError(f"classes must be a whole number (got {classes!r})")
    if task not in TASKS:
        raise DataError(f"unknown task {task!r} (choose from " + ", ".join(TASKS) + ")")


def _kind(name: str) -> str:
    """Say what `name` is: "generated", "digits", "csv" or "npz"; raise DataError if none."""
    if name in GENERATORS:
        return "generated"
    if name == "digits":
        return "digits"
    if name.lower().endswith(".csv"):
        return "csv"
    if name.lower().endswith(".npz"):
        return "npz"
    raise DataError(f"unknown dataset {name!r} (choose from " + ", ".join(DATASETS) + ", or a .csv/.npz file)")


def _train_count(n: int, train_fraction: float, name: str) -> int:
    """How many of n samples go to training; raise DataError if either part would be empty."""
    n_train = round(n * train_fraction)
    if n_train < 1:
        raise DataError(f"{name}: {n} samples with train_fraction {train_fraction} leave no training samples")
    if n_train > n - 1:
        raise DataError(f"{name}: {n} samples with train_fraction {train_fraction} leave no test samples")
    return n_train


def _finish(
    name: str,
    task: str,
    n_classes: int,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    features: tuple[str, ...],
    points_train: np.ndarray | None,
    points_test: np.ndarray | None,
    class_names: tuple[str, ...],
    standardize: bool,
) -> Dataset:
    """Standardize the inputs if asked (with train statistics) and build the Dataset."""
    mean = None
    std = None
    if standardize:
        with np.errstate(all="ignore"):  # an overflow is reported below, not warned about
            mean = x_train.mean(axis=0)
            std = x_train.std(axis=0)
            # A constant column has std 0 (or a rounding error away from it): leave its scale alone.
            std = np.where(std < 1e-12, 1.0, std)
            x_train = (x_train - mean) / std
            x_test = (x_test - mean) / std
        if not (np.isfinite(std).all() and np.isfinite(x_train).all() and np.isfinite(x_test).all()):
            raise DataError(f"{name}: --standardize overflows on values this large "
                            f"(up to {np.abs(np.concatenate([mean])).max():.3g} on average): rescale the data first")
    return Dataset(
        name=name,
        task=task,
        n_classes=n_classes,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        features=features,
        points_train=points_train,
        points_test=points_test,
        class_names=class_names,
        mean=mean,
        std=std,
    )


def _make_generated(
    name: str, samples: int, noise: float, train_fraction: float, features: tuple[str, ...],
    standardize: bool, seed: int, classes: int | None, task: str,
) -> Dataset:
    """Generate a Playground-style 2-D dataset and split it."""
    own_task = "regression" if DEFAULT_CLASSES[name] == 0 else "classification"
    if task not in ("auto", own_task):
        raise DataError(f"{name} is a {own_task} dataset (got task={task!r})")
    n_train = _train_count(samples, train_fraction, name)
    rng = np.random.default_rng(seed)
    points, y = GENERATORS[name](samples, float(noise), rng, classes)  # checks `classes`
    order = rng.permutation(samples)  # drawn after the points, from the same generator
    train = order[:n_train]
    test = order[n_train:]
    if own_task == "regression":
        n_classes = 0
        class_names: tuple[str, ...] = ()
    else:
        n_classes = DEFAULT_CLASSES[name] if classes is None else int(classes)
        if n_classes == 2:
            class_names = ("-1", "+1")  # Playground's labels
        else:
            class_names = tuple(str(i) for i in range(n_classes))
    return _finish(
        name, own_task, n_classes,
        expand(points[train], features), y[train],
        expand(points[test], features), y[test],
        features, points[train], points[test], class_names, standardize,
    )


def _make_digits(
    train_fraction: float, features: tuple[str, ...], standardize: bool, seed: int, classes: int | None, task: str,
) -> Dataset:
    """Load the bundled digits and split them."""
    if features != DEFAULT_FEATURES:
        raise DataError("digits has 64 pixel inputs; features can only be chosen for 2-D datasets")
    if classes is not None and classes != 10:
        raise DataError(f"digits always has 10 classes (got classes={classes})")
    if task not in ("auto", "classification"):
        raise DataError(f"digits is a classification dataset (got task={task!r})")
    x, y = load_digits()
    n_train = _train_count(len(x), train_fraction, "digits")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    train = order[:n_train]
    test = order[n_train:]
    data = _finish(
        "digits", "classification", 10,
        x[train], y[train], x[test], y[test],
        tuple(f"pixel{i}" for i in range(x.shape[1])), None, None,
        tuple(str(i) for i in range(10)), standardize,
    )
    return dataclasses.replace(data, image_shape=(8, 8))


@dataclass(frozen=True)
class _Loaded:
    """A data file's arrays (an .npz may bring its own test part) and the names it gives."""

    x: np.ndarray
    labels: np.ndarray
    x_test: np.ndarray | None = None
    labels_test: np.ndarray | None = None
    columns: tuple[str, ...] | None = None  # input names from a CSV header
    label_names: tuple[str, ...] | None = None  # class names from a CSV's text labels
    image_shape: tuple[int, int] | None = None  # an .npz of images: (height, width) of each


def _load_file(path: str) -> _Loaded:
    """Load a .csv (no test part) or .npz (maybe with a test part)."""
    if _kind(path) == "csv":
        csv = load_csv(path)
        return _Loaded(csv.x, csv.labels, columns=csv.columns, label_names=csv.label_names)
    npz = read_npz(path)
    return _Loaded(npz.x_train, npz.y_train, npz.x_test, npz.y_test, image_shape=npz.image_shape)


def _encode_labels(
    source: str, labels_train: np.ndarray, labels_test: np.ndarray, task: str, classes: int | None,
) -> tuple[str, int, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Decide the task and turn raw labels into targets: (task, n_classes, y_train, y_test, class_names)."""
    all_labels = np.concatenate([labels_train, labels_test])
    whole = all_labels == np.round(all_labels)
    values = np.unique(all_labels)  # sorted distinct label values
    if task == "auto":
        if np.all(whole) and len(values) <= MAX_AUTO_CLASSES:
            task = "classification"
        else:
            task = "regression"
    if task == "regression":
        if classes is not None and classes != 0:
            raise DataError(f"{source}: regression has no classes (got classes={classes})")
        return "regression", 0, labels_train, labels_test, ()
    if not np.all(whole):
        example = all_labels[~whole][0]
        raise DataError(f"{source}: classification needs whole-number labels, but one label is {example:g}")
    if len(values) < 2:
        raise DataError(f"{source}: every label is {int(values[0])}; classification needs at least 2 classes")
    if classes is not None and classes != len(values):
        raise DataError(f"{source}: the labels have {len(values)} classes, not {classes}")
    # Map the sorted label values to 0..k-1, e.g. [-1, 1] -> [0, 1] or [3, 5, 9] -> [0, 1, 2].
    y_train = np.searchsorted(values, labels_train).astype(np.int64)
    y_test = np.searchsorted(values, labels_test).astype(np.int64)
    class_names = tuple(str(int(value)) for value in values)
    return "classification", len(values), y_train, y_test, class_names


def _make_from_files(
    path: str, test_path: str | None, train_fraction: float, features: tuple[str, ...],
    standardize: bool, seed: int, classes: int | None, task: str,
) -> Dataset:
    """Load a .csv/.npz file (and maybe a separate test file) and split it if needed."""
    loaded = _load_file(path)
    x, labels, x_test, labels_test = loaded.x, loaded.labels, loaded.x_test, loaded.labels_test
    if test_path is not None:
        # Train on all of the main file (an .npz's own test arrays are ignored);
        # test on the test file: its x_test/y_test if it is an .npz that has them, else all of it.
        test = _load_file(test_path)
        test_x, test_labels = (test.x_test, test.labels_test) if test.x_test is not None else (test.x, test.labels)
        if test.label_names != loaded.label_names:
            raise DataError(f"{test_path}: its class names {test.label_names} are not those of {path} ({loaded.label_names})")
        if test_x.shape[1] != x.shape[1]:
            raise DataError(f"{test_path}: has {test_x.shape[1]} input columns but {path} has {x.shape[1]}")
        x_train, labels_train, x_test, labels_test = x, labels, test_x, test_labels
    elif x_test is not None and labels_test is not None:
        x_train, labels_train = x, labels  # the .npz brings its own test set
    else:
        n_train = _train_count(len(x), train_fraction, path)
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        train = order[:n_train]
        test = order[n_train:]
        x_train, labels_train, x_test, labels_test = x[train], labels[train], x[test], labels[test]

    if loaded.label_names is not None and task == "regression":
        raise DataError(f"{path}: the labels are text (class names): regression needs numbers")
    task, n_classes, y_train, y_test, class_names = _encode_labels(
        path, labels_train, labels_test, "classification" if loaded.label_names else task, classes
    )
    if loaded.label_names is not None:  # the text the file gave, for the numbers it was turned into
        class_names = tuple(loaded.label_names[int(v)] for v in np.unique(np.concatenate([labels_train, labels_test])))

    if x_train.shape[1] == 2:
        # Two input columns: treat them as 2-D points, so they can be plotted and expanded.
        data = _finish(
            path, task, n_classes,
            expand(x_train, features), y_train, expand(x_test, features), y_test,
            features, x_train, x_test, class_names, standardize,
        )
        return dataclasses.replace(data, input_names=loaded.columns) if loaded.columns else data
    if features != DEFAULT_FEATURES:
        raise DataError(
            f"{path}: has {x_train.shape[1]} input columns; features can only be chosen for 2-D data (2 columns)"
        )
    prefix = "pixel" if loaded.image_shape is not None else "col"
    column_names = loaded.columns or tuple(f"{prefix}{i}" for i in range(x_train.shape[1]))
    data = _finish(
        path, task, n_classes,
        x_train, y_train, x_test, y_test,
        column_names, None, None, class_names, standardize,
    )
    if loaded.image_shape is not None:  # a --test-data file has as many inputs: the same images
        return dataclasses.replace(data, image_shape=loaded.image_shape)
    return data


def make_dataset(
    name: str,
    *,
    samples: int = 500,
    noise: float = 0.0,
    train_fraction: float = 0.5,
    features: Sequence[str] = DEFAULT_FEATURES,
    standardize: bool = False,
    seed: int = 0,
    classes: int | None = None,
    task: str = "auto",
    test_path: str | None = None,
) -> Dataset:
    """Build a built-in dataset or load a .csv/.npz file, split into train and test; raises DataError on bad input."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if isinstance(test_path, os.PathLike):
        test_path = os.fspath(test_path)
    if not isinstance(name, str):
        raise DataError(f"the dataset must be a name or a file path (got {name!r})")
    _check_options(samples, noise, train_fraction, seed, classes, task)
    features = check_features(features)
    kind = _kind(name)
    if test_path is not None:
        if kind not in ("csv", "npz"):
            raise DataError(f"a separate test file only works with .csv/.npz datasets, not {name!r}")
        if not isinstance(test_path, str) or _kind(test_path) not in ("csv", "npz"):
            raise DataError(f"the test file must be a .csv or .npz file (got {test_path!r})")
    if kind == "generated":
        return _make_generated(name, samples, noise, train_fraction, features, standardize, seed, classes, task)
    if kind == "digits":
        return _make_digits(train_fraction, features, standardize, seed, classes, task)
    return _make_from_files(name, test_path, train_fraction, features, standardize, seed, classes, task)
