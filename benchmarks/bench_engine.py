"""Engine speed against a plain NumPy training loop (run by hand, not part of pytest).

    .venv/bin/python benchmarks/bench_engine.py [--quick]

For each case the engine (``Trainer.step_epoch()``, i.e. mini-batch steps *plus* the
per-epoch evaluation: losses and accuracies on train and test, full-batch gradient norms)
and the plain loop of ``benchmarks/reference.py`` (mini-batch steps only, written as a
student would) train the same network from the same weights on the same data with the
same shuffles.  Both are timed in the same run, interleaved, best of several repeats;
the figure is mini-batch steps per second and the ratio engine / plain (> 1: engine faster).

A second engine column, "steps only", times ``Trainer.train_batch`` on the same batches
without the per-epoch evaluation, to show what the evaluation costs.

Cases (data split 50/50 into train and test, as nntui's default ``train_fraction``):
    small  2-8-8-1 tanh, sigmoid + bce, SGD, batch 10, 500 points   (25 steps per epoch)
    wide   2-128-128-1 tanh, sigmoid + bce, SGD, batch 256, 5,000 points (10 steps per epoch)
           in float64 and float32
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import PlainNet  # noqa: E402

from nntui.engine import LOSSES, Network, Trainer, get_activation, make_optimizer  # noqa: E402

SEED = 0
LR = 0.03


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n 2-D points in [-1, 1]², labelled by an XOR-like rule with a curved border."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = ((x[:, 0] * x[:, 1] + 0.2 * np.sin(3.0 * x[:, 0])) > 0).astype(np.int64)
    return x, y


def make_trainer(sizes, n_points, batch, dtype) -> Trainer:
    x, y = make_data(n_points, SEED)
    n_train = n_points // 2
    net = Network(sizes, get_activation("tanh"), get_activation("sigmoid"), dtype)
    net.initialize(np.random.default_rng(SEED), "xavier")
    return Trainer(
        net, LOSSES["bce"], make_optimizer("sgd", len(net.params), dtype),
        x[:n_train], y[:n_train], x[n_train:], y[n_train:],
        lr=LR, batch_size=batch, shuffle=True, rng=np.random.default_rng(SEED + 1),
    )


def make_plain(trainer: Trainer) -> PlainNet:
    """The plain loop, starting from the trainer's weights, data and shuffling seed."""
    net = trainer.net
    return PlainNet(
        [w.copy() for w in net.W], [b.copy() for b in net.b],
        trainer.x_train, trainer.t_train, LR, trainer.batch_size, np.random.default_rng(SEED + 1),
    )


def check_same_step(sizes, n_points, batch) -> float:
    """Largest weight difference after 2 epochs of engine and plain loop (float64)."""
    trainer = make_trainer(sizes, n_points, batch, np.float64)
    plain = make_plain(trainer)
    for _ in range(2):
        trainer.step_epoch()
        plain.train_epoch()
    return max(float(np.max(np.abs(w - p))) for w, p in zip(trainer.net.W, plain.W))


def time_engine(trainer: Trainer, epochs: int) -> float:
    """Steps per second of ``step_epoch`` (mini-batches and per-epoch evaluation)."""
    steps0, t0 = trainer.steps, time.perf_counter()
    for _ in range(epochs):
        trainer.step_epoch()
    dt = time.perf_counter() - t0
    assert not trainer.diverged, trainer.diverged
    return (trainer.steps - steps0) / dt


def time_engine_steps_only(trainer: Trainer, epochs: int) -> float:
    """Steps per second of ``train_batch`` alone, on the same kind of shuffled batches."""
    n, bs = len(trainer.x_train), trainer.batch_size
    rng = np.random.default_rng(SEED + 2)
    steps, t0 = 0, time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n)
        x, t = trainer.x_train[order], trainer.t_train[order]
        for start in range(0, n, bs):
            trainer.train_batch(x[start : start + bs], t[start : start + bs])
            steps += 1
    return steps / (time.perf_counter() - t0)


def time_plain(plain: PlainNet, epochs: int) -> float:
    steps, t0 = 0, time.perf_counter()
    for _ in range(epochs):
        steps += plain.train_epoch()
    return steps / (time.perf_counter() - t0)


def bench(name, sizes, n_points, batch, dtype, epochs, repeats):
    trainer = make_trainer(sizes, n_points, batch, dtype)
    plain = make_plain(trainer)
    spare = make_trainer(sizes, n_points, batch, dtype)  # for the steps-only column
    best = {"engine": 0.0, "steps": 0.0, "plain": 0.0}
    # Warm up (caches, BLAS threads, allocator), then interleave the three so that
    # background load hits them alike; keep the best of the repeats.
    time_engine(trainer, 1), time_plain(plain, 1), time_engine_steps_only(spare, 1)
    for _ in range(repeats):
        best["plain"] = max(best["plain"], time_plain(plain, epochs))
        best["engine"] = max(best["engine"], time_engine(trainer, epochs))
        best["steps"] = max(best["steps"], time_engine_steps_only(spare, epochs))
    return name, np.dtype(dtype).name, trainer.n_batches, best


def blas_info() -> str:
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # older NumPy
        blas = "?"
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ}
    return f"NumPy {np.__version__}, BLAS {blas}, env {env or '{}'}, {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    args = parser.parse_args()
    repeats = 3 if args.quick else 15

    print(blas_info())
    for case in ((2, 8, 8, 1), 500, 10), ((2, 128, 128, 1), 5000, 256):
        diff = check_same_step(*case)
        assert diff < 1e-9, f"engine and plain loop disagree by {diff:g}"
    print("engine and plain loop give the same weights after 2 epochs (float64, |ΔW| < 1e-9)\n")

    rows = [
        bench("small 2-8-8-1, batch 10", (2, 8, 8, 1), 500, 10, np.float64, 60, repeats),
        bench("wide 2-128-128-1, batch 256", (2, 128, 128, 1), 5000, 256, np.float64, 8, repeats),
        bench("wide 2-128-128-1, batch 256", (2, 128, 128, 1), 5000, 256, np.float32, 8, repeats),
    ]
    header = (
        f"{'case':29} {'dtype':8} {'steps/ep':>8} {'plain':>8} {'engine':>8} {'ratio':>6}"
        f"   {'steps only':>10} {'ratio':>6}   {'eval share':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, dtype, n_batches, best in rows:
        print(
            f"{name:29} {dtype:8} {n_batches:8d} {best['plain']:8.0f} {best['engine']:8.0f} "
            f"{best['engine'] / best['plain']:5.2f}×   {best['steps']:10.0f} {best['steps'] / best['plain']:5.2f}×"
            f"   {1 - best['engine'] / best['steps']:10.0%}"
        )
    plain64, wide32 = rows[1][3]["plain"], rows[2][3]
    print(
        "\nsteps/s, best of repeats; ratio = engine / plain loop in the same dtype (> 1: engine faster).\n"
        "engine = Trainer.step_epoch(), with its per-epoch evaluation; steps only = Trainer.train_batch();\n"
        "eval share = the part of the engine's epoch not spent in train_batch (evaluation, batching).\n"
        f"wide float32 against the plain loop in float64: engine {wide32['engine'] / plain64:.2f}×, "
        f"steps only {wide32['steps'] / plain64:.2f}×"
    )


if __name__ == "__main__":
    main()
