"""``bpstep.diagnose(trace, values)``: where your own backprop first disagrees with the trace.

``values`` maps step names (``"Z2"``, ``"delta1"``, ``"dE/dW1"``) or display names (``"h1"``,
``"dE/dw7"``) to your arrays or numbers for one batch. The steps are walked in the order of the
computation; the first that disagrees beyond ``rtol``/``atol`` is returned with its element, both
values, its formula with the right numbers, and the conventions your value matches (a factor 2, the
updated weights for the hidden deltas, a transposed index, …). Later disagreements usually follow
from the first, so it is the one to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bpstep.explain import Namer, explain
from bpstep.hints import Ctx, alternatives
from bpstep.tracing.trace import Trace, resolve_name

__all__ = ["Disagreement", "diagnose"]


@dataclass(frozen=True)
class Disagreement:
    step: str  # the trace name: "dE/db1"
    element: tuple[int, ...]  # the first element that disagrees most: (0, 0), or () for a scalar
    label: str  # its name as the tutorial writes it: "∂E/∂b1", "h1"
    expected: float
    got: float
    formula: str  # the element's formula with the right numbers substituted
    conventions: tuple[str, ...]  # the conventions or slips your value matches

    def __str__(self) -> str:
        where = f"{self.step}{list(self.element) if self.element else ''}"
        text = f"{self.label} ({where}) is {self.expected:.6g}, yours is {self.got:.6g}; {self.formula}"
        return text + "".join(f"\n  likely: {c}" for c in self.conventions)


def diagnose(trace: Trace, values: Mapping[str, Any], epoch: int = 1, batch: int = 1,
             rtol: float = 1e-6, atol: float = 1e-9) -> Disagreement | None:
    """The first step of ``epoch``/``batch`` (in computation order) where ``values`` disagrees,
    or None when every value given agrees. Raises ``KeyError`` for a name that is neither a step
    nor a display name, ``ValueError`` for an array of the wrong shape."""
    given: dict[str, dict[tuple[int, ...] | None, np.ndarray]] = {}
    for name, value in values.items():
        ref = resolve_name(name, trace.scenario.names)
        if ref is None or trace.find(ref.name, epoch, batch) is None:
            raise KeyError(f"'{name}' is not a step or display name of epoch {epoch}, batch {batch} "
                           f"(steps: {', '.join(trace.step_names())})")
        given.setdefault(ref.name, {})[ref.index or None] = np.asarray(value, dtype=np.float64)
    for step in trace:
        if (step.epoch, step.batch) != (epoch, batch) or step.name not in given:
            continue
        truth = np.asarray(step.value)
        for index, mine in given[step.name].items():
            if index is None:
                if mine.shape != truth.shape and mine.size != truth.size:
                    raise ValueError(f"'{step.name}' is {'×'.join(map(str, truth.shape)) or 'a number'}; "
                                     f"yours is {'×'.join(map(str, mine.shape)) or 'a number'}")
                mine = mine.reshape(truth.shape)
                bad = ~np.isclose(mine, truth, rtol=rtol, atol=atol)
                if not bad.any():
                    continue
                diff = np.where(bad, np.abs(mine - truth), -1.0)
                element = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), truth.shape))
                got = float(mine[element]) if element else float(mine)
            else:
                element = index
                got = float(mine)
                if np.isclose(got, truth[element], rtol=rtol, atol=atol):
                    continue
            return _disagreement(trace, step, element, got, rtol, atol)
    return None


def _disagreement(trace: Trace, step: Any, element: tuple[int, ...], got: float, rtol: float,
                  atol: float) -> Disagreement:
    expected = float(step.value[element]) if element else float(step.value)
    exp = explain(trace, step, 6, max_elements=int(np.prod(step.value.shape) or 1))
    flat = int(np.ravel_multi_index(element, step.value.shape)) if element else 0
    el = exp.elements[flat] if flat < len(exp.elements) else None
    formula = el.text(6) if el is not None else f"{Namer(trace)(step.name, element)} = {expected:.6g}"
    ctx = Ctx(trace, step, element, 6, el)
    matches = []
    for alt in alternatives(ctx):
        if np.isfinite(alt.value) and abs(alt.value - got) <= max(atol, 1e-6 * abs(alt.value)) \
                and alt.message not in matches:
            matches.append(alt.message)
    return Disagreement(step.name, element, ctx.own_label, expected, got, formula, tuple(matches))
