"""The loss per epoch as a sparkline."""

from __future__ import annotations

import math

from textual.content import Content

from bpstep.format import num
from bpstep.sparkline import column, sparkline
from bpstep.tui.model import View, hidden_from
from bpstep.tui.panels.base import DIM, Panel


class LossPlot(Panel):
    """The loss per epoch as a sparkline (shown once there is more than one epoch), the cursor's
    epoch marked beneath it."""

    def cache_key(self, view: View) -> object:
        losses = self.model.epoch_losses()
        e = self.model.trace[view.index].epoch if len(self.model.trace) else 0
        return (len(losses), e, self.size, view.precision, self._hides_loss(view))

    def _hides_loss(self, view: View) -> bool:
        """A quiz on a loss: the losses written beneath the curve would give it away."""
        return hidden_from(view) is not None and self.model.trace[view.index].phase in ("loss", "epoch")

    def draw(self, view: View) -> list[Content]:
        losses = self.model.epoch_losses()
        width = max(4, self.size.width)
        if len(losses) < 2:
            return [Content.styled("(one epoch so far)", DIM)]
        n = len(losses)
        cols = min(width, n)
        finite = any(math.isfinite(v) for v in losses)
        best = min((v for v in losses if not math.isnan(v)), default=math.nan) if finite else math.nan
        e = self.model.trace[view.index].epoch or n
        pos = column(e - 1, n, cols) if e else 0
        marker = " " * min(pos, cols - 1) + "▲"
        p = view.precision
        numbers = (f"epoch 1: {num(losses[0], p)}  last ({n}): {num(losses[-1], p)}  min {num(best, p)}"
                   if not self._hides_loss(view) else "(the losses are hidden during the quiz)")
        return [
            Content.styled(sparkline(losses, cols), "$accent"),
            Content.styled(marker, "bold $warning"),
            Content.styled(numbers[:width], DIM),
        ]
