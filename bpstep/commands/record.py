"""``bpstep record SCENARIO -o FILE.json``: write a golden trace to replay later."""

from __future__ import annotations

import argparse
import sys

from bpstep.commands import _options
from bpstep.expectations import check_expectations

HELP = "record a scenario's trace (every step, full precision) to a golden file for 'bpstep replay'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a bundled scenario name or a .toml file")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the golden file to write: FILE.json, or FILE.json.gz to compress it")
    _options.add_epochs(parser)
    _options.add_data(parser)


def run(args: argparse.Namespace) -> int:
    from bpstep.golden import record

    trace = record(args.scenario, args.output, args.epochs, args.allow_data_outside)
    print(f"{args.output}: recorded {len(trace)} steps of '{trace.scenario.name}' ({trace.status})")
    code = 0
    if trace.status == "diverged":
        print(f"bpstep: {trace.message}", file=sys.stderr)
        code = 1
    failed = [r for r in check_expectations(trace) if not r.passed]
    if failed:
        print(f"bpstep: {trace.scenario.source}: {len(failed)} of {len(trace.scenario.expect)} "
              "expectations failed (the file is written all the same):", file=sys.stderr)
        for r in failed:
            print(f"  {r.describe()}", file=sys.stderr)
        code = 1
    return code
