"""The numpy engine: layers, losses, optimizers and the runner that records a Trace.

Never imports textual or rich.
"""

from bpstep.engine.activations import ACTIVATIONS
from bpstep.engine.init import INITIALIZERS
from bpstep.engine.losses import LOSSES
from bpstep.engine.network import Runner, build_modules, param_shapes, run
from bpstep.engine.optimizers import OPTIMIZERS

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "OPTIMIZERS",
    "Runner",
    "build_modules",
    "param_shapes",
    "run",
]
