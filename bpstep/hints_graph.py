"""Convention hints for a computational graph's steps: the slips students make with the chain
rule on a circuit. ``bpstep.hints`` merges ``FAMILIES`` into its own, so an op's descriptor
(``bpstep.ops``) names these families like any other:

- ``fan_out``: a name used several times, answered with one path's term only (or all but one);
- ``local_only``: the local derivative alone, without the upstream factor;
- ``wrong_operand``: in a product a·b, ∂/∂a taken as a instead of b;
- ``graph_update``: the parameter before the update, the gradient itself, or a step the wrong way.

(The sign error applies to every op already.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from bpstep import names
from bpstep.errors import BpstepError
from bpstep.format import num, operand
from bpstep.formulas.graph import by_name, d, output_of, paths_of, show, symbols

if TYPE_CHECKING:
    from bpstep.hints import Alt, Ctx


def _alt(value: float, message: str) -> Alt:
    from bpstep.hints import Alt  # here: bpstep.hints imports this module at its end

    return Alt(value, message)


def _at(c: Ctx, a: np.ndarray) -> float:
    """An operand's number for the element answered: per sample, or (for a leaf shared by the
    batch, whose derivative is the mean) averaged."""
    if c.step.value.ndim == 0 and a.ndim == 1:
        return float(np.mean(a))
    return float(a[c.index]) if a.ndim else float(a)


def _terms(c: Ctx) -> list[tuple[str, float, float, float]]:
    """(consumer, upstream, local, term) of each path of a backward step, at the element answered."""
    out = output_of(c.trace)
    s = c.step
    found = []
    for consumer, name, use in paths_of(c.trace, s):
        up = s.inputs[names.graph_grad(out, consumer)]
        local = s.inputs[names.graph_local(consumer, name, use)]
        found.append((consumer, _at(c, up), _at(c, local), _at(c, up * local)))
    return found


def _label(c: Ctx) -> str:
    return d(output_of(c.trace), by_name(c.trace, c.step))


def _formula(c: Ctx) -> str:
    return f": {c.element.text(c.p)}" if c.element is not None else ""


def fan_out(c: Ctx) -> list[Alt]:
    """One path's term alone, or every path but one, for a name used several times."""
    terms = _terms(c)
    if len(terms) < 2:
        return []
    out, name = output_of(c.trace), by_name(c.trace, c.step)
    label = _label(c)
    why = (f"{name} is used {len(terms)} times (fan-out), so {label} adds every path's term"
           f"{_formula(c)}")
    alts = [_alt(t, f"that is only the path through {consumer} ({d(out, consumer)}·{d(consumer, name)} = "
                    f"{operand(t, c.p)}); {why}")
            for consumer, _, _, t in terms]
    if len(terms) > 2:
        total = sum(t for *_, t in terms)
        alts += [_alt(total - t, f"that leaves out the path through {consumer}; {why}")
                 for consumer, _, _, t in terms]
    return alts


def local_only(c: Ctx) -> list[Alt]:
    """The local derivative without the upstream factor (each path's, and their sum)."""
    terms = _terms(c)
    out, name = output_of(c.trace), by_name(c.trace, c.step)
    alts = [_alt(local, f"that is the local derivative {d(consumer, name)} = {operand(local, c.p)} alone; "
                        f"the chain rule multiplies it by the upstream derivative {d(out, consumer)} = "
                        f"{operand(up, c.p)}")
            for consumer, up, local, _ in terms if consumer != out]
    if len(terms) > 1:
        total = sum(local for _, _, local, _ in terms)
        alts.append(_alt(total, f"that is the local derivatives added without their upstream factors; "
                                f"each path's term is upstream × local{_formula(c)}"))
    return alts


def wrong_operand(c: Ctx) -> list[Alt]:
    """∂(a·b)/∂a taken as a (the variable itself) instead of b, in a product on one path."""
    from bpstep.engine.graph_runner import recompute  # the engine's gates, for the path's gate

    name = by_name(c.trace, c.step)
    try:
        fwd, bwd = recompute(c.trace, c.step.epoch)
    except BpstepError:  # the run diverged there: no hint
        return []
    nodes = {r.name: r for r in fwd.nodes}
    total = _at(c, c.step.value) if c.step.value.ndim == 0 else float(c.step.value[c.index])
    alts = []
    for path in bwd.contributions.get(name, ()):
        g = nodes[path.consumer].gates[path.gate]
        if g.gate.op != "*":
            continue
        above = bwd.gate_totals[path.consumer][path.gate]  # ∂output/∂(the product's value)
        wrong = total - _at(c, path.value) + _at(c, above * g.inputs[path.operand])
        other = show(g.gate.expr.right if path.operand == 0 else g.gate.expr.left, symbols)  # type: ignore[union-attr]
        product = show(g.gate.expr, symbols)
        alts.append(_alt(wrong, f"that takes the derivative of {product} with respect to {name} as {name} "
                                f"itself; ∂(a·b)/∂a = b: it is the other factor, {other}"))
    return alts


def graph_update(c: Ctx) -> list[Alt]:
    """The parameter before the update, the gradient itself, or a step the wrong way."""
    s = c.step
    out = output_of(c.trace)
    before = float(s.inputs[s.name])
    g = float(s.inputs[names.graph_grad(out, s.name)])
    step_taken = float(s.value) - before
    grad = d(out, s.name)
    return [
        _alt(before, f"that is {s.name} before the update ({num(before, c.p)}); {s.name} names the value "
                     "after it"),
        _alt(g, f"that is the gradient {grad}; {s.name} names the parameter after the update"),
        _alt(before - step_taken, f"the update went the wrong way: {s.name} := {s.name} − η·{grad} steps "
                                  "against the gradient"),
    ]


FAMILIES: dict[str, Callable[[Ctx], list[Alt]]] = {
    "fan_out": fan_out,
    "local_only": local_only,
    "wrong_operand": wrong_operand,
    "graph_update": graph_update,
}
