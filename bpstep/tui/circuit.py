"""A computational graph drawn as a circuit in CS231n's style, without Textual: one wire per name
(the inputs and parameters, then each node in order), its value above and its gradient below once
the step that computes it has run, the node being computed highlighted, fan-out wires (a name used
by more than one node) marked. ``state_at`` reads the numbers at a cursor position, ``layout``
turns them into lines of (text, role) segments the circuit panel styles. numpy is not needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bpstep import names
from bpstep.format import num

if TYPE_CHECKING:
    from bpstep.scenario.expr import GraphSpec
    from bpstep.tracing import Step, Trace

# Segment roles (the panel maps them to styles).
NAME, VALUE, GRAD, WRITE, READ, DIM, FAN = "name", "value", "grad", "write", "read", "dim", "fan"
HIDDEN = "?"


@dataclass(frozen=True)
class Wire:
    """One name of the graph at a cursor position. ``value``/``grad`` are None until computed;
    ``after`` is a parameter's value after this epoch's update, once that step has run."""

    name: str
    label: str  # "q = x + y" for a node, "x" for a leaf
    kind: str  # "input", "parameter" or "node"
    consumers: tuple[str, ...]
    value: float | None = None
    grad: float | None = None
    after: float | None = None
    role: str = ""  # WRITE: being computed (its value, or at an update its new value); READ: an operand
    grad_role: str = ""  # WRITE: its gradient is being computed; READ: an upstream gradient used
    hide_value: bool = False  # asked in a quiz: "?" instead of the number
    hide_grad: bool = False

    @property
    def fan_out(self) -> bool:
        return len(self.consumers) > 1


@dataclass(frozen=True)
class Circuit:
    wires: tuple[Wire, ...]
    output: str
    sample: int  # the sample of a batch shown (0-based)
    samples: int  # how many (1 without [data] rows)


def _spec(trace: Trace) -> GraphSpec:
    graph = trace.scenario.graph
    assert graph is not None, "not a computational graph"
    return graph


def consumers(spec: GraphSpec) -> dict[str, tuple[str, ...]]:
    """Every name → the nodes that use it, in order."""
    used: dict[str, list[str]] = {n: [] for n in (*spec.leaves, *(node.name for node in spec.nodes))}
    for node in spec.nodes:
        for name in node.names:
            used.setdefault(name, []).append(node.name)
    return {k: tuple(v) for k, v in used.items()}


def labels(spec: GraphSpec) -> dict[str, str]:
    """``q = x + y`` (the formulas' notation: ``·``, ``−``, ``σ``) for each node, the name for a leaf."""
    from bpstep.formulas.graph import show, symbols

    out = {leaf: leaf for leaf in spec.leaves}
    for node in spec.nodes:
        out[node.name] = f"{node.name} = {show(node.expr, symbols)}"
    return out


def _at(value: object, sample: int) -> float:
    v = value  # a number, or one per sample of a batch
    if getattr(v, "ndim", 0):
        v = v[min(sample, v.shape[0] - 1)]  # type: ignore[index]
    return float(v)  # type: ignore[arg-type]


def _samples(step: Step | None) -> int:
    if step is None or not step.value.ndim:
        return 1
    return int(step.value.shape[0])


def state_at(trace: Trace, index: int, sample: int = 0, hidden: object = None) -> Circuit:
    """The circuit at step ``index``: the values and gradients of its epoch computed by then.
    ``hidden(step_index, flat)`` says whether an element is hidden by a quiz."""
    spec = _spec(trace)
    out = spec.output
    step = trace[index]
    epoch = step.epoch or max(1, trace.epochs_run)
    used = consumers(spec)
    texts = labels(spec)
    is_hidden = hidden if callable(hidden) else (lambda i, flat: False)

    def known(name: str) -> Step | None:
        s = trace.find(name, epoch, 1)
        return s if s is not None and s.index <= index else None

    # Each leaf's value: an operand of the first node that uses it (given, so shown from the start).
    leaf_values: dict[str, float] = {}
    n_samples = 1
    for node in spec.nodes:
        s = trace.find(node.name, epoch, 1)
        if s is None:
            break
        n_samples = max(n_samples, _samples(s))
        for name, v in s.inputs.items():
            if name in spec.leaves and name not in leaf_values:
                leaf_values[name] = _at(v, sample)
    for name, v in spec.inputs.items():
        leaf_values.setdefault(name, float(v))
    for name, v in spec.parameters.items():
        if name not in leaf_values:  # before the epoch's first node: the previous update, or given
            prev = trace.find(name, epoch - 1, 1) if epoch > 1 else None
            leaf_values[name] = float(prev.value) if prev is not None else float(v)
    sample = min(sample, n_samples - 1)

    # What the step at the cursor reads and writes.
    write_value = write_grad = ""
    read_values: set[str] = set()
    read_grads: set[str] = set()
    if step.phase == "forward" and step.name in texts:
        write_value = step.name
        read_values = set(step.inputs)
    elif step.phase == "backward" and names.graph_grad_of(out, step.name) is not None:
        write_grad = names.graph_grad_of(out, step.name) or ""
        read_grads = {g for k in step.inputs if (g := names.graph_grad_of(out, k)) is not None}
    elif step.phase == "update" and step.name in spec.parameters:
        write_value = step.name
        read_grads = {step.name}
    elif step.phase == "epoch":
        read_values = {out}

    wires = []
    for name in (*spec.inputs, *spec.parameters, *(node.name for node in spec.nodes)):
        kind = "input" if name in spec.inputs else "parameter" if name in spec.parameters else "node"
        value: float | None = leaf_values.get(name)
        hide_value = hide_grad = False
        if kind == "node":
            s = known(name)
            value = _at(s.value, sample) if s is not None else None
            hide_value = s is not None and bool(is_hidden(s.index, sample if s.value.ndim else 0))
        g = known(names.graph_grad(out, name))
        grad = _at(g.value, sample) if g is not None else None
        if g is not None:
            hide_grad = bool(is_hidden(g.index, sample if g.value.ndim else 0))
        after = None
        if kind == "parameter":
            u = known(name)
            if u is not None:
                after = float(u.value)
                hide_value = bool(is_hidden(u.index, 0))
        role = WRITE if name == write_value else READ if name in read_values else ""
        grad_role = WRITE if name == write_grad else READ if name in read_grads else ""
        wires.append(Wire(name, texts[name], kind, used.get(name, ()), value, grad, after, role,
                          grad_role, hide_value, hide_grad))
    return Circuit(tuple(wires), out, sample, n_samples)


# --- layout ----------------------------------------------------------------------------------------

Segment = tuple[str, str]  # (text, role)


def _value_text(w: Wire, p: int) -> str:
    if w.value is None:
        return "·"
    if w.after is not None:
        return f"{num(w.value, p)} → {HIDDEN if w.hide_value else num(w.after, p)}"
    return HIDDEN if w.hide_value else num(w.value, p)


def _grad_text(w: Wire, p: int) -> str:
    if w.grad is None:
        return ""
    return HIDDEN if w.hide_grad else num(w.grad, p)


def _target(w: Wire, output: str, long: bool = True) -> tuple[str, str]:
    """``▶ q`` / ``⇉ q, f`` (fan-out) / ``▶ output``: where the wire goes, and its role."""
    if not w.consumers:
        return ("▶ output" if w.name == output else "▶ (unused)"), DIM
    if w.fan_out:
        return f"⇉ {', '.join(w.consumers)} " + ("(fan-out: gradients add)" if long else "fan-out"), FAN
    return f"▶ {w.consumers[0]}", DIM


def layout(c: Circuit, width: int, height: int, precision: int) -> list[list[Segment]]:
    """The circuit as lines of segments, at most ``height`` lines of ``width`` columns: two lines
    per wire (the value on the wire, the gradient under it) when they fit, else one line each
    (value, then gradient); when even that does not fit, a window around the highlighted wire."""
    if not c.wires or width < 8 or height < 1:
        return []
    lines = _lines(c, width, height, precision, short=False)
    if max(sum(len(t) for t, _ in line) for line in lines) > width:
        lines = _lines(c, width, height, precision, short=True)
    return _window(lines, c, width, height)


def _lines(c: Circuit, width: int, height: int, precision: int, short: bool) -> list[list[Segment]]:
    label_w = min(max(len(w.label) for w in c.wires), max(4, width // 3))
    values = [_value_text(w, precision) for w in c.wires]
    value_w = max(len(v) for v in values)
    two = height >= 2 * len(c.wires)
    target_w = max(len(_target(w, c.output, two)[0]) for w in c.wires)
    lines: list[list[Segment]] = []
    for i, w in enumerate(c.wires):
        label = w.label if len(w.label) <= label_w else w.label[: label_w - 1] + "…"
        name_role = WRITE if w.role == WRITE else READ if w.role == READ else NAME
        target, target_role = _target(w, c.output, two)
        value_role = WRITE if w.role == WRITE else READ if w.role == READ else VALUE
        grad_role = WRITE if w.grad_role == WRITE else READ if w.grad_role == READ else GRAD
        grad = _grad_text(w, precision)
        head: list[Segment] = [(" ", ""), (f"{label:<{label_w}}", name_role), (" ─" if short else " ──", DIM),
                               (f" {values[i]:>{value_w}} ", value_role if w.value is not None else DIM),
                               ("──", DIM), (f"{target:<{target_w}}", target_role)]
        if two:
            lines.append(head)
            under = " " * (label_w + 5)
            lines.append([(under, ""), (f"{grad:>{value_w}}", grad_role)] if grad else [("", "")])
        else:
            mark = "∂ " if short else f"∂{c.output}/∂{w.name} = "
            lines.append([*head, (f"  {mark}{grad}", grad_role)] if grad else head)
    return lines


def _window(lines: list[list[Segment]], c: Circuit, width: int, height: int) -> list[list[Segment]]:
    lines = [_clip(line, width) for line in lines]
    per = 2 if len(lines) == 2 * len(c.wires) else 1
    focus = next((i for i, w in enumerate(c.wires) if WRITE in (w.role, w.grad_role)),
                 next((i for i, w in enumerate(c.wires) if w.role or w.grad_role), 0))
    if len(lines) <= height:
        return lines
    # A window around the highlighted wire, with how many are above and below.
    rows = max(1, height - 2)
    start = max(0, min(focus * per - rows // 2, len(lines) - rows))
    window = lines[start:start + rows]
    above, below = start // per, (len(lines) - start - len(window)) // per
    top = [[(f" ⋮ {above} more above", DIM)]] if above else []
    bottom = [[(f" ⋮ {below} more below", DIM)]] if below else []
    if not above:
        window = lines[start:start + rows + 1]
        below = (len(lines) - start - len(window)) // per
        bottom = [[(f" ⋮ {below} more below", DIM)]] if below else []
    return [*top, *window, *bottom][:height]


def _clip(line: list[Segment], width: int) -> list[Segment]:
    out: list[Segment] = []
    used = 0
    for text, role in line:
        if used + len(text) > width:
            text = text[: max(0, width - used - 1)] + "…"
            out.append((text, role))
            break
        out.append((text, role))
        used += len(text)
    return out


def plain(lines: list[list[Segment]]) -> str:
    """The layout as text (for tests)."""
    return "\n".join("".join(t for t, _ in line) for line in lines)
