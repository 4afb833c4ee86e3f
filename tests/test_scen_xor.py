"""The bundled ``xor`` and ``xor-noisy`` scenarios learn XOR, for their own seed and for others.

"Learned" is judged by a forward pass written here (tanh hidden layer, sigmoid output) with the
parameters the run ends with, on the tutorial's four ±1 points.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace

import numpy as np
import pytest

import bpstep
from bpstep.scenario import bundled_dir

# The tutorial's table: [-1,-1] → 0, [-1,1] → 1, [1,1] → 0, [1,-1] → 1.
POINTS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
CLASSES = np.array([0, 1, 0, 1])


def final_parameters(trace: bpstep.Trace) -> dict[str, np.ndarray]:
    epoch = trace.epochs_run
    last = max(s.batch for s in trace if s.epoch == epoch and s.phase == "update")
    return {name: trace.step(name, epoch, last).value for name in ("W1", "b1", "W2", "b2")}


def predict(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    h = np.tanh(x @ params["W1"] + params["b1"])
    return 1.0 / (1.0 + np.exp(-(h @ params["W2"] + params["b2"])))


def with_seed(scenario: bpstep.Scenario, seed: int) -> bpstep.Scenario:
    return replace(scenario, init=replace(scenario.init, seed=seed),
                   training=replace(scenario.training, seed=seed))


def epoch_losses(trace: bpstep.Trace) -> list[float]:
    return [float(s.value) for s in trace if s.phase == "epoch" and s.name == "loss"]


def test_xor_is_the_tutorials_table() -> None:
    data = bpstep.load("xor").data
    np.testing.assert_array_equal(data.inputs, POINTS)
    np.testing.assert_array_equal(data.targets[:, 0], CLASSES)


@pytest.mark.parametrize("seed", [None, 1, 2, 3, 4, 5, 6, 7, 8])
def test_xor_learns(seed: int | None) -> None:
    scenario = bpstep.load("xor")
    if seed is not None:
        scenario = with_seed(scenario, seed)
    trace = bpstep.trace(scenario)
    losses = epoch_losses(trace)
    assert len(losses) == scenario.training.epochs  # the loss of every epoch is in the trace
    assert losses[-1] < (0.05 if seed is None else 0.1)
    out = predict(final_parameters(trace), POINTS)[:, 0]
    np.testing.assert_array_equal(out >= 0.5, CLASSES == 1)


def test_xor_noisy_points_follow_the_documented_recipe() -> None:
    """The comment in xor-noisy.toml says how its points were made; make them again."""
    rng = np.random.default_rng(35101)
    p = rng.uniform(-1, 1, (60, 2))
    p += np.where(p > 0, 0.06, -0.06)
    noisy = p + rng.uniform(-1, 1, (60, 2)) * 0.3
    labels = (noisy[:, 0] * noisy[:, 1] < 0).astype(float)
    doc = tomllib.loads((bundled_dir() / "xor-noisy.toml").read_text(encoding="utf-8"))
    np.testing.assert_array_equal(np.array(doc["data"]["inputs"]), np.round(p, 2))
    np.testing.assert_array_equal(np.array(doc["data"]["targets"])[:, 0], labels)
    flipped = labels != (np.round(p, 2)[:, 0] * np.round(p, 2)[:, 1] < 0)
    assert flipped.sum() == 5  # "5 of the 60 labels disagree with the quadrant"


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_xor_noisy_learns(seed: int | None) -> None:
    scenario = bpstep.load("xor-noisy")
    if seed is not None:
        scenario = with_seed(scenario, seed)
    trace = bpstep.trace(scenario)
    assert len(epoch_losses(trace)) == scenario.training.epochs
    params = final_parameters(trace)
    train = predict(params, scenario.data.inputs)[:, 0] >= 0.5
    assert np.mean(train == (scenario.data.targets[:, 0] == 1)) >= 0.9
    assert float(trace["test_accuracy"].value) >= 0.85
    # Trained on scattered points, it gets the tutorial's four corners right.
    np.testing.assert_array_equal(predict(params, POINTS)[:, 0] >= 0.5, CLASSES == 1)
