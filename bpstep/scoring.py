"""Grading a whole answer sheet: the question set, points, error carried forward.

``score_sheet`` grades every answer (``bpstep.check.grade``), then scores it against the question
set of the scenario's ``[grading]`` (default: every askable value of epoch 1, batch 1). A name and
its display name are one question. A bad entry (not a number, an unknown name) is reported on its
key and the rest is still graded. Answers are walked in the order of the computation: after the
first wrong one, a later answer that is wrong against the true value is graded again against the
value that follows from the student's own earlier answers (``bpstep.carried``); right there, it is
"consistent with your earlier error in X" and earns ``carried_forward`` of its points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bpstep import ops
from bpstep.answers import Answer, AnswerError
from bpstep.carried import carried_values
from bpstep.check import Result, answer_names, grade, grading_rule, resolve
from bpstep.explain import Explanation
from bpstep.format import DEFAULT_PRECISION
from bpstep.grading import CONSISTENT, IMPRECISE, RIGHT, WRONG, Precision, Tolerance
from bpstep.scenario.grading_table import GradingSpec
from bpstep.tracing.refs import Ref
from bpstep.tracing.trace import Trace, display_names

UNANSWERED = "unanswered"


@dataclass(frozen=True)
class Mark:
    """One question (or one answer outside the question set) as scored."""

    question: str  # its label: the display name where there is one ("h1"), else "Z2[0,1]"
    status: str  # right, consistent, wrong, not enough precision, unanswered, not asked
    points: float
    max_points: float
    result: Result | None = None
    consistent_with: str = ""  # the earlier wrong answer it follows from
    carried_expected: float | None = None  # the value that follows from the student's answers
    asked: bool = True  # False: an answer outside the question set (graded, worth nothing)

    @property
    def feedback(self) -> str:
        r = self.result
        if self.status == UNANSWERED:
            return "not answered"
        if r is None:
            return self.status
        if self.status == CONSISTENT:
            return (f"consistent with your earlier error in {self.consistent_with}: from your own values "
                    f"{self.question} is {self.carried_expected:.6g}; the right value follows from "
                    f"{r.formula}")
        if self.status == RIGHT:
            return "right"
        if self.status == IMPRECISE:
            return r.message
        return "wrong: " + r.formula + "".join(f" (hint: {h})" for h in r.hints)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"question": self.question, "status": self.status, "points": self.points,
                               "max_points": self.max_points, "feedback": self.feedback, "asked": self.asked}
        if self.consistent_with:
            out["consistent_with"] = self.consistent_with
            out["carried_expected"] = self.carried_expected
        if self.result is not None:
            out["answer"] = self.result.to_json()
        return out


@dataclass(frozen=True)
class Sheet:
    """A scored answer sheet."""

    source: str
    marks: tuple[Mark, ...]
    problems: tuple[AnswerError, ...] = ()
    first_wrong: str = ""  # the first wrong value in the order of the computation
    variant: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def points(self) -> float:
        return sum(m.points for m in self.marks)

    @property
    def total(self) -> float:
        return sum(m.max_points for m in self.marks)

    @property
    def all_right(self) -> bool:
        """No problem and every answer given right (blanks are not wrong)."""
        return not self.problems and all(m.status == RIGHT for m in self.marks if m.status != UNANSWERED)

    def count(self, status: str) -> int:
        return sum(m.status == status for m in self.marks)

    def to_json(self) -> dict[str, Any]:
        graded = [m for m in self.marks if m.result is not None]
        return {"answers": self.source, "points": self.points, "total": self.total,
                "results": [m.result.to_json() | {"status": m.status, "points": m.points,
                                                  "max_points": m.max_points}
                            for m in graded if m.result is not None],
                "right": self.count(RIGHT), "wrong": len(graded) - self.count(RIGHT),
                "unanswered": [m.question for m in self.marks if m.status == UNANSWERED],
                "first_wrong": self.first_wrong, "variant": self.variant,
                "marks": [m.to_json() for m in self.marks],
                "problems": [{"key": p.key, "message": p.message} for p in self.problems]}


@dataclass(frozen=True)
class Question:
    label: str
    ref: str  # "Z2[0,0]"
    epoch: int
    batch: int
    step_index: int
    flat: int


def questions(trace: Trace, spec: GradingSpec | None) -> list[Question]:
    """The question set, in the order of the computation."""
    out: list[Question] = []
    if spec is not None and spec.asked is not None:
        for name in spec.asked:
            step, index = resolve(trace, name, source=trace.scenario.source, key=f"grading.asked ({name})")
            flat = int(np.ravel_multi_index(index, step.value.shape)) if step.value.shape else 0
            out.append(Question(name, str(Ref(step.name, index)), step.epoch, step.batch, step.index, flat))
        return sorted(out, key=lambda q: (q.step_index, q.flat))
    for s in trace:  # epoch 1's first batch and its epoch-level values (its loss), as the template
        if (s.epoch, s.batch) not in ((1, 1), (1, 0)) or not ops.get(s.op).asked:
            continue
        labels = answer_names(trace, s)
        for flat, (label, idx) in enumerate(zip(labels, np.ndindex(*s.value.shape), strict=True)):
            out.append(Question(label, str(Ref(s.name, idx)), 1, 1, s.index, flat))
    return out


def score_sheet(trace: Trace, answers: Iterable[Answer], source: str = "<answers>",
                problems: Iterable[AnswerError] = (), tolerance: Tolerance | None = None,
                precision: int = DEFAULT_PRECISION, rule: Precision | None = None,
                variant: int | None = None) -> Sheet:
    spec = getattr(trace.scenario, "grading", None)
    rule = rule or grading_rule(trace)
    errors = list(problems)
    asked = questions(trace, spec)
    by_ref = {(q.ref, q.epoch, q.batch): q for q in asked}
    shown = display_names(trace.scenario.names)
    # Resolve every entry; a bad one is a problem on its key, a second name for one value counts once.
    seen: dict[tuple[str, int, int], tuple[str, str]] = {}
    resolved: list[tuple[Answer, Any, tuple[int, ...]]] = []
    for a in answers:
        if a.text is None:
            continue
        try:
            step, index = resolve(trace, a.name, a.epoch, a.batch, source, a.key)
        except AnswerError as exc:
            errors.append(exc)
            continue
        key = (str(Ref(step.name, index)), a.epoch, a.batch)
        if key in seen:  # h1 and Z2[0,0]: one question, graded once
            first = seen[key]
            if float(first[1]) != float(a.text):
                errors.append(AnswerError(source, a.key, f"gives {key[0]} another number than '{first[0]}' "
                                                          f"does; graded once, as '{first[0]}'"))
            continue
        seen[key] = (a.name, a.text)
        resolved.append((a, step, index))
    resolved.sort(key=lambda r: (r[1].index, int(np.ravel_multi_index(r[2], r[1].value.shape))
                                 if r[1].value.shape else 0))
    cache: dict[int, Explanation] = {}
    student: dict[tuple[int, int], dict[tuple[str, tuple[int, ...]], float]] = {}
    first_wrong: dict[tuple[int, int], str] = {}
    marks: dict[tuple[str, int, int], Mark] = {}
    overall_first = ""
    for a, step, index in resolved:
        batch_key = (a.epoch, a.batch)
        try:
            r = grade(trace, a.name, a.text or "", a.epoch, a.batch, tolerance, precision, source, a.key,
                      _cache=cache, rule=rule)
        except AnswerError as exc:
            errors.append(exc)
            continue
        key = (r.ref, a.epoch, a.batch)
        q = by_ref.get(key)
        label = q.label if q else (shown.get((step.name, index)) or a.name)
        max_points = spec.points_for(label, a.name, r.ref) if spec and q else (1.0 if q else 0.0)
        status, with_, carried = r.status, "", None
        if status == WRONG and batch_key in first_wrong:
            values = carried_values(trace, a.epoch, a.batch, student.get(batch_key, {}))
            if step.name in values:
                carried = float(values[step.name][index])
                again = grade(trace, a.name, a.text or "", a.epoch, a.batch, tolerance, precision, source,
                              a.key, _cache=cache, rule=rule, against=carried)
                if again.status == RIGHT:
                    status, with_ = CONSISTENT, first_wrong[batch_key]
        if status == WRONG and batch_key not in first_wrong:
            first_wrong[batch_key] = label
            overall_first = overall_first or label
        student.setdefault(batch_key, {})[(step.name, index)] = float(r.answer)
        share = {RIGHT: 1.0, CONSISTENT: spec.carried_forward if spec else 1.0}.get(status, 0.0)
        marks[key] = Mark(label, status, max_points * share if q else 0.0, max_points, r, with_, carried,
                          asked=q is not None)
    out: list[Mark] = []
    count_blank = spec is None or spec.unanswered == "count"
    for q in asked:
        key = (q.ref, q.epoch, q.batch)
        if key in marks:
            out.append(marks.pop(key))
        elif count_blank:
            out.append(Mark(q.label, UNANSWERED, 0.0, spec.points_for(q.label, q.ref) if spec else 1.0))
    out += marks.values()  # answers outside the question set: shown, worth nothing
    return Sheet(source, tuple(out), tuple(errors), overall_first, variant)
