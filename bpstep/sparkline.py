"""One-line sparklines (``▁▂▄█``), for any view: no Textual, no rich.

Every value gets a bar between the smallest and the largest finite value; a value that is not
finite (a diverged epoch, or a column averaging ``inf`` and ``-inf``) is drawn as ``!``, and a
constant series as a row of the lowest bar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"
NOT_FINITE = "!"


def _edges(n: int, width: int) -> list[int]:
    """Where each of ``width`` columns starts over ``n`` values, the last edge being ``n`` (as
    ``np.linspace(0, n, width + 1).astype(int)`` computes them)."""
    step = n / width
    return [int(i * step) for i in range(width)] + [n]


def column(index: int, n: int, width: int | None = None) -> int:
    """The column of value ``index`` (0-based) in ``sparkline`` of ``n`` values at ``width``."""
    cols = n if width is None else max(1, min(width, n))
    edges = _edges(n, cols)
    for c in range(cols):
        if index < edges[c + 1]:
            return c
    return cols - 1


def sparkline(values: Sequence[float], width: int | None = None) -> str:
    """``values`` as bars, one per value, or at most ``width`` bars each the mean of the values
    in its column. Empty for no values."""
    n = len(values)
    if not n:
        return ""
    cols = n if width is None else max(1, min(width, n))
    vals = [float(v) for v in values]
    if cols < n:
        edges = _edges(n, cols)
        vals = [_mean(vals[a:max(b, a + 1)]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    finite = [v for v in vals if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    return "".join(BARS[_cell(v, lo, hi)] if math.isfinite(v) else NOT_FINITE for v in vals)


def _mean(vals: list[float]) -> float:
    if not all(math.isfinite(v) for v in vals):
        if any(math.isnan(v) for v in vals) or (math.inf in vals and -math.inf in vals):
            return math.nan  # inf and -inf together: no mean
        return math.inf if math.inf in vals else -math.inf
    if all(v == vals[0] for v in vals):
        return vals[0]  # a constant column keeps its value exactly (a mean may be off by an ulp)
    try:
        return math.fsum(vals) / len(vals)
    except OverflowError:  # huge values: divided first
        return math.fsum(v / len(vals) for v in vals)


def _cell(v: float, lo: float, hi: float) -> int:
    if hi <= lo:
        return 0
    f = (v - lo) / (hi - lo)  # floats: a span that overflows gives inf, clipped below
    f = 0.0 if f < 0 or math.isnan(f) else 1.0 if f > 1 else f
    return int(round(f * (len(BARS) - 1)))
