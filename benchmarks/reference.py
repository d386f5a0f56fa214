"""The plain NumPy training loop the engine is measured against, written as a student would.

Tanh or ReLU hidden layers; a sigmoid output with binary cross-entropy or a softmax output
with cross-entropy (either way the output delta is (a - t) / n); plain SGD: lists of W and b,
a loop over layers, new arrays everywhere, one shuffled epoch at a time.  No evaluation, no
metrics, no checks.
"""

from __future__ import annotations

import numpy as np


class PlainNet:
    def __init__(self, W, b, x, t, lr, batch_size, rng, hidden="tanh", output="sigmoid"):
        self.W, self.b = W, b
        self.x, self.t = x, t
        self.lr, self.batch_size, self.rng = lr, batch_size, rng
        self.hidden, self.output = hidden, output

    def train_epoch(self) -> int:
        """One shuffled epoch of mini-batch SGD; returns the number of steps."""
        order = self.rng.permutation(len(self.x))
        x, t = self.x[order], self.t[order]
        steps = 0
        for start in range(0, len(x), self.batch_size):
            self.train_step(x[start : start + self.batch_size], t[start : start + self.batch_size])
            steps += 1
        return steps

    def train_step(self, x, t) -> None:
        W, b, L = self.W, self.b, len(self.W)
        # forward
        activations = [x]
        a = x
        for l in range(L):
            z = a @ W[l] + b[l]
            if l < L - 1:
                a = np.tanh(z) if self.hidden == "tanh" else np.maximum(z, 0)
            elif self.output == "sigmoid":
                a = 1 / (1 + np.exp(-z))
            else:  # softmax
                e = np.exp(z - z.max(axis=1, keepdims=True))
                a = e / e.sum(axis=1, keepdims=True)
            activations.append(a)
        # backward
        delta = (a - t) / len(x)
        dW, db = [None] * L, [None] * L
        for l in reversed(range(L)):
            dW[l] = activations[l].T @ delta
            db[l] = delta.sum(axis=0)
            if l > 0:
                a = activations[l]
                if self.hidden == "tanh":
                    delta = delta @ W[l].T * (1 - a**2)
                else:
                    delta = delta @ W[l].T * (a > 0)
        # update
        for l in range(L):
            W[l] -= self.lr * dW[l]
            b[l] -= self.lr * db[l]
