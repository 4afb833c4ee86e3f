"""Computational graphs: node strings (``"u = w1*x + b1"``) parsed into expression trees.

Each node is parsed with Python's ``ast`` and then checked against a strict whitelist: numbers,
names, ``+ - * /``, unary minus and plus, ``**`` with a number exponent, and calls to the
functions in ``FUNCTIONS``. Nothing is ever evaluated or compiled as code; anything else is a
``ScenarioError`` naming the dotted key path (``graph.nodes[1]``) and quoting the node.

``gates(expr)`` splits an expression into its gates (one operation each, in evaluation order),
for stepping into a node: ``u = w1*x + b1`` is the multiply ``w1*x`` and then the add. The
numbers (values, local derivatives) are the engine's (``bpstep.engine.graph``); this module
never imports numpy nor the engine.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from bpstep.errors import ScenarioError, suggest
from bpstep.scenario.expr_tree import (  # noqa: F401 - the tree is part of this module's API
    Binary,
    Call,
    Expr,
    Gate,
    GateRef,
    GraphSpec,
    Node,
    Num,
    Operand,
    Pow,
    Unary,
    Var,
    children,
    gates,
    names_in,
    render,
)
from bpstep.scenario.toml_reader import number, type_name

# The callable functions and how many arguments each takes. The engine's gate table
# (bpstep.engine.graph.GATES) has one entry per name; a test keeps the two in step.
FUNCTIONS: dict[str, int] = {
    "exp": 1, "log": 1, "sqrt": 1, "abs": 1, "sigmoid": 1, "tanh": 1, "relu": 1, "max": 2, "min": 2,
}
BINARY_OPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
# Refused before parsing (the text) and before converting (the tree's depth): Python's own
# parser and this module's recursive conversion must never run out of stack.
MAX_TEXT = 1000
MAX_DEPTH = 200  # a + b + … is nested too: 200 levels is ~100 terms
_ALLOWED = "allowed: numbers, names, + - * /, unary minus, ** with a number exponent, " + ", ".join(
    FUNCTIONS
)


# ---- parsing ---------------------------------------------------------------------------------


class _Refused(Exception):
    """Inside the conversion: ``message`` says what part of the node is not allowed."""


def _quote(text: str, limit: int = 80) -> str:
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _depth(tree: ast.AST) -> int:
    # Iterative: a tree too deep for recursion must still be measured.
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > MAX_DEPTH:
            break
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(node))
    return deepest


def _number_of(node: ast.AST) -> float | None:
    """The value of a number literal (optionally signed), else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if not isinstance(node, ast.Constant):
        return None
    v = node.value
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    try:
        value = float(v)
    except OverflowError:
        raise _Refused(f"the number {_quote(str(v), 30)} is too large") from None
    if not math.isfinite(value):
        raise _Refused("numbers must be finite")
    return sign * value


def _describe(node: ast.AST, source: str) -> str:
    segment = ast.get_source_segment(source, node) or type(node).__name__
    return _quote(segment, 40)


def _convert(node: ast.AST, source: str) -> Expr:
    if isinstance(node, ast.Constant):
        value = _number_of(node)
        if value is None:
            what = "a boolean" if isinstance(node.value, bool) else type_name(node.value)
            raise _Refused(f"{_describe(node, source)} is {what}, not a number")
        return Num(value)
    if isinstance(node, ast.Name):
        return Var(node.id)
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise _Refused(f"the operator in {_describe(node, source)} is not allowed ({_ALLOWED})")
        arg = _convert(node.operand, source)
        if isinstance(arg, Num):  # -4 is a number, not a gate applied to one
            return Num(-arg.value if isinstance(node.op, ast.USub) else arg.value)
        return Unary("-" if isinstance(node.op, ast.USub) else "+", arg)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            exponent = _number_of(node.right)
            if exponent is None:
                raise _Refused(f"the exponent in {_describe(node, source)} must be a number "
                               "(for a variable power b**x write exp(x*log(b)))")
            return Pow(_convert(node.left, source), exponent)
        op = BINARY_OPS.get(type(node.op))
        if op is None:
            raise _Refused(f"the operator in {_describe(node, source)} is not allowed ({_ALLOWED})")
        return Binary(op, _convert(node.left, source), _convert(node.right, source))
    if isinstance(node, ast.Call):
        func = node.func.id if isinstance(node.func, ast.Name) else None
        if func not in FUNCTIONS:
            called = func if func is not None else ast.get_source_segment(source, node.func) or "?"
            raise _Refused(f"unknown function {_quote(called, 30)} ({suggest(called, FUNCTIONS)})")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _Refused(f"{_describe(node, source)}: only plain arguments are allowed")
        want = FUNCTIONS[func]
        if len(node.args) != want:
            raise _Refused(f"{func}() takes {want} argument{'s' * (want != 1)}, got {len(node.args)}")
        return Call(func, tuple(_convert(a, source) for a in node.args))
    raise _Refused(f"{_describe(node, source)} is not allowed ({_ALLOWED})")


_NAME_AT_START = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)")


def parse_node(text: Any, source: str, key: str) -> Node:
    """One node string ``"name = expression"`` → ``Node``, or a ``ScenarioError`` at ``key``.

    Checks the syntax and the whitelist only; which names exist is ``parse_graph``'s concern.
    """
    if not isinstance(text, str):
        raise ScenarioError(source, key, f"must be a string like \"q = x + y\", got {type_name(text)}")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ScenarioError(source, key, f"{_quote(text)} is too long ({len(text)} characters; "
                                         f"at most {MAX_TEXT})")
    where = f"in {_quote(text)}: "
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about literals: not ours to print
            module = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        raise ScenarioError(source, key, f"{_quote(text)} is not of the form 'name = expression' "
                                         f"({_ALLOWED})") from None
    body = module.body
    if (len(body) != 1 or not isinstance(body[0], ast.Assign) or len(body[0].targets) != 1
            or not isinstance(body[0].targets[0], ast.Name)):
        raise ScenarioError(source, key, f"{_quote(text)} must be one assignment 'name = expression'")
    assign = body[0]
    name = assign.targets[0].id
    if _depth(assign.value) > MAX_DEPTH:
        raise ScenarioError(source, key, f"{where}nested too deeply (more than {MAX_DEPTH} levels of "
                                         "operations); split it into several nodes")
    try:
        expr = _convert(assign.value, text)
    except _Refused as exc:
        raise ScenarioError(source, key, where + str(exc)) from None
    except (RecursionError, MemoryError):
        raise ScenarioError(source, key, f"{where}nested too deeply") from None
    return Node(name, expr, text)


# Names the trace gives other values: a graph value named so could not be told apart.
RESERVED = {"loss": "the epoch's loss"}


def _check_leaf_name(name: str) -> str | None:
    if not name.isidentifier() or keyword.iskeyword(name):
        return f"'{name}' cannot be a name: use letters, digits and _ (w1, x0, b_out)"
    if unicodedata.normalize("NFKC", name) != name:
        # Python's parser normalises names, so this one could never be referred to as written.
        return f"'{name}' is not in Unicode normal form (write {unicodedata.normalize('NFKC', name)})"
    if name in FUNCTIONS:
        return f"'{name}' is a function name; choose another name"
    return _trace_name_problem(name)


def _trace_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a value in a trace, answer files and ``[expect]`` (which read
    ASCII names: ``dq/dx``, ``w1``), or None."""
    if not name.isascii():
        return f"'{name}' is not ASCII: use the letters a-z, A-Z, digits and _ (w1, x0, b_out)"
    if name in RESERVED:
        return f"'{name}' names {RESERVED[name]} in the trace; choose another name"
    return None


def parse_graph(
    inputs: Mapping[str, Any],
    parameters: Mapping[str, Any],
    nodes: Sequence[Any],
    output: Any,
    source: str,
    key: str = "graph",
) -> GraphSpec:
    """Check a whole graph and return it as a ``GraphSpec``.

    ``inputs`` and ``parameters`` map leaf names to their values (finite numbers); ``nodes`` are
    the node strings in order; ``output`` names the node (or leaf) that is differentiated. Every
    problem found is reported (``ScenarioError.collected``), each at its key path: unknown names
    (with a suggestion), a name used before its node, a redefined name, a node named like a
    function, an unknown output, no nodes.
    """
    problems: list[ScenarioError] = []

    def report(where: str, message: str) -> None:
        problems.append(ScenarioError(source, where, message))

    leaves: dict[str, dict[str, float]] = {"inputs": {}, "parameters": {}}
    for section, given in (("inputs", inputs), ("parameters", parameters)):
        if not isinstance(given, Mapping):
            report(f"{key}.{section}", f"must be a table like {{ x = 1.5 }}, got {type_name(given)}")
            continue
        for name, value in given.items():
            where = f"{key}.{section}.{name}"
            bad = _check_leaf_name(str(name))
            if bad:
                report(where, bad)
            elif section == "parameters" and name in leaves["inputs"]:
                report(where, f"'{name}' is already an input")
            try:
                leaves[section][name] = number(value, source, where)
            except ScenarioError as exc:
                problems.append(exc)
            except OverflowError:  # a whole number beyond any float
                report(where, "must be a finite number, got a whole number too large for a float")
    known_leaves = {**leaves["inputs"], **leaves["parameters"]}

    if not isinstance(nodes, Sequence) or isinstance(nodes, str):
        report(f"{key}.nodes", f"must be a list of strings like \"q = x + y\", got {type_name(nodes)}")
        nodes = []
    elif not nodes:
        report(f"{key}.nodes", "must list at least one node, like \"q = x + y\"")

    # First the names each node defines (also those of nodes that fail to parse, so that a
    # later node using one is not reported as well), then every use; each node's problems are
    # reported together, in node order.
    parsed: list[Node | None] = []
    defined_at: dict[str, int] = {}
    per_node: list[list[ScenarioError]] = [[] for _ in nodes]
    for i, raw in enumerate(nodes):
        where = f"{key}.nodes[{i}]"
        try:
            node: Node | None = parse_node(raw, source, where)
            name = node.name
        except ScenarioError as exc:
            per_node[i].append(exc)
            node = None
            m = _NAME_AT_START.match(raw) if isinstance(raw, str) else None
            name = m.group(1) if m else None
        parsed.append(node)
        if name is None:
            continue
        quoted = _quote(raw.strip())
        if name in FUNCTIONS:
            message = f"in {quoted}: '{name}' is a function name; choose another node name"
        elif _trace_name_problem(name):
            message = f"in {quoted}: {_trace_name_problem(name)}"
        elif name in known_leaves:
            section = "input" if name in leaves["inputs"] else "parameter"
            message = f"in {quoted}: '{name}' is already an {section}; a node needs a new name"
        elif name in defined_at:
            message = f"in {quoted}: '{name}' is already defined by {key}.nodes[{defined_at[name]}]"
        else:
            defined_at[name] = i
            continue
        per_node[i].append(ScenarioError(source, where, message))

    for i, node in enumerate(parsed):
        if node is None:
            continue
        where = f"{key}.nodes[{i}]"
        available = [*known_leaves, *(n for n, j in defined_at.items() if j < i)]
        for name in node.names:
            if name in known_leaves or defined_at.get(name, i) < i:
                continue
            quoted = _quote(node.text)
            if name in FUNCTIONS:
                message = f"in {quoted}: '{name}' is a function; call it as {name}(...)"
            elif name == node.name:
                message = f"in {quoted}: '{name}' is used in its own definition"
            elif name in defined_at:
                message = (f"in {quoted}: '{name}' is used before it is defined "
                           f"({key}.nodes[{defined_at[name]}]); list the nodes in order")
            else:
                message = f"in {quoted}: unknown name '{name}' ({suggest(name, available)})"
            per_node[i].append(ScenarioError(source, where, message))
    problems.extend(p for found in per_node for p in found)

    out_key = f"{key}.output"
    if not isinstance(output, str):
        report(out_key, f"must be a string naming a node, got {type_name(output)}")
    elif output not in defined_at and output not in known_leaves:
        report(out_key, f"unknown node '{output}' ({suggest(output, [*defined_at, *known_leaves])})")

    if problems:
        raise ScenarioError.collected(problems)
    return GraphSpec(
        inputs=leaves["inputs"], parameters=leaves["parameters"],
        nodes=tuple(n for n in parsed if n is not None), output=output,
    )
