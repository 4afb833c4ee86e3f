"""The loss per epoch as a sparkline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from bpstep.format import num
from bpstep.tui import plotting
from bpstep.tui.model import View, hidden_from
from bpstep.tui.panels.base import DIM, Panel

if TYPE_CHECKING:

    pass

SPARK = "▁▂▃▄▅▆▇█"


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
        import numpy as np

        losses = self.model.epoch_losses()
        width = max(4, self.size.width)
        if len(losses) < 2:
            return [Content.styled("(one epoch so far)", DIM)]
        n = len(losses)
        cols = min(width, n)
        edges = np.linspace(0, n, cols + 1).astype(int)
        arr = np.asarray(losses)
        with np.errstate(all="ignore"):  # inf and -inf in one bucket: NaN, drawn as "!"
            vals = np.array([arr[a:max(b, a + 1)].mean() for a, b in zip(edges[:-1], edges[1:],
                                                                          strict=True)])
        finite = vals[np.isfinite(vals)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        best = float(np.nanmin(arr)) if np.isfinite(arr).any() else float("nan")
        bars = "".join(SPARK[plotting.cell(v, lo, hi, len(SPARK))] if np.isfinite(v) else "!"
                       for v in vals)
        e = self.model.trace[view.index].epoch or n
        pos = int(np.searchsorted(edges[1:], e - 1, side="right")) if e else 0
        marker = " " * min(pos, cols - 1) + "▲"
        p = view.precision
        numbers = (f"epoch 1: {num(losses[0], p)}  last ({n}): {num(losses[-1], p)}  min {num(best, p)}"
                   if not self._hides_loss(view) else "(the losses are hidden during the quiz)")
        return [
            Content.styled(bars, "$accent"),
            Content.styled(marker, "bold $warning"),
            Content.styled(numbers[:width], DIM),
        ]
