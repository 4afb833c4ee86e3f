"""Element-wise activation functions with their derivatives, by name.

Each entry gives ``f(z)``, ``df(z, a)`` (the derivative at ``z``, given ``a = f(z)`` so the
sigmoid and tanh can use the output as the tutorial does), the rule as the tutorial writes it,
and a short symbol for formulas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bpstep.errors import suggest

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    name: str
    symbol: str  # "σ", "tanh", "ReLU", ...
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]
    rule: str  # the function, e.g. "σ(z) = 1 / (1 + e^(−z))"
    derivative_rule: str  # e.g. "σ'(z) = σ(z)(1 − σ(z))"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Evaluate through e^(−|z|) so that neither branch overflows (sigmoid(±1000) is exact).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)  # a function, not np.tanh itself: numpy may not be imported yet (bpstep._lazy)


def _relu_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (z > 0).astype(np.float64)  # derivative 0 at 0, as the tutorial defines it


def _leaky(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, LEAKY_SLOPE)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "identity", "id", lambda z: np.array(z, dtype=np.float64), lambda z, a: np.ones_like(z),
            "id(z) = z", "id'(z) = 1",
        ),
        Activation(
            "sigmoid", "σ", _sigmoid, lambda z, a: a * (1.0 - a),
            "σ(z) = 1 / (1 + e^(−z))", "σ'(z) = σ(z)(1 − σ(z))",
        ),
        Activation(
            "tanh", "tanh", _tanh, lambda z, a: 1.0 - a * a,
            "tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))", "tanh'(z) = 1 − tanh²(z)",
        ),
        Activation(
            "relu", "ReLU", lambda z: np.maximum(z, 0.0), _relu_grad,
            "ReLU(z) = max(0, z)", "ReLU'(z) = 1 if z > 0 else 0",
        ),
        Activation(
            "leaky_relu", "LReLU", _leaky, _leaky_grad,
            f"LReLU(z) = z if z > 0 else {LEAKY_SLOPE}·z",
            f"LReLU'(z) = 1 if z > 0 else {LEAKY_SLOPE}",
        ),
    )
}


def get_activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise KeyError(f"unknown activation '{name}' ({suggest(name, ACTIVATIONS)})") from None
