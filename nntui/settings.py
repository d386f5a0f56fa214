"""Every option of nntui in one table: its default, how to parse it, and its help text.

The command line, the ``--config`` TOML file, presets, the model file's saved settings and the
TUI's settings form all go through this table, so an option is checked the same way
wherever it comes from.  Later layers override earlier ones:
    defaults < --preset < --lesson < --load file's settings < --config file < command-line flags
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable

from nntui.datasets import FEATURES, DataError
from nntui.datasets.features import check_features
from nntui.engine.activations import HIDDEN_ACTIVATIONS
from nntui.engine.losses import LOSSES, OUTPUTS
from nntui.engine.network import INITS
from nntui.engine.optimizers import OPTIMIZERS
from nntui.engine.regularization import REGULARIZERS
from nntui.engine.schedules import SCHEDULES
from nntui.lessons import LESSON_BY_NAME

FEATURE_NAMES = tuple(FEATURES)
DEFAULT_SPEED = 20  # the TUI's pace: one epoch a frame (20 frames/s); the circle's boundary forms over about 3 s
MAX_SPEED = 100_000  # epochs per second: above it, --speed full says what is meant
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


class SettingsError(ValueError):
    """An option has a bad value; str(e) is one line for the user."""


# ------------------------------------------------------------------ parsers
def _int(lo: int | None = None, hi: int | None = None) -> Callable[[Any], int]:
    def parse(v: Any) -> int:
        try:
            if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
                raise ValueError
            n = int(str(v).strip()) if not isinstance(v, (int, float)) else int(v)
        except (TypeError, ValueError):
            raise SettingsError(f"expected a whole number, got '{v}'") from None
        if lo is not None and n < lo:
            raise SettingsError(f"must be at least {lo}, got {n}")
        if hi is not None and n > hi:
            raise SettingsError(f"must be at most {hi}, got {n}")
        return n

    return parse


def _float(lo: float | None = None, hi: float | None = None, open_lo: bool = False, open_hi: bool = False):
    def parse(v: Any) -> float:
        try:
            if isinstance(v, bool):
                raise ValueError
            x = float(str(v).strip()) if not isinstance(v, (int, float)) else float(v)
        except (TypeError, ValueError):
            raise SettingsError(f"expected a number, got '{v}'") from None
        if not math.isfinite(x):
            raise SettingsError(f"expected a finite number, got '{v}'")
        if lo is not None and (x < lo or (open_lo and x == lo)):
            raise SettingsError(f"must be {'greater than' if open_lo else 'at least'} {lo:g}, got {x:g}")
        if hi is not None and (x > hi or (open_hi and x == hi)):
            raise SettingsError(f"must be {'less than' if open_hi else 'at most'} {hi:g}, got {x:g}")
        return x

    return parse


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        s = str(v).strip().lower().replace("-", "_") if isinstance(v, str) else v
        if s not in choices:
            raise SettingsError(f"'{v}' is not one of {', '.join(choices)}")
        return s

    return parse


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"expected true or false, got '{v}'")


def _str(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise SettingsError(f"expected a non-empty text, got '{v}'")
    return v.strip()


def _optional_str(v: Any) -> str | None:
    return None if v is None or v == "" else _str(v)


def parse_layers(v: Any) -> tuple[int, ...]:
    """'8,8' -> (8, 8); '' -> () (no hidden layer); a list of ints is accepted too."""
    items = v if isinstance(v, (list, tuple)) else [s for s in str(v).replace(" ", "").split(",")]
    if items in ([""], []):
        return ()
    sizes = []
    for item in items:
        try:
            if isinstance(item, bool) or (isinstance(item, float) and not item.is_integer()):
                raise ValueError
            n = int(item)
        except (TypeError, ValueError):
            raise SettingsError(f"'{v}' is not a layer spec: use neuron counts separated by commas, like 8,8") from None
        if n < 1 or n > 4096:
            raise SettingsError(f"'{v}': each hidden layer needs 1 to 4096 neurons")
        sizes.append(n)
    return tuple(sizes)


def parse_features(v: Any) -> tuple[str, ...]:
    """'x1,x2,x1x2' -> ('x1', 'x2', 'x1x2')."""
    items = v if isinstance(v, (list, tuple)) else str(v).replace(" ", "").split(",")
    try:
        return check_features([str(s) for s in items if str(s)])
    except DataError as e:
        raise SettingsError(str(e)) from None


def parse_speed(v: Any) -> float | None:
    """The TUI's pace: epochs per second (a number above 0), or 'full' (None: as fast as it trains)."""
    if v is None or (isinstance(v, str) and v.strip().lower() == "full"):
        return None
    try:
        if isinstance(v, bool):
            raise ValueError
        x = float(str(v).strip()) if not isinstance(v, (int, float)) else float(v)
    except (TypeError, ValueError):
        raise SettingsError(f"expected epochs per second (like 20) or 'full', got '{v}'") from None
    if not (math.isfinite(x) and 0 < x <= MAX_SPEED):
        raise SettingsError(f"expected epochs per second above 0 and at most {MAX_SPEED:,} (or 'full'), got '{v}'")
    return x


def format_speed(speed: float | None) -> str:
    """'20 ep/s', or 'full speed' for None."""
    return "full speed" if speed is None else f"{speed:g} ep/s"


def _optional_int(lo: int) -> Callable[[Any], int | None]:
    check = _int(lo)
    return lambda v: None if v is None or v == "" else check(v)


def _optional_float(lo: float) -> Callable[[Any], float | None]:
    check = _float(lo)
    return lambda v: None if v is None or v == "" else check(v)


# ------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Option:
    name: str  # a field of Settings; the flag is --name-with-dashes
    parse: Callable[[Any], Any]
    help: str
    metavar: str | None = None
    flag_only: bool = False  # not saved in a model file (paths, modes)


OPTIONS: tuple[Option, ...] = (
    Option("dataset", _str, "circle, xor, gauss, spiral, moons, blobs, plane, multigauss, digits, or a FILE.csv / FILE.npz", "NAME|FILE"),
    Option("test_data", _optional_str, "a separate test-set file (same format); then the data is not split", "FILE", True),
    Option("samples", _int(2, 1_000_000), "number of points generated for 2-D datasets (train + test)", "N"),
    Option("noise", _float(0.0, 1.0), "label noise of 2-D datasets, 0 to 1 (Playground's 0-50 is 0-0.5)", "X"),
    Option("train_fraction", _float(0.0, 1.0, open_lo=True, open_hi=True), "fraction of the data used for training", "F"),
    Option("classes", _optional_int(2), "number of classes for spiral (2-6) and blobs (2-6)", "K"),
    Option("features", parse_features, "input features of 2-D data: x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2", "LIST"),
    Option("standardize", _bool, "standardize inputs to zero mean and unit variance (train-set statistics)"),
    Option("task", _choice("auto", "classification", "regression"), "auto, classification or regression", "KIND"),
    Option("layers", parse_layers, "hidden layer sizes, like 8,8 ('' for none)", "SIZES"),
    Option("activation", _choice(*HIDDEN_ACTIVATIONS), f"hidden activation: {', '.join(HIDDEN_ACTIVATIONS)}", "NAME"),
    Option("loss", _choice("auto", *LOSSES), "auto (two classes: squared error on a tanh output with labels ±1, as Playground; more classes: ce; regression: squared), "
           + ", ".join(f"{name} ({loss.default_output} output)" for name, loss in LOSSES.items()), "NAME"),
    Option("output", _choice("auto", *OUTPUTS), f"output activation: auto, {', '.join(OUTPUTS)}", "NAME"),
    Option("optimizer", _choice(*OPTIMIZERS), f"{', '.join(OPTIMIZERS)}", "NAME"),
    Option("lr", _float(0.0, 1e6, open_lo=True), "learning rate (greater than 0)", "RATE"),
    Option("momentum", _float(0.0, 1.0, open_hi=True),
           f"momentum for {' and '.join(n for n, o in OPTIMIZERS.items() if o.uses_momentum)}, 0 to <1", "MU"),
    Option("batch_size", _int(1, 10_000_000), "mini-batch size", "N"),
    Option("reg", _choice(*REGULARIZERS), "regularization: none, l1 or l2 (weights only)", "KIND"),
    Option("reg_rate", _float(0.0, 1e6), "regularization rate", "RATE"),
    Option("init", _choice(*INITS), "weight init: auto (xavier for tanh/sigmoid, he for relu family), xavier, he, uniform", "NAME"),
    Option("epochs", _optional_int(0), "stop after this many epochs (headless default 100; the TUI pauses there)", "N"),
    Option("schedule", _choice(*SCHEDULES), "learning-rate schedule: none, step (×gamma every --schedule-step epochs), exponential (×gamma every epoch), cosine (down to 0 over --schedule-period epochs)", "NAME"),
    Option("schedule_gamma", _float(0.0, 1.0, open_lo=True), "the factor of step and exponential schedules, 0 < G ≤ 1 (for exponential try 0.99)", "G"),
    Option("schedule_step", _int(1), "epochs between two steps of the step schedule", "N"),
    Option("schedule_period", _optional_int(1), "epochs of the cosine schedule (default: --epochs, else 100)", "N"),
    Option("target_loss", _optional_float(0.0), "stop once the train loss is at most this", "LOSS"),
    Option("patience", _optional_int(1), "early stop: stop when the test loss (train loss without a test set) has not improved for N epochs", "N"),
    Option("seed", _int(0, 2**32 - 1), "random seed for data, weights and shuffling", "N"),
    Option("dtype", _choice("float64", "float32"), "float64 or float32 (faster on wide networks)", "TYPE"),
    Option("shuffle", _bool, "reshuffle the training data every epoch (off: --no-shuffle)"),
    Option("load", _optional_str, "start from the weights in a model .npz (flags fill in the rest)", "FILE", True),
    Option("save", _optional_str, "save the trained model to this .npz at the end (the TUI: when --epochs "
           "pauses it and on quit; an existing file is replaced)", "FILE", True),
    Option("metrics", _optional_str, "write every epoch's figures to FILE.csv or FILE.jsonl as training goes "
           "(an existing file is replaced)", "FILE", True),
    Option("preset", _optional_str, "playground: TensorFlow Playground's semantics", "NAME", True),
    Option("lesson", _optional_str, f"a classroom lesson: {', '.join(LESSON_BY_NAME)} ('list' says what each sets; with --headless only its settings apply)", "NAME", True),
    Option("paused", _bool, "start the TUI paused", None, True),
    Option("speed", parse_speed, "the TUI's pace in epochs per second, or 'full' (as fast as it trains); "
           "< and > change it while it runs; --headless always runs at full speed", "N|full", True),
    Option("history_mb", _int(1, 1_000_000), "memory for the rewind history, in MB (thinned as it fills)", "N", True),
)
OPTION_BY_NAME = {o.name: o for o in OPTIONS}

PRESETS: dict[str, dict[str, Any]] = {
    # TensorFlow Playground: tanh output with labels ±1, squared error ½(o−t)², uniform(−0.5, 0.5)
    # weights and 0.1 biases, data shuffled once (our split) and never per epoch, the batch's
    # gradients summed and divided by its size (our mean loss), and Playground's defaults.
    "playground": dict(
        dataset="circle", layers=(4, 2), activation="tanh", lr=0.03, batch_size=10, samples=500,
        # loss and output "auto": squared error on a tanh output for two classes, on a linear
        # output for regression, as Playground does (playground.ts)
        train_fraction=0.5, noise=0.0, loss="auto", output="auto", init="uniform", shuffle=False,
        optimizer="sgd", features=("x1", "x2"),
        speed=60,  # Playground draws one epoch per frame, at about 60 frames a second
    ),
}


@dataclass(frozen=True)
class Settings:
    """All of nntui's options, checked."""

    dataset: str = "circle"
    test_data: str | None = None
    samples: int = 500
    noise: float = 0.0
    train_fraction: float = 0.5
    classes: int | None = None
    features: tuple[str, ...] = ("x1", "x2")
    standardize: bool = False
    task: str = "auto"
    layers: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    loss: str = "auto"
    output: str = "auto"
    optimizer: str = "sgd"
    lr: float = 0.03
    momentum: float = 0.9
    batch_size: int = 10
    reg: str = "none"
    reg_rate: float = 0.001
    init: str = "auto"
    epochs: int | None = None
    schedule: str = "none"
    schedule_gamma: float = 0.5
    schedule_step: int = 100
    schedule_period: int | None = None
    target_loss: float | None = None
    patience: int | None = None
    seed: int = 0
    dtype: str = "float64"
    shuffle: bool = True
    load: str | None = None
    save: str | None = None
    metrics: str | None = None
    preset: str | None = None
    lesson: str | None = None
    paused: bool = False
    speed: float | None = DEFAULT_SPEED
    history_mb: int = 256

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some options changed (each checked)."""
        return dataclasses.replace(self, **{k: check_option(k, v) for k, v in changes.items()})

    def model_settings(self) -> dict[str, Any]:
        """The options saved in a model file (no paths or modes), JSON-ready."""
        out = {}
        for o in OPTIONS:
            if not o.flag_only:
                v = getattr(self, o.name)
                out[o.name] = list(v) if isinstance(v, tuple) else v
        return out


assert [f.name for f in dataclasses.fields(Settings)] == [o.name for o in OPTIONS]


def check_option(name: str, value: Any) -> Any:
    """Parse one option's value; SettingsError names the option."""
    option = OPTION_BY_NAME.get(name.replace("-", "_"))
    if option is None:
        raise SettingsError(f"unknown option '{name}'")
    try:
        return option.parse(value)
    except SettingsError as e:
        raise SettingsError(f"--{option.name.replace('_', '-')}: {e}") from None


def merge(*layers: dict[str, Any]) -> Settings:
    """Settings from layers of {option: value}, later layers winning; every value checked.

    A preset, then a lesson, named in any layer is applied first, just above the defaults."""
    values: dict[str, Any] = {}
    for layer in layers:
        for name, value in layer.items():
            values[name.replace("-", "_")] = check_option(name, value)
    below: dict[str, Any] = {}  # the preset's values, then the lesson's over them
    preset = values.get("preset")
    if preset is not None:
        if preset not in PRESETS:
            raise SettingsError(f"--preset: unknown preset '{preset}' (choose from {', '.join(PRESETS)})")
        below.update(PRESETS[preset])
    lesson = values.get("lesson")
    if lesson is not None:
        if lesson not in LESSON_BY_NAME:
            raise SettingsError(f"--lesson: unknown lesson '{lesson}' (choose from {', '.join(LESSON_BY_NAME)})")
        below.update((k, check_option(k, v)) for k, v in LESSON_BY_NAME[lesson].settings.items())
    values = {**below, **values}
    return Settings(**values)


def next_learning_rate(lr: float, direction: int) -> float:
    """The next rate up (+1) or down (-1) along Playground's ladder 0.00001 … 10."""
    if direction > 0:
        return next((r for r in LEARNING_RATES if r > lr * (1 + 1e-9)), LEARNING_RATES[-1])
    return next((r for r in reversed(LEARNING_RATES) if r < lr * (1 - 1e-9)), LEARNING_RATES[0])


# ------------------------------------------------------------------ compared runs
MAX_RUNS = 4  # runs trained side by side
# What a fork may change: how the network trains, never its data, its shape or its initial weights
# (a fork starts from the same weights, on the same data).
FORKABLE = frozenset({
    "optimizer", "lr", "momentum", "batch_size", "reg", "reg_rate", "activation", "shuffle",
    "schedule", "schedule_gamma", "schedule_step", "schedule_period",
})
_NOT_FORKABLE = (
    ({"dataset", "test_data", "samples", "noise", "train_fraction", "classes", "features", "standardize", "task"},
     "it changes the data, and compared runs train on the same data"),
    ({"seed", "init", "layers", "loss", "output", "dtype"},
     "it changes the network or its initial weights, and compared runs start from the same weights"),
    ({"epochs", "target_loss", "patience"}, "when to stop is the same for every compared run"),
)


def fork_refusal(name: str) -> str | None:
    """Why option ``name`` may not differ between compared runs (one line), or None if it may."""
    name = name.replace("-", "_")
    if name in FORKABLE:
        return None
    flag = "--" + name.replace("_", "-")
    if name not in OPTION_BY_NAME:
        return f"unknown option '{name.replace('_', '-')}'"
    reason = next((why for names, why in _NOT_FORKABLE if name in names), "it is not a training setting")
    return f"{flag} cannot differ between compared runs: {reason}"


def fork_settings(settings: Settings, changes: dict[str, Any]) -> Settings:
    """The settings of a fork: these options changed (each checked); SettingsError for one a fork may not change."""
    for name in changes:
        refusal = fork_refusal(name)
        if refusal is not None:
            raise SettingsError(refusal)
    return settings.replace(**{k.replace("-", "_"): v for k, v in changes.items()})


def parse_compare(text: str) -> tuple[str, list[tuple[str, Any]]]:
    """``--compare NAME=V1,V2,…``: the option's name and, per run, its label ('optimizer=adam') and value
    (parsed by the option's own parser); SettingsError in one line."""
    name, eq, values = str(text).partition("=")
    name = name.strip().lstrip("-").replace("_", "-")
    if not eq or not name:
        raise SettingsError(f"--compare: expected NAME=V1,V2,… (like optimizer=sgd,adam), got '{text}'")
    refusal = fork_refusal(name)
    if refusal is not None:
        raise SettingsError(f"--compare: {refusal}")
    runs, seen = [], {}
    for raw in (v.strip() for v in values.split(",")):
        try:
            value = check_option(name, raw)
        except SettingsError as e:
            raise SettingsError(f"--compare: {e}") from None
        if value in seen:
            raise SettingsError(f"--compare: {name}={raw} is the same run as {name}={seen[value]}")
        seen[value] = raw
        runs.append((f"{name}={raw}", value))
    if not 2 <= len(runs) <= MAX_RUNS:
        raise SettingsError(f"--compare: give 2 to {MAX_RUNS} values of {name}, got {len(runs)}")
    return name.replace("-", "_"), runs
