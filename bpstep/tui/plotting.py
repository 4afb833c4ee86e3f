"""Placing values on a plot's cells, whatever the values: huge, infinite or NaN values never make
an index outside the plot. No Textual here."""

from __future__ import annotations

import math
from collections.abc import Iterable

# Axis ends beyond this are clipped: a span between them still fits in a float.
AXIS_LIMIT = 1e300


def cell(v: float, lo: float, hi: float, cells: int) -> int | None:
    """The cell (0 … cells − 1) of ``v`` on an axis from ``lo`` (cell 0) to ``hi``; values beyond
    the axis go to its ends (±inf too); None for NaN or an axis that is not finite."""
    v, lo, hi = float(v), float(lo), float(hi)
    if math.isnan(v) or not (math.isfinite(lo) and math.isfinite(hi)) or cells < 1:
        return None
    if hi <= lo:
        return 0
    f = (v - lo) / (hi - lo)  # Python floats: an overflow gives inf, not an exception
    f = 0.0 if f < 0 else 1.0 if f > 1 else f  # also for ±inf
    return int(round(f * (cells - 1)))


def row(v: float, lo: float, hi: float, rows: int) -> int | None:
    """The row of ``v`` on a vertical axis with ``hi`` at the top row (0) and ``lo`` at the bottom."""
    c = cell(v, lo, hi, rows)
    return None if c is None else rows - 1 - c


def finite_range(values: Iterable[float], default: tuple[float, float]) -> tuple[float, float]:
    """The smallest and largest finite value, clipped to ±AXIS_LIMIT; ``default`` when none is."""
    finite = [min(AXIS_LIMIT, max(-AXIS_LIMIT, float(v))) for v in values if math.isfinite(float(v))]
    return (min(finite), max(finite)) if finite else default


def padded(lo: float, hi: float, share: float = 0.15, empty: float = 1.0) -> tuple[float, float]:
    """``lo`` … ``hi`` widened by ``share`` of the span at each end (by ``empty`` when they are
    equal), within ±AXIS_LIMIT."""
    pad = (hi - lo) * share if hi > lo else empty
    return max(-AXIS_LIMIT, lo - pad), min(AXIS_LIMIT, hi + pad)
