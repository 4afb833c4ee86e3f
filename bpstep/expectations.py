"""Checking a scenario's ``[expect]`` table against its trace. Never imports textual or rich.

Each expectation is graded with the answer-checking rule (``bpstep.grading.is_correct``): the
number as written sets the precision, so ``E = 0.0011`` passes when E is within 0.0001 of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bpstep.grading import allowed_error, is_correct
from bpstep.scenario.model import Expectation
from bpstep.tracing.trace import Trace


@dataclass(frozen=True)
class ExpectationResult:
    """The outcome of one expectation: ``value`` is what the trace holds (None when the trace
    has no such value, and ``problem`` then says why)."""

    expectation: Expectation
    value: float | None
    passed: bool
    problem: str = ""

    def where(self) -> str:
        """``epoch 1, batch 1``."""
        return f"epoch {self.expectation.epoch}, batch {self.expectation.batch}"

    def describe(self) -> str:
        """One line: ``dE/db1 (epoch 1, batch 1): expected 0.0008 ± 0.0001, got 0.0024…``."""
        e = self.expectation
        head = f"{e.name} ({self.where()}): expected {e.text} ± {allowed_error(e.text):g}"
        if self.value is None:
            return f"{head}, but {self.problem}"
        off = "" if self.passed else f" (off by {self.value - float(e.text):.3g})"
        return f"{head}, got {self.value!r}{off}"


def check_expectations(trace: Trace) -> list[ExpectationResult]:
    """Grade every ``[expect]`` entry of ``trace.scenario`` against ``trace``, in file order.

    A name that denotes nothing in this trace (a step the run never reached, say after early
    stopping) fails with ``problem`` saying so; nothing raises.
    """
    return [_check(trace, e) for e in trace.scenario.expect]


def failed_expectations(trace: Trace) -> list[ExpectationResult]:
    """Only the expectations that failed (empty when all pass or there are none)."""
    return [r for r in check_expectations(trace) if not r.passed]


def _check(trace: Trace, e: Expectation) -> ExpectationResult:
    ref = trace.resolve(e.name)
    if ref is None:
        return ExpectationResult(e, None, False, f"'{e.name}' names no value of this trace")
    try:
        step = trace.step(ref.name, e.epoch, e.batch)
    except KeyError:
        ended = f" (the run ended: {trace.status})" if trace.status != "complete" else ""
        return ExpectationResult(e, None, False, f"the trace has no step {ref.name} there{ended}")
    value = step.value
    try:
        element = value[ref.index] if ref.index else value
    except IndexError:
        return ExpectationResult(e, None, False, f"{ref} is outside {ref.name}, whose shape is {value.shape}")
    if np.ndim(element) != 0:
        return ExpectationResult(e, None, False, f"{ref.name} is an array of shape {value.shape}: "
                                                 "name one element")
    x = float(element)
    return ExpectationResult(e, x, math.isfinite(x) and is_correct(e.text, x))


def failure_message(trace: Trace, failed: list[ExpectationResult]) -> str:
    """``bpstep: FILE: 1 of 3 expectations failed:`` and one indented line per failure."""
    head = (f"bpstep: {trace.scenario.source}: {len(failed)} of {len(trace.scenario.expect)} "
            f"expectation{'s' * (len(trace.scenario.expect) != 1)} failed:")
    return "\n".join([head, *(f"  {r.describe()}" for r in failed)])
