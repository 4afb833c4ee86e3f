"""The trace: the ordered steps of a run, the single source of truth for every view."""

from __future__ import annotations

from bisect import bisect_right
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
        self._updates: dict[str, list[int]] = {}  # parameter name → indices of its update steps
        self._updates_scanned = 0

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
        """The step ``name`` at ``epoch``/``batch``; epoch-level steps (``loss``) accept any batch.

        A display name or an element (``w7``, ``dE/dh1``, ``Z2[0,1]``) gives the step holding
        it (W2, delta2, Z2); ``value()`` gives the element itself.
        """
        target = name
        for attempt in range(2):
            for key in ((target, epoch, batch), (target, epoch, 0), (target, 0, 0)):
                i = self._by_key.get(key)
                if i is not None:
                    return self._steps[i]
            ref = self.resolve(name) if attempt == 0 else None  # only when the plain name fails
            if ref is None or ref.name == name:
                break
            target = ref.name
        raise KeyError(f"no step '{name}' at epoch {epoch}, batch {batch}")

    def find(self, name: str, epoch: int, batch: int) -> Step | None:
        """The step ``name`` at exactly ``epoch``/``batch``, or None (no fallbacks, no raise)."""
        i = self._by_key.get((name, epoch, batch))
        # A worker may have registered the key but not yet appended the step.
        return self._steps[i] if i is not None and i < len(self._steps) else None

    def parameters_at(self, index: int) -> dict[str, np.ndarray]:
        """The parameter values in effect at step ``index``: each parameter's latest update at or
        before it, else its initial value (the W/b operands of batch 1's forward Linear steps)."""
        steps = self._steps
        n = len(steps)
        for i in range(self._updates_scanned, n):  # index the update steps appended since last time
            if steps[i].phase == "update":
                self._updates.setdefault(steps[i].name, []).append(i)
        self._updates_scanned = n
        params: dict[str, np.ndarray] = {}
        for info in self.modules:
            first = self.find(f"Z{info.index}", 1, 1) if info.kind == "linear" else None
            if first is None:
                continue
            for name in (f"W{info.layer}", f"b{info.layer}"):
                updates = self._updates.get(name, ())
                j = bisect_right(updates, index) - 1
                params[name] = steps[updates[j]].value if j >= 0 else first.inputs[name]
        return params

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
