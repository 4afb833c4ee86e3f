"""The Textual debugger: ``BpstepApp(trace, compute=None)``."""

from bpstep.tui.app import BpstepApp

__all__ = ["BpstepApp"]
