"""Optional comparison loops: PyTorch and scikit-learn training the same network, if importable.

Neither is a dependency of nntui: ``available()`` names those that can be imported, and the
engine benchmark adds a column for each.  Both loops have the interface of
``reference.PlainNet``: ``train_epoch()`` trains one shuffled epoch and returns its steps.

- PyTorch: the same layers, initial weights, loss, plain SGD, learning rate, batch size and
  shuffles (NumPy permutations from the same seed), on the CPU with 2 threads.
- scikit-learn: ``MLPClassifier(solver="sgd", momentum=0, alpha=0)`` and one ``partial_fit``
  per epoch (one shuffled pass of mini-batches; it also sums each batch's loss, and
  validates its input on every call).  Same layers, loss and batch size; its own
  initialisation and shuffles.
"""

from __future__ import annotations

import importlib.util

import numpy as np


def available() -> dict[str, str]:
    """{label: version} of the importable frameworks, e.g. {"torch": "2.4.0"}."""
    found = {}
    for name in ("torch", "sklearn"):
        if importlib.util.find_spec(name) is None:
            continue
        try:
            module = importlib.import_module(name)
        except Exception:  # installed but broken: treat as absent
            continue
        found[name] = getattr(module, "__version__", "?")
    return found


class TorchNet:
    """The trainer's network in PyTorch: nn.Linear layers initialised with the trainer's weights."""

    def __init__(self, W, b, x, t, lr, batch_size, rng, hidden="tanh", output="sigmoid"):
        import torch

        torch.set_num_threads(2)
        self.torch = torch
        dtype = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[np.dtype(x.dtype)]
        layers = []
        for l, (w, bias) in enumerate(zip(W, b)):
            linear = torch.nn.Linear(*w.shape, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
                linear.bias.copy_(torch.from_numpy(bias.copy()))
            layers.append(linear)
            if l < len(W) - 1:
                layers.append(torch.nn.Tanh() if hidden == "tanh" else torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        if output == "sigmoid":  # sigmoid + binary cross-entropy on the logits, mean over the batch
            self.loss = torch.nn.BCEWithLogitsLoss()
            self.t = torch.from_numpy(np.ascontiguousarray(t))
        else:  # softmax + cross-entropy on class indices
            self.loss = torch.nn.CrossEntropyLoss()
            self.t = torch.from_numpy(np.ascontiguousarray(t.argmax(axis=1)))
        self.x = torch.from_numpy(np.ascontiguousarray(x))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.batch_size, self.rng = batch_size, rng

    def train_epoch(self) -> int:
        order = self.torch.from_numpy(self.rng.permutation(len(self.x)))
        x, t = self.x[order], self.t[order]
        steps = 0
        for start in range(0, len(x), self.batch_size):
            self.opt.zero_grad(set_to_none=True)
            loss = self.loss(self.model(x[start : start + self.batch_size]), t[start : start + self.batch_size])
            loss.backward()
            self.opt.step()
            steps += 1
        return steps

    @property
    def W(self) -> list[np.ndarray]:
        """The weights as (inputs, outputs) NumPy arrays, to compare with the engine's."""
        return [m.weight.detach().numpy().T for m in self.model if isinstance(m, self.torch.nn.Linear)]


class SklearnNet:
    """scikit-learn's MLPClassifier with one partial_fit per epoch."""

    def __init__(self, W, b, x, t, lr, batch_size, rng, hidden="tanh", output="sigmoid"):
        from sklearn.neural_network import MLPClassifier

        self.model = MLPClassifier(
            hidden_layer_sizes=tuple(w.shape[1] for w in W[:-1]),
            activation=hidden,
            solver="sgd",
            learning_rate_init=lr,
            batch_size=batch_size,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            shuffle=True,
            random_state=int(rng.integers(2**31)),
        )
        self.x = x
        self.y = t[:, 0].astype(np.int64) if output == "sigmoid" else t.argmax(axis=1)
        self.classes = np.unique(self.y)
        self.steps_per_epoch = -(-len(x) // batch_size)

    def train_epoch(self) -> int:
        self.model.partial_fit(self.x, self.y, classes=self.classes)
        return self.steps_per_epoch


LOOPS = {"torch": TorchNet, "sklearn": SklearnNet}
