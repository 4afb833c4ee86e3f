"""Where the cursor goes: pure functions over a trace (no Textual), so every key's rule is easy
to test and cheap to run on long traces.

Every function takes the current index and returns the new one; they read the trace as it is
now (a worker may still be appending to it).
"""

from __future__ import annotations

import math
import operator
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bpstep.tracing import Ref, Step, Trace
from bpstep.tracing.refs import index_problem

if TYPE_CHECKING:
    pass

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
    "<": operator.lt, ">": operator.gt,
}
OPERATORS = "< <= > >= == !="
# NAME, an operator (any run of comparison characters: a wrong one is named in the error), a bound.
_CONDITION = re.compile(r"^\s*([^<>=!]+?)\s*([<>=!]+)\s*(\S+)\s*$")
NONFINITE = ("nonfinite", "not finite", "nan", "inf")


@dataclass(frozen=True)
class Condition:
    """A conditional breakpoint: ``loss < 0.05``, ``E < 0.1``, ``dE/dw7 > 0.07`` or ``nonfinite``."""

    text: str
    ref: Ref | None = None  # None: any step with a value that is not finite
    op: str = ""
    bound: float = 0.0

    def holds(self, step: Step) -> bool:
        import numpy as np

        if self.ref is None:
            return not step.finite
        if step.name != self.ref.name:
            return False
        v = step.value
        if self.ref.index:
            if v.ndim != len(self.ref.index) or any(i >= n for i, n in zip(self.ref.index, v.shape,
                                                                          strict=True)):
                return False
            v = v[self.ref.index]
        # For an array without an index: any element meeting the condition stops.
        return bool(np.any(_OPS[self.op](v, self.bound)))


def parse_condition(text: str, trace: Trace) -> Condition:
    """``NAME OP NUMBER`` (a trace or display name) or ``nonfinite``; ValueError says what is wrong."""
    clean = " ".join(text.split())
    if clean.lower() in NONFINITE:
        return Condition("nonfinite")
    m = _CONDITION.match(clean)
    if not m:
        raise ValueError(f"'{clean}' is not a condition: write NAME OP NUMBER with OP one of "
                         f"{OPERATORS} (e.g. loss < 0.05), or nonfinite")
    name, op, number = m.groups()
    if op not in _OPS:
        raise ValueError(f"'{op}' is not a comparison: use one of {OPERATORS} (e.g. {name} < 0.05)")
    ref = trace.resolve(name)
    if ref is None:
        raise ValueError(f"'{name}' is neither a step name nor a display name")
    if trace.finished and ref.name not in step_names(trace):
        raise ValueError(f"no step named '{ref.name}' in this run")
    try:
        bound = float(number)
    except ValueError:
        raise ValueError(f"'{number}' is not a number") from None
    if not math.isfinite(bound):  # 1e999 is inf too: both refused alike
        raise ValueError(f"'{number}' is not a finite number: compare with a finite bound, or use "
                         "nonfinite to stop at the first value that is inf or nan")
    shape = shape_of(trace, ref.name)
    problem = index_problem(ref, shape) if shape is not None else None
    if problem:
        raise ValueError(problem)
    return Condition(f"{name} {op} {number}", ref, op, bound)


def shape_of(trace: Trace, name: str) -> tuple[int, ...] | None:
    """The shape of the value of step ``name`` in the first batch (or epoch, or after training)
    it is computed in; None when it is not computed yet."""
    for epoch, batch in ((1, 1), (1, 0), (0, 0)):
        s = trace.find(name, epoch, batch)
        if s is not None:
            return s.value.shape
    return None


@dataclass
class Breakpoints:
    """Breakpoints on step names (stop at that step in every batch and epoch) and conditions."""

    names: set[str] = field(default_factory=set)
    conditions: list[Condition] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.names or self.conditions)

    def __len__(self) -> int:
        return len(self.names) + len(self.conditions)

    def toggle_name(self, name: str) -> bool:
        """Toggle a name breakpoint; True when it is now set."""
        if name in self.names:
            self.names.discard(name)
            return False
        self.names.add(name)
        return True

    def toggle_condition(self, cond: Condition) -> bool:
        """Add a condition, or remove it when the same text is already set; True when now set."""
        for c in self.conditions:
            if c.text == cond.text:
                self.conditions.remove(c)
                return False
        self.conditions.append(cond)
        return True

    def hit(self, step: Step) -> bool:
        return step.name in self.names or any(c.holds(step) for c in self.conditions)

    def describe(self) -> list[str]:
        return sorted(self.names) + [c.text for c in self.conditions]


def last(trace: Trace) -> int:
    return max(0, len(trace) - 1)


def finish_phase(trace: Trace, i: int) -> int:
    """The first step after the current run of steps of the same phase (or the last step)."""
    n = len(trace)
    if i >= n - 1:
        return last(trace)
    phase = trace[i].phase
    j = i + 1
    while j < n - 1 and trace[j].phase == phase:
        j += 1
    return j


def epoch_of(trace: Trace, i: int) -> int:
    """The epoch a step belongs to; steps after training count as the epoch after the last."""
    e = trace[i].epoch
    return e if e else trace.epochs_run + 1


def epoch_start(trace: Trace, epoch: int) -> int | None:
    s = trace.find("Z0", epoch, 1)
    return s.index if s is not None else None


def next_epoch(trace: Trace, i: int) -> int:
    """The first step of the next epoch; after the last epoch, the last step."""
    if not len(trace):
        return 0
    start = epoch_start(trace, epoch_of(trace, i) + 1)
    if start is not None:
        return start
    # After the last epoch: the first step after training (end/evaluate), else the end.
    for j in range(i + 1, len(trace)):
        if trace[j].epoch == 0:
            return j
    return last(trace)


def prev_epoch(trace: Trace, i: int) -> int:
    """The first step of the previous epoch (of epoch 1: the first step)."""
    if not len(trace):
        return 0
    e = epoch_of(trace, i)
    start = epoch_start(trace, e - 1) if e > 1 else None
    return start if start is not None else 0


def continue_forward(trace: Trace, i: int, bps: Breakpoints) -> int:
    """The next step at a breakpoint, or the last step."""
    if bps:
        for j in range(i + 1, len(trace)):
            if bps.hit(trace[j]):
                return j
    return last(trace)


def continue_backward(trace: Trace, i: int, bps: Breakpoints) -> int:
    """The previous step at a breakpoint, or the first step."""
    if bps:
        for j in range(min(i, len(trace)) - 1, -1, -1):
            if bps.hit(trace[j]):
                return j
    return 0


class Search:
    """``c`` / ``C`` on a long run, a slice at a time: ``run(seconds)`` looks for the next (or
    previous) breakpoint hit for at most that long, so that the screen stays responsive between
    slices; a forward search reaching the end of a run still being computed waits for more steps."""

    CHUNK = 64  # steps between two looks at the clock

    def __init__(self, trace: Trace, bps: Breakpoints, start: int, forward: bool = True) -> None:
        self.trace = trace
        self.bps = bps
        self.forward = forward
        self.pos = start + 1 if forward else min(start, len(trace)) - 1  # the next step to look at

    @property
    def exhausted(self) -> bool:
        """No hit anywhere: past the first step, or past the last of a finished run."""
        if not self.forward:
            return self.pos < 0
        return self.pos >= len(self.trace) and self.trace.finished

    def run(self, seconds: float) -> int | None:
        """The index of the next hit found within ``seconds``, else None (``pos`` says how far the
        search got; ``exhausted`` whether there is anything left to search)."""
        t, hit = self.trace, self.bps.hit
        deadline = time.monotonic() + seconds
        while True:
            if self.forward:
                stop, step = min(len(t), self.pos + self.CHUNK), 1
            else:
                stop, step = max(-1, self.pos - self.CHUNK), -1
            for j in range(self.pos, stop, step):
                if hit(t[j]):
                    self.pos = j + step
                    return j
            self.pos = stop
            if stop in (len(t), -1) or time.monotonic() >= deadline:
                return None


@dataclass(frozen=True)
class Jump:
    index: int
    element: int | None = None  # a flat element index to step into (``t dE/dw7``)


def jump(trace: Trace, i: int, query: str) -> Jump:
    """A step number (the trace index, as ``bpstep trace`` prints it), or a step or display name:
    its next occurrence after ``i``, wrapping around. ValueError says what is wrong."""
    import numpy as np

    q = query.strip()
    if not q:
        raise ValueError("type a step number or a name")
    if q.lstrip("#").isdigit():
        k = int(q.lstrip("#"))
        if not 0 <= k < len(trace):
            raise ValueError(f"no step #{k}: the steps are numbered 0 to {last(trace)}")
        return Jump(k)
    name, element = _resolve_step_name(trace, q)
    n = len(trace)
    for j in [*range(i + 1, n), *range(0, min(i + 1, n))]:
        if trace[j].name == name:
            elem = None
            if element is not None:
                shape = trace[j].value.shape
                problem = index_problem(Ref(name, element), shape)
                if problem:
                    raise ValueError(problem)
                elem = int(np.ravel_multi_index(element, shape, mode="wrap"))  # -1: the last
            return Jump(j, elem)
    raise ValueError(f"no step named '{q}'")


def step_names(trace: Trace) -> set[str]:
    return set(trace.step_names())


def _resolve_step_name(trace: Trace, q: str) -> tuple[str, tuple[int, ...] | None]:
    names = step_names(trace)
    ref = trace.resolve(q)
    if ref is not None and ref.name in names:
        return ref.name, (ref.index or None)
    lowered = q.lower()
    for name in names:  # case-insensitive fallback: "de/dw2" → "dE/dW2"
        if name.lower() == lowered:
            return name, None
    return q, None
