"""Tests for nntui.datasets: generators, features, loaders and make_dataset."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.datasets import (
    DATASETS,
    FEATURES,
    DataError,
    Dataset,
    expand,
    load_csv,
    load_digits,
    load_npz,
    make_dataset,
)
from nntui.datasets.generators import GENERATORS

TWO_D = [name for name in DATASETS if name != "digits"]
TWO_CLASS = ["circle", "xor", "gauss", "spiral", "moons"]
REGRESSION = ["plane", "multigauss"]


def write(path, text: str):
    """Write a text fixture and return its path as a string."""
    path.write_text(text)
    return str(path)


def all_arrays(ds: Dataset) -> list[np.ndarray]:
    """Every array of a dataset, for byte-for-byte comparisons."""
    arrays = [ds.x_train, ds.y_train, ds.x_test, ds.y_test]
    if ds.points_train is not None:
        arrays += [ds.points_train, ds.points_test]
    return arrays


def same(a: Dataset, b: Dataset) -> bool:
    """True if two datasets hold byte-identical arrays."""
    return all(x.tobytes() == y.tobytes() and x.shape == y.shape for x, y in zip(all_arrays(a), all_arrays(b)))


# ---------------------------------------------------------------- built-in 2-D sets


@pytest.mark.parametrize("name", TWO_D)
def test_2d_shapes_and_dtypes(name):
    ds = make_dataset(name, samples=200)
    assert ds.name == name
    assert ds.is_2d
    assert ds.x_train.shape == (100, 2) and ds.x_test.shape == (100, 2)
    assert ds.points_train.shape == (100, 2) and ds.points_test.shape == (100, 2)
    assert ds.x_train.dtype == np.float64 and ds.points_train.dtype == np.float64
    assert ds.y_train.shape == (100,) and ds.y_test.shape == (100,)
    assert ds.features == ("x1", "x2")
    assert (ds.n_inputs, ds.n_train, ds.n_test) == (2, 100, 100)
    np.testing.assert_array_equal(ds.x_train, ds.points_train)  # default features are the raw coordinates
    assert ds.mean is None and ds.std is None
    # Playground's points live in about [-6, 6]
    assert np.abs(ds.points_train).max() < 8
    xmin, xmax, ymin, ymax = ds.bounds
    assert xmin <= -6 and xmax >= 6 and ymin <= -6 and ymax >= 6
    everything = np.concatenate([ds.points_train, ds.points_test])
    assert xmin < everything[:, 0].min() and everything[:, 0].max() < xmax
    assert ymin < everything[:, 1].min() and everything[:, 1].max() < ymax


@pytest.mark.parametrize("name", TWO_CLASS)
def test_two_class_labels(name):
    ds = make_dataset(name, samples=200)
    assert ds.task == "classification" and ds.n_classes == 2
    assert ds.class_names == ("-1", "+1")
    assert ds.y_train.dtype == np.int64
    assert set(np.concatenate([ds.y_train, ds.y_test])) == {0, 1}


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_targets(name):
    ds = make_dataset(name, samples=400)
    assert ds.task == "regression" and ds.n_classes == 0 and ds.class_names == ()
    assert ds.y_train.dtype == np.float64
    targets = np.concatenate([ds.y_train, ds.y_test])
    assert targets.min() >= -1.25 and targets.max() <= 1.25
    assert targets.std() > 0.1


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_blobs_classes(k):
    ds = make_dataset("blobs", samples=120, classes=k)
    assert ds.n_classes == k
    assert set(np.concatenate([ds.y_train, ds.y_test])) == set(range(k))


def test_blobs_default_is_three_classes():
    ds = make_dataset("blobs")
    assert ds.n_classes == 3 and ds.class_names == ("0", "1", "2")


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_spiral_arms(k):
    points, y = GENERATORS["spiral"](300, 0.0, np.random.default_rng(0), k)
    assert points.shape == (300, 2) and y.dtype == np.int64
    assert set(y) == set(range(k))
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1
    assert np.hypot(points[:, 0], points[:, 1]).max() <= 5.0  # Playground's spiral radius


@pytest.mark.parametrize("name", TWO_D)
def test_determinism(name):
    a = make_dataset(name, samples=100, noise=0.2, seed=3)
    b = make_dataset(name, samples=100, noise=0.2, seed=3)
    c = make_dataset(name, samples=100, noise=0.2, seed=4)
    assert same(a, b)
    assert not same(a, c)


@pytest.mark.parametrize("name", TWO_D)
def test_noise_changes_data(name):
    quiet = make_dataset(name, samples=200, noise=0.0)
    noisy = make_dataset(name, samples=200, noise=0.5)
    assert not same(quiet, noisy)


@pytest.mark.parametrize("samples, fraction, n_train", [(500, 0.5, 250), (101, 0.3, 30), (10, 0.9, 9), (2, 0.5, 1)])
def test_split_sizes(samples, fraction, n_train):
    ds = make_dataset("xor", samples=samples, train_fraction=fraction)
    assert ds.n_train == n_train
    assert ds.n_test == samples - n_train


def test_split_uses_every_point_once():
    ds = make_dataset("circle", samples=50)
    points, _ = GENERATORS["circle"](50, 0.0, np.random.default_rng(0), None)
    split = np.concatenate([ds.points_train, ds.points_test])
    assert sorted(map(tuple, split)) == sorted(map(tuple, points))


def test_circle_matches_playground_rule():
    points, y = GENERATORS["circle"](400, 0.0, np.random.default_rng(1), None)
    radius = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_array_equal(y, (radius < 2.5).astype(np.int64))
    assert radius.max() <= 5.0
    assert not np.any((radius > 2.5) & (radius < 3.5))  # the gap between disc and ring


def test_xor_matches_playground_rule():
    points, y = GENERATORS["xor"](400, 0.0, np.random.default_rng(1), None)
    np.testing.assert_array_equal(y, (points[:, 0] * points[:, 1] >= 0).astype(np.int64))
    assert np.abs(points).min() >= 0.3 and np.abs(points).max() <= 5.3


def test_gauss_centres():
    points, y = GENERATORS["gauss"](2000, 0.0, np.random.default_rng(1), None)
    np.testing.assert_allclose(points[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(points[y == 0].mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(points[y == 1].var(axis=0), [0.5, 0.5], atol=0.1)  # Playground's variance at noise 0


def test_plane_target():
    points, target = GENERATORS["plane"](100, 0.0, np.random.default_rng(1), None)
    np.testing.assert_allclose(target, (points[:, 0] + points[:, 1]) / 10)


def test_multigauss_peaks():
    rng = np.random.default_rng(1)
    points, target = GENERATORS["multigauss"](2000, 0.0, rng, None)
    near = np.hypot(points[:, 0] + 4, points[:, 1] - 2.5) < 0.5  # the +1 bump at (-4, 2.5)
    assert near.any() and np.all(target[near] > 0.7)
    near = np.hypot(points[:, 0] - 0, points[:, 1] - 2.5) < 0.5  # the -1 bump at (0, 2.5)
    assert near.any() and np.all(target[near] < -0.7)


@pytest.mark.parametrize(
    "name, classes",
    [("circle", 3), ("xor", 1), ("gauss", 4), ("moons", 3), ("plane", 2), ("multigauss", 3), ("spiral", 7), ("spiral", 1),
     ("blobs", 1), ("blobs", 7), ("digits", 5)],
)
def test_bad_class_counts(name, classes):
    with pytest.raises(DataError, match="classes"):
        make_dataset(name, classes=classes)


# ---------------------------------------------------------------- features


def test_expand_known_values():
    points = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, np.pi / 2]])
    names = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"]
    x = expand(points, names)
    assert x.shape == (3, 7) and x.dtype == np.float64
    np.testing.assert_allclose(x[:, 0], points[:, 0])
    np.testing.assert_allclose(x[:, 1], points[:, 1])
    np.testing.assert_allclose(x[:, 2], [1.0, 9.0, 0.0])
    np.testing.assert_allclose(x[:, 3], [4.0, 0.25, np.pi**2 / 4])
    np.testing.assert_allclose(x[:, 4], [2.0, -1.5, 0.0])
    np.testing.assert_allclose(x[:, 5], np.sin([1.0, -3.0, 0.0]))
    np.testing.assert_allclose(x[:, 6], [np.sin(2.0), np.sin(0.5), 1.0])
    assert set(FEATURES) == set(names)


def test_expand_order_follows_names():
    points = np.array([[2.0, 3.0]])
    np.testing.assert_allclose(expand(points, ["x1x2", "x1"]), [[6.0, 2.0]])


def test_unknown_feature_lists_valid_ones():
    with pytest.raises(DataError, match="unknown feature 'cosx1'.*x1, x2, x1sq, x2sq, x1x2, sinx1, sinx2"):
        expand(np.zeros((2, 2)), ["x1", "cosx1"])
    with pytest.raises(DataError, match="unknown feature"):
        make_dataset("circle", features=("x1", "bogus"))


def test_features_in_make_dataset():
    ds = make_dataset("circle", samples=100, features=("x1sq", "x2sq", "x1x2"))
    assert ds.features == ("x1sq", "x2sq", "x1x2")
    assert ds.n_inputs == 3
    np.testing.assert_allclose(ds.x_train[:, 0], ds.points_train[:, 0] ** 2)
    np.testing.assert_allclose(ds.x_test[:, 2], ds.points_test[:, 0] * ds.points_test[:, 1])
    np.testing.assert_allclose(ds.inputs(ds.points_test), ds.x_test)


# ---------------------------------------------------------------- standardization


def test_standardize():
    ds = make_dataset("gauss", samples=300, features=("x1", "x2", "x1sq"), standardize=True)
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1, atol=1e-9)
    assert ds.mean.shape == (3,) and ds.std.shape == (3,)
    # inputs() applies the same expansion and scaling
    np.testing.assert_allclose(ds.inputs(ds.points_train), ds.x_train)
    np.testing.assert_allclose(ds.inputs(ds.points_test), ds.x_test)
    raw = make_dataset("gauss", samples=300, features=("x1", "x2", "x1sq"))
    np.testing.assert_allclose(ds.x_test, (raw.x_test - ds.mean) / ds.std)


def test_standardize_constant_column(tmp_path):
    path = write(tmp_path / "const.csv", "".join(f"5,{i},{i % 2}\n" for i in range(10)))
    ds = make_dataset(path, standardize=True)
    assert ds.std[0] == 1.0
    np.testing.assert_allclose(ds.x_train[:, 0], 0.0)


def test_inputs_grid_for_heatmap():
    ds = make_dataset("spiral", features=("x1", "x2", "sinx1"))
    gx, gy = np.meshgrid(np.linspace(-6, 6, 5), np.linspace(-6, 6, 4))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    x = ds.inputs(grid)
    assert x.shape == (20, 3)
    np.testing.assert_allclose(x[:, 2], np.sin(grid[:, 0]))


# ---------------------------------------------------------------- option validation


def test_unknown_dataset_message():
    with pytest.raises(DataError) as info:
        make_dataset("foo")
    message = str(info.value)
    assert "unknown dataset 'foo'" in message
    for name in DATASETS:
        assert name in message
    assert ".csv/.npz" in message


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"samples": 1}, "samples"),
        ({"samples": 0}, "samples"),
        ({"samples": 2.5}, "samples"),
        ({"noise": -0.1}, "noise"),
        ({"noise": 1.5}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"train_fraction": 0.0}, "train_fraction"),
        ({"train_fraction": 1.0}, "train_fraction"),
        ({"samples": 2, "train_fraction": 0.1}, "no training samples"),
        ({"samples": 3, "train_fraction": 0.9}, "no test samples"),
        ({"task": "clustering"}, "task"),
        ({"task": "regression"}, "classification dataset"),
        ({"seed": -1}, "seed"),
        ({"features": ()}, "no input features"),
        ({"features": ("x1", "x1")}, "more than once"),
    ],
)
def test_bad_options(kwargs, text):
    with pytest.raises(DataError, match=text):
        make_dataset("circle", **kwargs)


def test_error_is_value_error_with_one_line_message():
    with pytest.raises(ValueError) as info:
        make_dataset("circle", noise=2)
    assert "\n" not in str(info.value)


def test_test_path_only_for_files(tmp_path):
    path = write(tmp_path / "t.csv", "1,2,0\n3,4,1\n")
    with pytest.raises(DataError, match="only works with .csv/.npz"):
        make_dataset("circle", test_path=path)


# ---------------------------------------------------------------- digits


def test_load_digits():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(y) == set(range(10))
    assert np.bincount(y).min() > 150


def test_digits_dataset():
    ds = make_dataset("digits", samples=10, noise=0.3)  # samples and noise are ignored
    assert ds.task == "classification" and ds.n_classes == 10
    assert ds.n_train + ds.n_test == 1797
    assert ds.n_train == round(1797 * 0.5)
    assert ds.n_inputs == 64
    assert ds.features[0] == "pixel0" and ds.features[-1] == "pixel63"
    assert ds.class_names == tuple(str(i) for i in range(10))
    assert not ds.is_2d and ds.points_train is None
    assert set(ds.y_train) == set(range(10)) and set(ds.y_test) == set(range(10))
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    assert same(ds, make_dataset("digits"))
    assert not same(ds, make_dataset("digits", seed=1))
    with pytest.raises(DataError, match="not a 2-D dataset"):
        ds.inputs(np.zeros((3, 2)))
    with pytest.raises(DataError, match="not a 2-D dataset"):
        ds.bounds


def test_digits_rejects_features():
    with pytest.raises(DataError, match="features"):
        make_dataset("digits", features=("x1", "x2", "x1sq"))


# ---------------------------------------------------------------- CSV


def test_csv_without_header(tmp_path):
    path = write(tmp_path / "plain.csv", "1,2,3,0\n4,5,6,1\n\n7,8,9,0\n")
    csv = load_csv(path)
    x, labels = csv.x, csv.labels
    assert csv.columns is None and csv.label_names is None
    np.testing.assert_array_equal(x, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    np.testing.assert_array_equal(labels, [0, 1, 0])
    assert x.dtype == np.float64 and labels.dtype == np.float64


def test_csv_with_header(tmp_path):
    path = write(tmp_path / "header.csv", "width, height, label\n1.5,2,3\n-4,5e1,9\n")
    csv = load_csv(path)
    np.testing.assert_array_equal(csv.x, [[1.5, 2], [-4, 50]])
    np.testing.assert_array_equal(csv.labels, [3, 9])
    assert csv.columns == ("width", "height")


def test_a_2d_csv_header_names_x1_and_x2_on_screen(tmp_path):
    rows = "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40))
    path = write(tmp_path / "hw.csv", "height,weight,label\n" + rows)
    data = make_dataset(str(path), features=("x1", "x2", "x1sq", "x1x2", "sinx2"))
    assert data.features == ("x1", "x2", "x1sq", "x1x2", "sinx2")  # what --features takes
    assert data.feature_labels == ("height", "weight", "height²", "height·weight", "sin weight")
    assert make_dataset("circle").feature_labels == ("x1", "x2")


def test_csv_header_names_the_inputs_text_labels_name_the_classes_and_comments_are_skipped(tmp_path):
    rows = "".join(f"{i},{i % 3},{i * 2 % 5},{['cat', 'dog', 'bird'][i % 3]}\n" for i in range(30))
    path = write(tmp_path / "pets.csv", "# measured by hand\nlegs,ears,tail,animal\n# a comment between rows\n" + rows)
    data = make_dataset(str(path))
    assert data.features == ("legs", "ears", "tail")
    assert data.task == "classification" and data.class_names == ("bird", "cat", "dog")
    assert data.n_train + data.n_test == 30
    animals = {0: "cat", 1: "dog", 2: "bird"}  # i % 3 of the ears column
    assert all(data.class_names[y] == animals[int(x[1])] for x, y in zip(data.x_train, data.y_train))


def test_csv_classification_label_mapping(tmp_path):
    lines = [f"{i},{i * 2},{i % 3},{[3, 9, 5][i % 3]}" for i in range(30)]
    path = write(tmp_path / "cls.csv", "a,b,c,label\n" + "\n".join(lines) + "\n")
    ds = make_dataset(path, seed=1)
    assert ds.task == "classification" and ds.n_classes == 3
    assert ds.class_names == ("3", "5", "9")
    assert ds.y_train.dtype == np.int64
    assert ds.features == ("a", "b", "c")  # the header's names
    assert not ds.is_2d
    assert ds.n_train == 15 and ds.n_test == 15
    # label 3 -> 0, 5 -> 1, 9 -> 2, and the third column still says which is which
    expected = np.array([0, 2, 1])[ds.x_train[:, 2].astype(int)]
    np.testing.assert_array_equal(ds.y_train, expected)


def test_csv_minus_one_plus_one_labels(tmp_path):
    path = write(tmp_path / "pm.csv", "1,2,3,-1\n4,5,6,1\n7,8,9,-1\n1,1,1,1\n")
    ds = make_dataset(path)
    assert ds.class_names == ("-1", "1")
    assert set(np.concatenate([ds.y_train, ds.y_test])) == {0, 1}


def test_csv_regression(tmp_path):
    lines = [f"{i},{i + 1},{i * 0.25}" for i in range(10)]
    path = write(tmp_path / "reg.csv", "\n".join(lines))
    ds = make_dataset(path, train_fraction=0.8)
    assert ds.task == "regression" and ds.n_classes == 0 and ds.class_names == ()
    assert ds.y_train.dtype == np.float64
    assert (ds.n_train, ds.n_test) == (8, 2)


def test_csv_many_integer_labels_is_regression(tmp_path):
    path = write(tmp_path / "many.csv", "".join(f"{i},{i},{i}\n" for i in range(25)))
    assert make_dataset(path).task == "regression"
    assert make_dataset(path, task="classification").n_classes == 25


def test_csv_forced_tasks(tmp_path):
    path = write(tmp_path / "ints.csv", "1,0,1\n2,0,0\n3,0,1\n4,0,0\n")
    ds = make_dataset(path, task="regression")
    assert ds.task == "regression" and ds.y_train.dtype == np.float64
    floats = write(tmp_path / "floats.csv", "1,0,0.5\n2,0,1\n3,0,0\n")
    with pytest.raises(DataError, match="whole-number labels.*0.5"):
        make_dataset(floats, task="classification")


def test_csv_one_class(tmp_path):
    path = write(tmp_path / "one.csv", "1,2,7\n3,4,7\n5,6,7\n")
    with pytest.raises(DataError, match="every label is 7.*at least 2 classes"):
        make_dataset(path)


def test_csv_classes_must_match(tmp_path):
    path = write(tmp_path / "two.csv", "1,2,0\n3,4,1\n5,6,0\n")
    with pytest.raises(DataError, match="2 classes, not 3"):
        make_dataset(path, classes=3)


def test_csv_two_columns_is_2d(tmp_path):
    path = write(tmp_path / "pts.csv", "x,y,label\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(10)))
    ds = make_dataset(path, features=("x1", "x2", "x1x2"))
    assert ds.is_2d and ds.features == ("x1", "x2", "x1x2")
    np.testing.assert_allclose(ds.x_train[:, 2], ds.points_train[:, 0] * ds.points_train[:, 1])
    xmin, xmax, ymin, ymax = ds.bounds
    assert xmin < 0 < 9 < xmax and ymin < -9 < 0 < ymax and xmax < 10


def test_csv_features_need_2d(tmp_path):
    path = write(tmp_path / "wide.csv", "1,2,3,0\n4,5,6,1\n")
    with pytest.raises(DataError, match="3 input columns.*features"):
        make_dataset(path, features=("x1", "x2", "x1sq"))


def test_csv_with_test_file(tmp_path):
    train = write(tmp_path / "train.csv", "1,2,3,0\n4,5,6,1\n7,8,9,2\n")
    test = write(tmp_path / "test.csv", "a,b,c,y\n1,1,1,2\n2,2,2,0\n")
    ds = make_dataset(train, test_path=test)
    assert (ds.n_train, ds.n_test) == (3, 2)
    np.testing.assert_array_equal(ds.x_train, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])  # no split, file order
    np.testing.assert_array_equal(ds.y_test, [2, 0])
    narrow = write(tmp_path / "narrow.csv", "1,1,0\n")
    with pytest.raises(DataError, match="narrow.csv: has 2 input columns"):
        make_dataset(train, test_path=narrow)


def test_csv_determinism(tmp_path):
    path = write(tmp_path / "d.csv", "".join(f"{i},{i * i},{i % 2}\n" for i in range(20)))
    assert same(make_dataset(path, seed=5), make_dataset(path, seed=5))
    assert not same(make_dataset(path, seed=5), make_dataset(path, seed=6))


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("\n  \n", "the file is empty"),
        ("a,b,label\n", "no data rows"),
        ("1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n11,12,1\n13,14\n", "line 7: expected 3 columns, got 2"),
        ("a,b,c\n1,2,3\n1,2,3,4\n", "line 3: expected 3 columns, got 4"),
        ("1,2,0\n3,abc,1\n", "line 2: column 2 is 'abc', not a number"),
        ("1,2,0\n3,,1\n", "line 2: column 2 is empty"),
        ("1,2,0\n3,4,1\nnan,4,1\n", "line 3: column 1 is nan, not a finite number"),
        ("1,2,0\n3,4,inf\n", "line 2: column 3 is inf, not a finite number"),
        ("1\n2\n", "line 1: need at least 2"),
        ("1;2;3\n", "line 1: need at least 2"),
    ],
)
def test_csv_errors(tmp_path, text, message):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(DataError) as info:
        load_csv(path)
    assert str(info.value).startswith(path + ": ")
    assert message in str(info.value)
    with pytest.raises(DataError, match=message):
        make_dataset(path)  # the same message reaches make_dataset's callers


def test_csv_missing_file(tmp_path):
    path = str(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="nope.csv: no such file"):
        make_dataset(path)


def test_csv_too_few_rows_to_split(tmp_path):
    path = write(tmp_path / "one_row.csv", "1,2,0\n")
    with pytest.raises(DataError, match="1 samples"):
        make_dataset(path)


# ---------------------------------------------------------------- NPZ


def mnist_like(rng, n, classes=10):
    """Random Keras-mnist-shaped arrays: (n, 28, 28) uint8 images and (n,) uint8 labels."""
    x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    y = (np.arange(n) % classes).astype(np.uint8)
    return x, y


def test_npz_with_test_arrays(tmp_path):
    rng = np.random.default_rng(0)
    x_train, y_train = mnist_like(rng, 30)
    x_test, y_test = mnist_like(rng, 12)
    path = str(tmp_path / "mnist.npz")
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    xa, ya, xb, yb = load_npz(path)
    assert xa.shape == (30, 784) and xa.dtype == np.float64
    assert xb.shape == (12, 784) and yb.shape == (12,)
    np.testing.assert_array_equal(xa[3], x_train[3].ravel())
    ds = make_dataset(path)
    assert (ds.n_train, ds.n_test, ds.n_inputs) == (30, 12, 784)  # no split
    assert ds.n_classes == 10 and ds.class_names == tuple(str(i) for i in range(10))
    assert ds.features[0] == "pixel0" and not ds.is_2d and ds.image_shape == (28, 28)  # images: pixels
    np.testing.assert_array_equal(ds.y_train, y_train)


def test_npz_without_test_arrays(tmp_path):
    x_train, y_train = mnist_like(np.random.default_rng(0), 20)
    path = str(tmp_path / "train_only.npz")
    np.savez(path, x_train=x_train, y_train=y_train)
    xa, ya, xb, yb = load_npz(path)
    assert xb is None and yb is None
    ds = make_dataset(path, train_fraction=0.75)
    assert (ds.n_train, ds.n_test) == (15, 5)


def test_npz_separate_test_file(tmp_path):
    rng = np.random.default_rng(0)
    x, y = mnist_like(rng, 20)
    train = str(tmp_path / "a.npz")
    np.savez(train, x_train=x, y_train=y)
    test = write(tmp_path / "b.csv", ",".join(["0"] * 784) + ",3\n")
    ds = make_dataset(train, test_path=test)
    assert (ds.n_train, ds.n_test) == (20, 1)
    assert ds.y_test[0] == 3


def save_npz(tmp_path, filename, **arrays):
    """Save arrays into tmp_path/filename and return the path as a string."""
    path = str(tmp_path / filename)
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"y_train": np.zeros(3)}, "missing array 'x_train'"),
        ({"x_train": np.zeros((3, 2))}, "missing array 'y_train'"),
        ({"x_train": np.zeros((3, 2)), "y_train": np.zeros(2)}, "'x_train' has 3 rows but 'y_train' has 2"),
        ({"x_train": np.zeros((3, 2)), "y_train": np.zeros(3), "x_test": np.zeros((1, 2))}, "'x_test' but no 'y_test'"),
        ({"x_train": np.zeros((3, 2)), "y_train": np.zeros(3), "y_test": np.zeros(1)}, "'y_test' but no 'x_test'"),
        ({"x_train": np.zeros((3, 2)), "y_train": np.zeros((3, 1))}, "'y_train' must be 1-D"),
        (
            {"x_train": np.zeros((3, 4)), "y_train": np.zeros(3), "x_test": np.zeros((2, 5)), "y_test": np.zeros(2)},
            "'x_test' has 5 features per row but 'x_train' has 4",
        ),
        ({"x_train": np.array(["a", "b"]), "y_train": np.zeros(2)}, "'x_train' has dtype"),
        ({"x_train": np.array([[1.0], [np.nan]]), "y_train": np.zeros(2)}, "'x_train' contains NaN"),
    ],
)
def test_npz_errors(tmp_path, arrays, message):
    path = save_npz(tmp_path, "bad.npz", **arrays)
    with pytest.raises(DataError) as info:
        load_npz(path)
    assert str(info.value).startswith(path + ": ")
    assert message in str(info.value)


def test_npz_object_array_refused(tmp_path):
    objects = np.empty(2, dtype=object)
    objects[0] = {"a": 1}
    objects[1] = [1, 2]
    path = save_npz(tmp_path, "objects.npz", x_train=objects, y_train=np.zeros(2))
    with pytest.raises(DataError, match="'x_train' holds Python objects.*pickle"):
        load_npz(path)


def test_npz_truncated(tmp_path):
    good = save_npz(tmp_path, "good.npz", x_train=np.zeros((50, 3)), y_train=np.zeros(50))
    data = open(good, "rb").read()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cut.npz: not a valid .npz file"):
        load_npz(str(path))


def test_npz_not_a_zip(tmp_path):
    path = write(tmp_path / "text.npz", "hello, I am not a zip file\n")
    with pytest.raises(DataError, match="text.npz: not a valid .npz file"):
        make_dataset(path)
    bare = tmp_path / "bare.npz"
    with open(bare, "wb") as f:
        np.save(f, np.zeros(3))  # a .npy saved under an .npz name
    with pytest.raises(DataError, match="bare.npz: not a valid .npz file \\(it is not a zip archive\\)"):
        load_npz(str(bare))


def test_npz_corrupt_member(tmp_path):
    good = save_npz(tmp_path, "good.npz", x_train=np.arange(300.0).reshape(100, 3), y_train=np.zeros(100))
    data = bytearray(open(good, "rb").read())
    data[200] ^= 0xFF  # flip bits inside x_train's stored bytes
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="flipped.npz: not a valid .npz file"):
        load_npz(str(path))


def test_npz_missing_file(tmp_path):
    path = str(tmp_path / "absent.npz")
    with pytest.raises(DataError, match="absent.npz: no such file"):
        make_dataset(path)
