"""Number formatting shared by every view (plain text; no rich, no textual)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

# numpy is imported by the one function that needs it: the debugger's first frame uses this
# module and is drawn before numpy is loaded.
if TYPE_CHECKING:
    import numpy as np

DEFAULT_PRECISION = 4  # the tutorial's precision

# Beyond these magnitudes a value is written in scientific notation (``2.0293e+159``): a diverged
# run's 160-digit integers, or a tiny value that fixed decimals would show as 0.
SCI_ABOVE = 1e6
SCI_BELOW = 1e-6

MINUS = "−"  # U+2212: the minus sign of formulas, as the operators in them are written


def num(x: float, precision: int = DEFAULT_PRECISION) -> str:
    """A value at ``precision`` decimals: ``4.3000``, ``-0.0776``; ``inf``/``nan`` as such; beyond
    a million in scientific notation with ``precision`` decimals (``2.0293e+159``)."""
    x = float(x)
    if not math.isfinite(x):  # math, not numpy: a numpy call on a float costs 20× more
        return str(x)
    if abs(x) >= SCI_ABOVE:
        return f"{x:.{precision}e}"
    text = f"{x:.{precision}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]  # no "-0.0000"
    return text


def operand(x: float, precision: int = DEFAULT_PRECISION) -> str:
    """An operand in a substituted formula: ``precision`` decimals, or ``precision`` significant
    digits for small values (so ``0.001974·4 = 0.0079`` adds up on the page), trailing zeros
    dropped (``0.1``, ``4``, ``0.9866``), as the tutorial writes its sums."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= SCI_ABOVE or 0 < abs(x) < SCI_BELOW:
        mantissa, exponent = f"{x:.{max(precision - 1, 0)}e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{exponent}"
    decimals = precision
    if 0 < abs(x) < 1:
        decimals = min(15, max(precision, precision - 1 - math.floor(math.log10(abs(x)))))
    text = num(x, decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def signed(text: str) -> str:
    """A number's text with its leading ``-`` written as the formulas' minus sign ``−``."""
    return MINUS + text[1:] if text.startswith("-") else text


def term(x: float, precision: int = DEFAULT_PRECISION) -> str:
    """An operand inside a formula: ``operand`` with a proper minus, in parentheses when negative
    (``0.5·(−0.0039)``, ``1 − (−0.2886)²``), so it never reads as a different formula."""
    text = signed(operand(x, precision))
    return f"({text})" if text.startswith(MINUS) else text


def array(a: np.ndarray, precision: int = DEFAULT_PRECISION, max_items: int = 8) -> str:
    """A compact one-line rendering: ``0.5932``, ``[0.7896, 0.7504]``, ``[[0.1, 0.2], …]``."""
    import numpy as np

    a = np.asarray(a)
    if a.ndim == 0:
        return num(float(a), precision)
    if a.ndim == 1:
        items = [num(v, precision) for v in a[:max_items]]
        if a.shape[0] > max_items:
            items.append(f"… ({a.shape[0]} values)")
        return "[" + ", ".join(items) + "]"
    rows = [array(r, precision, max_items) for r in a[:max_items]]
    if a.shape[0] > max_items:
        rows.append(f"… ({a.shape[0]} rows)")
    return "[" + ", ".join(rows) + "]"


def superscript(k: int | str) -> str:
    """``Z⁽³⁾``-style layer index."""
    table = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    return f"⁽{str(k).translate(table)}⁾"
