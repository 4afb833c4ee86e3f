"""The ``[epoch.N]``, ``[batch.M]`` and ``[epoch.N.batch.M]`` tables that address a step other
than epoch 1, batch 1: one walker for answer files and a scenario's ``[expect]`` table.

The walker only finds the entries and the epoch and batch each belongs to; what an entry must
hold, and how a problem is worded or reported (raised at once or collected), is the caller's.
Standard library only: the scenario loader imports it before numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# The tables each level may hold: the top level both; inside [epoch.N], only [batch.M].
TOP = ("epoch", "batch")


def is_count(text: str) -> bool:
    """``text`` is a table key like ``"2"`` naming an epoch or batch: ASCII digits only (``"²"``
    passes ``str.isdigit``), at most 9 of them, not 0."""
    return text.isascii() and text.isdigit() and len(text) <= 9 and int(text) >= 1


@dataclass(frozen=True)
class Entry:
    """One ``key = value`` of the document (or of an epoch/batch table within it)."""

    path: tuple[str, ...]  # the keys of the tables it is in: ("epoch", "2", "batch", "3")
    key: str
    value: Any  # as TOML read it: possibly a table not allowed here, for the caller to refuse
    epoch: int
    batch: int
    allowed: tuple[str, ...]  # the epoch/batch tables this level may hold ("epoch", "batch")


@dataclass(frozen=True)
class Problem:
    """An epoch/batch table whose number or contents are wrong."""

    path: tuple[str, ...]  # the keys down to the offending one: ("epoch", "x")
    kind: str  # "bad_number" (not 1, 2, ...) or "not_table" (its value is no table)
    table: str  # "epoch" or "batch"
    value: Any


def walk(doc: dict[str, Any], on_problem: Callable[[Problem], None],
         path: tuple[str, ...] = ()) -> Iterator[Entry]:
    """Every entry of ``doc`` in file order, with its epoch and batch (1, 1 unless a table says
    otherwise). A key in ``allowed`` whose value is a table is descended into; anything else is
    an ``Entry``. ``on_problem`` is told of each bad epoch/batch table (it may raise)."""
    yield from _walk(doc, on_problem, path, 1, 1, TOP)


def _walk(table: dict[str, Any], on_problem: Callable[[Problem], None], path: tuple[str, ...],
          epoch: int, batch: int, allowed: tuple[str, ...]) -> Iterator[Entry]:
    for key, value in table.items():
        if key not in allowed or not isinstance(value, dict):
            yield Entry(path, key, value, epoch, batch, allowed)
            continue
        for number, inner in value.items():
            sub = (*path, key, number)
            if not is_count(number):
                on_problem(Problem(sub, "bad_number", key, inner))
            elif not isinstance(inner, dict):
                on_problem(Problem(sub, "not_table", key, inner))
            elif key == "epoch":
                yield from _walk(inner, on_problem, sub, int(number), 1, ("batch",))
            else:
                yield from _walk(inner, on_problem, sub, epoch, int(number), ())
