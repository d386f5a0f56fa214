"""Engine speed against a plain NumPy training loop (run by hand, not part of pytest).

    .venv/bin/python benchmarks/run.py --only engine [--quick]     (or this file on its own)

For each workload the engine and the plain loop of ``benchmarks/reference.py`` (written as a
student would) train the same network from the same weights on
the same data with the same shuffles; a check first makes sure both end with the same
weights after two epochs (float64).  The loops are timed in the same run, interleaved, best
of several repeats; the figure is mini-batch steps per second and the ratio to the plain
loop in the same dtype (> 1: faster than the plain loop).

Two engine columns, each against the plain loop doing the same work:
    train_batch  ``Trainer.train_batch`` alone on the same kind of shuffled batches, against the
                 plain loop's steps;
    step_epoch   ``Trainer.step_epoch()``: the steps *plus* the per-epoch evaluation (losses and
                 accuracies on train and test, full-batch gradient norms), what nntui runs,
                 against the plain loop's steps plus ``PlainNet.evaluate`` after each epoch.
If PyTorch or scikit-learn can be imported, a column each (see ``frameworks.py``).

Workloads (2-D data: 500 or 5,000 points split 50/50, as nntui's default ``train_fraction``):
    2-8-8-1 tanh, sigmoid + bce, batch 10, 500 points            (25 steps per epoch)
    the same, full batch (250)                                   (1 step per epoch)
    64-64-32-10 relu, softmax + ce, batch 32, digits (898 train)  (29 steps per epoch)
    2-128-128-1 tanh, sigmoid + bce, batch 256, 5,000 points     (10 steps per epoch)
each in float64 and float32; SGD at learning rate 0.03.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Table, ratio, run_alone  # noqa: E402  (common also puts the checkout on sys.path)
from frameworks import LOOPS, available  # noqa: E402
from reference import PlainNet  # noqa: E402

from nntui.datasets import make_dataset  # noqa: E402
from nntui.engine import LOSSES, Network, Trainer, get_activation, make_optimizer  # noqa: E402

SEED = 0
LR = 0.03


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]
    batch: int
    hidden: str = "tanh"
    output: str = "sigmoid"  # sigmoid + bce, or softmax + ce
    points: int | None = 500  # 2-D points generated; None: the digits dataset


WORKLOADS = (
    Workload("2-8-8-1 tanh, batch 10, 500 points", (2, 8, 8, 1), 10),
    Workload("2-8-8-1 tanh, full batch, 500 points", (2, 8, 8, 1), 250),
    Workload("64-64-32-10 relu, batch 32, digits", (64, 64, 32, 10), 32, "relu", "softmax", None),
    Workload("2-128-128-1 tanh, batch 256, 5,000 points", (2, 128, 128, 1), 256, points=5000),
)
DTYPES = (np.float64, np.float32)


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n 2-D points in [-1, 1]², labelled by an XOR-like rule with a curved border."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = ((x[:, 0] * x[:, 1] + 0.2 * np.sin(3.0 * x[:, 0])) > 0).astype(np.int64)
    return x, y


def split_data(w: Workload) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test) of the workload."""
    if w.points is None:
        d = make_dataset("digits")
        return d.x_train, d.y_train, d.x_test, d.y_test
    x, y = make_data(w.points, SEED)
    n_train = w.points // 2
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def make_trainer(w: Workload, dtype) -> Trainer:
    x_train, y_train, x_test, y_test = split_data(w)
    net = Network(w.sizes, get_activation(w.hidden), get_activation(w.output), dtype)
    net.initialize(np.random.default_rng(SEED), "auto")  # Xavier for tanh, He for relu
    return Trainer(
        net, LOSSES["bce" if w.output == "sigmoid" else "ce"], make_optimizer("sgd", len(net.params), dtype),
        x_train, y_train, x_test, y_test,
        lr=LR, batch_size=w.batch, shuffle=True, rng=np.random.default_rng(SEED + 1),
    )


def make_loop(kind, trainer: Trainer, w: Workload):
    """A comparison loop (PlainNet, or a framework's) from the trainer's weights, data and shuffling seed."""
    net = trainer.net
    return kind(
        [x.copy() for x in net.W], [x.copy() for x in net.b],
        trainer.x_train, trainer.t_train, LR, trainer.batch_size, np.random.default_rng(SEED + 1),
        hidden=w.hidden, output=w.output,
    )


def largest_difference(w: Workload, kind=PlainNet) -> float:
    """Largest weight difference after 2 epochs of the engine and another loop (float64)."""
    trainer = make_trainer(w, np.float64)
    other = make_loop(kind, trainer, w)
    for _ in range(2):
        trainer.step_epoch()
        other.train_epoch()
    return max(float(np.max(np.abs(a - b))) for a, b in zip(trainer.net.W, other.W))


# ------------------------------------------------------------------ one timed block each
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


def time_loop(loop, epochs: int, evaluate_on: tuple | None = None) -> float:
    """Steps per second of a comparison loop's ``train_epoch`` (and its ``evaluate`` after each
    epoch, on the test set ``evaluate_on``, if given)."""
    steps, t0 = 0, time.perf_counter()
    for _ in range(epochs):
        steps += loop.train_epoch()
        if evaluate_on is not None:
            loop.evaluate(*evaluate_on)
    return steps / (time.perf_counter() - t0)


def metrics_difference(w: Workload) -> float:
    """Largest relative difference between the engine's per-epoch figures and the plain loop's, after 2 epochs."""
    trainer = make_trainer(w, np.float64)
    plain = make_loop(PlainNet, trainer, w)
    for _ in range(2):
        trainer.step_epoch()
        plain.train_epoch()
    mine, theirs = trainer.stats, plain.evaluate(trainer.x_test, trainer.t_test)
    pairs = [(mine.train_loss, theirs["train_loss"]), (mine.test_loss, theirs["test_loss"]),
             (mine.train_acc, theirs["train_acc"]), (mine.test_acc, theirs["test_acc"]),
             *zip(mine.grad_norms, theirs["grad_norms"])]
    return max(abs(a - b) / max(abs(b), 1e-12) for a, b in pairs)


def calibrate(timer, block_seconds: float) -> int:
    """Epochs per timed block so that one block lasts about ``block_seconds`` (after a warm-up)."""
    timer(2)  # warm-up: caches, BLAS threads, the allocator, the workspaces
    epochs, t0 = 1, time.perf_counter()
    while True:
        timer(epochs)
        dt = time.perf_counter() - t0
        if dt >= 0.02:
            return max(1, round(epochs * block_seconds / dt))
        epochs, t0 = epochs * 2, time.perf_counter()


def bench(w: Workload, dtype, frameworks: list[str], repeats: int, block_seconds: float) -> dict[str, float]:
    """Best steps/s of each loop on one workload; the loops take turns so that background load hits them alike."""
    trainer = make_trainer(w, dtype)
    spare = make_trainer(w, dtype)  # for the train_batch column, so both engine columns start alike
    timers = {
        "plain": lambda e, loop=make_loop(PlainNet, trainer, w): time_loop(loop, e),
        "plain+eval": lambda e, loop=make_loop(PlainNet, trainer, w): time_loop(
            loop, e, (trainer.x_test, trainer.t_test)),
        "engine": lambda e: time_engine(trainer, e),
        "steps": lambda e: time_engine_steps_only(spare, e),
    }
    for name in frameworks:
        timers[name] = lambda e, loop=make_loop(LOOPS[name], trainer, w): time_loop(loop, e)
    with np.errstate(all="ignore"):  # the plain loop's sigmoid overflows to 0 or 1 in float32, harmlessly
        epochs = {name: calibrate(timer, block_seconds) for name, timer in timers.items()}
        best = dict.fromkeys(timers, 0.0)
        for _ in range(repeats):
            for name, timer in timers.items():
                best[name] = max(best[name], timer(epochs[name]))
    best["steps/epoch"] = trainer.n_batches
    return best


# ------------------------------------------------------------------ the part
def usable_frameworks() -> tuple[dict[str, str], list[str]]:
    """The importable frameworks that train every workload without an error, and a note for each that does not."""
    usable, notes = {}, []
    for name, version in available().items():
        try:
            for w in WORKLOADS:
                for dtype in DTYPES:
                    make_loop(LOOPS[name], make_trainer(w, dtype), w).train_epoch()
        except Exception as error:  # an optional column must never stop the suite
            notes.append(f"{name} {version} is installed but failed ({error!r}): no {name} column.")
        else:
            usable[name] = version
    return usable, notes


def run(quick: bool = False) -> list[Table]:
    repeats, block = (3, 0.05) if quick else (7, 0.12)
    frameworks, framework_notes = usable_frameworks()
    diffs = {w.name: largest_difference(w) for w in WORKLOADS}
    if "torch" in frameworks:  # the same initial weights and shuffles: the same weights after 2 epochs
        diffs.update({f"{w.name} (torch)": largest_difference(w, LOOPS["torch"]) for w in WORKLOADS})

    metric_diffs = {w.name: metrics_difference(w) for w in WORKLOADS}

    headers = ["workload", "dtype", "steps/epoch", "plain steps/s", "train_batch steps/s", "ratio",
               "plain + eval steps/s", "step_epoch steps/s", "ratio", "÷ plain", "eval share"]
    for name in frameworks:
        headers += [f"{name} steps/s", "ratio"]
    table = Table("engine: mini-batch steps per second, ratio to the plain NumPy loop in the same dtype", headers)
    results = {}
    for w in WORKLOADS:
        for dtype in DTYPES:
            best = results[w.name, dtype] = bench(w, dtype, list(frameworks), repeats, block)
            row = [w.name, np.dtype(dtype).name, best["steps/epoch"], f"{best['plain']:,.0f}",
                   f"{best['steps']:,.0f}", ratio(best["steps"], best["plain"]),
                   f"{best['plain+eval']:,.0f}", f"{best['engine']:,.0f}", ratio(best["engine"], best["plain+eval"]),
                   ratio(best["engine"], best["plain"]), f"{1 - best['engine'] / best['steps']:.0%}"]
            for name in frameworks:
                row += [f"{best[name]:,.0f}", ratio(best[name], best["plain"])]
            table.add(*row)

    worst = max(diffs.values())
    table.notes += [
        f"steps/s, best of {repeats} interleaved blocks of about {block:g} s; ratio = that column / plain "
        "(> 1: faster than the plain loop).",
        "train_batch = Trainer.train_batch() alone, against the plain loop's steps (no metrics).",
        "step_epoch = Trainer.step_epoch(): the steps and the evaluation after each epoch (train and test loss "
        "and accuracy, full-batch gradient norms), against plain + eval: the plain loop's steps and the same "
        "figures computed as plainly (reference.py, PlainNet.evaluate) after each epoch; ÷ plain: step_epoch "
        "against the plain loop's steps alone; eval share = the part of step_epoch's time not spent in train_batch.",
        f"same figures: after 2 epochs the engine's losses, accuracies and gradient norms equal the plain "
        f"evaluation's to a relative {max(metric_diffs.values()):.1e} on every workload",
        ("same math: after 2 epochs (float64) the engine's weights equal the plain loop's"
         + (" and PyTorch's" if "torch" in frameworks else "") + f" to {worst:.1e} on every workload"
         if worst < 1e-9 else
         f"WARNING: the engine and a comparison loop differ by {worst:.1e} after 2 epochs: "
         f"{[k for k, v in diffs.items() if v >= 1e-9]}"),
        "float32 ÷ float64 (step_epoch): " + ", ".join(
            f"{w.name.split(',')[0]}{', full batch' if w.batch == 250 else ''} "
            f"{results[w.name, np.float32]['engine'] / results[w.name, np.float64]['engine']:.2f}×"
            for w in WORKLOADS
        ),
        "float32 engine ÷ the plain loop in float64 (train_batch / plain steps): " + ", ".join(
            f"{w.name.split(',')[0]}{', full batch' if w.batch == 250 else ''} "
            f"{results[w.name, np.float32]['steps'] / results[w.name, np.float64]['plain']:.2f}×"
            for w in WORKLOADS
        ),
    ]
    table.notes += framework_notes
    if "torch" in frameworks:
        table.notes.append(f"torch {frameworks['torch']}: same net, weights, shuffles, SGD; CPU, torch.set_num_threads(2).")
    elif not any(n.startswith("torch ") for n in framework_notes):
        table.notes.append("PyTorch is not installed: no torch column (optional, never a dependency).")
    if "sklearn" in frameworks:
        table.notes.append(f"sklearn {frameworks['sklearn']}: MLPClassifier(solver='sgd', momentum=0, alpha=0), "
                           "one partial_fit per epoch (its own init and shuffles; sums the batch losses).")
    elif not any(n.startswith("sklearn ") for n in framework_notes):
        table.notes.append("scikit-learn is not installed: no sklearn column (optional, never a dependency).")
    return [table]


if __name__ == "__main__":
    run_alone(__doc__, run, quick_help="fewer, shorter repeats (noisier)")
