"""References to single values: ``Z2[0,1]``, ``dE/dW2[0,0]``, ``b1``, ``E``."""

from __future__ import annotations

import re
from dataclasses import dataclass

# At most 9 digits an index: a longer one cannot address an element anyway, and int() of a
# 5,000-digit string raises Python's digit-limit error.
_REF = re.compile(r"^\s*([A-Za-z_][\w/]*)\s*(?:\[\s*(-?[0-9]{1,9}(?:\s*,\s*-?[0-9]{1,9})*)\s*\])?\s*$",
                  re.ASCII)


@dataclass(frozen=True)
class Ref:
    name: str  # a trace step name: Z2, delta3, dE/dW1, W1, E, loss
    index: tuple[int, ...] = ()  # an element of the value; () for the whole value

    def __str__(self) -> str:
        if not self.index:
            return self.name
        return f"{self.name}[{','.join(str(i) for i in self.index)}]"


def parse_ref(text: str) -> Ref | None:
    """Parse ``NAME`` or ``NAME[i,j]``; None when the text has another form."""
    m = _REF.match(text)
    if not m:
        return None
    index = tuple(int(p) for p in m.group(2).split(",")) if m.group(2) else ()
    return Ref(m.group(1), index)


def shape_text(shape: tuple[int, ...]) -> str:
    """``3×2`` for a matrix, ``4 values`` for a vector, ``a single number`` for a scalar."""
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"{shape[0]} value{'s' * (shape[0] != 1)}"
    return "×".join(str(n) for n in shape)


def index_problem(ref: Ref, shape: tuple[int, ...]) -> str | None:
    """Why ``ref``'s element index does not fit a value of ``shape``; None when it fits (or has none).

    Indices count from 0; a negative index counts from the end, as in numpy."""
    if not ref.index:
        return None
    what = f"{ref.name} is {shape_text(shape)}"
    if not shape:
        return f"{what}: write {ref.name} without an index"
    if len(ref.index) != len(shape):
        example = ",".join("0" for _ in shape)
        return f"{what}: give {len(shape)} ind{'ices' if len(shape) > 1 else 'ex'}, as {ref.name}[{example}]"
    for i, n in zip(ref.index, shape, strict=True):
        if not -n <= i < n:
            ranges = ", ".join(f"0–{m - 1}" for m in shape)
            return f"{ref} is out of range: {what} (indices {ranges})"
    return None
