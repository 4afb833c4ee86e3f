"""The debugger's panels. Each one draws itself from a View (cursor, sub-step, precision) with
``show(view)``, redrawing only when what it depends on changed; none of them keeps state that
stepping backwards would have to undo."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from bpstep.engine.activations import get_activation
from bpstep.engine.network import build_modules, forward
from bpstep.explain import sym
from bpstep.format import num
from bpstep.trace import Step
from bpstep.tui import plotting
from bpstep.tui.model import PHASE_SHORT, Layer, Model, View, hidden_from, is_hidden

if TYPE_CHECKING:
    from bpstep.check import Result
    from bpstep.explain import Element, Explanation

PHASE_STYLE = {"forward": "$text-success", "loss": "$text-warning", "backward": "$text-error",
               "gradient": "$text-accent", "update": "$text-secondary", "epoch": "$text-primary",
               "end": "$text-primary", "evaluate": "$text-primary"}
WRITE = "bold $text on $accent 45%"
READ = "$text on $primary 40%"
DIM = "$text-muted"
CHANGED = "bold $warning"
HIDDEN = "bold $warning"  # the "?" of a value hidden by the quiz
NL = Content("\n")
_OPERAND = re.compile(r"^(Z\d+|W\d+|b\d+|delta\d+|dE/d\w+)$")  # trace values, not bookkeeping


def formula(element: Element, precision: int, hidden: bool = False) -> str:
    """An element's substituted formula; hidden (in a quiz), with ``?`` for its result:
    ``z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = ?``."""
    if not hidden:
        return element.text(precision)
    parts = [element.symbolic] if element.symbolic else []
    if element.substituted and element.substituted != element.symbolic:
        parts.append(element.substituted)
    return f"{element.label} {':=' if element.assign else '='} " + " = ".join([*parts, "?"])


class Panel(Widget):
    """A panel drawn as lines of Content through the Line API. ``show(view)`` recomputes the
    lines, and only the lines that differ from what is on screen are repainted: most of a panel
    stays put from one step to the next, and a key press should cost one frame of work."""

    DEFAULT_CSS = "Panel { height: 1fr; }"
    PAINTED_LINES = 512  # lines kept painted, by content: stepping back repaints none of them

    def __init__(self, model: Model, *, id: str, title: str = "") -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = model
        if title:
            self.border_title = title
        self._key: object = None
        self._lines: list[Content] = []
        self._strips: dict[int, Strip] = {}
        self._painted: dict[tuple, Strip] = {}  # (text, spans) → strip, at the current width and style
        self._base: tuple[object, Style] | None = None
        self._drawn: Size | None = None  # the size the lines were drawn for
        self._quiet = False  # drawing while being painted: no refresh
        self.view: View | None = None

    @property
    def text(self) -> str:
        """The panel's text as shown (for tests and the command line)."""
        return "\n".join(line.plain for line in self._lines)

    def show(self, view: View) -> None:
        self.view = view
        if not self.size.width or not self.size.height:
            return  # hidden or not laid out yet: drawn when first painted
        key = self.cache_key(view)
        if key == self._key:
            return
        self._key = key
        self.set_lines(self.draw(view))

    def set_title(self, title: str) -> None:
        # Setting a border title repaints the whole widget: only do it when it changes.
        if title != getattr(self, "_title_text", None):
            self._title_text = title
            self.border_title = Content(title)

    def set_lines(self, lines: list[Content]) -> None:
        old, self._lines = self._lines, lines
        if self._drawn != self.size:  # the strips painted so far have another width
            self._drawn = self.size
            self._strips.clear()
            self._painted.clear()
            old = []
        width = self.size.width
        changed = [y for y in range(max(len(old), len(lines)))
                   if y >= len(old) or y >= len(lines) or not old[y].is_same(lines[y])]
        for y in changed:
            self._strips.pop(y, None)
        if changed and not self._quiet:  # one refresh for them all: each call has its own cost
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def cache_key(self, view: View) -> object:
        return (view, self.size, len(self.model.trace) > 0)

    def draw(self, view: View) -> list[Content]:
        raise NotImplementedError

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.view is not None and self._drawn != self.size:
            # Laid out or resized since the last show(): Textual paints a new layout before the
            # widgets hear of their size (the first frame, too), so draw for this size now
            # rather than paint the panel empty or stale.
            self._key = None
            self._quiet = True  # every line is about to be painted anyway
            try:
                self.show(self.view)
            finally:
                self._quiet = False
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        strip = self._strips.get(y)
        if strip is None:
            width = self.size.width
            if self._base is None:  # looked up once: each lookup walks the ancestors' styles
                self._base = (self.visual_style, self.rich_style)
            visual_style, rich_style = self._base
            if y < len(self._lines):
                line = self._lines[y]
                key = (line.plain, tuple(line.spans))
                strip = self._painted.get(key)
                if strip is None:
                    # Content.render straight to segments: no wrapping pass (lines are laid out here).
                    segs = [Segment(text, st.rich_style) for text, st in
                            line.render(visual_style, "", self._get_style)]
                    strip = Strip(segs).crop_extend(0, width, rich_style)
                    if len(self._painted) >= self.PAINTED_LINES:
                        self._painted.clear()
                    self._painted[key] = strip
            else:
                strip = Strip.blank(width, rich_style)
            self._strips[y] = strip
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._painted.clear()
        self._base = None

    def on_resize(self) -> None:
        if self._drawn == self.size:
            return  # already drawn for this size, when it was painted
        self._strips.clear()
        self._key = None
        if self.view is not None:
            self.show(self.view)
        self.refresh()


# --- where am I ---------------------------------------------------------------------------------

class WhereBar(Panel):
    """Scenario, epoch / batch, step i of N, phase, the step's name; then how the run is going."""

    def __init__(self, model: Model, *, id: str) -> None:  # noqa: A002
        super().__init__(model, id=id)
        self.status = ""  # computing / diverged / … (set by the app)
        self.status_style = ""
        self.activity = ""  # waiting for the run / searching (set by the app), before the status
        self.epochs_total: int | None = None  # the run's epoch limit, when the app knows it
        self._extra = ""

    def show(self, view: View, extra: str | None = None) -> None:  # type: ignore[override]
        self.view = view
        if extra is None:  # a redraw after a resize keeps the breakpoint line
            extra = self._extra
        self._extra = extra
        t = self.model.trace
        sc = t.scenario
        width = self.size.width or 80
        parts: list[str | tuple[str, str] | Content] = []
        n = len(t)
        if n:
            s = t[view.index]
            more = "" if t.finished else "…"
            # Once the run has ended, the epochs it ran (an early stop, a convergence, a
            # divergence end it before its limit); while it runs, the limit, said as one.
            limit = self.epochs_total or sc.training.epochs
            real = max(t.epochs_run, s.epoch)
            # A perceptron learns from one sample at a time: its "batches" are the samples.
            unit, units = ("sample", len(sc.data.inputs)) if not t.modules else ("batch", self.model.batches)
            for compact in (False, True):  # the short form when the long one does not fit
                if s.epoch == 0:
                    where = s.where()
                elif compact:
                    where = (f"e{s.epoch}/{real}" if t.finished else f"e{s.epoch}/≤{limit}") + (
                        f" {unit[0]}{s.batch}/{units}" if s.batch else "")
                else:
                    where = (f"epoch {s.epoch}/{real}" if t.finished else
                             f"epoch {s.epoch} (of at most {limit})") + (
                        f" · {unit} {s.batch} of {units}" if s.batch else "")
                pos = f"#{s.index} {s.index + 1}/{n}{more}" if compact else \
                    f"step #{s.index} · {s.index + 1} of {n}{more}"
                parts = [(f" {sc.name} ", "bold"), "│ ", where, f" │ {pos} │ ",
                         (s.phase, f"bold {PHASE_STYLE.get(s.phase, '')}"), " │ ",
                         (self.model.label(s, 4 if not compact else 2), "bold"), " "]
                if view.sub is not None:
                    parts.append((f"[element {view.sub + 1}/{s.value.size}] ", "$accent"))
                if Content.assemble(*parts).cell_length <= width:
                    break
        else:
            parts = [(f" {sc.name} ", "bold"), "│ no steps yet "]
        if view.precision != 4:
            parts.append((f"{view.precision} dp ", DIM))
        line2: list[str | tuple[str, str]] = []
        if self.activity:
            line2 += [(self.activity, "bold $accent"), "  "]
        if self.status:
            line2.append((self.status, self.status_style))
        if extra:
            line2 += ["  ", (extra, DIM)]
        lines = [Content.assemble(*parts)]
        if line2:
            lines.append(Content.assemble(" ", *line2))
        if self.styles.height is None or len(lines) != self.styles.height.value:
            self.styles.height = len(lines)  # a second line only while there is a status to show
        self.set_lines(lines)


# --- network ------------------------------------------------------------------------------------

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

    def touched(self, step: Step, sample: int | None, unit: int | None
                ) -> tuple[dict[int, set[int] | None], dict[int, set[int] | None], set[int]]:
        """(layers read, layers written, connection layers) of a step: layer → units (None =
        all); in a sub-step only the element's unit where that is what it touches."""
        op, k = step.op, self.model.layer_of(step).k
        one = {unit} if unit is not None else None
        reads: dict[int, set[int] | None] = {}
        writes: dict[int, set[int] | None] = {}
        conns: set[int] = set()
        if op == "input":
            writes[0] = one
        elif op == "linear":
            reads[k - 1], writes[k], conns = None, one, {k}
        elif op == "activation":
            reads[k], writes[k] = one, one
        elif op == "loss":
            reads[k] = None
        elif op == "loss_grad":
            reads[k], writes[k] = one, one
        elif op == "activation_grad":
            reads[k], writes[k] = one, one
        elif op == "linear_grad_input":
            reads[k + 1], writes[k], conns = None, one, {k + 1}
        elif op == "grad_W":
            conns = {k}
            if step.value.ndim == 2 and unit is not None:
                r, j = np.unravel_index(unit, step.value.shape)
                reads[k - 1], reads[k] = {int(r)}, {int(j)}
            else:
                reads[k - 1], reads[k] = None, None
        elif op == "grad_b":
            reads[k], conns = one if step.value.ndim else None, {k}
        elif op in ("update", "frozen"):
            conns = {k}
        return reads, writes, conns

    def draw(self, view: View) -> list[Content]:
        m, t = self.model, self.model.trace
        self._cells.clear()
        self._units.clear()
        if not len(t):
            return [Content("computing…")]
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
        reads, writes, conns = self.touched(step, sample, unit)
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
                head += " " + get_activation(layer.activation).symbol
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


# --- step ---------------------------------------------------------------------------------------

class StepPanel(Panel):
    """The rule in the tutorial's notation, then each element's substituted formula; stepping
    into a step highlights one element at a time."""

    def draw(self, view: View) -> list[Content]:
        t = self.model.trace
        if not len(t):
            return [Content("computing…")]
        step = t[view.index]
        width = max(10, self.size.width)
        height = max(1, self.size.height)
        need = (view.sub or 0) + max(4, height // 2)
        while True:  # explain only as many elements as the panel shows (wide layers have thousands)
            ex: Explanation = self.model.explanation(view.index, view.precision, need)
            head = Content.styled(ex.rule, "bold").wrap(width)
            if ex.note:
                head += Content.styled(ex.note, f"italic {DIM}").wrap(width)
            elements = ex.elements
            total = step.value.size if elements else 0
            avail = height - len(head)
            wrapped: dict[int, list[Content]] = {}

            def lines_of(i: int, elements: tuple = elements, wrapped: dict = wrapped) -> list[Content]:
                # Each formula wraps with a hanging indent.
                if i not in wrapped:
                    text = formula(elements[i], view.precision, is_hidden(view, view.index, i))
                    wrapped[i] = Content(text).wrap(max(8, width - 4))
                return wrapped[i]

            # A window of formulas that fits, keeping the element being stepped into in view.
            start = 0
            if view.sub is not None and view.sub < len(elements):
                start = view.sub
                used = len(lines_of(start))
                while start > 0 and used + len(lines_of(start - 1)) <= max(1, avail // 2):
                    start -= 1
                    used += len(lines_of(start))
            used, end = 0, start
            while end < len(elements) and used + len(lines_of(end)) <= avail - (end + 1 < total):
                used += len(lines_of(end))
                end += 1
            if end < len(elements) or len(elements) >= total or used >= avail - 1:
                break
            need = len(elements) * 2
        if end == start and start < len(elements):
            end = start + 1
        body: list[Content] = []
        for i in range(start, end):
            if view.sub is None:
                marker, style = "  ", ""
            elif i == view.sub:
                marker, style = "▶ ", WRITE
            else:
                marker, style = "  ", DIM
            for n, piece in enumerate(lines_of(i)):
                lead = (marker, "bold $accent") if n == 0 else ("    ", "")
                body.append(Content.assemble(lead, piece.stylize(style) if style else piece))
        more = total - end
        if more > 0 or start > 0:
            bits = []
            if start:
                bits.append(f"{start} above")
            if more:
                bits.append(f"{more} more")
            hint = "" if view.sub is not None else " (s steps into each)"
            body.append(Content.styled(f"  … {', '.join(bits)}{hint}", DIM))
        if not elements and step.value.ndim == 0:
            shown = "?" if is_hidden(view, view.index, 0) else num(float(step.value), view.precision)
            body.append(Content(f"  {step.name} = {shown}"))
        return head + body


# --- values -------------------------------------------------------------------------------------

class ValuesPanel(Panel):
    """The current step's value and its operands as compact tables, display names where the
    scenario gives them; at an update, before → after with the changed cells marked."""

    def draw(self, view: View) -> list[Content]:
        t, m = self.model.trace, self.model
        if not len(t):
            return []
        step = t[view.index]
        width, height = self.size.width, max(1, self.size.height)
        p = view.precision
        out: list[Content] = []
        hide = hidden_from(view)
        if step.phase == "update" and step.name in step.inputs:
            before = step.inputs[step.name]
            out += self.table(f"{step.name} before → after", step.name, step.value, p, width,
                              height - len(out), before=before, hide_from=hide)
            shown = {step.name}
        else:
            out += self.table(f"{step.name}", step.name, step.value, p, width, height, hide_from=hide)
            shown = {step.name}
        for name, value in step.inputs.items():
            if len(out) >= height:
                break
            if name in shown or name in ("update", "velocity", "batch_sizes"):
                continue
            shown.add(name)
            out += self.table(name, name, value, p, width, height - len(out))
        if len(out) < height and step.phase in ("forward", "loss", "backward"):
            for name, value in m.trace.parameters_at(view.index).items():
                if len(out) >= height:
                    break
                if name not in shown:
                    out += self.table(f"{name} (in effect)", name, value, p, width, height - len(out))
        return out[:height]

    def table(self, title: str, name: str, value: np.ndarray, p: int, width: int, rows: int,
              before: np.ndarray | None = None, hide_from: int | None = None) -> list[Content]:
        """A value as a table: named cells (``w7 0.7000``) in the value's shape, or a numeric
        matrix with row and column numbers; rows and columns that do not fit are elided. The
        elements from ``hide_from`` on (flat index; in a quiz) are shown as ``?``."""
        value = np.asarray(value)
        namer = self.model.namer
        if rows <= 0:
            return []
        if value.ndim == 0:
            label = namer(name, ())
            cell = self._cell(float(value), None if before is None else float(before), p,
                              hide_from is not None)
            head = f"{label} " if label != name else ""
            return [Content.assemble((f"{title}: ", "bold"), head, *cell)]
        if value.size == 0:
            return [Content.styled(f"{title}  (empty)", "bold")]
        grid = value if value.ndim == 2 else value.reshape(1, -1)
        prev = None if before is None else (before if before.ndim == 2 else before.reshape(1, -1))
        idx = (lambda r, c: (r, c)) if value.ndim == 2 else (lambda r, c: (c,))
        n_cols = grid.shape[1]

        def hidden(r: int, c: int) -> bool:
            return hide_from is not None and r * n_cols + c >= hide_from

        names = [[namer(name, idx(r, c)) for c in range(min(grid.shape[1], 12))]
                 for r in range(min(grid.shape[0], 12))]
        named = all("[" not in x for row in names for x in row) and grid.size <= 24
        out = [Content.styled(f"{title}  {'×'.join(map(str, value.shape))}", "bold")]
        if named:
            cells = [[(names[r][c], self._cell(float(grid[r, c]),
                                               None if prev is None else float(prev[r, c]), p,
                                               hidden(r, c)))
                      for c in range(grid.shape[1])] for r in range(grid.shape[0])]
            lw = max(len(n) for row in cells for n, _ in row)
            cw = max(sum(len(s[0]) for s in cell) for row in cells for _, cell in row)
            per_line = max(1, (width - 1) // (lw + cw + 3))
            for row in cells[: rows - 1]:
                for start in range(0, len(row), per_line):
                    parts: list[str | tuple[str, str]] = [" "]
                    for n, cell in row[start:start + per_line]:
                        parts += [(f"{n:>{lw}} ", DIM), *cell,
                                  " " * (cw - sum(len(s[0]) for s in cell) + 2)]
                    out.append(Content.assemble(*parts))
            return out[:rows]
        # Numeric matrix: columns that fit, the last one after "…" when some are elided.
        n_rows, n_cols = grid.shape
        texts_cache: dict[tuple[int, int], list[tuple[str, str]]] = {}

        def cell(r: int, c: int) -> list[tuple[str, str]]:
            if (r, c) not in texts_cache:
                texts_cache[(r, c)] = self._cell(float(grid[r, c]),
                                                 None if prev is None else float(prev[r, c]), p,
                                                 hidden(r, c))
            return texts_cache[(r, c)]

        show_rows = list(range(n_rows)) if n_rows <= rows - 2 else [
            *range(max(1, rows - 4)), -1, n_rows - 1]
        rw = len(str(n_rows))

        def text_width(r: int, c: int) -> int:
            return sum(len(s[0]) for s in cell(r, c))

        # The column width comes from every cell shown, with a space before each: which columns
        # fit depends on that width, so the two are settled together (a few rounds at most).
        cw = 1 + max(text_width(r, c) for r in show_rows if r >= 0 for c in (0, n_cols - 1))
        while True:
            fit = max(1, (width - rw - 2) // cw)
            show_cols = list(range(n_cols)) if n_cols <= fit else [*range(max(1, fit - 2)), -1,
                                                                   n_cols - 1]
            wanted = 1 + max(text_width(r, c) for r in show_rows if r >= 0 for c in show_cols if c >= 0)
            if wanted <= cw:
                break
            cw = wanted
        head: list[str | tuple[str, str]] = [" " * (rw + 1)]
        for c in show_cols:
            head.append((f"{'…' if c < 0 else c + 1:>{cw}}", DIM))
        out.append(Content.assemble(*head))
        for r in show_rows:
            if r < 0:
                out.append(Content.styled(f"{'⋮':>{rw}}  … {n_rows - len(show_rows) + 1} more rows", DIM))
                continue
            parts = [(f"{r + 1:>{rw}} ", DIM)]
            for c in show_cols:
                if c < 0:
                    parts.append((f"{'…':>{cw}}", DIM))
                    continue
                cl = cell(r, c)
                parts.append((" " * (cw - text_width(r, c)), ""))
                parts += cl
            out.append(Content.assemble(*parts))
        return out[:rows]

    @staticmethod
    def _cell(v: float, before: float | None, p: int, hidden: bool = False) -> list[tuple[str, str]]:
        if hidden:
            return [("?", HIDDEN)] if before is None else [(f"{num(before, p)} → ", ""), ("?", HIDDEN)]
        if before is None:
            return [(num(v, p), "")]
        if v == before:
            return [(f"{num(before, p)} → {num(v, p)} ", DIM)]
        return [(f"{num(before, p)} → ", ""), (f"{num(v, p)}*", CHANGED)]


# --- timeline -----------------------------------------------------------------------------------

class Timeline(ScrollView, can_focus=False):
    """Every step, one line each, drawn on demand (a Line-API virtual list, so 170,000 steps
    cost no more than 20): the cursor highlighted, breakpoints marked, click to jump."""

    COMPONENT_CLASSES = {"timeline--cursor", "timeline--break", "timeline--dim", "timeline--epoch"}

    class Picked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, model: Model, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = model
        self.cursor = 0
        self.border_title = "Timeline"
        self._styles: dict[tuple[str, str], Style] = {}
        self._rows: dict[tuple[int, bool, int, int, str], Strip] = {}  # drawn rows, for the rows that stay
        self._marks: object = None

    def sync(self, cursor: int) -> None:
        """Follow the trace's length and the cursor. Scroll only when the cursor leaves the view;
        otherwise repaint just the two rows whose highlight moved."""
        n = len(self.model.trace)
        if self.virtual_size.height != n:
            self.virtual_size = Size(self.scrollable_content_region.width, n)
        old, self.cursor = self.cursor, cursor
        h = self.scrollable_content_region.height
        top = round(self.scroll_y)
        marks = (frozenset(self.model.breakpoints.names), tuple(self.model.breakpoints.conditions))
        if marks != self._marks:
            self._marks = marks
            self._rows.clear()
            self.refresh()
        if h and not top <= cursor < top + h:
            self.scroll_to(y=max(0, cursor - h // 3), animate=False, immediate=True)
            self.refresh()
        elif old != cursor:
            for row in (old, cursor):
                if top <= row < top + h:
                    self.refresh_line(row)

    def _style(self, name: str) -> Style:
        # Component styles are looked up once per theme: a lookup costs more than drawing a row.
        key = (name, self.app.theme)
        if key not in self._styles:
            self._styles[key] = self.get_component_rich_style(name) if name else self.rich_style
        return self._styles[key]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + round(self.scroll_y)
        trace = self.model.trace
        if row >= len(trace):
            return Strip.blank(width, self._style(""))
        cur = row == self.cursor
        key = (row, cur, width, len(str(len(trace))), self.app.theme)
        strip = self._rows.get(key)
        if strip is None:
            s = trace[row]
            bps = self.model.breakpoints
            mark = "●" if s.name in bps.names else ("◆" if bps.conditions and bps.hit(s) else " ")
            iw = len(str(max(len(trace) - 1, 0)))
            text = f"{'▶' if cur else ' '}{row:>{iw}} {PHASE_SHORT.get(s.phase, s.phase)[:4]:<4} {s.name}"
            if cur:
                style = self._style("timeline--cursor")
            elif s.index == 0 or s.phase == "epoch":
                style = self._style("timeline--epoch")
            else:
                style = self._style("")
            segs = [Segment(mark, self._style("timeline--break")), Segment(text, style)]
            strip = Strip(segs).adjust_cell_length(width, style if cur else self._style(""))
            if len(self._rows) > 4096:
                self._rows.clear()
            self._rows[key] = strip
        return strip

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.model.trace))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + round(self.scroll_y)
        if 0 <= row < len(self.model.trace):
            self.post_message(self.Picked(row))


# --- plots --------------------------------------------------------------------------------------

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


class SurfacePlot(Widget):
    """The decision surface of a two-input network: the output over the input plane as a
    half-block heat map (two pixels per cell), with the training points on it. Computed with the
    parameters in effect at the cursor, cached by their identity."""

    DEFAULT_CSS = "SurfacePlot { height: 1fr; }"
    LEVELS = 16

    def __init__(self, model: Model, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = model
        self.border_title = "Decision surface"
        self._key: object = None
        self._grid: np.ndarray | tuple[()] | None = None  # (2·rows, cols) levels; () when empty
        self._points: dict[tuple[int, int], float] = {}
        self._styles: dict[tuple[int, int], Style] = {}
        self._params: dict[str, np.ndarray] = {}
        self._modules = build_modules(model.trace.scenario.network)
        self._lo: np.ndarray | None = None  # the plotted input range: set when first drawn
        self._hi: np.ndarray | None = None

    def _set_bounds(self) -> None:
        x = self.model.trace.scenario.data.inputs[:, :2]
        ends = [plotting.padded(*plotting.finite_range(x[:, i], (-1.0, 1.0))) for i in range(2)]
        self._lo, self._hi = np.array([e[0] for e in ends]), np.array([e[1] for e in ends])

    def show(self, view: View) -> None:
        if not len(self.model.trace):
            return
        self._params = self._parameters(view.index)
        key = (tuple(id(v) for v in self._params.values()), self.size)
        if key != self._key:
            self._key = key
            self._grid = None
            self.refresh()

    def _parameters(self, index: int) -> dict[str, np.ndarray]:
        t = self.model.trace
        if t.modules:
            return t.parameters_at(index)
        # A perceptron: the weights w (w0 the bias) in effect at the cursor.
        for j in range(index, max(-1, index - 64), -1):
            s = t[j]
            if s.name == "w":
                return {"w": s.value}
            if "w" in s.inputs:
                return {"w": s.inputs["w"]}
        return {}

    def on_resize(self) -> None:
        self._grid = None
        self._key = None
        self.refresh()

    def _outputs(self, pts: np.ndarray) -> np.ndarray | None:
        if "w" in self._params:  # perceptron: ŷ = sign(w0 + w1·x1 + w2·x2)
            w = self._params["w"]
            return np.sign(w[0] + pts[:, :2] @ w[1:3]) * 0.5 + 0.5
        if not self._params or len(self._params) < 2 * (len(self.model.layers) - 1):
            return None
        return forward(self._modules, self._params, pts)[-1][:, 0]

    def _compute(self) -> None:
        w, h = self.size.width, self.size.height
        if w < 2 or h < 1 or not self._params:
            self._grid = ()  # nothing to draw (before the run's first step, too: no numpy yet)
            return
        if self._lo is None:
            self._set_bounds()
        xs = np.linspace(self._lo[0], self._hi[0], w)
        ys = np.linspace(self._hi[1], self._lo[1], 2 * h)  # top row: the largest x2
        gx, gy = np.meshgrid(xs, ys)
        pts = np.column_stack([gx.ravel(), gy.ravel()])
        n_in = self.model.trace.scenario.network.inputs
        if n_in > 2:
            pts = np.column_stack([pts, np.zeros((pts.shape[0], n_in - 2))])
        with np.errstate(all="ignore"):
            flat = self._outputs(pts)
            if flat is None:
                self._grid = np.zeros((0, 0), dtype=int)
                return
            out = flat.reshape(2 * h, w)
            bounded = "w" in self._params or self.model.layers[-1].activation == "sigmoid"
            lo, hi = (0.0, 1.0) if bounded else plotting.finite_range(out.ravel(), (0.0, 1.0))
            span = hi - lo or 1.0
            scaled = np.nan_to_num((out - lo) / span, nan=0.0, posinf=1.0, neginf=0.0)
            self._grid = np.clip(scaled * self.LEVELS, 0, self.LEVELS - 1).astype(int)
        data = self.model.trace.scenario.data
        self._points = {}
        for x, tgt in zip(data.inputs[:, :2], data.targets[:, 0], strict=True):
            cx = plotting.cell(x[0], self._lo[0], self._hi[0], w)
            cy = plotting.row(x[1], self._lo[1], self._hi[1], 2 * h)
            if cx is not None and cy is not None:
                self._points[(cy // 2, cx)] = float(tgt)

    def _colour(self, level: int) -> str:
        # blue (low) → dark → red (high)
        t = level / (self.LEVELS - 1)
        a, b = (np.array([40, 90, 200]), np.array([30, 30, 40])) if t < 0.5 else (
            np.array([30, 30, 40]), np.array([210, 60, 50]))
        f = t * 2 if t < 0.5 else (t - 0.5) * 2
        r, g, bl = (a + (b - a) * f).astype(int)
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


class ActivationPlot(Panel):
    """The current layer's activation f and its derivative f' over z, with the current z values
    marked on the curve: it shows why h1 = σ(4.3) passes on so little gradient."""

    def __init__(self, model: Model, *, id: str, title: str = "") -> None:  # noqa: A002
        super().__init__(model, id=id, title=title)
        self._curves: dict[tuple[str, int, int, float], tuple] = {}

    def cache_key(self, view: View) -> object:
        if not len(self.model.trace):
            return None
        layer = self.model.layer_of(self.model.trace[view.index])
        z = self.model.pre_activation(layer, view.index)
        hide = hidden_from(view)
        return (layer.k, None if z is None else z.index, self.size, view.precision,
                self.model.sample_of(self.model.trace[view.index], view.sub),
                hide, view.index if hide is not None else None)

    def draw(self, view: View) -> list[Content]:
        m = self.model
        if not len(m.trace):
            return []
        step = m.trace[view.index]
        layer = m.layer_of(step)
        if not layer.activation:
            return []
        # In a quiz at this layer's z (or f(z)), the values asked for are not marked.
        quizzed = step.op if step.op in ("linear", "activation") and hidden_from(view) is not None else ""
        act = get_activation(layer.activation)
        self.set_title(f"{act.symbol}(z) and {act.symbol}'(z), layer {layer.k}")
        w, h = max(8, self.size.width), max(3, self.size.height - 1)
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
        grid, styles, rows, row = self._curve(layer.activation, w, h, zmax)
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
            out[r] = _runs(chars, st)
        legend = Content.assemble(("• f ", "$success"), ("· f' ", "$warning"), ("●○ ", "$accent"),
                                  ("  ".join(notes), DIM))
        out.append(legend.truncate(w))
        return out

    def _curve(self, name: str, w: int, h: int, zmax: float) -> tuple:
        """The plot without markers, drawn once per (activation, size, z range): (characters,
        styles, Content rows, value → row)."""
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
        curve = (grid, styles, [_runs(grid[r], styles[r]) for r in range(h)], row)
        if len(self._curves) >= 16:
            self._curves.clear()
        self._curves[key] = curve
        return curve


def _runs(chars: list[str], styles: list[str]) -> Content:
    """A row of cells as Content with one span per run of equal style."""
    parts: list[tuple[str, str]] = []
    start = 0
    for x in range(1, len(chars) + 1):
        if x == len(chars) or styles[x] != styles[start]:
            parts.append(("".join(chars[start:x]), styles[start]))
            start = x
    return Content.assemble(*parts)


# --- keys ---------------------------------------------------------------------------------------

class KeyBar(Panel):
    """The footer: the most used keys (keys.APP with show=True), dimmed when they would do
    nothing here (at the first or last step), and clickable; during a quiz, the quiz's keys.
    Drawn by hand rather than with Textual's Footer, which rebuilds itself whenever a key
    becomes enabled or disabled."""

    def __init__(self, model: Model, bindings: list, *, id: str, quiz: list | None = None) -> None:  # noqa: A002
        super().__init__(model, id=id)
        self.bindings = [b for b in bindings if b.show]
        self.quiz_bindings = [b for b in quiz or [] if b.show]
        self._spans: list[tuple[int, int, str]] = []  # x0, x1, action

    def cache_key(self, view: View) -> object:
        quiz = hidden_from(view) is not None
        return (self.size, quiz, () if quiz else tuple(self.app.check_action(b.action, ())
                                                       for b in self.bindings))

    def draw(self, view: View) -> list[Content]:
        parts: list[tuple[str, str]] = []
        self._spans = []
        x = 0
        quiz = hidden_from(view) is not None
        entries = []
        for b in self.quiz_bindings if quiz else self.bindings:
            enabled = quiz or self.app.check_action(b.action, ()) is True
            entries.append((b.key_display or b.key.split(",")[0], b.description, b.action, enabled))
        # At 80 columns the keys only fit with one space between them.
        gap = " " if sum(len(k) + len(d) + 3 for k, d, _, _ in entries) > self.size.width else "  "
        for key, description, action, enabled in entries:
            lead = " " if not parts or gap == "  " else ""
            text = f"{lead}{key} {description} "
            parts += [(f"{lead}{key}", "bold $accent" if enabled else DIM),
                      (f" {description} ", "" if enabled else DIM)]
            self._spans.append((x, x + len(text), action))
            x += len(text)
        if quiz:
            note = " stepping keys are paused during the quiz"
            if x + len(note) <= self.size.width - 12:
                parts.append((note, DIM))
                x += len(note)
        palette = " ^p palette "
        pad = self.size.width - x - len(palette)
        if pad >= 0:
            parts += [(" " * pad, ""), (" ^p", "bold $accent"), (" palette ", "")]
        return [Content.assemble(*parts)]

    async def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for x0, x1, action in self._spans:
            if x0 <= offset.x < x1:
                await self.app.run_action(action)  # a coroutine: not awaited, it did nothing
                return
        if offset.x >= self.size.width - 12:
            self.app.action_command_palette()


# --- quiz ---------------------------------------------------------------------------------------

def feedback(result: Result, precision: int) -> list[Content]:
    """A graded answer: right or wrong, the value, the substituted formula, and for a wrong answer
    the convention it matches (e.g. a per-unit bias gradient where the scenario shares one)."""
    from bpstep.grading import decimals  # loaded with the first answer

    p = max(precision, min(10, decimals(result.answer)))
    if result.correct:
        head = Content.assemble(("✓ right: ", "bold $text-success"), f"{result.name} = {result.answer}")
    else:
        allowed = (f" (±{num(result.allowed_error, decimals(result.answer))} allowed)"
                   if result.allowed_error is not None and result.allowed_error < 1 else "")
        head = Content.assemble(("✗ wrong: ", "bold $text-error"), f"{result.name} = {result.answer}; it is ",
                                (num(result.expected, p), "bold"), (allowed, DIM))
    lines = [head, Content.assemble("  ", result.formula)]
    lines += [Content.styled(f"  {hint}", "italic") for hint in result.hints]
    return lines
