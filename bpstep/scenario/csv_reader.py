"""A scenario's CSV data: a header row of column names, then one row of numbers per sample.

The bytes come from ``bpstep.files`` (or a golden file's embedded copy, as text). A file named
as data may be anything (``/etc/passwd``), so messages never echo it: the column names are listed
only when the first row is a CSV header (two or more printable names, each row as long as it),
and never the content of a cell.

A large file (``FAST_BYTES`` or more) is first read by numpy (``np.loadtxt``: the same numbers as
``float``, which accepts everything it accepts) into arrays; whenever that fails or the file is
not plain (quotes, a non-finite value, a ragged row …), the exact reader below reads it and says
what is wrong, with its line and column. A small file is read the exact way only, without numpy.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from bpstep.errors import ScenarioError, suggest

if TYPE_CHECKING:
    import numpy as np

    from bpstep.scenario.model import Matrix
    from bpstep.scenario.toml_reader import Table

MAX_NAME = 200  # a longer first cell is not a column name
FAST_BYTES = 1024 * 1024  # from this size on, numpy reads the file first


def _is_header(header: list[str]) -> bool:
    return len(header) >= 2 and all(h and len(h) <= MAX_NAME and h.isprintable() for h in header)


def read_csv(data: str | bytes, name: str, inputs: tuple[str, ...], targets: tuple[str, ...],
             t: Table, decode: Callable[[bytes], str] | None = None) -> tuple[Matrix, Matrix]:
    """(inputs, targets), the columns picked by name from ``data``: rows of floats, or read-only
    float64 arrays for a large file read by numpy. ``decode`` turns bytes into text (with the
    caller's message for a file that is not UTF-8)."""
    where = t.key_path("csv")
    if len(data) >= FAST_BYTES:
        fast = _read_fast(data, inputs + targets)
        if fast is not None:  # contiguous copies: the whole table is let go
            return _readonly(fast[:, : len(inputs)]), _readonly(fast[:, len(inputs) :])
    if isinstance(data, bytes):
        text = decode(data) if decode is not None else data.decode("utf-8-sig")
    else:
        text = data

    def fail(message: str) -> ScenarioError:
        return ScenarioError(t.source, where, f"{name}: {message}")

    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if row:  # a blank line is no sample
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        detail = str(exc)
        if "field larger than field limit" in detail:
            detail = f"a cell is longer than {csv.field_size_limit():,} characters"
        elif "NUL" in detail or "\0" in detail:
            detail = "it holds a NUL byte"
        else:
            detail = "it is not a CSV file"
        raise fail(f"line {reader.line_num}: {detail}") from None
    if not rows:
        raise fail("is empty; expected a header row of column names, then one row per sample")
    header = [h.strip() for h in rows[0][1]]
    if not _is_header(header) or any(len(r) != len(header) for _, r in rows[1:]):
        shape = next(((n, r) for n, r in rows[1:] if len(r) != len(header)), None)
        if _is_header(header) and shape is not None:
            n, r = shape
            more = "more" if len(r) > len(header) else "fewer"
            raise fail(f"line {n} has {len(r)} cells, {more} than the header's {len(header)} columns "
                       "(a thousands separator? write 1000, not 1,000)")
        raise fail("is not a CSV table: expected a header row of two or more column names, then "
                   "one row of numbers per sample, each with a cell for every column")
    if len(rows) < 2:
        raise fail("needs a header row and at least one sample")
    cols = []
    for key, names in (("input_columns", inputs), ("target_columns", targets)):
        for column in names:
            if column not in header:
                raise t.error(key, f"column '{column}' is not in {name} ({suggest(column, header)})")
            cols.append(header.index(column))
    values = []
    for line, row in rows[1:]:
        try:
            values.append(tuple(float(row[c]) for c in cols))
        except ValueError:
            c = next(c for c in cols if not _is_number(row[c]))
            got = "an empty cell" if not row[c].strip() else "a cell that is not a number"
            raise fail(f"line {line}, column {header[c]}: expected a number, got {got}") from None
    for line_values, (line, _) in zip(values, rows[1:], strict=True):
        if not all(math.isfinite(v) for v in line_values):
            raise fail(f"line {line}: holds a value that is not a finite number")
    n = len(inputs)
    return tuple(row[:n] for row in values), tuple(row[n:] for row in values)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_fast(data: str | bytes, columns: tuple[str, ...]) -> np.ndarray | None:
    """The ``columns`` of a plain CSV file (a header of names, then rows of finite numbers, no
    quotes), read by numpy: a read-only float64 array, samples × columns; None when the file is
    anything else (the exact reader then says what)."""
    import numpy as np

    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b'"' in raw:  # quoted cells: the csv module's rules, not numpy's
        return None
    header = _plain_first_line(raw)
    if header is None or any(c not in header for c in columns):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": checked below
            # Every column, so that numpy checks each row has as many cells as the header.
            arr = np.loadtxt(io.BytesIO(raw), dtype=np.float64, delimiter=",", comments=None,
                             quotechar=None, skiprows=1, ndmin=2, encoding="utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    if arr.shape[0] == 0 or arr.shape[1] != len(header) or not np.isfinite(arr).all():
        return None
    cols = [header.index(c) for c in columns]
    return arr if cols == list(range(len(header))) else np.take(arr, cols, axis=1)


def _readonly(a: np.ndarray) -> np.ndarray:
    """A read-only contiguous copy of ``a`` (a block of columns of the whole table)."""
    import numpy as np

    out = np.array(a, dtype=np.float64, order="C")
    out.setflags(write=False)
    return out


def plain_header(head: bytes, inputs: tuple[str, ...], targets: tuple[str, ...]) -> bool:
    """Whether ``head`` (a file's first bytes) holds a whole first line that is a plain CSV
    header (no quotes) naming every wanted column: the file's numbers may then be read later (the
    exact reading of the whole file says what else is wrong, if anything)."""
    header = _plain_first_line(head)
    return header is not None and all(c in header for c in inputs + targets)


def _plain_first_line(raw: bytes) -> list[str] | None:
    """The column names of ``raw``'s first line when it is whole, unquoted UTF-8 and a header."""
    end = raw.find(b"\n")
    if end <= 0 or b'"' in raw[:end]:
        return None
    try:
        first = raw[:end].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    header = [h.strip() for h in next(csv.reader([first]), [])]
    return header if _is_header(header) else None
