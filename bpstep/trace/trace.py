"""The trace: the ordered steps of a run, the single source of truth for every view."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import numpy as np

from bpstep.trace.refs import Ref, parse_ref
from bpstep.trace.step import Step

if TYPE_CHECKING:
    from bpstep.scenario.model import Scenario


@dataclass(frozen=True)
class ModuleInfo:
    """Module m of the chain: it produces Z_m from Z_(m−1)."""

    index: int  # m ≥ 1
    kind: str  # "linear" or "activation"
    layer: int  # dense layer k
    units: int
    activation: str = ""  # for kind == "activation"
    shared_bias: bool = False  # for kind == "linear"


class Trace(Sequence[Step]):
    """A ``Sequence[Step]`` with lookup by name, epoch and batch.

    A trace may still be growing while an engine worker fills it (``finished`` is False); the
    steps already in it never change.
    """

    def __init__(self, scenario: Scenario, modules: Sequence[ModuleInfo] = ()) -> None:
        self.scenario = scenario
        self.modules: tuple[ModuleInfo, ...] = tuple(modules)
        self._steps: list[Step] = []
        self._by_key: dict[tuple[str, int, int], int] = {}
        self.finished = False
        self.status = "running"  # then "complete", "stopped" (early stopping), "diverged"
        self.message = ""  # why the run ended, when not simply complete
        self.epochs_run = 0

    # -- building (engine side) -------------------------------------------------------------
    def append(self, step: Step) -> None:
        self._by_key[(step.name, step.epoch, step.batch)] = len(self._steps)
        self._steps.append(step)

    def finish(self, status: str = "complete", message: str = "") -> None:
        self.status = status
        self.message = message
        self.finished = True

    # -- Sequence ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._steps)

    @overload
    def __getitem__(self, key: int) -> Step: ...
    @overload
    def __getitem__(self, key: slice) -> list[Step]: ...
    @overload
    def __getitem__(self, key: str | tuple[str, int, int]) -> Step: ...

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        if isinstance(key, int | slice):
            return self._steps[key]
        if isinstance(key, str):
            return self.step(key)
        if isinstance(key, tuple) and key and isinstance(key[0], str):
            return self.step(*key)
        raise TypeError(f"trace indices are ints, slices, names or (name, epoch, batch), not {key!r}")

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    # -- lookup ------------------------------------------------------------------------------
    def step(self, name: str, epoch: int = 1, batch: int = 1) -> Step:
        """The step ``name`` at ``epoch``/``batch``; epoch-level steps (``loss``) accept any batch."""
        for key in ((name, epoch, batch), (name, epoch, 0), (name, 0, 0)):
            i = self._by_key.get(key)
            if i is not None:
                return self._steps[i]
        raise KeyError(f"no step '{name}' at epoch {epoch}, batch {batch}")

    def index_of(self, name: str, epoch: int = 1, batch: int = 1) -> int:
        return self.step(name, epoch, batch).index

    def step_names(self) -> list[str]:
        """Every distinct step name, in order of first appearance."""
        seen: dict[str, None] = {}
        for name, _, _ in self._by_key:
            seen.setdefault(name, None)
        return list(seen)

    # -- display names ------------------------------------------------------------------------
    def resolve(self, text: str) -> Ref | None:
        """A reference from a trace name (``Z2[0,1]``) or a display name (``h1``, ``dE/dh1``,
        ``w7``, ``dE/dw7``); None when it names nothing."""
        return resolve_name(text, self.scenario.names)

    def display_name(self, name: str, index: tuple[int, ...]) -> str | None:
        """The display name of element ``index`` of step ``name`` (``Z2``, (0, 0) → ``h1``)."""
        return display_names(self.scenario.names).get((name, index))

    def value(self, text: str, epoch: int = 1, batch: int = 1) -> float | np.ndarray:
        """The value a reference or display name denotes, at ``epoch``/``batch``."""
        ref = self.resolve(text)
        if ref is None:
            raise KeyError(f"'{text}' is neither a trace name nor a display name")
        v = self.step(ref.name, epoch, batch).value
        if not ref.index:
            return float(v) if v.ndim == 0 else v
        return float(v[ref.index])


def resolve_name(text: str, names: dict[str, str]) -> Ref | None:
    """Resolve display names and their ``dE/d`` forms; plain references pass through."""
    text = text.strip()
    if text in names:
        return parse_ref(names[text])
    if text.startswith("dE/d") and text[4:] in names:
        base = parse_ref(names[text[4:]])
        if base is None:
            return None
        if base.name.startswith("Z") and base.name[1:].isdigit():
            return Ref(f"delta{base.name[1:]}", base.index)
        return Ref(f"dE/d{base.name}", base.index)
    return parse_ref(text)


def display_names(names: dict[str, str]) -> dict[tuple[str, tuple[int, ...]], str]:
    """(step name, index) → display name, including the ``dE/d`` forms of deltas and gradients."""
    out: dict[tuple[str, tuple[int, ...]], str] = {}
    for display, target in names.items():
        ref = parse_ref(target)
        if ref is None:
            continue
        out[(ref.name, ref.index)] = display
        grad = resolve_name(f"dE/d{display}", names)
        if grad is not None and grad.name != ref.name:
            out.setdefault((grad.name, grad.index), f"dE/d{display}")
    return out
