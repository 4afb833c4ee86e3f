"""``bpstep list``: the bundled scenarios, one line each."""

from __future__ import annotations

import argparse

from bpstep.errors import BpstepError
from bpstep.scenario import bundled_dir, bundled_names, load
from bpstep.scenario.model import Scenario

HELP = "list the bundled scenarios with their descriptions and sizes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def size(scenario: Scenario) -> str:
    """``3-2-2 · 1 sample · 1 epoch``; ``+102 test`` for a held-out split, ``≤200 epochs`` when a
    stopping rule (early stopping, patience, perceptron convergence) may end the run sooner."""
    net = scenario.network
    if net is None:  # a computational graph
        return _graph_size(scenario)
    if net.kind == "perceptron":
        shape = f"perceptron {net.inputs}+1"  # the inputs and the bias
    else:
        shape = "-".join(str(u) for u in [net.inputs, *(layer.units for layer in net.layers)])
    n = scenario.data.samples
    samples = f"{n} sample{'s' * (n != 1)}"
    if scenario.data.test_inputs is not None and len(scenario.data.test_inputs):
        samples += f" + {len(scenario.data.test_inputs)} test"
    e = scenario.training.epochs
    at_most = "≤" if net.kind == "perceptron" or scenario.training.patience is not None else ""
    return f"{shape} · {samples} · {at_most}{e} epoch{'s' * (e != 1)}"


def _graph_size(scenario: Scenario) -> str:
    """``graph: 2 nodes · 1 sample`` (and ``· 3 epochs`` when it trains)."""
    assert scenario.graph is not None
    nodes, n = len(scenario.graph.nodes), scenario.data.samples
    text = f"graph: {nodes} node{'s' * (nodes != 1)} · {n} sample{'s' * (n != 1)}"
    if scenario.trains:
        e = scenario.training.epochs
        text += f" · {e} epoch{'s' * (e != 1)}"
    return text


def run(args: argparse.Namespace) -> int:
    from rich.console import Console  # imported here: `bpstep --help` needs no rich
    from rich.table import Table

    table = Table(title=f"Bundled scenarios ({bundled_dir()})", title_justify="left")
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("size", max_width=20)
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
