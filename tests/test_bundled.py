"""Every bundled scenario loads, traces to its end and explains each step; ``bpstep list`` and the
README show them all."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import bpstep
from bpstep.cli import main
from bpstep.explain import explain
from bpstep.scenario import bundled_dir, bundled_names

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = bundled_names()
EXPECTED = {"exercise", "housing", "perceptron-and", "perceptron-or", "perceptron-xor", "regressor",
            "xor", "xor-noisy", "digits", "spiral", "circuit", "fan-out", "sigmoid-neuron",
            "sigmoid-neuron-gates", "regressor-graph"}


def test_the_library_is_complete() -> None:
    assert EXPECTED <= set(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_loads_and_traces(name: str) -> None:
    scenario = bpstep.load(name)
    assert scenario.name and scenario.description
    # One line in `bpstep list` that tells a student what to look at.
    assert "\n" not in scenario.description and len(scenario.description) <= 200
    trace = bpstep.trace(scenario)
    assert trace.finished and trace.status in ("complete", "stopped")
    assert len(trace) > 0 and trace.epochs_run >= 1
    assert [s.index for s in trace] == list(range(len(trace)))
    assert all(s.finite for s in trace)
    losses = [s for s in trace if s.phase == "epoch" and s.name == "loss"]
    assert [s.epoch for s in losses] == list(range(1, trace.epochs_run + 1))
    # Every kind of step explains itself: a rule, and elements with numbers where it has some.
    firsts = {}
    for s in trace:
        firsts.setdefault(s.op, s)
    for s in [*firsts.values(), trace[-1]]:
        ex = explain(trace, s)
        assert ex.rule and ex.rule != s.op, (name, s.name)
        for element in ex.elements:
            assert element.text()
    # Display names name real values.
    for display in scenario.names:
        assert np.all(np.isfinite(trace.value(display, 1, 1)))


def test_housing_csv_ships_beside_its_scenario() -> None:
    scenario = bpstep.load("housing")
    assert scenario.data.csv == (bundled_dir() / "housing.csv").resolve()
    assert scenario.data.inputs.shape[0] + scenario.data.test_inputs.shape[0] == 506  # type: ignore[union-attr]


def test_list_shows_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in BUNDLED:
        assert f" {name} " in out
    assert "error" not in out


def test_readme_describes_every_scenario() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Bundled scenarios"):]
    section = section[: section.index("\n## ", 1)]
    for name in BUNDLED:
        assert f"`{name}`" in section, name


@pytest.mark.parametrize("name,training", [
    ("housing", None), ("xor", None), ("exercise", None),
    ("housing", {"batch_size": 37, "validation_fraction": 0.25, "early_stopping": False}),
    ("xor", {"batch_size": 3}), ("xor", {"batch_size": 99}),
])
def test_scenario_batch_counts_match_the_run(name: str, training: dict | None) -> None:
    """Scenario.batch_size and .batches (derived without running, for checks and the TUI) are
    what the runner does: the rows of batch 1's Z0 and the batches of epoch 1."""
    scenario = bpstep.load(name)
    if training:
        scenario = dataclasses.replace(scenario, training=dataclasses.replace(scenario.training, **training))
    trace = bpstep.trace(scenario, epochs=1)
    z0 = [s for s in trace if s.name == "Z0" and s.epoch == 1]
    assert scenario.batches == len(z0)
    assert scenario.batch_size == z0[0].value.shape[0]
