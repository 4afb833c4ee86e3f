"""How numbers and formulas are written: scientific notation for huge values, whole numbers for
counts, no formula that repeats itself, and negative operands that cannot be misread."""

import re

import numpy as np
import pytest

import bpstep
from bpstep.explain import explain, step_label
from bpstep.format import num, operand, term

TANH = """
name = "tanh with negative values"
[network]
inputs = 2
layers = [{ units = 2, activation = "tanh" }, { units = 1, activation = "identity" }]
loss = "half_sse"
[parameters]
W1 = [[0.5, -0.7], [-0.3, 0.2]]
b1 = [-0.4, 0.1]
W2 = [[-0.6], [0.9]]
b2 = -0.25
[data]
inputs = [[1, -2], [-0.5, 1.5]]
targets = [[-0.3], [0.8]]
[training]
learning_rate = 0.5
momentum = 0.9
"""


@pytest.mark.parametrize("x", [2.0293e159, -7.5e306, 1e6, -123456789.0])
def test_huge_values_are_written_in_scientific_notation(x):
    for text in (num(x), operand(x), term(x)):
        assert "e+" in text and len(text) < 16
        # and the text still denotes the value to its precision
        assert float(text.strip("()").replace("−", "-")) == pytest.approx(x, rel=1e-3)


def test_tiny_operands_keep_their_digits():
    assert float(operand(-4.25e-9).replace("−", "-")) == pytest.approx(-4.25e-9, rel=1e-3)


def _formulas(trace):
    for step in trace:
        for element in explain(trace, step).elements:
            yield step, element.text()


@pytest.mark.parametrize("scenario", ["exercise", "regressor", "perceptron-and", "xor"])
def test_no_formula_writes_a_negative_operand_after_an_operator(scenario):
    trace = bpstep.trace(bpstep.load(scenario), epochs=2)
    _check_signs(trace)


def test_negative_operands_in_tanh_and_momentum_formulas():
    trace = bpstep.trace(bpstep.loads(TANH), epochs=2)
    texts = [text for _, text in _formulas(trace)]
    _check_signs(trace)
    # tanh's derivative of a negative activation: the square of the bracketed number
    assert any(re.search(r"\(1 − \(−\d\.\d+\)²\)", t) for t in texts)
    # a negative target subtracted: (o − (−0.3))
    assert any("− (−0.3)" in t for t in texts)


def _check_signs(trace):
    for step, text in _formulas(trace):
        # every negative number is written with U+2212, never an ASCII hyphen before a digit …
        assert not re.search(r"(?<![\w])-\d", text.replace("e-", "e_")), (step.name, text)
        # … and never straight after an operator, where it reads as another formula
        assert not re.search(r"[·−+] ?−\d|\(1 − −", text), (step.name, text)


def test_counts_are_whole_numbers():
    trace = bpstep.trace(bpstep.load("perceptron-and"))
    converged = int(trace["converged_epoch"].value)
    (element,) = explain(trace, trace["converged_epoch"]).elements
    assert element.text() == f"converged_epoch = {converged}"


def test_a_formula_never_repeats_its_result():
    trace = bpstep.trace(bpstep.load("regressor"), epochs=1)
    step = trace["dE/db2"]
    (element,) = explain(trace, step).elements
    value = f"{float(step.value.ravel()[0]):.4f}"
    assert element.text().count(value) == 1, element.text()   # not "= 0.3379 = 0.3379"
    assert element.text().startswith("∂E/∂b2 = ∂E/∂z = ")


def test_a_label_does_not_repeat_the_step_name():
    trace = bpstep.trace(bpstep.load("regressor"), epochs=1)
    assert step_label(trace, trace["dE/db1"]) == "dE/db1"          # not "dE/db1 (dE/db1)"
    assert step_label(trace, trace["dE/dW1"]) == "dE/dW1 (dE/dw1)"


def test_diverged_run_values_stay_short_in_every_formula():
    text = TANH.replace("learning_rate = 0.5", "learning_rate = 1e150")
    trace = bpstep.trace(bpstep.loads(text), epochs=3)
    assert trace.status in ("diverged", "complete")
    longest = max((len(t) for _, t in _formulas(trace)), default=0)
    assert longest < 400
    huge = [s for s in trace if np.isfinite(s.value).all() and np.abs(s.value).max(initial=0) > 1e100]
    assert huge, "the scenario should produce huge finite values"
    for s in huge:
        for e in explain(trace, s).elements:
            assert not re.search(r"\d{20}", e.text()), e.text()


def test_cli_table_cells_keep_apart_and_counts_are_whole(capsys):
    from bpstep.cli import main
    from bpstep.commands.trace import matrix_text

    text = matrix_text(np.array([[0.2536, -0.4263, -0.85], [-1e9, 2.5, 3.25]]), 4)
    rows = [line.split() for line in text.splitlines()]
    assert rows == [["0.2536", "-0.4263", "-0.8500"], ["-1.0000e+09", "2.5000", "3.2500"]]
    assert main(["trace", "perceptron-and"]) == 0
    last = [line for line in capsys.readouterr().out.splitlines() if "converged_epoch" in line]
    assert last and last[0].split("│")[-2].strip().isdigit()
