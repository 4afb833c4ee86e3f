"""A scenario's CSV data: a header row of column names, then one row of numbers per sample.

The text comes from ``bpstep.files`` (or a golden file's embedded copy). A file named as data
may be anything (``/etc/passwd``), so messages never echo it: the column names are listed only
when the first row is a CSV header (two or more printable names, each row as long as it), and
never the content of a cell.
"""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING

from bpstep.errors import ScenarioError, suggest

if TYPE_CHECKING:
    from bpstep.scenario.model import Matrix
    from bpstep.scenario.toml_reader import Table

MAX_NAME = 200  # a longer first cell is not a column name


def _is_header(header: list[str]) -> bool:
    return len(header) >= 2 and all(h and len(h) <= MAX_NAME and h.isprintable() for h in header)


def read_csv(text: str, name: str, inputs: tuple[str, ...], targets: tuple[str, ...],
             t: Table) -> tuple[Matrix, Matrix]:
    """(inputs, targets) as rows of floats, the columns picked by name from ``text``."""
    where = t.key_path("csv")

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
