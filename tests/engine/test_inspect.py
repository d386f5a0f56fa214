"""Tests for nntui.engine.inspect: phase stepping, sample traces, gradient checks, indices."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nntui.engine.gradcheck import numerical_gradient, relative_error
from nntui.engine.inspect import (
    PhaseStepper,
    Trace,
    bias_index,
    check_gradients,
    describe_index,
    inspect_sample,
    layer_indices,
    param_label,
    phase_names,
    trace_params,
    weight_index,
)
from nntui.engine.network import Network
from nntui.session import build_session
from nntui.settings import merge

BASE = dict(dataset="xor", layers="4,3", optimizer="adam", batch_size=7, reg="l2", reg_rate=0.01)

# Several nets: activations, losses, regularization, optimizers, batch sizes (250 training
# samples: batches of 7 leave a partial last batch of 5), float32.
CONFIGS = {
    "tanh-squared-l2-adam": {},
    "relu-bce-sgd": dict(activation="relu", loss="bce", optimizer="sgd", reg="none"),
    "tanh-ce-momentum-l1": dict(loss="ce", optimizer="momentum", reg="l1", reg_rate=0.003),
    "sigmoid-squared-nesterov": dict(activation="sigmoid", loss="squared", output="sigmoid", optimizer="nesterov"),
    "spiral3-ce-adam-b32": dict(dataset="spiral", classes=3, layers="6,5,4", batch_size=32, loss="ce"),
    "regression-linear": dict(dataset="plane", layers="5", optimizer="momentum", batch_size=16),
    "elu-one-layer": dict(activation="elu", layers="3", optimizer="sgd", batch_size=50, reg="l2"),
    "float32-adam": dict(dtype="float32", batch_size=11),
}


def trainer_for(**changes):
    return build_session(merge({**BASE, **changes})).trainer


def state_of(trainer) -> dict:
    """Everything of a trainer's state a step or an inspection could change."""
    return dict(
        params=trainer.net.params.copy(),
        optimizer=trainer.optimizer.state(),
        rng=trainer.rng.bit_generator.state,
        order=None if trainer._order is None else trainer._order.copy(),
        cursor=trainer._cursor,
        steps=trainer.steps,
        epoch=trainer.epoch,
        lr=trainer.lr,
        stats=trainer.stats,
        diverged=trainer.diverged,
    )


def assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if key == "optimizer":
            assert a[key].keys() == b[key].keys()
            for k in a[key]:
                va, vb = a[key][k], b[key][k]
                assert (np.array_equal(va, vb) if isinstance(va, np.ndarray) else va == vb), k
        elif isinstance(a[key], np.ndarray) or isinstance(b[key], np.ndarray):
            assert a[key] is not None and b[key] is not None and np.array_equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key


# ------------------------------------------------------------------ phases equal a step
def test_phase_names() -> None:
    assert phase_names(3) == ["forward", "loss", "backward 2", "backward 1", "backward 0", "update"]
    assert phase_names(1) == ["forward", "loss", "backward 0", "update"]
    assert PhaseStepper(trainer_for()).phases == phase_names(3)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_phase_stepping_equals_step_batch(name: str) -> None:
    """A completed PhaseStepper is bit for bit one step_batch, over several epochs' boundaries."""
    a, b = trainer_for(**CONFIGS[name]), trainer_for(**CONFIGS[name])
    assert np.array_equal(a.net.params, b.net.params)
    n_steps = a.n_batches + 3  # across the partial last batch and into the next epoch
    for k in range(n_steps):
        stepper = PhaseStepper(a)
        trace = stepper.finish()
        start = b._cursor
        stats_b = b.step_batch()
        assert np.array_equal(a.net.params, b.net.params), f"step {k}"
        x_expected = b._x_epoch[start : start + b.batch_size]  # (next_batch itself would draw an order)
        t_expected = b._t_epoch[start : start + b.batch_size]
        assert np.array_equal(trace.x, x_expected) and np.array_equal(trace.t, t_expected)
        assert (stepper.stats is None) == (stats_b is None)
        assert a.steps == b.steps and a.epoch == b.epoch and a._cursor == b._cursor
    assert a.epoch == b.epoch == 1
    assert a.stats == b.stats  # identical evaluation after the stepped epoch
    # The next epochs stay identical: same optimizer state, same shuffling.
    a.step_epoch()
    b.step_epoch()
    assert np.array_equal(a.net.params, b.net.params)
    assert a.stats == b.stats
    assert_same_state(state_of(a), state_of(b))


def test_last_partial_batch() -> None:
    """The last batch of an epoch is smaller; stepping it evaluates the epoch like step_batch."""
    a, b = trainer_for(), trainer_for()
    n = len(a.x_train)
    assert n % a.batch_size != 0
    for _ in range(a.n_batches - 1):
        a.step_batch()
        b.step_batch()
    stepper = PhaseStepper(a)
    trace = stepper.finish()
    stats = b.step_batch()
    assert len(trace.x) == n % a.batch_size
    assert stepper.stats == stats and stats is not None and stats.epoch == 1
    assert np.array_equal(a.net.params, b.net.params)


def test_trace_grows_phase_by_phase() -> None:
    trainer = trainer_for()
    L = trainer.net.n_layers
    before = trainer.net.params.copy()
    stepper = PhaseStepper(trainer)
    assert stepper.index == 0 and not stepper.done and stepper.trace is None
    assert stepper.next_phase == "forward"

    trace = stepper.advance()
    assert trace.phase == "forward" and stepper.index == 1 and trace.n_done == 1
    assert trace.loss is None and trace.dloss_da is None
    assert all(lt.delta is None and lt.dW is None and lt.dW_update is None for lt in trace.layers)
    assert len(trace.layers) == L and trace.x.shape == (7, 2)
    for l, lt in enumerate(trace.layers):
        assert lt.z.shape == lt.a.shape == (7, trainer.net.sizes[l + 1])
        assert np.array_equal(lt.W, before[layer_indices(trainer.net, l)].reshape(lt.W.shape))
    assert trainer.steps == 0  # nothing applied yet
    assert np.array_equal(trainer.net.params, before)

    trace = stepper.advance()
    assert trace.phase == "loss"
    assert trace.loss is not None and trace.loss > 0 and trace.penalty > 0
    assert trace.dloss_da.shape == (7, 1)
    assert trace.layers[-1].delta is not None and trace.layers[-1].dW is None

    for l in range(L - 1, -1, -1):
        trace = stepper.advance()
        assert trace.phase == f"backward {l}"
        assert trace.layers[l].dW is not None and trace.layers[l].db is not None
        assert all(trace.layers[k].dW is None for k in range(l))
        if l:
            assert trace.layers[l - 1].delta is not None
        if l > 1:
            assert trace.layers[l - 2].delta is None
        assert trace.layers[l].dW_update is None
    assert np.array_equal(trainer.net.params, before)

    trace = stepper.advance()
    assert trace.phase == "update" and trace.complete and stepper.done and trainer.steps == 1
    assert not np.array_equal(trainer.net.params, before)
    for l, lt in enumerate(trace.layers):
        W_after = trainer.net.W[l]
        assert np.array_equal(lt.W + lt.dW_update, W_after) or np.allclose(lt.W + lt.dW_update, W_after, rtol=0, atol=1e-15)
        assert np.allclose(trace.layers[l].b + lt.db_update, trainer.net.b[l], rtol=0, atol=1e-15)
    with pytest.raises(RuntimeError):
        stepper.advance()
    # Read-only copies: later training does not change them.
    with pytest.raises(ValueError):
        trace.layers[0].z[0, 0] = 1.0
    z = trace.layers[0].z.copy()
    trainer.step_epoch()
    assert np.array_equal(trace.layers[0].z, z)


def test_loss_and_output_gradient_match_the_engine() -> None:
    """The trace's loss and ∂L/∂a: loss.value, and δ_out = ∂L/∂a ⊙ f'(z) (or a − t over n)."""
    for changes in ({}, dict(loss="bce"), dict(dataset="spiral", classes=3, loss="ce"), dict(output="sigmoid")):
        trainer = trainer_for(**changes)
        trace = PhaseStepper(trainer).finish()
        out = trace.layers[-1]
        assert trace.loss == pytest.approx(trainer.loss.value(out.z, out.a, trace.t), rel=1e-12)
        f = trainer.net.output
        if f.name == "softmax":  # δ = J_softmaxᵀ · ∂L/∂a, row by row
            expected = np.stack([(np.diag(a) - np.outer(a, a)) @ g for a, g in zip(out.a, trace.dloss_da)])
        else:
            expected = trace.dloss_da * f.df(out.z, out.a)
        np.testing.assert_allclose(out.delta, expected, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("name", ["tanh-squared-l2-adam", "tanh-ce-momentum-l1", "spiral3-ce-adam-b32", "regression-linear"])
def test_stepper_gradients_equal_numerical_gradient(name: str) -> None:
    """Each layer's ∂L/∂W, ∂L/∂b from the phases is the central difference of the objective on that batch."""
    trainer = trainer_for(**CONFIGS[name])
    for _ in range(5):
        trainer.step_batch()
    start = trainer.net.params.copy()
    trace = PhaseStepper(trainer).finish()
    net = trainer.net
    twin = Network(net.sizes, net.hidden, net.output, np.float64)
    twin.params[...] = start
    assert np.array_equal(trace_params(trace), start)
    numeric = numerical_gradient(twin, trainer.loss, trace.x, trace.t, trainer.reg, trainer.reg_rate, eps=1e-6)
    for l, lt in enumerate(trace.layers):
        for analytic, idx in ((lt.dW.ravel(), layer_indices(net, l)), (lt.db, [bias_index(net, l, j) for j in range(len(lt.db))])):
            num = numeric[idx]
            err = relative_error(analytic, num)
            significant = np.abs(analytic) + np.abs(num) > 1e-8
            assert err[significant].max(initial=0.0) < 1e-6, (l, err)
            np.testing.assert_allclose(analytic, num, rtol=0, atol=1e-8)


def test_sgd_update_is_minus_lr_times_gradient() -> None:
    trainer = trainer_for(optimizer="sgd", lr=0.1)
    trace = PhaseStepper(trainer).finish()
    assert trace.optimizer == "sgd" and trace.lr == 0.1
    for lt in trace.layers:
        np.testing.assert_allclose(lt.dW_update, -0.1 * lt.dW, rtol=1e-12, atol=1e-17)
        np.testing.assert_allclose(lt.db_update, -0.1 * lt.db, rtol=1e-12, atol=1e-17)


def test_stepper_refuses_a_changed_network_and_a_diverged_trainer() -> None:
    trainer = trainer_for()
    stepper = PhaseStepper(trainer)
    stepper.advance()
    trainer.net.params[0] += 1.0
    with pytest.raises(RuntimeError, match="changed"):
        stepper.advance()

    trainer = trainer_for()
    trainer.net.params[0] = np.nan
    assert trainer.check_divergence()
    with pytest.raises(RuntimeError, match="diverged"):
        PhaseStepper(trainer).advance()


def test_stepper_survives_gradient_scribbling_between_phases() -> None:
    """Something else using net.grad between two phases (an evaluation) does not change the step."""
    a, b = trainer_for(), trainer_for()
    stepper = PhaseStepper(a)
    while not stepper.done:
        stepper.advance()
        a.net.grad[...] = 123.0
    b.step_batch()
    assert np.array_equal(a.net.params, b.net.params)


def test_diverging_step_is_reported() -> None:
    config = dict(dataset="plane", layers="5", activation="linear", optimizer="sgd", lr=10, reg="none")
    a, b = trainer_for(**config), trainer_for(**config)
    for _ in range(40):
        if a.diverged:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # overflow is reported through diverged, not warned about
            PhaseStepper(a).finish()
        with np.errstate(all="ignore"):  # as the TUI's training thread trains
            b.step_batch()
        b.check_divergence()
        assert np.array_equal(a.net.params, b.net.params, equal_nan=True)
        assert a.diverged == b.diverged
    assert a.diverged and "diverged" in a.diverged
    with pytest.raises(RuntimeError, match="diverged"):
        PhaseStepper(a).advance()


# ------------------------------------------------------------------ inspect_sample
def test_inspect_sample_keeps_switched_off_neurons_off() -> None:
    trainer = trainer_for(optimizer="sgd", lr=0.1)
    trainer.switch_neuron(1, 0, on=False)  # hidden neuron 1 of layer 1: its weights out held at zero
    trace = inspect_sample(trainer, trainer.x_train[:1], trainer.y_train[:1])
    assert np.all(trace.layers[1].dW_update[0] == 0.0)  # the step shown moves none of them
    assert np.any(trace.layers[1].dW_update[1] != 0.0)


@pytest.mark.parametrize("name", ["tanh-squared-l2-adam", "relu-bce-sgd", "tanh-ce-momentum-l1", "float32-adam"])
def test_inspect_sample_leaves_the_trainer_alone(name: str) -> None:
    trainer = trainer_for(**CONFIGS[name])
    for _ in range(3):  # mid-epoch, with some optimizer state
        trainer.step_batch()
    before = state_of(trainer)
    grad = trainer.net.grad.copy()
    trace = inspect_sample(trainer, trainer.x_train[:1], trainer.y_train[:1])
    assert trace.complete and trace.x.shape == (1, trainer.net.sizes[0])
    assert_same_state(before, state_of(trainer))
    assert np.array_equal(grad, trainer.net.grad)
    # And training afterwards is unaffected: the same as a twin that never inspected.
    twin = trainer_for(**CONFIGS[name])
    for _ in range(3):
        twin.step_batch()
    trainer.step_epoch()
    twin.step_epoch()
    assert np.array_equal(trainer.net.params, twin.net.params)


@pytest.mark.parametrize("name", ["tanh-squared-l2-adam", "relu-bce-sgd", "tanh-ce-momentum-l1", "spiral3-ce-adam-b32"])
def test_inspect_sample_update_is_a_step_on_that_sample(name: str) -> None:
    """The trace's update is exactly what a step of the (identical) trainer on that sample applies."""
    trainer, twin = trainer_for(**CONFIGS[name]), trainer_for(**CONFIGS[name])
    for _ in range(4):
        trainer.step_batch()
        twin.step_batch()
    for rows in (slice(10, 11), slice(0, 3)):
        x, t = trainer.x_train[rows], trainer.t_train[rows]
        trace = inspect_sample(trainer, x, trainer.y_train[rows])
        check = trainer_for(**CONFIGS[name])
        for _ in range(4):
            check.step_batch()
        start = check.net.params.copy()
        check.train_batch(x, t)
        change = check.net.params - start
        n_w = check.net.n_weights
        for l, lt in enumerate(trace.layers):
            assert np.array_equal(lt.dW_update.ravel(), change[layer_indices(check.net, l)])
            first_b = bias_index(check.net, l, 0)
            assert np.array_equal(lt.db_update, change[first_b : first_b + len(lt.db_update)])
            assert first_b >= n_w
        # The forward values are the network's.
        fwd = trainer.net.forward(x)
        for l, lt in enumerate(trace.layers):
            np.testing.assert_allclose(lt.z, fwd.z[l], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(lt.a, fwd.a[l + 1], rtol=1e-12, atol=1e-14)
    assert np.array_equal(trainer.net.params, twin.net.params)


def test_inspect_sample_takes_labels_and_one_dimensional_input() -> None:
    trainer = trainer_for(dataset="spiral", classes=3, loss="ce")
    trace = inspect_sample(trainer, trainer.x_train[0], trainer.y_train[0])  # one sample, its label a number
    assert trace.x.shape == (1, 2) and trace.t.shape == (1, 3)
    np.testing.assert_array_equal(trace.t, trainer.t_train[:1])  # the targets the trainer's loss takes
    with pytest.raises(ValueError):
        inspect_sample(trainer, trainer.x_train[:2], trainer.y_train[:1])
    assert isinstance(trace, Trace) and trace.activations == ("tanh", "tanh", "softmax")
    assert trace.loss_name == "ce" and trace.reg == "l2"


# ------------------------------------------------------------------ gradient check
@pytest.mark.parametrize("changes", [{}, dict(loss="bce", reg="l1"), dict(dataset="spiral", classes=3, loss="ce")])
def test_check_gradients(changes: dict) -> None:
    trainer = trainer_for(**changes)
    for _ in range(3):
        trainer.step_batch()
    before = state_of(trainer)
    x, t = trainer.x_train[:9], trainer.t_train[:9]
    net = trainer.net
    indices = layer_indices(net, 1)[:5] + [bias_index(net, 0, 1), weight_index(net, 2, 2, 0)]
    rows = check_gradients(trainer, x, t, indices)
    assert [r[0] for r in rows] == indices
    for index, analytic, numeric, err in rows:
        assert err < 1e-6 or abs(analytic - numeric) < 1e-9, (index, analytic, numeric, err)
    assert_same_state(before, state_of(trainer))  # parameters bit-identical


def test_check_gradients_at_a_traces_starting_weights() -> None:
    """With trace_params(trace) the analytic column is the trace's ∂L/∂W (in float64)."""
    trainer = trainer_for()
    trace = PhaseStepper(trainer).finish()
    net = trainer.net
    rows = check_gradients(trainer, trace.x, trace.t, layer_indices(net, 0), params=trace_params(trace))
    analytic = np.array([r[1] for r in rows])
    np.testing.assert_allclose(analytic, trace.layers[0].dW.ravel(), rtol=1e-12, atol=1e-15)
    assert max(r[3] for r in rows) < 1e-6


# ------------------------------------------------------------------ indices
def test_weight_and_bias_indices_round_trip() -> None:
    net = trainer_for(layers="4,3").net
    seen = set()
    for l in range(net.n_layers):
        n_in, n_out = net.W[l].shape
        for i in range(n_in):
            for j in range(n_out):
                k = weight_index(net, l, i, j)
                seen.add(k)
                assert describe_index(net.sizes, k) == ("W", l, i, j)
                source = f"x{i + 1}" if l == 0 else f"n{i + 1}"
                assert param_label(net.sizes, k) == f"W{'₁₂₃'[l]} {source}→n{j + 1}"
                saved = net.params[k]
                net.params[k] = 42.0
                assert net.W[l][i, j] == 42.0
                net.params[k] = saved
        for j in range(n_out):
            k = bias_index(net, l, j)
            seen.add(k)
            assert describe_index(net.sizes, k) == ("b", l, j, 0)
            assert param_label(net.sizes, k) == f"b{'₁₂₃'[l]} n{j + 1}"
            saved = net.params[k]
            net.params[k] = -7.0
            assert net.b[l][j] == -7.0
            net.params[k] = saved
    assert seen == set(range(len(net.params)))
    assert param_label(net.sizes, weight_index(net, 0, 1, 2), ["height", "age"]) == "W₁ age→n3"
    assert layer_indices(net, 1) == [weight_index(net, 1, i, j) for i in range(4) for j in range(3)]
    assert layer_indices(net, 2, biases=True)[-1] == len(net.params) - 1
    for bad in ((3, 0, 0), (0, 2, 0), (0, 0, 4), (-1, 0, 0)):
        with pytest.raises(IndexError):
            weight_index(net, *bad)
    with pytest.raises(IndexError):
        bias_index(net, 0, 4)
    with pytest.raises(IndexError):
        describe_index(net.sizes, len(net.params))


def test_phases_use_the_epochs_scheduled_learning_rate() -> None:
    """With a learning-rate schedule the rate changes when an epoch starts; the phases follow it."""
    from nntui.settings import SettingsError

    config = dict(optimizer="sgd", schedule="exponential", schedule_gamma=0.5)
    try:
        a, b = trainer_for(**config), trainer_for(**config)
    except SettingsError:  # pragma: no cover - without schedules
        pytest.skip("no learning-rate schedules")
    rates = set()
    for _ in range(a.n_batches + 2):
        trace = PhaseStepper(a).finish()
        b.step_batch()
        rates.add(trace.lr)
        assert np.array_equal(a.net.params, b.net.params)
    assert len(rates) == 2 and trace.lr == pytest.approx(0.015)
