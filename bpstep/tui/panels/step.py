"""The step panel: the rule, then each element's substituted formula."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from bpstep.explain import step_value_text
from bpstep.tui.model import View, is_hidden
from bpstep.tui.panels.base import DIM, WRITE, Panel, formula

if TYPE_CHECKING:
    from bpstep.explain import Explanation

class StepPanel(Panel):
    """The rule in the tutorial's notation, then each element's substituted formula; stepping
    into a step highlights one element at a time."""

    def draw(self, view: View) -> list[Content]:
        t = self.model.trace
        if not len(t):
            return [Content("computing…")]
        step = t[view.index]
        width = max(10, self.size.width)
        height = max(1, self.size.height)
        need = (view.sub or 0) + max(4, height // 2)
        while True:  # explain only as many elements as the panel shows (wide layers have thousands)
            ex: Explanation = self.model.explanation(view.index, view.precision, need)
            head = Content.styled(ex.rule, "bold").wrap(width)
            if ex.note:
                head += Content.styled(ex.note, f"italic {DIM}").wrap(width)
            # Stepping into a graph node walks its gates (each with its local derivatives).
            gates = bool(ex.parts) and view.sub is not None
            elements = ex.parts if gates else ex.elements
            total = len(elements) if gates else step.value.size if elements else 0
            avail = height - len(head)
            wrapped: dict[int, list[Content]] = {}

            def lines_of(i: int, elements: tuple = elements, wrapped: dict = wrapped,
                         gates: bool = gates) -> list[Content]:
                # Each formula wraps with a hanging indent.
                if i not in wrapped:
                    flat = (elements[i].index[0] if elements[i].index else 0) if gates else i
                    text = formula(elements[i], view.precision, is_hidden(view, view.index, flat))
                    wrapped[i] = Content(text).wrap(max(8, width - 4))
                return wrapped[i]

            # A window of formulas that fits, keeping the element being stepped into in view.
            start = 0
            if view.sub is not None and view.sub < len(elements):
                start = view.sub
                used = len(lines_of(start))
                while start > 0 and used + len(lines_of(start - 1)) <= max(1, avail // 2):
                    start -= 1
                    used += len(lines_of(start))
                if start and len(elements) >= total and len(elements) <= avail \
                        and sum(len(lines_of(i)) for i in range(len(elements))) <= avail:
                    start = 0  # every element fits: all of them, not a window
            used, end = 0, start
            while end < len(elements) and used + len(lines_of(end)) <= avail - (end + 1 < total):
                used += len(lines_of(end))
                end += 1
            if gates or end < len(elements) or len(elements) >= total or used >= avail - 1:
                break
            need = len(elements) * 2
        if end == start and start < len(elements):
            end = start + 1
        body: list[Content] = []
        for i in range(start, end):
            if view.sub is None:
                marker, style = "  ", ""
            elif i == view.sub:
                marker, style = "▶ ", WRITE
            else:
                marker, style = "  ", DIM
            for n, piece in enumerate(lines_of(i)):
                lead = (marker, "bold $accent") if n == 0 else ("    ", "")
                body.append(Content.assemble(lead, piece.stylize(style) if style else piece))
            if i == view.sub and step.op == "softmax_grad" and not is_hidden(view, view.index, i):
                body += self.jacobian(step, i, view.precision, width)
        more = total - end
        if more > 0 or start > 0:
            bits = []
            if start:
                bits.append(f"{start} above")
            if more:
                bits.append(f"{more} more")
            hint = "" if view.sub is not None else " (s steps into each)"
            body.append(Content.styled(f"  … {', '.join(bits)}{hint}", DIM))
        if not elements and step.value.ndim == 0:
            shown = "?" if is_hidden(view, view.index, 0) else step_value_text(step, float(step.value),
                                                                                view.precision)
            body.append(Content(f"  {step.name} = {shown}"))
        return head + body

    def jacobian(self, step, flat: int, p: int, width: int) -> list[Content]:  # noqa: ANN001
        """Stepping into element (n, j) of a softmax's backward step: the Jacobian's column j of
        sample n, each element ∂oᵢ/∂zⱼ = oᵢ(δᵢⱼ − oⱼ) substituted (the terms of the product)."""
        from bpstep.formulas.softmax import jacobian_element

        if "J" not in step.inputs or step.value.ndim != 2:
            return []
        n, j = divmod(flat, step.value.shape[1])
        k = step.inputs["J"].shape[1]
        out = [Content.styled(f"    Jacobian of sample {n + 1}, column {j + 1}:", DIM)]
        for i in range(k):
            e = jacobian_element(self.model.trace, step, (n, i, j), self.model.namer, p)
            out += [Content.assemble("    ", piece) for piece in Content(e.text(p)).wrap(max(8, width - 6))]
        return out

