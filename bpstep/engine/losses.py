"""Loss functions over a batch: outputs ``o`` and targets ``t``, both N × outputs.

``value`` gives E, ``grad`` gives ∂E/∂o (the first delta of the backward pass).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bpstep import catalog
from bpstep.catalog import LOG_EPS, LossInfo
from bpstep.errors import suggest

# Outputs are clipped this far inside (0, 1) before a log, as scikit-learn's log_loss and
# binary_log_loss do (np.finfo(float64).eps; it was 1e-15 here before), so that a saturated
# output gives a large finite loss rather than inf.
BCE_EPS = LOG_EPS


@dataclass(frozen=True)
class Loss:
    info: LossInfo  # its name and rules (bpstep/catalog.py)
    value: Callable[[np.ndarray, np.ndarray], float]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad_factor: Callable[[int], float] | None  # ∂E/∂o = factor(N)·(o − t) for squared losses

    name = property(lambda self: self.info.name)
    rule = property(lambda self: self.info.rule)
    grad_rule = property(lambda self: self.info.grad_rule)
    regression = property(lambda self: self.info.regression)


def _n(o: np.ndarray) -> int:
    return o.shape[0]


def _bce_value(o: np.ndarray, t: np.ndarray) -> float:
    p = np.clip(o, BCE_EPS, 1 - BCE_EPS)
    # scikit-learn's binary_log_loss, term for term: each column's batch mean, then their sum.
    terms = np.where(t != 0, t * np.log(p), 0.0) + np.where(t != 1, (1 - t) * np.log(1 - p), 0.0)
    return float(-np.mean(terms, axis=0).sum())


def _bce_grad(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    p = np.clip(o, BCE_EPS, 1 - BCE_EPS)
    # Where o is clipped, E does not depend on it: ∂E/∂o = 0 there, the derivative of the E the
    # trace reports (the unclipped formula times σ' gave neither that nor the unclipped value).
    inside = (o >= BCE_EPS) & (o <= 1 - BCE_EPS)
    return np.where(inside, (p - t) / (p * (1 - p)), 0.0) / _n(o)


def _ce_value(o: np.ndarray, t: np.ndarray) -> float:
    # scikit-learn's log_loss: −Σ over outputs of the batch mean of t·ln(clip(o)), in its order
    # (the mean of each column, then their sum), so every epoch's loss agrees to the last bits.
    p = np.clip(o, LOG_EPS, 1 - LOG_EPS)
    return float(-np.mean(np.where(t != 0, t * np.log(p), 0.0), axis=0).sum())


def _ce_grad(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    p = np.clip(o, LOG_EPS, 1 - LOG_EPS)
    # As for bce: where o is clipped the reported E does not depend on it, so ∂E/∂o = 0 there.
    inside = (o >= LOG_EPS) & (o <= 1 - LOG_EPS)
    return np.where(inside, -t / p, 0.0) / _n(o)


def _squared(name: str, factor: Callable[[int], float]) -> Loss:
    # E = c(N)·Σ(o − t)², so ∂E/∂o = 2c(N)·(o − t); factor(N) is that 2c(N).
    return Loss(
        catalog.LOSSES[name],
        lambda o, t: float(factor(_n(o)) / 2 * ((o - t) ** 2).sum()),
        lambda o, t: factor(_n(o)) * (o - t),
        factor,
    )


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        _squared("sse", lambda n: 2.0),
        _squared("half_sse", lambda n: 1.0),
        _squared("mse", lambda n: 2.0 / n),
        _squared("half_mse", lambda n: 1.0 / n),
        Loss(catalog.LOSSES["bce"], _bce_value, _bce_grad, None),
        Loss(catalog.LOSSES["cross_entropy"], _ce_value, _ce_grad, None),
    )
}


def get_loss(name: str) -> Loss:
    try:
        return LOSSES[name]
    except KeyError:
        raise KeyError(f"unknown loss '{name}' ({suggest(name, LOSSES)})") from None
