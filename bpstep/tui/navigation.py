"""Where the cursor goes: pure functions over a trace (no Textual), so every key's rule is easy
to test and cheap to run on long traces.

Every function takes the current index and returns the new one; they read the trace as it is
now (a worker may still be appending to it).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bpstep.trace import Ref, Step, Trace

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
    "<": operator.lt, ">": operator.gt,
}
_CONDITION = re.compile(r"^\s*(.+?)\s*(<=|>=|==|!=|<|>)\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*$")
NONFINITE = ("nonfinite", "not finite", "nan", "inf")


@dataclass(frozen=True)
class Condition:
    """A conditional breakpoint: ``loss < 0.05``, ``E < 0.1``, ``dE/dw7 > 0.07`` or ``nonfinite``."""

    text: str
    ref: Ref | None = None  # None: any step with a value that is not finite
    op: str = ""
    bound: float = 0.0

    def holds(self, step: Step) -> bool:
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
        raise ValueError(f"'{clean}' is not a condition: write NAME OP NUMBER (e.g. loss < 0.05) "
                         "or nonfinite")
    ref = trace.resolve(m.group(1))
    if ref is None:
        raise ValueError(f"'{m.group(1)}' is neither a step name nor a display name")
    if trace.finished and ref.name not in step_names(trace):
        raise ValueError(f"no step named '{ref.name}' in this run")
    try:
        bound = float(m.group(3))
    except ValueError:
        raise ValueError(f"'{m.group(3)}' is not a number") from None
    return Condition(f"{m.group(1)} {m.group(2)} {m.group(3)}", ref, m.group(2), bound)


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


@dataclass(frozen=True)
class Jump:
    index: int
    element: int | None = None  # a flat element index to step into (``t dE/dw7``)


def jump(trace: Trace, i: int, query: str) -> Jump:
    """A step number (the trace index, as ``bpstep trace`` prints it), or a step or display name:
    its next occurrence after ``i``, wrapping around. ValueError says what is wrong."""
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
                if len(element) == len(shape) and all(0 <= a < b for a, b in zip(element, shape,
                                                                                 strict=True)):
                    elem = int(np.ravel_multi_index(element, shape))
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
