"""Computational graph scenarios (issue 14): the four graphs' published numbers, the regressor
graph step for step against the regressor network, and every command on graphs (trace, check
with its hints, export, record/replay, validate, gradcheck, the pytest plugin).

Expected numbers are CS231n's published values or computed here with math, never read from
bpstep's own output. The graph scenarios are bundled (scenarios/)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import bpstep
from bpstep.check import grade, template
from bpstep.cli import main
from bpstep.commands.list import size
from bpstep.engine.gradcheck import check_gradients
from bpstep.explain import explain
from bpstep.export import to_html, to_latex, to_markdown
from bpstep.export_graph import document
from bpstep.formulas.graph import GateElement
from bpstep.scenario import bundled_dir
from bpstep.shapes import graph_steps

GRAPHS = bundled_dir()
NAMES = ("circuit", "fan-out", "sigmoid-neuron", "sigmoid-neuron-gates", "regressor-graph")


def path(name: str) -> str:
    return str(GRAPHS / f"{name}.toml")


def traced(name: str) -> bpstep.Trace:
    return bpstep.trace(bpstep.load(path(name)))


def sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the published numbers -----------------------------------------------------------------------

def test_circuit_cs231n() -> None:
    t = traced("circuit")
    assert [(s.phase, s.name) for s in t] == [
        ("forward", "q"), ("forward", "f"), ("backward", "df/df"), ("backward", "df/dq"),
        ("backward", "df/dx"), ("backward", "df/dy"), ("backward", "df/dz"), ("epoch", "loss")]
    values = {s.name: float(s.value) for s in t}
    assert values == {"q": 3.0, "f": -12.0, "df/df": 1.0, "df/dq": -4.0, "df/dx": -4.0, "df/dy": -4.0,
                      "df/dz": 3.0, "loss": -12.0}
    assert bpstep.check_expectations(t) and all(r.passed for r in bpstep.check_expectations(t))


def test_circuit_formulas_show_the_chain_rule() -> None:
    t = traced("circuit")
    texts = {s.name: explain(t, s).elements[0].text() for s in t}
    assert texts["q"] == "q = x + y = −2 + 5 = 3.0000"
    assert texts["f"] == "f = q·z = 3·(−4) = −12.0000"
    assert texts["df/dx"] == "∂f/∂x = ∂f/∂q·∂q/∂x = (−4)·1 = −4.0000"
    assert texts["df/dz"] == "∂f/∂z = ∂f/∂f·∂f/∂z = 1·3 = 3.0000"


def test_sigmoid_neuron_cs231n() -> None:
    w0, x0, w1, x1, w2 = 2.0, -1.0, -3.0, -2.0, -3.0
    a = w0 * x0 + w1 * x1 + w2
    f = sigmoid(a)
    da = f * (1 - f)  # CS231n: (1 − f)·f ≈ 0.2
    want = {"df/dw0": x0 * da, "df/dx0": w0 * da, "df/dw1": x1 * da, "df/dx1": w1 * da, "df/dw2": da}
    published = {"df/dw0": -0.2, "df/dx0": 0.39, "df/dw1": -0.39, "df/dx1": -0.59, "df/dw2": 0.2}
    for name in ("sigmoid-neuron", "sigmoid-neuron-gates"):
        t = traced(name)
        assert t.value("f") == pytest.approx(f, abs=1e-15)
        for key, value in want.items():
            assert t.value(key) == pytest.approx(value, rel=1e-14), (name, key)
            assert round(t.value(key), 2) == published[key]
    # σ as one gate and σ decomposed (·−1, exp, +1, 1/x) give the same gradient.
    one, gates = traced("sigmoid-neuron"), traced("sigmoid-neuron-gates")
    for leaf in ("w0", "x0", "w1", "x1", "w2"):
        assert one.value(f"df/d{leaf}") == pytest.approx(gates.value(f"df/d{leaf}"), abs=1e-15)
    assert gates.value("df/dd") == pytest.approx(-1 / (1 + math.exp(-a)) ** 2, rel=1e-14)


def test_fan_out_adds_both_paths() -> None:
    t = traced("fan-out")
    x, y = 3.0, -2.0
    assert t.value("df/dx") == y + 1 == -1.0  # ∂(x·y)/∂x + ∂(q + x)/∂x
    assert t.value("df/dy") == x
    step = t["df/dx"]
    assert set(step.inputs) == {"df/dq", "local dq/dx", "df/df", "local df/dx"}
    exp = explain(t, step)
    assert exp.elements[0].text() == "∂f/∂x = ∂f/∂q·∂q/∂x + ∂f/∂f·∂f/∂x = 1·(−2) + 1·1 = −1.0000"
    assert "fan-out" in exp.note


def test_a_name_used_twice_in_one_node() -> None:
    sc = bpstep.loads('name = "t"\n[graph]\ninputs = { x = 3, y = -2 }\nnodes = ["f = x*y + x"]\n'
                      'output = "f"\n')
    t = bpstep.trace(sc)
    step = t["df/dx"]
    assert set(step.inputs) == {"df/df", "local df/dx #1", "local df/dx #2"}
    assert explain(t, step).elements[0].text() == (
        "∂f/∂x = ∂f/∂f·∂f/∂x (1st use) + ∂f/∂f·∂f/∂x (2nd use) = 1·(−2) + 1·1 = −1.0000")


def test_stepping_into_a_node_shows_its_gates() -> None:
    t = traced("regressor-graph")
    exp = explain(t, t["u"])
    assert len(exp.elements) == 1 and exp.elements[0].text() == "u = w1·x + b1 = 0.5·(−2) + 0 = −1.0000"
    assert [type(p) for p in exp.parts] == [GateElement, GateElement]
    assert exp.parts[0].text() == ("w1·x = 0.5·(−2) = −1.0000; local: ∂(w1·x)/∂w1 = x = −2.0000, "
                                   "∂(w1·x)/∂x = w1 = 0.5000")
    assert exp.parts[1].text().startswith("u = w1·x + b1 = −1 + 0 = −1.0000; local: ∂u/∂(w1·x) = 1")
    v = sigmoid(-1.0)
    sig = explain(t, t["v"]).parts[0]
    assert sig.locals[0].value == pytest.approx(v * (1 - v), rel=1e-15)
    assert explain(t, t["dE/dw1"]).parts == ()  # only nodes have gates


# --- the regressor graph equals the regressor network, step for step --------------------------------

PAIRS = {  # graph name → (network step, element)
    "u": ("Z1", (0, 0)), "v": ("Z2", (0, 0)), "z": ("Z3", (0, 0)), "E": ("E", ()),
    "dE/dz": ("delta3", (0, 0)), "dE/dv": ("delta2", (0, 0)), "dE/du": ("delta1", (0, 0)),
    "dE/dw1": ("dE/dW1", (0, 0)), "dE/db1": ("dE/db1", (0,)), "dE/dw2": ("dE/dW2", (0, 0)),
    "dE/db2": ("dE/db2", (0,)), "w1": ("W1", (0, 0)), "b1": ("b1", (0,)), "w2": ("W2", (0, 0)),
    "b2": ("b2", (0,)),
}


def _regressor_text(data: str, training: str) -> str:
    text = (bundled_dir() / "regressor.toml").read_text(encoding="utf-8")
    text = re.sub(r"\[data\].*?(?=\n\[training\])", data, text, flags=re.S)
    return re.sub(r"\[training\].*?(?=\n\[names\])", training, text, flags=re.S)


def test_regressor_graph_equals_the_regressor_network_step_for_step() -> None:
    graph = traced("regressor-graph")
    assert graph.epochs_run == 3
    net = bpstep.trace(bpstep.loads(_regressor_text(
        "[data]\ninputs = [[-2.0]]\ntargets = [[0.1]]\n",
        "[training]\nlearning_rate = 0.1\nepochs = 3\nbatch_size = 1\n")))
    bundled = bpstep.trace(bpstep.load("regressor"))  # its batch 1 is the same sample
    checked = 0
    for epoch in (1, 2, 3):
        for name, (step, idx) in PAIRS.items():
            mine = float(graph.step(name, epoch, 1).value)
            assert mine == pytest.approx(float(net.step(step, epoch, 1).value[idx]), rel=1e-13, abs=1e-16)
            if epoch == 1:
                assert mine == pytest.approx(float(bundled.step(step, 1, 1).value[idx]), rel=1e-13, abs=1e-16)
            checked += 1
        assert graph.epoch_series("loss")[epoch] == pytest.approx(net.epoch_series("loss")[epoch], rel=1e-13)
    assert checked == 45


def test_a_batch_is_averaged_like_the_network_mean_loss() -> None:
    """All five samples as one batch: the graph's mean of (z − y)² is the network's "mse" loss."""
    xs, ys = [-2.0, -1.0, 0.0, 1.0, 2.0], [0.1, 0.3, 1.0, 1.7, 1.9]
    text = (GRAPHS / "regressor-graph.toml").read_text(encoding="utf-8")
    text = text.replace('inputs = { x = -2.0, y = 0.1 }', 'inputs = ["x", "y"]')
    text += f"\n[data]\nx = {xs}\ny = {ys}\n"
    graph = bpstep.trace(bpstep.loads(text))
    net = bpstep.trace(bpstep.loads(_regressor_text(
        f"[data]\ninputs = {[[x] for x in xs]}\ntargets = {[[y] for y in ys]}\n",
        "[training]\nlearning_rate = 0.1\nepochs = 3\n").replace('loss = "sse"', 'loss = "mse"')))
    for epoch in (1, 2, 3):
        assert graph.step("u", epoch, 1).value.shape == (5,)
        np.testing.assert_allclose(graph.step("z", epoch, 1).value, net.step("Z3", epoch, 1).value[:, 0],
                                   rtol=1e-13)
        for p, (step, idx) in (("w1", ("W1", (0, 0))), ("b2", ("b2", (0,)))):
            g = graph.step(f"dE/d{p}", epoch, 1)
            assert g.value.shape == ()  # a parameter: the derivative of the batch mean
            assert float(g.value) == pytest.approx(float(net.step(f"dE/d{step}", epoch, 1).value[idx]),
                                                   rel=1e-12)
            assert float(graph.step(p, epoch, 1).value) == pytest.approx(
                float(net.step(step, epoch, 1).value[idx]), rel=1e-13)
    # Independent: epoch 1's ∂E/∂b2 is the mean of 2(z − y) at the initial parameters.
    z = [sigmoid(0.5 * x) for x in xs]
    assert graph.value("dE/db2") == pytest.approx(np.mean([2 * (a - b) for a, b in zip(z, ys, strict=True)]),
                                                  rel=1e-14)


def test_step_count_rule_agrees_with_the_runner() -> None:
    for name in NAMES:
        sc = bpstep.load(path(name))
        spec = sc.graph
        assert spec is not None
        t = bpstep.trace(sc)
        assert len(t) == graph_steps(len(spec.nodes), len(spec.leaves), len(spec.parameters),
                                     sc.training.epochs)


# --- commands on graphs -----------------------------------------------------------------------------

def test_trace_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "trace", path("circuit"))
    assert code == 0, err
    assert "df/dx" in out and "-12.0000" in out
    code, out, _ = cli(capsys, "trace", path("regressor-graph"), "--json")
    doc = json.loads(out)
    assert [s["name"] for s in doc["steps"] if s["phase"] == "update"] == ["w1", "b1", "w2", "b2"] * 3
    assert size(bpstep.load(path("regressor-graph"))) == "graph: 4 nodes · 1 sample · 3 epochs"
    assert size(bpstep.load(path("circuit"))) == "graph: 2 nodes · 1 sample"


def _answers(tmp_path: Path, text: str) -> str:
    file = tmp_path / "answers.toml"
    file.write_text(text, encoding="utf-8")
    return str(file)


def test_check_right_and_wrong_with_hints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    right = _answers(tmp_path, 'q = 3.0000\nf = -12.0000\n"df/dx" = -4.0000\n"df/dz" = 3.0000\n')
    code, out, err = cli(capsys, "check", path("circuit"), right)
    assert code == 0, out + err
    t = traced("fan-out")
    one_path = grade(t, "df/dx", "-2.0000")  # only the path through q: 1·(−2)
    assert not one_path.correct
    assert any("only the path through q" in h and "fan-out" in h for h in one_path.hints), one_path.hints
    local = grade(traced("circuit"), "df/dx", "1.0000")  # ∂q/∂x alone, without ∂f/∂q
    assert any("local derivative ∂q/∂x = 1 alone" in h for h in local.hints), local.hints
    operand = grade(traced("circuit"), "df/dz", "-4.0000")  # ∂(q·z)/∂z taken as z
    assert any("other factor, q" in h for h in operand.hints), operand.hints
    sign = grade(traced("circuit"), "df/dz", "-3.0000")
    assert any("sign error" in h for h in sign.hints)
    before = grade(traced("regressor-graph"), "w1", "0.5000")  # the value before the update
    assert any("before the update" in h for h in before.hints)
    wrong = _answers(tmp_path, '"df/dx" = -2.0000\n')
    code, out, err = cli(capsys, "check", path("fan-out"), wrong)
    assert code == 1 and "only the path through q" in re.sub(r"[│\s]+", " ", out)


def test_template_filled_with_the_true_values_grades_all_right() -> None:
    t = traced("regressor-graph")
    sheet = template(t, "regressor-graph")
    names = re.findall(r'^"?([^"=\s]+)"? = ""', sheet, flags=re.M)
    assert {"u", "E", "dE/dw1", "dE/dx", "w1", "loss"} <= set(names)
    for name in names:
        result = grade(t, name, repr(float(t.value(name))))
        assert result.correct, name


def test_check_unknown_name_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "check", path("circuit"), _answers(tmp_path, '"df/dw" = 1.0\n'))
    assert code == 2 and "unknown name 'df/dw'" in err


@pytest.mark.parametrize("fmt,writer", [("markdown", to_markdown), ("latex", to_latex), ("html", to_html)])
def test_export_document_in_every_format(fmt: str, writer) -> None:  # noqa: ANN001
    for name in NAMES:
        t = traced(name)
        text = writer(f"Worked solution: {t.scenario.name}", document(t))
        assert "The graph" in text and "Backward pass" in text, (name, fmt)
    md = to_markdown("t", document(traced("regressor-graph")))
    assert "u = w1·x + b1 = 0.5·(−2) + 0 = −1.0000" in md
    assert "gate 1: w1·x = 0.5·(−2) = −1.0000" in md
    assert "### Update the parameters" in md and "w1 := w1 − η·∂E/∂w1" in md


def test_export_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "export", path("fan-out"), "--format", "markdown")
    assert code == 0 and "∂f/∂x = ∂f/∂q·∂q/∂x + ∂f/∂f·∂f/∂x" in out


def test_record_and_replay_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    golden = tmp_path / "rg.json"
    code, _, err = cli(capsys, "record", path("regressor-graph"), "-o", str(golden))
    assert code == 0, err
    doc = json.loads(golden.read_text(encoding="utf-8"))
    assert "[graph]" in json.dumps(doc)  # the scenario's text rides along
    code, out, err = cli(capsys, "replay", str(golden))
    assert code == 0 and "agree" in out, out + err
    text = golden.read_text(encoding="utf-8").replace("learning_rate = 0.1", "learning_rate = 0.2")
    golden.write_text(text, encoding="utf-8")
    code, out, _ = cli(capsys, "replay", str(golden))
    assert code == 1 and "differ" in out


BAD = [
    ('nodes = ["q = x + w"]\noutput = "q"', "graph.nodes[0]", "unknown name 'w'"),
    ('nodes = ["f = q * x", "q = x + 1"]\noutput = "f"', "graph.nodes[0]",
     "'q' is used before it is defined"),
    ('nodes = ["q = x", "q = x * 2"]\noutput = "q"', "graph.nodes[1]",
     "'q' is already defined by graph.nodes[0]"),
    ('nodes = ["q = x"]\noutput = "q"\nlayers = 2', "graph.layers", "unknown key"),
    ('nodes = ["loss = x"]\noutput = "loss"', "graph.nodes[0]", "names the epoch's loss"),
    ('nodes = ["q = __import__(x)"]\noutput = "q"', "graph.nodes[0]", "unknown function '__import__'"),
]


@pytest.mark.parametrize("graph,key,words", BAD)
def test_validate_reports_graph_problems(graph: str, key: str, words: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(f'name = "bad"\n[graph]\ninputs = {{ x = 1 }}\n{graph}\n', encoding="utf-8")
    code, out, err = cli(capsys, "validate", str(file))
    assert code == 2 and out == ""
    assert f"bpstep: {file}: {key}: " in err and words in err, err
    assert "Traceback" not in err


def test_validate_lists_every_problem_of_data_and_training(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bad.toml"
    file.write_text('name = "bad"\n[graph]\ninputs = ["x"]\nparameters = { w = 1 }\nnodes = ["q = w*x"]\n'
                    'output = "q"\n[data]\nx = [1, 2]\nw = [1, 2]\nz = [3, 4]\n[training]\nmomentum = 0.9\n'
                    '[network]\ninputs = 1\n', encoding="utf-8")
    code, _, err = cli(capsys, "validate", str(file))
    assert code == 2
    for key, words in (("data.w", "is a parameter"), ("data.z", "is not an input"),
                       ("training.momentum", "does not apply to a [graph] scenario"),
                       ("network", "give either [network] or [graph]")):
        assert f"{key}: " in err and words in err, (key, err)


def test_a_domain_error_at_run_time_names_the_node(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "log.toml"
    file.write_text('name = "log"\n[graph]\ninputs = { x = 1, y = 2 }\nnodes = ["g = log(x - y)"]\n'
                    'output = "g"\n', encoding="utf-8")
    code, _, err = cli(capsys, "validate", str(file), "--run")
    assert code == 1
    assert "node 'g' ('g = log(x - y)'): log of a non-positive value" in err and str(file) in err
    code, _, err = cli(capsys, "trace", str(file))
    assert code == 1 and "log of a non-positive value" in err


def test_training_divergence_is_reported() -> None:
    # E = (w·x)² with η·2x² = 200: each step multiplies w by −199 until E overflows.
    sc = bpstep.loads('name = "d"\n[graph]\ninputs = { x = 10 }\nparameters = { w = 1 }\n'
                      'nodes = ["E = (w*x)**2"]\noutput = "E"\n[training]\nlearning_rate = 1\nepochs = 300\n')
    t = bpstep.trace(sc)
    assert t.status == "diverged" and "node 'E' ('E = (w*x)**2'): overflow" in t.message, t.message
    assert t.epochs_run > 50 and all(s.finite for s in t)


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_every_graph(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    sc = bpstep.load(path(name))
    report = check_gradients(sc, epoch=sc.training.epochs if sc.trains else 1)
    assert report.ok and len(report.checks) == len(sc.graph.nodes) + len(sc.graph.leaves)
    code, out, _ = cli(capsys, "gradcheck", path(name))
    assert code == 0 and "MISMATCH" not in out


def test_gradcheck_on_a_batch_and_a_missing_epoch(tmp_path: Path) -> None:
    sc = bpstep.loads('name = "b"\n[graph]\ninputs = ["x"]\nparameters = { w = 0.5 }\n'
                      'nodes = ["p = w*x", "E = (p - 1)**2"]\noutput = "E"\n[data]\nx = [1, 2, 3]\n'
                      '[training]\nlearning_rate = 0.1\nepochs = 2\n')
    report = check_gradients(sc, epoch=2)
    assert report.ok and report["dE/dx"].analytic.shape == (3,) and report["dE/dw"].analytic.shape == ()
    # Independent: at w = 0.5, dE/dw = mean of 2(w·x − 1)·x.
    want = np.mean([2 * (0.5 * x - 1) * x for x in (1, 2, 3)])
    assert bpstep.trace(sc).value("dE/dw") == pytest.approx(want, rel=1e-15)
    with pytest.raises(bpstep.BpstepError, match="no epoch 3"):
        check_gradients(sc, epoch=3)


def test_expect_names_are_checked_against_the_graph(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "e.toml"
    file.write_text('name = "e"\n[graph]\ninputs = { x = 1 }\nnodes = ["q = 2*x"]\noutput = "q"\n'
                    '[expect]\n"dq/dy" = 1\n', encoding="utf-8")
    code, _, err = cli(capsys, "validate", str(file))
    assert code == 2 and "expect.dq/dy" in err and "names no value" in err
    assert "names no value of this graph" in err
    file.write_text(file.read_text().replace('"dq/dy" = 1', '"dq/dx" = 3.0'), encoding="utf-8")
    code, _, err = cli(capsys, "trace", str(file))
    assert code == 1 and "dq/dx (epoch 1, batch 1): expected 3.0" in err


def test_pytest_plugin_runs_graph_scenarios(pytester: pytest.Pytester) -> None:
    for name in ("circuit", "fan-out"):
        text = (GRAPHS / f"{name}.toml").read_text(encoding="utf-8")
        pytester.path.joinpath(f"{name}.scenario.toml").write_text(text, encoding="utf-8")
    wrong = (GRAPHS / "circuit.toml").read_text(encoding="utf-8").replace('"df/dz" = 3', '"df/dz" = 4.0')
    pytester.path.joinpath("wrong.scenario.toml").write_text(wrong, encoding="utf-8")
    off = ("cacheprovider", "textual-snapshot", "asyncio", "hypothesispytest", "benchmark")
    result = pytester.runpytest(*(a for n in off for a in ("-p", f"no:{n}")), "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*df/dz (epoch 1, batch 1): expected 4.0*"])


pytest_plugins = ["pytester"]
