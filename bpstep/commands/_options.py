"""Options shared by several subcommands, declared and checked in one place."""

from __future__ import annotations

import argparse

from bpstep.errors import BpstepError
from bpstep.format import DEFAULT_PRECISION


def add_epochs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=None, help="override the number of epochs")


def add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-data-outside", action="store_true",
                        help="let the scenario read data files (csv) from outside its own folder")


def add_precision(parser: argparse.ArgumentParser, what: str = "decimals") -> None:
    parser.add_argument("--precision", type=int, default=DEFAULT_PRECISION,
                        help=f"{what} (default {DEFAULT_PRECISION}, the tutorial's precision)")


def check(args: argparse.Namespace) -> None:
    """Reject out-of-range shared options with one clean message (exit 2 via BpstepError)."""
    epochs = getattr(args, "epochs", None)
    if epochs is not None and epochs <= 0:
        raise BpstepError(f"--epochs must be positive, got {epochs}")
    precision = getattr(args, "precision", DEFAULT_PRECISION)
    if not 0 <= precision <= 17:
        raise BpstepError(f"--precision must be between 0 and 17, got {precision}")
