"""The Textual debugger: ``BpstepApp(trace, compute=None, epochs=None)``."""

from bpstep.tui.app import BpstepApp

__all__ = ["BpstepApp"]
