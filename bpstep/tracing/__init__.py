"""Steps and traces: what a run computed, in order. Never imports textual or rich."""

from bpstep.trace.refs import Ref, parse_ref
from bpstep.trace.step import PHASES, Step
from bpstep.trace.trace import ModuleInfo, Trace, display_names, resolve_name

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
