"""Which layers and units of the network picture a step reads and writes, and which layers of
weights it uses: a domain question, answered without Textual so that tests (and any view) can ask.

Layers are numbered as the picture's columns: 0 is the inputs, k the dense layer k. A touch maps a
layer to the set of its units involved, or None for all of them; ``unit`` is the element being
stepped into (a flat index into the step's value), or None for the whole step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bpstep.tracing.step import Step


@dataclass
class Touch:
    reads: dict[int, set[int] | None] = field(default_factory=dict)
    writes: dict[int, set[int] | None] = field(default_factory=dict)
    weights: set[int] = field(default_factory=set)  # the layers whose weights (arrows) it uses


# step, its layer k, the element's unit (None: all) → what it touches
TouchFn = Callable[[Step, int, "int | None"], Touch]


def _one(unit: int | None) -> set[int] | None:
    return {unit} if unit is not None else None


def nothing(step: Step, k: int, unit: int | None) -> Touch:
    return Touch()


def writes_inputs(step: Step, k: int, unit: int | None) -> Touch:
    return Touch(writes={0: _one(unit)})


def linear(step: Step, k: int, unit: int | None) -> Touch:
    return Touch(reads={k - 1: None}, writes={k: _one(unit)}, weights={k})


def within_layer(step: Step, k: int, unit: int | None) -> Touch:
    """An element-wise step on layer k (an activation, the loss's gradient, σ'): unit to unit."""
    return Touch(reads={k: _one(unit)}, writes={k: _one(unit)})


def row_of_layer(step: Step, k: int, unit: int | None) -> Touch:
    """A softmax step on layer k (forward, or its Jacobian backward): each unit's value depends
    on every unit of the layer for the same sample."""
    return Touch(reads={k: None}, writes={k: _one(unit)})


def reads_layer(step: Step, k: int, unit: int | None) -> Touch:
    return Touch(reads={k: None})


def linear_backward(step: Step, k: int, unit: int | None) -> Touch:
    """δ of layer k from the deltas of layer k + 1 through its weights."""
    return Touch(reads={k + 1: None}, writes={k: _one(unit)}, weights={k + 1})


def weight_gradient(step: Step, k: int, unit: int | None) -> Touch:
    """∂E/∂W[r, j] reads input r of the layer and the delta of unit j."""
    if step.value.ndim == 2 and unit is not None:
        r, j = divmod(unit, step.value.shape[1])
        return Touch(reads={k - 1: {r}, k: {j}}, weights={k})
    return Touch(reads={k - 1: None, k: None}, weights={k})


def bias_gradient(step: Step, k: int, unit: int | None) -> Touch:
    return Touch(reads={k: _one(unit) if step.value.ndim else None}, weights={k})


def parameter(step: Step, k: int, unit: int | None) -> Touch:
    return Touch(weights={k})
