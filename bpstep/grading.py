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


# --- the rule for answers ------------------------------------------------------------------------
# An answer must be written to the required precision and is right within half a unit of it plus
# what rounding every earlier intermediate at that precision can carry into the value (``slack``,
# from ``bpstep.carried``). ``is_correct`` above stays the rule of ``[expect]``: an author's
# assertion "0.0020" means ±0.0001, and changing it would change every scenario's meaning.

@dataclass(frozen=True)
class Precision:
    """The precision an answer must be written to: ``decimals`` and/or ``significant`` figures.
    With both, the coarser unit for the value is required (0.890 for 0.8896 has three significant
    figures, 0.0020 for 0.0019835 has four decimals: both are enough)."""

    decimals: int | None = 4
    significant: int | None = 3

    def unit(self, value: float) -> float:
        """The unit of the last digit an answer for ``value`` must have (0: exact)."""
        units = []
        if self.decimals is not None:
            units.append(10.0 ** -self.decimals)
        if self.significant is not None and value != 0 and math.isfinite(value):
            units.append(10.0 ** (math.floor(math.log10(abs(value))) - self.significant + 1))
        return max(units) if units else 0.0

    def carried(self) -> Precision:
        """The precision intermediates are taken to be rounded to: the decimals where set (the
        tutorial's four: it carries 0.9866 and 0.0020 alike), else the significant figures. A
        student who carries fewer digits than that may drift further than the bound."""
        return Precision(self.decimals, None) if self.decimals is not None else self

    def describe(self) -> str:
        parts = []
        if self.decimals is not None:
            parts.append(f"{self.decimals} decimal{'s' * (self.decimals != 1)}")
        if self.significant is not None:
            parts.append(f"{self.significant} significant figure{'s' * (self.significant != 1)}")
        return " or ".join(parts) or "exact values"

    @classmethod
    def parse(cls, text: str) -> Precision:
        """``4`` or ``4d`` (decimals), ``3sf`` (significant figures), ``4d,3sf`` (either)."""
        decimals = significant = None
        for part in text.replace(" ", "").split(","):
            m = re.fullmatch(r"(\d{1,2})(d|dp|sf|s)?", part)
            if not m:
                raise ValueError(f"precision must be like 4 (decimals), 3sf (significant figures) or "
                                 f"4d,3sf (either), got {text!r}")
            n = int(m.group(1))
            if m.group(2) in ("sf", "s"):
                if n < 1:
                    raise ValueError(f"significant figures must be 1 or more, got {text!r}")
                significant = n
            else:
                decimals = n
        return cls(decimals, significant)


DEFAULT_RULE = Precision(4, 3)

RIGHT, WRONG, IMPRECISE, CONSISTENT = "right", "wrong", "not enough precision", "consistent"


@dataclass(frozen=True)
class Verdict:
    status: str  # RIGHT, WRONG or IMPRECISE
    bound: float  # how far from the value an answer may be (with enough figures)
    unit: float  # the unit of the required last digit


def judge(answer_text: str, expected: float, precision: Precision = DEFAULT_RULE, slack: float = 0.0,
          tolerance: Tolerance | None = None) -> Verdict:
    """Grade a written answer: RIGHT within ``precision.unit(expected)/2 + slack`` when written to
    that unit or finer (or exactly the value: 4.3 for 4.3), IMPRECISE when written coarser but
    right at its own figures, WRONG otherwise. A ``tolerance`` replaces the bound and the figures."""
    answer = float(answer_text)
    diff = abs(answer - expected)
    if tolerance is not None:
        bound = max(tolerance.absolute or 0.0, (tolerance.relative or 0.0) * abs(expected))
        return Verdict(RIGHT if tolerance.allows(answer, expected) else WRONG, bound, 0.0)
    u = precision.unit(expected)
    # The tiny terms absorb binary rounding (a difference of exactly half a unit, 4.3 as 4.300000000000001).
    fuzz = 1e-9 * max(abs(expected), u) + 1e-300
    bound = u / 2 + slack
    if diff <= fuzz:
        return Verdict(RIGHT, bound, u)
    written = 10.0 ** -decimals(answer_text)
    if written > u * (1 + 1e-9):
        near = diff <= written / 2 + slack + fuzz
        return Verdict(IMPRECISE if near else WRONG, bound, u)
    return Verdict(RIGHT if diff <= bound * (1 + 1e-9) + fuzz else WRONG, bound, u)
