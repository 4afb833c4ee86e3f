"""Optimizers by name. Each is stateless: ``step`` takes a parameter, its gradient and the
optimizer's state for that parameter, and returns the new parameter, the update applied and the
new state, without touching its inputs. The states are immutable, so each epoch's checkpoint holds
them as they were (Adam's and RMSProp's moments included) and a recomputed epoch is bit for bit.

``state_inputs`` names what an update step shows besides the gradient and the update (the
velocity, Adam's moments before and after, its bias-corrected rate); ``inputs`` gives their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bpstep.catalog import ADAM_DEFAULTS, RMSPROP_DEFAULTS
from bpstep.errors import suggest

if TYPE_CHECKING:
    from bpstep.scenario.model import TrainingSpec


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent with scikit-learn's momentum and Nesterov rule.

    v ← μv − η·g; the update is v, or μv − η·g (with the new v) under Nesterov; p ← p + update.
    With μ = 0 this is the tutorial's ``w := w − α ∂E/∂w``.
    """

    learning_rate: float
    momentum: float = 0.0
    nesterov: bool = False
    state_inputs = ("velocity",)

    def inputs(self, before: np.ndarray, after: np.ndarray) -> dict[str, np.ndarray]:
        return {"velocity": before}  # the velocity the step started from

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


@dataclass(frozen=True)
class Moments:
    """Adam's (or RMSProp's) state for one parameter: the moment estimates and the step count."""

    m: np.ndarray  # the first moment (zeros for RMSProp, which keeps none)
    v: np.ndarray  # the second moment
    t: int = 0  # updates so far (Adam's bias correction)


@dataclass(frozen=True)
class Adam:
    """scikit-learn's AdamOptimizer, operation for operation (so its fits replay to the last bits):

    m := β₁m + (1 − β₁)g;  v := β₂v + (1 − β₂)g²;  η_t = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ);
    p := p − η_t·m/(√v + ε).
    """

    learning_rate: float
    beta1: float = ADAM_DEFAULTS["beta1"]
    beta2: float = ADAM_DEFAULTS["beta2"]
    epsilon: float = ADAM_DEFAULTS["epsilon"]
    state_inputs = ("m", "v", "m_before", "v_before", "lr_t")

    def init_state(self, param: np.ndarray) -> Moments:
        return Moments(np.zeros_like(param), np.zeros_like(param), 0)

    def rate(self, t: int) -> float:
        """η_t, the bias-corrected step size of update t (1, 2, …)."""
        return float(self.learning_rate * np.sqrt(1 - self.beta2**t) / (1 - self.beta1**t))

    def step(self, param: np.ndarray, grad: np.ndarray,
             state: Moments) -> tuple[np.ndarray, np.ndarray, Moments]:
        t = state.t + 1
        m = self.beta1 * state.m + (1 - self.beta1) * grad
        v = self.beta2 * state.v + (1 - self.beta2) * (grad**2)
        update = -self.rate(t) * m / (np.sqrt(v) + self.epsilon)
        return param + update, update, Moments(m, v, t)

    def inputs(self, before: Moments, after: Moments) -> dict[str, np.ndarray]:
        return {"m": after.m, "v": after.v, "m_before": before.m, "v_before": before.v,
                "lr_t": np.array(self.rate(after.t))}

    @property
    def rule(self) -> str:
        return "m := β₁m + (1 − β₁)g;  v := β₂v + (1 − β₂)g²;  p := p − η√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + ε)"


@dataclass(frozen=True)
class RMSProp:
    """v := ρv + (1 − ρ)g²;  p := p − η·g/(√v + ε)  (ε outside the root, as Keras and PyTorch)."""

    learning_rate: float
    rho: float = RMSPROP_DEFAULTS["rho"]
    epsilon: float = RMSPROP_DEFAULTS["epsilon"]
    state_inputs = ("v", "v_before")

    def init_state(self, param: np.ndarray) -> Moments:
        return Moments(np.zeros_like(param), np.zeros_like(param), 0)

    def step(self, param: np.ndarray, grad: np.ndarray,
             state: Moments) -> tuple[np.ndarray, np.ndarray, Moments]:
        v = self.rho * state.v + (1 - self.rho) * (grad**2)
        update = -self.learning_rate * grad / (np.sqrt(v) + self.epsilon)
        return param + update, update, Moments(state.m, v, state.t + 1)

    def inputs(self, before: Moments, after: Moments) -> dict[str, np.ndarray]:
        return {"v": after.v, "v_before": before.v}

    @property
    def rule(self) -> str:
        return "v := ρv + (1 − ρ)g²;  p := p − η·g/(√v + ε)"


OPTIMIZERS: dict[str, type] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp}

Optimizer = Any  # SGD | Adam | RMSProp: step, init_state, inputs, state_inputs, rule


def from_training(tr: TrainingSpec) -> Optimizer:
    """The optimizer a scenario's [training] table describes."""
    if tr.optimizer == "adam":
        return Adam(tr.learning_rate, tr.beta1, tr.beta2, tr.epsilon)
    if tr.optimizer == "rmsprop":
        return RMSProp(tr.learning_rate, tr.rho, tr.epsilon)
    return get_optimizer(tr.optimizer)(tr.learning_rate, tr.momentum, tr.nesterov)


def get_optimizer(name: str) -> type:
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise KeyError(f"unknown optimizer '{name}' ({suggest(name, OPTIMIZERS)})") from None
