"""The decision surface of a two-input network: the widget that paints what
``bpstep.tui.surface_grid`` computes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from bpstep.tui.surface_grid import LEVELS, SurfaceGrid

if TYPE_CHECKING:
    import numpy as np

    from bpstep.tui.model import Model, View

# blue (low) → dark → red (high)
LOW, MID, HIGH = (40, 90, 200), (30, 30, 40), (210, 60, 50)


class SurfacePlot(Widget):
    """The decision surface of a two-input network: the output over the input plane as a
    half-block heat map (two pixels per cell), with the training points on it. Computed with the
    parameters in effect at the cursor, cached by their identity."""

    DEFAULT_CSS = "SurfacePlot { height: 1fr; }"
    LEVELS = LEVELS

    def __init__(self, model: Model, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = model
        self.border_title = "Decision surface"
        self._key: object = None
        self._grid: np.ndarray | tuple[()] | None = None  # (2·rows, cols) levels; () when empty
        self._styles: dict[tuple[int, int], Style] = {}
        self._params: dict[str, np.ndarray] = {}
        self._surface = SurfaceGrid(model.trace)

    def show(self, view: View) -> None:
        if not len(self.model.trace):
            return
        self._params = self._surface.parameters(view.index)
        key = (tuple(id(v) for v in self._params.values()), self.size)
        if key != self._key:
            self._key = key
            self._grid = None
            self.refresh()

    def on_resize(self) -> None:
        self._grid = None
        self._key = None
        self.refresh()

    def _compute(self) -> None:
        self._grid = self._surface.levels(self._params, self.size.width, self.size.height)

    @property
    def _points(self) -> dict[tuple[int, int], float]:
        return self._surface.points

    def _colour(self, level: int) -> str:
        t = level / (self.LEVELS - 1)
        a, b = (LOW, MID) if t < 0.5 else (MID, HIGH)
        f = t * 2 if t < 0.5 else (t - 0.5) * 2
        r, g, bl = (int(x + (y - x) * f) for x, y in zip(a, b, strict=True))
        return f"rgb({r},{g},{bl})"

    def _style(self, top: int, bottom: int) -> Style:
        key = (top, bottom)
        if key not in self._styles:
            self._styles[key] = Style(color=self._colour(top), bgcolor=self._colour(bottom))
        return self._styles[key]

    def render_line(self, y: int) -> Strip:
        if self._grid is None:
            self._compute()
        grid = self._grid
        w = self.size.width
        if grid is None or len(grid) < 2 * y + 2:
            return Strip.blank(w, self.rich_style)
        top, bottom = grid[2 * y], grid[2 * y + 1]
        segs = []
        for x in range(min(w, grid.shape[1])):
            if (y, x) in self._points:
                tgt = self._points[(y, x)]
                st = Style(color="white" if tgt >= 0.5 else "black", bgcolor=self._colour(int(top[x])),
                           bold=True)
                segs.append(Segment("●" if tgt >= 0.5 else "○", st))
            else:
                segs.append(Segment("▀", self._style(int(top[x]), int(bottom[x]))))
        return Strip(segs, w).simplify()
