"""A trained model written out as a standalone Python script: plain NumPy, or a PyTorch ``nn.Sequential``.

The road out of nntui: the script holds the weights (as list literals whose floats read back
exactly), the input features and standardisation the model was trained with, the activations,
and the decoding to class names or values.  It does not import nntui.

The data a model file was trained on is rebuilt from its settings (as ``nntui --load`` does),
for what the file does not hold: the standardisation's mean and standard deviation (the
training set's), the class names and the names of the inputs.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np

from nntui import __version__
from nntui.datasets import FEATURES, Dataset
from nntui.engine import ACTIVATIONS
from nntui.engine.activations import LEAK
from nntui.session import Session, build_session, resolve_settings
from nntui.settings import Settings

TARGETS = ("numpy", "pytorch")

# Each input feature computed from raw points p (n, 2); {m} is the module: np or torch.
FEATURE_CODE: dict[str, str] = {
    "x1": "p[:, 0]",
    "x2": "p[:, 1]",
    "x1sq": "p[:, 0] ** 2",
    "x2sq": "p[:, 1] ** 2",
    "x1x2": "p[:, 0] * p[:, 1]",
    "sinx1": "{m}.sin(p[:, 0])",
    "sinx2": "{m}.sin(p[:, 1])",
}
assert set(FEATURE_CODE) == set(FEATURES), "every feature needs its code here"

# The body of each activation as a NumPy function of z: the engine's formulas (nntui.engine.activations).
NUMPY_ACTIVATIONS: dict[str, str] = {
    "tanh": "return np.tanh(z)",
    "sigmoid": "return 0.5 * (np.tanh(0.5 * z) + 1.0)  # = 1 / (1 + e^-z), without overflow",
    "relu": "return np.maximum(z, 0.0)",
    "leaky_relu": f"return np.maximum(z, {LEAK!r} * z)",
    "elu": "return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))",
    "softplus": "return np.logaddexp(0.0, z)  # = log(1 + e^z), without overflow",
    "linear": "return z",
    "softmax": "e = np.exp(z - z.max(axis=1, keepdims=True))  # shifted by the row's max: no overflow\n"
               "return e / e.sum(axis=1, keepdims=True)",
}
# The same as PyTorch modules (None: nothing after the layer).
TORCH_ACTIVATIONS: dict[str, str | None] = {
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "relu": "nn.ReLU()",
    "leaky_relu": f"nn.LeakyReLU({LEAK!r})",
    "elu": "nn.ELU()",
    "softplus": "nn.Softplus()",
    "linear": None,
    "softmax": "nn.Softmax(dim=1)",
}
assert set(NUMPY_ACTIVATIONS) == set(TORCH_ACTIVATIONS) == set(ACTIVATIONS), "every activation needs its code here"

WRAP = 100  # longest line of numbers in the script


class ExportError(ValueError):
    """A model cannot be exported as asked; str(e) is one line for the user."""


@dataclass(frozen=True)
class ExportedModel:
    """What a script needs: the weights (W[l] of shape (inputs, outputs)), the activations, the
    data the model was trained on (features, standardisation, class names) and where it came from."""

    W: list[np.ndarray]
    b: list[np.ndarray]
    hidden: str
    output: str
    loss: str
    data: Dataset
    settings: Settings
    source: str  # which network: e.g. "saved in model.npz", "at epoch 40 of a run in nntui"


def from_session(session: Session, W: Sequence[np.ndarray], b: Sequence[np.ndarray], source: str) -> ExportedModel:
    """The model with these weights (switched-off neurons' weights already zero) in this session."""
    return ExportedModel([np.asarray(w) for w in W], [np.asarray(v) for v in b], session.settings.activation,
                         session.output, session.loss, session.dataset, session.settings, source)


def read_model_file(path: str) -> ExportedModel:
    """A model file, with its data rebuilt from its settings as ``nntui --load`` does; the
    errors of ``nntui.session.USER_ERRORS`` for a bad file or data that cannot be rebuilt."""
    settings, weights = resolve_settings({"load": path})
    session = build_session(settings, weights)  # zeroes the weights out of neurons switched off
    return from_session(session, session.net.W, session.net.b, f"saved in {Path(path).name}")


def target_for(path: str) -> str:
    """The kind of script a file name in the TUI asks for: a name ending in ``torch.py`` is PyTorch, else NumPy."""
    return "pytorch" if Path(path).name.lower().endswith("torch.py") else "numpy"


def model_code(model: ExportedModel, to: str = "numpy", when: datetime | None = None) -> str:
    """The text of a standalone script (``to``: numpy or pytorch) computing the model's predictions."""
    if to not in TARGETS:
        raise ExportError(f"--to {to}: choose from {', '.join(TARGETS)}")
    writer = _Script(model, "np" if to == "numpy" else "torch", when or datetime.now(timezone.utc))
    return writer.numpy() if to == "numpy" else writer.pytorch()


# ------------------------------------------------------------------ writing the text
def _floats(values: np.ndarray) -> str:
    """A 1-D array as a Python list literal whose floats read back exactly, wrapped."""
    text = "[" + ", ".join(repr(float(v)) for v in values.tolist()) + "]"
    return "\n".join(textwrap.wrap(text, WRAP, break_long_words=False, subsequent_indent=" "))


def _matrix(values: np.ndarray) -> str:
    """A 2-D array as a nested list literal, one row a line (or more)."""
    rows = [textwrap.indent(_floats(row), "    ") for row in values]
    return "[\n" + ",\n".join(rows) + ",\n]"


def _names(names: Sequence[str], at_most: int = 8) -> str:
    """Names for a docstring, a long list shortened: pixel0, pixel1, …, pixel63."""
    names = list(names)
    if len(names) > at_most:
        names = [*names[:2], "…", names[-1]]
    return ", ".join(names)


@dataclass
class _Script:
    """The parts of a script, in NumPy (``m`` = "np") or PyTorch (``m`` = "torch")."""

    model: ExportedModel
    m: str
    when: datetime

    @property
    def data(self) -> Dataset:
        return self.model.data

    @property
    def sizes(self) -> list[int]:
        return [self.model.W[0].shape[0], *(w.shape[1] for w in self.model.W)]

    def header(self) -> str:
        """The docstring (what predict takes and returns) and a comment (which model, settings, when)."""
        data, s = self.data, self.model.settings
        if data.is_2d:
            names = data.input_names or ("x1", "x2")
            takes = (f"x: raw 2-D points, an array of shape (n, 2) (or one point): ({names[0]}, {names[1]}),\n"
                     f"   as in the data; the features {', '.join(data.feature_labels)} are computed from them.")
        else:
            image = f" (a {data.image_shape[0]}×{data.image_shape[1]} image's pixels, row by row)" if data.image_shape else ""
            takes = (f"x: an array of shape (n, {data.n_inputs}) (or one row): the raw inputs in the data's order,\n"
                     f"   {_names(data.features)}{image}.")
        if s.standardize:
            takes += "\n   They are standardised with the training set's mean and standard deviation."
        if data.task == "classification":
            gives = (f"predict(x) -> the predicted class of each row, by name: one of {', '.join(data.class_names)}\n"
                     f"outputs(x) -> the network's output{'s' if self.sizes[-1] > 1 else ''} for each row, "
                     + ("the probabilities of the classes" if self.model.output == "softmax"
                        else "before deciding the class"))
        else:
            gives = ("predict(x) -> the predicted value" + ("s" if self.sizes[-1] > 1 else "") + " of each row\n"
                     "outputs(x) -> the same, as an (n, outputs) array")
        framework = "NumPy code" if self.m == "np" else "PyTorch code: `model` is the network, an nn.Sequential"
        settings = {"dataset": s.dataset, "layers": list(s.layers), "activation": s.activation}
        settings.update((k, v) for k, v in s.model_settings().items() if getattr(Settings(), k) != getattr(s, k))
        shown = ", ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in settings.items())
        lines = textwrap.wrap(f"Settings (the others at their defaults): {shown}", WRAP - 2)
        arch = " → ".join(map(str, self.sizes))
        doc = (f'"""The neural network {self.model.source}, as {framework}.\n\n'
               f"{arch} neurons, {self.model.hidden} hidden and {self.model.output} output; trained by nntui on "
               f"{data.name}.\n\n{takes}\n\n{gives}\ninputs(x)  -> what the network takes: the rows of x as features"
               + (", standardised" if s.standardize else "") + '\n"""\n')
        note = (["The network computes in float64 here; nntui trained it in float32."]
                if s.dtype == "float32" else [])
        comment = [f"Written by nntui {__version__} on {self.when:%Y-%m-%d %H:%M} UTC, from the network {self.model.source}.",
                   f"Trained with loss {self.model.loss} on a {self.model.output} output.", *lines, *note]
        return doc + "# " + "\n# ".join(comment) + "\n"

    def constants(self) -> str:
        """The class names, the features, the standardisation and the weights, as literals."""
        data, out = self.data, []
        if data.task == "classification":
            out.append(f"CLASSES = {list(data.class_names)!r}")
        if data.is_2d:
            out.append(f"FEATURES = {list(data.features)!r}  # computed from the raw points in inputs()")
        if data.mean is not None and data.std is not None:
            out.append("# The training set's mean and standard deviation of each input, to standardise with")
            out.append(f"MEAN = {_floats(data.mean)}")
            out.append(f"STD = {_floats(data.std)}")
        out.append("")
        for l, (w, v) in enumerate(zip(self.model.W, self.model.b), start=1):
            f = self.model.hidden if l < len(self.model.W) else self.model.output
            out.append(f"# Layer {l}: {w.shape[0]} inputs → {w.shape[1]} neuron{'s' if w.shape[1] > 1 else ''}, {f}. "
                       f"W{l}[i][j] is the weight from input i to neuron j.")
            out.append(f"W{l} = {_matrix(w)}")
            out.append(f"b{l} = {_floats(v)}")
        return "\n".join(out) + "\n"

    def inputs(self) -> str:
        """The function turning raw rows into the network's inputs."""
        data, m = self.data, self.m
        as_array = "np.atleast_2d(np.asarray(x, dtype=np.float64))" if m == "np" else \
            "torch.atleast_2d(torch.as_tensor(x, dtype=torch.float64))"
        if data.is_2d:
            columns = ", ".join(FEATURE_CODE[f].format(m=m) for f in data.features)
            stack = f"np.column_stack([{columns}])" if m == "np" else f"torch.stack([{columns}], dim=1)"
            body = [f"p = {as_array}", f"x = {stack}"]
        else:
            body = [f"x = {as_array}"]
        if data.mean is not None:
            body.append("x = (x - MEAN) / STD")
        body.append("return x")
        doc = "The network's inputs for x: " + ("the features of the points" if data.is_2d else "the raw inputs") + \
              (", standardised" if data.mean is not None else "") + "."
        return f'def inputs(x):\n    """{doc}"""\n' + textwrap.indent("\n".join(body), "    ") + "\n"

    def predict(self) -> str:
        """The function deciding a class name or value from the outputs."""
        data = self.data
        if data.task == "regression":
            body = ["a = outputs(x)", "return a[:, 0]" if self.sizes[-1] == 1 else "return a"]
            doc = "The predicted value" + ("s" if self.sizes[-1] > 1 else "") + " for each row of x."
        elif self.sizes[-1] == 1:
            threshold = ACTIVATIONS[self.model.output].threshold
            doc = f"The predicted class of each row of x: {data.class_names[1]} where the output is above " \
                  f"{threshold!r}, else {data.class_names[0]}."
            body = ["a = outputs(x)", f"index = a[:, 0] > {threshold!r}"]
        else:
            doc = "The predicted class of each row of x: the one of the largest output."
            body = ["a = outputs(x)", "index = a.argmax(axis=1)" if self.m == "np" else "index = a.argmax(dim=1)"]
        if data.task == "classification":
            body.append("return np.asarray(CLASSES)[index.astype(int)]" if self.m == "np"
                        else "return [CLASSES[int(i)] for i in index]")
        return f'def predict(x):\n    """{doc}"""\n' + textwrap.indent("\n".join(body), "    ") + "\n"

    def numpy(self) -> str:
        """The whole NumPy script: one function per activation used, then inputs, outputs, predict."""
        used = dict.fromkeys([self.model.hidden] * (len(self.model.W) > 1) + [self.model.output])
        functions = "\n\n".join(
            f'def {name}(z):\n    """{ACTIVATIONS[name].note}."""\n' + textwrap.indent(NUMPY_ACTIVATIONS[name], "    ")
            + "\n" for name in used)
        layers = [f"a = {self.model.hidden if l < len(self.model.W) else self.model.output}(a @ W{l} + b{l})"
                  for l in range(1, len(self.model.W) + 1)]
        outputs = ('def outputs(x):\n    """The network\'s outputs for x, an (n, outputs) array."""\n'
                   "    a = inputs(x)\n" + textwrap.indent("\n".join(layers), "    ") + "\n    return a\n")
        constants = self.constants()
        # The literals become arrays once, after the lists they were written as.
        names = [n for n in ("MEAN", "STD") if self.data.mean is not None] + \
            [f"{p}{l}" for l in range(1, len(self.model.W) + 1) for p in ("W", "b")]
        arrays = "\n".join(f"{n} = np.array({n})" for n in names)
        return "\n\n".join([self.header() + "\nimport numpy as np\n", constants + "\n" + arrays + "\n",
                            functions, self.inputs(), outputs, self.predict()]).rstrip() + "\n"

    def pytorch(self) -> str:
        """The whole PyTorch script: the nn.Sequential with the weights copied in, then inputs, outputs, predict."""
        n = len(self.model.W)
        modules = []
        for l in range(1, n + 1):
            modules.append(f"nn.Linear({self.sizes[l - 1]}, {self.sizes[l]}),  # layer {l}")
            f = TORCH_ACTIVATIONS[self.model.hidden if l < n else self.model.output]
            if f is not None:
                modules.append(f + ",")
        linear = [i for i, text in enumerate(modules) if text.startswith("nn.Linear")]
        loads = "\n".join(
            f"    model[{i}].weight.copy_(torch.tensor(W{l}, dtype=torch.float64).T)\n"
            f"    model[{i}].bias.copy_(torch.tensor(b{l}, dtype=torch.float64))"
            for l, i in enumerate(linear, start=1))
        tensors = "\n".join(f"{name} = torch.tensor({name}, dtype=torch.float64)" for name in ("MEAN", "STD")) \
            if self.data.mean is not None else ""
        sequential = ("model = nn.Sequential(\n" + textwrap.indent("\n".join(modules), "    ") + "\n).double()\n\n"
                      "# nntui keeps W as (inputs, outputs); nn.Linear's weight is (outputs, inputs): hence the .T\n"
                      f"with torch.no_grad():\n{loads}\nmodel.eval()\n")
        outputs = ('def outputs(x):\n    """The network\'s outputs for x, an (n, outputs) tensor."""\n'
                   "    with torch.no_grad():\n        return model(inputs(x))\n")
        return "\n\n".join(filter(None, [self.header() + "\nimport torch\nfrom torch import nn\n",
                                         self.constants(), tensors, sequential, self.inputs(), outputs,
                                         self.predict()])).rstrip() + "\n"

