"""From settings to a ready-to-train session: the dataset, the network and its trainer.

Shared by the headless command line and the TUI, so both build exactly the same run
from the same settings.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nntui.datasets import DataError, Dataset, make_dataset
from nntui.engine import (
    LOSSES, OPTIMIZERS, Checkpoint, ModelFileError, Network, Schedule, Trainer, get_activation, load_model, load_switched_off,
    make_optimizer, make_schedule,
)
from nntui.live.stop import StopRule
from nntui.settings import OPTION_BY_NAME, Settings, SettingsError, fork_settings, merge

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Every error the user can cause with options or files; each str() is one line.
USER_ERRORS = (SettingsError, DataError, ModelFileError)



class Weights(NamedTuple):
    """A loaded model's weights and biases, and the neurons it had switched off (layer, index)."""

    W: list[np.ndarray]
    b: list[np.ndarray]
    off: tuple[tuple[int, int], ...] = ()


@dataclass
class Session:
    """One training run: settings, data, and the trainer holding the network."""

    settings: Settings
    dataset: Dataset
    trainer: Trainer
    loss: str  # resolved loss name
    output: str  # resolved output activation

    @property
    def net(self) -> Network:
        return self.trainer.net


def read_config(path: str) -> dict[str, Any]:
    """The options in a TOML file: keys as the flag names (``batch-size``, ``no-shuffle``) or
    with ``_``; every error names the file."""
    p = Path(path)
    if not p.is_file():
        raise SettingsError(f"--config: {path}: no such file")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))  # a byte-order mark is fine
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SettingsError(f"--config: {path}: not valid TOML ({e})") from None
    options: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name in ("config", "headless", "json"):
            raise SettingsError(f"--config: {path}: '{key}' cannot be set in a config file")
        if name == "no_shuffle":  # the flag's own name: no-shuffle = true
            if not isinstance(value, bool):
                raise SettingsError(f"--config: {path}: {key} takes true or false")
            name, value = "shuffle", not value
        if name in spelled:
            raise SettingsError(f"--config: {path}: both '{spelled[name]}' and '{key}' set {name}: keep one")
        spelled[name], options[name] = key, value
    try:
        merge(options)
    except SettingsError as e:
        raise SettingsError(f"--config: {path}: {e}") from None
    return options


def resolve_settings(flags: dict[str, Any], config: str | None = None) -> tuple[Settings, Weights | None]:
    """Merge defaults < preset < loaded model's settings < config file < flags.

    Returns the settings and, with ``load``, the model's weights.
    """
    config_layer = read_config(config) if config else {}
    first = merge(config_layer, flags)
    if not first.load:
        return first, None
    saved, weights = read_model(first.load)
    try:
        return merge(saved, config_layer, flags), weights
    except SettingsError as e:
        raise ModelFileError(f"{first.load}: saved settings: {e}") from None


def read_model(path: str) -> tuple[dict[str, Any], Weights]:
    """A model file's saved settings (only known options; hidden layer sizes read off the
    weights when not saved) and its weights."""
    W, b, saved = load_model(path)
    off = load_switched_off(path, W, saved)
    # Only the model's own options: never a path or mode (--save, --metrics, …) from a file.
    saved = {k: v for k, v in saved.items() if k in OPTION_BY_NAME and not OPTION_BY_NAME[k].flag_only}
    saved.setdefault("layers", [w.shape[1] for w in W[:-1]])
    saved["load"] = path
    return saved, Weights(W, b, off)


def resolve_head(settings: Settings, dataset: Dataset) -> tuple[str, str, int]:
    """The loss, output activation and number of outputs for this data; checks they fit."""
    task, k = dataset.task, dataset.n_classes
    loss, output = settings.loss, settings.output
    if loss == "auto" and task == "classification" and k == 2:
        # TensorFlow Playground's choice: labels ±1 on a tanh output, squared error.
        loss, output = "squared", ("tanh" if output == "auto" else output)
    elif loss == "auto":
        loss = "squared" if task == "regression" else "ce"
    head = LOSSES[loss]
    if task == "regression" and not head.regression:
        fits = " or ".join(name for name, other in LOSSES.items() if other.regression)
        raise SettingsError(f"--loss {loss} is for classification; this data is regression (use {fits})")
    if task == "classification" and head.n_outputs(k) is None:
        fits = " or ".join(name for name, other in LOSSES.items() if other.n_outputs(k) is not None)
        raise SettingsError(f"--loss {loss} does not take {k} classes (use {fits})")
    if output == "auto":
        output = head.default_output
    if output not in head.outputs:
        raise SettingsError(f"--output {output} does not go with --loss {loss} (use {' or '.join(head.outputs)})")
    if task == "regression":
        n_out = 1 if dataset.y_train.ndim == 1 else dataset.y_train.shape[1]
    else:
        n_out = head.n_outputs(k)
    return loss, output, n_out


def load_data(settings: Settings) -> Dataset:
    """The dataset the settings describe."""
    return make_dataset(
        settings.dataset,
        samples=settings.samples,
        noise=settings.noise,
        train_fraction=settings.train_fraction,
        features=settings.features,
        standardize=settings.standardize,
        seed=settings.seed,
        classes=settings.classes,
        task=settings.task,
        test_path=settings.test_data,
    )


def schedule_for(settings: Settings) -> Schedule | None:
    """The learning-rate schedule the settings ask for (None for --schedule none)."""
    if settings.schedule == "none":
        return None
    # The cosine period: --schedule-period, else --epochs, else 100.
    period = settings.schedule_period or settings.epochs or 100
    return make_schedule(settings.schedule, settings.schedule_gamma, settings.schedule_step, period)


def stop_rule(settings: Settings, default_epochs: int | None = None) -> StopRule:
    """The stop conditions the settings ask for; without --epochs, stop after default_epochs (None: never)."""
    epochs = default_epochs if settings.epochs is None else settings.epochs
    return StopRule(epochs, settings.target_loss, settings.patience)


def memory_needed(settings: Settings, data: Dataset, sizes: tuple[int, ...], dtype) -> list[tuple[int, str, str]]:
    """(bytes, what for, the setting that sets it) of what a run will allocate, estimated before anything is."""
    item = np.dtype(dtype).itemsize
    n_eval = data.n_train + data.n_test  # the evaluation's forward and backward pass over every sample
    n_params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    copies = 2 + OPTIMIZERS[settings.optimizer].memory  # params, grad, the optimizer's memory
    return [
        (2 * n_eval * (sizes[0] + sizes[-1]) * item, "the data, in the network's precision", "--samples"),
        (4 * max(n_eval, settings.batch_size) * sum(sizes[1:]) * item, "the evaluation's arrays", "--samples × --layers"),
        (copies * n_params * item, "the weights, gradients and optimizer", "--layers"),
        (min(settings.history_mb * 2**20, 2000 * copies * n_params * item), "the rewind history", "--history-mb"),
    ]


def available_memory() -> int | None:
    """Bytes of memory the machine can still give (MemAvailable), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_memory(settings: Settings, data: Dataset, sizes: tuple[int, ...], dtype) -> None:
    """SettingsError, naming the setting to lower, if the run would need more memory than there is."""
    needed = memory_needed(settings, data, sizes, dtype)
    available = available_memory()
    total = sum(n for n, _, _ in needed)
    if available is not None and total > available:
        _, what, setting = max(needed)
        raise SettingsError(
            f"this run needs about {total / 2**30:.1f} GB of memory and {available / 2**30:.1f} GB are free; "
            f"most of it for {what}: lower {setting}"
        )


def check_range(data: Dataset, dtype) -> None:
    """DataError if the inputs or targets do not fit the network's precision (float32's ±3.4e38)."""
    limit = float(np.finfo(dtype).max)
    for what, arrays in (("inputs", (data.x_train, data.x_test)), ("targets", (data.y_train, data.y_test))):
        largest = max((float(np.abs(a).max()) for a in arrays if a is not None and a.size and a.dtype.kind == "f"),
                      default=0.0)
        if largest > limit:
            raise DataError(f"{data.name}: {what} up to {largest:.3g} do not fit --dtype {np.dtype(dtype).name} "
                            f"(at most {limit:.3g}): use --dtype float64 or rescale the data")


def make_trainer(settings: Settings, net: Network, loss: str, x_train: np.ndarray, y_train: np.ndarray,
                 x_test: np.ndarray | None, y_test: np.ndarray | None, task: str) -> Trainer:
    """A trainer of ``net`` on these samples, training as the settings say (shuffled from the seed's generator)."""
    return Trainer(
        net,
        LOSSES[loss],
        make_optimizer(settings.optimizer, len(net.params), net.dtype, settings.momentum),
        x_train,
        y_train,
        x_test,
        y_test,
        task=task,
        lr=settings.lr,
        batch_size=settings.batch_size,
        shuffle=settings.shuffle,
        reg=settings.reg,
        reg_rate=settings.reg_rate,
        rng=np.random.default_rng([settings.seed, 2]),
        schedule=schedule_for(settings),
    )


def fork_trainer(source: Trainer, start: Checkpoint, settings: Settings) -> Trainer:
    """A new run beside ``source``: on the same samples, from the weights, shuffling state and
    switched-off neurons of ``start`` (the source's epoch 0: a fork starts from the same initial
    weights, not from where the source has got to), training as ``settings`` say.

    The settings may differ from the source's only in how it trains (``nntui.settings.FORKABLE``);
    with the same settings the fork trains bit for bit as the source did."""
    net = Network(source.net.sizes, get_activation(settings.activation), source.net.output, source.net.dtype)
    trainer = make_trainer(settings, net, source.loss.name, source.x_train, source.y_train, source.x_test,
                           source.y_test, source.task)
    net.params[...] = start.params
    trainer.rng.bit_generator.state = start.rng
    for layer, index in start.off:
        trainer.switch_neuron(layer, index, on=False)
    trainer.stats = trainer.evaluate()  # epoch 0's figures, of these weights
    return trainer


def fork_session(session: Session, changes: dict[str, Any]) -> Session:
    """A run beside this one (still at its start), on the same data from the same initial weights,
    with these options changed: SettingsError for an option a fork may not change."""
    settings = fork_settings(session.settings, changes)
    trainer = fork_trainer(session.trainer, session.trainer.checkpoint(), settings)
    return Session(settings, session.dataset, trainer, session.loss, session.output)


def build_session(settings: Settings, weights: Weights | None = None, dataset: Dataset | None = None) -> Session:
    """Make the data (unless given), the network (fresh from the seed, or the given weights) and the trainer."""
    data = dataset if dataset is not None else load_data(settings)
    loss, output, n_out = resolve_head(settings, data)
    sizes = (data.n_inputs, *settings.layers, n_out)
    dtype = np.float32 if settings.dtype == "float32" else np.float64
    check_memory(settings, data, sizes, dtype)
    check_range(data, dtype)
    net = Network(sizes, get_activation(settings.activation), get_activation(output), dtype)
    net.initialize(np.random.default_rng([settings.seed, 1]), settings.init)
    if weights is not None:
        W, b = weights.W, weights.b
        if W[0].shape[0] != data.n_inputs:
            raise ModelFileError(f"{settings.load}: the model takes {W[0].shape[0]} inputs but the data has {data.n_inputs}")
        if W[-1].shape[1] != n_out:
            raise ModelFileError(f"{settings.load}: the model has {W[-1].shape[1]} outputs but this task needs {n_out}")
        try:
            net.set_weights(W, b)
        except ValueError as e:
            raise ModelFileError(f"{settings.load}: {e}") from None
    trainer = make_trainer(settings, net, loss, data.x_train, data.y_train, data.x_test, data.y_test, data.task)
    for layer, index in weights.off if weights is not None else ():
        trainer.switch_neuron(layer, index, on=False)
    return Session(settings, data, trainer, loss, output)
