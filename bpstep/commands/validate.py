"""``bpstep validate FILE``: check a scenario file and report its problems."""

from __future__ import annotations

import argparse
import sys

from bpstep.commands import _options
from bpstep.commands.list import size
from bpstep.engine.network import run as run_scenario
from bpstep.errors import ScenarioError
from bpstep.scenario import load

HELP = "check a scenario file and report every problem (exit 2 if any)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a scenario .toml file or a bundled name")
    _options.add_data(parser)
    parser.add_argument("--run", action="store_true",
                        help="also run the training and report numerical trouble (overflow, NaN)")


def run(args: argparse.Namespace) -> int:
    try:
        scenario = load(args.file, args.allow_data_outside)
    except ScenarioError as exc:  # every problem found, one line each: file, key path, what was expected
        for problem in exc.problems:
            print(f"bpstep: {problem}", file=sys.stderr)
        return 2
    print(f"{scenario.source}: ok: '{scenario.name}' ({size(scenario)})")
    if args.run:
        trace = run_scenario(scenario)
        if trace.status == "diverged":
            print(f"bpstep: {trace.message}", file=sys.stderr)
            return 1
        print(f"{scenario.source}: ran {len(trace)} steps: {trace.status}")
    return 0
