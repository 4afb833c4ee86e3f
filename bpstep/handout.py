"""The documents an instructor hands out, built on ``bpstep.export``'s blocks: the handout
(``--blank``: the network, the given values, every asked value as a blank), the answer key
(``--key``: the asked values, then the worked solution), and, for a scenario built from a
published solution (``[grading.published]``), which published values it corrects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bpstep import names
from bpstep.check import grade, grading_rule
from bpstep.errors import BpstepError
from bpstep.format import num
from bpstep.latex_math import RawLatex, picture_for
from bpstep.scoring import questions
from bpstep.tracing.trace import Trace, display_names

if TYPE_CHECKING:
    from bpstep.export_blocks import Block

MODES = ("solution", "blank", "key")
BLANK = "________"


def corrections(trace: Trace, p: int) -> list[Block]:
    """Which published values are wrong, with the right ones (graded by the scenario's rule)."""
    from bpstep.export_blocks import Heading, Para, TableBlock

    spec = getattr(trace.scenario, "grading", None)
    if spec is None or not spec.published:
        return []
    rows = []
    for name, text in spec.published.items():
        try:
            r = grade(trace, name, text, precision=p)
        except BpstepError as exc:
            raise BpstepError(f"{trace.scenario.source}: grading.published.\"{name}\": {exc}") from None
        if r.status == "wrong":  # a value published with fewer figures is short, not wrong
            rows.append((name, text, num(r.expected, p), r.formula))
    source = spec.published_source or "the published solution"
    if not rows:
        return [Para(f"Every value published in {source} ({len(spec.published)}) agrees with this solution.")]
    return [Heading(2, f"Corrections to {source}"),
            Para(f"This solution corrects {len(rows)} of the {len(spec.published)} values published in "
                 f"{source}:"),
            TableBlock(("value", "published", "correct", "why"), tuple(rows), "lrrl")]


def picture(trace: Trace, p: int) -> list[Block]:
    """The network drawn with its initial weights (LaTeX only)."""
    sc = trace.scenario
    if sc.network is None or sc.network.kind != "mlp":
        return []
    first = next((s for s in trace if s.op == "linear"), None)
    if first is None:
        return []
    params = {}
    for s in trace:
        if s.op == "linear" and (s.epoch, s.batch) == (first.epoch, first.batch):
            params[names.weight(s.layer)] = s.inputs[names.weight(s.layer)]
    lines = picture_for(trace.modules, sc.network.inputs, params, display_names(sc.names), p)
    return [RawLatex(tuple(lines))] if lines else []


def questions_table(trace: Trace, p: int, filled: bool) -> list[Block]:
    """Every asked value, blank or with its value at the required precision."""
    from bpstep.export_blocks import Heading, Para, TableBlock

    spec = getattr(trace.scenario, "grading", None)
    rule = grading_rule(trace)
    rows = []
    for q in questions(trace, spec):
        step = trace.step(q.ref.split("[")[0], q.epoch, q.batch)
        points = spec.points_for(q.label, q.ref) if spec else 1.0
        value = trace.value(q.ref, q.epoch, q.batch)
        rows.append((q.label, num(float(value), p) if filled else BLANK, f"{points:g}", step.phase))
    title = "Answer key" if filled else "Questions"
    intro = (f"Give each value to at least {rule.describe()}; it is right within half a unit of that "
             "plus what rounding the earlier values carries into it.")
    return [Heading(2, title), Para(intro), TableBlock(("value", "answer", "points", "phase"), tuple(rows),
                                                      "lrrl")]
