"""The activation plot: f and f' over z with the current z values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from bpstep.catalog import ACTIVATIONS
from bpstep.format import num
from bpstep.tui import plotting
from bpstep.tui.chart import tick_text
from bpstep.tui.model import Layer, Model, View, hidden_from, is_hidden
from bpstep.tui.panels.base import DIM, Panel, runs

if TYPE_CHECKING:
    from bpstep.engine.activations import Activation
    from bpstep.tracing import Step

LABELS = 6  # the y-axis labels' width


def get_activation(name: str) -> Activation:
    # The engine (and numpy) load with the first curve drawn, after the first frame.
    from bpstep.engine.activations import get_activation as get

    return get(name)


def has_curve(name: str) -> bool:
    """Whether an activation is a curve f(z) worth plotting: element-wise and not the identity."""
    info = ACTIVATIONS.get(name)
    return bool(name) and name != "identity" and (info is None or info.elementwise)


def _why_skipped(name: str) -> str:
    info = ACTIVATIONS.get(name)
    if info is not None and not info.elementwise:
        return f"is {info.symbol}"  # not element-wise: no curve of one z (the README says why)
    return "is the identity"


class ActivationPlot(Panel):
    """The current layer's activation f and its derivative f' over z, with the current z values
    marked on the curve: it shows why h1 = σ(4.3) passes on so little gradient."""

    def __init__(self, model: Model, *, id: str, title: str = "") -> None:  # noqa: A002
        super().__init__(model, id=id, title=title)
        self._curves: dict[tuple[str, int, int, float], tuple] = {}

    def cache_key(self, view: View) -> object:
        if not len(self.model.trace):
            return None
        step = self.model.trace[view.index]
        layer, own = self._layer(step), self.model.layer_of(step).k  # the title names both
        if layer is None:
            return (None, own, self.size)
        z = self.model.pre_activation(layer, view.index)
        hide = hidden_from(view)
        return (layer.k, own, None if z is None else z.index, self.size, view.precision,
                self.model.sample_of(self.model.trace[view.index], view.sub),
                hide, view.index if hide is not None else None)

    def draw(self, view: View) -> list[Content]:
        import numpy as np

        m = self.model
        if not len(m.trace):
            return []
        step = m.trace[view.index]
        layer = self._layer(step)
        if layer is None:
            return [Content.styled(self._no_curve(step), DIM)]
        # In a quiz at this layer's z (or f(z)), the values asked for are not marked.
        quizzed = step.op if step.op in ("linear", "activation") and hidden_from(view) is not None else ""
        act = get_activation(layer.activation)
        own = m.layer_of(step)
        skipped = f" (layer {own.k} {_why_skipped(own.activation)})" if own.k != layer.k else ""
        self.set_title(f"{act.symbol}(z) and {act.symbol}'(z), layer {layer.k}{skipped}")
        full = max(16, self.size.width)
        w, h = full - LABELS - 1, max(3, self.size.height - 3)
        zstep = m.pre_activation(layer, view.index)
        sample = m.sample_of(step, view.sub)  # the sample being stepped into (xor's o2: sample 2)
        if zstep is not None and sample >= zstep.value.shape[0]:
            sample = 0
        zs = np.asarray(zstep.value[sample]) if zstep is not None else np.zeros(0)
        shown_z = zs[:3]
        ranged = shown_z  # the z axis' range does not give away a hidden z either
        if quizzed == "linear":
            ranged = np.array([z for i, z in enumerate(shown_z) if not is_hidden(view, view.index, i)])
        # The axis covers the finite z shown (an infinite or NaN one is listed, not placed).
        _, zbig = plotting.finite_range(np.abs(ranged), (0.0, 0.0))
        zmax = min(max(6.0, zbig * 1.15), 50.0)
        grid, styles, rows, row, (ymin, ymax) = self._curve(layer.activation, w, h, zmax)
        marks: dict[int, dict[int, tuple[str, str]]] = {}  # row → x → (char, style)
        notes = []
        for i, z in enumerate(shown_z):
            label = m.namer(zstep.name, (sample, i)) if zstep is not None else f"z{i + 1}"
            if not np.isfinite(z):
                notes.append(f"{label} {num(z, 2)}")
                continue
            hidden = bool(quizzed) and is_hidden(view, view.index, i)
            if hidden and quizzed == "linear":
                notes.append(f"{label} ?")
                continue
            x = plotting.cell(z, -zmax, zmax, w)
            with np.errstate(all="ignore"):
                a = float(act.f(np.array(z)))
                d = float(act.df(np.array(z), np.array(a)))
            if hidden:
                notes.append(f"{label} {num(z, 2)}: {act.symbol}' ?")
                continue
            # Beyond the plot (z = 380 on relu, say) the markers sit on its edge.
            for value, mark in ((a, "●"), (d, "○")):
                r = row(value)
                if x is not None and r is not None:
                    marks.setdefault(r, {})[x] = (mark, "bold $accent")
            notes.append(f"{label} {num(z, 2)}: {act.symbol}' {num(d, view.precision)}")
        out = list(rows)
        for r, at in marks.items():  # only the rows with a marker are assembled again
            chars, st = list(grid[r]), list(styles[r])
            for x, (c, style) in at.items():
                chars[x], st[x] = c, style
            out[r] = runs(chars, st)
        ticks = {0: ymax, (h - 1) // 2: (ymin + ymax) / 2, h - 1: ymin}
        out = [Content.assemble((f"{tick_text(ticks[r]) if r in ticks else '':>{LABELS - 1}} "
                                 f"{'┤' if r in ticks else '│'}", DIM), line) for r, line in enumerate(out)]
        axis = ["─"] * w
        labels = [" "] * w
        for v in (-zmax, 0.0, zmax):
            x = plotting.cell(v, -zmax, zmax, w) or 0
            axis[x] = "┴"
            text = tick_text(v)
            x = max(0, min(w - len(text), x - len(text) // 2))
            labels[x:x + len(text)] = list(text)
        out.append(Content.styled(" " * LABELS + "└" + "".join(axis), DIM))
        out.append(Content.styled(" " * (LABELS + 1) + "".join(labels) + " z", DIM).truncate(full))
        legend = Content.assemble(("• f ", "$success"), ("· f' ", "$warning"), ("●○ ", "$accent"),
                                  ("  ".join(notes), DIM))
        out.append(legend.truncate(full))
        return out

    def _layer(self, step: Step) -> Layer | None:
        """The step's layer, or for an identity layer or one whose activation is not element-wise
        (softmax: no curve f(z) of one z) the nearest layer below with an element-wise activation."""
        layers = self.model.layers
        k = self.model.layer_of(step).k
        for layer in [layers[k], *reversed(layers[1:k])]:
            if has_curve(layer.activation):
                return layer
        return None

    def _no_curve(self, step: Step) -> str:
        """The one line shown when no layer up to the step's has a curve to plot."""
        own = self.model.layer_of(step).activation
        info = ACTIVATIONS.get(own)
        if info is not None and not info.elementwise:
            self.set_title(f"{info.symbol}, layer {self.model.layer_of(step).k}")
            return (f"{info.symbol} is not element-wise: each output depends on every z of its "
                    f"sample, no curve f(z); {info.derivative_rule}")
        self.set_title("Activation")
        return "(no layer with an activation: f(z) = z)"

    def _curve(self, name: str, w: int, h: int, zmax: float) -> tuple:
        """The plot without markers, drawn once per (activation, size, z range): (characters,
        styles, Content rows, value → row)."""
        import numpy as np

        key = (name, w, h, zmax)
        cached = self._curves.get(key)
        if cached is not None:
            return cached
        act = get_activation(name)
        xs = np.linspace(-zmax, zmax, w)
        with np.errstate(all="ignore"):
            f = act.f(xs)
            df = act.df(xs, f)
        ymin, ymax = plotting.finite_range([*f, *df, 0.0, 1.0], (0.0, 1.0))

        def row(v: float) -> int | None:
            return plotting.row(v, ymin, ymax, h)

        grid = [[" "] * w for _ in range(h)]
        styles = [[""] * w for _ in range(h)]
        zero = int(round(zmax / (2 * zmax) * (w - 1)))
        for r in range(h):
            grid[r][zero], styles[r][zero] = "│", DIM
        for x in range(w):
            for r, char, style in ((row(df[x]), "·", "$warning"), (row(f[x]), "•", "$success")):
                if r is not None:
                    grid[r][x], styles[r][x] = char, style
        curve = (grid, styles, [runs(grid[r], styles[r]) for r in range(h)], row, (ymin, ymax))
        if len(self._curves) >= 16:
            self._curves.clear()
        self._curves[key] = curve
        return curve
