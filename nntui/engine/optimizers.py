"""Update rules.  Each ``step`` moves the flat parameter vector p against its gradient g,
in place.  The learning rate is passed on every call, so it can change between any two
steps without resetting the optimizer's memory (velocity, moment estimates).
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


class Optimizer:
    """Base class; ``state`` is everything the optimizer remembers between steps.

    A new optimizer is a subclass here with its entry in ``OPTIMIZERS``: the settings offer it
    and the inspector shows its ``rule``.
    """

    name = ""
    rule = ""  # the update rule in words, as the inspector shows it
    memory = 0  # vectors of n_params it keeps between steps (velocity, moments)
    uses_momentum = False  # takes the --momentum setting

    def __init__(self, n_params: int, dtype=np.float64):
        self.n_params, self.dtype = n_params, np.dtype(dtype)

    def step(self, p: Array, g: Array, lr: float) -> None:
        """Update p in place from gradient g (g is scratch: it may be overwritten)."""
        raise NotImplementedError

    def state(self) -> dict:
        """A copy of the optimizer's memory (for rewind)."""
        return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}

    def load_state(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v.copy() if isinstance(v, np.ndarray) else v)

    def forget(self, indices: Array) -> None:
        """Zero what it remembers (velocity, moments) of these parameters: held at zero, they start afresh."""
        for v in vars(self).values():
            if isinstance(v, np.ndarray) and v.shape == (self.n_params,):
                v[indices] = 0


class SGD(Optimizer):
    """p ← p - lr · g"""

    name = "sgd"
    rule = "Δw = −lr·∂L/∂w exactly: plain gradient descent."

    def step(self, p: Array, g: Array, lr: float) -> None:
        g *= lr
        p -= g


class Momentum(Optimizer):
    """v ← μ·v - lr·g;  p ← p + v  (classical momentum)."""

    name = "momentum"
    rule = "v ← μ·v − lr·∂L/∂w,  w ← w + v: Δw = v also carries the earlier steps along (momentum)."
    memory = 1
    uses_momentum = True

    def __init__(self, n_params: int, dtype=np.float64, momentum: float = 0.9):
        super().__init__(n_params, dtype)
        self.mu = momentum
        self.v = np.zeros(n_params, dtype=self.dtype)

    def step(self, p: Array, g: Array, lr: float) -> None:
        self.v *= self.mu
        g *= lr
        self.v -= g
        p += self.v


class Nesterov(Momentum):
    """Nesterov momentum in its usual implementable form:
    v ← μ·v - lr·g;  p ← p + μ·v - lr·g  (look ahead along the new velocity)."""

    name = "nesterov"
    rule = "v ← μ·v − lr·∂L/∂w,  w ← w + μ·v − lr·∂L/∂w: momentum that looks ahead (Nesterov)."

    def step(self, p: Array, g: Array, lr: float) -> None:
        self.v *= self.mu
        g *= lr
        self.v -= g
        p += self.mu * self.v
        p -= g


class Adam(Optimizer):
    """m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²;
    p ← p - lr · m̂ / (√v̂ + ε)  with bias-corrected m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)."""

    name = "adam"
    rule = ("Δw is the Adam step −lr·m̂/(√v̂ + ε), not −lr·∂L/∂w: m and v are running averages of the "
            "gradient and its square, so every weight gets its own step size.")
    memory = 2

    def __init__(self, n_params: int, dtype=np.float64, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(n_params, dtype)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros(n_params, dtype=self.dtype)
        self.v = np.zeros(n_params, dtype=self.dtype)
        self.t = 0

    def step(self, p: Array, g: Array, lr: float) -> None:
        self.t += 1
        self.m *= self.beta1
        self.m += (1.0 - self.beta1) * g
        self.v *= self.beta2
        self.v += (1.0 - self.beta2) * (g * g)
        # Fold both bias corrections into the step size: lr·√(1-β2ᵗ)/(1-β1ᵗ).
        step_size = lr * np.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        eps_hat = self.eps * np.sqrt(1.0 - self.beta2**self.t)
        p -= step_size * self.m / (np.sqrt(self.v) + eps_hat)


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adam)}


def make_optimizer(name: str, n_params: int, dtype=np.float64, momentum: float = 0.9) -> Optimizer:
    """Build an optimizer by name; ValueError names the valid ones."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer '{name}' (choose from {', '.join(OPTIMIZERS)})")
    if OPTIMIZERS[name].uses_momentum:
        return OPTIMIZERS[name](n_params, dtype, momentum=momentum)
    return OPTIMIZERS[name](n_params, dtype)

