"""The decision (or prediction) surface of a two-input network with axes and a colour legend: the
widget that paints what ``bpstep.tui.surface_grid`` computes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from bpstep.tui import plotting
from bpstep.tui.chart import tick_text
from bpstep.tui.surface_grid import LEVELS, SurfaceGrid

if TYPE_CHECKING:
    import numpy as np

    from bpstep.tui.model import Model, View

# blue (low) → dark → red (high)
LOW, MID, HIGH = (40, 90, 200), (30, 30, 40), (210, 60, 50)
# one colour per class (spiral's red, green, blue first)
CLASSES = [(210, 60, 50), (60, 170, 80), (50, 100, 220), (210, 170, 40), (160, 80, 200), (40, 180, 190),
           (220, 120, 170), (150, 150, 150), (120, 90, 40), (90, 200, 160)]
LABELS = 6  # the y-axis labels' width
AXES = 3  # rows under the plot: the x-axis, its labels and the legend


def _dim(rgb: tuple[int, int, int], f: float = 0.45) -> tuple[int, int, int]:
    return (int(rgb[0] * f), int(rgb[1] * f), int(rgb[2] * f))


class SurfacePlot(Widget):
    """The output over the input plane of a two-input network as a half-block heat map (two
    pixels per cell) with x1 and x2 axes, the training points on it and a colour legend: a
    decision surface for a classifier (one colour per class, arg max), a prediction surface for a
    regression. Computed with the parameters in effect at the cursor, cached by their identity."""

    DEFAULT_CSS = "SurfacePlot { height: 1fr; }"
    LEVELS = LEVELS

    def __init__(self, model: Model, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = model
        self._surface = SurfaceGrid(model.trace)
        self.border_title = self.title_text()
        self._key: object = None
        self._grid: np.ndarray | tuple[()] | None = None  # (2·rows, cols) levels; () when empty
        self._styles: dict[tuple[int, int], Style] = {}
        self._params: dict[str, np.ndarray] = {}

    def title_text(self) -> str:
        data = self.model.trace.scenario.data
        names = [*(data.input_columns or ("x1", "x2"))][:2]
        axes = f" over {names[0]}, {names[1]}"
        if not self._surface.is_classifier:
            target = data.target_columns[0] if data.target_columns else "o1"
            return f"Prediction surface: {target}{axes}"
        if self._surface.n_classes > 1:
            return f"Decision surface: arg max class{axes}"
        return f"Decision surface: o1{axes}"

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

    @property
    def plot_size(self) -> tuple[int, int]:
        return max(0, self.size.width - LABELS - 1), max(0, self.size.height - AXES)

    def _compute(self) -> None:
        self._grid = self._surface.levels(self._params, *self.plot_size)

    @property
    def _points(self) -> dict[tuple[int, int], float]:
        return self._surface.points

    def _rgb(self, level: int) -> tuple[int, int, int]:
        k = self._surface.n_classes
        if k > 1:
            return _dim(CLASSES[int(round(level / (self.LEVELS - 1) * (k - 1))) % len(CLASSES)])
        t = level / (self.LEVELS - 1)
        a, b = (LOW, MID) if t < 0.5 else (MID, HIGH)
        f = t * 2 if t < 0.5 else (t - 0.5) * 2
        r, g, bl = (int(x + (y - x) * f) for x, y in zip(a, b, strict=True))
        return r, g, bl

    def _colour(self, level: int) -> str:
        return "rgb({},{},{})".format(*self._rgb(level))

    def _style(self, top: int, bottom: int) -> Style:
        key = (top, bottom)
        if key not in self._styles:
            self._styles[key] = Style(color=self._colour(top), bgcolor=self._colour(bottom))
        return self._styles[key]

    def _point(self, target: float, top: int) -> Segment:
        k = self._surface.n_classes
        bg = self._colour(top)
        if k > 1:
            rgb = CLASSES[int(target) % len(CLASSES)]
            return Segment("●", Style(color="rgb({},{},{})".format(*rgb), bgcolor=bg, bold=True))
        if self._surface.is_classifier:
            return Segment("●" if target >= 0.5 else "○",
                           Style(color="white" if target >= 0.5 else "black", bgcolor=bg, bold=True))
        return Segment("·", Style(color="white", bgcolor=bg, bold=True))

    def render_line(self, y: int) -> Strip:
        if self._grid is None:
            self._compute()
        grid = self._grid
        w = self.size.width
        pw, ph = self.plot_size
        axis = Style(dim=True)
        if grid is None or not len(grid) or pw < 2 or ph < 1:
            return Strip.blank(w, self.rich_style)
        lo, hi = self._surface.bounds
        if y < ph:
            ticks = {0: hi[1], (ph - 1) // 2: (lo[1] + hi[1]) / 2, ph - 1: lo[1]}
            label = f"{tick_text(ticks[y]) if y in ticks else '':>{LABELS - 1}} {'┤' if y in ticks else '│'}"
            segs = [Segment(label, axis)]
            if len(grid) < 2 * y + 2:
                return Strip(segs, w)
            top, bottom = grid[2 * y], grid[2 * y + 1]
            for x in range(min(pw, grid.shape[1])):
                if (y, x) in self._points:
                    segs.append(self._point(self._points[(y, x)], int(top[x])))
                else:
                    segs.append(Segment("▀", self._style(int(top[x]), int(bottom[x]))))
            return Strip(segs, w).simplify()
        if y == ph:
            return Strip([Segment(" " * LABELS + "└" + "─" * pw, axis)], w)
        if y == ph + 1:
            labels = [" "] * pw
            for v in (lo[0], (lo[0] + hi[0]) / 2, hi[0]):
                text = tick_text(v)
                x = plotting.cell(v, lo[0], hi[0], pw) or 0
                x = max(0, min(pw - len(text), x - len(text) // 2))
                labels[x:x + len(text)] = list(text)
            names = self.model.trace.scenario.data.input_columns or ("x1", "x2")
            text = " " * (LABELS + 1) + "".join(labels) + f" {names[0]} (↑ {names[1]})"
            return Strip([Segment(text, axis)]).crop_extend(0, w, self.rich_style)
        return Strip(self._legend()).crop_extend(0, w, self.rich_style)

    def _legend(self) -> list[Segment]:
        dim = Style(dim=True)
        k = self._surface.n_classes
        if k > 1:
            classes = self.model.trace.scenario.data.classes or tuple(str(c + 1) for c in range(k))
            segs = [Segment(" " * LABELS + " ")]
            for c, name in enumerate(classes[:k]):
                rgb = CLASSES[c % len(CLASSES)]
                segs += [Segment("█", Style(color="rgb({},{},{})".format(*_dim(rgb)))),
                         Segment("●", Style(color="rgb({},{},{})".format(*rgb), bold=True)),
                         Segment(f" {name}  ", dim)]
            return segs + [Segment("(● training points)", dim)]
        lo, hi = self._surface.range
        segs = [Segment(" " * LABELS + f" {tick_text(lo)} ", dim)]
        segs += [Segment("█", Style(color=self._colour(level))) for level in range(self.LEVELS)]
        points = "● t=1 ○ t=0" if self._surface.is_classifier else "· training points"
        return segs + [Segment(f" {tick_text(hi)}   {points}", dim)]
