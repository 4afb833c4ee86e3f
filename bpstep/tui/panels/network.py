"""The network panel: the layers as columns of units."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual.content import Content
from textual.events import Click
from textual.message import Message

from bpstep import ops
from bpstep.catalog import ACTIVATIONS
from bpstep.explain import sym
from bpstep.format import num
from bpstep.tracing import Step
from bpstep.tui.model import Layer, Model, View, is_hidden
from bpstep.tui.panels.base import DIM, READ, WRITE, Panel

if TYPE_CHECKING:

    pass

_OPERAND = re.compile(r"^(Z\d+|W\d+|b\d+|delta\d+|dE/d\w+)$")  # trace values, not bookkeeping


def _pick_units(n: int, rows: int, focus: list[int]) -> list[int | None]:
    """Which units of a layer to list in ``rows`` rows: all when they fit; else the first, the
    last and those the step touches, with None for each elided run."""
    if n <= rows:
        return list(range(n))
    rows = max(rows, 3)
    keep = {0, n - 1} | set(focus[: max(1, rows // 3)])
    cand = 1
    while True:
        out = _with_gaps(sorted(keep))
        if len(out) >= rows or cand >= n:
            break
        keep.add(cand)
        cand += 1
        if len(_with_gaps(sorted(keep))) > rows:
            keep.discard(cand - 1)
            break
    return _with_gaps(sorted(keep))


def _with_gaps(units: list[int]) -> list[int | None]:
    out: list[int | None] = []
    for u in units:
        if out and out[-1] is not None and u != out[-1] + 1:
            out.append(None)
        out.append(u)
    return out


class NetworkPanel(Panel):
    """The layers as columns of units with their current values; the units and connections the
    current step reads are shaded, those it writes highlighted. Wide layers are elided."""

    class UnitClicked(Message):
        def __init__(self, layer: int, unit: int) -> None:
            super().__init__()
            self.layer = layer
            self.unit = unit

    def __init__(self, model: Model, *, id: str, title: str) -> None:  # noqa: A002
        super().__init__(model, id=id, title=title)
        self._cells: dict[tuple[int, int], tuple[int, int]] = {}  # (row, layer) → (x0, x1)
        self._units: dict[tuple[int, int], int] = {}  # (row, layer) → unit

    def draw(self, view: View) -> list[Content]:
        m, t = self.model, self.model.trace
        self._cells.clear()
        self._units.clear()
        if not len(t):
            return [Content("computing…")]
        import numpy as np  # once there are steps: the first frame is drawn without numpy

        step = t[view.index]
        if not t.modules:
            return self._draw_steps(view)
        width, height = self.size.width, self.size.height
        where = m.batch_of(view.index) or (1, 1)
        batch = m.trace.find("Z0", *where)
        n_samples = batch.value.shape[0] if batch is not None else 1
        sample, unit = 0, None
        if view.sub is not None and step.value.ndim == 2:
            i, j = np.unravel_index(view.sub, step.value.shape)
            if step.phase in ("forward", "backward"):
                sample, unit = int(i), int(j)
            elif step.op == "grad_W":
                unit = view.sub
        elif view.sub is not None and step.value.ndim == 1:
            unit = view.sub
        title = "Network" + (f" · sample {sample + 1} of {n_samples}" if n_samples > 1 else "")
        if step.epoch == 0:  # after training (the best epoch, the test set): not a batch of its own
            title += " · last training batch"
        self.set_title(title)
        touch = ops.get(step.op).touches(step, self.model.layer_of(step).k, unit)
        reads, writes, conns = touch.reads, touch.writes, touch.weights
        # Deltas during the backward pass; in the gradient phase only the layer whose deltas the
        # gradient reads (its inputs are the forward values of the layer below).
        step_layer = m.layer_of(step).k
        rows = max(1, height - 3)
        cols = []
        for layer in m.layers:
            fwd = m.forward_of(layer, view.index)
            wants_delta = step.phase == "backward" or (step.phase == "gradient" and layer.k == step_layer)
            dlt = m.delta_of(layer, view.index) if wants_delta else None
            shown = dlt or fwd
            focus = sorted((writes.get(layer.k) or set()) | (reads.get(layer.k) or set()))
            picked = _pick_units(layer.units, rows, focus)
            head = "input" if layer.k == 0 else ("output" if layer.k == len(m.layers) - 1 else
                                                 f"hidden {layer.k}" if len(m.layers) > 3 else "hidden")
            if layer.activation and layer.activation != "identity":
                head += " " + ACTIVATIONS[layer.activation].symbol  # the catalog: no engine, no numpy
            sub_head = ("δ" + sym(shown.name)[1:] if shown is dlt else sym(shown.name)) if shown else "·"
            cells = []
            for u in picked:
                if u is None:
                    cells.append(None)
                    continue
                label = self._unit_label(layer, shown, sample, u)
                if shown is None:
                    value = "·"
                elif is_hidden(view, shown.index, sample * shown.value.shape[1] + u):
                    value = "?"
                else:
                    value = num(float(shown.value[sample, u]), view.precision)
                style = ""
                if layer.k in writes and (writes[layer.k] is None or u in writes[layer.k]):
                    style = WRITE
                elif layer.k in reads and (reads[layer.k] is None or u in reads[layer.k]):
                    style = READ
                cells.append((u, label, value, style))
            cols.append((layer, head, sub_head, cells))
        return self._layout(cols, conns, width, rows, step)

    def _draw_steps(self, view: View) -> list[Content]:
        """A network without layers (the perceptron): the values of the cursor's sample so far,
        one column per step (x, z, ŷ, error, w), the current one highlighted, its operands shaded."""
        import numpy as np

        t = self.model.trace
        step = t[view.index]
        cols = []
        j = view.index
        while j >= 0 and (t[j].epoch, t[j].batch) == (step.epoch, step.batch) and len(cols) < 8:
            cols.append(t[j])
            if t[j].phase == "forward" and t[j].op.endswith("input"):
                break  # the sample's first step
            j -= 1
        cols.reverse()
        rows = max(1, self.size.height - 2)
        width = self.size.width
        columns = []
        x = 0
        for s in reversed(cols):  # the current step first: drop the earliest when too wide
            flat = s.value.reshape(-1)
            idx = [tuple(int(a) for a in np.unravel_index(i, s.value.shape)) if s.value.ndim else ()
                   for i in range(min(flat.size, rows))]
            cells = [f"{self.model.namer(s.name, ix)} "
                     f"{'?' if is_hidden(view, s.index, i) else num(float(flat[i]), view.precision)}"
                     for i, ix in enumerate(idx)]
            cw = max([len(c) for c in cells] + [len(s.name)]) + 2
            if x + cw > width and columns:
                break
            columns.append((s, cells, cw))
            x += cw
        body: list[list[str | tuple[str, str]]] = [[] for _ in range(rows + 1)]
        for s, cells, cw in reversed(columns):
            style = WRITE if s.index == view.index else (READ if s.name in step.inputs else "")
            body[0].append((f"{s.name:<{cw}}", "bold"))
            for r in range(rows):
                body[r + 1].append((f"{cells[r]:<{cw - 2}}" if r < len(cells) else " " * (cw - 2), style))
                body[r + 1].append("  ")
        out = [Content.assemble(*line) for line in body if line]
        return out[: rows + 1]

    def _unit_label(self, layer: Layer, shown: Step | None, sample: int, u: int) -> str:
        base = None
        if shown is not None:
            base = shown.name if not shown.name.startswith("delta") else f"Z{shown.name[5:]}"
        elif layer.modules:  # not computed yet: the names of the layer's output
            base = f"Z{layer.modules[-1].index}"
        if base is not None:
            for idx in ((sample, u), (0, u)):
                label = self.model.namer(base, idx)
                if "[" not in label:
                    return label
        # No display name: inputs x1…, the output layer's units o1…, hidden units h1… (h2.1… with
        # several hidden layers), so that no two columns share a label.
        if layer.k == 0:
            return f"x{u + 1}"
        if layer.k == self.model.layers[-1].k:
            return f"o{u + 1}"
        return f"h{u + 1}" if len(self.model.layers) == 3 else f"h{layer.k}.{u + 1}"

    def _layout(self, cols: list, conns: set[int], width: int, rows: int, step: Step) -> Content:
        # Column widths; drop the labels when the columns would not fit side by side.
        def widths(with_labels: bool) -> list[tuple[int, int]]:
            out = []
            for _, head, sub_head, cells in cols:
                lw = max([len(c[1]) for c in cells if c] + [0]) if with_labels else 0
                vw = max([len(c[2]) for c in cells if c] + [1])
                out.append((lw, max(vw, len(head) - lw - 1, len(sub_head) - lw - 1)))
            return out

        gutter = 4
        ws = widths(True)
        total = sum(lw + vw + 1 for lw, vw in ws) + gutter * (len(cols) - 1)
        if total > width:
            ws = widths(False)
            gutter = 3
        lines: list[list[str | tuple[str, str]]] = [[], []]
        n_rows = max(len(c[3]) for c in cols)
        body: list[list[str | tuple[str, str]]] = [[] for _ in range(n_rows)]
        x = 0
        for ci, ((layer, head, sub_head, cells), (lw, vw)) in enumerate(zip(cols, ws, strict=True)):
            cw = (lw + 1 if lw else 0) + vw
            if ci:
                conn = layer.k in conns
                st = "bold $accent" if conn else DIM
                lines[0].append(" " * gutter)
                lines[1].append((f"{'W' + str(layer.k):^{gutter}}", st))
                for r in range(n_rows):
                    arrow = (" ━▶ " if conn else " ─▶ ")[-gutter:] if r < len(cells) else " " * gutter
                    body[r].append((arrow, st))
                x += gutter
            lines[0].append((f"{head:<{cw}}"[:cw], "bold"))
            lines[1].append((f"{sub_head:<{cw}}"[:cw], DIM))
            for r in range(n_rows):
                if r >= len(cells):
                    body[r].append(" " * cw)
                    continue
                c = cells[r]
                if c is None:
                    body[r].append((f"{'⋮':^{cw}}", DIM))
                    continue
                u, label, value, style = c
                text = (f"{label:<{lw}} " if lw else "") + f"{value:>{vw}}"
                body[r].append((text, style))
                self._cells[(r + 2, layer.k)] = (x, x + cw)
                self._units[(r + 2, layer.k)] = u
            x += cw
        out = [Content.assemble(*ln) for ln in lines + body]
        reads = [sym(k) for k in step.inputs if _OPERAND.match(k) and k != step.name]
        if step.phase == "update" and step.name in step.inputs:
            reads.insert(0, sym(step.name))
        info = f"reads {', '.join(reads) or '—'} → writes {sym(step.name)}"
        if step.epoch == 0 and (where := self.model.batch_of(step.index)) is not None:
            info = f"values of epoch {where[0]}, batch {where[1]}: the last training batch"
        out.append(Content.styled(info[:width], DIM))
        return out[: rows + 3]

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for (row, k), (x0, x1) in self._cells.items():
            if row == offset.y and x0 <= offset.x < x1:
                self.post_message(self.UnitClicked(k, self._units[(row, k)]))
                return


