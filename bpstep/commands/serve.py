"""``bpstep serve [SCENARIO] [--port P]``: the debugger in a web browser (textual-serve), for a
classroom projector or a student without a terminal. Each browser tab gets its own debugger
process; the server binds to 127.0.0.1 unless told otherwise (--host)."""

from __future__ import annotations

import argparse
import shlex
import sys

from bpstep.commands import _options
from bpstep.errors import BpstepError

HELP = "serve the debugger in a web browser (textual-serve), on 127.0.0.1 by default"
DEFAULT_PORT = 8000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default="exercise",
                        help="a bundled scenario name or a .toml file (default: exercise)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 opens it "
                             "to the network)")
    _options.add_epochs(parser)
    _options.add_data(parser)


def command(args: argparse.Namespace) -> str:
    """The command each browser connection runs: this Python's ``bpstep SCENARIO``."""
    argv = [sys.executable, "-m", "bpstep", args.scenario]
    if args.epochs is not None:
        argv += ["--epochs", str(args.epochs)]
    if args.allow_data_outside:
        argv.append("--allow-data-outside")
    return shlex.join(argv)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise BpstepError(f"--port must be 1…65535, got {args.port}")
    from bpstep.scenario import load

    load(args.scenario, args.allow_data_outside)  # a bad scenario is reported here, not in the page
    try:
        from textual_serve.server import Server
    except ImportError:
        raise BpstepError("bpstep serve needs textual-serve: pip install textual-serve") from None
    print(f"bpstep: serving {args.scenario} on http://{args.host}:{args.port} (Ctrl+C stops)", flush=True)
    Server(command(args), host=args.host, port=args.port, title=f"bpstep {args.scenario}").serve()
    return 0
