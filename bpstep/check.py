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

Grading follows ``bpstep.grading.judge``: an answer must be written to the required precision
(``Precision``: the scenario's ``[grading]``, default 4 decimals or 3 significant figures) and is
right within half a unit of it plus what rounding the intermediates at that precision can carry
into the value (``bpstep.carried``); a ``Tolerance`` replaces that bound. A wrong answer that
matches the right value under another common convention gets a hint. ``grade`` is the single
entry point the CLI and the TUI quiz share.
Plain text only: no rich, no textual.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bpstep import names
from bpstep.answers import Answer, AnswerError, _is_decimal, _quote, ascii_name, parse_answers, read_answers
from bpstep.carried import rounding_slack
from bpstep.errors import name_list
from bpstep.explain import Explanation, Namer, explain
from bpstep.format import DEFAULT_PRECISION, num
from bpstep.grading import RIGHT, Precision, Tolerance, judge
from bpstep.hints import convention_hints
from bpstep.shapes import step_shapes
from bpstep.tracing.refs import Ref, index_problem
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace, display_names, resolve_name

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
    allowed_error: float | None  # how far from the value a right answer may be; None under a tolerance
    formula: str  # the element's substituted formula: "∂E/∂w7 = … = 0.0765"
    rule: str  # the step's rule in the tutorial's notation
    hints: tuple[str, ...] = ()  # for a wrong answer: the convention it matches, and why
    key: str = ""
    status: str = RIGHT  # right, wrong or "not enough precision" (bpstep.grading)
    required: str = ""  # the precision required: "4 decimals or 3 significant figures"

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
            "status": self.status,
            "required": self.required,
        }

    @property
    def message(self) -> str:
        """One line for a student: right, wrong, or what precision is needed."""
        if self.status == RIGHT:
            return "right"
        if self.status == "wrong":
            return "wrong"
        return f"not enough precision: give at least {self.required}"


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
    shown: dict[str, None] = {}
    for display in trace.scenario.names:
        for form in (display, names.grad(display)):
            ref = resolve_name(form, trace.scenario.names)
            if ref is not None and ref.name in traced:  # dE/dx1 would be δ⁽⁰⁾, which no run has
                shown[form] = None
    return list(shown | traced)


def _trace_names(trace: Trace) -> list[str]:
    found = dict.fromkeys(trace.step_names())
    if trace.scenario.network is not None and trace.scenario.network.kind == "mlp":
        found.update(dict.fromkeys(step_shapes(trace.scenario)))
    return list(found)


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
          source: str = "<answer>", key: str = "", _cache: dict[int, Explanation] | None = None,
          rule: Precision | None = None, against: float | None = None) -> Result:
    """Grade one answer: ``name`` (trace or display name) at ``epoch``/``batch``, the number as
    the student wrote it, under ``rule`` (default: the scenario's ``[grading]`` precision).
    ``against`` grades it against another value (error carried forward) with the same bound.
    Raises ``AnswerError`` for an unknown name or a non-numeric answer."""
    text = answer_text.strip().replace("_", "")
    if not _is_decimal(text):
        raise AnswerError(source, key or name, f"expected a number (like 0.0765), got {answer_text!r}")
    step, index = resolve(trace, name, epoch, batch, source, key)
    expected = float(step.value[index])
    rule = rule or grading_rule(trace)
    slacks = rounding_slack(trace, step.epoch, step.batch, rule)
    slack = float(slacks[step.name][index]) if step.name in slacks else 0.0
    verdict = judge(text, expected if against is None else against, rule, slack, tolerance)
    correct = verdict.status == RIGHT
    exp = _explained(trace, step, index, precision, _cache if _cache is not None else {})
    flat = _flat(index, step.value.shape)
    element = exp.elements[flat] if flat < len(exp.elements) else None
    formula = (element.text(precision) if element
               else f"{Namer(trace)(step.name, index)} = {num(expected, precision)}")
    hints: tuple[str, ...] = ()
    if verdict.status == "wrong":
        hints = convention_hints(trace, step, index, text, tolerance, precision, element)
    return Result(
        name=name, ref=str(Ref(step.name, index)), epoch=epoch, batch=batch, answer=text,
        expected=expected, correct=correct,
        allowed_error=None if tolerance is not None else verdict.bound,
        formula=formula, rule=exp.rule, hints=hints, key=key or name,
        status=verdict.status, required=rule.describe(),
    )


def grading_rule(trace: Trace) -> Precision:
    """The scenario's required precision (its ``[grading]`` table), or the default."""
    spec = getattr(trace.scenario, "grading", None)
    return spec.precision if spec is not None else Precision()


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
        '# Write each answer in place of "" (or inside the quotes): h1 = 0.9866. Give each answer to',
        f"# at least {grading_rule(trace).describe()}; more are welcome.",
        '# Names left "" are not graded. Parameter names (w7, W2[0,0]) mean the value after the',
        "# update; dE/dX is the gradient or delta. The inputs (Z0) are given, so they are not asked.",
        "# Later epochs or batches: add tables [epoch.N], [batch.M] or [epoch.N.batch.M] with the same",
        f"# names. Check with: bpstep check {scenario_ref} THIS_FILE",
        "",
    ]
    count = 0
    listed = {d for d, _ in display}
    covered = {ref for _, ref in display}
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
        refs = [r for r in refs if r not in listed and r not in covered]  # one name per value
        if not refs:
            continue
        lines.append(f"# {s.name}: {s.phase}")
        for ref in refs[: TEMPLATE_MAX_NAMES - count]:
            lines.append(f'{_quote(ref)} = ""')
            count += 1
    return "\n".join(lines) + "\n"
