"""Check answers against a trace: read an answer file, resolve each name, grade each number.

An answer file is TOML with one ``name = number`` per line::

    z_h1 = 4.3                  # epoch 1, batch 1 unless a table says otherwise
    "dE/dw7" = 0.0765           # names with / [ , need quotes
    "Z2[0,1]" = 0.9950
    w7 = 0.6992                 # a parameter name is its value after the update
    h2 = ""                     # an empty string is "not answered"

    [epoch.2]                   # epoch 2, batch 1
    E = 0.5848
    [batch.3]                   # epoch 1, batch 3
    [epoch.2.batch.3]           # epoch 2, batch 3

``epoch`` and ``batch`` are therefore reserved at the top level. A name is a trace name with an
optional element (``E``, ``Z2[0,1]``, ``delta3[0,0]``, ``dE/dW2[0,0]``, ``W2[0,0]``) or a display
name from the scenario's ``[names]`` (``h1``, ``dE/dh1``, ``w7``, ``dE/dw7``, ``dE/do1``).

Grading follows ``bpstep.grading``: an answer is right within one unit of its last written
decimal (or within a ``Tolerance``). A wrong answer that matches the right value under another
common convention gets a hint. ``grade`` is the single entry point the CLI and the TUI quiz share.
Plain text only: no rich, no textual.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bpstep.answers import Answer, AnswerError, _is_decimal, _quote, ascii_name, parse_answers, read_answers
from bpstep.engine.activations import get_activation
from bpstep.engine.losses import get_loss
from bpstep.errors import name_list
from bpstep.explain import Element, Explanation, Namer, explain
from bpstep.format import DEFAULT_PRECISION, num, operand
from bpstep.grading import Tolerance, allowed_error, is_correct
from bpstep.scenario.loader import step_shapes
from bpstep.trace.refs import Ref, index_problem
from bpstep.trace.step import Step
from bpstep.trace.trace import Trace, display_names, resolve_name

# The template lists at most this many names; a bigger network's sheet names the rest by rule.
TEMPLATE_MAX_NAMES = 4000
__all__ = ["Answer", "AnswerError", "Report", "Result", "answer_names", "check", "grade",
           "parse_answers", "read_answers", "resolve", "template", "valid_names"]


@dataclass(frozen=True)
class Result:
    """One graded answer."""

    name: str  # as the student wrote it: "dE/dw7"
    ref: str  # the trace element it denotes: "dE/dW2[0,0]"
    epoch: int
    batch: int
    answer: str  # the number as written: "0.0765"
    expected: float  # the true value, full precision
    correct: bool
    allowed_error: float | None  # one unit of the last written decimal; None under a tolerance
    formula: str  # the element's substituted formula: "∂E/∂w7 = … = 0.0765"
    rule: str  # the step's rule in the tutorial's notation
    hints: tuple[str, ...] = ()  # for a wrong answer: the convention it matches, and why
    key: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "answer": float(self.answer),
            "answer_text": self.answer,
            "expected": self.expected,
            "correct": self.correct,
            "ref": self.ref,
            "epoch": self.epoch,
            "batch": self.batch,
            "allowed_error": self.allowed_error,
            "formula": self.formula,
            "hints": list(self.hints),
        }


@dataclass(frozen=True)
class Report:
    """Every graded answer of a file, and the names left blank."""

    results: tuple[Result, ...]
    unanswered: tuple[Answer, ...] = ()
    source: str = ""

    @property
    def right(self) -> int:
        return sum(r.correct for r in self.results)

    @property
    def all_correct(self) -> bool:
        return all(r.correct for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "answers": self.source,
            "results": [r.to_json() for r in self.results],
            "right": self.right,
            "wrong": len(self.results) - self.right,
            "unanswered": [a.name for a in self.unanswered],
        }


# --- resolving names -----------------------------------------------------------------------------

def valid_names(trace: Trace) -> list[str]:
    """Every name an answer may use without an element: display names (with their ``dE/d``
    forms) first, then trace step names."""
    traced = dict.fromkeys(_trace_names(trace))
    names: dict[str, None] = {}
    for display in trace.scenario.names:
        for form in (display, f"dE/d{display}"):
            ref = resolve_name(form, trace.scenario.names)
            if ref is not None and ref.name in traced:  # dE/dx1 would be δ⁽⁰⁾, which no run has
                names[form] = None
    return list(names | traced)


def _trace_names(trace: Trace) -> list[str]:
    names = dict.fromkeys(trace.step_names())
    if trace.scenario.network.kind == "mlp":
        names.update(dict.fromkeys(step_shapes(trace.scenario)))
    return list(names)


def resolve(trace: Trace, name: str, epoch: int = 1, batch: int = 1,
            source: str = "<answer>", key: str = "") -> tuple[Step, tuple[int, ...]]:
    """The step and element an answer name denotes at ``epoch``/``batch``; an ``AnswerError``
    (with the nearest valid name) when it names nothing."""
    key = key or name
    ref = resolve_name(ascii_name(name), trace.scenario.names)  # ∂E/∂w7, h₁: as the TUI writes them
    try:
        step = trace.step(ref.name, epoch, batch) if ref is not None else None
    except KeyError:
        step = None
    if step is None:  # work out why, only now: listing the trace's names is not cheap
        if ref is None or ref.name not in set(trace.step_names()):
            valid = valid_names(trace)
            if ref is not None and ref.name in valid:  # a valid name this run never produced
                raise AnswerError(source, key, f"'{ref.name}' has no value in this run "
                                               f"(steps: {', '.join(trace.step_names())})")
            raise AnswerError(source, key, _unknown(name, ref, valid, _trace_names(trace)))
        _no_step(trace, name.strip(), epoch, batch, source, key)
    assert step is not None and ref is not None
    shape = step.value.shape
    index = ref.index
    if not index and step.value.size == 1:
        index = (0,) * step.value.ndim
    if not index and shape:
        raise AnswerError(source, key, f"'{ref.name}' is a {'×'.join(map(str, shape))} value: "
                                       f"name one element, like \"{ref.name}[{','.join('0' * len(shape))}]\"")
    problem = index_problem(Ref(ref.name, index), shape)
    if problem is not None:
        raise AnswerError(source, key, f"element {list(index)} is outside {ref.name}: {problem}")
    return step, tuple(i % s for i, s in zip(index, shape, strict=True))  # -1: the last


def _unknown(name: str, ref: Ref | None, valid: list[str], traced: list[str]) -> str:
    probe = ref.name if ref is not None and ref.index else name
    if ref is not None and ref.index:  # NAME[i,j]: only trace names take an element
        valid = traced
    close = difflib.get_close_matches(probe, valid, n=1, cutoff=0.5)
    if not close:
        close = difflib.get_close_matches(probe.lower(), [v.lower() for v in valid], n=1, cutoff=0.5)
        close = [next(v for v in valid if v.lower() == close[0])] if close else []
    text = f"unknown name '{name}'"
    if close:
        suggestion = close[0] + (f"[{','.join(map(str, ref.index))}]" if ref and ref.index else "")
        text += f"; did you mean '{suggestion}'?"
    return text + (f" (valid names: {name_list(valid, probe)}; `bpstep check SCENARIO --template` "
                   "lists every one)")


def _no_step(trace: Trace, name: str, epoch: int, batch: int, source: str, key: str) -> None:
    epochs = trace.epochs_run
    if epoch > epochs:
        raise AnswerError(source, key, f"epoch {epoch} is beyond this run, which has {epochs} "
                                       f"epoch{'s' * (epochs != 1)} (tables: [epoch.1] … [epoch.{epochs}])")
    batches = max((s.batch for s in trace if s.epoch == epoch), default=0)
    raise AnswerError(source, key, f"no value for '{name}' at epoch {epoch}, batch {batch} "
                                   f"(epoch {epoch} has {batches} batch{'es' * (batches != 1)})")


def answer_names(trace: Trace, step: Step) -> list[str]:
    """A name ``grade`` accepts for each element of ``step``, in element order: the display name
    where the scenario gives one (``h1``, ``dE/dw7``), else the trace name (``Z2[0,1]``, ``E``).
    For a quiz over a whole step or phase."""
    shown = display_names(trace.scenario.names)
    return [shown.get((step.name, idx)) or str(Ref(step.name, idx)) for idx in np.ndindex(*step.value.shape)]


# --- grading -------------------------------------------------------------------------------------

def grade(trace: Trace, name: str, answer_text: str, epoch: int = 1, batch: int = 1,
          tolerance: Tolerance | None = None, precision: int = DEFAULT_PRECISION,
          source: str = "<answer>", key: str = "", _cache: dict[int, Explanation] | None = None) -> Result:
    """Grade one answer: ``name`` (trace or display name) at ``epoch``/``batch``, the number as
    the student wrote it. Raises ``AnswerError`` for an unknown name or a non-numeric answer."""
    text = answer_text.strip().replace("_", "")
    if not _is_decimal(text):
        raise AnswerError(source, key or name, f"expected a number (like 0.0765), got {answer_text!r}")
    step, index = resolve(trace, name, epoch, batch, source, key)
    expected = float(step.value[index])
    correct = is_correct(text, expected, tolerance)
    exp = _explained(trace, step, index, precision, _cache if _cache is not None else {})
    flat = _flat(index, step.value.shape)
    element = exp.elements[flat] if flat < len(exp.elements) else None
    formula = (element.text(precision) if element
               else f"{Namer(trace)(step.name, index)} = {num(expected, precision)}")
    hints: tuple[str, ...] = ()
    if not correct:
        hints = convention_hints(trace, step, index, text, tolerance, precision, element)
    return Result(
        name=name, ref=str(Ref(step.name, index)), epoch=epoch, batch=batch, answer=text,
        expected=expected, correct=correct,
        allowed_error=None if tolerance is not None else allowed_error(text),
        formula=formula, rule=exp.rule, hints=hints, key=key or name,
    )


def _explained(trace: Trace, step: Step, index: tuple[int, ...], precision: int,
               cache: dict[int, Explanation]) -> Explanation:
    """The step's explanation, covering element ``index``; cached by step so that grading a whole
    sheet explains each step once rather than once per element."""
    need = _flat(index, step.value.shape) + 1
    exp = cache.get(step.index)
    if exp is None or (len(exp.elements) < need and exp.elided):
        have = len(exp.elements) if exp is not None else 0
        exp = explain(trace, step, precision, max_elements=max(need, 2 * have, 64))
        cache[step.index] = exp
    return exp


def _flat(index: tuple[int, ...], shape: tuple[int, ...]) -> int:
    return int(np.ravel_multi_index(index, shape)) if shape else 0


def check(trace: Trace, answers: Iterable[Answer], tolerance: Tolerance | None = None,
          precision: int = DEFAULT_PRECISION, source: str = "<answers>") -> Report:
    """Grade every answered entry; blank ones are listed as unanswered. Every name is resolved
    before any is graded, so a bad file fails as a whole."""
    answers = list(answers)
    for a in answers:
        resolve(trace, a.name, a.epoch, a.batch, source, a.key)
    cache: dict[int, Explanation] = {}
    results = tuple(grade(trace, a.name, a.text, a.epoch, a.batch, tolerance, precision, source, a.key,
                          _cache=cache)
                    for a in answers if a.text is not None)
    return Report(results, tuple(a for a in answers if a.text is None), source)


# --- convention hints ----------------------------------------------------------------------------

@dataclass
class _Alt:
    value: float
    message: str


@dataclass
class _Ctx:
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


def convention_hints(trace: Trace, step: Step, index: tuple[int, ...], answer_text: str,
                     tolerance: Tolerance | None = None, precision: int = DEFAULT_PRECISION,
                     element: Element | None = None) -> tuple[str, ...]:
    """Why a wrong answer may be wrong: each common convention or slip whose value the answer
    matches (under the same grading rule), plus, for a shared bias, what its gradient sums."""
    ctx = _Ctx(trace, step, index, precision, element)
    expected = float(step.value[index])
    hints: list[str] = []
    for alt in _alternatives(ctx):
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


def _alternatives(c: _Ctx) -> list[_Alt]:
    s, idx = c.step, c.index
    v = float(s.value[idx])
    label = c.label(s.name, idx)
    alts = [_Alt(-v, f"sign error: {label} is {num(v, c.p)}; you have its negative")]
    alts += _loss_factor(c, v, label)
    if s.op == "activation":
        z = float(s.inputs[f"Z{s.module - 1}"][idx])
        alts.append(_Alt(z, f"that is {c.label(f'Z{s.module - 1}', idx)} = {operand(z, c.p)}, the value "
                            f"before the activation; {label} = σ(…) applies it"
                            .replace("σ", get_activation(_act(c, s.module)).symbol)))
    if s.op == "activation_grad":
        alts += _activation_slips(c, s.module, lambda d: float(d[idx]), label)
    if s.op in ("grad_W", "grad_b"):
        alts += _grad_slips(c)
    if s.op in ("update", "frozen"):
        alts += _update_slips(c, label)
    return alts


def _loss_factor(c: _Ctx, v: float, label: str) -> list[_Alt]:
    """½Σ vs Σ (a factor 2) and mean vs sum over the batch (a factor N) for squared losses."""
    s = c.step
    loss = get_loss(c.trace.scenario.network.loss)
    if loss.grad_factor is None or s.op not in (
        "loss", "loss_grad", "activation_grad", "linear_grad_input", "grad_W", "grad_b", "update"
    ):
        return []
    if s.op in ("loss", "grad_W", "update") and c.trace.scenario.training.l2:
        return []  # the L2 term does not scale with the loss convention
    n = c.trace.step("E", s.epoch, s.batch).inputs["T"].shape[0] if s.op != "loss" else s.inputs["T"].shape[0]
    half = loss.name.startswith("half")
    mean = loss.name.endswith("mse")
    factor_2 = 2.0 if half else 0.5
    other = {"half_sse": "E = Σ(o − t)² (no ½), whose ∂E/∂o = 2(o − t)",
             "sse": "E = ½Σ(o − t)², whose ∂E/∂o = o − t",
             "half_mse": "E = (1/N)Σ(o − t)² (no ½), whose ∂E/∂o = (2/N)(o − t)",
             "mse": "E = (1/2N)Σ(o − t)², whose ∂E/∂o = (1/N)(o − t)"}[loss.name]
    out = [(factor_2, f"off by a factor of {'2' if half else '½'}: that is {label} under the other "
                      f"convention, {other}; this scenario's loss is {loss.rule}")]
    if n > 1:
        factor_n = float(n) if mean else 1.0 / n
        out.append((factor_n, f"off by a factor of {'' if mean else '1/'}{n} (the batch size): that is "
                              f"{label} with the loss {'summed' if mean else 'averaged'} over the batch; "
                              f"this scenario's loss is {loss.rule}"))
    alts = []
    for f, message in out:
        if s.op == "update":
            tr = c.trace.scenario.training
            if tr.momentum:
                continue
            before = float(s.inputs[s.name][c.index])
            g = float(s.inputs[f"dE/d{s.name}"][c.index])
            alts.append(_Alt(before - tr.learning_rate * f * g, message))
        else:
            alts.append(_Alt(f * v, message))
    return alts


def _act(c: _Ctx, module: int) -> str:
    return c.trace.modules[module - 1].activation


def _activation_slips(c: _Ctx, m: int, pick: Any, label: str) -> list[_Alt]:
    """δ_m = δ_(m+1)·f'(Z_m) with Z_(m+1) = f(Z_m): the derivative evaluated at the
    pre-activation (z(1 − z) for σ, 1 − z² for tanh) or left out."""
    act = get_activation(_act(c, m + 1))
    d_next = c.at(f"delta{m + 1}").value
    z = c.at(f"Z{m}").value
    out = []
    if act.name in ("sigmoid", "tanh"):
        wrong = z * (1 - z) if act.name == "sigmoid" else 1 - z * z
        form = ("z(1 − z)", "σ(z)(1 − σ(z))") if act.name == "sigmoid" else ("1 − z²", "1 − tanh²(z)")
        out.append((d_next * wrong, f"the derivative taken with the pre-activation: {form[0]} with z = "
                                    f"{c.label(f'Z{m}', _cell(c))} instead of {act.derivative_rule} "
                                    f"= {form[1].replace('σ(z)', 'a').replace('tanh(z)', 'a')} with the "
                                    f"activation a = {c.label(f'Z{m + 1}', _cell(c))}"))
    if act.name != "identity":
        out.append((d_next, f"the activation's derivative is missing: {act.derivative_rule} must "
                            f"multiply ∂E/∂{c.label(f'Z{m + 1}', _cell(c))}"))
    return [_Alt(pick(wrong_delta), f"{message} (which gives {label} = {operand(pick(wrong_delta), c.p)})")
            for wrong_delta, message in out]


def _cell(c: _Ctx) -> tuple[int, ...]:
    """The (sample, unit) cell of a Z/delta that the current element is about."""
    if c.step.op in ("grad_W",):
        return (0, c.index[1])
    if c.step.op == "grad_b":
        return (0, c.index[0]) if c.index else (0, 0)
    return c.index


def _linear_module(trace: Trace, layer: int) -> int:
    return next(m.index for m in trace.modules if m.kind == "linear" and m.layer == layer)


def _grad_slips(c: _Ctx) -> list[_Alt]:
    s, idx = c.step, c.index
    k = s.layer
    m = _linear_module(c.trace, k)
    alts: list[_Alt] = []
    x = c.at(f"Z{m - 1}").value
    # A slip in δ_m (the activation derivative) carries into this layer's gradients.
    if m < len(c.trace.modules) and c.trace.modules[m].kind == "activation":
        def pick(d: np.ndarray) -> float:
            if s.op == "grad_W":
                r, j = idx
                return float(x[:, r] @ d[:, j])
            return float(d.sum()) if not idx else float(d[:, idx[0]].sum())
        for alt in _activation_slips(c, m, pick, c.label(s.name, idx)):
            alts.append(alt)
    if s.op == "grad_b":
        d = c.at(f"delta{m}").value
        if _shared_bias(c):
            note = _shared_bias_note(c)
            for j in range(d.shape[1]):
                term = float(d[:, j].sum())
                alts.append(_Alt(term, f"that is {c.label(f'Z{m}', (0, j))}'s term alone "
                                       f"(∂E/∂{c.label(f'Z{m}', (0, j))} = {operand(term, c.p)}), a per-unit "
                                       f"bias gradient. {note}"))
            alts += _own_path_only(c, m, note)
        elif idx and d.shape[1] > 1:
            total = float(d.sum())
            alts.append(_Alt(total, f"that is the gradient of one bias shared by every unit (the sum "
                                    f"of all units' terms); this scenario gives each unit its own bias, "
                                    f"so ∂E/∂{c.label(s.name, idx)} is unit {idx[0] + 1}'s term alone"))
    return alts


def _own_path_only(c: _Ctx, m: int, note: str) -> list[_Alt]:
    """The tutorial's own ∂E/∂b1: Σⱼ ∂E/∂oⱼ·∂oⱼ/∂hⱼ·∂hⱼ/∂z_hⱼ follows each unit only to the next
    layer's unit with the same number and drops the cross paths."""
    modules = c.trace.modules
    a = m + 1 if m < len(modules) and modules[m].kind == "activation" else m  # the layer's output
    n = a + 1  # the next Linear
    if n > len(modules) or modules[n - 1].kind != "linear":
        return []
    k_next = modules[n - 1].layer
    W = c.at(f"Z{n}").inputs[f"W{k_next}"]  # the weights the forward pass used (before the update)
    if W.shape[0] != W.shape[1] or W.shape[0] < 2:
        return []
    q = n + 1 if n < len(modules) and modules[n].kind == "activation" else n  # the next output
    d_n = c.at(f"delta{n}").value
    deriv = np.ones_like(d_n)
    if a != m:
        deriv = get_activation(_act(c, a)).df(c.at(f"Z{m}").value, c.at(f"Z{a}").value)
    terms = d_n * np.diag(W)[None, :] * deriv
    value = float(terms.sum())
    lab = c.label
    units = W.shape[0]
    if d_n.shape[0] == 1 and units <= 4:
        sym_terms = []
        for j in range(units):
            o, h, z = lab(f"Z{q}", (0, j)), lab(f"Z{a}", (0, j)), lab(f"Z{m}", (0, j))
            path = [f"∂E/∂{o}", f"∂{o}/∂{h}"] + ([f"∂{h}/∂{z}"] if a != m else [])
            sym_terms.append("·".join(path))
        numbers = " + ".join(operand(float(t), c.p) for t in terms[0])
        expression = f"{' + '.join(sym_terms)} = {numbers} = {operand(value, c.p)}"
    else:
        expression = f"the sum over units j of each unit's own-numbered path = {operand(value, c.p)}"
    own = [lab(f"W{k_next}", (j, j)) for j in range(units)]
    cross = [lab(f"W{k_next}", (r, j)) for r in range(units) for j in range(units) if r != j]
    return [_Alt(value, f"that matches {expression}: it follows each unit only to the next layer's "
                        f"unit with the same number (through {_names(own)}) and drops the paths through "
                        f"{_names(cross)}. {note}")]


def _names(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) > 4:
        items = items[:3] + ["…"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _shared_bias(c: _Ctx) -> bool:
    s = c.step
    if s.op != "grad_b" or s.value.ndim != 0:
        return False
    return c.at(f"delta{_linear_module(c.trace, s.layer)}").value.shape[1] > 1


def _shared_bias_note(c: _Ctx) -> str:
    s = c.step
    k = s.layer
    m = _linear_module(c.trace, k)
    units = c.at(f"delta{m}").value.shape[1]
    kind = "output" if k == len(c.trace.scenario.network.layers) else "hidden"
    both = "both" if units == 2 else f"all {units}"
    b = c.label(f"b{k}", ())
    text = (f"Shared bias: {b} is one bias shared by {both} {kind} units, so its gradient is the sum of "
            f"{both} {kind} units' terms")
    e = c.element
    if e is not None:
        text += f": {e.label} = {e.symbolic} = {e.substituted} = {num(e.value, c.p)}"
    return text + "."


def _update_slips(c: _Ctx, label: str) -> list[_Alt]:
    s, idx = c.step, c.index
    before = float(s.inputs[s.name][idx])
    g = float(s.inputs[f"dE/d{s.name}"][idx])
    alts = [_Alt(before, f"that is {label} before the update ({operand(before, c.p)}); {label} names "
                         f"the value after it")]
    alts.append(_Alt(g, f"that is the gradient ∂E/∂{label}; {label} names the parameter after the update"))
    if s.op == "update":
        step_taken = float(s.value[idx]) - before
        alts.append(_Alt(before - step_taken, f"the update went the wrong way: {label} := {label} − η·∂E/∂"
                                              f"{label} steps against the gradient"))
    return alts


# --- the answer sheet ----------------------------------------------------------------------------

def template(trace: Trace, scenario_ref: str = "SCENARIO") -> str:
    """A blank answer sheet: every display name (in trace order), then every trace name with its
    elements, each ``= ""``; filled with the true values it grades all right."""
    sc = trace.scenario
    shown = display_names(sc.names)
    steps = [s for s in trace if (s.epoch, s.batch) in ((1, 1), (1, 0)) and s.op != "input"]
    display: list[tuple[str, str]] = []
    traced: list[tuple[Step, list[str]]] = []
    for s in steps:
        refs = []
        for idx in np.ndindex(*s.value.shape):
            d = shown.get((s.name, idx))
            if d is not None:
                display.append((d, str(Ref(s.name, idx))))
            refs.append(str(Ref(s.name, idx)))
        traced.append((s, refs))
    lines = [
        f"# Answer sheet for '{sc.name}' ({scenario_ref}): epoch 1, batch 1.",
        '# Write each answer in place of "" (or inside the quotes): h1 = 0.9866. The decimals you write',
        "# are the precision you are graded at: 0.0020 has four, so it is right within ±0.0001.",
        '# Names left "" are not graded. Parameter names (w7, W2[0,0]) mean the value after the',
        "# update; dE/dX is the gradient or delta. The inputs (Z0) are given, so they are not asked.",
        "# Later epochs or batches: add tables [epoch.N], [batch.M] or [epoch.N.batch.M] with the same",
        f"# names. Check with: bpstep check {scenario_ref} THIS_FILE",
        "",
    ]
    count = 0
    listed = {d for d, _ in display}
    if display:
        lines.append("# --- display names (the scenario's [names]) ---")
        for d, ref in display:
            lines.append(f'{_quote(d)} = ""  # {ref}')
            count += 1
        lines.append("")
    lines.append("# --- trace names, element by element ---")
    for s, refs in traced:
        if count >= TEMPLATE_MAX_NAMES:
            lines.append(f"# … more names not listed (the sheet stops at {TEMPLATE_MAX_NAMES}); "
                         "name any element as NAME[i,j]")
            break
        refs = [r for r in refs if r not in listed]  # b1 may be its own display name
        if not refs:
            continue
        lines.append(f"# {s.name}: {s.phase}")
        for ref in refs[: TEMPLATE_MAX_NAMES - count]:
            lines.append(f'{_quote(ref)} = ""')
            count += 1
    return "\n".join(lines) + "\n"
