"""Every operation the engine emits has one complete descriptor, and a new activation is one entry
in the catalog plus its maths: every view then shows its rule and formulas."""

import io
import math
from contextlib import redirect_stdout

import numpy as np
import pytest

import bpstep
from bpstep import catalog, ops
from bpstep.check import grade
from bpstep.cli import main
from bpstep.engine.activations import ACTIVATIONS
from bpstep.engine.losses import LOSSES
from bpstep.explain import explain
from bpstep.names import OpId, parse

# Runs that between them emit most kinds of step.
RUNS = [
    ("exercise", None), ("xor", 2), ("housing", 3), ("perceptron-and", None), ("perceptron-xor", 3),
    ("regressor", 1),
]


def test_every_op_id_has_a_complete_descriptor():
    assert set(OpId) == set(ops.OPS)
    for op in ops.OPS.values():
        assert callable(op.rule) and callable(op.element) and callable(op.touches), op.id
        assert isinstance(op.asked, bool) and isinstance(op.integer, bool)
        assert all(isinstance(h, str) and h for h in op.hints)


def test_an_unknown_op_is_an_error_not_its_name():
    with pytest.raises(ops.UnknownOpError):
        ops.get("no_such_op")


def test_the_engine_emits_only_described_ops():
    seen = set()
    for name, epochs in RUNS:
        trace = bpstep.trace(bpstep.load(name), epochs=epochs)
        for step in trace:
            assert isinstance(step.op, OpId), (name, step.name, step.op)
            seen.add(step.op)
            explanation = explain(trace, step)
            assert explanation.rule  # and the rule is a rule, not the op's name
            assert explanation.rule != step.op
    assert len(seen) >= 20


def test_the_maths_and_the_catalog_list_the_same_names():
    assert set(ACTIVATIONS) == set(catalog.ACTIVATIONS)
    assert set(LOSSES) == set(catalog.LOSSES)


def test_step_names_parse_back():
    assert parse("Z3").module == 3 and parse("delta2").module == 2
    assert parse("dE/dW2").layer == 2 and parse("dE/dW2").of.kind == "weight"
    assert parse("b10").kind == "bias" and parse("E").kind == "other"


ELU = """
name = "ELU and softplus"
[network]
inputs = 2
layers = [{ units = 2, activation = "elu" }, { units = 1, activation = "softplus" }]
loss = "half_sse"
[parameters]
W1 = [[0.5, -0.7], [-0.3, 0.2]]
b1 = [-0.4, 0.1]
W2 = [[-0.6], [0.9]]
b2 = 0.25
[data]
inputs = [[1, 2]]
targets = [[0.3]]
[training]
learning_rate = 0.5
"""


def _elu(z):
    return z if z > 0 else math.exp(z) - 1


def test_a_new_activation_shows_in_every_view(tmp_path):
    path = tmp_path / "elu.toml"
    path.write_text(ELU)
    trace = bpstep.trace(bpstep.load(path))
    # the values, independently: z = x·W + b, then ELU
    z = np.array([1, 2]) @ np.array([[0.5, -0.7], [-0.3, 0.2]]) + np.array([-0.4, 0.1])
    h = np.array([_elu(v) for v in z])
    assert trace.value("Z2") == pytest.approx(h[None, :], abs=1e-15)
    # the step panel's rule and formula (explain)
    ex = explain(trace, trace["Z2"])
    assert ex.rule == "Z⁽²⁾ = ELU(Z⁽¹⁾)" and ex.note.startswith("ELU(z) = z if z > 0")
    assert ex.elements[1].text() == f"Z2[0,1] = ELU(Z1[0,1]) = ELU({z[1]:g}) = {h[1]:.4f}".replace("-", "−")
    back = explain(trace, trace["delta1"])
    assert "ELU'(z) = 1 if z > 0" in back.note and "ELU'(" in back.elements[1].text()
    # the trace table
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["trace", str(path)]) == 0
    assert f"{h[1]:.4f}" in out.getvalue()
    # check grades it, and the formula comes with a wrong answer
    right = grade(trace, "Z2[0,1]", f"{h[1]:.4f}")
    wrong = grade(trace, "Z2[0,1]", "0.5")
    assert right.correct and not wrong.correct and "ELU(" in wrong.formula
    # export
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["export", str(path), "--format", "markdown"]) == 0
    assert "ELU(Z⁽¹⁾)" in out.getvalue() and "softplus" in out.getvalue()


async def test_a_new_activation_shows_in_the_debugger_and_its_quiz(tmp_path):
    from bpstep.tui import BpstepApp
    from bpstep.tui.panels import StepPanel

    trace = bpstep.trace(bpstep.loads(ELU))
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(trace["Z2"].index)
        await pilot.pause()
        text = app.query_one(StepPanel).text
        assert "Z⁽²⁾ = ELU(Z⁽¹⁾)" in text and "ELU(Z1[0,1]) = ELU(−0.2)" in text
        await pilot.press("a")  # quiz this step: its values hidden, asked one by one
        await pilot.pause()
        assert "ELU(−0.2) = ?" in app.query_one(StepPanel).text
