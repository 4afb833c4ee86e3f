"""The tutorial's exercise, step by step, against values derived here by hand from its network.

Every expected value below is computed with ``math.exp`` from the tutorial's numbers (x, t, w1–w10,
b1, b2, α = 0.01), following its formulas, never read from bpstep. The tutorial's printed
4-decimal numbers are checked too, except its ∂E/∂b1 = 0.0008: b1 is one bias shared by both
hidden units, so ∂E/∂b1 = ∂E/∂z_h1 + ∂E/∂z_h2 = 0.0024.
"""

from __future__ import annotations

import json
import math

import pytest

import bpstep
from bpstep.cli import main


def sigma(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# The tutorial's network (Step 0 and Step 1).
x1, x2, x3 = 1.0, 4.0, 5.0
t1, t2 = 0.1, 0.05
w1, w2, w3, w4, w5, w6 = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6
w7, w8, w9, w10 = 0.7, 0.8, 0.9, 0.1
b1 = b2 = 0.5
alpha = 0.01

# Step 2: forward pass.
z_h1 = w1 * x1 + w3 * x2 + w5 * x3 + b1
z_h2 = w2 * x1 + w4 * x2 + w6 * x3 + b1
h1, h2 = sigma(z_h1), sigma(z_h2)
z_o1 = w7 * h1 + w9 * h2 + b2
z_o2 = w8 * h1 + w10 * h2 + b2
o1, o2 = sigma(z_o1), sigma(z_o2)
# Step 3: E = ½[(o1 − t1)² + (o2 − t2)²].
E = 0.5 * ((o1 - t1) ** 2 + (o2 - t2) ** 2)
dE_do1, dE_do2 = o1 - t1, o2 - t2
# Step 4: backpropagation, the chain rule one factor at a time.
dE_dz_o1 = dE_do1 * o1 * (1 - o1)
dE_dz_o2 = dE_do2 * o2 * (1 - o2)
dE_dw7, dE_dw8 = dE_dz_o1 * h1, dE_dz_o2 * h1
dE_dw9, dE_dw10 = dE_dz_o1 * h2, dE_dz_o2 * h2
dE_db2 = dE_dz_o1 + dE_dz_o2
dE_dh1 = dE_dz_o1 * w7 + dE_dz_o2 * w8
dE_dh2 = dE_dz_o1 * w9 + dE_dz_o2 * w10
dE_dz_h1 = dE_dh1 * h1 * (1 - h1)
dE_dz_h2 = dE_dh2 * h2 * (1 - h2)
dE_dw1, dE_dw3, dE_dw5 = dE_dz_h1 * x1, dE_dz_h1 * x2, dE_dz_h1 * x3
dE_dw2, dE_dw4, dE_dw6 = dE_dz_h2 * x1, dE_dz_h2 * x2, dE_dz_h2 * x3
dE_db1 = dE_dz_h1 + dE_dz_h2  # shared by both hidden units

# Step 5: w := w − α ∂E/∂w.
new = {name: value - alpha * grad for name, value, grad in [
    ("w1", w1, dE_dw1), ("w2", w2, dE_dw2), ("w3", w3, dE_dw3), ("w4", w4, dE_dw4),
    ("w5", w5, dE_dw5), ("w6", w6, dE_dw6), ("w7", w7, dE_dw7), ("w8", w8, dE_dw8),
    ("w9", w9, dE_dw9), ("w10", w10, dE_dw10), ("b1", b1, dE_db1), ("b2", b2, dE_db2)]}

# The trace, in the README's order, with the values the hand derivation gives.
# W is fan_in × fan_out: W1 = [[w1, w2], [w3, w4], [w5, w6]], W2 = [[w7, w8], [w9, w10]].
EXPECTED_STEPS = [
    ("forward", "Z0", [[x1, x2, x3]]),
    ("forward", "Z1", [[z_h1, z_h2]]),
    ("forward", "Z2", [[h1, h2]]),
    ("forward", "Z3", [[z_o1, z_o2]]),
    ("forward", "Z4", [[o1, o2]]),
    ("loss", "E", E),
    ("backward", "delta4", [[dE_do1, dE_do2]]),
    ("backward", "delta3", [[dE_dz_o1, dE_dz_o2]]),
    ("backward", "delta2", [[dE_dh1, dE_dh2]]),
    ("backward", "delta1", [[dE_dz_h1, dE_dz_h2]]),
    ("gradient", "dE/dW1", [[dE_dw1, dE_dw2], [dE_dw3, dE_dw4], [dE_dw5, dE_dw6]]),
    ("gradient", "dE/db1", dE_db1),
    ("gradient", "dE/dW2", [[dE_dw7, dE_dw8], [dE_dw9, dE_dw10]]),
    ("gradient", "dE/db2", dE_db2),
    ("update", "W1", [[new["w1"], new["w2"]], [new["w3"], new["w4"]], [new["w5"], new["w6"]]]),
    ("update", "b1", new["b1"]),
    ("update", "W2", [[new["w7"], new["w8"]], [new["w9"], new["w10"]]]),
    ("update", "b2", new["b2"]),
    ("epoch", "loss", E),
]

# Float64 agreement: the engine sums and multiplies in another order, a few ulps at most.
REL = 1e-14


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-18)


def flat(v: object) -> list[float]:
    if isinstance(v, list):
        return [y for item in v for y in flat(item)]
    return [float(v)]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def trace() -> bpstep.Trace:
    return bpstep.trace("exercise")


def test_walk_every_step(trace: bpstep.Trace) -> None:
    assert trace.status == "complete"
    assert [(s.phase, s.name) for s in trace] == [(p, n) for p, n, _ in EXPECTED_STEPS]
    for i, (step, (_, name, value)) in enumerate(zip(trace, EXPECTED_STEPS, strict=True)):
        assert step.index == i
        assert (step.epoch, step.batch) == ((1, 0) if name == "loss" else (1, 1))
        got = step.value.tolist()
        assert len(flat(got)) == len(flat(value)), name
        assert all(close(a, b) for a, b in zip(flat(got), flat(value), strict=True)), (name, got, value)
        # Scalars are 0-d (E, the shared biases and their gradients, the epoch loss).
        assert step.scalar == (not isinstance(value, list))


# The tutorial's printed numbers (4 decimals, as it writes them).
TUTORIAL = {
    "z_h1": ("4.3", z_h1), "h1": ("0.9866", h1), "z_h2": ("5.3", z_h2), "h2": ("0.9950", h2),
    "z_o1": ("2.0862", z_o1), "o1": ("0.8896", o1), "z_o2": ("1.3888", z_o2), "o2": ("0.8004", o2),
    "dE/do1": ("0.7896", dE_do1), "dE/do2": ("0.7504", dE_do2),
    "dE/dw7": ("0.0765", dE_dw7), "dE/dw8": ("0.1183", dE_dw8), "dE/dw9": ("0.0772", dE_dw9),
    "dE/dw10": ("0.1193", dE_dw10), "dE/db2": ("0.1975", dE_db2),
    "dE/dh1": ("0.1502", dE_dh1), "dE/dh2": ("0.0818", dE_dh2),
    "dE/dw1": ("0.0020", dE_dw1), "dE/dw3": ("0.0079", dE_dw3), "dE/dw5": ("0.0099", dE_dw5),
    "dE/dw2": ("0.0004", dE_dw2), "dE/dw4": ("0.0016", dE_dw4), "dE/dw6": ("0.0020", dE_dw6),
    "dE/db1": ("0.0024", dE_db1),  # the tutorial prints 0.0008
}
TUTORIAL_UPDATES = {
    "w1": "0.1", "w2": "0.2", "w3": "0.2999", "w4": "0.4", "w5": "0.4999", "w6": "0.6",
    "w7": "0.6992", "w8": "0.7988", "w9": "0.8992", "w10": "0.0988", "b1": "0.5", "b2": "0.4980",
}


@pytest.mark.parametrize("name", list(TUTORIAL))
def test_tutorial_numbers(trace: bpstep.Trace, name: str) -> None:
    printed, derived = TUTORIAL[name]
    assert round(derived, 4) == float(printed)  # the hand derivation reproduces the tutorial
    got = trace.value(name)  # by the tutorial's display name
    assert close(got, derived)
    assert f"{got:.4f}" == f"{float(printed):.4f}"


@pytest.mark.parametrize("name", list(TUTORIAL_UPDATES))
def test_tutorial_updates(trace: bpstep.Trace, name: str) -> None:
    # After the update, the display names w1 … w10, b1, b2 read the update steps.
    if name.startswith("w"):
        k = int(name[1:])
        step, index = ("W1", divmod(k - 1, 2)) if k <= 6 else ("W2", divmod(k - 7, 2))
        got = float(trace.step(step).value[index])
    else:
        got = float(trace.step(name).value)
    assert close(got, new[name])
    assert round(got, 4) == float(TUTORIAL_UPDATES[name])


def test_shared_bias_gradient_is_not_the_tutorials() -> None:
    """0.0024 = ∂E/∂z_h1 + ∂E/∂z_h2; neither term alone nor any printed term gives 0.0008."""
    assert f"{dE_db1:.4f}" == "0.0024"
    assert f"{dE_dz_h1:.4f}" == "0.0020" and f"{dE_dz_h2:.4f}" == "0.0004"
    assert abs(dE_db1 - 0.0008) > 1e-3


def test_cli_json_full_precision(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "exercise", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "complete"
    steps = document["steps"]
    assert [(s["phase"], s["name"]) for s in steps] == [(p, n) for p, n, _ in EXPECTED_STEPS]
    for s, (_, name, value) in zip(steps, EXPECTED_STEPS, strict=True):
        assert all(close(a, b) for a, b in zip(flat(s["value"]), flat(value), strict=True)), name


def test_cli_table_at_four_decimals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "exercise"]) == 0
    out = capsys.readouterr().out
    for text in ("4.3000", "0.9866", "0.9950", "2.0862", "0.8896", "1.3888", "0.8004", "0.7896",
                 "0.0765", "0.1183", "0.0772", "0.1193", "0.1975", "0.0024", "0.6992", "0.0988",
                 "0.4980", "0.2999", "0.4999"):
        assert text in out, text
    assert "0.0008" not in out
