"""Training: mini-batch gradient descent with per-epoch metrics, snapshots and checkpoints.

One step is ``train_batch``: its phases ``forward``, ``output_delta`` (the loss),
``backward_layer`` for every layer from the output down, and ``update``.  The inspector
steps through the same methods one at a time.  Everything else here is bookkeeping: which
samples form the next batch, what to report after each epoch, and noticing when training
diverged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nntui.engine.losses import Loss, decode_outputs, encode_targets
from nntui.engine.network import Forward, Network, Workspace, split_flat
from nntui.engine.optimizers import Optimizer
from nntui.engine.regularization import add_penalty_gradient, penalty
from nntui.engine.schedules import Schedule

Array = np.ndarray


@dataclass(frozen=True)
class EpochStats:
    """What is reported after an epoch (epoch 0 is before any training)."""

    epoch: int
    train_loss: float  # data loss only; the regularization term is ``penalty``
    test_loss: float | None  # None without a test set
    train_acc: float | None  # None for regression
    test_acc: float | None
    penalty: float
    grad_norms: tuple[float, ...]  # ‖∂L/∂W[l]‖ over the whole training set, per layer
    lr: float


@dataclass(frozen=True)
class Snapshot:
    """An immutable copy of the trainer's state, safe to hand to another thread."""

    epoch: int
    steps: int  # mini-batch updates done so far
    W: tuple[Array, ...]  # read-only copies
    b: tuple[Array, ...]
    stats: EpochStats  # the latest epoch's figures
    lr: float  # the rate in use
    base_lr: float  # the rate the user set (a schedule sets lr from it; without one they are equal)
    diverged: str | None  # why training stopped, or None
    off: tuple[tuple[int, int], ...] = ()  # neurons switched off by hand, (layer, index): see Trainer.switch_neuron

    def __setstate__(self, state: dict) -> None:
        """Unpickled (sent from the training process): read-only again, as made."""
        self.__dict__.update(state)
        for a in (*self.W, *self.b):
            a.setflags(write=False)


@dataclass(frozen=True)
class Checkpoint:
    """Everything needed to continue training exactly from this point (for rewind)."""

    epoch: int
    steps: int
    params: Array
    optimizer: dict
    rng: dict
    order: Array | None  # the epoch's sample order, when stopped part-way through it
    cursor: int
    lr: float  # the rate in use
    base_lr: float  # the rate the user set
    stats: EpochStats  # the figures of the last epoch finished
    off: tuple[tuple[int, int], ...] = ()  # neurons switched off by hand


def _read_only(a: Array) -> Array:
    a.setflags(write=False)
    return a


class Trainer:
    """Trains a network on fixed data; call ``step_batch`` or ``step_epoch``.

    ``base_lr`` is the learning rate the user set; ``lr`` is the rate in use, which a
    schedule sets from ``base_lr`` at the start of every epoch (without one, ``lr == base_lr``).
    """

    def __init__(
        self,
        net: Network,
        loss: Loss,
        optimizer: Optimizer,
        x_train: Array,
        y_train: Array,
        x_test: Array | None = None,
        y_test: Array | None = None,
        *,
        task: str = "classification",
        lr: float = 0.03,
        batch_size: int = 10,
        shuffle: bool = True,
        reg: str = "none",
        reg_rate: float = 0.0,
        rng: np.random.Generator | None = None,
        schedule: Schedule | None = None,
    ):
        # What it was built from, to build it again when pickled (see __getstate__).
        self._made_from = (
            (net, loss, optimizer, x_train, y_train, x_test, y_test),
            dict(task=task, lr=lr, batch_size=batch_size, shuffle=shuffle, reg=reg, reg_rate=reg_rate,
                 rng=rng, schedule=schedule),
        )
        self.net, self.loss, self.optimizer = net, loss, optimizer
        self.task, self.shuffle = task, shuffle
        self.schedule = schedule
        self.base_lr = float(lr)
        self.reg, self.reg_rate = reg, float(reg_rate)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        n_out = net.sizes[-1]
        self.x_train = np.ascontiguousarray(x_train, dtype=net.dtype)
        self.y_train = np.asarray(y_train)
        self.t_train = encode_targets(self.y_train, n_out, task, net.output.name).astype(net.dtype)
        if x_test is not None and len(x_test):
            self.x_test = np.ascontiguousarray(x_test, dtype=net.dtype)
            self.y_test = np.asarray(y_test)
            self.t_test = encode_targets(self.y_test, n_out, task, net.output.name).astype(net.dtype)
        else:
            self.x_test = self.y_test = self.t_test = None
        self.batch_size = max(1, min(int(batch_size), len(self.x_train)))
        self._weights = net.params[: net.n_weights]  # a view of the weights (not biases), for the penalty
        # The evaluation runs one forward pass over the training and test samples stacked,
        # and one workspace serves it and, through views of its first rows, every batch.
        if self.x_test is None:
            self._x_eval = self.x_train
        else:
            self._x_eval = np.concatenate([self.x_train, self.x_test])
        self._workspace = net.workspace(max(len(self._x_eval), self.batch_size))
        self._workspaces: dict[int, Workspace] = {}
        self._ws = self._workspace  # the workspace of the step under way (set by ``forward``)

        # Neurons switched off by hand, (layer, index) with layer 0 the inputs: their outgoing
        # weights are held at zero (``_held``: those weights' places in ``net.params``).
        self.off: tuple[tuple[int, int], ...] = ()
        self._held: Array | None = None
        self.epoch = 0  # completed epochs
        self.steps = 0  # completed mini-batch updates
        self.diverged: str | None = None
        self._order: Array | None = None  # this epoch's sample order
        self._cursor = 0  # index of the next batch's first sample in this epoch
        self._x_epoch, self._t_epoch = self.x_train, self.t_train
        self._lr = self.scheduled_rate()  # the rate in use (the schedule's, for epoch 0)
        self.stats: EpochStats = self.evaluate()  # the latest epoch's figures (the caller keeps the log)

    def __getstate__(self) -> dict:
        """Pickle as what it was built from plus a checkpoint: its arrays are views of one
        another (weights into the flat parameters, batches into the workspace), which pickle
        would copy apart; ``__setstate__`` builds them afresh and restores the checkpoint."""
        return {"made_from": self._made_from, "checkpoint": self.checkpoint(), "diverged": self.diverged}

    def __setstate__(self, state: dict) -> None:
        args, kwargs = state["made_from"]
        self.__init__(*args, **kwargs)
        self.restore(state["checkpoint"])
        self.diverged = state["diverged"]

    def set_data(self, x_train: Array, y_train: Array, x_test: Array | None = None, y_test: Array | None = None) -> None:
        """Train on these samples from now on (points added or removed by hand).

        The weights, optimizer state, learning rate, step count and random generator go on as
        they are; the epoch under way starts over on the new samples (its batches done so far
        stay done), so the same edits at the same step give the same numbers.  The figures of
        the current epoch are evaluated afresh, over the new samples."""
        checkpoint = dataclasses.replace(self.checkpoint(), order=None, cursor=0)
        (net, loss, optimizer, *_), kwargs = self._made_from
        self.__init__(net, loss, optimizer, x_train, y_train, x_test, y_test, **kwargs)  # as __setstate__ does
        self.restore(checkpoint)
        self.stats = self.evaluate()

    # ---------------------------------------------------------------- learning rate
    @property
    def lr(self) -> float:
        """The learning rate in use; setting it sets ``base_lr`` (a manual change rescales the schedule from now on)."""
        return self._lr

    @lr.setter
    def lr(self, lr: float) -> None:
        self.base_lr = float(lr)
        self._lr = self.scheduled_rate()

    def scheduled_rate(self) -> float:
        """The schedule's rate for the current epoch from ``base_lr`` (``base_lr`` without a schedule)."""
        if self.schedule is None:
            return self.base_lr
        return self.schedule.rate(self.epoch, self.base_lr)

    # ---------------------------------------------------------------- one step, phase by phase
    def train_batch(self, x: Array, t: Array) -> None:
        """One step of gradient descent on the batch (x, t), phase after phase."""
        fwd = self.forward(x)  # z[l], a[l+1] for every layer
        delta = self.output_delta(fwd, t)  # δ = ∂L/∂z at the output
        for l in range(self.net.n_layers - 1, -1, -1):
            delta = self.backward_layer(l, delta, fwd)  # ∂L/∂W[l], ∂L/∂b[l]; the δ of the layer below
        self.update()  # every parameter moves against its gradient

    def forward(self, x: Array) -> Forward:
        """Phase forward: z[l] = a[l]·W[l] + b[l] and a[l+1] = f(z[l]) for the batch x (n, n_0).

        The arrays are the workspace's for n samples, as are those of the later phases of
        this step: valid until the next pass over n samples."""
        self._ws = ws = self.workspace(len(x))
        return self.net.forward(x, ws)

    def output_delta(self, fwd: Forward, t: Array) -> Array:
        """Phase loss: δ[L-1] = ∂L/∂z[L-1] at the output for targets t, (n, n_L)."""
        return self.loss.delta(fwd.z[-1], fwd.output, t, self.net.output, out=self._ws.deltas[-1])

    def backward_layer(self, l: int, delta: Array, fwd: Forward) -> Array | None:
        """Phase backward l: from delta = δ[l], ∂L/∂W[l] (with the regularization term) and
        ∂L/∂b[l] into ``net.grad``; returns δ[l-1] (None for the first layer)."""
        net = self.net
        below = net.backward_layer(l, delta, fwd, self._ws)
        if self.reg != "none":
            add_penalty_gradient(net.dW[l], net.W[l], self.reg, self.reg_rate)
        return below

    def update(self) -> None:
        """Phase update: the optimizer moves every parameter against ``net.grad`` at the rate in use;
        the weights out of switched-off neurons get no gradient (the optimizer keeps no memory of
        them) and stay exactly zero, whatever the update rule."""
        self.hold_off()
        self.optimizer.step(self.net.params, self.net.grad, self.lr)
        self.hold_off()

    def workspace(self, n: int) -> Workspace:
        """The arrays for passes over n samples (views of the shared workspace, kept per n)."""
        ws = self._workspaces.get(n)
        if ws is None:
            big = self._workspace if n <= self._workspace.n else self.net.workspace(n)
            ws = self._workspaces[n] = big.rows(n)
        return ws

    # ---------------------------------------------------------------- edits by hand
    def set_parameter(self, layer: int, row: int | None, col: int, value: float) -> None:
        """Set the weight W[layer][row, col], or with row None the bias b[layer][col], to value.

        A weight out of a switched-off neuron stays zero.  The current epoch's figures are
        evaluated afresh, so they show what the edit did."""
        net = self.net
        if not 0 <= layer < net.n_layers:
            raise ValueError(f"no weight layer {layer}")
        target = net.b[layer] if row is None else net.W[layer]
        where = (col,) if row is None else (row, col)
        if not all(0 <= i < n for i, n in zip(where, target.shape)):
            raise ValueError(f"no parameter {where} in a layer of shape {target.shape}")
        if not np.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        target[where] = value
        self._edited()

    def switch_neuron(self, layer: int, index: int, on: bool) -> None:
        """Switch neuron ``index`` of layer ``layer`` (0: the inputs) off, or on again.

        While it is off its outgoing weights W[layer][index, :] are held at zero: set to zero
        now, after every update, with no memory of them in the optimizer; switched on again,
        they learn afresh from zero.  The current epoch's figures are evaluated afresh."""
        net = self.net
        if not (0 <= layer < net.n_layers and 0 <= index < net.sizes[layer]):
            raise ValueError(f"no neuron {index} in layer {layer} with weights out")
        off = set(self.off) - {(layer, index)} if on else set(self.off) | {(layer, index)}
        self._hold(tuple(sorted(off)))
        self.optimizer.forget(self._weights_out(layer, index))
        self._edited()

    def _edited(self) -> None:
        """After an edit: the held weights zero, the figures afresh (a run that diverged is
        judged again: an edit can bring it back, or make it diverge)."""
        self.hold_off()
        self.diverged = None
        self.stats = self.evaluate()

    def _weights_out(self, layer: int, index: int) -> Array:
        """The places in ``params`` of neuron ``index``'s outgoing weights W[layer][index, :]."""
        start = sum(w.size for w in self.net.W[:layer])
        n_out = self.net.sizes[layer + 1]
        return start + index * n_out + np.arange(n_out)

    def _hold(self, off: tuple[tuple[int, int], ...]) -> None:
        """Hold these neurons' outgoing weights from now on."""
        self.off = off
        self._held = np.concatenate([self._weights_out(l, i) for l, i in off]) if off else None

    def hold_off(self) -> None:
        """Zero the outgoing weights of the switched-off neurons and their gradient (around every update)."""
        if self._held is not None:
            self.net.params[self._held] = 0
            self.net.grad[self._held] = 0

    # ---------------------------------------------------------------- batches and epochs
    @property
    def n_batches(self) -> int:
        """Mini-batches per epoch (the last one may be smaller)."""
        return -(-len(self.x_train) // self.batch_size)

    @property
    def batch_in_epoch(self) -> int:
        """How many batches of the current epoch are done."""
        return -(-self._cursor // self.batch_size)

    def next_batch(self) -> tuple[Array, Array]:
        """The samples of the next mini-batch (drawing this epoch's order if it starts now)."""
        if self._cursor == 0:
            self._lr = self.scheduled_rate()
            if self.shuffle:
                self._order = self.rng.permutation(len(self.x_train))
                self._x_epoch, self._t_epoch = self.x_train[self._order], self.t_train[self._order]
            else:
                self._order = None
                self._x_epoch, self._t_epoch = self.x_train, self.t_train
        end = self._cursor + self.batch_size
        return self._x_epoch[self._cursor : end], self._t_epoch[self._cursor : end]

    def finish_batch(self) -> EpochStats | None:
        """Advance past the batch just trained; at the end of an epoch, evaluate and return its stats."""
        self.steps += 1
        self._cursor += self.batch_size
        if self._cursor < len(self.x_train):
            return None
        self._cursor = 0
        self.epoch += 1
        self.stats = self.evaluate()
        return self.stats

    def step_batch(self) -> EpochStats | None:
        """Train on one mini-batch; returns the epoch's stats if this batch completed an epoch.

        Divergence is checked at the end of each epoch; call ``check_divergence`` to check now.
        A diverging step overflows: callers train under ``np.errstate(all="ignore")``, as
        ``step_epoch`` and the TUI's training thread do, so NumPy does not warn about it."""
        if self.diverged:
            return None
        x, t = self.next_batch()
        self.train_batch(x, t)
        return self.finish_batch()

    def check_divergence(self) -> bool:
        """Mark the run diverged if a weight is no longer finite (epochs check this themselves)."""
        if not self.diverged and not np.isfinite(self.net.params).all():
            self._diverge()
        return self.diverged is not None

    def step_epoch(self, until: Callable[[], bool] | None = None) -> EpochStats | None:
        """Train on mini-batches until the current epoch is complete; None if diverged, or if
        ``until()`` said to stop (it is asked before every mini-batch; the epoch goes on later)."""
        if self.diverged:
            return None
        # Overflow (inf, nan) is how divergence shows; it is reported through ``diverged``,
        # so NumPy should not warn about it on the way.
        with np.errstate(all="ignore"):
            while until is None or not until():
                stats = self.step_batch()
                if stats is not None:
                    return None if self.diverged else stats
        return None

    # ---------------------------------------------------------------- metrics
    def _loss_and_accuracy(self, fwd: Forward, y: Array, t: Array) -> tuple[float, float | None]:
        loss = self.loss.value(fwd.z[-1], fwd.output, t)
        acc = None
        if self.task == "classification":
            right = decode_outputs(fwd.output, self.task, self.net.output.name) == y
            acc = float(np.count_nonzero(right) / len(y))
        return loss, acc

    def evaluate(self) -> EpochStats:
        """Loss and accuracy on the train and test sets and the full-batch gradient norms."""
        net, n = self.net, len(self.x_train)
        with np.errstate(all="ignore"):
            # One forward pass over the training and test samples stacked; its first n rows,
            # the training samples', are the arrays of workspace(n).
            both = net.forward(self._x_eval, self.workspace(len(self._x_eval)))
            train = self.workspace(n)
            fwd = train.fwd
            fwd.a[0] = self.x_train
            train_loss, train_acc = self._loss_and_accuracy(fwd, self.y_train, self.t_train)
            delta = self.loss.delta(fwd.z[-1], fwd.output, self.t_train, net.output, out=train.deltas[-1])
            net.backward(fwd, delta, train, biases=False)  # the full-batch ∂L/∂W, for its norms
            grad_norms = tuple(float(np.linalg.norm(dW)) for dW in net.dW)
            test_loss = test_acc = None
            if self.x_test is not None:
                test = Forward([z[n:] for z in both.z], [a[n:] for a in both.a])
                test_loss, test_acc = self._loss_and_accuracy(test, self.y_test, self.t_test)
            reg_penalty = penalty(self._weights, self.reg, self.reg_rate)
        if not (np.isfinite(train_loss) and np.isfinite(self.net.params).all()):
            self._diverge()
        return EpochStats(self.epoch, train_loss, test_loss, train_acc, test_acc, reg_penalty, grad_norms, self.lr)

    def _diverge(self) -> None:
        self.diverged = (
            f"diverged at epoch {self.epoch}: the loss or a weight is no longer a finite number "
            f"(learning rate {self.lr:g} is too high: lower it and reset)"
        )

    # ---------------------------------------------------------------- state
    def snapshot(self) -> Snapshot:
        """An immutable copy of the current weights and latest figures."""
        params = _read_only(self.net.params.copy())
        n_w = self.net.n_weights
        W = tuple(_read_only(p) for p in split_flat(params[:n_w], [w.shape for w in self.net.W]))
        b = tuple(_read_only(p) for p in split_flat(params[n_w:], [bb.shape for bb in self.net.b]))
        return Snapshot(self.epoch, self.steps, W, b, self.stats, self.lr, self.base_lr, self.diverged, self.off)

    def checkpoint(self) -> Checkpoint:
        """Everything needed to continue exactly from here."""
        # Between two epochs (cursor 0) the next batch draws a new order: the old one is not kept.
        mid_epoch = self._order is not None and self._cursor > 0
        return Checkpoint(
            self.epoch,
            self.steps,
            self.net.params.copy(),
            self.optimizer.state(),
            self.rng.bit_generator.state,
            self._order.copy() if mid_epoch else None,
            self._cursor,
            self.lr,
            self.base_lr,
            self.stats,
            self.off,
        )

    def restore(self, cp: Checkpoint) -> None:
        """Go back (or forward) to a checkpoint."""
        self.epoch, self.steps = cp.epoch, cp.steps
        self.base_lr, self._lr = cp.base_lr, cp.lr
        self.net.params[...] = cp.params
        self.optimizer.load_state(cp.optimizer)
        self.rng.bit_generator.state = cp.rng
        self._order, self._cursor = (None if cp.order is None else cp.order.copy()), cp.cursor
        if self._order is not None:
            self._x_epoch, self._t_epoch = self.x_train[self._order], self.t_train[self._order]
        else:
            self._x_epoch, self._t_epoch = self.x_train, self.t_train
        self.stats = cp.stats
        self._hold(cp.off)
        self.diverged = None
        if not np.isfinite(self.net.params).all():
            self._diverge()

