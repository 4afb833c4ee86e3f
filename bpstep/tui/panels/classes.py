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


class ClassesPanel(Panel):
    """The cursor's sample: digit, target and class probabilities (the output row). ``wide``:
    many classes (or an image), given more rows (app.tcss)."""

    def __init__(self, model, *, id: str, title: str = "", wide: bool = False) -> None:  # noqa: A002, ANN001
        super().__init__(model, id=id, title=title)
        self.set_class(wide, "-wide")

    def draw(self, view: View) -> list[Content]:
        from bpstep.tui import classify

        m = self.model
        if not len(m.trace):
            return []
        step = m.trace[view.index]
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
