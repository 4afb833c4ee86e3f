"""The error types bpstep raises on purpose. The CLI turns each into one line on stderr."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BpstepError(Exception):
    """Base class: a problem the user can fix, reported without a traceback (exit code 2)."""


class ScenarioError(BpstepError):
    """A scenario file that cannot be used.

    ``source`` is the file (or ``<string>``), ``key`` the dotted key path (``network.layers[1].units``)
    and ``message`` says what was expected.
    """

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(where + message)


class NumericalError(BpstepError):
    """A run that produced a non-finite value (overflow or NaN)."""


def suggest(name: str, valid: Iterable[str]) -> str:
    """``"valid: a, b, c"`` plus ``"; did you mean 'b'?"`` when a close name exists."""
    valid = sorted(valid)
    text = "valid: " + ", ".join(valid)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    if close:
        text += f"; did you mean '{close[0]}'?"
    return text
