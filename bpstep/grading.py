"""The precision rule for answers and expectations.

An answer's precision is the number of decimals as written (``0.0020`` has four): it is right
when it is within one unit of its last decimal of the true value. A ``Tolerance`` replaces that
with an absolute or relative bound. Numbers are read as text from the TOML source, because a
TOML parser turns ``0.0020`` into the float 0.002 and loses the written precision.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_NUMBER = r"[-+]?(?:\d[\d_]*)?(?:\.\d[\d_]*)?(?:[eE][-+]?\d+)?"
_KEY = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_LINE = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=\s*({_NUMBER})\s*(?:#.*)?$")
_HEADER = re.compile(rf"^\s*\[\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\s*(?:#.*)?$")
_KEY_PART = re.compile(_KEY)


def _unquote(part: str) -> str:
    if part[:1] == '"' and "\\" in part:  # a basic string with escapes: as TOML reads it
        try:
            return tomllib.loads(f"k = {part}")["k"]
        except tomllib.TOMLDecodeError:
            return part[1:-1]
    if part[:1] in "\"'":
        return part[1:-1]  # as written, non-ASCII included (∂E/∂w7)
    return part


def _split_key(dotted: str) -> tuple[str, ...]:
    return tuple(_unquote(m.group(0)) for m in _KEY_PART.finditer(dotted))


def number_texts(toml_text: str) -> dict[tuple[str, ...], str]:
    """The written text of every number assigned on its own line, by full key path:
    ``[epoch.2]`` then ``"dE/dw7" = 0.0765`` gives ``("epoch", "2", "dE/dw7") → "0.0765"``."""
    out: dict[tuple[str, ...], str] = {}
    table: tuple[str, ...] = ()
    for line in toml_text.splitlines():
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            continue
        m = _LINE.match(line)
        if m and m.group(2) and any(c.isdigit() for c in m.group(2)):
            out[table + _split_key(m.group(1))] = m.group(2).replace("_", "")
    return out


def decimals(text: str) -> int:
    """Decimals written: ``0.0020`` → 4, ``12`` → 0, ``1.5e-3`` → 4 (may be negative: ``1e3``)."""
    try:
        exponent = Decimal(text.replace("_", "")).as_tuple().exponent
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    return -int(exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class Tolerance:
    """An absolute or relative bound that replaces the written-precision rule."""

    absolute: float | None = None
    relative: float | None = None

    @classmethod
    def parse(cls, text: str) -> Tolerance:
        """``1e-4`` (absolute) or ``1%`` / ``rel:0.01`` (relative)."""
        t = text.strip()
        usage = f"tolerance must be like 1e-4, abs:1e-4, rel:0.01 or 1%, got {text!r}"
        try:
            if t.endswith("%"):
                value = float(t[:-1])
                tolerance = cls(relative=value / 100)
            elif t.startswith("rel:"):
                value = float(t[4:])
                tolerance = cls(relative=value)
            else:
                value = float(t.removeprefix("abs:"))
                tolerance = cls(absolute=value)
        except ValueError:
            raise ValueError(usage) from None
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"tolerance must be a finite number, zero or more, got {text!r}")
        return tolerance

    def allows(self, answer: float, expected: float) -> bool:
        diff = abs(answer - expected)
        if self.absolute is not None and diff <= self.absolute:
            return True
        return self.relative is not None and diff <= self.relative * abs(expected)


def allowed_error(answer_text: str) -> float:
    """One unit of the answer's last written decimal."""
    return 10.0 ** -decimals(answer_text)


def is_correct(answer_text: str, expected: float, tolerance: Tolerance | None = None) -> bool:
    """Whether the written answer matches ``expected`` under the precision rule (or tolerance)."""
    answer = float(answer_text)
    if tolerance is not None:
        return tolerance.allows(answer, expected)
    # The tiny slack absorbs binary rounding of a difference that is exactly one unit.
    return abs(answer - expected) <= allowed_error(answer_text) * (1 + 1e-9)
