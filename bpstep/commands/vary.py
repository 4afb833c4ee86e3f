"""``bpstep vary SCENARIO --seed S [-o FILE]``: a variant with different nice numbers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bpstep.errors import BpstepError
from bpstep.scenario import load
from bpstep.variants import scenario_text, vary_text

HELP = "write a variant of a scenario with different nice numbers (per-student exercises)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a bundled scenario name or a .toml file")
    parser.add_argument("--seed", type=int, required=True,
                        help="the variant's number; an answer file with variant = S is graded against it")
    parser.add_argument("-o", "--output", default=None, help="write to this file (default: stdout)")


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.seed < 10**9:
        raise BpstepError(f"--seed must be a whole number from 0 to 999999999, got {args.seed}")
    scenario = load(args.scenario)
    text = vary_text(scenario_text(scenario), args.seed, scenario.source)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BpstepError(f"{args.output}: cannot be written ({exc.strerror})") from None
    return 0
