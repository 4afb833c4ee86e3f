"""Optimizers by name. Each is stateless: ``step`` takes a parameter, its gradient and the
optimizer's state for that parameter, and returns the new parameter, the update applied and the
new state, without touching its inputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bpstep.errors import suggest


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent with scikit-learn's momentum and Nesterov rule.

    v ← μv − η·g; the update is v, or μv − η·g (with the new v) under Nesterov; p ← p + update.
    With μ = 0 this is the tutorial's ``w := w − α ∂E/∂w``.
    """

    learning_rate: float
    momentum: float = 0.0
    nesterov: bool = False

    def init_state(self, param: np.ndarray) -> np.ndarray:
        return np.zeros_like(param)

    def step(
        self, param: np.ndarray, grad: np.ndarray, velocity: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.momentum == 0.0:
            update = -self.learning_rate * grad
            return param + update, update, velocity
        velocity = self.momentum * velocity - self.learning_rate * grad
        update = self.momentum * velocity - self.learning_rate * grad if self.nesterov else velocity
        return param + update, update, velocity

    @property
    def rule(self) -> str:
        if self.momentum == 0.0:
            return "p := p − η ∂E/∂p"
        if self.nesterov:
            return "v := μv − η ∂E/∂p;  p := p + μv − η ∂E/∂p"
        return "v := μv − η ∂E/∂p;  p := p + v"


OPTIMIZERS: dict[str, type] = {"sgd": SGD}


def get_optimizer(name: str) -> type:
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise KeyError(f"unknown optimizer '{name}' ({suggest(name, OPTIMIZERS)})") from None
