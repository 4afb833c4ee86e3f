"""``bpstep export SCENARIO --format markdown|latex|html``: the worked solution as a document."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bpstep.commands import _options
from bpstep.engine.network import run as run_scenario
from bpstep.errors import BpstepError
from bpstep.export import FORMATS, export
from bpstep.scenario import load

HELP = "write the worked solution (or --blank the handout, --key the answer key) as Markdown, LaTeX or HTML"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a bundled scenario name or a .toml file")
    parser.add_argument("--format", choices=FORMATS, default="markdown", help="default: markdown")
    parser.add_argument("-o", "--output", default=None, help="write to this file (default: stdout)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--blank", action="store_true",
                       help="the handout: the network and the given values, every asked value a blank")
    which.add_argument("--key", action="store_true",
                       help="the answer key: every asked value, then the working")
    _options.add_precision(parser, "decimals in the formulas")
    _options.add_epochs(parser)
    _options.add_data(parser)


def run(args: argparse.Namespace) -> int:
    trace = run_scenario(load(args.scenario, args.allow_data_outside), args.epochs)
    mode = "blank" if args.blank else "key" if args.key else "solution"
    text = export(trace, args.format, args.precision, mode)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BpstepError(f"{args.output}: cannot be written ({exc.strerror})") from None
    if trace.status == "diverged":
        print(f"bpstep: {trace.message}", file=sys.stderr)
        return 1
    return 0
