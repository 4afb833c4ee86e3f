"""``bpstep trace SCENARIO``: every step as a table, or as JSON at full precision."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from bpstep import ops
from bpstep.commands import _options
from bpstep.engine.network import run as run_scenario
from bpstep.expectations import failed_expectations, failure_message
from bpstep.explain import step_label, value_text
from bpstep.format import MINUS
from bpstep.jsonvalue import to_json_value
from bpstep.scenario import load
from bpstep.tracing import Trace

HELP = "print every step of a scenario's run (a table, or JSON with --json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a bundled scenario name or a .toml file")
    _options.add_epochs(parser)
    _options.add_data(parser)
    parser.add_argument("--json", action="store_true", help="one JSON document, full precision")
    _options.add_precision(parser, "decimals in the table")


def trace_document(trace: Trace) -> dict[str, Any]:
    sc = trace.scenario
    return {
        "scenario": {"name": sc.name, "description": sc.description, "source": sc.source},
        "status": trace.status,
        "message": trace.message,
        "steps": [
            {"index": s.index, "epoch": s.epoch, "batch": s.batch, "phase": s.phase,
             "name": s.name, "value": to_json_value(s.value)}
            for s in trace
        ],
    }


def matrix_text(a: np.ndarray, precision: int, max_rows: int = 12, max_cols: int = 8,
                integer: bool = False) -> str:
    """The value as rows of right-aligned cells, every column as wide as its widest shown cell
    (scientific notation for huge values, whole numbers for counts)."""
    if a.ndim == 0:
        return value_text(float(a), precision, integer).replace(MINUS, "-")
    rows = a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(1, -1)
    shown = [[value_text(v, precision, integer).replace(MINUS, "-") for v in r[:max_cols]]
             for r in rows[:max_rows]]
    widths = [max(len(row[c]) for row in shown) for c in range(len(shown[0]))] if shown else []
    lines = []
    for r, cells in zip(rows, shown, strict=False):
        line = [cell.rjust(w) for cell, w in zip(cells, widths, strict=True)]
        if r.shape[0] > max_cols:
            line.append(f"… +{r.shape[0] - max_cols}")
        lines.append(" ".join(line))
    if rows.shape[0] > max_rows:
        lines.append(f"… +{rows.shape[0] - max_rows} rows")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console  # imported here: --json and `bpstep --help` need no rich
    from rich.table import Table

    trace = run_scenario(load(args.scenario, args.allow_data_outside), args.epochs)
    if args.json:
        json.dump(trace_document(trace), sys.stdout)
        sys.stdout.write("\n")
    else:
        table = Table(title=f"{trace.scenario.name}: {len(trace)} steps", title_justify="left")
        for col, kw in (("#", {"justify": "right"}), ("epoch", {"justify": "right"}),
                        ("batch", {"justify": "right"}), ("phase", {}), ("step", {}),
                        ("value", {"no_wrap": True})):
            table.add_column(col, **kw)
        for s in trace:
            table.add_row(str(s.index), str(s.epoch or "-"), str(s.batch or "-"), s.phase,
                          step_label(trace, s, limit=3),
                          matrix_text(s.value, args.precision, integer=ops.get(s.op).integer))
        Console().print(table)
    failed = failed_expectations(trace)  # the scenario's [expect] table
    if trace.status == "diverged":
        print(f"bpstep: {trace.message}", file=sys.stderr)
    elif trace.message:
        print(trace.message, file=sys.stderr)
    if failed:
        print(failure_message(trace, failed), file=sys.stderr)
    return 1 if failed or trace.status == "diverged" else 0
