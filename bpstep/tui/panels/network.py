"""The network panel: the layers as columns of units."""

from __future__ import annotations

import re

from textual.content import Content
from textual.events import Click
from textual.message import Message

from bpstep import names as step_names
from bpstep import ops
from bpstep.catalog import ACTIVATIONS
from bpstep.explain import sym
from bpstep.format import num
from bpstep.tracing import Step
from bpstep.tui import netfacts
from bpstep.tui.model import Layer, Model, View, is_hidden
from bpstep.tui.panels.base import DIM, READ, WRITE, Panel

GRAD_POS, GRAD_NEG = "$text-error", "$text-primary"  # ∂E/∂w > 0 (w will decrease) and < 0

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
        self.sample_pick = 0  # the sample shown when not stepping into one (x cycles it)
        self.sample_shown = 0
        self._grad_shown = False
        self._used_total: dict[int, int] = {}  # layer k → how many of its edges the step uses

    def cache_key(self, view: View) -> object:
        return (view, self.size, len(self.model.trace) > 0, self.sample_pick)

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
        sample, unit = self.sample_pick % max(1, n_samples), None
        if view.sub is not None and step.value.ndim == 2:
            i, j = np.unravel_index(view.sub, step.value.shape)
            if step.phase in ("forward", "backward"):
                sample, unit = int(i), int(j)
            elif step.op == "grad_W":
                unit = view.sub
        elif view.sub is not None and step.value.ndim == 1:
            unit = view.sub
        self.sample_shown = sample
        title = "Network" + (f" · sample {sample + 1} of {n_samples} (x: next)" if n_samples > 1 else "")
        if step.epoch == 0:  # after training (the best epoch, the test set): not a batch of its own
            title += " · last training batch"
        self.set_title(title)
        step_layer = m.layer_of(step).k
        touch = ops.get(step.op).touches(step, step_layer, unit)
        reads, writes = touch.reads, touch.writes
        edges = netfacts.edges_used(step, step_layer, view.sub if step.op in ("grad_W", "update", "frozen")
                                    else unit)
        # Deltas during the backward pass; in the gradient phase only the layer whose deltas the
        # gradient reads (its inputs are the forward values of the layer below).
        rows = max(1, height - 4)
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
            states = netfacts.unit_states(m, layer, view.index, sample)
            cells = []
            for u in picked:
                if u is None:
                    cells.append(None)
                    continue
                label = self._unit_label(layer, shown, sample, u)
                if shown is not None and shown is dlt:
                    label = "δ" + label  # never labelled like the activation: δo1 0.7896, o1 0.8896
                if shown is None:
                    value = "·"
                elif is_hidden(view, shown.index, sample * shown.value.shape[1] + u):
                    value = "?"
                else:
                    value = num(float(shown.value[sample, u]), view.precision)
                mark = {"dead": " ✕", "saturated": " ≈"}.get(states.get(u, ""), "")
                style = ""
                if layer.k in writes and (writes[layer.k] is None or u in writes[layer.k]):
                    style = WRITE
                elif layer.k in reads and (reads[layer.k] is None or u in reads[layer.k]):
                    style = READ
                cells.append((u, label, value, style, mark))
            cols.append((layer, head, sub_head, cells, picked))
        out = self._layout(cols, edges, width, rows, step, view)
        marks = []
        if any("✕" in c[4] for col in cols for c in col[3] if c):
            marks.append("✕ dead (ReLU 0)")
        if any("≈" in c[4] for col in cols for c in col[3] if c):
            marks.append(f"≈ saturated (f′ < {netfacts.SATURATED})")
        if self._grad_shown:
            marks.append("edge: ∂E/∂w ")
        if marks:
            legend = [(" · ".join(marks), DIM)]
            if self._grad_shown:
                legend += [("+", GRAD_POS), (" ", ""), ("−", GRAD_NEG), (" (bold: large)", DIM)]
            out.insert(len(out) - 1, Content.assemble(*legend).truncate(width))
        return out[: height]

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
            parsed = step_names.parse(shown.name)
            base = step_names.z(parsed.number) if parsed.kind == "delta" else shown.name
        elif layer.modules:  # not computed yet: the names of the layer's output
            base = step_names.z(layer.modules[-1].index)
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

    def _edges(self, cols: list, edges: netfacts.Edges, rows: int, view: View) -> dict[int, list]:
        """layer k → its edge rows: (i, j, name, value text, style) or None for "⋮ n more"."""
        import numpy as np

        m = self.model
        params = m.trace.parameters_at(view.index)
        out: dict[int, list] = {}
        self._grad_shown = False
        self._used_total: dict[int, int] = {}  # layer k → how many of its edges the step uses
        for ci in range(1, len(cols)):
            layer = cols[ci][0]
            w = params.get(step_names.weight(layer.k))
            if w is None or np.ndim(w) != 2:
                out[layer.k] = []
                continue
            src = [u for u in cols[ci - 1][4] if u is not None]
            dst = [u for u in cols[ci][4] if u is not None]
            grad = netfacts.edge_gradients(m, layer, view.index)
            big = float(np.nanmax(np.abs(grad))) if grad is not None and grad.size and \
                np.isfinite(grad).any() else 0.0
            pairs = [(i, j) for i in src for j in dst]
            used = [p for p in pairs if netfacts.is_used(edges, layer.k, *p)]
            self._used_total[layer.k] = len(used)
            if len(pairs) > rows:
                keep = set(used[: rows - 1])
                keep |= set([p for p in pairs if p not in keep][: max(0, rows - 1 - len(keep))])
                shown = [p for p in pairs if p in keep]
            else:
                shown = pairs
            lines: list = []
            for i, j in shown:
                name = m.namer(step_names.weight(layer.k), (i, j))
                style = DIM
                if grad is not None and big > 0 and np.isfinite(grad[i, j]):
                    g = float(grad[i, j])
                    style = GRAD_POS if g > 0 else GRAD_NEG if g < 0 else DIM
                    if abs(g) >= 0.5 * big:
                        style = f"bold {style}"
                    elif abs(g) < 0.1 * big:
                        style = f"{style} 60%"
                    self._grad_shown = True
                if (i, j) in used:
                    style = f"bold {style.removeprefix('bold ')} on $accent 35%"
                lines.append((i, j, "" if "[" in name else name, num(float(w[i, j]), view.precision), style,
                              (i, j) in used))
            if len(shown) < len(pairs):
                lines.append(None)
            out[layer.k] = lines
        return out

    def _layout(self, cols: list, edges: netfacts.Edges, width: int, rows: int, step: Step,
                view: View) -> list[Content]:
        edge_rows = self._edges(cols, edges, rows, view)
        names = {(c[0].k, cell[0]): cell[1].removeprefix("δ") for c in cols for cell in c[3] if cell}

        def edge_text(k: int, e: tuple, mode: int) -> str:
            i, j, name, value = e[:4]
            if mode == 3:
                return value
            if mode == 0:
                ends = f"{names.get((k - 1, i), i + 1)}→{names.get((k, j), j + 1)}"
                return f"{ends} {name} {value}" if name else f"{ends} {value}"
            return f"{name} {value}" if name else edge_text(k, e, 0)  # no name: its ends name it

        # Unit columns' widths; the edges as wide as they can be drawn: with their ends and
        # names, with their names, or as arrows only (the old picture) with or without unit labels.
        def widths(with_labels: bool) -> list[tuple[int, int]]:
            out = []
            for _, head, sub_head, cells, _ in cols:
                lw = max([len(c[1]) for c in cells if c] + [0]) if with_labels else 0
                vw = max([len(c[2]) for c in cells if c] + [1]) + max([len(c[4]) for c in cells if c] + [0])
                out.append((lw, max(vw, len(head) - lw - 1, len(sub_head) - lw - 1)))
            return out

        def total(ws: list[tuple[int, int]], gaps: list[int]) -> int:
            return sum(lw + vw + (1 if lw else 0) for lw, vw in ws) + sum(gaps)

        # The edges' text per layer and mode: 0 and 1 list the edges (used first), 2 only those
        # the step uses, 3 their values alone, each on the row of its source unit (a fan into j)
        # or of its target (a fan out of i); an empty dict for a layer drawn as arrows.
        def texts(ci: int, mode: int) -> dict[int, tuple[str, str]]:
            k = cols[ci][0].k
            es = edge_rows.get(k, [])
            if mode == 4:
                return {}
            if mode in (0, 1):
                more = len(cols[ci - 1][4]) * len(cols[ci][4]) - len(es) + 1
                return {r: (f"⋮ {more} more", DIM) if e is None else (edge_text(k, e, mode), e[4])
                        for r, e in enumerate(es)}
            used = [e for e in es if e and e[5]]
            if mode == 2:
                out = {r: (edge_text(k, e, 1), e[4]) for r, e in enumerate(used)}
                if used and self._used_total.get(k, 0) > len(used):
                    out[len(used)] = (f"⋮ {self._used_total[k] - len(used)} more", DIM)
                return out
            if len({e[0] for e in used}) == len(used):  # one edge per source unit: on its row
                into = True
            elif len({e[1] for e in used}) == len(used):  # one per target unit
                into = False
            else:
                return {}  # several edges a row: arrows (lit when the step uses them)
            ends = cols[ci - 1][3] if into else cols[ci][3]
            row_of = {c[0]: r for r, c in enumerate(ends) if c}
            return {row_of[e[0] if into else e[1]]: (edge_text(k, e, 3), e[4]) for e in used
                    if (e[0] if into else e[1]) in row_of}

        def gap_of(t: dict[int, tuple[str, str]]) -> int:
            return max(len(x) for x, _ in t.values()) + 5 if t else 4

        mode = 4
        for try_mode, try_labels in ((0, True), (1, True), (2, True), (3, True), (4, True), (3, False),
                                     (4, False)):
            ws = widths(try_labels)
            table = [texts(ci, try_mode) for ci in range(1, len(cols))]
            gaps = [gap_of(t) for t in table]
            mode = try_mode
            if total(ws, gaps) <= width:
                break
        lines: list[list[str | tuple[str, str]]] = [[], []]
        n_rows = max([len(c[3]) for c in cols] + [r + 1 for t in table for r in t])
        n_rows = min(n_rows, rows)
        body: list[list[str | tuple[str, str]]] = [[] for _ in range(n_rows)]
        x = 0
        for ci, ((layer, head, sub_head, cells, _), (lw, vw)) in enumerate(zip(cols, ws, strict=True)):
            cw = (lw + 1 if lw else 0) + vw
            if ci:
                gap = gaps[ci - 1]
                t = table[ci - 1]
                conn = layer.k in edges
                st = "bold $accent" if conn else DIM
                lines[0].append(" " * gap)
                lines[1].append((f"{'W' + str(layer.k):^{gap}}", st))
                for r in range(n_rows):
                    if r in t:
                        text, style = t[r]
                        arrow = "    " if text.startswith("⋮") else " ─▶ "
                        body[r].append((" ", ""))
                        body[r].append((f"{text:<{gap - 5}}", style))
                        body[r].append((arrow, style))
                    elif (not t or mode == 3) and r < len(cells):
                        body[r].append(((" ━▶ " if conn else " ─▶ ").rjust(gap), st))
                    else:
                        body[r].append((" " * gap, st) if not t else " " * gap)
                x += gap
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
                u, label, value, style, mark = c
                mw = max([len(c[4]) for c in cells if c] + [0])
                text = (f"{label:<{lw}} " if lw else "") + f"{value:>{vw - mw}}" + f"{mark:<{mw}}"
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
        return out

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for (row, k), (x0, x1) in self._cells.items():
            if row == offset.y and x0 <= offset.x < x1:
                self.post_message(self.UnitClicked(k, self._units[(row, k)]))
                return


