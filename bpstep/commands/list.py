"""``bpstep list``: the bundled scenarios, one line each."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from bpstep.errors import BpstepError
from bpstep.scenario import bundled_dir, bundled_names, load
from bpstep.scenario.model import Scenario

HELP = "list the bundled scenarios with their descriptions and sizes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def size(scenario: Scenario) -> str:
    """``3-2-2 · 1 sample · 1 epoch``."""
    net = scenario.network
    shape = "-".join(str(u) for u in [net.inputs, *(layer.units for layer in net.layers)])
    n = scenario.data.inputs.shape[0]
    e = scenario.training.epochs
    return f"{shape} · {n} sample{'s' * (n != 1)} · {e} epoch{'s' * (e != 1)}"


def run(args: argparse.Namespace) -> int:
    table = Table(title=f"Bundled scenarios ({bundled_dir()})", title_justify="left")
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("size", no_wrap=True)
    table.add_column("description")
    for name in bundled_names():
        try:
            scenario = load(name)
        except BpstepError as exc:  # a broken bundled file should not hide the others
            table.add_row(name, "[red]error[/red]", str(exc))
            continue
        table.add_row(name, size(scenario), scenario.description)
    Console().print(table)
    return 0
