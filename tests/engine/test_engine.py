"""Tests for nntui.engine: gradients, activations, losses, optimizers, the trainer, model files."""

from __future__ import annotations

import math
import os
import pickle
import warnings

import numpy as np
import pytest

from nntui.engine import (
    ACTIVATIONS,
    HIDDEN_ACTIVATIONS,
    LOSSES,
    EpochStats,
    ModelFileError,
    Network,
    Trainer,
    decode_outputs,
    encode_targets,
    get_activation,
    gradient_check,
    load_model,
    make_optimizer,
    save_model,
)
from nntui.files import atomic_write
from nntui.engine.gradcheck import analytic_gradient, numerical_gradient, relative_error

# (output activation, loss) pairs the engine supports: every loss with every output it takes
PAIRS = [(output, name) for name, loss in LOSSES.items() for output in loss.outputs]
REGS = [("none", 0.0), ("l1", 0.01), ("l2", 0.01)]
KINKED = ("relu", "leaky_relu", "elu")  # f' (elu: f'') jumps at z = 0


def make_net(sizes, hidden="tanh", output="sigmoid", dtype=np.float64, seed=0, init="xavier") -> Network:
    net = Network(sizes, get_activation(hidden), get_activation(output), dtype)
    net.initialize(np.random.default_rng(seed), init)
    return net


def targets(output: str, loss: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Targets a loss can take: one-hot for ce, 0/1 for bce, real values for squared."""
    if loss == "ce":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "bce":
        return rng.integers(0, 2, (n, k)).astype(float)
    return rng.uniform(-1.0, 1.0, (n, k))


def xor_data(n: int, seed: int = 0, margin: float = 0.1):
    """2-D points in [-1, 1]², class 1 where x1·x2 > 0, kept away from the axes."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (3 * n, 2))
    x = x[np.all(np.abs(x) > margin, axis=1)][:n]
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def make_trainer(seed=0, n=40, batch=8, sizes=(2, 5, 1), optimizer="sgd", lr=0.1, test=True, dtype=np.float64, **kw):
    x, y = xor_data(n + 20, seed=1)
    net = make_net(sizes, dtype=dtype)
    return Trainer(
        net, LOSSES["bce"], make_optimizer(optimizer, len(net.params), dtype),
        x[:n], y[:n], x[n:] if test else None, y[n:] if test else None,
        lr=lr, batch_size=batch, rng=np.random.default_rng(seed), **kw,
    )


def manual_gradient(net: Network, loss, x, t) -> np.ndarray:
    """∂L/∂params by the allocating forward and backward passes (a copy)."""
    fwd = net.forward(x)
    net.backward(fwd, loss.delta(fwd.z[-1], fwd.output, t, net.output))
    return net.grad.copy()


# ---------------------------------------------------------------------------- gradient check
def max_relative_error(net, loss, x, t, reg="none", rate=0.0) -> float:
    """``gradient_check``'s figure, but with central differences of step ε = 1e-5.

    Central differences err by about ε_machine·|J|/ε (rounding) + ε²·|J‴|/6 (truncation).
    At gradient_check's ε = 1e-6 the rounding part, ~1e-10, is already 1e-6 of the smallest
    gradient components (~1e-4) of some of these nets: the check would measure its own noise.
    """
    analytic = analytic_gradient(net, loss, x, t, reg, rate)
    numeric = numerical_gradient(net, loss, x, t, reg, rate, eps=1e-5)
    return float(relative_error(analytic, numeric).max())


@pytest.mark.parametrize("reg,rate", REGS, ids=[r for r, _ in REGS])
@pytest.mark.parametrize("output,loss", PAIRS, ids=[f"{o}-{l}" for o, l in PAIRS])
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_gradient_check(hidden, output, loss, reg, rate):
    rng = np.random.default_rng(42)
    k = {"ce": 3, "bce": 1}.get(loss, 2)  # bce: one sigmoid output for two classes
    net = make_net((3, 4, 3, k), hidden, output, seed=3)
    x = rng.normal(0.0, 1.0, (8, 3))
    t = targets(output, loss, 8, k, rng)
    if hidden in KINKED:  # no pre-activation so near the kink that ±ε reaches it
        assert min(np.abs(z).min() for z in net.forward(x).z[:-1]) > 1e-3
    if reg == "l1":  # |w| is not differentiable at 0
        assert np.abs(net.params[: net.n_weights]).min() > 1e-3
    assert max_relative_error(net, LOSSES[loss], x, t, reg, rate) < 1e-6


@pytest.mark.parametrize("output,loss", PAIRS, ids=[f"{o}-{l}" for o, l in PAIRS])
def test_output_gradient_through_f_prime_is_the_delta(output, loss):
    """What the inspector shows, ∂L/∂a, taken through the output's f'(z) (softmax: its Jacobian)
    is the δ = ∂L/∂z training uses (which skips f' for the outputs it cancels for)."""
    rng = np.random.default_rng(5)
    L, f = LOSSES[loss], get_activation(output)
    k = L.n_outputs(3) or 1  # three outputs, or one if the loss takes only two classes
    z = rng.normal(0.0, 1.5, (6, k))
    a = f.f(z)
    t = targets(output, loss, 6, k, rng)
    g = L.output_gradient(a, t)
    if f.elementwise:
        through = g * f.df(z, a)
    else:  # softmax: δ = J_softmaxᵀ · ∂L/∂a, row by row
        through = np.stack([(np.diag(ai) - np.outer(ai, ai)) @ gi for ai, gi in zip(a, g)])
    np.testing.assert_allclose(L.delta(z, a, t, f), through, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("hidden,output,loss", [("tanh", "sigmoid", "bce"), ("relu", "softmax", "ce"), ("elu", "linear", "squared")])
def test_gradient_check_function(hidden, output, loss):
    rng = np.random.default_rng(0)
    k = 3 if loss == "ce" else 1
    net = make_net((2, 5, k), hidden, output, seed=1)
    x = rng.normal(0.0, 1.0, (6, 2))
    t = targets(output, loss, 6, k, rng)
    assert gradient_check(net, LOSSES[loss], x, t, "l2", 0.1) < 1e-6
    # a wrong gradient is caught
    broken = LOSSES[loss].__class__()
    broken.delta = lambda z, a, t, f, out=None: 2.0 * LOSSES[loss].delta(z, a, t, f)
    assert gradient_check(net, broken, x, t) > 0.1


def test_gradient_check_bce_with_two_sigmoid_outputs():
    # bce sums over outputs (as squared error and ce do) and averages over samples.
    rng = np.random.default_rng(42)
    net = make_net((3, 4, 3, 2), "tanh", "sigmoid", seed=7)
    x, t = rng.normal(0.0, 1.0, (8, 3)), rng.integers(0, 2, (8, 2)).astype(float)
    assert gradient_check(net, LOSSES["bce"], x, t) < 1e-6


# ---------------------------------------------------------------------------- activations
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative_matches_finite_differences(name):
    f = get_activation(name)
    z = np.linspace(-3.0, 3.0, 60).reshape(10, 6)  # 0 is not on the grid (kinks)
    h = 1e-6
    if name == "softmax":  # df is never used (ce's delta includes the Jacobian); it returns ones
        assert np.array_equal(f.df(z, f.f(z)), np.ones_like(z))
        return
    numeric = (f.f(z + h) - f.f(z - h)) / (2 * h)
    np.testing.assert_allclose(f.df(z, f.f(z)), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus"])
def test_smooth_activation_derivative_matches_np_gradient(name):
    f = get_activation(name)
    z = np.linspace(-4.0, 4.0, 8001)
    np.testing.assert_allclose(f.df(z, f.f(z))[1:-1], np.gradient(f.f(z), z)[1:-1], atol=1e-6)


def test_activation_values():
    z = np.array([[-2.0, 0.0, 3.0]])
    assert np.array_equal(get_activation("relu").f(z), [[0.0, 0.0, 3.0]])
    assert np.allclose(get_activation("leaky_relu").f(z), [[-0.02, 0.0, 3.0]])
    assert np.allclose(get_activation("elu").f(z), [[math.expm1(-2.0), 0.0, 3.0]])
    assert np.allclose(get_activation("sigmoid").f(z), 1 / (1 + np.exp(-z)))
    assert np.allclose(get_activation("softplus").f(z), np.log1p(np.exp(z)))
    assert np.array_equal(get_activation("linear").f(z), z)
    s = get_activation("softmax").f(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]]))
    assert np.allclose(s.sum(axis=1), 1.0) and np.allclose(s[1], 1 / 3)
    # no overflow far out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = np.array([[-1000.0, 1000.0]])
        assert np.array_equal(get_activation("sigmoid").f(big), [[0.0, 1.0]])
        assert np.allclose(get_activation("softplus").f(big), [[0.0, 1000.0]])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_out_argument_gives_the_same_values(name):
    f = get_activation(name)
    z = np.random.default_rng(0).normal(0.0, 2.0, (5, 4))
    a = f.f(z)
    out = np.full_like(z, np.nan)
    assert np.array_equal(f.f(z, out=out), a)
    out = np.full_like(z, np.nan)
    assert np.array_equal(f.df(z, a, out=out), f.df(z, a))
    assert np.array_equal(out, f.df(z, a))


# ---------------------------------------------------------------------------- losses
def test_bce_known_values():
    bce = LOSSES["bce"]
    z = np.zeros((4, 1))
    a = get_activation("sigmoid").f(z)
    for t in (np.zeros((4, 1)), np.ones((4, 1))):
        assert bce.value(z, a, t) == pytest.approx(math.log(2))
    # far out on the right side it is ~0, on the wrong side ~|z|, never inf
    z = np.array([[50.0], [-50.0]])
    a = get_activation("sigmoid").f(z)
    assert bce.value(z, a, np.array([[1.0], [0.0]])) == pytest.approx(0.0, abs=1e-20)
    assert bce.value(z, a, np.array([[0.0], [1.0]])) == pytest.approx(50.0)


def test_squared_error_is_half_the_sum_over_outputs_averaged_over_samples():
    sq = LOSSES["squared"]
    a = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.0]])
    t = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    expected = (0.5 * (1 + 4) + 0.5 * (4 + 4) + 0.0) / 3
    assert sq.value(a, a, t) == pytest.approx(expected)
    assert sq.value(np.array([[3.0]]), np.array([[3.0]]), np.array([[1.0]])) == pytest.approx(2.0)


def test_ce_of_uniform_logits_is_log_k():
    for k in (2, 3, 10):
        z = np.zeros((5, k))
        t = np.eye(k)[np.arange(5) % k]
        a = get_activation("softmax").f(z)
        assert LOSSES["ce"].value(z, a, t) == pytest.approx(math.log(k))
    # stable for huge logits
    z = np.array([[1000.0, 0.0]])
    assert LOSSES["ce"].value(z, get_activation("softmax").f(z), np.array([[0.0, 1.0]])) == pytest.approx(1000.0)


@pytest.mark.parametrize("output,loss", PAIRS)
def test_output_delta_is_the_derivative_of_the_mean_loss(output, loss):
    rng = np.random.default_rng(3)
    f, L = get_activation(output), LOSSES[loss]
    k = 1 if loss == "bce" else 3
    z = rng.normal(0.0, 1.0, (6, k))
    t = targets(output, loss, 6, k, rng)
    numeric = np.zeros_like(z)
    h = 1e-6
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        numeric[idx] = (L.value(zp, f.f(zp), t) - L.value(zm, f.f(zm), t)) / (2 * h)
    np.testing.assert_allclose(L.delta(z, f.f(z), t, f), numeric, rtol=1e-6, atol=1e-9)
    out = np.full_like(z, np.nan)
    assert np.array_equal(L.delta(z, f.f(z), t, f, out=out), L.delta(z, f.f(z), t, f))


# ---------------------------------------------------------------------------- targets
def test_encode_targets_tanh_is_plus_minus_one():
    y = np.array([0, 1, 1, 0])
    assert np.array_equal(encode_targets(y, 1, "classification", "tanh"), [[-1.0], [1.0], [1.0], [-1.0]])
    assert np.array_equal(encode_targets(y, 1, "classification", "linear"), [[-1.0], [1.0], [1.0], [-1.0]])


def test_encode_targets_sigmoid_is_zero_one():
    y = np.array([0, 1, 1, 0])
    assert np.array_equal(encode_targets(y, 1, "classification", "sigmoid"), [[0.0], [1.0], [1.0], [0.0]])


def test_encode_targets_softmax_is_one_hot():
    y = np.array([2, 0, 1])
    assert np.array_equal(encode_targets(y, 3, "classification", "softmax"), np.eye(3)[[2, 0, 1]])
    # several tanh outputs: one-hot with -1 for the other classes
    assert np.array_equal(encode_targets(y, 3, "classification", "tanh"), 2 * np.eye(3)[[2, 0, 1]] - 1)


def test_encode_targets_regression_keeps_values():
    y = np.array([0.5, -2.0])
    assert np.array_equal(encode_targets(y, 1, "regression", "linear"), [[0.5], [-2.0]])


def test_decode_outputs():
    assert np.array_equal(decode_outputs(np.array([[-0.2], [0.3]]), "classification", "tanh"), [0, 1])
    assert np.array_equal(decode_outputs(np.array([[0.4], [0.6]]), "classification", "sigmoid"), [0, 1])
    probs = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    assert np.array_equal(decode_outputs(probs, "classification", "softmax"), [1, 0])
    assert np.array_equal(decode_outputs(np.array([[1.5], [-2.0]]), "regression", "linear"), [1.5, -2.0])
    for output in ("tanh", "sigmoid", "softmax"):  # decode(encode(y)) == y
        y = np.array([0, 1, 1, 0])
        k = 2 if output == "softmax" else 1
        assert np.array_equal(decode_outputs(encode_targets(y, k, "classification", output), "classification", output), y)


# ---------------------------------------------------------------------------- optimizers
def grads(n: int, steps: int = 3):
    rng = np.random.default_rng(5)
    return rng.normal(0.0, 1.0, n), [rng.normal(0.0, 1.0, n) for _ in range(steps)]


def test_sgd_step_is_p_minus_lr_g_exactly():
    p0, (g,) = grads(7, 1)
    p = p0.copy()
    make_optimizer("sgd", 7).step(p, g.copy(), 0.03)
    assert np.array_equal(p, p0 - 0.03 * g)


def test_momentum_matches_hand_written_formula():
    p0, gs = grads(6)
    p, opt = p0.copy(), make_optimizer("momentum", 6, momentum=0.9)
    ref, v = p0.copy(), np.zeros(6)
    for g, lr in zip(gs, (0.1, 0.1, 0.02)):
        opt.step(p, g.copy(), lr)
        v = 0.9 * v - lr * g
        ref = ref + v
    np.testing.assert_allclose(p, ref, rtol=1e-14, atol=1e-15)


def test_nesterov_matches_hand_written_formula():
    p0, gs = grads(6)
    p, opt = p0.copy(), make_optimizer("nesterov", 6, momentum=0.8)
    ref, v = p0.copy(), np.zeros(6)
    for g in gs:
        opt.step(p, g.copy(), 0.1)
        v = 0.8 * v - 0.1 * g
        ref = ref + 0.8 * v - 0.1 * g
    np.testing.assert_allclose(p, ref, rtol=1e-14, atol=1e-15)


def test_adam_matches_hand_written_formula():
    p0, gs = grads(6)
    p, opt = p0.copy(), make_optimizer("adam", 6)
    ref, m, v = p0.copy(), np.zeros(6), np.zeros(6)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t, (g, lr) in enumerate(zip(gs, (0.01, 0.01, 0.003)), start=1):
        opt.step(p, g.copy(), lr)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        ref = ref - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(p, ref, rtol=1e-12, atol=1e-15)


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="adam"):
        make_optimizer("rmsprop", 3)


def test_changing_lr_in_the_trainer_keeps_momentum():
    trainer = make_trainer(optimizer="momentum", shuffle=False, batch=10)
    for _ in range(2):
        trainer.step_batch()
    v_before = trainer.optimizer.v.copy()
    assert np.abs(v_before).max() > 0
    # the next batch's gradient (next_batch mid-epoch just returns it; the step recomputes net.grad)
    x, t = trainer.next_batch()
    g = manual_gradient(trainer.net, trainer.loss, x, t)
    p_before = trainer.net.params.copy()
    trainer.lr = 0.02
    trainer.step_batch()
    v_expected = 0.9 * v_before - 0.02 * g
    np.testing.assert_allclose(trainer.optimizer.v, v_expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(trainer.net.params, p_before + v_expected, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------- trainer
def test_epoch_zero_stats_exist_before_training():
    trainer = make_trainer()
    s = trainer.stats
    assert s.epoch == 0 and trainer.epoch == 0 and trainer.steps == 0
    assert math.isfinite(s.train_loss) and math.isfinite(s.test_loss)
    assert 0.0 <= s.train_acc <= 1.0 and 0.0 <= s.test_acc <= 1.0
    assert len(s.grad_norms) == 2 and all(g > 0 for g in s.grad_norms)
    assert s.penalty == 0.0 and s.lr == pytest.approx(0.1)


def test_evaluate_matches_a_direct_computation():
    trainer = make_trainer(reg="l2", reg_rate=0.01)
    trainer.step_epoch()
    s = trainer.evaluate()
    net, loss = trainer.net, trainer.loss
    for x, y, t, got_loss, got_acc in (
        (trainer.x_train, trainer.y_train, trainer.t_train, s.train_loss, s.train_acc),
        (trainer.x_test, trainer.y_test, trainer.t_test, s.test_loss, s.test_acc),
    ):
        fwd = net.forward(x)
        assert got_loss == pytest.approx(loss.value(fwd.z[-1], fwd.output, t), rel=1e-12)
        assert got_acc == pytest.approx(np.mean(decode_outputs(fwd.output, "classification", "sigmoid") == y))
    manual_gradient(net, loss, trainer.x_train, trainer.t_train)
    np.testing.assert_allclose(s.grad_norms, [np.linalg.norm(dW) for dW in net.dW], rtol=1e-12)
    assert s.penalty == pytest.approx(0.01 * 0.5 * np.sum(net.params[: net.n_weights] ** 2))


def test_step_epoch_equals_n_batches_step_batch_bit_for_bit():
    a, b = make_trainer(seed=3, n=45, batch=10), make_trainer(seed=3, n=45, batch=10)
    assert a.n_batches == 5
    for epoch in range(1, 4):
        stats = a.step_epoch()
        results = [b.step_batch() for _ in range(b.n_batches)]
        assert results[:-1] == [None] * (b.n_batches - 1) and results[-1] == stats
        assert stats.epoch == epoch
        assert np.array_equal(a.net.params, b.net.params)
    assert a.stats == b.stats and a.steps == b.steps == 15


def test_same_seed_same_history_different_seed_differs():
    runs, logs = [], []
    for seed in (11, 11, 12):
        trainer = make_trainer(seed=seed)
        logs.append([trainer.stats] + [trainer.step_epoch() for _ in range(5)])
        runs.append(trainer)
    assert logs[0] == logs[1]
    assert np.array_equal(runs[0].net.params, runs[1].net.params)
    assert not np.array_equal(runs[0].net.params, runs[2].net.params)
    assert logs[0][-1].train_loss != logs[2][-1].train_loss


def manual_sgd_epoch(net: Network, loss, x, t, lr: float, batch: int) -> None:
    """Plain mini-batch SGD over x in its order, on ``net`` in place."""
    for start in range(0, len(x), batch):
        g = manual_gradient(net, loss, x[start : start + batch], t[start : start + batch])
        net.params -= lr * g


def test_no_shuffle_uses_the_data_order_and_a_partial_last_batch():
    trainer = make_trainer(n=25, batch=10, shuffle=False)
    reference = make_net((2, 5, 1))
    assert np.array_equal(reference.params, trainer.net.params)
    assert trainer.n_batches == 3
    x, t = trainer.next_batch()
    assert np.array_equal(x, trainer.x_train[:10]) and np.array_equal(t, trainer.t_train[:10])
    for _ in range(2):
        trainer.step_epoch()
        manual_sgd_epoch(reference, trainer.loss, trainer.x_train, trainer.t_train, 0.1, 10)
    assert trainer.steps == 6 and trainer.epoch == 2 and trainer.batch_in_epoch == 0
    np.testing.assert_allclose(trainer.net.params, reference.params, rtol=1e-12, atol=1e-15)


def test_shuffle_visits_every_sample_once_per_epoch():
    trainer = make_trainer(n=25, batch=10)
    seen = []
    for _ in range(trainer.n_batches):
        x, t = trainer.next_batch()
        seen.append(x)
        trainer.train_batch(x, t)
        trainer.finish_batch()
    seen = np.concatenate(seen)
    assert len(seen) == 25
    assert not np.array_equal(seen, trainer.x_train)  # shuffled
    assert np.array_equal(np.sort(seen, axis=0), np.sort(trainer.x_train, axis=0))


def test_batch_larger_than_the_data_is_one_batch():
    trainer = make_trainer(n=12, batch=100)
    assert trainer.batch_size == 12 and trainer.n_batches == 1
    trainer.step_epoch()
    assert trainer.steps == 1 and trainer.epoch == 1


def test_snapshot_is_a_read_only_copy():
    trainer = make_trainer()
    trainer.step_epoch()
    snap = trainer.snapshot()
    W = [w.copy() for w in snap.W]
    b = [x.copy() for x in snap.b]
    assert snap.epoch == 1 and snap.steps == trainer.steps and snap.stats == trainer.stats
    for _ in range(3):
        trainer.step_epoch()
    trainer.net.params[:] = 123.0
    assert all(np.array_equal(w0, w1) for w0, w1 in zip(W, snap.W))
    assert all(np.array_equal(b0, b1) for b0, b1 in zip(b, snap.b))
    for arr in (*snap.W, *snap.b):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[...] = 0.0
    assert snap.epoch == 1


def test_checkpoint_restore_replays_identically():
    trainer = make_trainer(optimizer="adam", lr=0.01)
    for _ in range(5):
        trainer.step_epoch()
    cp = trainer.checkpoint()
    assert cp.order is None  # between epochs the next one draws its own order: none is kept
    for _ in range(5):
        trainer.step_epoch()
    params, stats = trainer.net.params.copy(), trainer.stats
    trainer.restore(cp)
    assert trainer.epoch == 5 and trainer.stats == cp.stats and trainer.stats.epoch == 5
    for _ in range(5):
        trainer.step_epoch()
    assert trainer.epoch == 10
    assert np.array_equal(trainer.net.params, params)
    assert trainer.stats == stats


def test_checkpoint_mid_epoch():
    trainer = make_trainer(n=40, batch=8)
    trainer.step_epoch()
    trainer.step_batch()
    trainer.step_batch()
    cp = trainer.checkpoint()
    assert cp.order is not None and cp.cursor == 16
    trainer.step_epoch()
    trainer.step_epoch()
    params = trainer.net.params.copy()
    trainer.restore(cp)
    assert trainer.batch_in_epoch == 2
    trainer.step_epoch()
    trainer.step_epoch()
    assert np.array_equal(trainer.net.params, params)


def test_regression_has_no_accuracy():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, (30, 2))
    y = x[:, 0] - 0.5 * x[:, 1]
    net = make_net((2, 4, 1), "tanh", "linear")
    trainer = Trainer(net, LOSSES["squared"], make_optimizer("sgd", len(net.params)), x[:20], y[:20], x[20:], y[20:],
                      task="regression", lr=0.05, batch_size=5, rng=np.random.default_rng(0))
    first = trainer.stats
    for _ in range(20):
        stats = trainer.step_epoch()
    assert stats.train_acc is None and stats.test_acc is None
    assert stats.train_loss < first.train_loss


def test_no_test_set():
    trainer = make_trainer(test=False)
    stats = trainer.step_epoch()
    assert stats.test_loss is None and stats.test_acc is None and stats.train_acc is not None


def test_regularization_shrinks_weights():
    norms = {}
    for reg in ("none", "l1", "l2"):
        trainer = make_trainer(reg=reg, reg_rate=0.05, optimizer="adam", lr=0.02)
        for _ in range(30):
            trainer.step_epoch()
        norms[reg] = np.abs(trainer.net.params[: trainer.net.n_weights]).sum()
        assert (trainer.stats.penalty > 0) == (reg != "none")
    assert norms["l1"] < norms["none"] and norms["l2"] < norms["none"]


# ---------------------------------------------------------------------------- divergence
def diverging_trainer(kind: str) -> Trainer:
    """lr = 1e6 on a small problem (both make NumPy overflow on the way)."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 3.0, (40, 2))
    if kind == "regression":
        net = make_net((2, 8, 1), "tanh", "linear")
        y, loss, task = x[:, 0] * 5.0 + 1.0, "squared", "regression"
    else:
        net = make_net((2, 8, 1), "relu", "sigmoid", init="he")
        y, loss, task = (x[:, 0] * x[:, 1] > 0).astype(np.int64), "bce", "classification"
    return Trainer(net, LOSSES[loss], make_optimizer("sgd", len(net.params)), x[:30], y[:30], x[30:], y[30:],
                   task=task, lr=1e6, batch_size=10, rng=np.random.default_rng(0))


@pytest.mark.parametrize("kind", ["regression", "classification"])
def test_huge_learning_rate_diverges_cleanly(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning may escape
        trainer = diverging_trainer(kind)
        results = [trainer.step_epoch() for _ in range(30)]
        assert trainer.diverged is not None
        first_none = results.index(None)
        assert all(isinstance(r, EpochStats) for r in results[:first_none])
        assert all(r is None for r in results[first_none:])
        epoch = trainer.epoch
        assert epoch == first_none + 1
        assert f"epoch {epoch}" in trainer.diverged and "lower" in trainer.diverged
        assert trainer.step_epoch() is None and trainer.step_batch() is None
        assert trainer.epoch == epoch and trainer.stats.epoch == epoch
        assert trainer.snapshot().diverged == trainer.diverged


@pytest.mark.parametrize("kind", ["regression", "classification"])
def test_huge_learning_rate_diverges_cleanly_batch_by_batch(kind):
    # step_batch leaves NumPy's warnings to its caller, who trains under np.errstate (the TUI's
    # training thread does); then nothing warns or raises, and divergence is reported.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("error")
        trainer = diverging_trainer(kind)
        for _ in range(30 * trainer.n_batches):
            if trainer.diverged:
                break
            trainer.step_batch()
        assert trainer.diverged is not None and "lower" in trainer.diverged
        steps = trainer.steps
        assert trainer.step_batch() is None and trainer.step_epoch() is None
        assert trainer.steps == steps


# ---------------------------------------------------------------------------- learning
def test_learns_xor():
    x, y = xor_data(200, seed=2)
    net = make_net((2, 8, 8, 1), "tanh", "sigmoid", seed=1)
    trainer = Trainer(net, LOSSES["bce"], make_optimizer("adam", len(net.params)), x[:150], y[:150], x[150:], y[150:],
                      lr=0.03, batch_size=10, rng=np.random.default_rng(0))
    for _ in range(300):
        stats = trainer.step_epoch()
        if stats.train_acc >= 0.97 and stats.test_acc >= 0.9:
            break
    assert stats.train_acc >= 0.9 and stats.test_acc >= 0.9, stats


def test_learns_three_classes_with_softmax():
    rng = np.random.default_rng(0)
    centers = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.5]])
    y = rng.integers(0, 3, 150)
    x = centers[y] + rng.normal(0.0, 0.3, (150, 2))
    net = make_net((2, 6, 3), "relu", "softmax", init="he")
    trainer = Trainer(net, LOSSES["ce"], make_optimizer("adam", len(net.params)), x[:100], y[:100], x[100:], y[100:],
                      lr=0.03, batch_size=10, rng=np.random.default_rng(0))
    for _ in range(40):
        stats = trainer.step_epoch()
    assert stats.test_acc >= 0.9


# ---------------------------------------------------------------------------- workspaces
@pytest.mark.parametrize("output,loss", PAIRS, ids=[f"{o}-{l}" for o, l in PAIRS])
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_workspace_passes_equal_allocating_passes(hidden, output, loss):
    """The trainer's preallocated passes compute what the plain forward/backward compute."""
    rng = np.random.default_rng(1)
    k = 3 if output == "softmax" else 1
    net = make_net((3, 5, 4, k), hidden, output, seed=2)
    L = LOSSES[loss]
    x = rng.normal(0.0, 1.0, (7, 3))
    t = targets(output, loss, 7, k, rng)
    expected_fwd = net.forward(x)
    expected = manual_gradient(net, L, x, t)
    ws = net.workspace(10).rows(7)
    for _ in range(2):  # twice: the second pass overwrites the first
        fwd = net.forward(x, ws)
        net.backward(fwd, L.delta(fwd.z[-1], fwd.output, t, net.output, out=ws.deltas[-1]), ws)
        np.testing.assert_allclose(net.grad, expected, rtol=1e-12, atol=1e-15)
        for got, want in zip(fwd.a + fwd.z, expected_fwd.a + expected_fwd.z):
            np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)


def test_forward_without_workspace_returns_new_arrays():
    net = make_net((2, 3, 1))
    x = np.ones((4, 2))
    a1 = net.predict(x)
    a2 = net.predict(x * 2)
    assert a1 is not a2 and not np.array_equal(a1, a2)


def test_analytic_gradient_includes_the_penalty():
    net = make_net((2, 3, 1))
    x, t = np.ones((4, 2)), np.ones((4, 1))
    g0 = analytic_gradient(net, LOSSES["bce"], x, t)
    g2 = analytic_gradient(net, LOSSES["bce"], x, t, "l2", 0.5)
    n_w = net.n_weights
    np.testing.assert_allclose(g2[:n_w] - g0[:n_w], 0.5 * net.params[:n_w])
    assert np.array_equal(g2[n_w:], g0[n_w:])  # biases are not regularized


# ---------------------------------------------------------------------------- float32
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_float32_stays_float32(optimizer):
    trainer = make_trainer(dtype=np.float32, optimizer=optimizer, lr=0.05, reg="l2", reg_rate=0.01, sizes=(2, 6, 6, 1))
    for _ in range(5):
        stats = trainer.step_epoch()
    net = trainer.net
    assert net.params.dtype == np.float32 and net.grad.dtype == np.float32
    assert all(w.dtype == np.float32 for w in (*net.W, *net.b, *net.dW, *net.db))
    assert all(arr.dtype == np.float32 for arr in trainer.optimizer.state().values() if isinstance(arr, np.ndarray))
    assert net.predict(trainer.x_train).dtype == np.float32
    assert math.isfinite(stats.train_loss)
    assert all(w.dtype == np.float32 for w in trainer.snapshot().W)


def test_float32_trainer_accepts_float64_batches():
    trainer = make_trainer(dtype=np.float32)
    x, t = trainer.next_batch()
    trainer.train_batch(x.astype(np.float64), t.astype(np.float64))
    assert trainer.net.params.dtype == np.float32


# ---------------------------------------------------------------------------- model files
def saved_net(tmp_path, name="model.npz"):
    net = make_net((2, 5, 3, 1), seed=4)
    path = tmp_path / name
    settings = {"layers": [5, 3], "activation": "tanh", "lr": 0.03, "seed": 4, "nested": {"a": [1, 2]}, "none": None}
    save_model(path, net.W, net.b, settings)
    return net, path, settings


def test_save_load_round_trip(tmp_path):
    net, path, settings = saved_net(tmp_path)
    W, b, loaded = load_model(path)
    assert len(W) == len(b) == 3
    for w0, w1, b0, b1 in zip(net.W, W, net.b, b):
        assert np.array_equal(w0, w1) and w0.dtype == w1.dtype
        assert np.array_equal(b0, b1) and b0.dtype == b1.dtype
    assert loaded == settings
    fresh = Network(net.sizes, net.hidden, net.output)
    fresh.set_weights(W, b)
    assert np.array_equal(fresh.params, net.params)


def test_save_without_settings_and_float32(tmp_path):
    net = make_net((2, 3, 1), dtype=np.float32)
    save_model(tmp_path / "m.npz", net.W, net.b)
    W, b, settings = load_model(tmp_path / "m.npz")
    assert settings == {} and W[0].dtype == np.float32
    assert np.array_equal(W[1], net.W[1])


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    net, path, settings = saved_net(tmp_path)
    save_model(path, net.W, net.b, settings)  # overwrite
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_existing_file_replaced_only_on_success(tmp_path):
    net, path, settings = saved_net(tmp_path)
    before = path.read_bytes()

    def failing_write(f):
        f.write(b"half a model")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, failing_write)
    with pytest.raises(TypeError):  # settings that are not JSON
        save_model(path, net.W, net.b, {"bad": object()})
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]
    other = make_net((2, 5, 3, 1), seed=9)
    save_model(path, other.W, other.b, settings)
    assert np.array_equal(load_model(path)[0][0], other.W[0])


def test_load_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "nope.npz")


def test_load_truncated_file(tmp_path):
    _, path, _ = saved_net(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_model(path)


def test_load_not_an_npz(tmp_path):
    path = tmp_path / "model.npz"
    path.write_text("layers = 8,8\n")
    with pytest.raises(ModelFileError):
        load_model(path)
    path.write_bytes(b"")
    with pytest.raises(ModelFileError):
        load_model(path)


def test_load_npz_without_w0(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, weights=np.zeros((2, 2)))
    with pytest.raises(ModelFileError, match="W0"):
        load_model(path)


def test_load_missing_bias(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, W0=np.zeros((2, 3)), b0=np.zeros(3), W1=np.zeros((3, 1)))
    with pytest.raises(ModelFileError, match="b1"):
        load_model(path)


def test_load_mismatched_layer_shapes(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, W0=np.zeros((2, 3)), b0=np.zeros(3), W1=np.zeros((4, 1)), b1=np.zeros(1))
    with pytest.raises(ModelFileError, match="W1"):
        load_model(path)
    np.savez(path, W0=np.zeros((2, 3)), b0=np.zeros(2))
    with pytest.raises(ModelFileError, match="do not form a layer"):
        load_model(path)


def test_load_non_float_arrays(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, W0=np.zeros((2, 3), dtype=np.int64), b0=np.zeros(3))
    with pytest.raises(ModelFileError, match="floating"):
        load_model(path)


UNPICKLED: list[str] = []


def _record_unpickling(tag: str) -> str:
    UNPICKLED.append(tag)
    return tag


class Booby:
    """Unpickling this calls _record_unpickling: it must never happen on load."""

    def __reduce__(self):
        return (_record_unpickling, ("unpickled!",))


def test_load_object_array_never_unpickles(tmp_path):
    path = tmp_path / "model.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = Booby()
    np.savez(path, W0=evil, b0=np.zeros(3))
    pickle.loads(pickle.dumps(Booby()))  # the trap works...
    assert UNPICKLED == ["unpickled!"]
    UNPICKLED.clear()
    with pytest.raises(ModelFileError):
        load_model(path)
    assert UNPICKLED == []  # ...but loading never sprang it
    np.savez(path, W0=np.zeros((2, 3)), b0=np.zeros(3), settings=evil)
    with pytest.raises(ModelFileError):
        load_model(path)
    assert UNPICKLED == []


def test_load_settings_not_an_object(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, W0=np.zeros((2, 3)), b0=np.zeros(3), settings=np.array("[1, 2]"))
    with pytest.raises(ModelFileError, match="settings"):
        load_model(path)


def test_kinks_take_the_left_derivative():
    """At exactly z = 0 the ReLU family uses its left slope (as the step function does)."""
    z = np.zeros((1, 3))
    assert np.array_equal(get_activation("relu").df(z, get_activation("relu").f(z)), np.zeros((1, 3)))
    leaky = get_activation("leaky_relu")
    assert np.allclose(leaky.df(z, leaky.f(z)), 0.01)
    elu = get_activation("elu")  # smooth there: both slopes are 1
    assert np.allclose(elu.df(z, elu.f(z)), 1.0)
