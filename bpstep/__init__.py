"""bpstep: a step-through debugger for backpropagation.

    import bpstep
    scenario = bpstep.load("exercise")
    trace = bpstep.trace(scenario)
    trace["dE/dW2", 1, 1].value
"""

from __future__ import annotations

from bpstep.errors import BpstepError, NumericalError, ScenarioError
from bpstep.scenario import Scenario, load, loads
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
    "NumericalError",
    "Scenario",
    "ScenarioError",
    "Step",
    "Trace",
    "__version__",
    "load",
    "loads",
    "trace",
]
