"""The worked solution as a document (Markdown, LaTeX or HTML), in the tutorial's style.

The network and its initial parameters, then for the first batch every forward value, the
error, every delta and gradient, and every update, each as its rule and the formula with the
numbers substituted (from ``bpstep.explain``). Runs of more than ``DETAIL_BATCHES`` batches are
detailed for their first batch only (the document says so), followed by a table of the epoch
losses (and validation scores) and a loss curve. Plain strings only: no rich, no textual.

The document is built once as a list of blocks, then rendered by one small writer per format;
each writer escapes every piece of text for its format.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bpstep import names
from bpstep.engine.losses import get_loss
from bpstep.explain import Namer, explain, sym
from bpstep.format import DEFAULT_PRECISION, array, num, operand
from bpstep.latex_math import RawLatex, formulas
from bpstep.sparkline import sparkline
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

FORMATS = ("markdown", "latex", "html")
# A run with more batches than this is detailed for its first batch only.
DETAIL_BATCHES = 3
# Elements listed per step (a wide layer's others are counted, not listed).
MAX_ELEMENTS = 32
# Rows of the epoch summary table; a longer run is sampled evenly (first and last kept).
MAX_SUMMARY_ROWS = 30
# Points of the loss curve (and of the Markdown sparkline).
MAX_CURVE_POINTS = 200
SPARKLINE_POINTS = 60


# --- the document model ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Formulas:
    """Formula lines, one per element, shown verbatim (monospace where the format has it)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class TableBlock:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str = ""  # "l" or "r" per column; numbers right

    def __post_init__(self) -> None:
        if len(self.align) != len(self.header):
            object.__setattr__(self, "align", "l" * len(self.header))


@dataclass(frozen=True)
class Curve:
    """A loss curve: (epoch, loss) points."""

    points: tuple[tuple[int, float], ...]
    label: str


Block = Heading | Para | Formulas | TableBlock | Curve


def export(trace: Trace, fmt: str, precision: int = DEFAULT_PRECISION, mode: str = "solution") -> str:
    """The worked solution of ``trace`` as a ``markdown``, ``latex`` or ``html`` document; ``mode``
    ``blank`` is the handout (the asked values blank), ``key`` the answer key (``bpstep.handout``)."""
    from bpstep import handout

    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}' (valid: {', '.join(FORMATS)})")
    title = {"solution": "Worked solution", "blank": "Exercise", "key": "Answer key"}[mode]
    title = f"{title}: {trace.scenario.name}"
    blocks = document(trace, precision, handout=mode == "blank")
    if mode != "solution":
        at = next((i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text.startswith("Step 2")),
                  len(blocks))
        table = handout.questions_table(trace, precision, filled=mode == "key")
        blocks = blocks[:at] + table if mode == "blank" else blocks[:at] + table + blocks[at:]
    return {"markdown": to_markdown, "latex": to_latex, "html": to_html}[fmt](title, blocks)


def document(trace: Trace, precision: int = DEFAULT_PRECISION, handout: bool = False) -> list[Block]:
    """The worked solution as blocks, independent of the output format (``handout``: without
    the corrections to a published solution, which would give answers away)."""
    if trace.scenario.graph is not None:  # a computational graph has a worked solution of its own
        from bpstep.export_graph import document as graph_document

        return graph_document(trace, precision)
    from bpstep.handout import corrections, picture

    sc = trace.scenario
    p = precision
    blocks: list[Block] = []
    if sc.description:
        blocks.append(Para(sc.description))
    if not handout:
        blocks += corrections(trace, p)
    batches = sorted({(s.epoch, s.batch) for s in trace if s.epoch >= 1 and s.batch >= 1})
    first = [s for s in trace if (s.epoch, s.batch) == batches[0]] if batches else []
    blocks += _network(trace, first, p)
    step1 = next((i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text.startswith("Step 1")),
                 len(blocks))
    blocks[step1:step1] = picture(trace, p)  # the drawing (LaTeX only), before "Step 1"
    if not batches:
        blocks.append(Para("The run produced no steps."))
        return blocks
    detailed = batches if len(batches) <= DETAIL_BATCHES else batches[:1]
    if len(detailed) < len(batches):
        blocks.append(Para(
            f"The run has {len(batches)} batches in {trace.epochs_run} epochs. The steps below are "
            f"worked out in full for the first batch (epoch 1, batch 1) only; every later batch "
            f"repeats them with the updated parameters (bpstep trace lists every step). The "
            f"epoch losses follow in the summary."
        ))
    for epoch, batch in detailed:
        steps = [s for s in trace if (s.epoch, s.batch) == (epoch, batch)]
        if len(batches) > 1:
            blocks.append(Heading(2, f"Epoch {epoch}, batch {batch}"))
        blocks += _batch(trace, steps, p, level=3 if len(batches) > 1 else 2)
    blocks += _summary(trace, p)
    blocks += _ending(trace, p)
    return blocks


def _perceptron(trace: Trace, first: list[Step], p: int) -> list[Block]:
    sc = trace.scenario
    n = sc.data.samples
    x = next((s for s in first if s.name == "x"), None)
    w0 = first[-1].inputs.get("w") if first else None
    blocks: list[Block] = [
        Heading(2, "Step 0 - The perceptron and the data"),
        Para(f"A perceptron with {sc.network.inputs} input{'s' * (sc.network.inputs != 1)} and a bias "
             f"w0 on the constant input x0 = 1; learning rate η = {sc.training.learning_rate}; "
             f"{n} training sample{'s' * (n != 1)}, one at a time. Its rule needs no backpropagation: "
             f"w ← w + η(y − sign(wᵀx))x."),
    ]
    if x is not None:
        blocks.append(Para("The first sample:"))
        blocks.append(Formulas((f"x = {array(x.value, p)}",)))
    blocks.append(Heading(2, "Step 1 - Initialization"))
    if w0 is not None:
        blocks.append(Formulas((f"w = {array(w0, p)}",)))
    return blocks


def _network(trace: Trace, first: list[Step], p: int) -> list[Block]:
    sc = trace.scenario
    if sc.network.kind == "perceptron":
        return _perceptron(trace, first, p)
    net, tr = sc.network, sc.training
    loss = get_loss(net.loss)
    rows = []
    for k, layer in enumerate(net.layers, start=1):
        bias = "one shared bias" if layer.shared_bias else "one bias per unit"
        rows.append((str(k), str(layer.units), layer.activation, bias))
    n = sc.data.samples
    shape = "-".join(str(u) for u in [net.inputs, *(layer.units for layer in net.layers)])
    optimizer = f"SGD, learning rate η = {tr.learning_rate}"
    if tr.momentum:
        optimizer += f", momentum μ = {tr.momentum}" + (" (Nesterov)" if tr.nesterov else "")
    if tr.l2:
        optimizer += f", L2 λ = {tr.l2}"
    batch_size = tr.batch_size or n
    blocks: list[Block] = [
        Heading(2, "Step 0 - The network and the data"),
        Para(f"A {shape} network with {net.inputs} input{'s' * (net.inputs != 1)}; loss {loss.rule}; "
             f"{optimizer}; {n} training sample{'s' * (n != 1)} in batches of "
             f"{min(batch_size, n)}, {trace.epochs_run} epoch{'s' * (trace.epochs_run != 1)}."),
        TableBlock(("layer", "units", "activation", "bias"), tuple(rows), "rrll"),
    ]
    z0 = next((s for s in first if s.name == "Z0"), None)
    if z0 is not None:
        namer = Namer(trace)
        x = z0.value
        lines = _capped([f"{namer('Z0', idx)} = {operand(x[idx], p)}" for idx in np.ndindex(*x.shape)],
                        "inputs")
        targets = z0.inputs.get("T")
        if targets is not None:
            lines += _capped([f"t{_target(idx, targets.shape)} = {operand(targets[idx], p)}"
                              for idx in np.ndindex(*targets.shape)], "targets")
        blocks.append(Para("Input and target (the first batch):"))
        blocks.append(Formulas(tuple(lines)))
    blocks.append(Heading(2, "Step 1 - Initialization"))
    blocks.append(Para("The initial weights and biases (W is fan_in × fan_out):"))
    blocks.append(Formulas(tuple(_parameters(trace, first, p))))
    return blocks


def _target(idx: tuple[int, ...], shape: tuple[int, ...]) -> str:
    return str(idx[1] + 1) if shape[0] == 1 else f"[{idx[0]},{idx[1]}]"


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_ELEMENTS:
        return lines
    return lines[:MAX_ELEMENTS] + [f"… {len(lines) - MAX_ELEMENTS} more {what} not shown"]


def _parameters(trace: Trace, first: list[Step], p: int) -> list[str]:
    namer = Namer(trace)
    lines = []
    for s in first:
        if s.op != "linear":
            continue
        k = s.layer
        for name in (names.weight(k), names.bias(k)):
            value = s.inputs[name]
            named = [f"{namer(name, idx)} = {operand(value[idx], p)}" for idx in np.ndindex(*value.shape)
                     if not namer(name, idx).startswith(name)]
            if named and len(named) == value.size:
                lines.append(", ".join(named[:MAX_ELEMENTS]) + (" …" if len(named) > MAX_ELEMENTS else ""))
            elif value.ndim == 0:
                shared = "(one bias shared by the layer's units)"
                lines.append(f"{namer(name, ())} = {operand(float(value), p)} {shared}")
            else:
                lines.append(f"{sym(name)} = {array(value, p)}")
    return lines


_SECTIONS = (
    ("forward", "Step 2 - Forward pass"),
    ("loss", "Step 3 - Calculate the error"),
    ("backward", "Step 4 - Backpropagation: the deltas"),
    ("gradient", "Step 4 - Backpropagation: the gradients"),
    ("update", "Step 5 - Update the weights"),
)


def _batch(trace: Trace, steps: list[Step], p: int, level: int) -> list[Block]:
    blocks: list[Block] = []
    for phase, heading in _SECTIONS:
        chosen = [s for s in steps if s.phase == phase and s.op != "input"]
        if not chosen:
            continue
        blocks.append(Heading(level, heading))
        if phase == "backward":
            blocks.append(Para("By the chain rule, from the output back: each δ is ∂E/∂Z of one module."))
        for s in chosen:
            exp = explain(trace, s, p, max_elements=MAX_ELEMENTS)
            text = f"{exp.title}: {exp.rule}"
            if exp.note:
                text += f" ({exp.note})"
            blocks.append(Para(text))
            lines = [e.text(p) for e in exp.elements]
            if exp.elided:
                lines.append(f"… {exp.elided} more elements of {s.name} not shown")
            if lines:
                blocks.append(Formulas(tuple(lines)))
    return blocks


def _summary(trace: Trace, p: int) -> list[Block]:
    losses = {s.epoch: float(s.value) for s in trace if s.phase == "epoch" and s.name == "loss"}
    if len(losses) < 2:
        return []
    scores = {s.epoch: float(s.value) for s in trace if s.phase == "epoch" and s.name == "validation_score"}
    epochs = sorted(losses)
    shown = _sample(epochs, MAX_SUMMARY_ROWS)
    header = ("epoch", "loss") + (("validation score",) if scores else ())
    rows = tuple(
        (str(e), num(losses[e], p)) + ((num(scores[e], p) if e in scores else "",) if scores else ())
        for e in shown
    )
    blocks: list[Block] = [Heading(2, "Training summary")]
    lowest = min(epochs, key=lambda e: losses[e])
    text = (f"Loss per epoch (the batch losses weighted by batch size): {num(losses[epochs[0]], p)} after "
            f"epoch 1, {num(losses[epochs[-1]], p)} after epoch {epochs[-1]}; lowest "
            f"{num(losses[lowest], p)} at epoch {lowest}.")
    if len(shown) < len(epochs):
        text += f" The table shows {len(shown)} of the {len(epochs)} epochs, evenly spaced."
    blocks.append(Para(text))
    blocks.append(TableBlock(header, rows, "r" * len(header)))
    finite = [e for e in epochs if np.isfinite(losses[e])]
    if len(finite) >= 2:
        blocks.append(Curve(tuple((e, losses[e]) for e in _sample(finite, MAX_CURVE_POINTS)), "loss"))
    return blocks


def _sample(items: Sequence[int], limit: int) -> list[int]:
    if len(items) <= limit:
        return list(items)
    picks = np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))
    return [items[i] for i in picks]


def _ending(trace: Trace, p: int) -> list[Block]:
    blocks: list[Block] = []
    end = [s for s in trace if s.phase in ("end", "evaluate")]
    if end or trace.status != "complete" or trace.message:
        blocks.append(Heading(2, "After training"))
    if trace.status == "diverged":
        blocks.append(Para(f"The run diverged: {trace.message}"))
    elif trace.message:
        blocks.append(Para(trace.message))
    for s in end:
        exp = explain(trace, s, p, max_elements=0)
        if s.name == "best_epoch":
            blocks.append(Para(f"Early stopping: {s.note or exp.rule}."))
        elif s.value.ndim > 0:  # test_targets, test_predictions: one value per test sample
            blocks.append(Para(f"{s.name}: {exp.rule}: {s.value.shape[0]} test samples."))
        else:
            blocks.append(Para(f"{s.name}: {exp.rule}"))
            blocks.append(Formulas((f"{s.name} = {num(float(s.value), p)}",)))
    return blocks


# --- Markdown ------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&])")
_MD_LINE_START = re.compile(r"^(\s*|\s*\d+(?=[.)]))([#+\-=>]|(?<=\d)[.)])")


def md_escape(text: str, line_start: bool = True) -> str:
    """Backslash-escape Markdown's specials, so names like ``z_h1`` and ``*`` stay literal (and a
    leading ``#``, ``-`` or ``1.`` starts no heading or list)."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if not line_start:  # a table cell starts no block
        return text
    return _MD_LINE_START.sub(r"\1\\\2", text)


def to_markdown(title: str, blocks: Sequence[Block]) -> str:
    out = [f"# {md_escape(title)}", ""]
    for b in blocks:
        if isinstance(b, Heading):
            out += [f"{'#' * b.level} {md_escape(b.text)}", ""]
        elif isinstance(b, Para):
            out += [md_escape(b.text), ""]
        elif isinstance(b, Formulas):
            fence = "```"
            while any(fence in line for line in b.lines):
                fence += "`"
            out += [f"{fence}text", *b.lines, fence, ""]
        elif isinstance(b, TableBlock):
            out.append("| " + " | ".join(md_escape(h, False) for h in b.header) + " |")
            out.append("|" + "|".join("---:" if a == "r" else "---" for a in b.align) + "|")
            out += ["| " + " | ".join(md_escape(c, False) for c in row) + " |" for row in b.rows]
            out.append("")
        elif isinstance(b, Curve):
            values = [v for _, v in b.points]
            spark = [values[i] for i in _sample(range(len(values)), SPARKLINE_POINTS)]
            out += [f"Loss curve (epochs {b.points[0][0]}–{b.points[-1][0]}, from "
                    f"{values[0]:.4g} to {values[-1]:.4g}; low {min(values):.4g}, high {max(values):.4g}):",
                    "", "```text", sparkline(spark), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
pre { background: #f6f8fa; padding: .6rem .8rem; overflow-x: auto; line-height: 1.5; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .2rem .6rem; }
svg { background: #fff; border: 1px solid #ddd; }"""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def to_html(title: str, blocks: Sequence[Block]) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{_h(title)}</title>", f"<style>\n{_CSS}\n</style>", "</head>", "<body>",
           f"<h1>{_h(title)}</h1>"]
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}>{_h(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            out.append(f"<p>{_h(b.text)}</p>")
        elif isinstance(b, Formulas):
            out.append('<pre class="formulas">' + "\n".join(_h(line) for line in b.lines) + "</pre>")
        elif isinstance(b, TableBlock):
            out.append("<table>")
            side = ["right" if a == "r" else "left" for a in b.align]
            out.append("<tr>" + "".join(f'<th style="text-align:{a}">{_h(h)}</th>'
                                        for a, h in zip(side, b.header, strict=True)) + "</tr>")
            out += ["<tr>" + "".join(f'<td style="text-align:{a}">{_h(c)}</td>'
                                     for a, c in zip(side, row, strict=True)) + "</tr>" for row in b.rows]
            out.append("</table>")
        elif isinstance(b, Curve):
            out.append(_svg(b))
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _scale(b: Curve, width: float, height: float) -> list[tuple[float, float]]:
    xs = [e for e, _ in b.points]
    ys = [v for _, v in b.points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    sx = width / (x1 - x0) if x1 > x0 else 0.0
    sy = height / (y1 - y0) if y1 > y0 else 0.0
    return [((e - x0) * sx, (v - y0) * sy) for e, v in b.points]


def _svg(b: Curve) -> str:
    w, h, left, top = 560.0, 200.0, 70.0, 20.0
    pts = " ".join(f"{left + x:.1f},{top + h - y:.1f}" for x, y in _scale(b, w, h))
    ys = [v for _, v in b.points]
    first, last = b.points[0][0], b.points[-1][0]
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + w + 20:.0f}" height="{top + h + 40:.0f}" '
        f'role="img" aria-label="{_h(b.label)} per epoch">',
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#888"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#888"/>',
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{pts}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="12">{max(ys):.4g}</text>',
        f'<text x="{left - 6}" y="{top + h}" text-anchor="end" font-size="12">{min(ys):.4g}</text>',
        f'<text x="{left}" y="{top + h + 16}" font-size="12">epoch {first}</text>',
        f'<text x="{left + w}" y="{top + h + 16}" text-anchor="end" font-size="12">epoch {last}</text>',
        f'<text x="{left + w / 2}" y="{top + h + 34}" text-anchor="middle" font-size="12">'
        f"{_h(b.label)} per epoch</text>",
        "</svg>",
    ])


# --- LaTeX ---------------------------------------------------------------------------------------

_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}",
}
_TEX_UNICODE = {
    "·": r"\ensuremath{\cdot}", "−": r"\ensuremath{-}", "∂": r"\ensuremath{\partial}",
    "½": r"\ensuremath{\frac{1}{2}}", "⊙": r"\ensuremath{\odot}", "‖": r"\ensuremath{\|}",
    "…": r"\ldots{}", "≥": r"\ensuremath{\geq}", "≤": r"\ensuremath{\leq}", "×": r"\ensuremath{\times}",
    "±": r"\ensuremath{\pm}", "→": r"\ensuremath{\rightarrow}", "←": r"\ensuremath{\leftarrow}",
    "≈": r"\ensuremath{\approx}", "√": r"\ensuremath{\surd}", "∑": r"\ensuremath{\Sigma}",
    "—": "---", "–": "--", "‘": "`", "’": "'", "“": "``", "”": "''", "\u00a0": "~",
    "°": r"\ensuremath{^\circ}",
}
_SUPERSCRIPTS = dict(zip("⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ⁺⁻ⁿ", "()0123456789T+-n", strict=True))
_SUBSCRIPTS = dict(zip("ᵢⱼ₀₁₂₃₄₅₆₇₈₉ₖₘₙ", "ij0123456789kmn", strict=True))
_TEX_RUN = re.compile(f"[{''.join(_SUPERSCRIPTS)}]+|[{''.join(_SUBSCRIPTS)}]+|.\u0304|.", re.DOTALL)


def tex_escape(text: str) -> str:
    """Text-mode LaTeX for any string: specials escaped, the formulas' Unicode (·, −, ∂, σ, ⁽²⁾,
    ᵢⱼ, ½, …) as math, so it compiles with plain pdflatex and no extra packages."""
    out = []
    for m in _TEX_RUN.finditer(text):
        run = m.group(0)
        if run[0] in _SUPERSCRIPTS:
            out.append(r"\ensuremath{^{" + "".join(_SUPERSCRIPTS[c] for c in run) + "}}")
        elif run[0] in _SUBSCRIPTS:
            out.append(r"\ensuremath{_{" + "".join(_SUBSCRIPTS[c] for c in run) + "}}")
        elif len(run) == 2:  # a letter with a combining macron: t̄
            out.append(r"\={" + tex_escape(run[0]) + "}")
        else:
            out.append(_tex_char(run))
    return "".join(out)


def _tex_char(c: str) -> str:
    if c in _TEX_SPECIAL:
        return _TEX_SPECIAL[c]
    if c in _TEX_UNICODE:
        return _TEX_UNICODE[c]
    if c == "\n":
        return " "
    if ord(c) < 128:
        return c if c.isprintable() or c == " " else ""
    name = unicodedata.name(c, "")
    greek = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", name)
    if greek:
        letter = greek.group(2).lower()
        letter = {"lamda": "lambda"}.get(letter, letter)
        if greek.group(1) == "CAPITAL":
            letter = letter.capitalize()
        if letter in _TEX_GREEK:
            return rf"\ensuremath{{\{letter}}}"
    ascii_form = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
    if ascii_form:
        return tex_escape(ascii_form)
    return "?"  # no plain-LaTeX form; a visible mark rather than a failed build


_TEX_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)


def to_latex(title: str, blocks: Sequence[Block]) -> str:
    out = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{amsmath}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.5em}",
        r"\title{" + tex_escape(title) + "}",
        r"\date{}",
        r"\begin{document}",
        r"\sloppy",  # long substituted sums: stretch spaces rather than run into the margin
        r"\maketitle",
    ]
    section = {2: r"\section*", 3: r"\subsection*", 4: r"\subsubsection*"}
    for b in blocks:
        if isinstance(b, Heading):
            out.append(section.get(b.level, r"\paragraph*") + "{" + tex_escape(b.text) + "}")
        elif isinstance(b, Para):
            out += [tex_escape(b.text), ""]
        elif isinstance(b, Formulas):
            out += formulas(list(b.lines), tex_escape)  # aligned mathematics where it can be set
        elif isinstance(b, RawLatex):
            out += b.lines
        elif isinstance(b, TableBlock):
            out.append(r"\begin{tabular}{" + b.align + "}")
            out.append(r"\hline")
            out.append(" & ".join(tex_escape(h) for h in b.header) + r" \\")
            out.append(r"\hline")
            out += [" & ".join(tex_escape(c) for c in row) + r" \\" for row in b.rows]
            out.append(r"\hline")
            out += [r"\end{tabular}", ""]
        elif isinstance(b, Curve):
            out += _tex_curve(b)
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def _tex_curve(b: Curve) -> list[str]:
    """The curve as dots in LaTeX's own picture environment (no packages needed)."""
    w, h = 120.0, 50.0
    ys = [v for _, v in b.points]
    dots = [rf"\put({x:.2f},{y:.2f}){{\circle*{{0.8}}}}" for x, y in _scale(b, w, h)]
    first, last = b.points[0][0], b.points[-1][0]
    return [
        r"\begin{center}",
        r"\setlength{\unitlength}{1mm}",
        rf"\begin{{picture}}({w:.0f},{h + 12:.0f})(-14,-8)",
        rf"\put(0,0){{\line(1,0){{{w:.0f}}}}}",
        rf"\put(0,0){{\line(0,1){{{h:.0f}}}}}",
        *dots,
        rf"\put(-1,{h:.0f}){{\makebox(0,0)[r]{{\small {tex_escape(f'{max(ys):.4g}')}}}}}",
        rf"\put(-1,0){{\makebox(0,0)[r]{{\small {tex_escape(f'{min(ys):.4g}')}}}}}",
        rf"\put(0,-4){{\makebox(0,0)[l]{{\small epoch {first}}}}}",
        rf"\put({w:.0f},-4){{\makebox(0,0)[r]{{\small epoch {last}}}}}",
        rf"\put({w / 2:.0f},-7){{\makebox(0,0){{\small {tex_escape(b.label)} per epoch}}}}",
        r"\end{picture}",
        r"\end{center}",
        "",
    ]

