"""Stateless layers: each gives its output, ∂E/∂input and ∂E/∂parameters (the modular approach).

Shapes: a batch of N samples is N × units. ``W`` is fan_in × fan_out, so ``Z_out = Z_in W + b``
is the tutorial's ``Z⁽ᵏ⁺¹⁾ = W⁽ᵏ⁾ᵀ Z⁽ᵏ⁾ + b⁽ᵏ⁾`` with samples as rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bpstep.engine.activations import Activation


@dataclass(frozen=True)
class Linear:
    """``z = x W + b``; ``b`` is a 0-d array when one bias is shared by every unit."""

    fan_in: int
    fan_out: int
    shared_bias: bool = False

    def forward(self, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """x: N × fan_in, W: fan_in × fan_out, b: () or (fan_out,) → N × fan_out."""
        return x @ W + b

    def backward(
        self, x: np.ndarray, W: np.ndarray, delta: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """delta = ∂E/∂z (N × fan_out) → (∂E/∂x, ∂E/∂W, ∂E/∂b).

        ∂E/∂x = δ Wᵀ, ∂E/∂W = xᵀ δ, ∂E/∂b = Σ over samples (and over units when shared).
        """
        dx = delta @ W.T
        dW = x.T @ delta
        db = delta.sum() if self.shared_bias else delta.sum(axis=0)  # methods: no Python wrapper
        return dx, dW, np.asarray(db, dtype=np.float64)


@dataclass(frozen=True)
class ActivationLayer:
    """``a = f(z)`` element-wise; no parameters."""

    activation: Activation

    def forward(self, z: np.ndarray) -> np.ndarray:
        return self.activation.f(z)

    def backward(self, z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """delta = ∂E/∂a → ∂E/∂z = δ ⊙ f'(z), or the Jacobian product δ J per sample."""
        if self.activation.jacobian is not None:
            return jacobian_product(delta, self.activation.jacobian(a))
        return delta * self.activation.df(z, a)


def jacobian_product(delta: np.ndarray, jac: np.ndarray) -> np.ndarray:
    """δ⁽ᵏ⁾ = δ⁽ᵏ⁺¹⁾ J for each sample: row n of the result is δ[n] @ J[n] (J[n, i, j] = ∂oᵢ/∂zⱼ,
    so element j sums δᵢ·∂oᵢ/∂zⱼ over the outputs i)."""
    return np.einsum("ni,nij->nj", delta, jac)
