"""bpstep: a step-through debugger for backpropagation.

    import bpstep
    scenario = bpstep.load("exercise")
    trace = bpstep.trace(scenario)
    trace["dE/dW2", 1, 1].value
"""

from __future__ import annotations

from bpstep.errors import BpstepError, NumericalError, ScenarioError
from bpstep.expectations import ExpectationResult, check_expectations
from bpstep.golden import GoldenError, ReplayResult, StepDifference, compare, load_golden, record, replay
from bpstep.scenario import Scenario, load, loads
from bpstep.scenario.model import Expectation
from bpstep.trace import Step, Trace

__version__ = "0.1.0"


def trace(scenario: Scenario | str, epochs: int | None = None) -> Trace:
    """Compute the full trace of a scenario (or of a bundled name or path)."""
    from bpstep.engine.network import run

    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    return run(scenario, epochs)


__all__ = [
    "BpstepError",
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
    "load",
    "load_golden",
    "loads",
    "record",
    "replay",
    "trace",
]
