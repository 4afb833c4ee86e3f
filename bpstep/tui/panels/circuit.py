"""The circuit panel: a computational graph's wires with their values and gradients
(``bpstep.tui.circuit`` lays it out; this module only styles it)."""

from __future__ import annotations

from textual.content import Content

from bpstep.tui.model import View, is_hidden
from bpstep.tui.panels.base import DIM, HIDDEN, READ, WRITE, Panel

ROLE_STYLE = {"name": "bold", "value": "$text-success", "grad": "$text-error", "write": WRITE,
              "read": READ, "dim": DIM, "fan": "bold $warning", "": ""}


class CircuitPanel(Panel):
    """The graph as a circuit (CS231n's style): each wire's value on it, its gradient under it
    once known; the node being computed highlighted, fan-out wires marked."""

    def draw(self, view: View) -> list[Content]:
        from bpstep.tui import circuit

        m = self.model
        if not len(m.trace):
            return [Content.styled("computing…", DIM)]
        step = m.trace[view.index]
        sample = m.sample_of(step, view.sub) if step.phase != "forward" or not m.has_parts(view.index) \
            else m.part_sample(view.index, view.sub, view.precision)
        state = circuit.state_at(m.trace, view.index, sample,
                                 lambda i, flat: is_hidden(view, i, flat))
        title = "Circuit" + (f" · sample {state.sample + 1} of {state.samples}" if state.samples > 1 else "")
        lines = circuit.layout(state, max(8, self.size.width), max(1, self.size.height), view.precision)
        two = len(lines) == 2 * len(state.wires)
        self.set_title(title + (" · value above, ∂ below" if two else " · value, then ∂"))
        return [Content.assemble(*((text, HIDDEN if text.strip() == circuit.HIDDEN else ROLE_STYLE[role])
                                   for text, role in line)) for line in lines]
