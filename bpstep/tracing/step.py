"""One atomic step of a training run."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

# numpy is imported where a value is handled, not here: the debugger's first frame (which needs
# Trace and Step, but no values yet) is drawn before numpy is loaded.
if TYPE_CHECKING:
    import numpy as np

PHASES = ("forward", "loss", "backward", "gradient", "update", "epoch", "end", "evaluate")


def frozen_array(a: np.ndarray | float) -> np.ndarray:
    """A read-only float64 array; a view, never a copy, when ``a`` is already float64.

    Already read-only float64 arrays are returned as they are: the engine freezes what it
    computes once, and a trace shares each array among the steps that read it.
    """
    import numpy as np

    if type(a) is np.ndarray and a.dtype.char == "d":  # float64 (a string: no numpy at import)
        if a.flags.writeable:
            a = a.view()
            a.flags.writeable = False
        return a
    arr = np.asarray(a, dtype=np.float64)
    if arr.flags.writeable:
        arr = arr.view()
        arr.flags.writeable = False
    return arr


@dataclass(frozen=True, slots=True)
class Step:
    """A value the run computed, with what it was computed from.

    ``value`` is batch × units for Z and delta steps, the parameter's shape for gradients and
    updates, and 0-d for scalars (E, a shared bias, the epoch loss). ``op`` names the rule that
    produced it (``linear``, ``activation``, ``loss``, ``loss_grad``, ``activation_grad``,
    ``linear_grad_input``, ``grad_W``, ``grad_b``, ``update``, ...); ``inputs`` holds the
    operands by trace name (``Z0``, ``W1``, ``b1``, ``delta2``, ``T`` for targets).
    ``epoch`` and ``batch`` are 1-based; ``batch`` is 0 for steps that belong to a whole epoch
    and ``epoch`` is 0 for steps after the last epoch.
    """

    index: int
    epoch: int
    batch: int
    phase: str
    name: str
    value: np.ndarray
    op: str = ""
    inputs: Mapping[str, np.ndarray] = field(default_factory=dict)
    layer: int = 0  # the dense layer k (1-based) of W/b steps and of Z/delta modules
    module: int = 0  # the module m whose output is Z_m (Z and delta steps)
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", frozen_array(self.value))
        object.__setattr__(
            self, "inputs", MappingProxyType({k: frozen_array(v) for k, v in self.inputs.items()})
        )

    @property
    def scalar(self) -> bool:
        return self.value.ndim == 0

    @property
    def finite(self) -> bool:
        # One reduction instead of an isfinite array: inf or nan anywhere makes the sum non-finite
        # (and a sum of huge finite values that overflows is checked element by element).
        import numpy as np

        with np.errstate(over="ignore", invalid="ignore"):
            total = float(self.value.sum())
        return math.isfinite(total) or bool(np.all(np.isfinite(self.value)))

    def where(self) -> str:
        """``epoch 1, batch 1`` (or ``after training``), for messages."""
        return where(self.epoch, self.batch)


def where(epoch: int, batch: int) -> str:
    """``epoch 1, batch 1``, ``epoch 3`` (a whole-epoch step) or ``after training``."""
    if epoch == 0:
        return "after training"
    return f"epoch {epoch}" if batch == 0 else f"epoch {epoch}, batch {batch}"


_set = object.__setattr__


def trusted_step(index: int, epoch: int, batch: int, phase: str, name: str, value: np.ndarray, op: str,
                 inputs: Mapping[str, np.ndarray], layer: int, module: int, note: str) -> Step:
    """A Step whose value and inputs are already read-only float64 arrays (a runner's record, frozen
    once per batch by the trace's store): the same object ``Step(...)`` makes, without checking
    and wrapping each array again, so that reading every step of a run costs well under
    computing it."""
    step = object.__new__(Step)
    _set(step, "index", index)
    _set(step, "epoch", epoch)
    _set(step, "batch", batch)
    _set(step, "phase", phase)
    _set(step, "name", name)
    _set(step, "value", value)
    _set(step, "op", op)
    _set(step, "inputs", MappingProxyType(inputs))
    _set(step, "layer", layer)
    _set(step, "module", module)
    _set(step, "note", note)
    return step
