"""The writers of an exported document: Markdown, HTML and LaTeX, each escaping every piece of
text for its format. Plain strings only: no rich, no textual."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

from bpstep.export_blocks import Block, Curve, Formulas, Heading, Para, TableBlock
from bpstep.latex_math import RawLatex, formulas
from bpstep.sparkline import sparkline

# Points of the Markdown sparkline.
SPARKLINE_POINTS = 60


def sample_evenly(items: Sequence[int], limit: int) -> list[int]:
    """At most ``limit`` of ``items``, evenly spread, the first and the last kept."""
    if len(items) <= limit:
        return list(items)
    picks = sorted({round(k * (len(items) - 1) / (limit - 1)) for k in range(limit)})
    return [items[i] for i in picks]


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
            spark = [values[i] for i in sample_evenly(range(len(values)), SPARKLINE_POINTS)]
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

