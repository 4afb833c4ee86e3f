"""A computational graph's run (``[graph]`` scenarios), recorded into a Trace like a network's.

Each epoch (one pass without parameters; with parameters ``training.epochs`` steps of gradient
descent on the output averaged over the batch):

- phase ``forward``: one step per node, named by the node (``q``), its value (one per sample in
  a batch); its operands are the values of the names the node uses.
- phase ``backward``: one step per node and per leaf, from the output back (``bpstep.engine.graph``
  ``Backward.order``), named ``d<output>/d<name>`` (``df/dx``): the total derivative. Its operands
  are every path's factors, ``d<output>/d<consumer>`` (upstream) and ``local d<consumer>/d<name>``
  (the consumer's local derivative; ``#k`` for the k-th use of a name used twice in one node), so
  the formula shows each path of a fan-out. A leaf shared by a batch (a parameter, an input
  without a ``[data]`` column) has one derivative, of the batch mean: the mean over the samples.
- phase ``update``: each parameter after ``p := p − η·d<output>/dp``, named by the parameter.
- phase ``epoch`` (batch 0): ``loss``, the output averaged over the batch (before the update),
  as for networks also without training.

A value out of an operation's domain (log of 0, division by 0, …) or an overflow ends the run
with status ``diverged`` and the core's message naming the node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bpstep import names
from bpstep.engine import graph as G
from bpstep.engine.recorder import Recorder
from bpstep.errors import BpstepError, NumericalError
from bpstep.names import OpId
from bpstep.shapes import MAX_GRAPH_STEPS, graph_steps

if TYPE_CHECKING:
    from bpstep.scenario.expr import GraphSpec
    from bpstep.scenario.model import Scenario
    from bpstep.tracing.trace import Trace


def sample_values(scenario: Scenario) -> dict[str, Any]:
    """The inputs' values: ``graph.inputs``, with each ``[data]`` column in place of its input
    (an array of the N samples; a single sample as one number, so that every value is a number)."""
    spec = _spec(scenario)
    values: dict[str, Any] = dict(spec.inputs)
    rows = scenario.data.x
    for j, name in enumerate(scenario.data.input_columns):
        column = [row[j] for row in rows]
        values[name] = column[0] if len(column) == 1 else np.array(column, dtype=np.float64)
    return values


def leaf_values_at(trace: Trace, epoch: int) -> dict[str, Any]:
    """Every leaf's value in ``epoch`` (from 1): the inputs, and the parameters as that epoch
    started (the previous epoch's updates, or the initial values)."""
    sc = trace.scenario
    spec = _spec(sc)
    values = sample_values(sc)
    for p, initial in spec.parameters.items():
        step = trace.find(p, epoch - 1, 1) if epoch > 1 else None
        values[p] = float(step.value) if step is not None else initial
    return values


def recompute(trace: Trace, epoch: int) -> tuple[G.Forward, G.Backward]:
    """The forward and backward pass of ``epoch`` again, from the values the trace holds (for
    the views' hints and the gradient check). Raises NumericalError as the run did."""
    return G.run(_spec(trace.scenario), leaf_values_at(trace, epoch))


def _spec(scenario: Scenario) -> GraphSpec:
    if scenario.graph is None:
        raise BpstepError(f"{scenario.source}: not a computational graph (no [graph] table)")
    return scenario.graph


class GraphRunner(Recorder):
    """Computes a graph scenario's run into ``trace`` (see the module's docstring)."""

    def __init__(self, scenario: Scenario, epochs: int | None = None, trace: Trace | None = None) -> None:
        spec = _spec(scenario)
        wanted = scenario.training.epochs if epochs is None else epochs
        steps = graph_steps(len(spec.nodes), len(spec.leaves), len(spec.parameters), wanted)
        if steps > MAX_GRAPH_STEPS:
            raise BpstepError(f"{scenario.source}: {wanted:,} epochs would record {steps:,} steps "
                              f"(at most {MAX_GRAPH_STEPS:,}): fewer epochs")
        super().__init__(scenario, None)  # the network's size rules do not apply
        if trace is not None:  # an empty trace made before the run (Trace.for_run)
            self.trace = trace
        self.epochs = wanted if scenario.trains else 1

    def _run(self, on_epoch: Callable[[int], None] | None) -> None:
        sc = self.scenario
        spec = _spec(sc)
        inputs = sample_values(sc)
        params = {p: np.float64(v) for p, v in spec.parameters.items()}
        eta = sc.training.learning_rate
        for epoch in range(1, self.epochs + 1):
            self.trace.begin_epoch(epoch)
            try:
                fwd, bwd = G.run(spec, inputs | params)
            except NumericalError as exc:
                when = f"epoch {epoch}: " if sc.trains else ""
                raise NumericalError(f"{sc.source}: {when}{exc}") from None
            self._forward(epoch, fwd)
            self._backward(epoch, fwd, bwd)
            if sc.trains:
                with np.errstate(all="ignore"):  # a non-finite parameter is caught by _emit
                    after = {p: np.float64(v - eta * bwd.gradients[p]) for p, v in params.items()}
                for p, v in params.items():
                    self._emit(epoch, 1, "update", p, after[p], OpId.GRAPH_UPDATE,
                               {p: v, names.graph_grad(spec.output, p): bwd.gradients[p]})
                params = after
            self._emit(epoch, 0, "epoch", names.EPOCH_LOSS, fwd.loss, OpId.GRAPH_LOSS,
                       {spec.output: fwd.output})
            self.trace.epochs_run = epoch
            if on_epoch is not None:
                on_epoch(epoch)
        self.trace.finish("complete")

    def _forward(self, epoch: int, fwd: G.Forward) -> None:
        for result in fwd.nodes:
            operands = {name: fwd.values[name] for name in result.node.names}
            self._emit(epoch, 1, "forward", result.name, result.value, OpId.GRAPH_NODE, operands)

    def _backward(self, epoch: int, fwd: G.Forward, bwd: G.Backward) -> None:
        out = bwd.output
        batched = fwd.batch is not None
        for name in bwd.order:
            paths = bwd.contributions[name]
            value = bwd.totals[name]
            note = ""
            if batched and name in fwd.shared:
                # One number shared by every sample: its derivative is that of the batch mean.
                value = bwd.gradients[name]
                note = f"{name} is shared by the batch's {fwd.batch} samples: the mean of their derivatives"
            if name != out and not paths:
                note = f"{out} does not depend on {name}"
            self._emit(epoch, 1, "backward", names.graph_grad(out, name), value,
                       OpId.GRAPH_SEED if name == out else OpId.GRAPH_GRAD, path_operands(out, paths),
                       note=note)


def path_operands(output: str, paths: tuple[G.Contribution, ...]) -> Mapping[str, np.ndarray]:
    """A backward step's operands, path by path: ``d<output>/d<consumer>`` (upstream) and
    ``local d<consumer>/d<name>`` (with ``#k`` for the k-th of several uses in one consumer)."""
    uses: dict[str, int] = {}
    for c in paths:
        uses[c.consumer] = uses.get(c.consumer, 0) + 1
    operands: dict[str, np.ndarray] = {}
    for c in paths:
        operands[names.graph_grad(output, c.consumer)] = c.upstream
        occurrence = c.occurrence + 1 if uses[c.consumer] > 1 else None
        operands[names.graph_local(c.consumer, c.name, occurrence)] = c.local
    return operands
