"""How a trace holds its steps: per epoch (a segment), as blocks.

A runner records a whole batch at once as one dict of the arrays it computed plus a template that
says which array is each step's value and operands; ``Step`` objects are built only when a view
asks for them. Recording a batch therefore costs a dict, not two dozen objects, which keeps
tracing as fast as training without a trace.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
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
    # A batch's array bytes by (the runner's size key, whether the previous batch is in the same
    # segment): every batch of the same size holds arrays of the same shapes, shared alike.
    sizes: dict[tuple[object, bool], int] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def builder(self) -> Callable[[Mapping[str, np.ndarray], int, int, int], list[Step]]:
        """``builder(record, first, epoch, batch)``: every step of a whole batch, ``first`` the
        index of its first: one generated function, the inputs as literal dicts, so that reading
        every step of a run costs well under computing it."""
        lines = ["def build(r, first, epoch, batch):", "    return ["]
        namespace: dict[str, object] = {"_Raw": _RawStep, "_proxy": MappingProxyType}
        for i, spec in enumerate(self.specs):
            # The spec's own objects (an op is an OpId), by name; the record's keys as literals.
            for field_name in ("phase", "name", "op", "layer", "module", "note"):
                namespace[f"{field_name}_{i}"] = getattr(spec, field_name)
            inputs = ", ".join(f"{name!r}: r[{key!r}]" for name, key in spec.inputs)
            lines.append(f"        _Raw(first + {i}, epoch, batch, phase_{i}, name_{i}, r[{spec.value!r}], "
                         f"op_{i}, _proxy({{{inputs}}}), layer_{i}, module_{i}, note_{i}),")
        lines.append("    ]")
        exec("\n".join(lines), namespace)  # noqa: S102 - the record's keys, as their reprs
        return namespace["build"]  # type: ignore[return-value]

    def position(self, name: str) -> int | None:
        for i, spec in enumerate(self.specs):
            if spec.name == name:
                return i
        return None


class _RawStep:
    """A Step made by plain slot stores, then turned into the Step it is (same slots, so the
    class can be swapped): a third of ``trusted_step``'s cost. Its arrays are the batch's
    record, frozen once by ``_Batch._freeze``."""

    __slots__ = Step.__slots__  # type: ignore[attr-defined]

    def __init__(self, index: int, epoch: int, batch: int, phase: str, name: str, value: np.ndarray,
                 op: str, inputs: Mapping[str, np.ndarray], layer: int, module: int, note: str) -> None:
        self.index = index
        self.epoch = epoch
        self.batch = batch
        self.phase = phase
        self.name = name
        self.value = value
        self.op = op
        self.inputs = inputs
        self.layer = layer
        self.module = module
        self.note = note
        self.__class__ = Step  # type: ignore[assignment]


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
                a.setflags(write=False)
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
        if self.count == len(specs) and cache[0] is None and cache[-1] is None:
            # None of its steps built yet (a walk through the trace): all at once.
            built = self.template.builder(r, first, epoch, batch)
            if any(s is not None for s in cache):
                built = [s if s is not None else b for s, b in zip(cache, built, strict=True)]
            self.cache = built  # type: ignore[assignment]
            return built
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


def _new_bytes(record: Mapping[str, np.ndarray], prev: _Batch | None) -> int:
    """The bytes of a record's arrays. An array the previous batch holds too (this batch's W1 is
    its W1', an unchanged velocity) is counted once, so that the byte budget sees what is held."""
    import numpy as np

    shared = {id(a) for a in prev.record.values()} if prev is not None else set()
    return sum(a.nbytes for a in record.values() if type(a) is np.ndarray and id(a) not in shared)


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
                     record: Mapping[str, np.ndarray], count: int, size_key: object = None) -> None:
        """Add a batch; ``size_key`` (the runner's: its batch size) says that every batch with
        the same key holds arrays of the same shapes, shared alike with the batch before, so
        that their bytes are counted once per key."""
        blocks = self.blocks
        assert blocks is not None
        prev = blocks[-1] if blocks and type(blocks[-1]) is _Batch else None
        key = (size_key, prev is not None)
        nbytes = template.sizes.get(key) if size_key is not None else None
        if nbytes is None:
            nbytes = _new_bytes(record, prev)
            if size_key is not None:
                template.sizes[key] = nbytes
        blocks.append(_Batch(epoch, batch, template, record, count))
        self.block_starts.append(self.count)
        self.keys = None
        self.count += count
        self.nbytes += nbytes

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
