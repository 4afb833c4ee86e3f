"""References to single values: ``Z2[0,1]``, ``dE/dW2[0,0]``, ``b1``, ``E``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REF = re.compile(r"^\s*([A-Za-z_][\w/]*)\s*(?:\[\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*\])?\s*$")


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
