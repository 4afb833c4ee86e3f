"""The part every runner shares: recording steps into a Trace and stopping at numerical trouble."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bpstep.errors import BpstepError, NumericalError
from bpstep.scenario.model import Scenario
from bpstep.trace.step import Step
from bpstep.trace.trace import ModuleInfo, Trace


class Recorder:
    """Base of the runners: ``run()`` fills ``self.trace`` by calling ``_run``, which records each
    step with ``_emit``; a non-finite value ends the run with status "diverged"."""

    def __init__(self, scenario: Scenario, epochs: int | None, modules: Sequence[ModuleInfo] = ()) -> None:
        self.scenario = scenario
        self.epochs = scenario.training.epochs if epochs is None else epochs
        if self.epochs != scenario.training.epochs:
            # The loader refused the file's epochs if too large; an override is checked here,
            # before a run that would fill memory. (Imported here: the loader imports the engine.)
            from bpstep.engine.network import estimate_bytes
            from bpstep.scenario.loader import MAX_TRACE_BYTES

            need = estimate_bytes(scenario, self.epochs)
            if need > MAX_TRACE_BYTES:
                raise BpstepError(
                    f"{scenario.source}: {self.epochs:,} epochs would need a trace of about "
                    f"{need / 1024**3:.1f} GiB (at most {MAX_TRACE_BYTES / 1024**3:.0f} GiB): fewer epochs"
                )
        self.trace = Trace(scenario, modules)
        self._sink: list[Step] | None = None  # set while replaying one epoch
        self._sink_start = 0

    def run(self, on_epoch: Callable[[int], None] | None = None) -> Trace:
        """Fill the trace; a diverging run ends with status "diverged" and its message."""
        try:
            with np.errstate(all="ignore"):  # non-finite values are detected and reported
                self._run(on_epoch)
        except NumericalError as exc:
            self.trace.finish("diverged", str(exc))
        return self.trace

    def _run(self, on_epoch: Callable[[int], None] | None) -> None:
        raise NotImplementedError

    def _emit(self, **kw: object) -> Step:
        # The runner's arrays are fresh and never written again: freeze them in place once, so
        # every step that reads one shares it instead of making its own read-only view.
        for arr in (kw.get("value"), *kw.get("inputs", {}).values()):  # type: ignore[attr-defined]
            if isinstance(arr, np.ndarray) and arr.flags.writeable:
                arr.flags.writeable = False
        if self._sink is not None:  # recomputing an epoch that the trace dropped
            step = Step(index=self._sink_start + len(self._sink), **kw)  # type: ignore[arg-type]
            self._sink.append(step)
        else:
            step = Step(index=len(self.trace), **kw)  # type: ignore[arg-type]
            self.trace.append(step)
        if not step.finite:
            raise NumericalError(
                f"{self.scenario.source}: the run diverged: {step.name} is not finite "
                f"(overflow or NaN) at {step.where()}"
            )
        return step
