"""The part every runner shares: recording steps into a Trace and stopping at numerical trouble."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from bpstep.errors import NumericalError
from bpstep.tracing.step import Step, where
from bpstep.tracing.store import BatchTemplate, Segment
from bpstep.tracing.trace import ModuleInfo, Trace, check_epochs

if TYPE_CHECKING:
    from bpstep.scenario.model import Scenario

_NO_INPUTS: Mapping[str, np.ndarray] = MappingProxyType({})


# One BLAS thread: a run multiplies small matrices (a batch of 32 by 784 × 128 at most, in the
# benchmarks), where a second thread gains little on an idle machine and, on a busy one, makes
# every product wait for a thread that is not scheduled (README, Performance: measured).
BLAS_THREADS = 1
_controller: list[object] = []  # threadpoolctl's controller, made once (it inspects the libraries)


def blas_threads(limit: int | None = BLAS_THREADS) -> contextlib.AbstractContextManager[object]:
    """Limit numpy's BLAS to ``limit`` threads for a run, restoring the process's setting after
    (threadpoolctl's context manager); nothing when threadpoolctl is missing or ``limit`` is None."""
    if limit is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - a dependency; a run without it is only slower
        return contextlib.nullcontext()
    if not _controller:
        _controller.append(ThreadpoolController())
    return _controller[0].limit(limits=limit, user_api="blas")  # type: ignore[attr-defined]


class Recorder:
    """Base of the runners: ``run()`` fills ``self.trace`` by calling ``_run``, which records each
    step with ``_emit``; a non-finite value ends the run with status "diverged". ``trace``, when
    given, is the empty trace to fill (``Trace.for_run``: made before the engine was imported)."""

    def __init__(self, scenario: Scenario, epochs: int | None, modules: Sequence[ModuleInfo] = (),
                 trace: Trace | None = None) -> None:
        self.scenario = scenario
        self.epochs = scenario.training.epochs if epochs is None else epochs
        check_epochs(scenario, self.epochs)
        self.trace = Trace(scenario, modules) if trace is None else trace
        self._sink: Segment | None = None  # set while replaying one epoch
        self._fp_error = False  # set by numpy when an operation overflows or makes a NaN

    def run(self, on_epoch: Callable[[int], None] | None = None) -> Trace:
        """Fill the trace; a diverging run ends with status "diverged" and its message.
        ``on_epoch(epoch)`` is called after each epoch's steps are in the trace (the TUI reports
        progress with it; an exception it raises ends the run and propagates)."""
        try:
            with self._numerics(), blas_threads():
                self._run(on_epoch)
        except NumericalError as exc:
            self.trace.finish("diverged", str(exc))
        return self.trace

    def _numerics(self) -> np.errstate:
        """Overflow, invalid results and division by zero call ``_on_fp_error`` instead of warning:
        a flag costs nothing while all is well, and tells ``_record_batch`` when to look."""
        return np.errstate(over="call", invalid="call", divide="call", under="ignore",
                           call=self._on_fp_error)

    def _on_fp_error(self, kind: str, flag: int) -> None:
        self._fp_error = True

    def _run(self, on_epoch: Callable[[int], None] | None) -> None:
        raise NotImplementedError

    def _emit(
        self,
        epoch: int,
        batch: int,
        phase: str,
        name: str,
        value: np.ndarray | float,
        op: str = "",
        inputs: Mapping[str, np.ndarray | float] = _NO_INPUTS,
        layer: int = 0,
        module: int = 0,
        note: str = "",
    ) -> Step:
        # A runner's values are fresh and never written again: freeze each in place once, so every
        # later step that reads it shares it instead of making its own read-only view.
        if type(value) is np.ndarray and value.flags.writeable:
            value.flags.writeable = False
        sink = self._sink
        index = len(self.trace) if sink is None else sink.start + sink.count
        step = Step(index, epoch, batch, phase, name, value, op, inputs, layer, module, note)  # type: ignore[arg-type]
        if sink is not None:  # recomputing an epoch that the trace dropped
            sink.append(step)
        else:
            self.trace.append(step)
        v = step.value
        # One float conversion or one reduction per step: inf or nan anywhere makes the sum
        # non-finite (a sum overflowing from finite values is told apart by the full test).
        total = float(v) if v.ndim == 0 else float(np.add.reduce(v, axis=None))
        if not math.isfinite(total) and (v.ndim == 0 or not np.all(np.isfinite(v))):
            raise NumericalError(
                f"{self.scenario.source}: the run diverged: {step.name} is not finite "
                f"(overflow or NaN) at {step.where()}"
            )
        return step

    def _record_batch(self, epoch: int, batch: int, template: BatchTemplate,
                      record: Mapping[str, np.ndarray], size_key: object = None) -> None:
        """Record a whole batch (``size_key``: see ``Segment.append_batch``). When numpy flagged
        trouble (or E is not finite), find the first non-finite step: the batch is recorded up to
        it and the run stops there."""
        count = len(template.specs)
        bad = None
        if self._fp_error or not math.isfinite(float(record["E"])):
            self._fp_error = False
            for i, spec in enumerate(template.specs):
                if not np.all(np.isfinite(record[spec.value])):
                    bad, count = spec, i + 1
                    break
        if self._sink is not None:
            self._sink.append_batch(epoch, batch, template, record, count, size_key)
        else:
            self.trace.append_batch(epoch, batch, template, record, count, size_key)
        if bad is not None:
            raise NumericalError(
                f"{self.scenario.source}: the run diverged: {bad.name} is not finite "
                f"(overflow or NaN) at {where(epoch, batch)}"
            )
