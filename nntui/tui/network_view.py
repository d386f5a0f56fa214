"""Forward passes for drawing: the network at a snapshot's weights, evaluated on any inputs.

The TUI never trains or computes gradients; it only asks what a snapshot's network outputs
(for the heatmap, the probe, the confusion matrix), through the engine's own forward pass.
"""

from __future__ import annotations

import numpy as np

from nntui.datasets import Dataset
from nntui.engine import Network, Snapshot, decode_outputs, get_activation

CHUNK = 1024  # inputs per forward pass: a wide network's layers over a whole grid would take tens of MB


class NetworkView:
    """A copy of the network that follows the snapshots the training process publishes."""

    def __init__(self, sizes, hidden: str, output: str, dataset: Dataset):
        self.net = Network(sizes, get_activation(hidden), get_activation(output))
        self.dataset = dataset
        self.epoch = -1

    @property
    def task(self) -> str:
        return self.dataset.task

    def load(self, snapshot: Snapshot) -> None:
        """Take the snapshot's weights."""
        self.net.set_weights(snapshot.W, snapshot.b)
        self.epoch = snapshot.epoch

    def load_params(self, params: np.ndarray) -> None:
        """Take a checkpoint's flat parameter vector (rewind)."""
        self.net.params[...] = params

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations a[0] (inputs) … a[L] (outputs) for inputs x."""
        with np.errstate(all="ignore"):
            return self.net.forward(x).a

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """The network's outputs for inputs x, CHUNK rows at a time."""
        with np.errstate(all="ignore"):
            if len(x) <= CHUNK:
                return self.net.predict(x)
            return np.concatenate([self.net.predict(x[i : i + CHUNK]) for i in range(0, len(x), CHUNK)])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted classes (or values) for inputs x."""
        return decode_outputs(self.outputs(x), self.task, self.net.output.name)

    def field(self, points: np.ndarray) -> np.ndarray:
        """What the heatmap shows for raw 2-D points.

        Two classes: a score in [-1, 1] (−1 sure of class 0, +1 sure of class 1);
        more classes: per-class probabilities (n, k); regression: the output value.
        """
        a = self.outputs(self.dataset.inputs(points))
        out = self.net.output.name
        if self.task == "regression":
            return a[:, 0]
        if a.shape[1] == 1:  # one output: sigmoid in [0, 1], tanh or linear around ±1
            return 2.0 * a[:, 0] - 1.0 if out == "sigmoid" else np.clip(a[:, 0], -1.0, 1.0)
        if out == "softmax":
            probs = a
        else:  # one output per class without softmax: rescale to [0, 1] and normalise
            low = self.net.output.low_target
            probs = np.clip((a - low) / (1.0 - low), 1e-9, None)
            probs = probs / probs.sum(axis=1, keepdims=True)
        return 2.0 * probs[:, 1] - 1.0 if probs.shape[1] == 2 else probs

    def neuron_planes(self, nx: int, ny: int) -> list[np.ndarray]:
        """Every neuron's output over an nx × ny grid of the plane, in one forward pass, for the diagram's tiles.

        One array per layer, shape (neurons, ny, nx), top row first, mapped to [-1, 1]: each input
        feature by its own largest |value|; hidden and output layers as they are, a layer whose
        values exceed 1 (ReLU) by its largest |value|, and a sigmoid or softmax output as 2a − 1.
        """
        xmin, xmax, ymin, ymax = self.dataset.bounds
        xs = xmin + (np.arange(nx) + 0.5) / nx * (xmax - xmin)
        ys = ymax - (np.arange(ny) + 0.5) / ny * (ymax - ymin)
        gx, gy = np.meshgrid(xs, ys)
        acts = self.activations(self.dataset.inputs(np.column_stack([gx.ravel(), gy.ravel()])))
        planes = []
        for layer, a in enumerate(acts):
            a = np.where(np.isfinite(a), a, 0.0)
            if layer == 0:
                peak = np.abs(a).max(axis=0, keepdims=True) if a.size else 1.0
                a = a / np.where(peak > 0, peak, 1.0)
            elif layer == len(acts) - 1 and self.net.output.name in ("sigmoid", "softmax"):
                a = 2.0 * a - 1.0
            else:
                peak = float(np.abs(a).max()) if a.size else 0.0
                a = a / peak if peak > 1.0 else a
            planes.append(np.clip(a, -1.0, 1.0).T.reshape(-1, ny, nx))
        return planes

    def neuron_field(self, points: np.ndarray, layer: int, index: int) -> np.ndarray:
        """One neuron's activation over raw 2-D points (layer 0 = the input features)."""
        x = self.dataset.inputs(points)
        return np.concatenate([self.activations(x[i : i + CHUNK])[layer][:, index] for i in range(0, max(len(x), 1), CHUNK)])
