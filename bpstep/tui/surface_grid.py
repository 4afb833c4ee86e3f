"""The decision surface's numbers, without Textual: the parameters in effect at a step, and the
network's output over a grid of the input plane (the engine's own forward pass), as colour levels,
with the training points placed on the grid's cells. numpy and the engine are imported on first
use: this module is on the first frame's import path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bpstep.tui import plotting

if TYPE_CHECKING:
    import numpy as np

    from bpstep.tracing import Trace

LEVELS = 16


class SurfaceGrid:
    """``levels(params, width, rows)``: the output over the input plane, ``2·rows`` pixel rows of
    ``width`` pixels, as levels 0 … LEVELS − 1; ``points``: cell (row, column) → target."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self._modules: list | None = None
        self._lo: np.ndarray | None = None  # the plotted input range: set when first drawn
        self._hi: np.ndarray | None = None
        self.points: dict[tuple[int, int], float] = {}
        self.range: tuple[float, float] = (0.0, 1.0)  # the output values at levels 0 and LEVELS − 1

    def parameters(self, index: int) -> dict[str, np.ndarray]:
        """The parameters in effect at step ``index`` (a perceptron's w, w0 the bias)."""
        t = self.trace
        if t.modules:
            return t.parameters_at(index)
        for j in range(index, max(-1, index - 64), -1):
            s = t[j]
            if s.name == "w":
                return {"w": s.value}
            if "w" in s.inputs:
                return {"w": s.inputs["w"]}
        return {}

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        if self._lo is None or self._hi is None:
            x = self.trace.scenario.data.inputs[:, :2]
            ends = [plotting.padded(*plotting.finite_range(x[:, i], (-1.0, 1.0))) for i in range(2)]
            self._lo, self._hi = np.array([e[0] for e in ends]), np.array([e[1] for e in ends])
        return self._lo, self._hi

    def outputs(self, params: dict[str, np.ndarray], pts: np.ndarray) -> np.ndarray | None:
        """The first output at each point (rows of ``pts``); None without a whole set of parameters."""
        import numpy as np

        if "w" in params:  # perceptron: ŷ = sign(w0 + w1·x1 + w2·x2)
            w = params["w"]
            return np.sign(w[0] + pts[:, :2] @ w[1:3]) * 0.5 + 0.5
        n_layers = len(self.trace.scenario.network.layers)
        if not params or len(params) < 2 * n_layers:
            return None
        from bpstep.engine.network import build_modules, forward

        if self._modules is None:
            self._modules = build_modules(self.trace.scenario.network)
        out = forward(self._modules, params, pts)[-1]
        return out.argmax(axis=1).astype(float) if self.n_classes > 1 else out[:, 0]

    @property
    def n_classes(self) -> int:
        """The classes of a multi-class output (one unit per class, arg max); 1 otherwise."""
        net = self.trace.scenario.network
        if net is None or not net.layers or self.trace.scenario.data.classes == ():
            return 1
        units = net.layers[-1].units
        return units if units > 1 else 1

    @property
    def is_classifier(self) -> bool:
        """A decision surface (classes, or a bounded output read as a probability) rather than a
        regression's prediction surface."""
        net = self.trace.scenario.network
        if net is None or not net.layers:
            return True  # a perceptron
        return self.n_classes > 1 or net.loss in ("bce", "cross_entropy") or \
            net.layers[-1].activation == "sigmoid"

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The plotted input range (x1, x2) low and high ends."""
        return self._bounds()

    def levels(self, params: dict[str, np.ndarray], width: int, rows: int) -> np.ndarray | tuple[()]:
        """(2·rows, width) levels; () when there is nothing to draw, an empty array when the
        parameters are incomplete. Sets ``points`` for this size."""
        if width < 2 or rows < 1 or not params:
            return ()  # before the run's first step: drawn without numpy (the first frame)
        import numpy as np

        lo_in, hi_in = self._bounds()
        xs = np.linspace(lo_in[0], hi_in[0], width)
        ys = np.linspace(hi_in[1], lo_in[1], 2 * rows)  # top row: the largest x2
        gx, gy = np.meshgrid(xs, ys)
        pts = np.column_stack([gx.ravel(), gy.ravel()])
        n_in = self.trace.scenario.network.inputs
        if n_in > 2:
            pts = np.column_stack([pts, np.zeros((pts.shape[0], n_in - 2))])
        with np.errstate(all="ignore"):
            flat = self.outputs(params, pts)
            if flat is None:
                return np.zeros((0, 0), dtype=int)
            out = flat.reshape(2 * rows, width)
            bounded = "w" in params or self.trace.scenario.network.layers[-1].activation == "sigmoid"
            if self.n_classes > 1:
                bounded, out = True, out / (self.n_classes - 1)  # class c at level c·(L−1)/(k−1)
            lo, hi = (0.0, 1.0) if bounded else plotting.finite_range(out.ravel(), (0.0, 1.0))
            self.range = (lo, hi)
            span = hi - lo or 1.0
            scaled = np.nan_to_num((out - lo) / span, nan=0.0, posinf=1.0, neginf=0.0)
            grid = np.clip(scaled * LEVELS, 0, LEVELS - 1).astype(int)
        data = self.trace.scenario.data
        self.points = {}
        targets = data.targets.argmax(axis=1).astype(float) if self.n_classes > 1 else data.targets[:, 0]
        for x, tgt in zip(data.inputs[:, :2], targets, strict=True):
            cx = plotting.cell(x[0], lo_in[0], hi_in[0], width)
            cy = plotting.row(x[1], lo_in[1], hi_in[1], 2 * rows)
            if cx is not None and cy is not None:
                self.points[(cy // 2, cx)] = float(tgt)
        return grid
