"""The network picture's domain questions, without Textual: which edges (single weights) a step
uses, each edge's gradient at a step, and which units are dead (ReLU at 0) or saturated
(f′ < 0.01). numpy and the engine are imported on first use (after the first frame)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bpstep import names, ops

if TYPE_CHECKING:
    import numpy as np

    from bpstep.tracing import Step
    from bpstep.tui.model import Layer, Model

SATURATED = 0.01  # f′ below this: the unit passes on almost no gradient
# layer k → the edges (source unit i, target unit j) of W_k used, or None for all of them
Edges = dict[int, "set[tuple[int, int]] | None"]


def edges_used(step: Step, k: int, unit: int | None) -> Edges:
    """The single weights a step uses. ``unit`` is the element stepped into (a flat index into the
    step's value) or None for the whole step. A forward z_j uses the edges into j; a backward
    ∂E/∂a_i the edges out of i; ∂E/∂w_ij and an update of w_ij the edge (i, j) alone."""
    op = step.op
    shape = step.value.shape
    if op == "linear":
        if unit is None or len(shape) != 2:
            return {k: None}
        j = unit % shape[1]
        return {k: {("*", j)}}  # type: ignore[dict-item]
    if op == "linear_grad_input":
        if unit is None or len(shape) != 2:
            return {k + 1: None}
        i = unit % shape[1]
        return {k + 1: {(i, "*")}}  # type: ignore[dict-item]
    if op in ("grad_W", "update", "frozen", "grad_b"):
        if names.parse(step.name.removeprefix("dE/d")).kind != "weight":
            return {}  # a bias: no edge
        if unit is None or len(shape) != 2:
            return {k: None}
        return {k: {divmod(unit, shape[1])}}
    return {layer: None for layer in ops.get(op).touches(step, k, unit).weights}


def is_used(edges: Edges, k: int, i: int, j: int) -> bool:
    if k not in edges:
        return False
    used = edges[k]
    return used is None or (i, j) in used or ("*", j) in used or (i, "*") in used  # type: ignore[operator]


def edge_gradients(model: Model, layer: Layer, index: int) -> np.ndarray | None:
    """∂E/∂W_k for the cursor's batch as far as it is known at step ``index``: the gradient step's
    value once computed, else Aᵀ·δ from the layer's δ (at its Linear output) and the inputs below
    as soon as that δ is computed; None before (or for a layer without weights)."""
    import numpy as np

    where = model.batch_of(index)
    if where is None or layer.k == 0 or not layer.modules:
        return None
    t = model.trace
    grad = t.find(names.grad(names.weight(layer.k)), *where)
    if grad is not None and grad.index <= index:
        return np.asarray(grad.value)
    lin = layer.modules[0].index
    delta = t.find(names.delta(lin), *where)
    below = t.find(names.z(lin - 1), *where)
    if delta is None or below is None or delta.index > index or below.index > index:
        return None
    if delta.value.ndim != 2 or below.value.ndim != 2:
        return None
    from bpstep.engine.recorder import blas_threads

    # One BLAS thread for this product, as for the run's: with two, OpenBLAS's second thread
    # spins ~0.1 s of CPU after a 784-wide layer's product (a 110-120 ms key press, ~16 ms with one).
    with np.errstate(all="ignore"), blas_threads():
        return below.value.T @ delta.value


def unit_states(model: Model, layer: Layer, index: int, sample: int) -> dict[int, str]:
    """unit → "dead" (ReLU output 0) or "saturated" (f′(z) < 0.01) in ``sample`` of the cursor's
    batch, once the layer's activation is computed at step ``index``."""
    import numpy as np

    if layer.k == 0 or not layer.activation or layer.activation in ("identity", "softmax") \
            or len(layer.modules) < 2:
        return {}
    where = model.batch_of(index)
    if where is None:
        return {}
    t = model.trace
    z = t.find(names.z(layer.modules[0].index), *where)
    a = t.find(names.z(layer.modules[-1].index), *where)
    if z is None or a is None or a.index > index or sample >= a.value.shape[0]:
        return {}
    from bpstep.engine.activations import get_activation

    act = get_activation(layer.activation)
    zs, as_ = np.asarray(z.value[sample], dtype=float), np.asarray(a.value[sample], dtype=float)
    with np.errstate(all="ignore"):
        df = np.asarray(act.df(zs, as_), dtype=float)
    out: dict[int, str] = {}
    for u in range(zs.size):
        if layer.activation == "relu":
            if as_[u] == 0:
                out[u] = "dead"
        elif np.isfinite(df[u]) and abs(df[u]) < SATURATED:
            out[u] = "saturated"
    return out
