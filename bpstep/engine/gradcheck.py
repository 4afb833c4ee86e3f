"""Numerical gradient check: a batch's gradients and deltas against central differences of E.

For one batch of a scenario's run, every ``dE/dW_k`` and ``dE/db_k`` and every delta
``delta_m = ∂E/∂Z_m`` the trace holds is compared, element by element, with

    (E(x + ε) − E(x − ε)) / 2ε

where x is the parameter element (the forward pass is re-run) or the element of Z_m (only the
modules after m are re-run). E is the batch's loss including the L2 term, exactly as the trace's
``E`` step. Numpy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bpstep import names
from bpstep.engine.layers import Linear
from bpstep.engine.network import MLPRunner, forward, l2_term
from bpstep.errors import BpstepError, NumericalError

if TYPE_CHECKING:
    from bpstep.scenario.model import Scenario

DEFAULT_EPS = 1e-6
DEFAULT_RTOL = 1e-6
# The absolute tolerance, relative to max(1, |E|): central differences of E cannot resolve a
# derivative better than about ulp(E)/ε ≈ 1e-10·|E| at ε = 1e-6, so 1e-8 leaves a wide margin.
DEFAULT_ATOL_SCALE = 1e-8


@dataclass(frozen=True)
class QuantityCheck:
    """One quantity of the batch (``dE/dW1``, ``dE/db1``, ``delta3``), analytic vs numerical.

    ``rel`` of an element is ``|a − n| / max(|a|, |n|, atol / rtol)``: the relative error, or the
    absolute error over ``atol / rtol`` for values too small to have a meaningful relative one.
    The quantity agrees when every element's ``rel ≤ rtol``.
    """

    name: str
    analytic: np.ndarray
    numeric: np.ndarray
    max_abs: float  # max |a − n|
    max_rel: float  # max rel as defined above
    ok: bool


@dataclass(frozen=True)
class GradcheckReport:
    scenario: str  # its name
    source: str
    epoch: int
    batch: int
    eps: float
    rtol: float
    atol: float
    E: float  # the batch's loss as the trace records it
    checks: tuple[QuantityCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def max_abs(self) -> float:
        return max((c.max_abs for c in self.checks), default=0.0)

    @property
    def max_rel(self) -> float:
        return max((c.max_rel for c in self.checks), default=0.0)

    def __getitem__(self, name: str) -> QuantityCheck:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no quantity '{name}' in this gradient check")


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float) -> np.ndarray:
    """∂f/∂x element by element: (f(x + ε) − f(x − ε)) / 2ε, for an array of any shape (0-d too)."""
    x = np.array(x, dtype=np.float64)  # a private, writable copy
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        orig = x[idx]
        x[idx] = orig + eps
        e_plus = f(x)
        x[idx] = orig - eps
        e_minus = f(x)
        x[idx] = orig
        grad[idx] = (e_plus - e_minus) / (2 * eps)
    return grad


def compare(name: str, analytic: np.ndarray, numeric: np.ndarray, rtol: float, atol: float) -> QuantityCheck:
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    diff = np.abs(a - n)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), atol / rtol)
    rel = diff / scale
    max_abs = float(np.max(diff)) if diff.size else 0.0
    max_rel = float(np.max(rel)) if rel.size else 0.0
    ok = bool(np.all(np.isfinite(a)) and np.all(np.isfinite(n)) and max_rel <= rtol)
    return QuantityCheck(name, a, n, max_abs, max_rel, ok)


def check_gradients(
    scenario: Scenario,
    epoch: int = 1,
    batch: int = 1,
    eps: float = DEFAULT_EPS,
    rtol: float = DEFAULT_RTOL,
    atol: float | None = None,
) -> GradcheckReport:
    """Compare the gradients and deltas of batch ``batch`` of epoch ``epoch`` with central
    differences of that batch's E, at the parameters the batch started from.

    ``atol`` defaults to ``1e-8 · max(1, |E|)``. Raises ``BpstepError`` for a batch the run does
    not have and ``NumericalError`` when the run diverged before reaching it.
    """
    if getattr(scenario.network, "kind", "mlp") != "mlp":
        raise BpstepError(f"{scenario.source}: gradcheck needs a differentiable network "
                          f"(network.kind = \"mlp\"), not \"{scenario.network.kind}\"")
    if epoch < 1 or batch < 1:
        raise BpstepError(f"epoch and batch count from 1, got epoch {epoch}, batch {batch}")
    if not (eps > 0 and np.isfinite(eps)) or not (rtol > 0 and np.isfinite(rtol)):
        raise BpstepError(f"eps and rtol must be positive, got eps {eps}, rtol {rtol}")
    if scenario.graph is not None:  # a computational graph: every d<output>/d<name> (graph_gradcheck.py)
        from bpstep.engine.graph_gradcheck import check_graph_gradients
        return check_graph_gradients(scenario, epoch, batch, eps, rtol, atol)
    runner = MLPRunner(scenario, epochs=max(epoch, 1))
    trace = runner.run()
    try:
        z0 = trace.step("Z0", epoch, batch)
    except KeyError:
        if trace.status == "diverged":
            raise NumericalError(trace.message) from None
        last = max((s.batch for s in trace if s.epoch == epoch), default=0)
        raise BpstepError(
            f"{scenario.source}: the run has no batch {batch} in epoch {epoch} "
            f"(epochs run: {trace.epochs_run}; batches per epoch: {last})"
        ) from None

    modules, loss = runner.modules, runner.loss
    x, t = z0.value, z0.inputs["T"]
    n = x.shape[0]
    # The parameters this batch used: the operands of its linear forward steps.
    params: dict[str, np.ndarray] = {}
    for mod in modules:
        if isinstance(mod.layer, Linear):
            k = mod.info.layer
            step = trace.step(names.z(mod.info.index), epoch, batch)
            params[names.weight(k)] = np.array(step.inputs[names.weight(k)])
            params[names.bias(k)] = np.array(step.inputs[names.bias(k)])
    l2 = scenario.training.l2

    def penalty(p: dict[str, np.ndarray]) -> float:
        return l2_term(l2, n, (w for k, w in p.items() if names.parse(k).kind == "weight"))

    def error(p: dict[str, np.ndarray]) -> float:
        return loss.value(forward(modules, p, x)[-1], t) + (penalty(p) if l2 else 0.0)

    e_trace = float(trace.step("E", epoch, batch).value)
    if atol is None:
        atol = DEFAULT_ATOL_SCALE * max(1.0, abs(e_trace))
    checks: list[QuantityCheck] = []
    with np.errstate(all="ignore"):  # a non-finite difference shows as a failed check
        for m in range(len(modules), 0, -1):
            name = names.delta(m)
            try:
                analytic = trace.step(name, epoch, batch).value
            except KeyError:
                raise NumericalError(trace.message or f"the trace has no {name}") from None
            z_m = trace.step(names.z(m), epoch, batch).value
            fixed = penalty(params) if l2 else 0.0

            def of_z(z: np.ndarray, m: int = m, fixed: float = fixed) -> float:
                return loss.value(forward(modules, params, z, start=m)[-1], t) + fixed

            checks.append(compare(name, analytic, central_difference(of_z, z_m, eps), rtol, atol))
        for pname in params:
            name = names.grad(pname)
            try:
                analytic = trace.step(name, epoch, batch).value
            except KeyError:
                raise NumericalError(trace.message or f"the trace has no {name}") from None

            def of_p(value: np.ndarray, pname: str = pname) -> float:
                return error({**params, pname: value})

            checks.append(compare(name, analytic, central_difference(of_p, params[pname], eps), rtol, atol))
    return GradcheckReport(
        scenario=scenario.name, source=scenario.source, epoch=epoch, batch=batch, eps=eps,
        rtol=rtol, atol=atol, E=e_trace, checks=tuple(checks),
    )
