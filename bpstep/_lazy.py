"""numpy imported on first use, for the debugger's start only.

``bpstep`` opens its first frame before it computes anything (the run starts once the screen is
up), and nothing drawn in that frame needs numpy; importing it first would cost ~50 ms of a
~400 ms start. ``defer_numpy()`` puts a stand-in module in ``sys.modules``: every
``import numpy as np`` binds the stand-in, and the first attribute read from it (``np.dot``)
imports numpy and copies its namespace into the stand-in, so later reads are ordinary module
dictionary lookups, as fast as on numpy itself.

Only the CLI's TUI path calls this, in its own process, before bpstep's modules are imported;
a process that has already imported numpy is left as it is. The app forces the import on the
main thread right after the first frame, before the run starts (``load_numpy``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_LOCK = threading.RLock()


class _Deferred(types.ModuleType):
    """Stands in for a module until one of its attributes is read."""

    def __getattr__(self, name: str) -> Any:  # only for names not (yet) in the stand-in
        with _LOCK:
            real = sys.modules.get(self.__name__)
            if real is self or real is None:
                del sys.modules[self.__name__]  # so that the import below runs numpy's own
                try:
                    real = importlib.import_module(self.__name__)
                except BaseException:
                    sys.modules.setdefault(self.__name__, self)
                    raise
                # The stand-in takes numpy's namespace: ``np.x`` is then a dictionary hit.
                self.__dict__.update(real.__dict__)
        return getattr(real, name)


def defer_numpy() -> None:
    """Install the stand-in for numpy, unless numpy is imported already (or not installed)."""
    if "numpy" in sys.modules:
        return
    spec = importlib.util.find_spec("numpy")
    if spec is None:
        return
    stand_in = _Deferred("numpy")
    # ``import numpy`` reads only __spec__ from a module already in sys.modules (to see whether
    # it is still initializing); __path__ is left out on purpose, so importing a submodule
    # (numpy.linalg) first imports numpy itself.
    stand_in.__spec__ = spec
    sys.modules["numpy"] = stand_in


def load_numpy() -> None:
    """Import numpy now if it was deferred (call it on the main thread, before worker threads
    use numpy)."""
    module = sys.modules.get("numpy")
    if isinstance(module, _Deferred):
        module.ndarray  # noqa: B018 - the read is the import
