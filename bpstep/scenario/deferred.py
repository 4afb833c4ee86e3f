"""Data files, and data read after the debugger's first frame: for a large CSV file only its
header line (which must name every wanted column) and its size are looked at when the scenario
loads; its bytes are read, its numbers and rows counted, when first used.

``DeferredData.read()`` reads the file and runs the exact reading (numpy's fast path, else the
exact reader with its line and column messages) once, under a lock, in whichever thread first
needs the numbers (the debugger's run), then the checks that need the row count (``checks``: the
memory rule, the test split); a bad file raises the same ``ScenarioError`` there, and again on
every later use. ``DeferredRows`` stands in for ``DataSpec.x`` and ``y``: its width is known at
once; its length, like anything else, reads the file (``pending`` says whether it would).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bpstep import files
from bpstep.errors import ScenarioError

if TYPE_CHECKING:
    from bpstep.scenario.model import Matrix
    from bpstep.scenario.toml_reader import Table


class DeferredData:
    """The inputs and targets of one file, read by ``read_all()`` when first needed."""

    def __init__(self, read_all: Callable[[], tuple[Matrix, Matrix]]) -> None:
        self.rows: int | None = None  # known once read
        # Run once the rows are known, in order (a check may use the rows, not read them again).
        self.checks: list[Callable[[], None]] = []
        self._read_all: Callable[[], tuple[Matrix, Matrix]] | None = read_all
        self._lock = threading.RLock()
        self._value: tuple[Matrix, Matrix] | None = None
        self._error: BaseException | None = None

    def read(self) -> tuple[Matrix, Matrix]:
        with self._lock:
            if self._read_all is not None:
                read_all, self._read_all = self._read_all, None  # the file's bytes are let go
                try:
                    self._value = read_all()
                    self.rows = len(self._value[0])
                    for check in self.checks:
                        check()
                except Exception as exc:
                    self._error = exc
            if self._error is not None:
                raise self._error
            assert self._value is not None
            return self._value

    @property
    def loaded(self) -> bool:
        return self._value is not None and self._error is None


class DeferredRows:
    """``DataSpec.x`` (``which`` 0) or ``y`` (1) of a file not read yet: ``len`` without reading,
    the rows (or ``numpy.asarray``) after."""

    __slots__ = ("data", "which", "width")

    def __init__(self, data: DeferredData, which: int, width: int) -> None:
        self.data, self.which, self.width = data, which, width

    def _rows(self) -> Matrix:
        return self.data.read()[self.which]

    def __len__(self) -> int:
        if self.data.rows is None:
            self.data.read()
        assert self.data.rows is not None
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
        return f"<{self.data.rows or '?'} rows × {self.width} ({state})>"


def one_hot(classes: tuple[str, ...], y: Matrix | DeferredRows | None, outputs: int
            ) -> Matrix | DeferredRows | None:
    """Class numbers (one target column) as one-hot rows when the last layer has a unit per class."""
    if not classes or y is None or width(y) != 1 or outputs != len(classes):
        return y
    if isinstance(y, DeferredRows):  # made one-hot by its read
        return DeferredRows(y.data, 1, len(classes))
    return tuple(tuple(1.0 if c == int(row[0]) else 0.0 for c in range(len(classes))) for row in y)


def pending(rows: object) -> bool:
    """Whether ``rows`` is a deferred file not read yet (its length would read it)."""
    return isinstance(rows, DeferredRows) and rows.data.rows is None


def when_read(rows: object, check: Callable[[], None]) -> bool:
    """Run ``check`` once ``rows`` (a deferred file not read yet) is read, raising from the read;
    False (nothing done) when the rows are known already."""
    if not pending(rows):
        return False
    assert isinstance(rows, DeferredRows)
    rows.data.checks.append(check)
    return True


def deferred_csv(read: Callable[[], tuple[Matrix, Matrix]], inputs: int, targets: int,
                 classes: Callable[[Matrix], tuple[str, ...]] | None, outputs: int
                 ) -> tuple[DeferredRows, DeferredRows]:
    """A file's inputs and targets, ``read()`` when first used; ``classes(y)`` then checks the
    class numbers (raising as the loader would have) and names the classes for ``one_hot``."""

    def read_all() -> tuple[Matrix, Matrix]:
        x, y = read()
        if classes is not None:
            y = one_hot(classes(y), y, outputs)  # type: ignore[assignment]
        return x, y

    shared = DeferredData(read_all)
    return DeferredRows(shared, 0, inputs), DeferredRows(shared, 1, targets)


def width(rows: Matrix | DeferredRows) -> int:
    """Values per sample, without reading a deferred file."""
    return rows.width if isinstance(rows, DeferredRows) else len(rows[0])


def data_file(t: Table, name: str, access: Any, key: str = "csv", expected: str = "a CSV file"
              ) -> tuple[Path, Callable[[], str | bytes], Callable[[bytes], str] | None]:
    """The data file's path (for the record), how to read its text or bytes (at once for an
    embedded copy), and how to decode the bytes: from the embedded copies when there are any, else
    from disk, inside the scenario's folder unless reading outside it is allowed."""
    where = t.key_path(key)
    if "\0" in name:
        raise ScenarioError(t.source, where, "the file name holds a NUL byte")
    # ``access``: the loader's _DataAccess (base_dir, allow_outside, embedded).
    base_dir, allow_outside, embedded = access.base_dir, access.allow_outside, access.embedded
    path = base_dir / name
    if embedded is not None:  # a replay: never from disk
        if name not in embedded:
            raise ScenarioError(t.source, where, f"'{name}' is not embedded in the golden file "
                                                 "(a replay reads no data from disk)")
        text = embedded[name]
        return path, lambda: text, None
    if not allow_outside:
        folder = os.path.realpath(base_dir)
        real = os.path.realpath(path)
        if os.path.commonpath([folder, real]) != folder:
            raise ScenarioError(t.source, where, f"'{name}' is outside the scenario's folder "
                                                 f"({folder}): data files must lie in it or below it "
                                                 "(--allow-data-outside, or allow_data_outside=True "
                                                 "in bpstep.load, reads them anyway)")

    def make(m: str) -> ScenarioError:
        return ScenarioError(t.source, where, f"{name}: {m}")

    # Bytes: a large file goes to numpy undecoded (see csv_reader); the reader decodes the rest.
    return (Path(os.path.abspath(path)), lambda: files.read_bytes(path, "data", make, expected),
            lambda d: files.decode(d, make, expected))


HEAD_BYTES = 64 * 1024  # where a deferred file's header line must end


def head(path: Path, least: int) -> bytes | None:
    """The first bytes of ``path`` when it is a regular file of ``least`` bytes or more, within
    the data files' cap; None otherwise (or on any problem: the file is then read at once, and
    the reading says what is wrong)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not least <= info.st_size <= files.limit_for("data"):
            return None
        return os.read(fd, HEAD_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
