"""The document model of an exported solution: blocks that every format's writer renders
(``bpstep/export_writers.py``) and every document builder produces (``bpstep/export.py``,
``bpstep/export_graph.py``, ``bpstep/handout.py``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Formulas:
    """Formula lines, one per element, shown verbatim (monospace where the format has it)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class TableBlock:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str = ""  # "l" or "r" per column; numbers right

    def __post_init__(self) -> None:
        if len(self.align) != len(self.header):
            object.__setattr__(self, "align", "l" * len(self.header))


@dataclass(frozen=True)
class Curve:
    """A loss curve: (epoch, loss) points."""

    points: tuple[tuple[int, float], ...]
    label: str


Block = Heading | Para | Formulas | TableBlock | Curve
