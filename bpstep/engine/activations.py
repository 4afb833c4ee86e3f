"""Element-wise activation functions with their derivatives, by name.

Each entry gives ``f(z)`` and ``df(z, a)`` (the derivative at ``z``, given ``a = f(z)`` so the
sigmoid and tanh can use the output as the tutorial does); what the activation is called and its
rules in the tutorial's notation are its descriptor in ``bpstep/catalog.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bpstep import catalog
from bpstep.catalog import ELU_ALPHA, LEAKY_SLOPE, ActivationInfo
from bpstep.errors import suggest


@dataclass(frozen=True)
class Activation:
    info: ActivationInfo
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]
    # For a non-element-wise activation (softmax): the per-sample Jacobian from its output,
    # N × units → N × units × units with J[n, i, j] = ∂o[n, i]/∂z[n, j].
    jacobian: Callable[[np.ndarray], np.ndarray] | None = None

    # The descriptor's fields, read through the maths object for convenience.
    name = property(lambda self: self.info.name)
    symbol = property(lambda self: self.info.symbol)
    rule = property(lambda self: self.info.rule)
    derivative_rule = property(lambda self: self.info.derivative_rule)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Evaluate through e^(−|z|) so that neither branch overflows (sigmoid(±1000) is exact).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def _relu_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (z > 0).astype(np.float64)  # derivative 0 at 0, as the tutorial defines it


def _leaky(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, LEAKY_SLOPE)


def _elu(z: np.ndarray) -> np.ndarray:
    # expm1 keeps e^z − 1 exact for small z; the minimum keeps exp from overflowing on the
    # branch np.where discards.
    return np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0)))


def _elu_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0)))


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)  # ln(1 + e^z) without overflow


def _softmax(z: np.ndarray) -> np.ndarray:
    # As scikit-learn's inplace_softmax: shift by each row's maximum (no overflow), exp, divide.
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(o: np.ndarray) -> np.ndarray:
    """J[n] = diag(o[n]) − o[n] o[n]ᵀ: ∂oᵢ/∂zⱼ = oᵢ(δᵢⱼ − oⱼ) for each sample n."""
    eye = np.eye(o.shape[-1])
    return o[..., :, None] * (eye - o[..., None, :])


def _no_elementwise(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    raise TypeError("softmax has no element-wise derivative: its backward step is a Jacobian product")


_MATHS: dict[str, tuple[Callable, ...]] = {
    "identity": (lambda z: np.array(z, dtype=np.float64), lambda z, a: np.ones_like(z)),
    "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a)),
    "tanh": (_tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), _relu_grad),
    "leaky_relu": (_leaky, _leaky_grad),
    "elu": (_elu, _elu_grad),
    "softplus": (_softplus, lambda z, a: _sigmoid(z)),
    "softmax": (_softmax, _no_elementwise, softmax_jacobian),
}

ACTIVATIONS: dict[str, Activation] = {
    name: Activation(info, *_MATHS[name]) for name, info in catalog.ACTIVATIONS.items()
}


def get_activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise KeyError(f"unknown activation '{name}' ({suggest(name, ACTIVATIONS)})") from None
