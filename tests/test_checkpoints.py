"""Long runs keep a checkpoint per epoch and recompute dropped epochs on demand: a trace that
holds only a few epochs must give exactly the steps of a trace that holds them all."""

from __future__ import annotations

import random

import numpy as np
import pytest

import bpstep
from bpstep.engine.network import Runner, estimate_bytes
from bpstep.scenario import load_dict
from bpstep.tracing import Step, Trace

DIVERGES = """
name = "Diverges"
[network]
inputs = 1
layers = [{ units = 1 }]
loss = "half_sse"
[parameters]
W1 = [[1.0]]
b1 = [0.0]
[data]
inputs = [[10.0], [9.0]]
targets = [[0.0], [0.0]]
[training]
learning_rate = 5.0
epochs = 400
batch_size = 1
"""


def traced(scenario: bpstep.Scenario, budget: int, epochs: int | None = None) -> Trace:
    runner = Runner(scenario, epochs)
    runner.trace.max_resident_steps = budget
    return runner.run()


def same_step(a: Step, b: Step) -> None:
    assert (a.index, a.epoch, a.batch, a.phase, a.name, a.op, a.note) == (
        b.index, b.epoch, b.batch, b.phase, b.name, b.op, b.note)
    assert a.value.tobytes() == b.value.tobytes() and a.value.shape == b.value.shape
    assert a.inputs.keys() == b.inputs.keys()
    for k in a.inputs:
        assert a.inputs[k].tobytes() == b.inputs[k].tobytes(), (a.name, k)


@pytest.mark.parametrize("name,epochs", [("xor", 300), ("housing", None), ("regressor", None)])
def test_small_budget_gives_the_same_steps_in_any_order(name: str, epochs: int | None) -> None:
    scenario = bpstep.load(name)
    full = traced(scenario, budget=10**9, epochs=epochs)
    small = traced(scenario, budget=200, epochs=epochs)
    assert len(small) == len(full) and small.status == full.status and small.message == full.message
    per_epoch = max(len([s for s in full if s.epoch == 1]), 1)
    # Only a few epochs stay in memory ...
    assert small.resident_steps <= 200 + per_epoch
    # ... yet every step comes back exactly, whatever the order of access.
    order = [len(full) - 1, 0, *random.Random(0).sample(range(len(full)), 300),
             *range(len(full) - 1, max(len(full) - 3 * per_epoch, 0), -1)]
    for i in order:
        same_step(small[i], full[i])
        assert small.resident_steps <= 200 + per_epoch
    for a, b in zip(small, full, strict=True):
        same_step(a, b)


def test_lookup_parameters_and_series_after_dropping() -> None:
    scenario = bpstep.load("xor")
    full = traced(scenario, budget=10**9, epochs=200)
    small = traced(scenario, budget=100, epochs=200)
    for epoch in (1, 57, 200):
        for name in ("Z1", "E", "dE/dW1", "W2"):
            same_step(small.step(name, epoch, 1), full.step(name, epoch, 1))
        same_step(small.step("loss", epoch), full.step("loss", epoch))
    losses = {s.epoch: float(s.value) for s in full if s.name == "loss"}
    assert dict(small.epoch_series("loss")) == losses
    # Parameters in effect at a step: the latest updates at or before it, computed naively here.
    for i in random.Random(1).sample(range(len(full)), 50):
        expected: dict[str, np.ndarray] = {}
        for s in full[: i + 1]:
            if s.phase == "update":
                expected[s.name] = s.value
        got = small.parameters_at(i)
        for k, v in expected.items():
            assert got[k].tobytes() == v.tobytes()
    assert small.step_names() == full.step_names()


def test_a_dropped_diverged_epoch_comes_back_the_same() -> None:
    scenario = bpstep.loads(DIVERGES)
    full = traced(scenario, budget=10**9)
    small = traced(scenario, budget=20)
    assert full.status == small.status == "diverged"
    assert len(small) == len(full)
    last_epoch = full[len(full) - 1].epoch
    for i in (len(full) - 1, 0, len(full) - 2):
        same_step(small[i], full[i])
    # The diverged epoch is dropped and recomputed: the partial epoch returns, no more, no less.
    for i in range(len(full)):
        small[i]
    assert [s.name for s in small if s.epoch == last_epoch] == [s.name for s in full if s.epoch == last_epoch]


def test_memory_stays_bounded_on_a_long_run() -> None:
    runner = Runner(bpstep.load("xor"), 3000)
    runner.trace.max_resident_steps = 5_000
    trace = runner.run()
    assert len(trace) == 3000 * len([s for s in trace if s.epoch == 1])
    resident = sum(seg.count for seg in trace._segments if seg.blocks is not None)
    assert resident <= 5_000 + 100


def wide(epochs: int) -> dict:
    """784-128-10 on 64 random samples: an MNIST-sized layer (as the wide benchmark)."""
    rng = np.random.default_rng(0)
    return {
        "name": "wide",
        "network": {"inputs": 784, "layers": [{"units": 128, "activation": "relu"}, {"units": 10}]},
        "data": {"inputs": rng.random((64, 784)).tolist(), "targets": rng.random((64, 10)).tolist()},
        "training": {"epochs": epochs, "learning_rate": 0.01},
    }


def test_a_byte_budget_drops_wide_epochs_and_recomputes_them_exactly() -> None:
    scenario = load_dict(wide(12))
    full = Runner(scenario).run()
    runner = Runner(scenario)
    runner.trace.max_resident_bytes = 8 * 1024**2  # a wide epoch holds about 3.5 MB
    small = runner.run()
    per_epoch = full._by_epoch[1][0].nbytes
    assert 2 * 1024**2 < per_epoch < 8 * 1024**2
    assert small.resident_bytes <= 8 * 1024**2 + per_epoch
    assert sum(seg.blocks is not None for seg in small._segments) < 12  # epochs were dropped
    for i in [len(full) - 1, 0, *random.Random(1).sample(range(len(full)), 40)]:
        same_step(small[i], full[i])


def test_long_wide_runs_are_not_refused_for_memory_they_will_not_hold() -> None:
    # Resident epochs are bounded, so 1,000 epochs hold a few dozen epochs' steps plus 1,000
    # checkpoints of the weights (0.8 MB each). Counting every epoch's steps (about 5 GB) refused
    # this run before.
    scenario = load_dict(wide(1000))
    assert 800 * 1024**2 < estimate_bytes(scenario, 1000) < 1024**3
    with pytest.raises(bpstep.ScenarioError, match="GiB"):
        load_dict(wide(10_000))  # the checkpoints alone would not fit


# --- segments inside an epoch (issue 17) ---------------------------------------------------------

def many_batches(**training: object) -> dict:
    """4-6-3 relu/sigmoid on 240 random samples, batch 4: 60 batches an epoch (a validation split
    of 0.2 leaves 48), cut into segments of a few batches when the budget is small."""
    rng = np.random.default_rng(3)
    return {
        "name": "many batches",
        "network": {"inputs": 4, "layers": [{"units": 6, "activation": "relu"},
                                            {"units": 3, "activation": "sigmoid"}], "loss": "mse"},
        "init": {"seed": 2},
        "data": {"inputs": rng.random((240, 4)).tolist(), "targets": rng.random((240, 3)).tolist()},
        "training": {"epochs": 3, "learning_rate": 0.05, "batch_size": 4, **training},
    }


SEGMENTED = {
    "plain": {},
    "shuffle+momentum": {"shuffle": True, "seed": 7, "momentum": 0.9, "nesterov": True, "l2": 0.01},
    "adam": {"optimizer": "adam", "shuffle": True},
    "rmsprop+frozen": {"optimizer": "rmsprop", "frozen": ["b2"]},
    "early stopping": {"epochs": 40, "shuffle": True, "validation_fraction": 0.2, "early_stopping": True,
                       "patience": 2, "learning_rate": 0.5},
}


@pytest.mark.parametrize("case", list(SEGMENTED))
def test_segments_inside_an_epoch_are_recomputed_bit_for_bit(case: str) -> None:
    scenario = load_dict(many_batches(**SEGMENTED[case]))
    full = traced(scenario, budget=10**9)
    small = traced(scenario, budget=300)  # a batch is ~20 steps: segments of 3 batches
    assert len(small) == len(full) and small.status == full.status and small.message == full.message
    if case == "early stopping":
        assert full.status == "stopped" and full.step("best_epoch", 0, 0).value > 0
    segs = small._by_epoch[1]
    assert len(segs) > 10 and len(full._by_epoch[1]) == 1  # the epoch was cut, and only when small
    assert small.resident_steps <= 300 + segs[0].count + 50
    order = [len(full) - 1, 0, *random.Random(2).sample(range(len(full)), 400)]
    for i in order:
        same_step(small[i], full[i])
    for a, b in zip(small, full, strict=True):
        same_step(a, b)
    # Lookups by epoch and batch land in the right segment, dropped or not.
    for epoch in (1, small.epochs_run):
        for batch in (1, 2, 30, small.scenario.batches):
            for name in ("Z0", "E", "dE/dW1", "W2"):
                same_step(small.step(name, epoch, batch), full.step(name, epoch, batch))
        same_step(small.step("loss", epoch), full.step("loss", epoch))
    assert small.step_names() == full.step_names()
    assert dict(small.epoch_series("loss")) == dict(full.epoch_series("loss"))


def test_a_diverging_segment_comes_back_the_same() -> None:
    doc = many_batches(learning_rate=1e6, momentum=0.9)
    doc["network"]["layers"][1]["activation"] = "identity"
    scenario = load_dict(doc)
    full = traced(scenario, budget=10**9)
    small = traced(scenario, budget=200)
    assert full.status == small.status == "diverged" and len(small) == len(full)
    for i in range(len(full) - 1, -1, -1):
        same_step(small[i], full[i])


def test_segment_size_follows_the_budget() -> None:
    from bpstep.shapes import batch_bytes, checkpoint_bytes, module_infos, segment_batches, steps_per_batch

    scenario = load_dict(many_batches())
    assert segment_batches(scenario) == scenario.batches  # small: whole epochs, as before
    per_batch = steps_per_batch(module_infos(scenario.network))
    assert segment_batches(scenario, resident_steps=300) == 300 // (4 * per_batch)
    mnist = load_dict({**wide(1), "training": {"epochs": 1, "batch_size": 32, "learning_rate": 0.01}})
    k = segment_batches(mnist)
    assert 1 <= k <= 2 and batch_bytes(mnist) * k * 4 <= 128 * 1024**2
    assert checkpoint_bytes(mnist) > 8 * 784 * 128
