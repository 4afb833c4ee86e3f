"""The error types bpstep raises on purpose. The CLI turns each into one line on stderr."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class BpstepError(Exception):
    """Base class: a problem the user can fix, reported without a traceback (exit code 2)."""


class ScenarioError(BpstepError):
    """A scenario file that cannot be used.

    ``source`` is the file (or ``<string>``), ``key`` the dotted key path (``network.layers[1].units``)
    and ``message`` says what was expected.
    """

    def __init__(
        self, source: str, key: str, message: str, problems: Sequence[ScenarioError] = ()
    ) -> None:
        # Names and values from the file may hold newlines or other controls: escaped, so that
        # every message stays one line.
        source, key, message = one_line(source), one_line(key), one_line(message)
        self.source = source
        self.key = key
        self.message = message
        # Every problem found (``bpstep validate`` prints them all); this one is the first.
        self.problems: tuple[ScenarioError, ...] = tuple(problems) or (self,)
        where = f"{source}: {key}: " if key else f"{source}: "
        more = len(self.problems) - 1
        tail = f" (and {more} more problem{'s' * (more != 1)}: 'bpstep validate' lists them)" if more else ""
        super().__init__(where + message + tail)

    @classmethod
    def collected(cls, problems: Sequence[ScenarioError]) -> ScenarioError:
        """One error standing for ``problems`` (in order, repeats dropped): the first's message."""
        unique: dict[tuple[str, str, str], ScenarioError] = {}
        for p in problems:
            unique.setdefault((p.source, p.key, p.message), p)
        first = next(iter(unique.values()))
        return cls(first.source, first.key, first.message, list(unique.values()))


class UnknownKeyError(ScenarioError):
    """A key nothing reads. Reported, but it does not keep the keys beside it from being used."""


class NumericalError(BpstepError):
    """A run that produced a non-finite value (overflow or NaN)."""


def one_line(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\n`` → ``\\n``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def name_list(valid: Sequence[str], near: str = "", limit: int = 12) -> str:
    """``valid`` joined by commas; beyond ``limit`` names, only those nearest to ``near`` (or the
    first ones) and a count: ``a, b, c, … (4,000 in all)``. Each name is cut to 40 characters."""
    def cut(name: str) -> str:
        return name if len(name) <= 40 else name[:39] + "…"

    if len(valid) <= limit:
        return ", ".join(map(cut, valid))
    shown = difflib.get_close_matches(near, valid, n=limit // 2, cutoff=0.5) if near else []
    shown += [v for v in valid[: limit - len(shown)] if v not in shown]
    return ", ".join(map(cut, shown)) + f", … ({len(valid):,} in all)"


def suggest(name: str, valid: Iterable[str]) -> str:
    """``"valid: a, b, c"`` plus ``"; did you mean 'b'?"`` when a close name exists (a long list
    is shortened to the nearest names and a count)."""
    valid = sorted(valid)
    text = "valid: " + name_list(valid, name)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    if close:
        text += f"; did you mean '{close[0]}'?"
    return text
