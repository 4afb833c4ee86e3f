"""The loss per epoch as a line chart with axes (bpstep.tui.chart): training loss, and the
validation score on its own axis when the run keeps one; the cursor's epoch marked; a click on
the chart asks for that epoch; ``l`` switches the loss axis to a log scale."""

from __future__ import annotations

import math

from textual.content import Content
from textual.events import Click
from textual.message import Message

from bpstep.format import num
from bpstep.tui.chart import Series, line_chart
from bpstep.tui.model import Model, View, hidden_from
from bpstep.tui.panels.base import DIM, Panel

STYLES = {"train": "$accent", "validation": "$success", "axis": DIM, "right-axis": "$success 70%",
          "mark": "bold $warning", "": ""}


class LossPlot(Panel):
    """The loss per epoch (shown once there is more than one epoch), the cursor's epoch marked."""

    class EpochPicked(Message):
        """A click on the chart: go to this epoch (1-based)."""

        def __init__(self, epoch: int) -> None:
            super().__init__()
            self.epoch = epoch

    def __init__(self, model: Model, *, id: str, title: str = "") -> None:  # noqa: A002
        super().__init__(model, id=id, title=title)
        self.log_scale = False
        self._chart = None

    def cache_key(self, view: View) -> object:
        losses = self.model.epoch_losses()
        e = self.model.trace[view.index].epoch if len(self.model.trace) else 0
        return (len(losses), e, self.size, view.precision, self._hides_loss(view), self.log_scale)

    def _hides_loss(self, view: View) -> bool:
        """A quiz on a loss: the losses written beneath the curve would give it away."""
        return hidden_from(view) is not None and self.model.trace[view.index].phase in ("loss", "epoch")

    def validation(self) -> list[float]:
        series = self.model.trace.epoch_series("validation_score")
        n = len(self.model.epoch_losses())
        return [series.get(e, math.nan) for e in range(1, n + 1)] if series else []

    def draw(self, view: View) -> list[Content]:
        losses = self.model.epoch_losses()
        width = max(12, self.size.width)
        self._chart = None
        if len(losses) < 2:
            return [Content.styled("(one epoch so far)", DIM)]
        n = len(losses)
        e = self.model.trace[view.index].epoch or n
        p = view.precision
        val = self.validation()
        title = f"Loss per epoch{' (log scale)' if self.log_scale else ''}"
        series = [Series(losses, "train")]
        if val:
            series.append(Series(val, "validation", right=True))
        legend: list[tuple[str, str]] = [("⣿ training loss", "$accent")]
        if val:
            legend.append(("  ⣿ validation score (right axis)", "$success"))
        if self._hides_loss(view):
            self.set_title(title)
            return [Content.assemble(*legend), Content.styled("(the losses are hidden during the quiz)", DIM)]
        finite = [v for v in losses if not math.isnan(v)]
        best = min(finite) if finite else math.nan
        chart = line_chart(series, width, max(4, self.size.height - 1), log=self.log_scale, mark=min(e, n))
        self._chart = chart
        self.set_title(title)
        out = [Content.assemble(*((t, STYLES.get(s, s)) for t, s in row)) for row in chart.rows]
        numbers = f"epoch {e}: {num(losses[min(e, n) - 1], p)}  min {num(best, p)}  (click: go to an epoch)"
        out.append(Content.assemble(*legend, ("  " + numbers, DIM)).truncate(width))
        return out

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        chart = self._chart
        if offset is None or chart is None or offset.y >= len(chart.rows) - 2:
            return
        epoch = chart.epoch_at(offset.x)
        if epoch is not None:
            self.post_message(self.EpochPicked(epoch))
