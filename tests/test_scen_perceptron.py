"""The perceptron model kind and its bundled scenarios, against the tutorial's learning rule
``w ← w + η(y − sign(wᵀx))x`` replayed here in plain Python (bias w0 on x0 = 1, sign(0) = 0)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import bpstep
from bpstep.cli import main
from bpstep.errors import ScenarioError
from bpstep.explain import explain

TRUTH_TABLE = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
LABELS = {  # -1 = false, +1 = true
    "perceptron-and": [-1, -1, -1, 1],
    "perceptron-or": [-1, 1, 1, 1],
    "perceptron-xor": [-1, 1, 1, -1],
}


def sign(z: float) -> float:
    return 1.0 if z > 0 else -1.0 if z < 0 else 0.0


def replay(xs: list[tuple[float, ...]], ys: list[int], eta: float, w: list[float], epochs: int):
    """The rule, sample by sample: a list of (epoch, sample, x, z, ŷ, error, new w) and the first
    epoch without a mistake (0 if none)."""
    rows = []
    for epoch in range(1, epochs + 1):
        mistakes = 0
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            xa = (1.0, *x)
            z = sum(wi * xi for wi, xi in zip(w, xa, strict=True))
            y_hat = sign(z)
            error = y - y_hat
            w = [wi + eta * error * xi for wi, xi in zip(w, xa, strict=True)]
            rows.append((epoch, i + 1, xa, z, y_hat, error, w))
            mistakes += error != 0
        if mistakes == 0:
            return rows, epoch
    return rows, 0


@pytest.mark.parametrize("name", list(LABELS))
def test_every_step_follows_the_rule(name: str) -> None:
    scenario = bpstep.load(name)
    assert scenario.network.kind == "perceptron"
    eta, epochs = scenario.training.learning_rate, scenario.training.epochs
    rows, converged = replay(TRUTH_TABLE, LABELS[name], eta, [0.0, 0.0, 0.0], epochs)
    trace = bpstep.trace(scenario)
    for epoch, b, xa, z, y_hat, error, w in rows:
        assert list(trace.step("x", epoch, b).value) == list(xa)
        assert float(trace.step("z", epoch, b).value) == z
        assert float(trace.step("y_hat", epoch, b).value) == y_hat
        assert float(trace.step("error", epoch, b).value) == error
        assert list(trace.step("w", epoch, b).value) == w
    assert trace.epochs_run == (converged or epochs)
    assert float(trace["converged_epoch"].value) == converged
    per_epoch = [s.name for s in trace if s.epoch == 1]
    assert per_epoch[:5] == ["x", "z", "y_hat", "error", "w"]
    assert per_epoch[-2:] == ["mistakes", "loss"]


@pytest.mark.parametrize("name", ["perceptron-and", "perceptron-or"])
def test_and_or_converge_and_say_when(name: str) -> None:
    trace = bpstep.trace(name)
    converged = int(trace["converged_epoch"].value)
    assert converged == trace.epochs_run < trace.scenario.training.epochs
    assert float(trace.step("mistakes", converged, 0).value) == 0
    assert all(float(trace.step("mistakes", e, 0).value) > 0 for e in range(1, converged))
    assert trace.status == "stopped"
    assert trace.message.startswith(f"Converged in epoch {converged}:")
    assert trace[-1].name == "converged_epoch" and trace[-1].note == trace.message
    # The final weights separate the truth table: y·wᵀx > 0 for every row.
    w = trace.step("w", converged, 4).value
    for x, y in zip(TRUTH_TABLE, LABELS[name], strict=True):
        assert y * (w[0] + w[1] * x[0] + w[2] * x[1]) > 0


def test_and_converges_in_epoch_6_or_in_epoch_4() -> None:
    """By hand from w = 0, η = ½: AND's weights last change in epoch 5, OR's in epoch 3."""
    assert bpstep.trace("perceptron-and").epochs_run == 6
    assert bpstep.trace("perceptron-or").epochs_run == 4


def test_xor_never_converges() -> None:
    trace = bpstep.trace("perceptron-xor")
    limit = trace.scenario.training.epochs
    assert trace.epochs_run == limit
    assert all(float(trace.step("mistakes", e, 0).value) > 0 for e in range(1, limit + 1))
    assert float(trace["converged_epoch"].value) == 0
    assert trace.status == "complete"
    assert "not linearly separable" in trace.message
    assert "Minsky and Papert" in trace.message
    # The cycle it reports is real: epoch 3 and epoch 4 start from the same weights.
    assert "start of epoch 4 equal those at the start of epoch 3" in trace.message
    assert list(trace.step("w", 2, 4).value) == list(trace.step("w", 3, 4).value)


def test_epoch_loss_is_the_perceptron_criterion() -> None:
    """E_perc = −Σ_miss y·wᵀx over the epoch's mistakes, each with the weights it saw."""
    trace = bpstep.trace("perceptron-xor")
    for epoch in range(1, 4):
        expected = 0.0
        for b, y in enumerate(LABELS["perceptron-xor"], start=1):
            if float(trace.step("error", epoch, b).value) != 0:
                expected -= y * float(trace.step("z", epoch, b).value)
        assert float(trace.step("loss", epoch, 0).value) == expected


def test_explanations_substitute_the_numbers() -> None:
    trace = bpstep.trace("perceptron-or")
    # Sample 1 of epoch 1: x = (1, 0, 0), y = −1, w = 0: z = 0, ŷ = sign(0) = 0, y − ŷ = −1.
    texts = {name: [e.text() for e in explain(trace, trace.step(name, 1, 1)).elements]
             for name in ("x", "z", "y_hat", "error", "w")}
    assert texts["x"] == ["x0 = 1.0000", "x1 = 0.0000", "x2 = 0.0000"]
    assert texts["z"] == ["z = w0·x0 + w1·x1 + w2·x2 = 0·1 + 0·0 + 0·0 = 0.0000"]
    assert texts["y_hat"] == ["ŷ = sign(z) = sign(0) = 0.0000"]
    assert texts["error"] == ["y − ŷ = −1 − 0 = −1.0000"]  # negatives with the minus sign of formulas
    assert texts["w"][0] == "w0 := w0 + η(y − ŷ)·x0 = 0 + 0.5·(−1)·1 = −0.5000"
    assert explain(trace, trace.step("w", 1, 1)).rule == "w := w + η(y − ŷ)x   (η = 0.5)"
    # Sample 2: x = (1, 0, 1), y = +1, w = (−0.5, 0, 0): z = −0.5, ŷ = −1, y − ŷ = 2.
    assert [e.text() for e in explain(trace, trace.step("error", 1, 2)).elements] == [
        "y − ŷ = 1 − (−1) = 2.0000"]
    assert explain(trace, trace.step("w", 1, 2)).elements[2].text() == (
        "w2 := w2 + η(y − ŷ)·x2 = 0 + 0.5·2·1 = 1.0000")
    for step in trace:  # every step has a rule and, where it has elements, a formula
        ex = explain(trace, step)
        assert ex.rule and ex.rule != step.op


PERCEPTRON = """
name = "p"
[network]
kind = "perceptron"
inputs = 2
[data]
inputs = {inputs}
targets = {targets}
{data_extra}
[training]
learning_rate = 0.1
epochs = 100
{training_extra}
"""


def separable(n: int, seed: int) -> tuple[list[list[float]], list[list[int]]]:
    """Points on either side of the line x1 + 2·x2 = 0.3, none closer than 0.05."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    while len(xs) < n:
        x = rng.uniform(-1, 1, 2)
        margin = x[0] + 2 * x[1] - 0.3
        if abs(margin) > 0.05:
            xs.append([round(float(v), 3) for v in x])
            ys.append([1 if margin > 0 else -1])
    return xs, ys


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separable_data_converge_with_shuffling_and_a_test_split(seed: int) -> None:
    xs, ys = separable(40, seed)
    scenario = bpstep.loads(PERCEPTRON.format(
        inputs=xs, targets=ys, data_extra="test_fraction = 0.25\nsplit_seed = 1",
        training_extra=f"shuffle = true\nseed = {seed}",
    ).replace("[network]", f"[init]\nmethod = \"uniform\"\nseed = {seed}\n[network]"))
    trace = bpstep.trace(scenario)
    assert trace.status == "stopped" and trace.message.startswith("Converged")
    # Each epoch visits every training sample once, in some order.
    n = scenario.data.inputs.shape[0]
    seen = sorted(tuple(trace.step("x", 1, b).value[1:]) for b in range(1, n + 1))
    assert seen == sorted(tuple(r) for r in scenario.data.inputs)
    # The test split is scored with the final weights: ŷ = sign(wᵀx).
    w = trace.step("w", trace.epochs_run, n).value
    assert scenario.data.test_inputs is not None and scenario.data.test_targets is not None
    expected = np.sign(w[0] + scenario.data.test_inputs @ w[1:])
    np.testing.assert_array_equal(trace["test_predictions"].value[:, 0], expected)
    accuracy = float(np.mean(expected == scenario.data.test_targets[:, 0]))
    assert float(trace["test_accuracy"].value) == accuracy
    assert [s.name for s in trace[-3:]] == ["test_targets", "test_predictions", "test_accuracy"]


def test_initial_weights_from_init_when_not_given() -> None:
    xs, ys = separable(10, 3)
    text = PERCEPTRON.format(inputs=xs, targets=ys, data_extra="", training_extra="")
    scenario = bpstep.loads(text.replace("[network]", "[init]\nmethod = \"normal\"\nseed = 7\n[network]"))
    w0 = bpstep.trace(scenario).step("z", 1, 1).inputs["w"]
    np.testing.assert_array_equal(w0, np.random.default_rng(7).normal(0.0, 0.1, 3))


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ("targets = [[0], [1], [1], [1]]", "data.targets", "must be -1 or 1, got 0"),
        ("[parameters]\nw = [0, 0]", "parameters.w", "has 2 values, expected 3"),
        ("[parameters]\nw = 1", "parameters.w", "must be a non-empty list of numbers"),
        ("[parameters]\nW1 = [[0]]", "parameters.W1", "unknown parameter"),
        ("momentum = 0.9", "training.momentum", 'does not apply to network.kind = "perceptron"'),
        ("batch_size = 2", "training.batch_size", "does not apply"),
        ("loss = \"sse\"", "network.loss", "does not apply"),
        ("layers = [{ units = 1 }]", "network.layers", "has no layers"),
        ("[names]\nq = \"Z1[0,0]\"", "names.q", "names no value"),
        ("[names]\nq = \"w[3]\"", "names.q", "outside w"),
    ],
)
def test_bad_perceptron_files(change: str, key: str, words: str) -> None:
    base = """name = "p"
[network]
kind = "perceptron"
inputs = 2
{network}
[data]
inputs = [[0, 0], [0, 1], [1, 0], [1, 1]]
{targets}
[training]
{training}
{tables}
"""
    parts = {"network": "", "targets": "targets = [[-1], [1], [1], [1]]", "training": "", "tables": ""}
    if change.startswith("targets"):
        parts["targets"] = change
    elif change.startswith("["):
        parts["tables"] = change
    elif key.startswith("training"):
        parts["training"] = change
    else:
        parts["network"] = change
    with pytest.raises(ScenarioError) as info:
        bpstep.loads(base.format(**parts), source="p.toml")
    assert info.value.key == key
    assert words in info.value.message


def test_default_display_names() -> None:
    trace = bpstep.trace("perceptron-and")
    assert trace.value("w2", 1, 4) == trace.step("w", 1, 4).value[2]
    assert trace.value("x0", 2, 3) == 1.0


def test_cli_trace_prints_the_ending(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "perceptron-xor"]) == 0
    captured = capsys.readouterr()
    assert "not linearly separable" in captured.err
    assert "converged_epoch" in captured.out


def test_readme_perceptron_example_is_and() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**The Perceptron**"):]
    block = re.search(r"^```toml\n(.*?)^```$", section, re.S | re.M)
    assert block is not None
    trace = bpstep.trace(bpstep.loads('name = "README perceptron"\n' + block.group(1)))
    assert trace.status == "stopped" and float(trace["converged_epoch"].value) == 6
