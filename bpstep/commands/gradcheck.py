"""``bpstep gradcheck SCENARIO``: a batch's gradients and deltas against central differences."""

from __future__ import annotations

import argparse
import sys

from bpstep.commands import _options
from bpstep.engine.gradcheck import DEFAULT_EPS, DEFAULT_RTOL, check_gradients
from bpstep.errors import NumericalError
from bpstep.scenario import load

HELP = "check every gradient and delta of a batch against central differences (exit 1 if any disagree)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a bundled scenario name or a .toml file")
    _options.add_data(parser)
    parser.add_argument("--epoch", type=int, default=1, help="the epoch of the batch (default 1)")
    parser.add_argument("--batch", type=int, default=1, help="the batch in that epoch (default 1)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS,
                        help=f"the central-difference step (default {DEFAULT_EPS:g})")
    parser.add_argument("--rtol", type=float, default=DEFAULT_RTOL,
                        help=f"the largest relative error that agrees (default {DEFAULT_RTOL:g})")


def _bad(message: str) -> int:
    print(f"bpstep: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from rich.console import Console  # imported here: `bpstep --help` needs no rich
    from rich.table import Table

    if args.epoch < 1 or args.batch < 1:
        return _bad(f"--epoch and --batch count from 1, got --epoch {args.epoch} --batch {args.batch}")
    if not 0 < args.eps < 1 or not 0 < args.rtol < 1:
        return _bad(f"--eps and --rtol must be between 0 and 1, got --eps {args.eps} --rtol {args.rtol}")
    scenario = load(args.scenario, args.allow_data_outside)
    try:
        report = check_gradients(scenario, args.epoch, args.batch, eps=args.eps, rtol=args.rtol)
    except NumericalError as exc:  # the run diverged before this batch: nothing to check
        print(f"bpstep: {exc}", file=sys.stderr)
        return 1
    table = Table(
        title=f"{report.scenario}: gradient check, epoch {report.epoch}, batch {report.batch} "
        f"(ε = {report.eps:g}, E = {report.E:.6g}; agree when rel ≤ {report.rtol:g})",
        title_justify="left",
    )
    for col in ("quantity", "shape", "max |analytic|", "max abs error", "max rel error", ""):
        table.add_column(col, justify="left" if col in ("quantity", "shape", "") else "right")
    for c in report.checks:
        shape = "×".join(str(s) for s in c.analytic.shape) or "scalar"
        biggest = float(abs(c.analytic).max()) if c.analytic.size else 0.0
        table.add_row(c.name, shape, f"{biggest:.4g}", f"{c.max_abs:.2e}", f"{c.max_rel:.2e}",
                      "[green]ok[/green]" if c.ok else "[bold red]MISMATCH[/bold red]")
    Console().print(table)
    if not report.ok:
        bad = ", ".join(c.name for c in report.checks if not c.ok)
        print(f"bpstep: {report.source}: gradients disagree with central differences: {bad}",
              file=sys.stderr)
        return 1
    return 0
