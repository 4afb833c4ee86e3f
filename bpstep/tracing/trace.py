"""The trace: the ordered steps of a run, the single source of truth for every view."""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, overload

from bpstep import names as step_names
from bpstep.errors import BpstepError

# ModuleInfo and the resident limits live with the other shape rules; imported from here too.
from bpstep.shapes import (
    DEFAULT_RESIDENT_BYTES,
    DEFAULT_RESIDENT_STEPS,
    MAX_TRACE_BYTES,
    estimate_bytes,
    module_infos,
)
from bpstep.shapes import ModuleInfo as ModuleInfo
from bpstep.tracing.refs import Ref, parse_ref
from bpstep.tracing.step import Step
from bpstep.tracing.store import BatchTemplate, Segment

if TYPE_CHECKING:  # numpy: see bpstep.tracing.step
    import numpy as np

    from bpstep.scenario.model import Scenario


# replay(checkpoint, epoch, start_index) -> the recomputed segment (a run of batches of that epoch)
Replay = Callable[[object, int, int], Segment]


class Trace(Sequence[Step]):
    """A ``Sequence[Step]`` with lookup by name, epoch and batch.

    A trace may still be growing while an engine worker fills it (``finished`` is False); the
    steps already in it never change. Steps are stored in segments: an epoch, or a run of K
    batches of one (``begin_epoch(epoch, checkpoint, batch)``), so that one epoch of 60,000
    samples needs no more memory than many small epochs. When a runner provides checkpoints and a
    ``replay`` function, segments beyond ``max_resident_steps`` (or ``max_resident_bytes``) are
    dropped, least recently read first, and recomputed bit for bit on access.
    """

    def __init__(self, scenario: Scenario, modules: Sequence[ModuleInfo] = (),
                 max_resident_steps: int = DEFAULT_RESIDENT_STEPS,
                 max_resident_bytes: int = DEFAULT_RESIDENT_BYTES) -> None:
        self.scenario = scenario
        self.modules: tuple[ModuleInfo, ...] = tuple(modules)
        self.finished = False
        self.status = "running"  # then "complete", "stopped" (early stopping), "diverged"
        self.message = ""  # why the run ended, when not simply complete
        self.epochs_run = 0
        self.max_resident_steps = max_resident_steps
        self.max_resident_bytes = max_resident_bytes
        self._segments: list[Segment] = []
        self._starts: list[int] = []
        # An epoch's segments in order, and the first batch of each (for a batch's lookup).
        self._by_epoch: dict[int, list[Segment]] = {}
        self._first_batches: dict[int, list[int]] = {}
        # Segments not tied to one epoch: steps appended without begin_epoch (a perceptron's run,
        # a trace built by hand) and the steps after training. Kept apart so that lookups never
        # scan the per-epoch segments of a long run.
        self._loose: list[Segment] = []
        self._len = 0
        self._resident: OrderedDict[int, Segment] = OrderedDict()  # closed, droppable, LRU order
        self._resident_steps = 0
        self._resident_bytes = 0
        self._replay: Replay | None = None
        self._series: dict[str, dict[int, float]] = {}  # epoch-level scalars, kept for good
        self._lock = threading.RLock()
        # How far into an epoch the run is: (the epoch being computed, its batches done so far),
        # of ``batches_per_epoch`` (0: not known); ``on_segment()``, when set (the debugger's
        # progress report), is called by the runner after each segment short of an epoch's end.
        self.progress: tuple[int, int] = (0, 0)
        self.batches_per_epoch = 0
        self.on_segment: Callable[[], None] | None = None

    @classmethod
    def for_run(cls, scenario: Scenario, epochs: int | None = None) -> Trace:
        """The empty trace a run of ``scenario`` fills (with ``epochs``, when given, instead of
        the scenario's), made without the engine or numpy: the CLI makes it before the screen
        opens and hands it to the runner once the run starts. Raises BpstepError when an
        ``epochs`` override would make a trace too large to hold (``check_epochs``)."""
        if scenario.network is None:  # a computational graph: its runner checks its own size
            return cls(scenario)
        check_epochs(scenario, scenario.training.epochs if epochs is None else epochs)
        modules = () if scenario.network.kind == "perceptron" else module_infos(scenario.network)
        return cls(scenario, modules)

    # -- building (engine side) -------------------------------------------------------------
    def set_replay(self, replay: Replay) -> None:
        """``replay(checkpoint, epoch, start_index)`` recomputes one epoch's steps."""
        self._replay = replay

    def begin_epoch(self, epoch: int, checkpoint: object = None, batch: int = 1) -> None:
        """Start a segment of ``epoch`` at ``batch`` (its first, or a later one when an epoch is
        split); its steps can be recomputed from ``checkpoint``."""
        with self._lock:
            self._close_open()
            self._open(epoch, checkpoint, batch)

    def _open_segment(self, epoch: int) -> Segment:
        seg = self._segments[-1] if self._segments else None
        if seg is None or seg.closed or (epoch == 0 and seg.epoch != 0):
            with self._lock:
                self._close_open()
                seg = self._open(epoch if epoch == 0 else -1, None)
        return seg

    def append(self, step: Step) -> None:
        """Add one step (the open segment is never dropped and only the runner appends: no lock;
        the step goes in before the length grows, so a reader never sees a missing step)."""
        self._open_segment(step.epoch).append(step)
        self._len += 1
        if step.phase == "epoch" and step.value.ndim == 0:
            self._series.setdefault(step.name, {})[step.epoch] = float(step.value)

    def append_batch(self, epoch: int, batch: int, template: BatchTemplate,
                     record: Mapping[str, np.ndarray], count: int | None = None,
                     size_key: object = None) -> None:
        """Add a whole batch as its arrays; its steps are built when first read (``size_key``:
        see ``Segment.append_batch``)."""
        n = len(template.specs) if count is None else count
        self._open_segment(epoch).append_batch(epoch, batch, template, record, n, size_key)
        self._len += n

    def segment_done(self, epoch: int, batches: int) -> None:
        """The runner has computed ``batches`` batches of ``epoch`` (a segment ended inside it)."""
        self.progress = (epoch, batches)
        if self.on_segment is not None:
            self.on_segment()

    def finish(self, status: str = "complete", message: str = "") -> None:
        with self._lock:
            self._close_open()
        self.status = status
        self.message = message
        self.finished = True

    def _open(self, epoch: int, checkpoint: object, batch: int = 1) -> Segment:
        seg = Segment(epoch, self._len, checkpoint)
        self._segments.append(seg)
        self._starts.append(seg.start)
        if epoch > 0:
            firsts = self._first_batches.setdefault(epoch, [])
            if not firsts or batch > firsts[-1]:
                firsts.append(batch)  # the list before the segment: a reader never sees a gap
                self._by_epoch.setdefault(epoch, []).append(seg)
        else:
            self._loose.append(seg)
        return seg

    def _close_open(self) -> None:
        if not self._segments or self._segments[-1].closed:
            return
        seg = self._segments[-1]
        seg.closed = True
        if seg.checkpoint is not None and self._replay is not None:
            self._keep(seg)

    def _keep(self, seg: Segment) -> None:
        """Count a droppable segment as resident; drop the least recently used beyond the budget."""
        self._resident[seg.start] = seg
        self._resident.move_to_end(seg.start)
        self._resident_steps += seg.count
        self._resident_bytes += seg.nbytes
        while len(self._resident) > 1 and (self._resident_steps > self.max_resident_steps
                                           or self._resident_bytes > self.max_resident_bytes):
            _, old = self._resident.popitem(last=False)
            old.blocks, old.keys = None, None
            self._resident_steps -= old.count
            self._resident_bytes -= old.nbytes

    def _materialize(self, seg: Segment) -> list:  # list[Block]
        blocks = seg.blocks
        if blocks is not None:
            if seg.start in self._resident:
                self._resident.move_to_end(seg.start)
            return blocks
        with self._lock:
            if seg.blocks is None:
                assert self._replay is not None
                again = self._replay(seg.checkpoint, seg.epoch, seg.start)
                if again.count != seg.count:
                    raise RuntimeError(f"replaying epoch {seg.epoch} gave {again.count} steps, "
                                       f"not {seg.count}")
                seg.block_starts, seg.keys, seg.nbytes = again.block_starts, None, again.nbytes
                seg.blocks = again.blocks
                self._keep(seg)
            return seg.blocks  # type: ignore[return-value]

    @property
    def resident_steps(self) -> int:
        """How many steps of droppable (checkpointed) epochs are held in memory now."""
        return self._resident_steps

    @property
    def resident_bytes(self) -> int:
        """The bytes of those steps' arrays."""
        return self._resident_bytes

    # -- Sequence ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, key: int) -> Step: ...
    @overload
    def __getitem__(self, key: slice) -> list[Step]: ...
    @overload
    def __getitem__(self, key: str | tuple[str, int, int]) -> Step: ...

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        if isinstance(key, int):
            i = key + self._len if key < 0 else key
            if not 0 <= i < self._len:
                raise IndexError(f"step {key} is outside the trace (0 … {self._len - 1})")
            seg = self._segments[bisect_right(self._starts, i) - 1]
            return seg.get(self._materialize(seg), i - seg.start)
        if isinstance(key, slice):
            return [self[i] for i in range(*key.indices(self._len))]
        if isinstance(key, str):
            return self.step(key)
        if isinstance(key, tuple) and key and isinstance(key[0], str):
            return self.step(*key)
        raise TypeError(f"trace indices are ints, slices, names or (name, epoch, batch), not {key!r}")

    def __iter__(self) -> Iterator[Step]:
        # Block by block rather than a lookup per index: reading every step of a run (trace
        # --json, record, a user's loop) then costs well under computing it. A segment dropped
        # while its blocks are walked is still whole in ``blocks``; a growing trace is followed.
        i = s = 0
        while i < self._len:
            seg = self._segments[s]
            blocks = self._materialize(seg)
            if i != seg.start or seg.count == 0 or not seg.closed:
                while i < min(self._len, seg.start + seg.count):  # the open segment: one at a time
                    yield self[i]
                    i += 1
            else:
                for first, block in zip(list(seg.block_starts), list(blocks), strict=False):
                    yield from block.all(seg.start + first)
                i = seg.start + seg.count
            s += 1

    # -- lookup ------------------------------------------------------------------------------
    def step(self, name: str, epoch: int = 1, batch: int = 1) -> Step:
        """The step ``name`` at ``epoch``/``batch``; epoch-level steps (``loss``) accept any batch.

        A display name or an element (``w7``, ``dE/dh1``, ``Z2[0,1]``) gives the step holding
        it (W2, delta2, Z2); ``value()`` gives the element itself.
        """
        target = name
        for attempt in range(2):
            for e, b in ((epoch, batch), (epoch, 0), (0, 0)):
                found = self.find(target, e, b)
                if found is not None:
                    return found
            ref = self.resolve(name) if attempt == 0 else None  # only when the plain name fails
            if ref is None or ref.name == name:
                break
            target = ref.name
        raise KeyError(f"no step '{name}' at epoch {epoch}, batch {batch}")

    def find(self, name: str, epoch: int, batch: int) -> Step | None:
        """The step ``name`` at exactly ``epoch``/``batch``, or None (no fallbacks, no raise)."""
        key = (name, epoch, batch)
        own = self._epoch_segment(epoch, batch) if epoch > 0 else None
        for seg in [own] if own is not None else list(self._loose):
            blocks = self._materialize(seg)
            i = seg.position(blocks, key)
            if i is not None:
                return seg.get(blocks, i)
        return None

    def _epoch_segment(self, epoch: int, batch: int) -> Segment | None:
        """The segment of ``epoch`` holding ``batch`` (batch 0, the epoch's own steps: its last)."""
        segs = self._by_epoch.get(epoch)
        if not segs:
            return None
        firsts = self._first_batches[epoch]
        i = len(segs) - 1 if batch <= 0 else bisect_right(firsts, batch) - 1
        return segs[min(max(i, 0), len(segs) - 1)]

    def epoch_series(self, name: str) -> Mapping[int, float]:
        """An epoch-level value (``loss``, ``validation_score``) by epoch, without touching steps
        (a read-only view that grows with the run)."""
        return MappingProxyType(self._series.get(name, {}))

    def parameters_at(self, index: int) -> dict[str, np.ndarray]:
        """The parameter values in effect at step ``index``: each parameter's latest update at or
        before it, else its initial value (the W/b operands of batch 1's forward Linear steps)."""
        wanted = {f"{p}{info.layer}" for info in self.modules if info.kind == "linear" for p in "Wb"}
        params: dict[str, np.ndarray] = {}
        j = min(index, self._len - 1)
        # Every batch updates every parameter, so this walks back at most one batch.
        while j >= 0 and len(params) < len(wanted):
            s = self[j]
            if s.phase == "update" and s.name in wanted and s.name not in params:
                params[s.name] = s.value
            j -= 1
        for info in self.modules:
            if info.kind != "linear":
                continue
            first = self.find(step_names.z(info.index), 1, 1)
            for name in step_names.params(info.layer):
                if name not in params and first is not None:
                    params[name] = first.inputs[name]
        return {name: params[name] for name in sorted(params, key=step_names.param_order) if name in wanted}

    def step_names(self) -> list[str]:
        """Every distinct step name, in order of first appearance (from the first epoch, which
        has every per-batch and per-epoch name, and the steps after training)."""
        seen: dict[str, None] = {}
        first = self._by_epoch.get(1, [])
        # The first segment has every per-batch name, the last the per-epoch ones.
        for seg in list(dict.fromkeys(first[:1] + first[-1:])) + list(self._loose):
            for rel in range(seg.count):
                seen.setdefault(seg.get(self._materialize(seg), rel).name, None)
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


def check_epochs(scenario: Scenario, epochs: int) -> None:
    """Refuse a run of ``epochs`` whose trace would not fit in memory. The loader checked the
    file's own epochs; an override (``--epochs``) is checked here, before a run that would fill
    memory (by the runner, and by the CLI before the screen opens)."""
    if epochs == scenario.training.epochs:
        return
    need = estimate_bytes(scenario, epochs)
    if need > MAX_TRACE_BYTES:
        raise BpstepError(
            f"{scenario.source}: {epochs:,} epochs would need a trace of about "
            f"{need / 1024**3:.1f} GiB (at most {MAX_TRACE_BYTES / 1024**3:.0f} GiB): fewer epochs"
        )


def resolve_name(text: str, names: dict[str, str]) -> Ref | None:
    """Resolve display names and their ``dE/d`` forms; plain references pass through."""
    text = text.strip()
    if text in names:
        return parse_ref(names[text])
    shown = text.removeprefix(step_names.GRAD_PREFIX)
    if shown != text and shown in names:
        base = parse_ref(names[shown])
        if base is None:
            return None
        return Ref(step_names.gradient_of(base.name), base.index)  # dE/dh1 → delta2, dE/dw7 → dE/dW2
    return parse_ref(text)


def display_names(names: dict[str, str]) -> dict[tuple[str, tuple[int, ...]], str]:
    """(step name, index) → display name, including the ``dE/d`` forms of deltas and gradients."""
    out: dict[tuple[str, tuple[int, ...]], str] = {}
    for display, target in names.items():
        ref = parse_ref(target)
        if ref is None:
            continue
        out[(ref.name, ref.index)] = display
        grad = resolve_name(step_names.grad(display), names)
        if grad is not None and grad.name != ref.name:
            out.setdefault((grad.name, grad.index), step_names.grad(display))
    return out
