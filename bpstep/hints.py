"""Convention hints: for a wrong answer, the common conventions and slips whose value it matches.

Every op gets the sign-error hint; beyond it, each op's descriptor (``bpstep.ops``) names the hint
families that apply to it (``Op.hints``), and ``FAMILIES`` maps each family name to the function
that lists its alternatives. A new op picks its hints by naming families; no table here lists ops.
An activation gets the "derivative taken with the pre-activation" slip from its catalog entry
(``slip_with_input`` / ``derivative_of_output``), not from its name. Plain text only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bpstep import catalog, names, ops
from bpstep.engine.activations import get_activation
from bpstep.explain import Element, Namer
from bpstep.format import DEFAULT_PRECISION, num, operand
from bpstep.grading import Tolerance, allowed_error, is_correct
from bpstep.names import OpId
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

__all__ = ["FAMILIES", "Alt", "Ctx", "alternatives", "convention_hints"]


@dataclass
class Alt:
    value: float
    message: str


@dataclass
class Ctx:
    trace: Trace
    step: Step
    index: tuple[int, ...]
    p: int
    element: Element | None
    namer: Namer = field(init=False)

    def __post_init__(self) -> None:
        self.namer = Namer(self.trace)

    def at(self, name: str) -> Step:
        return self.trace.step(name, self.step.epoch, self.step.batch)

    def label(self, name: str, index: tuple[int, ...]) -> str:
        return self.namer(name, index)

    @property
    def own_label(self) -> str:
        return self.label(self.step.name, self.index)


def convention_hints(trace: Trace, step: Step, index: tuple[int, ...], answer_text: str,
                     tolerance: Tolerance | None = None, precision: int = DEFAULT_PRECISION,
                     element: Element | None = None) -> tuple[str, ...]:
    """Why a wrong answer may be wrong: each common convention or slip whose value the answer
    matches (under the same grading rule), plus, for a shared bias, what its gradient sums."""
    ctx = Ctx(trace, step, index, precision, element)
    expected = float(step.value[index])
    hints: list[str] = []
    for alt in alternatives(ctx):
        # Conventions are recognised at the answer's written precision, whatever the grading
        # tolerance: 0.0008 for ∂E/∂b1 is the tutorial's sum with or without --tolerance. An
        # alternative indistinguishable from the right value at that precision explains nothing.
        close = abs(alt.value - expected) <= allowed_error(answer_text)
        if not math.isfinite(alt.value) or close:
            continue
        if is_correct(answer_text, alt.value) and alt.message not in hints:
            hints.append(alt.message)
    if _shared_bias(ctx):
        note = _shared_bias_note(ctx)
        if not any(note in h for h in hints):
            hints.append(note)
    return tuple(hints)


def alternatives(c: Ctx) -> list[Alt]:
    """The sign error (every op), then the alternatives of each family the op's descriptor names."""
    v = float(c.step.value[c.index])
    label = c.own_label
    alts = [Alt(-v, f"sign error: {label} is {num(v, c.p)}; you have its negative")]
    for family in ops.get(c.step.op).hints:
        alts += FAMILIES[family](c)
    return alts


# --- the families ----------------------------------------------------------------------------------

def pre_activation(c: Ctx) -> list[Alt]:
    """The value before the activation given for the activation's output."""
    s, idx = c.step, c.index
    before = names.z(s.module - 1)
    z = float(s.inputs[before][idx])
    symbol = catalog.ACTIVATIONS[_act(c, s.module)].symbol
    return [Alt(z, f"that is {c.label(before, idx)} = {operand(z, c.p)}, the value before the "
                   f"activation; {c.own_label} = {symbol}(…) applies it")]


def loss_factor(c: Ctx) -> list[Alt]:
    """½Σ vs Σ (a factor 2) and mean vs sum over the batch (a factor N) for squared losses."""
    s = c.step
    loss = catalog.LOSSES[c.trace.scenario.network.loss]
    if loss.squared_prefix is None:
        return []
    # E, ∂E/∂W and the updates include the L2 term, which does not scale with the loss convention.
    if s.op in (OpId.LOSS, OpId.GRAD_W, OpId.UPDATE) and c.trace.scenario.training.l2:
        return []
    n = (s.inputs["T"] if s.op == OpId.LOSS else c.trace.step("E", s.epoch, s.batch).inputs["T"]).shape[0]
    half = loss.name.startswith("half")
    mean = loss.name.endswith("mse")
    label = c.own_label
    other = {"half_sse": "E = Σ(o − t)² (no ½), whose ∂E/∂o = 2(o − t)",
             "sse": "E = ½Σ(o − t)², whose ∂E/∂o = o − t",
             "half_mse": "E = (1/N)Σ(o − t)² (no ½), whose ∂E/∂o = (2/N)(o − t)",
             "mse": "E = (1/2N)Σ(o − t)², whose ∂E/∂o = (1/N)(o − t)"}[loss.name]
    out = [(2.0 if half else 0.5, f"off by a factor of {'2' if half else '½'}: that is {label} under the "
                                  f"other convention, {other}; this scenario's loss is {loss.rule}")]
    if n > 1:
        factor_n = float(n) if mean else 1.0 / n
        out.append((factor_n, f"off by a factor of {'' if mean else '1/'}{n} (the batch size): that is "
                              f"{label} with the loss {'summed' if mean else 'averaged'} over the batch; "
                              f"this scenario's loss is {loss.rule}"))
    v = float(s.value[c.index])
    alts = []
    for f, message in out:
        if s.op == OpId.UPDATE:  # the factor scales the gradient, not the parameter
            tr = c.trace.scenario.training
            if tr.momentum:
                continue
            before = float(s.inputs[s.name][c.index])
            g = float(s.inputs[names.grad(s.name)][c.index])
            alts.append(Alt(before - tr.learning_rate * f * g, message))
        else:
            alts.append(Alt(f * v, message))
    return alts


def activation_derivative(c: Ctx) -> list[Alt]:
    """A slip in δ = δ_next·f'(Z) for this element."""
    idx = c.index
    return _activation_slips(c, c.step.module, lambda d: float(d[idx]), c.own_label, idx)


def gradient(c: Ctx) -> list[Alt]:
    """A slip in δ_m (the activation derivative) carries into this layer's gradients."""
    s, idx = c.step, c.index
    m = _linear_module(c.trace, s.layer)
    if not (m < len(c.trace.modules) and c.trace.modules[m].kind == "activation"):
        return []
    is_weight = s.value.ndim == 2  # ∂E/∂W is (inputs × units); ∂E/∂b is (units,) or shared ()
    x = c.at(names.z(m - 1)).value

    def pick(d: np.ndarray) -> float:
        if is_weight:
            r, j = idx
            return float(x[:, r] @ d[:, j])
        return float(d.sum()) if not idx else float(d[:, idx[0]].sum())

    cell = (0, idx[1]) if is_weight else ((0, idx[0]) if idx else (0, 0))
    return _activation_slips(c, m, pick, c.own_label, cell)


def shared_bias(c: Ctx) -> list[Alt]:
    """A shared bias answered with one unit's term (or the tutorial's own-path sum), and a per-unit
    bias answered with the shared bias's sum."""
    s, idx = c.step, c.index
    m = _linear_module(c.trace, s.layer)
    d = c.at(names.delta(m)).value
    alts: list[Alt] = []
    if _shared_bias(c):
        note = _shared_bias_note(c)
        for j in range(d.shape[1]):
            term = float(d[:, j].sum())
            z = c.label(names.z(m), (0, j))
            alts.append(Alt(term, f"that is {z}'s term alone (∂E/∂{z} = {operand(term, c.p)}), a per-unit "
                                  f"bias gradient. {note}"))
        alts += _own_path_only(c, m, note)
    elif idx and d.shape[1] > 1:
        total = float(d.sum())
        alts.append(Alt(total, f"that is the gradient of one bias shared by every unit (the sum "
                               f"of all units' terms); this scenario gives each unit its own bias, "
                               f"so ∂E/∂{c.own_label} is unit {idx[0] + 1}'s term alone"))
    return alts


def update(c: Ctx) -> list[Alt]:
    """The parameter before the update, the gradient itself, or a step the wrong way. (For a frozen
    parameter each of these equals the right value, so none is ever shown.)"""
    s, idx = c.step, c.index
    label = c.own_label
    before = float(s.inputs[s.name][idx])
    g = float(s.inputs[names.grad(s.name)][idx])
    step_taken = float(s.value[idx]) - before
    return [
        Alt(before, f"that is {label} before the update ({operand(before, c.p)}); {label} names "
                    f"the value after it"),
        Alt(g, f"that is the gradient ∂E/∂{label}; {label} names the parameter after the update"),
        Alt(before - step_taken, f"the update went the wrong way: {label} := {label} − η·∂E/∂"
                                 f"{label} steps against the gradient"),
    ]


# Keyed by exactly the names ops.Op.hints uses (a test checks every one exists).
FAMILIES: dict[str, Callable[[Ctx], list[Alt]]] = {
    "pre_activation": pre_activation,
    "loss_factor": loss_factor,
    "activation_derivative": activation_derivative,
    "gradient": gradient,
    "shared_bias": shared_bias,
    "update": update,
}
FAMILIES.update(__import__("bpstep.hints_conventions", fromlist=["FAMILIES"]).FAMILIES)  # issue 16


# --- helpers ---------------------------------------------------------------------------------------

def _act(c: Ctx, module: int) -> str:
    return c.trace.modules[module - 1].activation


def _unwrap(text: str) -> str:
    """``(1 − a²)`` → ``1 − a²``: a derivative template's outer parentheses, for prose."""
    if text.startswith("(") and text.endswith(")") and "(" not in text[1:-1] and ")" not in text[1:-1]:
        return text[1:-1]
    return text


def _activation_slips(c: Ctx, m: int, pick: Callable[[np.ndarray], float], label: str,
                      cell: tuple[int, ...]) -> list[Alt]:
    """δ_m = δ_(m+1)·f'(Z_m) with Z_(m+1) = f(Z_m): the derivative evaluated at the
    pre-activation (z(1 − z) for σ, 1 − z² for tanh) or left out. ``cell`` is the (sample, unit)
    of Z/δ the element is about."""
    name = _act(c, m + 1)
    info = catalog.ACTIVATIONS[name]
    d_next = c.at(names.delta(m + 1)).value
    z = c.at(names.z(m)).value
    out = []
    if info.slip_with_input and info.derivative_of_output:
        # f' written with the output a, evaluated with z in place of a: df(z, a=z).
        wrong = get_activation(name).df(z, z)
        out.append((d_next * wrong, f"the derivative taken with the pre-activation: {info.slip_with_input} "
                                    f"with z = {c.label(names.z(m), cell)} instead of {info.derivative_rule} "
                                    f"= {_unwrap(info.derivative_of_output.format(a='a'))} with the "
                                    f"activation a = {c.label(names.z(m + 1), cell)}"))
    if name != "identity":  # id' = 1: leaving it out changes nothing
        out.append((d_next, f"the activation's derivative is missing: {info.derivative_rule} must "
                            f"multiply ∂E/∂{c.label(names.z(m + 1), cell)}"))
    return [Alt(pick(wrong_delta), f"{message} (which gives {label} = {operand(pick(wrong_delta), c.p)})")
            for wrong_delta, message in out]


def _linear_module(trace: Trace, layer: int) -> int:
    return next(m.index for m in trace.modules if m.kind == "linear" and m.layer == layer)


def _own_path_only(c: Ctx, m: int, note: str) -> list[Alt]:
    """The tutorial's own ∂E/∂b1: Σⱼ ∂E/∂oⱼ·∂oⱼ/∂hⱼ·∂hⱼ/∂z_hⱼ follows each unit only to the next
    layer's unit with the same number and drops the cross paths."""
    modules = c.trace.modules
    a = m + 1 if m < len(modules) and modules[m].kind == "activation" else m  # the layer's output
    n = a + 1  # the next Linear
    if n > len(modules) or modules[n - 1].kind != "linear":
        return []
    k_next = modules[n - 1].layer
    W = c.at(names.z(n)).inputs[names.weight(k_next)]  # the weights the forward pass used
    if W.shape[0] != W.shape[1] or W.shape[0] < 2:
        return []
    q = n + 1 if n < len(modules) and modules[n].kind == "activation" else n  # the next output
    d_n = c.at(names.delta(n)).value
    deriv = np.ones_like(d_n)
    if a != m:
        deriv = get_activation(_act(c, a)).df(c.at(names.z(m)).value, c.at(names.z(a)).value)
    terms = d_n * np.diag(W)[None, :] * deriv
    value = float(terms.sum())
    lab = c.label
    units = W.shape[0]
    if d_n.shape[0] == 1 and units <= 4:
        sym_terms = []
        for j in range(units):
            o, h, z = lab(names.z(q), (0, j)), lab(names.z(a), (0, j)), lab(names.z(m), (0, j))
            path = [f"∂E/∂{o}", f"∂{o}/∂{h}"] + ([f"∂{h}/∂{z}"] if a != m else [])
            sym_terms.append("·".join(path))
        numbers = " + ".join(operand(float(t), c.p) for t in terms[0])
        expression = f"{' + '.join(sym_terms)} = {numbers} = {operand(value, c.p)}"
    else:
        expression = f"the sum over units j of each unit's own-numbered path = {operand(value, c.p)}"
    own = [lab(names.weight(k_next), (j, j)) for j in range(units)]
    cross = [lab(names.weight(k_next), (r, j)) for r in range(units) for j in range(units) if r != j]
    return [Alt(value, f"that matches {expression}: it follows each unit only to the next layer's "
                       f"unit with the same number (through {_names(own)}) and drops the paths through "
                       f"{_names(cross)}. {note}")]


def _names(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) > 4:
        items = items[:3] + ["…"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _shared_bias(c: Ctx) -> bool:
    """One bias for the whole layer (a 0-d gradient) over more than one unit."""
    s = c.step
    if "shared_bias" not in ops.get(s.op).hints or s.value.ndim != 0:
        return False
    return c.at(names.delta(_linear_module(c.trace, s.layer))).value.shape[1] > 1


def _shared_bias_note(c: Ctx) -> str:
    k = c.step.layer
    units = c.at(names.delta(_linear_module(c.trace, k))).value.shape[1]
    kind = "output" if k == len(c.trace.scenario.network.layers) else "hidden"
    both = "both" if units == 2 else f"all {units}"
    b = c.label(names.bias(k), ())
    text = (f"Shared bias: {b} is one bias shared by {both} {kind} units, so its gradient is the sum of "
            f"{both} {kind} units' terms")
    e = c.element
    if e is not None:
        text += f": {e.label} = {e.symbolic} = {e.substituted} = {num(e.value, c.p)}"
    return text + "."


FAMILIES.update(__import__("bpstep.hints_softmax", fromlist=["FAMILIES"]).FAMILIES)  # issue 15

from bpstep.hints_graph import FAMILIES as GRAPH_FAMILIES  # noqa: E402 (a graph's families; it reads Alt from here)

FAMILIES.update(GRAPH_FAMILIES)
