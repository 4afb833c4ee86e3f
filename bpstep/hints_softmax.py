"""Convention hints for classification's steps (merged into ``bpstep.hints.FAMILIES``): the
softmax's Jacobian taken as its diagonal alone, the 1/N of a batch-mean loss forgotten, a logarithm
in base 10 or 2 instead of the natural one, and the softmax taken over the wrong axis (the batch's
column instead of each sample's row). Each family returns no alternative where it does not apply.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from bpstep import names
from bpstep.format import operand
from bpstep.hints import Alt, Ctx
from bpstep.names import OpId


def _loss_name(c: Ctx) -> str:
    return c.trace.scenario.network.loss


def jacobian_diagonal(c: Ctx) -> list[Alt]:
    """δ_m = δ_(m+1) ⊙ o(1 − o): the Jacobian's diagonal alone, as if softmax were element-wise."""
    s, (i, j) = c.step, c.index
    d = s.inputs[names.delta(s.module + 1)]
    o = s.inputs[names.z(s.module + 1)]
    value = float(d[i, j] * o[i, j] * (1 - o[i, j]))
    return [Alt(value, f"that is the Jacobian's diagonal alone, ∂E/∂o·o(1 − o) = {operand(value, c.p)}: "
                       f"softmax is not element-wise, every output depends on every input, so "
                       f"{c.own_label} = Σᵢ ∂E/∂oᵢ·oᵢ(δᵢⱼ − oⱼ) sums over all the outputs of the sample")]


def forgot_mean(c: Ctx) -> list[Alt]:
    """The 1/N of a batch-mean log-loss left out of a delta (cross-entropy and bce)."""
    if _loss_name(c) not in ("cross_entropy", "bce"):
        return []
    n = c.step.value.shape[0] if c.step.value.ndim else 1
    if n < 2:
        return []
    v = float(c.step.value[c.index])
    return [Alt(v * n, f"that is {n} times {c.own_label}: the loss is the batch's mean, so every "
                       f"delta carries its 1/N = 1/{n}")]


def log_base(c: Ctx) -> list[Alt]:
    """E with log₁₀ or log₂ in place of the natural logarithm."""
    if _loss_name(c) not in ("cross_entropy", "bce") or c.step.op != OpId.LOSS:
        return []
    total = float(c.step.value)
    penalty = float(c.step.inputs["l2_term"]) if "l2_term" in c.step.inputs else 0.0
    data = total - penalty
    return [Alt(data / math.log(base) + penalty,
                f"that is E with log{sub} instead of the natural logarithm ln: the log-loss uses ln "
                f"(E = {operand(total, c.p)})")
            for base, sub in ((10, "₁₀"), (2, "₂"))]


def softmax_axis(c: Ctx) -> list[Alt]:
    """The softmax normalised over the batch (each unit's column) instead of each sample's row."""
    s, (i, j) = c.step, c.index
    z = s.inputs[names.z(s.module - 1)]
    if z.shape[0] < 2:
        return []
    col = np.exp(z[:, j] - z[:, j].max())
    value = float(col[i] / col.sum())
    return [Alt(value, f"that is the softmax over the batch (unit {j + 1}'s column, {operand(value, c.p)}); "
                       f"it normalises each sample's row: Σⱼ oᵢⱼ = 1 for every sample i")]


FAMILIES: dict[str, Callable[[Ctx], list[Alt]]] = {
    "jacobian_diagonal": jacobian_diagonal,
    "forgot_mean": forgot_mean,
    "log_base": log_base,
    "softmax_axis": softmax_axis,
}
