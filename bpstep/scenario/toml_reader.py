"""A small typed reader over a parsed TOML table that reports every problem by dotted key path
and rejects keys it was not asked about.

Tables of one document may share a ``problems`` list: then a problem with an optional key is
recorded and its default used, so that reading goes on and every problem is reported at once.
Without the list every problem is raised where it is found.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bpstep.errors import ScenarioError, UnknownKeyError, suggest

if TYPE_CHECKING:
    from bpstep.scenario.model import Matrix, Vector

_MISSING = object()
T = TypeVar("T")

_TYPE_WORDS = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a string",
}


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


class Table:
    """A view of one TOML table at ``path`` (``""`` for the document) in file ``source``."""

    def __init__(
        self, data: dict[str, Any], path: str, source: str, problems: list[ScenarioError] | None = None
    ) -> None:
        self.data = data
        self.path = path
        self.source = source
        self.problems = problems
        self._used: set[str] = set()

    def key_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str) -> ScenarioError:
        return ScenarioError(self.source, self.key_path(key) if key else self.path, message)

    def report(self, error: ScenarioError) -> None:
        """Record ``error`` when collecting problems, else raise it."""
        if self.problems is None:
            raise error
        self.problems.append(error)

    def attempt(self, read: Callable[[], T], fallback: T) -> T:
        """``read()``; when collecting, a problem it raises is recorded and ``fallback`` returned."""
        try:
            return read()
        except ScenarioError as exc:
            self.report(exc)
            return fallback

    def _recover(self, error: ScenarioError, default: Any) -> Any:
        # A bad optional key: record it and go on with the default. A required one has no
        # value to go on with, so it is raised (and recorded by whoever attempts the section).
        if default is _MISSING:
            raise error
        self.report(error)
        return default

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self._used.add(key)
        if key not in self.data:
            if default is _MISSING:
                raise self.error(key, "is missing")
            return default
        return self.data[key]

    def get(self, key: str, kind: type, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if key not in self.data:
            return value
        try:
            return check_type(value, kind, self, key)
        except ScenarioError as exc:
            return self._recover(exc, default)

    def positive(self, key: str, kind: type, default: Any = _MISSING) -> Any:
        value = self.get(key, kind, default)
        if value is not None and not value > 0:
            return self._recover(self.error(key, f"must be positive, got {value}"), default)
        return value

    def fraction(self, key: str, default: float) -> float:
        value = self.get(key, float, default)
        if not 0.0 <= value < 1.0:
            return self._recover(self.error(key, f"must be a fraction in [0, 1), got {value}"), default)
        return value

    def choice(self, key: str, valid: list[str] | dict[str, Any], default: Any = _MISSING) -> str:
        value = self.get(key, str, default)
        if value not in valid:
            return self._recover(self.error(key, f"unknown value '{value}' ({suggest(value, valid)})"),
                                 default)
        return value

    def table(self, key: str, required: bool = False) -> Table:
        value = self.raw(key, _MISSING if required else {})
        if not isinstance(value, dict):
            self._recover(self.error(key, f"must be a table, got {type_name(value)}"),
                          _MISSING if required else {})
            value = {}
        return Table(value, self.key_path(key), self.source, self.problems)

    def finish(self, valid_extra: tuple[str, ...] = ()) -> None:
        """Reject keys nobody asked for, naming the valid ones."""
        for key in self.data:
            if key not in self._used:
                valid = sorted(self._used | set(valid_extra))
                # An empty key ("" = 1) is written as TOML writes it, not as the table's own path.
                self.report(UnknownKeyError(self.source, self.key_path(key or '""'),
                                            f"unknown key ({suggest(key, valid)})"))


def check_type(value: Any, kind: type, table: Table, key: str) -> Any:
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = as_float(value, table.source, table.key_path(key))
        ok = True
    if not ok:
        raise table.error(key, f"must be {_TYPE_WORDS[kind]}, got {type_name(value)} {_short(value)}")
    if kind is float and not math.isfinite(value):
        raise table.error(key, f"must be a finite number, got {value}")
    return value


def to_matrix(value: Any, table: Table, key: str, what: str = "a list of rows of numbers") -> Matrix:
    """A list of equal-length lists of finite numbers, as a tuple of rows of floats."""
    where = table.key_path(key)
    if not isinstance(value, list) or not value:
        raise ScenarioError(table.source, where, f"must be {what}, got {type_name(value)}")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list):
            raise ScenarioError(
                table.source, f"{where}[{i}]", f"must be a list of numbers, got {type_name(row)}"
            )
        if len(row) != len(value[0]):
            raise ScenarioError(
                table.source,
                f"{where}[{i}]",
                f"has {len(row)} values but row 0 has {len(value[0])} (ragged rows)",
            )
        rows.append(_numbers(row, table.source, f"{where}[{i}]"))
    if not rows[0]:
        raise ScenarioError(table.source, where, "must have at least one column")
    return tuple(rows)


def to_vector(value: Any, source: str, where: str) -> Vector:
    if not isinstance(value, list) or not value:
        raise ScenarioError(source, where, f"must be a non-empty list of numbers, got {type_name(value)}")
    return _numbers(value, source, where)


def _numbers(values: list, source: str, where: str) -> tuple[float, ...]:
    # The common case in one pass, without a key path per number (a 64×784 table has 50,000).
    if all(type(x) is float or type(x) is int for x in values):
        try:
            floats = tuple(map(float, values))
        except OverflowError:  # a whole number too large for a float: reported below
            floats = ()
        if floats and all(map(math.isfinite, floats)):
            return floats
    return tuple(_number(x, source, f"{where}[{j}]") for j, x in enumerate(values))


def as_float(x: int | float, source: str, where: str) -> float:
    """``x`` as a finite float; a whole number too large for one (400 digits) is a
    ``ScenarioError`` naming the key, not an OverflowError."""
    try:
        f = float(x)
    except OverflowError:
        raise ScenarioError(source, where, f"must be a finite number, got a whole number of "
                                           f"{len(str(abs(x))):,} digits (too large for a float)") from None
    if not math.isfinite(f):
        raise ScenarioError(source, where, f"must be a finite number, got {x}")
    return f


def _number(x: Any, source: str, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ScenarioError(source, where, f"must be a number, got {type_name(x)} {_short(x)}")
    return as_float(x, source, where)


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:59] + "…"


def number(x: Any, source: str, where: str) -> float:
    return _number(x, source, where)


def decay_rate(t: Table, key: str, default: float, optimizer: str, used_by: tuple[str, ...]) -> float:
    """A decay rate in [0, 1) (Adam's beta1, beta2, RMSProp's rho), given only for its optimizer."""
    if not t.has(key):
        return default
    value = t.get(key, float, default)
    if optimizer not in used_by:
        t.report(t.error(key, f"applies to optimizer = \"{used_by[0]}\" only (optimizer is \"{optimizer}\")"))
    elif not 0.0 <= value < 1.0:
        t.report(t.error(key, f"must be in [0, 1), got {value}"))
    return value


def optimizer_epsilon(t: Table, optimizer: str, default: float) -> float:
    """Adam's or RMSProp's epsilon, a positive number, given only for those optimizers."""
    if not t.has("epsilon"):
        return default
    value = t.get("epsilon", float, default)
    if optimizer == "sgd":
        t.report(t.error("epsilon", "applies to optimizer = \"adam\" or \"rmsprop\" only "
                                    "(optimizer is \"sgd\")"))
    elif not (value > 0 and math.isfinite(value)):
        t.report(t.error("epsilon", f"must be a positive number, got {value}"))
    return value
