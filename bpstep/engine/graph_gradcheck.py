"""Numerical gradient check of a computational graph: every backward step ``d<output>/d<name>``
of one epoch against central differences of the output.

For a leaf, the forward pass is run again with the leaf moved by ±ε; for a node, the nodes after
it are run again from its moved value (the nodes up to it held at the trace's values). In a batch
the output summed over the samples is differenced: moving a per-sample value changes only its
own sample's output, and moving a leaf shared by the batch changes them all, whose derivative the
trace reports as the mean over the samples (so the difference is divided by N there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bpstep import names
from bpstep.engine import graph as G
from bpstep.engine.gradcheck import (
    DEFAULT_ATOL_SCALE,
    GradcheckReport,
    QuantityCheck,
    central_difference,
    compare,
)
from bpstep.engine.graph_runner import GraphRunner, leaf_values_at
from bpstep.errors import BpstepError, NumericalError
from bpstep.scenario.expr import GraphSpec

if TYPE_CHECKING:
    from bpstep.scenario.model import Scenario


def check_graph_gradients(scenario: Scenario, epoch: int, batch: int, eps: float, rtol: float,
                          atol: float | None) -> GradcheckReport:
    """Like ``bpstep.engine.gradcheck.check_gradients``, for a ``[graph]`` scenario (one batch
    per epoch: ``batch`` must be 1)."""
    spec = scenario.graph
    assert spec is not None
    epochs = scenario.training.epochs if scenario.trains else 1
    if batch != 1 or epoch > epochs:
        raise BpstepError(f"{scenario.source}: a graph's run has one batch per epoch and "
                          f"{epochs} epoch{'s' * (epochs != 1)}: no epoch {epoch}, batch {batch}")
    trace = GraphRunner(scenario, epochs=epoch if scenario.trains else None).run()
    if epoch > trace.epochs_run:
        raise NumericalError(trace.message)
    leaves = leaf_values_at(trace, epoch)
    fwd = G.forward(spec, leaves)
    out = spec.output
    loss = float(fwd.loss)
    if atol is None:
        atol = DEFAULT_ATOL_SCALE * max(1.0, abs(loss))
    checks: list[QuantityCheck] = []
    n = fwd.batch or 1
    with np.errstate(all="ignore"):  # a non-finite difference shows as a failed check
        for name in (*(node.name for node in reversed(spec.nodes)), *spec.leaves):
            step_name = names.graph_grad(out, name)
            try:
                analytic = trace.step(step_name, epoch, 1).value
            except KeyError:
                raise NumericalError(trace.message or f"the trace has no {step_name}") from None
            summed = _summed_output(spec, fwd, leaves, name)
            numeric = central_difference(summed, np.array(fwd.values[name] if name not in fwd.shared
                                                          else leaves[name], dtype=np.float64), eps)
            if fwd.batch is not None and name in fwd.shared:
                numeric = numeric / n  # the derivative of the batch mean
            checks.append(compare(step_name, analytic, numeric, rtol, atol))
    return GradcheckReport(scenario=scenario.name, source=scenario.source, epoch=epoch, batch=1,
                           eps=eps, rtol=rtol, atol=atol, E=loss, checks=tuple(checks))


def _summed_output(spec: GraphSpec, fwd: G.Forward, leaves: dict[str, Any], name: str):  # noqa: ANN202
    """f(value of ``name``) → the output summed over the samples, everything else held."""
    position = next((i for i, node in enumerate(spec.nodes) if node.name == name), None)
    if position is None:  # a leaf: the whole graph again
        def of_leaf(x: np.ndarray) -> float:
            return _total(G.forward(spec, {**leaves, name: x}).output)
        return of_leaf
    # A node: the nodes up to it become leaves holding their values; the later nodes run again.
    held = {node.name: fwd.values[node.name] for node in spec.nodes[: position + 1]}
    rest = GraphSpec(inputs={**spec.inputs, **dict.fromkeys(held, 0.0)}, parameters=spec.parameters,
                     nodes=spec.nodes[position + 1:], output=spec.output)
    if spec.output in held and spec.output != name:  # the output comes before this node
        return lambda x: _total(fwd.values[spec.output])

    def of_node(x: np.ndarray) -> float:
        if spec.output == name:
            return _total(x)
        return _total(G.forward(rest, {**leaves, **held, name: x}).output)
    return of_node


def _total(v: np.ndarray) -> float:
    return float(np.sum(v))
