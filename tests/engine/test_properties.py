"""Property-based tests: datasets, one training step of any valid network, and option parsing."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nntui.datasets import FEATURES, DataError, make_dataset
from nntui.datasets.generators import DEFAULT_CLASSES, GENERATORS
from nntui.engine import HIDDEN_ACTIVATIONS, OPTIMIZERS
from nntui.engine.losses import LOSSES
from nntui.engine.network import INITS
from nntui.engine.regularization import REGULARIZERS
from nntui.session import build_session
from nntui.settings import LEARNING_RATES, OPTIONS, SettingsError, check_option, merge, parse_layers

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TWO_D = tuple(GENERATORS)  # the built-in 2-D datasets
MULTI_CLASS = ("spiral", "blobs")  # the ones with a choice of classes (2..6)


# ============================================================================ datasets
@st.composite
def dataset_args(draw):
    name = draw(st.sampled_from(TWO_D))
    classes = draw(st.one_of(st.none(), st.integers(2, 6))) if name in MULTI_CLASS else None
    features = draw(st.lists(st.sampled_from(tuple(FEATURES)), min_size=1, max_size=len(FEATURES), unique=True))
    return dict(
        name=name,
        seed=draw(st.integers(0, 2**32 - 1)),
        samples=draw(st.integers(4, 600)),
        noise=draw(st.floats(0, 1)),
        train_fraction=draw(st.floats(0.1, 0.9)),
        classes=classes,
        features=tuple(features),
        standardize=draw(st.booleans()),
    )


@FAST
@given(dataset_args())
def test_make_dataset_keeps_its_promises(args):
    args = dict(args)
    name = args.pop("name")
    samples, fraction = args["samples"], args["train_fraction"]
    n_train = round(samples * fraction)
    if not 1 <= n_train <= samples - 1:  # one side of the split would be empty: refused, in words
        with pytest.raises(DataError, match="leave no"):
            make_dataset(name, **args)
        return
    d = make_dataset(name, **args)
    d2 = make_dataset(name, **args)

    # Shapes and the split.
    n_features = len(args["features"])
    assert d.n_train + d.n_test == samples
    assert d.n_train == n_train
    assert d.x_train.shape == (d.n_train, n_features) and d.x_test.shape == (d.n_test, n_features)
    assert d.y_train.shape == (d.n_train,) and d.y_test.shape == (d.n_test,)
    assert d.points_train.shape == (d.n_train, 2) and d.points_test.shape == (d.n_test, 2)
    assert d.features == args["features"] and d.is_2d
    # dtypes and finiteness.
    assert d.x_train.dtype == np.float64 and d.x_test.dtype == np.float64
    assert np.isfinite(d.x_train).all() and np.isfinite(d.x_test).all()
    assert np.isfinite(d.points_train).all() and np.isfinite(d.points_test).all()
    xmin, xmax, ymin, ymax = d.bounds
    assert xmin < xmax and ymin < ymax
    # Labels.
    labels = np.concatenate([d.y_train, d.y_test])
    if DEFAULT_CLASSES[name] == 0:
        assert d.task == "regression" and d.n_classes == 0 and d.class_names == ()
        assert labels.dtype == np.float64 and np.isfinite(labels).all()
    else:
        k = args["classes"] or DEFAULT_CLASSES[name]
        assert d.task == "classification" and d.n_classes == k and len(d.class_names) == k
        assert labels.dtype == np.int64
        assert set(labels.tolist()) <= set(range(k))
        if k == 2:
            assert set(labels.tolist()) <= {0, 1}
    # Standardization uses the training statistics.
    if args["standardize"]:
        assert d.mean is not None and d.std is not None and (d.std > 0).all()
        assert np.allclose(d.x_train.mean(axis=0), 0, atol=1e-6)
    else:
        assert d.mean is None and d.std is None
    # The same arguments give byte-identical arrays.
    for a in ("x_train", "y_train", "x_test", "y_test", "points_train", "points_test"):
        assert np.array_equal(getattr(d, a), getattr(d2, a)), a
        assert getattr(d, a).dtype == getattr(d2, a).dtype


@FAST
@given(dataset_args(), st.integers(0, 2**32 - 1))
def test_another_seed_gives_other_points(args, other_seed):
    args = dict(args)
    name = args.pop("name")
    assume(1 <= round(args["samples"] * args["train_fraction"]) <= args["samples"] - 1)
    assume(other_seed != args["seed"])
    a = make_dataset(name, **args)
    b = make_dataset(name, **{**args, "seed": other_seed})
    def points(d):
        return np.concatenate([d.points_train, d.points_test])

    if name != "spiral" or args["noise"] > 0:  # a noiseless spiral is the same curve: only the split moves
        assert not np.array_equal(points(a), points(b))


# ============================================================================ one step of any network
@functools.lru_cache(maxsize=None)
def _dataset(name: str):
    if name == "digits":
        return make_dataset("digits", seed=0)
    return make_dataset(name, samples=60, noise=0.2, seed=0)


# Datasets by kind: two classes, more classes, regression, and 64 inputs.
SESSION_DATA = ("circle", "xor", "blobs", "plane", "multigauss", "digits")


@st.composite
def head(draw, name: str):
    """A loss and output activation that fit the dataset's task."""
    data = _dataset(name)
    if data.task == "regression":
        losses = ["auto", "squared"]
    elif data.n_classes == 2:
        losses = ["auto", "bce", "ce", "squared"]
    else:
        losses = ["auto", "ce", "squared"]
    loss = draw(st.sampled_from(losses))
    if loss == "auto":
        return loss, "auto"
    return loss, draw(st.sampled_from(("auto", *LOSSES[loss].outputs)))


@st.composite
def session_settings(draw):
    name = draw(st.sampled_from(SESSION_DATA))
    loss, output = draw(head(name))
    return dict(
        dataset=name,
        layers=tuple(draw(st.lists(st.integers(1, 16), max_size=3))),
        activation=draw(st.sampled_from(HIDDEN_ACTIVATIONS)),
        optimizer=draw(st.sampled_from(tuple(OPTIMIZERS))),
        loss=loss,
        output=output,
        batch_size=draw(st.integers(1, 64)),
        reg=draw(st.sampled_from(REGULARIZERS)),
        reg_rate=draw(st.sampled_from((0.0, 0.001, 0.1, 10.0))),
        lr=draw(st.sampled_from((*LEARNING_RATES, 1000.0, 1e6))),
        init=draw(st.sampled_from(INITS)),
        dtype=draw(st.sampled_from(("float64", "float32"))),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session_settings())
def test_any_valid_network_trains_one_step_without_an_exception(options):
    data = _dataset(options["dataset"])
    session = build_session(merge(options), dataset=data)
    trainer, net = session.trainer, session.net
    assert net.sizes == (data.n_inputs, *options["layers"], net.sizes[-1])
    assert np.isfinite(net.params).all()  # a fresh network is finite
    trainer.step_batch()
    assert trainer.steps == 1
    # One step ends with finite weights, or the run is marked diverged (step_batch checks
    # divergence at the end of an epoch; check_divergence is the documented way to check now).
    assert np.isfinite(net.params).all() or trainer.diverged or trainer.check_divergence()
    assert net.params.dtype == np.dtype(options["dtype"])


# ============================================================================ option parsing
@FAST
@given(st.lists(st.integers(1, 4096), max_size=8), st.sampled_from([",", ", ", " ,"]))
def test_parse_layers_round_trip(sizes, sep):
    assert parse_layers(sep.join(map(str, sizes))) == tuple(sizes)
    assert parse_layers(sizes) == tuple(sizes)


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(),
    st.text(alphabet="0123456789,- +.x_٣\n\t", max_size=20),
    st.lists(st.integers(-10, 5000).map(str), max_size=4).map(",".join),
))
def test_parse_layers_garbage_parses_or_says_why(text):
    try:
        layers = parse_layers(text)
    except SettingsError as e:
        assert str(e).startswith(f"'{text}'")
        return
    assert isinstance(layers, tuple) and all(type(n) is int and 1 <= n <= 4096 for n in layers)
    assert parse_layers(",".join(map(str, layers))) == layers  # what it parsed to parses back the same


def test_parse_layers_refuses_fractional_sizes_in_a_list():
    with pytest.raises(SettingsError):
        parse_layers([2.5])


VALUE_OPTIONS = [o.name for o in OPTIONS if o.metavar is not None]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(VALUE_OPTIONS), st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none()))
def test_every_option_parses_or_raises_settings_error(name, value):
    try:
        check_option(name, value)
    except SettingsError as e:
        assert str(e).startswith("--" + name.replace("_", "-"))
