"""bpstep: a step-through debugger for backpropagation.

    import bpstep
    scenario = bpstep.load("exercise")
    trace = bpstep.trace(scenario)
    trace["dE/dW2", 1, 1].value
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from bpstep.errors import BpstepError, NumericalError, ScenarioError

if TYPE_CHECKING:
    from bpstep.diagnose import Disagreement, diagnose
    from bpstep.expectations import ExpectationResult, check_expectations
    from bpstep.golden import GoldenError, ReplayResult, StepDifference, compare, load_golden, record, replay
    from bpstep.scenario import Scenario, load, loads
    from bpstep.scenario.model import Expectation
    from bpstep.tracing import Step, Trace

# Imported on first use (PEP 562), so that opening the debugger does not pay for golden files,
# expectations or answer checking.
_LAZY = {
    "ExpectationResult": "bpstep.expectations", "check_expectations": "bpstep.expectations",
    "GoldenError": "bpstep.golden", "ReplayResult": "bpstep.golden", "StepDifference": "bpstep.golden",
    "compare": "bpstep.golden", "load_golden": "bpstep.golden", "record": "bpstep.golden",
    "replay": "bpstep.golden",
    "Scenario": "bpstep.scenario", "load": "bpstep.scenario", "loads": "bpstep.scenario",
    "Expectation": "bpstep.scenario.model",
    "Step": "bpstep.tracing", "Trace": "bpstep.tracing",
    "Disagreement": "bpstep.diagnose", "diagnose": "bpstep.diagnose",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bpstep' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"


def trace(scenario: Scenario | str, epochs: int | None = None) -> Trace:
    """Compute the full trace of a scenario (or of a bundled name or path)."""
    from bpstep.engine.network import run
    from bpstep.scenario import Scenario, load

    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    return run(scenario, epochs)


__all__ = [
    "BpstepError",
    "Disagreement",
    "Expectation",
    "ExpectationResult",
    "GoldenError",
    "NumericalError",
    "ReplayResult",
    "Scenario",
    "ScenarioError",
    "Step",
    "StepDifference",
    "Trace",
    "__version__",
    "check_expectations",
    "compare",
    "diagnose",
    "load",
    "load_golden",
    "loads",
    "record",
    "replay",
    "trace",
]
