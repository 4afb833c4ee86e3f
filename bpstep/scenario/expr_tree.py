"""The expression tree of a computational graph's nodes (what ``bpstep.scenario.expr`` parses
node strings into), how to walk and render it, and its gates: ``gates(expr)`` splits an
expression into one operation each, in evaluation order, for stepping into a node. Frozen
dataclasses; no numpy, no engine."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, TypeAlias

# ---- the expression tree ---------------------------------------------------------------------
# ``kind`` tells the node types apart without importing them (the engine dispatches on it).


@dataclass(frozen=True)
class Num:
    """A number written in the expression (``2``, ``0.5``; ``-4`` is folded into one number)."""

    value: float
    kind: ClassVar[str] = "num"


@dataclass(frozen=True)
class Var:
    """A leaf (input or parameter) or an earlier node, by name."""

    name: str
    kind: ClassVar[str] = "var"


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    arg: Expr
    kind: ClassVar[str] = "unary"


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*" or "/"
    left: Expr
    right: Expr
    kind: ClassVar[str] = "binary"


@dataclass(frozen=True)
class Pow:
    """``base ** exponent``: the exponent is always a number (no gradient flows to it)."""

    base: Expr
    exponent: float
    kind: ClassVar[str] = "pow"


@dataclass(frozen=True)
class Call:
    func: str  # a key of FUNCTIONS
    args: tuple[Expr, ...]
    kind: ClassVar[str] = "call"


Expr: TypeAlias = "Num | Var | Unary | Binary | Pow | Call"


@dataclass(frozen=True)
class GateRef:
    """An operand that is the output of an earlier gate of the same node (by index)."""

    index: int
    kind: ClassVar[str] = "gate"


Operand: TypeAlias = "Num | Var | GateRef"


@dataclass(frozen=True)
class Gate:
    """One operation of a node.

    ``op`` is the engine's gate name: ``+ - * /``, ``neg`` and ``pos`` (unary minus and plus),
    ``pow`` (with ``exponent``), a function name, or ``id`` for a node that is a bare name or
    number (``v = u``). ``operands`` are leaves, numbers or earlier gates of the node; ``text``
    is the subexpression the gate computes and ``operand_texts`` its operands, as written.
    """

    index: int
    op: str
    operands: tuple[Operand, ...]
    expr: Expr
    text: str
    operand_texts: tuple[str, ...]
    exponent: float | None = None


@dataclass(frozen=True)
class Node:
    """``name = expr``; ``text`` is the node as written (stripped), for messages and views."""

    name: str
    expr: Expr
    text: str

    @cached_property
    def gates(self) -> tuple[Gate, ...]:
        return gates(self.expr)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every name used, once each, in order of first use."""
        return tuple(dict.fromkeys(names_in(self.expr)))


@dataclass(frozen=True)
class GraphSpec:
    """A checked graph: leaves with their given values, nodes in order, the output's name."""

    inputs: dict[str, float]
    parameters: dict[str, float]
    nodes: tuple[Node, ...]
    output: str

    @property
    def leaves(self) -> tuple[str, ...]:
        return (*self.inputs, *self.parameters)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


# ---- walking and rendering -------------------------------------------------------------------


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Unary):
        return (e.arg,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, Pow):
        return (e.base,)
    if isinstance(e, Call):
        return e.args
    return ()


def names_in(e: Expr) -> list[str]:
    """Every name occurrence, left to right (``x*x`` gives ``["x", "x"]``)."""
    if isinstance(e, Var):
        return [e.name]
    return [n for c in children(e) for n in names_in(c)]


# Precedence for rendering: a child is parenthesised when it binds less tightly than its place.
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}
_UNARY, _POW, _ATOM = 3, 4, 5


def _number_text(value: float) -> str:
    # Whole numbers without ".0"; -0.0 keeps its sign (str(int(-0.0)) would drop it).
    if value.is_integer() and abs(value) < 1e16 and repr(value) != "-0.0":
        return str(int(value))
    return repr(value)


def _prec(e: Expr) -> int:
    if isinstance(e, Binary):
        return _PREC[e.op]
    if isinstance(e, Unary) or (isinstance(e, Num) and math.copysign(1.0, e.value) < 0):
        return _UNARY
    if isinstance(e, Pow):
        return _POW
    return _ATOM


def render(e: Expr) -> str:
    """``e`` as text that parses back into the same tree (``w1*x + b1``, ``(a + b)*c``)."""
    if isinstance(e, Num):
        return _number_text(e.value)
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Call):
        return f"{e.func}({', '.join(render(a) for a in e.args)})"

    def wrap(child: Expr, least: int) -> str:
        text = render(child)
        return f"({text})" if _prec(child) < least else text

    if isinstance(e, Unary):
        return e.op + wrap(e.arg, _UNARY)
    if isinstance(e, Pow):
        # Python: -x**2 is -(x**2), so a negative base needs parentheses; x**-2 needs none.
        return f"{wrap(e.base, _ATOM)}**{_number_text(e.exponent)}"
    p = _PREC[e.op]
    # The right operand at equal precedence is parenthesised (a - (b - c)), so the tree is kept.
    sep = " " if p == 1 else ""
    return f"{wrap(e.left, p)}{sep}{e.op}{sep}{wrap(e.right, p + 1)}"


def gates(expr: Expr) -> tuple[Gate, ...]:
    """The gates of ``expr`` in evaluation order (operands left to right, then the operation).

    ``u = w1*x + b1`` → gate 0 ``w1*x`` (``*`` of ``w1``, ``x``), gate 1 ``w1*x + b1`` (``+`` of
    gate 0 and ``b1``). A bare name or number is one ``id`` gate. The last gate is the node.
    """
    out: list[Gate] = []

    def operand(e: Expr) -> Operand:
        if isinstance(e, Num | Var):
            return e
        return GateRef(visit(e))

    def visit(e: Expr) -> int:
        if isinstance(e, Unary):
            ops, op, exponent = (operand(e.arg),), ("neg" if e.op == "-" else "pos"), None
        elif isinstance(e, Binary):
            ops, op, exponent = (operand(e.left), operand(e.right)), e.op, None
        elif isinstance(e, Pow):
            ops, op, exponent = (operand(e.base),), "pow", e.exponent
        elif isinstance(e, Call):
            ops, op, exponent = tuple(operand(a) for a in e.args), e.func, None
        else:
            ops, op, exponent = (e,), "id", None
        out.append(Gate(len(out), op, ops, e, render(e), tuple(render(c) for c in children(e) or (e,)),
                        exponent))
        return len(out) - 1

    visit(expr)
    return tuple(out)
