"""Quiz mode: which values to ask for and in what order, the answers graded with ``bpstep.check``
(the same rule as ``bpstep check``), and the score. No Textual here.

A quiz covers a range of steps (one step, the rest of a phase, the whole run) and asks for each
element of each step in turn, by its display name where the scenario gives one (``h1``,
``dE/dw7``). The values not answered yet are hidden: the app draws a ``QuizView``, whose
``hide_from`` tells the panels which elements of the step at the cursor to show as ``?``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bpstep import ops
from bpstep.check import Result, answer_names, grade
from bpstep.explain import Explanation
from bpstep.grading import IMPRECISE
from bpstep.tracing import Step, Trace
from bpstep.tui.model import QuizView, View, hidden_from, is_hidden

__all__ = ["Question", "Quiz", "QuizView", "Score", "View", "askable", "hidden_from",
           "is_hidden", "phase_end", "read_answer"]

# Steps whose values are given rather than computed: nothing to ask.


def read_answer(text: str) -> str:
    """The answer as it is graded: the text typed, with a single decimal comma read as a point
    (``0,15`` → ``0.15``). Anything else that is not a number is refused by the grading, whole:
    nothing is dropped from an answer to make it one."""
    t = text.strip()
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    return t


def askable(step: Step) -> bool:
    return ops.get(step.op).asked and step.value.size > 0


def phase_end(trace: Trace, i: int) -> int:
    """The last step of the run of steps of the same phase as step ``i``."""
    n = len(trace)
    phase = trace[i].phase
    j = i
    while j + 1 < n and trace[j + 1].phase == phase:
        j += 1
    return j


@dataclass(frozen=True)
class Question:
    index: int  # the step
    element: int  # the flat element of its value
    name: str  # the name ``grade`` is given, and the label shown: "h1", "dE/dw7", "Z1[0,3]"
    size: int  # elements in the step


@dataclass(frozen=True)
class Score:
    scope: str  # "step Z1", "the backward phase", "the whole run"
    right: int
    asked: int
    wrong: tuple[Result, ...]
    complete: bool  # False: left with Escape before the last question

    @property
    def text(self) -> str:
        """``4/5 right (wrong: dE/db1)`` for the status line and the help screen."""
        out = f"{self.right}/{self.asked} right"
        if self.wrong:
            names = [r.name for r in self.wrong[:6]] + (["…"] if len(self.wrong) > 6 else [])
            out += f" (wrong: {', '.join(names)})"
        return out


class Quiz:
    """Questions over the steps ``start`` … ``end`` (None: to the end of the trace), found one at a
    time as the quiz goes: starting a quiz over a long run costs nothing."""

    def __init__(self, trace: Trace, start: int, end: int | None, scope: str, element: int = 0) -> None:
        self.trace = trace
        self.end = end
        self.scope = scope
        self.results: list[Result] = []
        self._names: tuple[int, list[str]] | None = None  # the current step's answer names
        self.question: Question | None = self._find(start, element)
        # How many questions, when the range is bounded (a step or a phase: a few steps).
        self.total: int | None = None
        if end is not None and self.question is not None:
            q = self.question
            self.total = q.size - q.element + sum(
                trace[j].value.size for j in range(q.index + 1, min(end, len(trace) - 1) + 1)
                if askable(trace[j]))

    def _find(self, index: int, element: int) -> Question | None:
        t = self.trace
        while True:
            last = len(t) - 1 if self.end is None else min(self.end, len(t) - 1)
            if index > last:
                return None
            s = t[index]
            if askable(s) and element < s.value.size:
                if self._names is None or self._names[0] != index:
                    self._names = (index, answer_names(t, s))
                return Question(index, element, self._names[1][element], s.value.size)
            index, element = index + 1, 0

    @property
    def done(self) -> bool:
        return self.question is None

    def answer(self, text: str, precision: int, explained: Explanation | None = None) -> Result:
        """Grade ``text`` for the current question and move on to the next one. Raises
        ``AnswerError`` for text that is not a number; an answer with too few figures ("not
        enough precision") is not counted and the question stays."""
        q = self.question
        assert q is not None, "the quiz is over"
        s = self.trace[q.index]
        cache = {q.index: explained} if explained is not None else None
        result = grade(self.trace, q.name, read_answer(text), s.epoch, s.batch, precision=precision,
                       _cache=cache)
        if result.status == IMPRECISE:  # not graded: asked again, to more figures
            return result
        self.results.append(result)
        self.question = self._find(q.index, q.element + 1)
        return result

    def score(self) -> Score:
        wrong = tuple(r for r in self.results if not r.correct)
        return Score(self.scope, len(self.results) - len(wrong), len(self.results), wrong, self.done)
