"""Rules and substituted formulas of a computational graph's steps (bpstep/engine/graph_runner.py),
in CS231n's style:

    q = x + y = −2 + 5 = 3.0000
    ∂f/∂x = ∂f/∂q·∂q/∂x = (−4)·1 = −4.0000
    ∂f/∂x = ∂f/∂q·∂q/∂x + ∂f/∂f·∂f/∂x = 1·5 + 1·1 = 6.0000        (fan-out: every path added)
    w1 := w1 − η·∂E/∂w1 = 0.3 − 0.1·0.0436 = 0.2956

A node's gates, one ``GateElement`` each with its local derivatives, are the parts a view steps
through (``gate_parts``). Numbers come from the step's operands; a node's gates are evaluated
again from them by the engine's own gate table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bpstep import names
from bpstep.format import DEFAULT_PRECISION, operand, signed, term
from bpstep.formulas.base import Element, Namer, prod, sum_text, value_text
from bpstep.scenario.expr import Binary, Call, Expr, Gate, GateRef, Node, Num, Pow, Unary, Var
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

if TYPE_CHECKING:  # numpy and the engine are imported when a graph is explained, not before
    import numpy as np

    from bpstep.engine import graph as G

# Gates stepped into for at most this many samples of a batch.
PART_SAMPLES = 4

# --- writing expressions ------------------------------------------------------------------------

_SHOWN_OP = {"+": " + ", "-": " − ", "*": "·", "/": "/"}
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}
_UNARY, _POW, _ATOM = 3, 4, 5
_FUNCTION = {"sigmoid": "σ", "log": "ln"}  # log is the natural logarithm
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

Leaf = Callable[[str, bool], str]  # a name, and whether it stands first → its text


def _prec(e: Expr) -> int:
    if isinstance(e, Binary):
        return _PREC[e.op]
    if isinstance(e, Unary) or (isinstance(e, Num) and e.value < 0):
        return _UNARY
    return _POW if isinstance(e, Pow) else _ATOM


def power(c: float) -> str:
    """An exponent: ``²``, ``⁻¹``; a fraction as ``^0.5``."""
    if float(c).is_integer() and abs(c) < 1e6:
        return str(int(c)).translate(_SUP)
    return f"^{operand(c, 6)}"


def show(e: Expr, leaf: Leaf, first: bool = True) -> str:
    """``e`` in the formulas' notation (``·``, ``−``, ``²``, ``σ``), each name written by ``leaf``
    (the name itself, or its number). ``first``: the text stands first, so a negative number
    needs no parentheses (``−2 + 5``, but ``3·(−4)``)."""
    if isinstance(e, Num):
        return signed(operand(e.value, 8)) if first else term(e.value, 8)
    if isinstance(e, Var):
        return leaf(e.name, first)
    if isinstance(e, Call):
        args = ", ".join(show(a, leaf) for a in e.args)
        return f"|{args}|" if e.func == "abs" else f"{_FUNCTION.get(e.func, e.func)}({args})"

    def wrap(child: Expr, least: int, first_here: bool) -> str:
        if _prec(child) < least:
            return f"({show(child, leaf)})"
        return show(child, leaf, first_here)

    if isinstance(e, Unary):
        return ("−" if e.op == "-" else "+") + wrap(e.arg, _POW, False)
    if isinstance(e, Pow):
        return wrap(e.base, _ATOM, False) + power(e.exponent)
    p = _PREC[e.op]
    return wrap(e.left, p, first) + _SHOWN_OP[e.op] + wrap(e.right, p + 1, False)


def symbols(name: str, first: bool) -> str:
    return name


def numbers(values: dict[str, float], p: int) -> Leaf:
    return lambda name, first: signed(operand(values[name], p)) if first else term(values[name], p)


def _at(a: np.ndarray, idx: tuple[int, ...]) -> float:
    return float(a[idx]) if a.ndim else float(a)


def _label(text: str, idx: tuple[int, ...]) -> str:
    return text + (f"[{','.join(map(str, idx))}]" if idx else "")


def d(of: str, by: str) -> str:
    """``∂f/∂x``; a compound text in parentheses (``∂(w1·x)/∂w1``)."""
    def wrap(t: str) -> str:
        return f"({t})" if any(c in t for c in " ·/−+|") else t
    return f"∂{wrap(of)}/∂{wrap(by)}"


# --- forward: a node, and its gates ---------------------------------------------------------------

def _node(t: Trace, s: Step) -> Node:
    graph = t.scenario.graph
    assert graph is not None
    return graph.node(s.name)


def rule_node(t: Trace, s: Step) -> tuple[str, str]:
    node = _node(t, s)
    n = len(node.gates)
    note = f"{n} operations: step into it to see each gate with its local derivatives" if n > 1 else ""
    return f"{node.name} = {show(node.expr, symbols)}", note


def el_node(t: Trace, s: Step, idx: tuple[int, ...], namer: Namer, p: int) -> Element:
    node = _node(t, s)
    values = {k: _at(v, idx) for k, v in s.inputs.items()}
    return Element(idx, _label(node.name, idx), show(node.expr, symbols), show(node.expr, numbers(values, p)),
                   _at(s.value, idx))


@dataclass(frozen=True)
class GateElement(Element):
    """One gate of a node with its value and its local derivatives (``locals``), on one line."""

    locals: tuple[Element, ...] = ()

    def text(self, precision: int = DEFAULT_PRECISION) -> str:
        own = super().text(precision)
        if not self.locals:
            return own
        return own + "; local: " + ", ".join(e.text(precision) for e in self.locals)


# The local derivative of each gate by operand, in the operands' texts: {a}, {b} (in parentheses
# when compound), {A} (bare, inside a function's parentheses), {c} (the exponent).
_LOCAL: dict[str, tuple[str, ...]] = {
    "+": ("1", "1"), "-": ("1", "−1"), "*": ("{b}", "{a}"), "/": ("1/{b}", "−{a}/{b}²"),
    "neg": ("−1",), "pos": ("1",), "id": ("1",), "pow": ("{c}·{a}{c1}",),
    "exp": ("exp({A})",), "log": ("1/{a}",), "sqrt": ("1/(2·√{a})",), "abs": ("sign({A})",),
    "sigmoid": ("σ({A})·(1 − σ({A}))",), "tanh": ("1 − tanh({A})²",), "relu": ("[{A} > 0]",),
    "max": ("[{A} ≥ {B}]", "[{B} > {A}]"), "min": ("[{A} ≤ {B}]", "[{B} < {A}]"),
}
# With numbers, a few read better through the gate's output {o}: σ' = o·(1 − o).
_LOCAL_NUMBERS: dict[str, tuple[str, ...]] = {
    "exp": ("{o}",), "sqrt": ("1/(2·{o})",), "sigmoid": ("{o}·(1 − {o})",), "tanh": ("1 − {o}²",),
}


def _fill(template: str, texts: list[str], bare: list[str], c: float | None, out: str) -> str:
    fields = {"a": texts[0], "A": bare[0], "o": out}
    if len(texts) > 1:
        fields |= {"b": texts[1], "B": bare[1]}
    if c is not None:
        fields["c"] = operand(c, 8)
        fields["c1"] = "" if c - 1 == 1 else power(c - 1)
    return template.format(**fields)


def gate_element(node: Node, g: G.GateForward, idx: tuple[int, ...], p: int) -> GateElement:
    """Gate ``g`` of ``node`` at sample ``idx``: its formula with the operands' numbers, and
    ∂gate/∂operand for each operand that is a name or an earlier gate."""
    gate: Gate = g.gate
    last = gate.index == len(node.gates) - 1
    symbolic = show(gate.expr, symbols)
    label = _label(node.name if last else symbolic, idx)
    vals = [_at(v, idx) for v in g.inputs]
    out = _at(g.value, idx)
    op_texts = [show(node.gates[o.index].expr if isinstance(o, GateRef) else o, symbols)
                for o in gate.operands]
    wrapped = [f"({t})" if any(ch in t for ch in " ·/−+") else t for t in op_texts]
    numbers_ = [term(v, p) for v in vals]
    bare_numbers = [signed(operand(v, p)) for v in vals]
    substituted = _gate_numbers(gate, numbers_, bare_numbers)
    locals_: list[Element] = []
    for k, o in enumerate(gate.operands):
        if o.kind == "num":
            continue
        templates = _LOCAL[gate.op]
        sym = _fill(templates[k], wrapped, op_texts, gate.exponent, symbolic)
        template = _LOCAL_NUMBERS.get(gate.op, templates)[k]
        alone = template in ("{a}", "{b}")  # one number: no parentheses (x = −2, not (−2))
        with_numbers = _fill(template, bare_numbers if alone else numbers_, bare_numbers,
                             gate.exponent, term(out, p))
        locals_.append(Element(idx, d(node.name if last else symbolic, op_texts[k]), sym, with_numbers,
                               _at(g.locals[k], idx)))
    return GateElement(idx, label, symbolic, substituted, out, locals=tuple(locals_))


def _gate_numbers(gate: Gate, numbers_: list[str], bare: list[str]) -> str:
    op = gate.op
    if op in _SHOWN_OP:
        return bare[0] + _SHOWN_OP[op] + numbers_[1]
    if op == "neg":
        return "−" + numbers_[0]
    if op in ("pos", "id"):
        return bare[0]
    if op == "pow":
        return numbers_[0] + power(gate.exponent or 0.0)
    if op == "abs":
        return f"|{bare[0]}|"
    return f"{_FUNCTION.get(op, op)}({', '.join(bare)})"


def gate_parts(t: Trace, s: Step, namer: Namer, p: int) -> tuple[Element, ...]:
    """A node's gates, one at a time (for the first ``PART_SAMPLES`` samples of a batch)."""
    from bpstep.engine.graph import evaluate_node  # the engine's own gate table

    node = _node(t, s)
    result = evaluate_node(node, dict(s.inputs), s.value.shape)
    samples = [()] if s.value.ndim == 0 else [(i,) for i in range(min(s.value.shape[0], PART_SAMPLES))]
    return tuple(gate_element(node, g, idx, p) for idx in samples for g in result.gates)


# --- backward: every path's term ------------------------------------------------------------------

def paths_of(t: Trace, s: Step) -> list[tuple[str, str, int | None]]:
    """(consumer, name, use) of each path in the step's operands, in order."""
    found = []
    for key in s.inputs:
        parsed = names.parse_graph_local(key)
        if parsed is not None:
            found.append(parsed)
    return found


def output_of(t: Trace) -> str:
    graph = t.scenario.graph
    assert graph is not None
    return graph.output


def by_name(t: Trace, s: Step) -> str:
    """The name a backward step differentiates by: ``df/dx`` → ``x``."""
    return names.graph_grad_of(output_of(t), s.name) or s.name


_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd"}


def _path_symbol(out: str, consumer: str, name: str, use: int | None) -> str:
    local = d(consumer, name) + (f" ({_ORDINAL.get(use, f'{use}th')} use)" if use else "")
    return f"{d(out, consumer)}·{local}"


def rule_grad(t: Trace, s: Step) -> tuple[str, str]:
    out, name = output_of(t), by_name(t, s)
    paths = paths_of(t, s)
    if not paths:
        return f"{d(out, name)} = 0", f"{out} does not depend on {name}"
    rule = f"{d(out, name)} = " + " + ".join(_path_symbol(out, c, n, u) for c, n, u in paths)
    note = "the chain rule: upstream derivative times local derivative"
    if len(paths) > 1:
        note = (f"{name} is used {len(paths)} times (fan-out): the chain rule adds every path's "
                "term, upstream derivative times local derivative")
    return rule, note


def el_grad(t: Trace, s: Step, idx: tuple[int, ...], namer: Namer, p: int) -> Element:
    out, name = output_of(t), by_name(t, s)
    paths = paths_of(t, s)
    label = _label(d(out, name), idx)
    value = _at(s.value, idx)
    if not paths:
        return Element(idx, label, "", "0", value)
    symbolic = " + ".join(_path_symbol(out, c, n, u) for c, n, u in paths)
    ups = [s.inputs[names.graph_grad(out, c)] for c, _, _ in paths]
    locals_ = [s.inputs[names.graph_local(c, n, u)] for c, n, u in paths]
    if s.value.ndim == 0 and ups[0].ndim == 1:  # a shared leaf: the mean over the batch
        n_samples = ups[0].shape[0]
        totals = [sum(float(u[k]) * float(lo[k]) for u, lo in zip(ups, locals_, strict=True))
                  for k in range(n_samples)]
        sums = sum_text([term(x, p) for x in totals])
        return Element(idx, label, f"(1/{n_samples})·Σₛ [{symbolic}]ₛ", f"(1/{n_samples})·({sums})", value)
    terms = [prod(term(_at(u, idx), p), term(_at(lo, idx), p)) for u, lo in zip(ups, locals_, strict=True)]
    return Element(idx, label, symbolic, sum_text(terms), value)


def rule_seed(t: Trace, s: Step) -> tuple[str, str]:
    out = output_of(t)
    return f"{d(out, out)} = 1", "the backward pass starts at the output with derivative 1"


def el_seed(t: Trace, s: Step, idx: tuple[int, ...], namer: Namer, p: int) -> Element:
    out = output_of(t)
    return Element(idx, _label(d(out, out), idx), "", "", _at(s.value, idx))


# --- training ------------------------------------------------------------------------------------

def rule_update(t: Trace, s: Step) -> tuple[str, str]:
    out, eta = output_of(t), t.scenario.training.learning_rate
    rule = f"{s.name} := {s.name} − η·{d(out, s.name)}   (η = {eta})"
    note = ""
    if t.scenario.data.samples > 1:
        note = f"{d(out, s.name)} is the derivative of {out} averaged over the batch"
    return rule, note


def el_update(t: Trace, s: Step, idx: tuple[int, ...], namer: Namer, p: int) -> Element:
    out, eta = output_of(t), t.scenario.training.learning_rate
    before = float(s.inputs[s.name])
    g = float(s.inputs[names.graph_grad(out, s.name)])
    return Element(idx, s.name, f"{s.name} − η·{d(out, s.name)}",
                   f"{signed(operand(before, p))} − {term(eta, 8)}·{term(g, p)}", float(s.value), True)


def rule_loss(t: Trace, s: Step) -> tuple[str, str]:
    out, n = output_of(t), t.scenario.data.samples
    when = ", before the epoch's update" if t.scenario.trains else ""
    if n == 1:
        return f"loss = {out}{when}", ""
    return f"loss = (1/N)·Σₛ {out}ₛ: {out} averaged over the batch's N = {n} samples", ""


def el_loss(t: Trace, s: Step, idx: tuple[int, ...], namer: Namer, p: int) -> Element:
    out = output_of(t)
    values = s.inputs[out]
    if values.ndim == 0:
        return Element(idx, "loss", out, value_text(float(values), p), float(s.value))
    return Element(idx, "loss", f"(1/{values.shape[0]})·Σₛ {out}ₛ",
                   f"(1/{values.shape[0]})·({sum_text([term(float(v), p) for v in values])})",
                   float(s.value))
