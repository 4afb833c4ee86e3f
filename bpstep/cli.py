"""The ``bpstep`` command line: ``main(argv) -> int``.

Exit codes: 0 ok, 1 wrong answers, mismatches or a diverged run, 2 bad input.
``bpstep [SCENARIO]`` opens the TUI (the worked exercise by default); the subcommands are
registered in ``bpstep.commands.COMMANDS``. Textual is imported only when the TUI opens.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from bpstep import __version__
from bpstep.commands import COMMANDS
from bpstep.errors import BpstepError

DEFAULT_SCENARIO = "exercise"


class _Parser(argparse.ArgumentParser):
    """argparse exits with status 2 on bad usage already; keep its one-line message."""


def build_parser(only: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The subcommands' parser; ``only`` registers just those (each one imports its module)."""
    parser = _Parser(
        prog="bpstep",
        description="Step through backpropagation: every forward value, delta, gradient and "
        "update, with the formula and the numbers that went into it.",
        epilog="Run 'bpstep SCENARIO' (a bundled name or a .toml path) to open the debugger; "
        f"with no argument it opens '{DEFAULT_SCENARIO}'.",
    )
    parser.add_argument("--version", action="version", version=f"bpstep {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is not None and name not in only:
            continue
        module = importlib.import_module(f"bpstep.commands.{name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(handler=module.run)
    return parser


def _open_parser() -> argparse.ArgumentParser:
    from bpstep.commands import _options

    parser = _Parser(prog="bpstep", description="Open the step-through debugger on a scenario.")
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                        help=f"a bundled scenario name or a .toml file (default: {DEFAULT_SCENARIO})")
    _options.add_epochs(parser)
    _options.add_data(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version")):
            # Import only the command being run (--help lists them all; --version needs none).
            only = None if argv[0] in ("-h", "--help") else [argv[0]] if argv[0] in COMMANDS else []
            args = build_parser(only).parse_args(argv)
            _check(args)
            return int(args.handler(args))
        args = _open_parser().parse_args(argv)
        _check(args)
        return _open(args)
    except BpstepError as exc:
        print(f"bpstep: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse: usage errors (2), --help/--version (0)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `bpstep trace housing | head`
        return 0


def _check(args: argparse.Namespace) -> None:
    from bpstep.commands import _options

    _options.check(args)


def _open(args: argparse.Namespace) -> int:
    from bpstep.scenario import load
    from bpstep.tracing import Trace
    from bpstep.tracing.trace import check_epochs

    # A bad file fails here, before the screen opens; a large plain CSV's numbers are read by the
    # run, after the first frame (a bad cell then ends the app, and is said below, exit code 2).
    scenario = load(args.scenario, args.allow_data_outside, defer_data=True)
    epochs = scenario.training.epochs if args.epochs is None else args.epochs
    trace = Trace.for_run(scenario, epochs)  # so does an --epochs too large to trace
    from bpstep.tui import BpstepApp

    def compute(on_epoch: Callable[[int], None]) -> None:
        # In the app's worker, once the first frame is on screen: the engine, and numpy with it,
        # load only now (see README, "Performance").
        from bpstep.scenario.deferred import DeferredRows

        if isinstance(scenario.data.x, DeferredRows):
            # The file's bytes are read and its numbers and rows counted only now; a bad file, or
            # a run too large for its rows (the loader's memory rule, an --epochs override), ends
            # the app here, the CLI printing the message (exit code 2).
            scenario.data.x.data.read()
            check_epochs(scenario, epochs)
        from bpstep.engine.network import Runner

        Runner(scenario, epochs, trace).run(on_epoch)

    app = BpstepApp(trace, compute=compute, epochs=epochs)
    quiet_collector()
    app.run()
    if app.input_error is not None:
        raise app.input_error
    return int(app.return_code or 0)


# Garbage collection, for the process the CLI owns (the app leaves the collector alone): the
# debugger keeps many long-lived objects (Textual's widgets and styles, the trace's steps), and a
# full collection over them all is a visible stall (50–200 ms). What is loaded before the screen
# opens is frozen out of the collector's reach, and the young generation is collected less often
# (one key press allocates a few thousand objects).
GC_THRESHOLDS = (20_000, 20, 50)


def quiet_collector() -> None:
    """Freeze what is loaded so far and collect the young generation less often (for a process
    about to run the debugger: the CLI, and the benchmarks that stand in for it)."""
    import gc

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
