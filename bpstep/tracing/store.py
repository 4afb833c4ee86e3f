"""How a trace holds its steps: per epoch (a segment), as blocks.

A runner records a whole batch at once as one dict of the arrays it computed plus a template that
says which array is each step's value and operands; ``Step`` objects are built only when a view
asks for them. Recording a batch therefore costs a dict, not two dozen objects, which keeps
tracing as fast as training without a trace.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bpstep.tracing.step import Step, frozen_array, trusted_step

if TYPE_CHECKING:  # imported where arrays are handled: see bpstep.tracing.step
    import numpy as np


@dataclass(frozen=True)
class StepSpec:
    """One step of every batch: its identity and which record entries hold its value and inputs."""

    phase: str
    name: str
    op: str
    value: str  # record key of the value
    inputs: tuple[tuple[str, str], ...] = ()  # (input name, record key)
    layer: int = 0
    module: int = 0
    note: str = ""


@dataclass(frozen=True)
class BatchTemplate:
    """The steps of one batch, in order, the same for every batch of a run."""

    specs: tuple[StepSpec, ...]

    def position(self, name: str) -> int | None:
        for i, spec in enumerate(self.specs):
            if spec.name == name:
                return i
        return None


class _Steps:
    """A run of explicitly built steps (epoch-level steps, steps after training, perceptrons)."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps: list[Step] = []

    @property
    def count(self) -> int:
        return len(self.steps)

    def get(self, i: int, index: int) -> Step:
        return self.steps[i]

    def keys(self) -> list[tuple[str, int, int]]:
        return [(s.name, s.epoch, s.batch) for s in self.steps]

    def all(self, first: int) -> list[Step]:
        return self.steps


class _Batch:
    """One batch, recorded as its arrays; its steps are built on first access and kept."""

    __slots__ = ("epoch", "batch", "template", "record", "count", "cache")

    def __init__(self, epoch: int, batch: int, template: BatchTemplate, record: Mapping[str, np.ndarray],
                 count: int) -> None:
        self.epoch = epoch
        self.batch = batch
        self.template = template
        self.record = record
        self.count = count  # fewer than the template's steps when the run diverged in this batch
        self.cache: list[Step | None] | None = None

    def get(self, i: int, index: int) -> Step:
        cache = self.cache if self.cache is not None else self._freeze()
        step = cache[i]
        if step is None:
            spec, r = self.template.specs[i], self.record
            step = trusted_step(index, self.epoch, self.batch, spec.phase, spec.name, r[spec.value],
                                spec.op, {name: r[key] for name, key in spec.inputs}, spec.layer,
                                spec.module, spec.note)
            cache[i] = step
        return step

    def _freeze(self) -> list[Step | None]:
        """The runner's arrays are fresh and never written again: freeze them in place, once, so
        that the steps share them (anything else becomes a read-only float64 array)."""
        import numpy as np

        record = self.record
        for a in record.values():
            if type(a) is np.ndarray and a.dtype.char == "d":
                a.flags.writeable = False
            else:
                self.record = {k: _frozen(v) for k, v in record.items()}
                break
        cache: list[Step | None] = [None] * self.count
        self.cache = cache
        return cache

    def all(self, first: int) -> list[Step]:
        """Every step of the batch, ``first`` the index of its first (for iterating a trace):
        ``get`` for each, inlined."""
        cache = self.cache if self.cache is not None else self._freeze()
        specs, r, epoch, batch = self.template.specs, self.record, self.epoch, self.batch
        out = []
        for j in range(self.count):
            step = cache[j]
            if step is None:
                spec = specs[j]
                step = trusted_step(first + j, epoch, batch, spec.phase, spec.name, r[spec.value],
                                    spec.op, {name: r[key] for name, key in spec.inputs}, spec.layer,
                                    spec.module, spec.note)
                cache[j] = step
            out.append(step)
        return out

    def keys(self) -> list[tuple[str, int, int]]:
        return [(s.name, self.epoch, self.batch) for s in self.template.specs[: self.count]]


Block = _Steps | _Batch


def _frozen(a: object) -> np.ndarray:
    """``a`` made read-only in place when it is a float64 array (no copy), else converted."""
    import numpy as np

    if type(a) is np.ndarray and a.dtype.char == "d":
        a.flags.writeable = False
        return a
    return frozen_array(a)  # type: ignore[arg-type]


class Segment:
    """The steps of one epoch, or of K batches of one (the last segment of an epoch also holds
    its epoch-level steps), or of the run's tail; and, when they can be recomputed, the runner's
    checkpoint at the segment's start. ``blocks`` is None while the segment is dropped."""

    __slots__ = ("epoch", "start", "count", "nbytes", "checkpoint", "blocks", "block_starts", "keys",
                 "closed")

    def __init__(self, epoch: int, start: int, checkpoint: object = None) -> None:
        self.epoch = epoch
        self.start = start
        self.count = 0
        self.nbytes = 0  # the arrays' bytes (an array shared by two batches counts twice)
        self.checkpoint = checkpoint
        self.blocks: list[Block] | None = []
        self.block_starts: list[int] = []
        self.keys: dict[tuple[str, int, int], int] | None = None  # built on the first lookup
        self.closed = False

    def append(self, step: Step) -> None:
        blocks = self.blocks
        assert blocks is not None
        if blocks and isinstance(blocks[-1], _Steps):
            blocks[-1].steps.append(step)
        else:
            block = _Steps()
            block.steps.append(step)
            blocks.append(block)  # before its start, so a reader's bisect never finds a gap
            self.block_starts.append(self.count)
        self.keys = None
        self.count += 1
        self.nbytes += step.value.nbytes

    def append_batch(self, epoch: int, batch: int, template: BatchTemplate,
                     record: Mapping[str, np.ndarray], count: int) -> None:
        import numpy as np

        blocks = self.blocks
        assert blocks is not None
        # An array the previous batch holds too (this batch's W1 is its W1', an unchanged velocity)
        # is counted once, so that the byte budget sees what is held.
        prev = blocks[-1] if blocks and isinstance(blocks[-1], _Batch) else None
        shared = {id(a) for a in prev.record.values()} if prev is not None else set()
        blocks.append(_Batch(epoch, batch, template, record, count))
        self.block_starts.append(self.count)
        self.keys = None
        self.count += count
        self.nbytes += sum(a.nbytes for a in record.values()
                           if type(a) is np.ndarray and id(a) not in shared)

    def get(self, blocks: list[Block], rel: int) -> Step:
        """Step ``rel`` of this segment (``blocks`` is the segment's block list, held by the caller)."""
        b = bisect_right(self.block_starts, rel) - 1
        first = self.block_starts[b]
        return blocks[b].get(rel - first, self.start + rel)

    def position(self, blocks: list[Block], key: tuple[str, int, int]) -> int | None:
        keys = self.keys
        if keys is None or len(keys) < self.count:
            keys = {}
            for first, block in zip(list(self.block_starts), list(blocks), strict=False):
                for j, k in enumerate(block.keys()):
                    keys[k] = first + j
            self.keys = keys
        return keys.get(key)
