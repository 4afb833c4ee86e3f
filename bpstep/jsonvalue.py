"""Values in JSON, one encoding for every file bpstep writes (``bpstep trace --json``, golden
traces): a number for a scalar, nested lists for an array, and the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"`` for non-finite values (JSON has no such numbers). Finite
values are written as Python's ``repr`` of the float64, so they read back bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _scalar(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"


def to_json_value(a: np.ndarray | float) -> Any:
    """``a`` as JSON-ready Python values (floats, lists, the strings for non-finite values)."""
    a = np.asarray(a, dtype=np.float64)
    if np.all(np.isfinite(a)):
        return a.tolist()  # Python floats: json writes their repr, which round-trips exactly
    if a.ndim == 0:
        return _scalar(float(a))
    return [to_json_value(r) for r in a]


def from_json_value(v: Any) -> Any:
    """The inverse of ``to_json_value``: floats (and nested lists of them). ``ValueError`` names
    what is not a number, without echoing more than a short piece of it."""
    if isinstance(v, list):
        return [from_json_value(x) for x in v]
    if isinstance(v, float) and not isinstance(v, bool):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        try:
            return float(v)
        except OverflowError:
            raise ValueError(f"holds a whole number too large for a float ({len(str(abs(v)))} "
                             "digits)") from None
    if isinstance(v, str) and v in NONFINITE:
        return NONFINITE[v]
    shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:39] + "…"
    raise ValueError(f'must hold numbers (or "NaN", "Infinity", "-Infinity"), got {shown}')
