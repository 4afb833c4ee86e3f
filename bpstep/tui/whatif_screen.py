"""The what-if screen (the edited run against the original, step by step) and the nudge view.
Their numbers come from Textual-free ``bpstep.tui.whatif``; keys from ``bpstep.tui.keys``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from bpstep.format import num
from bpstep.tui import keys
from bpstep.tui.panels.base import CHANGED, DIM
from bpstep.tui.whatif import Nudge, diff, first_difference

if TYPE_CHECKING:
    from bpstep.tracing import Trace
    from bpstep.tui.model import Model
    from bpstep.tui.whatif import Edit


class WhatIfScreen(ModalScreen[None]):
    """The edited run at the cursor's step: each element as ``original → edited``, changed ones
    marked; n / p step through both runs together; w or Esc goes back to the original run."""

    BINDINGS = keys.WHATIF

    def __init__(self, model: Model, edited: Trace, change: Edit, index: int, precision: int) -> None:
        super().__init__(id="whatif")
        self.model, self.edited, self.change = model, edited, change
        self.index, self.precision = index, precision
        self._first = first_difference(model.trace, edited)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            with VerticalScroll(id="whatif-scroll"):
                yield Static(self.text(), id="whatif-text", markup=False)

    def lines(self) -> list[Content]:
        t, e, p = self.model.trace, self.edited, self.precision
        first = "no step differs" if self._first is None else \
            f"first step that differs: #{self._first} {t[self._first].name if self._first < len(t) else ''}"
        out = [Content.assemble(("What if ", "bold"), (self.change.text, "bold $accent"),
                                (f"  ({self.change.what}; the run recomputed)", DIM)),
               Content.styled(first, DIM)]
        losses = (t.epoch_series("loss"), e.epoch_series("loss"))
        if losses[0] and losses[1]:
            a, b = losses[0][max(losses[0])], losses[1][max(losses[1])]
            out.append(Content.assemble("last epoch loss: ", (f"{num(a, p)} → {num(b, p)}",
                                                               CHANGED if a != b else "")))
        out.append(Content(""))
        if self.index >= len(e):
            out.append(Content.styled(f"the edited run has only {len(e)} steps", DIM))
            return out
        step = e[self.index]
        out.append(Content.assemble((f"#{self.index} {step.name}", "bold"), f"  ({step.phase}, epoch "
                                    f"{step.epoch}, batch {step.batch}): original → edited"))
        changes = diff(t, e, self.index, self.model.namer)
        if not changes:
            out.append(Content.styled("(this step is not the same step in both runs)", DIM))
        for c in changes:
            if c.changed:
                out.append(Content.assemble(("* ", CHANGED), f"{c.label} = ",
                                            (f"{num(c.before, p)} → {num(c.after, p)}", CHANGED)))
            else:
                out.append(Content.styled(f"  {c.label} = {num(c.after, p)} (unchanged)", DIM))
        out += [Content(""), Content.styled("n / p: next / previous step in both runs · "
                                            "w or Esc: back to the original run", DIM)]
        return out

    def text(self) -> Content:
        return Content("\n").join(self.lines())

    def _update(self) -> None:
        self.query_one("#whatif-text", Static).update(self.text())

    def action_move(self, delta: int) -> None:
        self.index = max(0, min(len(self.edited) - 1, self.index + delta))
        self._update()

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)


def nudge_lines(n: Nudge, precision: int) -> list[Content]:
    """The nudge view: w ± ε, the change in E recomputed, and the gradient's prediction."""
    p = max(precision, 4)

    def sci(v: float) -> str:
        return f"{v:+.6e}"

    rows = [Content.assemble(("Nudge ", "bold"), (n.weight, "bold $accent"),
                             f" = {num(n.value, p)}   ∂E/∂{n.weight} = {num(n.gradient, p)}   "
                             f"E = {num(n.loss, p)}   ε = {n.epsilon:g}"),
            Content(""),
            Content.styled(f"{'':<14}{'ΔE (recomputed)':>18}  {'∂E/∂w·Δw (predicted)':>22}  {'ratio':>9}",
                           "bold")]
    for label, actual, pred in ((f"{n.weight} + ε", n.plus, n.predicted), (f"{n.weight} − ε", n.minus,
                                                                             -n.predicted)):
        ratio = f"{actual / pred:.4f}" if pred else "—"
        rows.append(Content(f"{label:<14}{sci(actual):>18}  {sci(pred):>22}  {ratio:>9}"))
    rows += [Content(""),
             Content.styled("ΔE: the batch's forward pass and loss computed again with the weight moved "
                            "(the engine's forward); the prediction is the gradient times the move. "
                            "They agree to first order: the gap is the curvature (½·∂²E/∂w²·ε²).", DIM),
             Content.styled("Esc closes", DIM)]
    return rows


class NudgeScreen(ModalScreen[None]):
    BINDINGS = keys.DIALOG

    def __init__(self, result: Nudge, precision: int) -> None:
        super().__init__(id="nudge")
        self.result, self.precision = result, precision

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static(Content("\n").join(nudge_lines(self.result, self.precision)), id="nudge-text",
                         markup=False)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
