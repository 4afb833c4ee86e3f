"""Explain a step: the rule in the tutorial's notation, and for each element the same formula
with the numbers substituted, as the tutorial writes its exercise:

    z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = 4.3000

What each kind of step says comes from its descriptor (``bpstep/ops.py``). Plain text only; shared
by the TUI, the CLI, answer checking and export.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from itertools import product

from bpstep import ops
from bpstep.format import DEFAULT_PRECISION
from bpstep.formulas.base import MAX_TERMS, Element, Namer, sym, value_text
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

__all__ = ["MAX_TERMS", "Element", "Explanation", "Namer", "explain", "step_label", "step_value_text",
           "sym", "value_text"]


@dataclass(frozen=True)
class Explanation:
    title: str  # "Z2 = h1, h2: forward, sigmoid of layer 1"
    rule: str  # "Z⁽²⁾ = σ(Z⁽¹⁾)"
    elements: tuple[Element, ...]
    note: str = ""
    elided: int = 0  # elements not listed (wide layers)
    # Sub-steps to step into when they are not the elements (a graph node's gates); else ().
    # ``elements`` stay one per value element: grading reads the value's formula there.
    parts: tuple[Element, ...] = ()


def step_label(trace: Trace, step: Step, limit: int = 4) -> str:
    """``Z2 (h1, h2)`` when the step's elements have display names, else the step's name."""
    namer = Namer(trace)
    v = step.value
    if v.ndim == 0:
        label = namer(step.name, ())
        return step.name if label == step.name else f"{step.name} ({label})"
    labels = []
    for idx in _indices(v.shape):
        if len(labels) >= limit:
            labels.append("…")
            break
        label = namer(step.name, idx)
        if label.startswith(step.name + "["):
            return step.name
        labels.append(label)
    if labels == [step.name]:  # dE/db1 whose display name is b1: no "dE/db1 (dE/db1)"
        return step.name
    return f"{step.name} ({', '.join(labels)})"


def _indices(shape: tuple[int, ...]):  # noqa: ANN202 (an iterator of index tuples)
    """Every index of an array of ``shape`` in C order, as ``np.ndindex`` gives them (without
    numpy: the TUI's first frame imports this module before numpy is loaded)."""
    return product(*(range(n) for n in shape))


def step_value_text(step: Step, x: float, precision: int = DEFAULT_PRECISION) -> str:
    """One element of ``step``'s value as the views write it (a count as a whole number)."""
    return value_text(x, precision, ops.get(step.op).integer)


def explain(
    trace: Trace, step: Step, precision: int = DEFAULT_PRECISION, max_elements: int = 64
) -> Explanation:
    """The rule and the substituted formula for each element of ``step`` (up to
    ``max_elements``; the rest are counted in ``elided``)."""
    op = ops.get(step.op)
    namer = Namer(trace)
    rule, note = op.rule(trace, step)
    note = step.note or note
    title = f"{step_label(trace, step)}: {step.phase}"
    elements: list[Element] = []
    for count, idx in enumerate(_indices(step.value.shape)):
        if count >= max_elements:
            break
        element = op.element(trace, step, idx, namer, precision)
        elements.append(dataclasses.replace(element, integer=True) if op.integer else element)
    parts = op.parts(trace, step, namer, precision) if op.parts is not None else ()
    return Explanation(title, rule, tuple(elements), note, max(0, step.value.size - len(elements)), parts)
