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

HELP = "write the worked solution (forward, error, chain rule, updates) as Markdown, LaTeX or HTML"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a bundled scenario name or a .toml file")
    parser.add_argument("--format", choices=FORMATS, default="markdown", help="default: markdown")
    parser.add_argument("-o", "--output", default=None, help="write to this file (default: stdout)")
    _options.add_precision(parser, "decimals in the formulas")
    _options.add_epochs(parser)
    _options.add_data(parser)


def run(args: argparse.Namespace) -> int:
    trace = run_scenario(load(args.scenario, args.allow_data_outside), args.epochs)
    text = export(trace, args.format, args.precision)
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
