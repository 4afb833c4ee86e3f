"""The classification panel: the sample being classified (its 8×8 digit in greys when the inputs
are pixels), its target, and its class probabilities as bars (``bpstep.tui.classify`` reads them)."""

from __future__ import annotations

from textual.content import Content

from bpstep.format import num
from bpstep.tui.model import View
from bpstep.tui.panels.base import DIM, Panel

BAR = 12


def grey(level: int) -> str:
    v = 8 + 10 * level  # level 0 … 23 → #080808 … #eeeeee
    return f"#{v:02x}{v:02x}{v:02x}"


def digit_lines(levels: list[list[int]], scale: int) -> list[Content]:
    """Pixels as half blocks (▀: the upper pixel in the foreground, the lower in the background),
    each pixel ``scale`` columns by ``scale`` half rows."""
    side = len(levels)
    out = []
    for r in range(side * scale // 2):
        top, bottom = levels[2 * r // scale], levels[(2 * r + 1) // scale]
        out.append(Content.assemble(*(("▀" * scale, f"{grey(top[c])} on {grey(bottom[c])}")
                                      for c in range(len(top)))))
    return out


def confusion_lines(trace, index: int, width: int, rows: int) -> list[Content]:  # noqa: ANN001
    """The confusion matrix at an epoch or evaluate step (``classify.confusion_at``) as lines:
    rows the true class, columns the predicted one, the diagonal (right answers) in bold."""
    from bpstep.tui.classify import confusion_at

    c = confusion_at(trace, index)
    if c is None or rows < 3:
        return []
    lw = max(4, *(len(x) for x in c.classes))
    cw = max(len(x) for x in (*c.classes, *(str(v) for row in c.matrix for v in row))) + 1
    fit = max(1, (width - lw - 1) // cw)
    out = [Content.assemble((f"confusion, {c.title}", "bold"), (f" · accuracy {c.accuracy:.4f}", DIM)),
           Content.assemble((f"{'true':>{lw}}", DIM), ("".join(f"{x:>{cw}}" for x in c.classes[:fit]), DIM),
                            ("  ← predicted", DIM))]
    for i, row in enumerate(c.matrix[: rows - 2]):
        cells: list[str | tuple[str, str]] = [(f"{c.classes[i]:>{lw}}", DIM)]
        cells += [(f"{v:>{cw}}", "bold $text-success" if i == j and v else "" if v else DIM)
                  for j, v in enumerate(row[:fit])]
        out.append(Content.assemble(*cells))
    return out


class ClassesPanel(Panel):
    """The cursor's sample: digit, target and class probabilities (the output row). ``wide``:
    many classes (or an image), given more rows (app.tcss)."""

    def __init__(self, model, *, id: str, title: str = "", wide: bool = False) -> None:  # noqa: A002, ANN001
        super().__init__(model, id=id, title=title)
        self.set_class(wide, "-wide")

    def show(self, view: View) -> None:
        # At the epoch's and the test's steps the values panel shows the confusion matrix: this
        # panel then gives its rows to the decision surface below it.
        t = self.model.trace
        visible = not (len(t) and t[view.index].phase in ("epoch", "evaluate", "end"))
        if visible and not self.display:
            self._drawn = None  # shown again: drawn for this view when next painted, never stale
        self.display = visible
        if visible:
            super().show(view)
        else:
            self.view = view  # nothing to draw while hidden

    def draw(self, view: View) -> list[Content]:
        from bpstep.tui import classify

        m = self.model
        if not len(m.trace):
            return []
        step = m.trace[view.index]
        if step.phase in ("epoch", "evaluate", "end"):
            lines = confusion_lines(m.trace, view.index, max(10, self.size.width), max(1, self.size.height))
            if lines:
                self.set_title("Confusion matrix")
                return lines
        labels = classify.classes(m.trace.scenario)
        got = classify.sample_at(m.trace, view.index, m.sample_of(step, view.sub), m.batch_of(view.index))
        if got is None:
            return [Content.styled("no sample yet", DIM)]
        self.set_title(f"Sample {got.index + 1} of {got.size}")
        height = max(1, self.size.height)
        image: list[Content] = []
        if got.pixels is not None:
            scale = 2 if height >= len(got.pixels) else 1
            image = digit_lines(classify.shades(got.pixels), scale)
        target = labels[got.target] if got.target is not None and got.target < len(labels) else "?"
        text: list[Content] = []
        probs = got.probabilities
        if probs is None:
            text.append(Content.assemble(("target ", DIM), (target, "bold")))
            text.append(Content.styled("probabilities: once the output is computed", DIM))
        else:
            best = max(range(len(probs)), key=probs.__getitem__)
            right = got.target == best
            text.append(Content.assemble(("target ", DIM), (target, "bold"), (" · predicted ", DIM),
                                         (labels[best] if best < len(labels) else str(best),
                                          "bold $text-success" if right else "bold $text-error")))
            lw = max(len(x) for x in labels)
            for i, p in enumerate(probs[: max(1, height - 1)]):
                filled = int(round(BAR * min(max(p, 0.0), 1.0))) if p == p else 0
                style = "bold" if i == best else ""
                mark = " ◀ target" if i == got.target else ""
                bar = "$text-success" if i == got.target else "$primary"
                text.append(Content.assemble((f"{labels[i] if i < len(labels) else i:>{lw}} ", style),
                                             (num(p, view.precision), style), " ", ("█" * filled, bar),
                                             ("·" * (BAR - filled), DIM), (mark, DIM)))
        if not image:
            return text[:height]
        pad = Content(" " * len(image[0].plain))
        rows = max(len(image), len(text))
        return [(image[r] if r < len(image) else pad) + Content(" ")
                + (text[r] if r < len(text) else Content()) for r in range(rows)][:height]
