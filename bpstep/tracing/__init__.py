"""Steps and traces: what a run computed, in order. Never imports textual or rich."""

from bpstep.tracing.refs import Ref, parse_ref
from bpstep.tracing.step import PHASES, Step
from bpstep.tracing.trace import ModuleInfo, Trace, display_names, resolve_name

__all__ = [
    "PHASES",
    "ModuleInfo",
    "Ref",
    "Step",
    "Trace",
    "display_names",
    "parse_ref",
    "resolve_name",
]
