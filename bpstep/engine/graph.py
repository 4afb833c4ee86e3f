"""Forward values and reverse-mode derivatives through a computational graph.

The graph is a checked ``GraphSpec`` (bpstep.scenario.expr). Every node is evaluated gate by
gate (one operation each); every gate's local derivatives are computed with its value, from one
table (``GATES``) holding each operation's forward rule beside its backward rule, as in
micrograd's engine: a new operation is one entry there (and one in ``expr.FUNCTIONS``).

Values: each leaf is a number or a 1-D array of N samples (a batch); with a batch every value is
an N-vector (leaves given as one number are shared by every sample), else a 0-d array. All
arrays are float64 and read-only; nothing passed in is changed. The quantity trained is the
output averaged over the batch.

Conventions (the views show them as rules):
- A name used twice in one node (``x*x``, ``x*y + x``) gives one contribution per occurrence,
  each along its own path through the node's gates: ``x*x`` gives ``x`` twice, not ``2x`` once.
  Fan-out within a node and across nodes is then shown the same way, as a sum of paths.
- ``abs`` has derivative ``sign(a)``, 0 at 0; ``relu`` has 1 where a > 0, else 0 (0 at 0).
- ``max``/``min`` pass the derivative to the chosen argument; on a tie, to the first.
- ``x**c`` with ``c == 0`` has derivative 0 everywhere (also at 0).
- An infinite local derivative (``sqrt`` at 0, ``x**0.5`` at 0) is a ``NumericalError`` as soon
  as it is computed, as is an operand out of an operation's domain or an overflow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from bpstep.engine.activations import ACTIVATIONS
from bpstep.errors import NumericalError

if TYPE_CHECKING:
    from bpstep.scenario.expr import Gate, GraphSpec, Node, Operand

Args: TypeAlias = "tuple[np.ndarray, ...]"


@dataclass(frozen=True)
class GateRule:
    """One operation: ``forward(args, c)``; ``local(args, out, c)``, one ∂out/∂arg per argument
    (``out`` is the forward value, so σ and tanh reuse it); ``rules``, one human rule per
    argument; ``domain(args, c)`` → (mask of the samples out of the domain, what is wrong), or
    None. ``c`` is the exponent of ``pow`` (None for the others)."""

    op: str
    forward: Callable[[Args, Any], np.ndarray]
    local: Callable[[Args, np.ndarray, Any], Args]
    rules: tuple[str, ...]
    domain: Callable[[Args, Any], tuple[np.ndarray, str]] | None = None


def _ones(a: np.ndarray) -> np.ndarray:
    return np.ones_like(a)


def _pow_local(a: Args, out: np.ndarray, c: float) -> Args:
    if c == 0:  # x**0 is 1 everywhere: c·x**(c−1) would be 0·inf at 0
        return (np.zeros_like(a[0]),)
    return (c * np.power(a[0], c - 1.0),)


def _pow_domain(a: Args, c: float) -> tuple[np.ndarray, str]:
    if c < 0 and (a[0] == 0).any():
        return a[0] == 0, "0 to a negative power"
    return (a[0] < 0) & (not float(c).is_integer()), "a negative number to a non-integer power"


_sigmoid = ACTIVATIONS["sigmoid"].f  # evaluated without overflow for any argument

GATES: dict[str, GateRule] = {
    g.op: g
    for g in (
        GateRule("+", lambda a, c: a[0] + a[1], lambda a, o, c: (_ones(o), _ones(o)),
                 ("∂(a + b)/∂a = 1", "∂(a + b)/∂b = 1")),
        GateRule("-", lambda a, c: a[0] - a[1], lambda a, o, c: (_ones(o), -_ones(o)),
                 ("∂(a − b)/∂a = 1", "∂(a − b)/∂b = −1")),
        GateRule("*", lambda a, c: a[0] * a[1], lambda a, o, c: (a[1], a[0]),
                 ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a")),
        GateRule("/", lambda a, c: a[0] / a[1], lambda a, o, c: (1.0 / a[1], -a[0] / (a[1] * a[1])),
                 ("∂(a/b)/∂a = 1/b", "∂(a/b)/∂b = −a/b²"),
                 lambda a, c: (a[1] == 0, "division by zero")),
        GateRule("neg", lambda a, c: -a[0], lambda a, o, c: (-_ones(o),), ("∂(−a)/∂a = −1",)),
        GateRule("pos", lambda a, c: +a[0], lambda a, o, c: (_ones(o),), ("∂(+a)/∂a = 1",)),
        GateRule("id", lambda a, c: +a[0], lambda a, o, c: (_ones(o),), ("∂a/∂a = 1",)),
        GateRule("pow", lambda a, c: np.power(a[0], c), _pow_local, ("∂(aᶜ)/∂a = c·aᶜ⁻¹",), _pow_domain),
        GateRule("exp", lambda a, c: np.exp(a[0]), lambda a, o, c: (o,), ("∂eᵃ/∂a = eᵃ",)),
        GateRule("log", lambda a, c: np.log(a[0]), lambda a, o, c: (1.0 / a[0],), ("∂ln(a)/∂a = 1/a",),
                 lambda a, c: (a[0] <= 0, "log of a non-positive value")),
        GateRule("sqrt", lambda a, c: np.sqrt(a[0]), lambda a, o, c: (0.5 / o,), ("∂√a/∂a = 1/(2√a)",),
                 lambda a, c: (a[0] < 0, "sqrt of a negative value")),
        GateRule("abs", lambda a, c: np.abs(a[0]), lambda a, o, c: (np.sign(a[0]),),
                 ("∂|a|/∂a = sign(a) (0 at 0)",)),
        GateRule("sigmoid", lambda a, c: _sigmoid(a[0]), lambda a, o, c: (o * (1.0 - o),),
                 ("∂σ(a)/∂a = σ(a)(1 − σ(a))",)),
        GateRule("tanh", lambda a, c: np.tanh(a[0]), lambda a, o, c: (1.0 - o * o,),
                 ("∂tanh(a)/∂a = 1 − tanh²(a)",)),
        GateRule("relu", lambda a, c: np.maximum(a[0], 0.0), lambda a, o, c: ((a[0] > 0).astype(np.float64),),
                 ("∂relu(a)/∂a = 1 if a > 0 else 0",)),
        # Ties go to the first argument: exactly one of the two local derivatives is 1.
        GateRule("max", lambda a, c: np.maximum(a[0], a[1]),
                 lambda a, o, c: ((a[0] >= a[1]).astype(np.float64), (a[0] < a[1]).astype(np.float64)),
                 ("∂max(a, b)/∂a = 1 if a ≥ b else 0", "∂max(a, b)/∂b = 1 if b > a else 0")),
        GateRule("min", lambda a, c: np.minimum(a[0], a[1]),
                 lambda a, o, c: ((a[0] <= a[1]).astype(np.float64), (a[0] > a[1]).astype(np.float64)),
                 ("∂min(a, b)/∂a = 1 if a ≤ b else 0", "∂min(a, b)/∂b = 1 if b < a else 0")),
    )
}


# ---- results ---------------------------------------------------------------------------------
# Arrays are compared by value nowhere: eq=False keeps dataclass equality from comparing them.


@dataclass(frozen=True, eq=False)
class GateForward:
    """One gate evaluated: its operands' values, its value, ∂value/∂operand for each operand."""

    gate: Gate
    inputs: tuple[np.ndarray, ...]
    value: np.ndarray
    locals: tuple[np.ndarray, ...]

    @property
    def rules(self) -> tuple[str, ...]:
        return GATES[self.gate.op].rules


@dataclass(frozen=True, eq=False)
class NodeForward:
    node: Node
    value: np.ndarray
    gates: tuple[GateForward, ...]

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(frozen=True, eq=False)
class Forward:
    """Every value: ``values`` holds the leaves (in spec order) then the nodes (in order).

    ``batch`` is N when the leaves were given as N-vectors (every value is then an N-vector),
    else None (every value 0-d). ``shared`` are the leaves given as one number.
    """

    spec: GraphSpec
    values: dict[str, np.ndarray]
    nodes: tuple[NodeForward, ...]
    batch: int | None
    shared: frozenset[str]

    @property
    def output(self) -> np.ndarray:
        return self.values[self.spec.output]

    @property
    def loss(self) -> np.float64:
        """The output averaged over the batch (the output itself for one sample)."""
        return np.float64(np.mean(self.output))


@dataclass(frozen=True, eq=False)
class Contribution:
    """One path from ``name`` into the output through one occurrence of it in ``consumer``.

    ``value = upstream · local``: ``upstream`` is ∂output/∂consumer (the consumer's total),
    ``local`` is ∂consumer/∂(this occurrence), the product of the local derivatives of the gates
    on the path (gate ``gate`` takes it as operand ``operand``). ``occurrence`` counts the name's
    occurrences in the consumer from the left, from 0.
    """

    name: str
    consumer: str
    gate: int
    operand: int
    occurrence: int
    upstream: np.ndarray
    local: np.ndarray
    value: np.ndarray


@dataclass(frozen=True, eq=False)
class Backward:
    """Reverse mode from the output (per sample: ∂output_s/∂name_s).

    ``order``: the backward steps, the output's node first, then earlier nodes, then the leaves.
    ``totals[name]``: the total derivative; ``contributions[name]``: the paths whose values sum
    to it, by consumer in node order (empty for the output, whose total is 1, and for a value the
    output does not depend on, whose total is 0). ``gate_totals[node]``: ∂output/∂(each gate's
    value). ``gradients[leaf]``: for each leaf shared by the batch, the derivative of the batch
    mean, ``mean over samples of totals[leaf]`` (what training follows).
    """

    output: str
    order: tuple[str, ...]
    totals: dict[str, np.ndarray]
    contributions: dict[str, tuple[Contribution, ...]]
    gate_totals: dict[str, tuple[np.ndarray, ...]]
    gradients: dict[str, np.float64]


@dataclass(frozen=True, eq=False)
class Epoch:
    """One SGD step: the values and derivatives at ``before``, then ``after = before − η·grad``."""

    epoch: int  # from 1
    before: dict[str, np.float64]
    forward: Forward
    backward: Backward
    after: dict[str, np.float64]

    @property
    def loss(self) -> np.float64:
        return self.forward.loss


# ---- forward ---------------------------------------------------------------------------------


def _frozen(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=np.float64)  # a copy: the caller's arrays are never shared
    arr.setflags(write=False)
    return arr


def leaf_values(
    spec: GraphSpec, values: Mapping[str, Any] | None = None
) -> tuple[dict[str, np.ndarray], int | None, frozenset[str]]:
    """The leaves' arrays, the batch size (None without a batch) and the shared leaves.

    ``values`` overrides the spec's values by name: a number, or a 1-D sequence of samples (all
    of one length N ≥ 1). Raises ValueError for an unknown name, a bad shape or a non-finite value.
    """
    given = {**spec.inputs, **spec.parameters}
    for name, v in (values or {}).items():
        if name not in given:
            raise ValueError(f"'{name}' is not a leaf of the graph")
        given[name] = v
    arrays = {name: np.asarray(v, dtype=np.float64) for name, v in given.items()}
    lengths = {a.shape[0] for a in arrays.values() if a.ndim == 1}
    if any(a.ndim > 1 for a in arrays.values()) or len(lengths) > 1 or 0 in lengths:
        raise ValueError("each leaf must be a number or a 1-D array of one common length N ≥ 1, got "
                         + ", ".join(f"{n}: {a.shape}" for n, a in arrays.items()))
    if not all(np.isfinite(a).all() for a in arrays.values()):
        raise ValueError("leaf values must be finite")
    batch = lengths.pop() if lengths else None
    shared = frozenset(n for n, a in arrays.items() if a.ndim == 0)
    shape = () if batch is None else (batch,)
    return {n: _frozen(np.broadcast_to(a, shape)) for n, a in arrays.items()}, batch, shared


def _number(v: np.ndarray | float) -> str:
    return f"{float(v):.6g}"


def _fail(node: Node, gate: Gate, problem: str, args: Args, bad: np.ndarray) -> NumericalError:
    """The error for ``gate`` of ``node``, quoting both, with the first bad sample's operands."""
    bad = np.broadcast_to(bad, args[0].shape if args else ())
    k = int(np.flatnonzero(bad)[0]) if bad.ndim and bad.any() else None
    at = [a[k] if k is not None else a for a in args]
    operands = ", ".join(f"{t} = {_number(v)}" for t, v in zip(gate.operand_texts, at, strict=True)
                         if t != _number(v))  # "2 = 2" says nothing
    sample = f" (sample {k})" if k is not None else ""
    where = f"'{gate.text}'" + (f" with {operands}" if operands else "")
    return NumericalError(f"node '{node.name}' ('{node.text}'): {problem} in {where}{sample}")


def _operand(o: Operand, env: Mapping[str, np.ndarray], done: list[GateForward], shape: tuple) -> np.ndarray:
    if o.kind == "var":
        return env[o.name]
    if o.kind == "gate":
        return done[o.index].value
    return _frozen(np.full(shape, o.value))


def _eval_node(node: Node, env: Mapping[str, np.ndarray], shape: tuple) -> NodeForward:
    done: list[GateForward] = []
    for gate in node.gates:
        rule = GATES[gate.op]
        args = tuple(_operand(o, env, done, shape) for o in gate.operands)
        # Domain problems are reported by name before numpy turns them into nan or inf.
        with np.errstate(all="ignore"):
            if rule.domain is not None:
                bad, problem = rule.domain(args, gate.exponent)
                if np.any(bad):
                    raise _fail(node, gate, problem, args, bad)
            value = rule.forward(args, gate.exponent)
            if not np.isfinite(value).all():
                raise _fail(node, gate, "overflow (the value is not a finite number)", args,
                            ~np.isfinite(value))
            local = rule.local(args, value, gate.exponent)
            for d in local:
                if not np.isfinite(np.asarray(d)).all():
                    raise _fail(node, gate, "the local derivative is infinite", args,
                                ~np.isfinite(d))
        done.append(GateForward(gate, args, _frozen(value),
                                tuple(_frozen(np.broadcast_to(d, shape)) for d in local)))
    return NodeForward(node, done[-1].value, tuple(done))


def evaluate_node(node: Node, env: Mapping[str, np.ndarray], shape: tuple[int, ...] = ()) -> NodeForward:
    """One node gate by gate from ``env``, the values of the names it uses as ``forward``
    computed them (``shape``: the node value's, ``(N,)`` in a batch). The views use it to show
    a node's gates one at a time."""
    return _eval_node(node, env, shape)


def forward(spec: GraphSpec, values: Mapping[str, Any] | None = None) -> Forward:
    """Every node's value in order, gate by gate (see ``leaf_values`` for ``values``).

    Raises NumericalError naming the node and quoting it when an operand is outside its
    operation's domain (log of a value ≤ 0, sqrt of a negative value, division by zero, …), a
    value overflows, or a local derivative is infinite.
    """
    env, batch, shared = leaf_values(spec, values)
    shape = () if batch is None else (batch,)
    results = []
    for node in spec.nodes:
        result = _eval_node(node, env, shape)
        env[node.name] = result.value
        results.append(result)
    return Forward(spec, env, tuple(results), batch, shared)


# ---- backward --------------------------------------------------------------------------------


def _depends(spec: GraphSpec) -> set[str]:
    """The names the output depends on, itself included."""
    needed = {spec.output}
    for node in reversed(spec.nodes):
        if node.name in needed:
            needed.update(node.names)
    return needed


def backward(fwd: Forward) -> Backward:
    """Reverse mode from the output: every node's and leaf's total derivative with the paths
    that make it up (see ``Backward``). Raises NumericalError when a derivative overflows."""
    spec = fwd.spec
    shape = () if fwd.batch is None else (fwd.batch,)
    needed = _depends(spec)
    totals = {name: np.zeros(shape) for name in fwd.values}
    totals[spec.output] = np.ones(shape)  # ∂f/∂f = 1: the seed
    found: dict[str, list[Contribution]] = {name: [] for name in fwd.values}
    gate_totals: dict[str, tuple[np.ndarray, ...]] = {}
    for result in reversed(fwd.nodes):
        node = result.node
        if node.name not in needed:  # after the output, or beside it: nothing flows back
            gate_totals[node.name] = tuple(_frozen(np.zeros(shape)) for _ in result.gates)
            continue
        upstream = _frozen(totals[node.name])  # final: every consumer comes later in order
        # Within the node, each gate has one consumer (it is a tree): ∂node/∂gate is the product
        # of the local derivatives on the one path from the gate up to the node.
        path: list[np.ndarray | None] = [None] * len(result.gates)
        path[-1] = np.ones(shape)
        paths = []
        for g in reversed(result.gates):
            for k, o in enumerate(g.gate.operands):
                d = path[g.gate.index] * g.locals[k]
                if o.kind == "gate":
                    path[o.index] = d
                elif o.kind == "var":
                    paths.append((g.gate.index, k, o.name, d))
        paths.reverse()  # left to right, as written
        seen: dict[str, int] = {}
        for gate_index, k, name, local in paths:
            with np.errstate(all="ignore"):
                value = upstream * local
            if not np.isfinite(value).all():
                raise NumericalError(f"node '{node.name}' ('{node.text}'): the derivative "
                                     f"d{spec.output}/d{name} overflows")
            occurrence = seen[name] = seen.get(name, -1) + 1
            found[name].append(Contribution(name, node.name, gate_index, k, occurrence, upstream,
                                            _frozen(local), _frozen(value)))
            totals[name] = totals[name] + value
        gate_totals[node.name] = tuple(_frozen(upstream * p) for p in path)
    for name, total in totals.items():
        if not np.isfinite(total).all():
            raise NumericalError(f"the derivative d{spec.output}/d{name} overflows")
    order = (*(n.name for n in reversed(spec.nodes)), *spec.leaves)
    # The paths were found consumer by consumer from the output back: put them in node order.
    position = {n.name: i for i, n in enumerate(spec.nodes)}
    contributions = {
        name: tuple(sorted(cs, key=lambda c: (position[c.consumer], c.gate, c.occurrence)))
        for name, cs in found.items()
    }
    return Backward(
        output=spec.output,
        order=order,
        totals={n: _frozen(totals[n]) for n in order},
        contributions={n: contributions[n] for n in order},
        gate_totals={n.name: gate_totals[n.name] for n in spec.nodes},
        gradients={n: np.float64(np.mean(totals[n])) for n in spec.leaves if n in fwd.shared},
    )


def run(spec: GraphSpec, values: Mapping[str, Any] | None = None) -> tuple[Forward, Backward]:
    """``forward`` then ``backward``."""
    fwd = forward(spec, values)
    return fwd, backward(fwd)


# ---- training --------------------------------------------------------------------------------


def train(
    spec: GraphSpec, learning_rate: float, epochs: int, values: Mapping[str, Any] | None = None
) -> tuple[Epoch, ...]:
    """``epochs`` steps of gradient descent on the output (averaged over the batch):
    each parameter ``p ← p − η·dE/dp``, all from the same forward and backward pass.

    ``values`` gives the inputs (and may override the parameters' starting values); parameters
    must be single numbers. Raises NumericalError when a parameter stops being finite.
    """
    _, _, shared = leaf_values(spec, values)  # checks the values
    unshared = [p for p in spec.parameters if p not in shared]
    if unshared:
        raise ValueError(f"parameters must be single numbers, not one per sample: {', '.join(unshared)}")
    inputs = {**(values or {})}
    params = {p: np.float64(inputs.get(p, v)) for p, v in spec.parameters.items()}
    out = []
    for epoch in range(1, epochs + 1):
        fwd, bwd = run(spec, inputs | params)
        with np.errstate(all="ignore"):
            after = {p: np.float64(v - learning_rate * bwd.gradients[p]) for p, v in params.items()}
        bad = [p for p, v in after.items() if not np.isfinite(v)]
        if bad:
            raise NumericalError(f"epoch {epoch}: parameter '{bad[0]}' is no longer a finite number")
        out.append(Epoch(epoch, params, fwd, bwd, after))
        params = after
    return tuple(out)
