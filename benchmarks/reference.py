"""The plain NumPy training loop the engine is measured against, written as a student would.

Tanh or ReLU hidden layers; a sigmoid output with binary cross-entropy or a softmax output
with cross-entropy (either way the output delta is (a - t) / n); plain SGD: lists of W and b,
a loop over layers, new arrays everywhere, one shuffled epoch at a time, no checks.

``train_epoch`` computes no metrics.  ``evaluate`` computes, just as plainly, the figures nntui
reports after every epoch: loss and accuracy on the training and the test set, and the norm
of each layer's gradient over the whole training set.
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

    def forward(self, x) -> list:
        """The activations of every layer, input first."""
        W, b, L = self.W, self.b, len(self.W)
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
        return activations

    def backward(self, activations, t) -> tuple[list, list]:
        """The gradients of the mean loss: dW and db of every layer."""
        W, L = self.W, len(self.W)
        a = activations[-1]
        delta = (a - t) / len(a)
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
        return dW, db

    def train_step(self, x, t) -> None:
        dW, db = self.backward(self.forward(x), t)
        for l in range(len(self.W)):
            self.W[l] -= self.lr * dW[l]
            self.b[l] -= self.lr * db[l]

    def loss_and_accuracy(self, a, t) -> tuple[float, float]:
        eps = 1e-12
        if self.output == "sigmoid":
            loss = -np.mean(np.sum(t * np.log(a + eps) + (1 - t) * np.log(1 - a + eps), axis=1))
            right = (a[:, 0] > 0.5) == (t[:, 0] > 0.5)
        else:
            loss = -np.mean(np.sum(t * np.log(a + eps), axis=1))
            right = a.argmax(axis=1) == t.argmax(axis=1)
        return float(loss), float(np.mean(right))

    def evaluate(self, x_test, t_test) -> dict:
        """What nntui reports after an epoch, computed plainly."""
        activations = self.forward(self.x)
        train_loss, train_acc = self.loss_and_accuracy(activations[-1], self.t)
        dW, _ = self.backward(activations, self.t)
        test_loss, test_acc = self.loss_and_accuracy(self.forward(x_test)[-1], t_test)
        return dict(train_loss=train_loss, train_acc=train_acc, test_loss=test_loss, test_acc=test_acc,
                    grad_norms=[float(np.linalg.norm(g)) for g in dW])
