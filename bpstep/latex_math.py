"""Formulas as LaTeX mathematics, and the network drawn with LaTeX's own ``picture`` environment.

bpstep writes formulas in the tutorial's plain notation (``∂E/∂w7 = ∂E/∂z_o1·h1 = 0.07757·0.9866
= 0.0765``, ``σ′(z)``, ``W⁽²⁾``, ``Σᵢ``). ``to_math`` turns one such line into math mode:
∂E/∂x as ``\\frac{\\partial E}{\\partial x}``, names with their numbers as subscripts (``w_{7}``,
``z_{h1}``), superscripts in parentheses as ``^{(2)}``, σ′ as ``\\sigma'``, products as ``\\cdot``.
A line it does not fully understand is returned as None and set as text instead, so nothing is
ever lost or mis-set. The network picture needs no package: lines are ``\\qbezier`` curves with the
control point at the middle (straight lines of any slope), units are ``\\circle``s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bpstep import names as step_names
from bpstep.shapes import ModuleInfo

_GREEK = {"σ": r"\sigma", "η": r"\eta", "δ": r"\delta", "μ": r"\mu", "λ": r"\lambda", "α": r"\alpha",
          "Σ": r"\sum", "∂": r"\partial", "ε": r"\varepsilon"}
_SYMBOLS = {"·": r"\cdot ", "×": r"\times ", "−": "-", "⊙": r"\odot ", "≥": r"\geq ", "≤": r"\leq ",
            "←": r"\leftarrow ", "≈": r"\approx ", "…": r"\ldots ", "′": "'", "ᵀ": "^{T}", "²": "^{2}",
            "√": r"\sqrt ", "½": r"\tfrac{1}{2}", "∈": r"\in ", "ŷ": r"\hat{y}", "t̄": r"\bar{t}", "‖": r"\|"}
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻", "0123456789()+-")
_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉ᵢⱼₖ", "0123456789ijk")
_ALLOWED = re.compile(r"^[A-Za-z0-9 .,+\-*/=()\[\]{}_^\\'|:<>]*$")
# a name with its number: w7, z_h1, dE/dw7's w7, h2, o1, b1, W1[0,1]
_NAME = re.compile(r"(?<![A-Za-z\\])([A-Za-z])_?([a-z]?)(\d+)(?![\d.])")
_FRAC = re.compile(r"∂([^/∂\s·=+():]+)/∂([^\s·=+():]+?)(?=[\s·=+(),:]|$)")


def _name(m: re.Match[str]) -> str:
    letter, tag, number = m.groups()
    return f"{letter}_{{{tag}{number}}}"


def to_math(line: str) -> str | None:
    """One formula line as LaTeX math (without the ``$``), or None when unsure."""
    text = line.strip()
    if not text or len(text) > 400 or "\\" in text or "$" in text or "%" in text or "#" in text:
        return None
    text = _FRAC.sub(lambda m: "∂" + m.group(1) + "∂" + m.group(2) + "‡", text)  # mark, then set
    text = re.sub(r"⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾(ᵀ?)", lambda m: "^{(" + m.group(1).translate(_SUP) + ")"
                  + ("\\top" if m.group(2) else "") + "}", text)
    text = re.sub(r"([ᵢⱼₖ₀₁₂₃₄₅₆₇₈₉]+)", lambda m: "_{" + m.group(1).translate(_SUB) + "}", text)
    # 1.2e-08 as one group, so that a square after it is not a double superscript
    text = re.sub(r"(\d+(?:\.\d+)?)e([-+]?\d+)", r"{\1\\times 10^{\2}}", text)
    parts = []
    for chunk in re.split(r"(∂[^∂‡]+∂[^‡]+‡)", text):
        if chunk.startswith("∂") and chunk.endswith("‡"):
            num, den = chunk[1:-1].split("∂", 1)
            parts.append(r"\frac{\partial " + _names(num) + r"}{\partial " + _names(den) + "}")
        else:
            parts.append(_names(chunk))
    text = "".join(parts)
    for k, v in {**_GREEK, **_SYMBOLS}.items():
        text = text.replace(k, v + (" " if v.startswith("\\") and v[-1].isalpha() else ""))
    if not _ALLOWED.match(text) or re.search(r"[A-Za-z]{4,}", re.sub(r"\\[A-Za-z]+", "", text)):
        return None  # a character math mode would mangle, or prose (words set in italics)
    if text.count("{") != text.count("}") or re.search(r"[_^][^{]|[_^]$|\}[_^]\{[^}]*\}[_^]", text):
        return None  # unbalanced, or a bare or doubled sub/superscript that TeX would reject
    return text


def _names(text: str) -> str:
    return _NAME.sub(_name, text)


def align_lines(lines: list[str]) -> list[str] | None:
    """Formula lines as the rows of an ``align*`` (aligned at the first =), or None when any
    line cannot be set as math."""
    rows = []
    for line in lines:
        math = to_math(line)
        if math is None or "=" not in math:
            return None
        pieces = re.split(r"\s=\s", math)  # "a = b = c": one row per "=", aligned (":=" stays)
        if len(pieces) < 2:
            left, right = math.split("=", 1)
            pieces = [left, right]
        rows.append(f"{pieces[0].strip()} &= {pieces[1].strip()}")
        rows += [f"&= {piece.strip()}" for piece in pieces[2:]]
    return rows


# --- the network ----------------------------------------------------------------------------------

def network_picture(layers: list[int], weights: list[list[list[str]]], labels: list[list[str]],
                    unit: float = 1.0) -> list[str]:
    """A feed-forward network in a ``picture``: one column per layer (inputs first), every
    connection a line with its weight written near its start; ``weights[k][i][j]`` labels the line
    from unit i of layer k to unit j of layer k+1 ("" for none), ``labels[k][i]`` names the unit."""
    col, row = 110, 46  # in \unitlength = 0.1 em-ish points
    tallest = max(layers)
    width, height = col * (len(layers) - 1) + 60, row * (tallest - 1) + 40
    out = [r"\begin{center}", r"\setlength{\unitlength}{0.3mm}",
           rf"\begin{{picture}}({width},{height})(-30,-20)"]

    def y(k: int, i: int) -> float:
        return (tallest - layers[k]) * row / 2 + (layers[k] - 1 - i) * row

    for k in range(len(layers) - 1):
        for i in range(layers[k]):
            for j in range(layers[k + 1]):
                x1, y1, x2, y2 = k * col + 10, y(k, i), (k + 1) * col - 10, y(k + 1, j)
                mid = f"({(x1 + x2) / 2:.1f},{(y1 + y2) / 2:.1f})"
                out.append(rf"\qbezier({x1},{y1:.1f}){mid}({x2},{y2:.1f})")
                w = weights[k][i][j] if k < len(weights) else ""
                if w:
                    t = 0.28
                    lx, ly = x1 + t * (x2 - x1), y1 + t * (y2 - y1) + 3
                    out.append(rf"\put({lx:.1f},{ly:.1f}){{\makebox(0,0)[b]{{\scriptsize ${w}$}}}}")
    for k, n in enumerate(layers):
        for i in range(n):
            out.append(rf"\put({k * col},{y(k, i):.1f}){{\circle{{20}}}}")
            out.append(rf"\put({k * col},{y(k, i):.1f}){{\makebox(0,0){{\small ${labels[k][i]}$}}}}")
    out += [r"\end{picture}", r"\end{center}"]
    return out


def picture_for(modules: tuple[ModuleInfo, ...], inputs: int, params: dict[str, object],
                names: dict[tuple[str, tuple[int, ...]], str], p: int) -> list[str] | None:
    """The picture of an MLP with its initial weights, or None for one too big to draw legibly."""
    import numpy as np

    units = [inputs] + [m.units for m in modules if m.kind == "linear"]
    if max(units) > 6 or len(units) > 5:
        return None
    weights: list[list[list[str]]] = []
    for k in range(1, len(units)):
        w = np.asarray(params[step_names.weight(k)])
        weights.append([[f"{float(w[i, j]):.{min(p, 2)}f}".rstrip("0").rstrip(".") if True else ""
                         for j in range(units[k])] for i in range(units[k - 1])])
    labels = []
    for k, n in enumerate(units):
        layer = []
        for i in range(n):
            m = 0 if k == 0 else 2 * k if 2 * k <= len(modules) else 2 * k - 1
            ref = (step_names.z(m), (0, i))
            shown = names.get(ref)
            math = to_math(shown) if shown else None
            layer.append(math or (f"x_{{{i + 1}}}" if k == 0 else f"u_{{{i + 1}}}"))
        labels.append(layer)
    return network_picture(units, weights, labels)


@dataclass(frozen=True)
class RawLatex:
    """LaTeX lines for the LaTeX writer only (Markdown and HTML skip it): the network picture."""

    lines: tuple[str, ...]


def formulas(lines: list[str], escape: Callable[[str], str]) -> list[str]:
    """Formula lines as an ``align*`` (aligned at the first =) when each can be set as math, else
    as a list of text lines."""
    rows = align_lines(lines)
    if rows is not None:
        return [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    out = [r"\begin{itemize}"]
    for line in lines:
        math = to_math(line)
        out.append(r"\item " + (f"${math}$" if math is not None else escape(line)))
    return out + [r"\end{itemize}"]
