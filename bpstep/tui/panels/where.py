"""The top bar: where the cursor is in the run, and how the run is going."""

from __future__ import annotations

from textual.content import Content

from bpstep.tui.model import Model, View
from bpstep.tui.panels.base import DIM, PHASE_STYLE, Panel


class WhereBar(Panel):
    """Scenario, epoch / batch, step i of N, phase, the step's name; then how the run is going."""

    def __init__(self, model: Model, *, id: str) -> None:  # noqa: A002
        super().__init__(model, id=id)
        self.status = ""  # computing / diverged / … (set by the app)
        self.status_style = ""
        self.activity = ""  # waiting for the run / searching (set by the app), before the status
        self.epochs_total: int | None = None  # the run's epoch limit, when the app knows it
        self._extra = ""

    def show(self, view: View, extra: str | None = None) -> None:  # type: ignore[override]
        self.view = view
        if extra is None:  # a redraw after a resize keeps the breakpoint line
            extra = self._extra
        self._extra = extra
        t = self.model.trace
        sc = t.scenario
        width = self.size.width or 80
        parts: list[str | tuple[str, str] | Content] = []
        n = len(t)
        if n:
            s = t[view.index]
            more = "" if t.finished else "…"
            # Once the run has ended, the epochs it ran (an early stop, a convergence, a
            # divergence end it before its limit); while it runs, the limit, said as one.
            limit = self.epochs_total or sc.training.epochs
            real = max(t.epochs_run, s.epoch)
            # A perceptron learns from one sample at a time: its "batches" are the samples.
            unit, units = ("sample", len(sc.data.inputs)) if not t.modules else ("batch", self.model.batches)
            for compact in (False, True):  # the short form when the long one does not fit
                if s.epoch == 0:
                    where = s.where()
                elif compact:
                    where = (f"e{s.epoch}/{real}" if t.finished else f"e{s.epoch}/≤{limit}") + (
                        f" {unit[0]}{s.batch}/{units}" if s.batch else "")
                else:
                    where = (f"epoch {s.epoch}/{real}" if t.finished else
                             f"epoch {s.epoch} (of at most {limit})") + (
                        f" · {unit} {s.batch} of {units}" if s.batch else "")
                pos = f"#{s.index} {s.index + 1}/{n}{more}" if compact else \
                    f"step #{s.index} · {s.index + 1} of {n}{more}"
                parts = [(f" {sc.name} ", "bold"), "│ ", where, f" │ {pos} │ ",
                         (s.phase, f"bold {PHASE_STYLE.get(s.phase, '')}"), " │ ",
                         (self.model.label(s, 4 if not compact else 2), "bold"), " "]
                if view.sub is not None:
                    parts.append((self._sub_label(view), "$accent"))
                if Content.assemble(*parts).cell_length <= width:
                    break
        else:
            parts = [(f" {sc.name} ", "bold"), "│ no steps yet "]
        if view.precision != 4:
            parts.append((f"{view.precision} dp ", DIM))
        line2: list[str | tuple[str, str]] = []
        if self.activity:
            line2 += [(self.activity, "bold $accent"), "  "]
        if self.status:
            line2.append((self.status, self.status_style))
        if extra:
            line2 += ["  ", (extra, DIM)]
        lines = [Content.assemble(*parts)]
        if line2:
            lines.append(Content.assemble(" ", *line2))
        if self.styles.height is None or len(lines) != self.styles.height.value:
            self.styles.height = len(lines)  # a second line only while there is a status to show
        self.set_lines(lines)

    def _sub_label(self, view: View) -> str:
        """Where ``s`` is within the step: a graph node's gate, else an element of its value."""
        m = self.model
        assert view.sub is not None
        if m.has_parts(view.index):
            return f"[gate {view.sub + 1} of {m.substeps(view.index, view.precision)}] "
        return f"[element {view.sub + 1}/{m.trace[view.index].value.size}] "
