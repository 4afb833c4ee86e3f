"""A batch's steps recomputed from substituted operands, without the engine.

Two uses, both for grading: (1) **error carried forward**: the values that follow from a student's
own earlier answers (their numbers put in place of the true ones, every later step recomputed
from them); (2) **the rounding of intermediates**: how far a value may honestly drift when every
earlier askable value was rounded to the required precision (``Precision.carried``: its decimals,
the tutorial's four by default). That bound is first-order error
propagation: each step's error is half a unit of its own required precision (the student rounds
it) plus Σ |∂f/∂x|·err(x) over its operands; given values (inputs, targets, the initial
parameters) carry no error. Element-wise steps take their derivatives by central differences,
matrix products in closed form.

Only a network's batch steps are recomputed (forward, loss, backward, gradients, updates); the
epoch summaries, scores and the perceptron's steps are not (``recompute`` returns None), so their
answers get half a unit and no carried-forward grading. Propagation stays within one batch: the
next batch starts from the true parameters.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

import numpy as np

from bpstep import names, ops
from bpstep.engine.activations import get_activation
from bpstep.engine.losses import get_loss
from bpstep.engine.optimizers import SGD
from bpstep.grading import Precision
from bpstep.names import OpId
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

Arrays = Mapping[str, np.ndarray]
_H = 1e-6  # central-difference step for the element-wise derivatives


def _act_of(trace: Trace, z_name: str) -> str:
    """The activation that produced the step ``Z{m}``."""
    m = names.parse(z_name).module
    assert m is not None
    return trace.modules[m - 1].activation


def recompute(trace: Trace, step: Step, x: Arrays) -> np.ndarray | None:
    """``step``'s value from the operands ``x`` (by the names of ``step.inputs``); None for an op
    this module does not recompute."""
    op = step.op
    tr = trace.scenario.training
    keys = list(step.inputs)
    if op == OpId.LINEAR:
        z, w, b = (x[k] for k in keys[:3])
        return z @ w + b
    if op == OpId.ACTIVATION:
        return get_activation(_act_of(trace, step.name)).f(x[keys[0]])
    if op == OpId.LOSS:
        o, t = x[keys[0]], x["T"]
        extra = float(step.inputs["l2_term"]) if "l2_term" in step.inputs else 0.0
        return np.array(get_loss(trace.scenario.network.loss).value(o, t) + extra)
    if op == OpId.LOSS_GRAD:
        return get_loss(trace.scenario.network.loss).grad(x[keys[0]], x["T"])
    if op == OpId.ACTIVATION_GRAD:
        d, z, a = (x[k] for k in keys[:3])
        return d * get_activation(_act_of(trace, keys[2])).df(z, a)
    if op == OpId.LINEAR_GRAD_INPUT:
        d, w = (x[k] for k in keys[:2])
        return d @ w.T
    if op == OpId.GRAD_W:
        z, d = (x[k] for k in keys[:2])
        g = z.T @ d
        if tr.l2:
            g = g + (tr.l2 / z.shape[0]) * x[keys[2]]
        return g
    if op == OpId.GRAD_B:
        d = x[keys[0]]
        return np.asarray(d.sum() if step.value.ndim == 0 else d.sum(axis=0), dtype=np.float64)
    if op == OpId.UPDATE:
        if tr.optimizer != "sgd" or "velocity" not in step.inputs:  # Adam, RMSProp: not recomputed here
            return None
        opt = SGD(tr.learning_rate, tr.momentum, tr.nesterov)
        return opt.step(x[step.name], x[names.grad(step.name)], np.asarray(step.inputs["velocity"]))[0]
    if op == OpId.FROZEN:
        return np.asarray(x[step.name])
    return None


def _propagated(trace: Trace, step: Step, x: Arrays, err: Arrays) -> np.ndarray:
    """Σ |∂f/∂x|·err(x) over the operands of ``step``, element by element of its value."""
    op, keys = step.op, list(step.inputs)
    e = {k: err.get(k, np.zeros(np.shape(x[k]))) for k in keys if k in x}
    out = np.zeros(step.value.shape)
    if op == OpId.LINEAR:
        z, w, _ = (x[k] for k in keys[:3])
        ez, ew, eb = (e[k] for k in keys[:3])
        return ez @ np.abs(w) + np.abs(z) @ ew + eb
    if op == OpId.LINEAR_GRAD_INPUT:
        d, w = (x[k] for k in keys[:2])
        return e[keys[0]] @ np.abs(w).T + np.abs(d) @ e[keys[1]].T
    if op == OpId.GRAD_W:
        z, d = (x[k] for k in keys[:2])
        out = np.abs(z).T @ e[keys[1]] + e[keys[0]].T @ np.abs(d)
        if trace.scenario.training.l2:
            out = out + trace.scenario.training.l2 / z.shape[0] * e[keys[2]]
        return out
    if op == OpId.GRAD_B:
        ed = e[keys[0]]
        return np.asarray(ed.sum() if step.value.ndim == 0 else ed.sum(axis=0))
    if op == OpId.LOSS:
        o, t = x[keys[0]], x["T"]
        g = get_loss(trace.scenario.network.loss).grad(o, t)
        return np.asarray(float((np.abs(g) * e[keys[0]]).sum()))
    # Element-wise steps (activation, its gradient, the loss gradient, updates): each operand's
    # derivative by a central difference of the whole array at once.
    for k in keys:
        if k not in e or not e[k].any() or np.shape(x[k]) != step.value.shape:
            continue
        lo, hi = dict(x), dict(x)
        lo[k], hi[k] = x[k] - _H, x[k] + _H
        f_lo, f_hi = recompute(trace, step, lo), recompute(trace, step, hi)
        if f_lo is None or f_hi is None:
            continue
        out = out + np.abs(f_hi - f_lo) / (2 * _H) * e[k]
    return out


def batch_steps(trace: Trace, epoch: int, batch: int) -> list[Step]:
    return [s for s in trace if (s.epoch, s.batch) == (epoch, batch)]


def _operands(step: Step, world: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The operands of ``step``: the batch's own earlier steps from ``world``, the rest (inputs,
    targets, the parameters before the update, the velocity) as the trace has them."""
    return {k: (world[k] if k in world and k != step.name else np.asarray(v)) for k, v in step.inputs.items()}


def _unit_array(value: np.ndarray, precision: Precision) -> np.ndarray:
    flat = [precision.unit(float(v)) for v in np.ravel(value)]
    return np.reshape(np.array(flat, dtype=np.float64), value.shape)


_SLACK: weakref.WeakKeyDictionary[Trace, dict[tuple[int, int, Precision], dict[str, np.ndarray]]] = (
    weakref.WeakKeyDictionary())


def rounding_slack(trace: Trace, epoch: int, batch: int, precision: Precision) -> dict[str, np.ndarray]:
    """For each step of the batch: how far its exact value may move when every earlier askable
    value was rounded to ``precision`` (not counting its own rounding). Cached per trace."""
    try:
        per_trace = _SLACK.setdefault(trace, {})
    except TypeError:  # a trace that cannot be weakly referenced: no cache
        per_trace = {}
    key = (epoch, batch, precision)
    if key in per_trace:
        return per_trace[key]
    slack: dict[str, np.ndarray] = {}
    err: dict[str, np.ndarray] = {}  # a student's worst error in each value they wrote down
    world = {s.name: np.asarray(s.value) for s in batch_steps(trace, epoch, batch)}
    for s in batch_steps(trace, epoch, batch):
        x = _operands(s, world)
        carried = np.zeros(s.value.shape)
        if recompute(trace, s, x) is not None:
            e_ops = {k: err[k] for k in x if k in err and k != s.name}
            carried = np.broadcast_to(_propagated(trace, s, x, e_ops), s.value.shape).astype(np.float64)
        slack[s.name] = carried
        own = _unit_array(np.asarray(s.value), precision.carried()) / 2 if ops.get(s.op).asked else 0.0
        err[s.name] = carried + own
    per_trace[key] = slack
    return slack


def carried_values(trace: Trace, epoch: int, batch: int,
                   student: Mapping[tuple[str, tuple[int, ...]], float]) -> dict[str, np.ndarray]:
    """Each step's value recomputed from the student's own earlier answers: the steps in order,
    each from the operands so far, then the student's answers for it put in place (so the step
    after it uses them). The value for a step is before its own answers are put in."""
    world: dict[str, np.ndarray] = {}
    out: dict[str, np.ndarray] = {}
    for s in batch_steps(trace, epoch, batch):
        value = recompute(trace, s, _operands(s, world))
        value = np.array(s.value if value is None else value, dtype=np.float64)
        out[s.name] = value.copy()
        for (name, idx), v in student.items():
            if name == s.name:
                value[idx] = v
        world[s.name] = value
    return out
