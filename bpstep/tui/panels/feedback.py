"""A graded quiz answer as lines of Content."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from bpstep.format import num
from bpstep.tui.panels.base import DIM

if TYPE_CHECKING:
    from bpstep.check import Result

def feedback(result: Result, precision: int) -> list[Content]:
    """A graded answer: right or wrong, the value, the substituted formula, and for a wrong answer
    the convention it matches (e.g. a per-unit bias gradient where the scenario shares one)."""
    from bpstep.grading import IMPRECISE, decimals  # loaded with the first answer

    p = max(precision, min(10, decimals(result.answer)))
    if result.status == IMPRECISE:  # not graded yet: the value stays hidden, the question stays
        return [Content.assemble(("… not enough precision: ", "bold $text-warning"),
                                 f"{result.name} = {result.answer}; ",
                                 (result.message.removeprefix("not enough precision: "), "bold"),
                                 (" — try again", DIM))]
    if result.correct:
        head = Content.assemble(("✓ right: ", "bold $text-success"), f"{result.name} = {result.answer}")
    else:
        required = f" ({result.required} required)" if result.required else ""
        head = Content.assemble(("✗ wrong: ", "bold $text-error"), f"{result.name} = {result.answer}; it is ",
                                (num(result.expected, p), "bold"), (required, DIM))
    lines = [head, Content.assemble("  ", result.formula)]
    lines += [Content.styled(f"  {hint}", "italic") for hint in result.hints]
    return lines
