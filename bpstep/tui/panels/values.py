"""The values panel: the step's value and its operands as small tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from bpstep import ops
from bpstep.explain import value_text
from bpstep.tui.model import View, hidden_from
from bpstep.tui.panels.base import CHANGED, DIM, HIDDEN, Panel

if TYPE_CHECKING:
    import numpy as np

    pass

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
        integer = ops.get(step.op).integer  # a count or an epoch: no decimals
        if step.phase == "update" and step.name in step.inputs:
            before = step.inputs[step.name]
            out += self.table(f"{step.name} before → after", step.name, step.value, p, width,
                              height - len(out), before=before, hide_from=hide, integer=integer)
            shown = {step.name}
        else:
            out += self.table(f"{step.name}", step.name, step.value, p, width, height, hide_from=hide,
                              integer=integer)
            shown = {step.name}
        if step.phase in ("epoch", "evaluate", "end"):  # a classifier: how its predictions fare
            out += self.confusion(view.index, width, height - len(out))
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

    def confusion(self, index: int, width: int, rows: int) -> list[Content]:
        """A classifier's confusion matrix at an epoch or evaluate step (rows: the true class)."""
        from bpstep.tui.panels.classes import confusion_lines

        return confusion_lines(self.model.trace, index, width, rows)

    def table(self, title: str, name: str, value: np.ndarray, p: int, width: int, rows: int,
              before: np.ndarray | None = None, hide_from: int | None = None,
              integer: bool = False) -> list[Content]:
        """A value as a table: named cells (``w7 0.7000``) in the value's shape, or a numeric
        matrix with row and column numbers; rows and columns that do not fit are elided. The
        elements from ``hide_from`` on (flat index; in a quiz) are shown as ``?``."""
        import numpy as np

        value = np.asarray(value)
        namer = self.model.namer
        if rows <= 0:
            return []
        if value.ndim == 0:
            label = namer(name, ())
            cell = self._cell(float(value), None if before is None else float(before), p,
                              hide_from is not None, integer)
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
                                               hidden(r, c), integer))
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
                                                 hidden(r, c), integer)
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
        labels = self._class_labels(name, n_cols)
        for c in show_cols:
            label = "…" if c < 0 else labels[c][: cw - 1] if labels else c + 1
            head.append((f"{label:>{cw}}", DIM))
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

    def _class_labels(self, name: str, n_cols: int) -> tuple[str, ...]:
        """A classifier's class names for the columns of its output, targets and predictions."""
        from bpstep.tui.classify import classes, output_name

        t = self.model.trace
        labels = classes(t.scenario)
        if len(labels) != n_cols or name not in (output_name(t), "T", "o", "test_targets",
                                                               "test_predictions"):
            return ()
        return labels

    @staticmethod
    def _cell(v: float, before: float | None, p: int, hidden: bool = False,
              integer: bool = False) -> list[tuple[str, str]]:
        def num(x: float, p: int) -> str:
            return value_text(x, p, integer)

        if hidden:
            return [("?", HIDDEN)] if before is None else [(f"{num(before, p)} → ", ""), ("?", HIDDEN)]
        if before is None:
            return [(num(v, p), "")]
        if v == before:
            return [(f"{num(before, p)} → {num(v, p)} ", DIM)]
        return [(f"{num(before, p)} → ", ""), (f"{num(v, p)}*", CHANGED)]
