"""What every formula is built from: an element with its substituted formula, display names for
single values, and how numbers, sums and products are written. Plain text; numpy only for indices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bpstep.format import DEFAULT_PRECISION, MINUS, num, operand, signed, superscript
from bpstep.tracing.trace import Trace, display_names

# A sum with more terms than this is shown as its first terms, "…", and its last term.
MAX_TERMS = 6


@dataclass(frozen=True)
class Element:
    """One element of a step's value with its own substituted formula."""

    index: tuple[int, ...]
    label: str  # "z_h1" or "Z1[0,0]"
    symbolic: str  # "w1·x1 + w3·x2 + w5·x3 + b1" (may be "")
    substituted: str  # "0.1·1 + 0.3·4 + 0.5·5 + 0.5"
    value: float
    assign: bool = False  # an update: "w7 := w7 − η·∂E/∂w7 = …"
    integer: bool = False  # a count or an epoch number: written without decimals

    def text(self, precision: int = DEFAULT_PRECISION) -> str:
        result = value_text(self.value, precision, self.integer)
        parts = []
        if self.symbolic and self.symbolic != self.label:
            parts.append(self.symbolic)
        # A substitution that is the symbol itself, or one bare number that is the result again
        # (∂E/∂b2 = ∂E/∂z = 0.3379 = 0.3379), says nothing: left out.
        if self.substituted and self.substituted not in (self.symbolic, result) and not (
                _bare_number(self.substituted) and _same_number(self.substituted, result)):
            parts.append(self.substituted)
        parts.append(result)
        return f"{self.label} {':=' if self.assign else '='} " + " = ".join(parts)


def value_text(x: float, precision: int = DEFAULT_PRECISION, integer: bool = False) -> str:
    """A formula's result: ``precision`` decimals (or a whole number) with a proper minus."""
    if integer and float(x).is_integer():
        return signed(str(int(x)))
    return signed(num(x, precision))


def _bare_number(text: str) -> bool:
    try:
        float(text.replace(MINUS, "-"))
    except ValueError:
        return False
    return True


def _same_number(a: str, b: str) -> bool:
    """Whether two written numbers agree to the fewer decimals of the two."""
    a, b = a.replace(MINUS, "-"), b.replace(MINUS, "-")
    decimals = min(len(t.partition(".")[2]) if "e" not in t else 16 for t in (a, b))
    return round(float(a), decimals) == round(float(b), decimals)



class Namer:
    """Labels for single values: display names where the scenario gives them."""

    def __init__(self, trace: Trace) -> None:
        self.names = _display_map(tuple(sorted(trace.scenario.names.items())))

    def __call__(self, name: str, index: tuple[int, ...]) -> str:
        found = self.names.get((name, index))
        if found:
            return found
        if not index:
            return name
        return f"{name}[{','.join(str(i) for i in index)}]"


@lru_cache(maxsize=32)
def _display_map(items: tuple[tuple[str, str], ...]) -> dict[tuple[str, tuple[int, ...]], str]:
    return display_names(dict(items))


def sym(name: str) -> str:
    """Trace name → tutorial notation: Z2 → Z⁽²⁾, delta3 → δ⁽³⁾, W1 → W⁽¹⁾, dE/dW1 → ∂E/∂W⁽¹⁾."""
    for prefix, out in (("dE/d", "∂E/∂"), ("delta", "δ"), ("Z", "Z"), ("W", "W"), ("b", "b")):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return out + superscript(name[len(prefix):])
        if prefix == "dE/d" and name.startswith(prefix):
            return out + sym(name[len(prefix):])
    return name


def sum_text(terms: list[str]) -> str:
    if len(terms) > MAX_TERMS:
        terms = terms[: MAX_TERMS - 2] + ["…", terms[-1]]
    out = ""
    for n, t in enumerate(terms):
        # A negative number on its own is subtracted: "… − 0.1", and "−0.1 + …" first.
        bare = t[1:-1] if t.startswith("(" + MINUS) and t.endswith(")") and "(" not in t[1:] else None
        if n == 0:
            out = bare or t
        elif bare:
            out += f" {MINUS} {bare[1:]}"
        else:
            out += f" + {t}"
    return out


def sum_of(n: int, term: Callable[[int], str]) -> str:
    """``sum_text([term(i) for i in range(n)])``, formatting only the terms it shows: a 784-input
    unit's sum costs 5 terms, not 785."""
    if n > MAX_TERMS:
        return sum_text([term(i) for i in range(MAX_TERMS - 2)] + ["…", term(n - 1)])
    return sum_text([term(i) for i in range(n)])


def cell(shape: tuple[int, ...], flat: int) -> tuple[int, ...]:
    """The index of element ``flat`` in C order (``np.ndindex`` order), without listing them all."""
    out = []
    for size in reversed(shape):
        flat, r = divmod(flat, size)
        out.append(r)
    return tuple(reversed(out))


def prod(*parts: str) -> str:
    return "·".join(f"({p})" if p.startswith(("-", MINUS)) else p for p in parts)


def lead(x: float, p: int) -> str:
    """An operand that stands first or alone (``σ(−1)``, ``−0.5 + …``): a proper minus, no parentheses."""
    return signed(operand(x, p))

