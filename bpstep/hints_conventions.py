"""More convention hints (issue 16), merged into ``bpstep.hints.FAMILIES`` by one line there:
the learning rate left out of an update, the updated weights used for the hidden deltas (Mazur's
warning), a transposed weight index, and a factor N (the batch size) for any loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from bpstep import catalog, names
from bpstep.carried import _operands, batch_steps, recompute
from bpstep.format import operand
from bpstep.names import OpId

if TYPE_CHECKING:
    from bpstep.hints import Alt, Ctx


def _alt(value: float, message: str) -> Alt:
    from bpstep.hints import Alt  # bpstep.hints imports this module at its end

    return Alt(value, message)


def learning_rate(c: Ctx) -> list[Alt]:
    """p − ∂E/∂p: the update without the learning rate."""
    s, idx = c.step, c.index
    tr = c.trace.scenario.training
    if tr.momentum or tr.learning_rate == 1:
        return []
    before = float(s.inputs[s.name][idx])
    g = float(s.inputs[names.grad(s.name)][idx])
    label = c.own_label
    return [_alt(before - g, f"the learning rate is missing: {label} := {label} − η·∂E/∂{label} with "
                             f"η = {tr.learning_rate:g}, not {label} − ∂E/∂{label}")]


def updated_weights(c: Ctx) -> list[Alt]:
    """The backward pass run with the weights already updated (Mazur: update only after every
    delta is computed with the weights the forward pass used)."""
    s = c.step
    world: dict[str, np.ndarray] = {}
    used: list[str] = []
    for step in batch_steps(c.trace, s.epoch, s.batch):
        x = _operands(step, world)
        if step.op == OpId.LINEAR_GRAD_INPUT:
            w = list(step.inputs)[1]
            after = c.trace.find(w, step.epoch, step.batch)
            if after is None or after.op != OpId.UPDATE:
                return []
            x[w] = np.asarray(after.value)
            used.append(w)
        value = recompute(c.trace, step, x)
        world[step.name] = np.asarray(step.value if value is None else value)
        if step.name == s.name:
            break
    if not used or s.name not in world:
        return []
    wrong = float(world[s.name][c.index])
    first = used[0]
    return [_alt(wrong, f"that is what the updated weights give ({c.label(first, (0, 0))} = "
                        f"{operand(float(c.at(first).value.flat[0]), c.p)} after the update): the deltas of "
                        f"the hidden layers must use the weights the forward pass used (before the update); "
                        f"update every weight only after the whole backward pass")]


def transposed_index(c: Ctx) -> list[Alt]:
    """W[j,i] for W[i,j]: the weight from unit j to unit i, not from i to j."""
    s, idx = c.step, c.index
    if s.value.ndim != 2 or len(idx) != 2 or idx[0] == idx[1]:
        return []
    i, j = idx
    if j >= s.value.shape[0] or i >= s.value.shape[1]:
        return []
    other = (j, i)
    v = float(s.value[other])
    return [_alt(v, f"that is {c.label(s.name, other)} = {operand(v, c.p)}: the indices are swapped; "
                    f"{c.own_label} is row {i + 1}, column {j + 1} "
                    f"(from input unit {i + 1} to unit {j + 1})")]


def loss_n(c: Ctx) -> list[Alt]:
    """A factor N (the batch size) for losses without a squared-loss convention hint (the
    cross-entropies): summed over the batch instead of averaged, or the other way round."""
    s = c.step
    loss = catalog.LOSSES[c.trace.scenario.network.loss]
    if loss.squared_prefix is not None or s.op == OpId.UPDATE:
        return []
    e = c.trace.find("E", s.epoch, s.batch)
    if e is None or "T" not in e.inputs:
        return []
    n = e.inputs["T"].shape[0]
    if n < 2:
        return []
    v = float(s.value[c.index])
    return [_alt(v * n, f"off by a factor of {n} (the batch size): that is {c.own_label} with the loss "
                        f"summed over the batch; this scenario's loss is {loss.rule}"),
            _alt(v / n, f"off by a factor of 1/{n} (the batch size): the batch mean taken twice; this "
                        f"scenario's loss is {loss.rule}")]


FAMILIES: dict[str, Callable[[Ctx], list[Alt]]] = {
    "learning_rate": learning_rate,
    "updated_weights": updated_weights,
    "transposed_index": transposed_index,
    "loss_n": loss_n,
}
