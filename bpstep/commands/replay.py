"""``bpstep replay FILE.json``: recompute a recorded trace and compare it step by step."""

from __future__ import annotations

import argparse

from bpstep.errors import BpstepError

HELP = "recompute a golden trace (from 'bpstep record') and compare every step with it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from bpstep.golden import DEFAULT_ATOL, DEFAULT_LIMIT, DEFAULT_RTOL

    parser.add_argument("file", help="a golden file written by 'bpstep record' (.json or .json.gz)")
    parser.add_argument("--rtol", type=float, default=DEFAULT_RTOL,
                        help=f"relative tolerance (default {DEFAULT_RTOL:g})")
    parser.add_argument("--atol", type=float, default=DEFAULT_ATOL,
                        help=f"absolute tolerance (default {DEFAULT_ATOL:g})")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                        help=f"differing steps to show (default {DEFAULT_LIMIT})")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console  # imported here: `bpstep --help` needs no rich
    from rich.table import Table
    from rich.text import Text

    from bpstep.golden import replay

    for name in ("rtol", "atol"):
        value = getattr(args, name)
        if not value >= 0:  # also rejects NaN
            raise BpstepError(f"--{name} must be zero or positive, got {value}")
    if args.limit <= 0:
        raise BpstepError(f"--limit must be positive, got {args.limit}")
    result = replay(args.file, rtol=args.rtol, atol=args.atol, limit=args.limit)
    console = Console()
    rows = result.rows()
    if rows and not console.is_terminal:
        # Piped or captured output has no width to respect: never elide a value or a step name.
        header = ("#", "step", "epoch", "batch", "recorded", "now")
        widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=True)]
        console.width = max(console.width, sum(widths) + 3 * len(widths) + 1)
    if result.differences:
        table = Table(title="Differing steps", title_justify="left")
        for col, kw in (("#", {"justify": "right"}), ("step", {"no_wrap": True}),
                        ("epoch", {"justify": "right"}), ("batch", {"justify": "right"}),
                        ("recorded", {"no_wrap": True}), ("now", {"no_wrap": True})):
            table.add_column(col, **kw)
        for row in rows:
            table.add_row(*(Text(c) for c in row))  # names hold [i,j]: not markup
        console.print(table)
    for r in result.failed_expectations:
        console.print(Text.assemble(("expectation failed ", "red"), r.describe()), soft_wrap=True)
    for note in result.notes:
        console.print(Text(f"note: {note}"), soft_wrap=True)
    console.print(Text(result.summary(), style="" if result.ok else "bold red"), soft_wrap=True)
    return 0 if result.ok else 1
