"""Data read after the debugger's first frame: a large plain CSV's shape is checked when the
scenario loads (its header, its columns, its row count: cheap), its numbers when first used.

``DeferredData.read()`` runs the exact reading (numpy's fast path, else the exact reader with its
line and column messages) once, under a lock, in whichever thread first needs the numbers (the
debugger's run); a bad file raises the same ``ScenarioError`` there, and again on every later use.
``DeferredRows`` stands in for ``DataSpec.x`` and ``y``: its length is known at once, anything
else reads the file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bpstep.scenario.model import Matrix


class DeferredData:
    """The inputs and targets of one file, read by ``read_all()`` when first needed."""

    def __init__(self, rows: int, read_all: Callable[[], tuple[Matrix, Matrix]]) -> None:
        self.rows = rows
        self._read_all: Callable[[], tuple[Matrix, Matrix]] | None = read_all
        self._lock = threading.Lock()
        self._value: tuple[Matrix, Matrix] | None = None
        self._error: BaseException | None = None

    def read(self) -> tuple[Matrix, Matrix]:
        with self._lock:
            if self._value is None and self._error is None:
                assert self._read_all is not None
                try:
                    self._value = self._read_all()
                except Exception as exc:
                    self._error = exc
                self._read_all = None  # the file's bytes are let go
            if self._error is not None:
                raise self._error
            assert self._value is not None
            return self._value

    @property
    def loaded(self) -> bool:
        return self._value is not None


class DeferredRows:
    """``DataSpec.x`` (``which`` 0) or ``y`` (1) of a file not read yet: ``len`` without reading,
    the rows (or ``numpy.asarray``) after."""

    __slots__ = ("data", "which", "width")

    def __init__(self, data: DeferredData, which: int, width: int) -> None:
        self.data, self.which, self.width = data, which, width

    def _rows(self) -> Matrix:
        return self.data.read()[self.which]

    def __len__(self) -> int:
        return self.data.rows

    def __getitem__(self, i: Any) -> Any:
        return self._rows()[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows())

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        import numpy as np

        return np.asarray(self._rows(), dtype=dtype)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DeferredRows):
            other = other._rows()
        import numpy as np

        return bool(np.array_equal(np.asarray(self), np.asarray(other)))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = "read" if self.data.loaded else "not read yet"
        return f"<{self.data.rows} rows × {self.width} ({state})>"


def one_hot(classes: tuple[str, ...], y: Matrix | DeferredRows | None, outputs: int
            ) -> Matrix | DeferredRows | None:
    """Class numbers (one target column) as one-hot rows when the last layer has a unit per class."""
    if not classes or y is None or width(y) != 1 or outputs != len(classes):
        return y
    if isinstance(y, DeferredRows):  # made one-hot by its read
        return DeferredRows(y.data, 1, len(classes))
    return tuple(tuple(1.0 if c == int(row[0]) else 0.0 for c in range(len(classes))) for row in y)


def deferred_csv(read: Callable[[], tuple[Matrix, Matrix]], rows: int, inputs: int, targets: int,
                 classes: Callable[[Matrix], tuple[str, ...]] | None, outputs: int,
                 error: Callable[[str], Exception]) -> tuple[DeferredRows, DeferredRows]:
    """A file's inputs and targets, ``read()`` when first used; ``classes(y)`` then checks the
    class numbers (raising as the loader would have) and names the classes for ``one_hot``."""

    def read_all() -> tuple[Matrix, Matrix]:
        x, y = read()
        if len(x) != rows:  # a plain file's lines are its samples: only a file changed under us
            raise error(f"has {len(x):,} samples, not the {rows:,} counted when the scenario was read")
        if classes is not None:
            y = one_hot(classes(y), y, outputs)  # type: ignore[assignment]
        return x, y

    shared = DeferredData(rows, read_all)
    return DeferredRows(shared, 0, inputs), DeferredRows(shared, 1, targets)


def width(rows: Matrix | DeferredRows) -> int:
    """Values per sample, without reading a deferred file."""
    return rows.width if isinstance(rows, DeferredRows) else len(rows[0])
