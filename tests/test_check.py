"""``bpstep check``: answer files, the precision rule, every name form, convention hints, bad
files, the answer-sheet template and the JSON output.

Expected values come from the tutorial's text or from ``reference_run`` below, a separate
numpy implementation of the exercise's network (sigmoid layers, squared loss, plain SGD), never
from bpstep's own trace.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

import bpstep
from bpstep.check import AnswerError, Result, grade, parse_answers
from bpstep.cli import main
from bpstep.grading import Tolerance
from bpstep.scenario import bundled_names

DATA = Path(__file__).parent / "data"
TUTORIAL_ANSWERS = DATA / "tutorial_answers.toml"

EXERCISE_W = [np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]), np.array([[0.7, 0.8], [0.9, 0.1]])]
EXERCISE_X = np.array([[1.0, 4.0, 5.0]])
EXERCISE_T = np.array([[0.1, 0.05]])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def reference_run(W: list[np.ndarray], b: list, x: np.ndarray, t: np.ndarray, lr: float = 0.01,
                  epochs: int = 1, batch_size: int | None = None, loss: str = "half_sse",
                  ) -> dict[tuple[int, int], dict[str, np.ndarray]]:
    """Every value of a sigmoid MLP's run by trace name, per (epoch, batch). A bias given as a
    float is shared by its layer (its gradient sums over the units)."""
    W = [w.copy() for w in W]
    b = [np.array(v, dtype=float) for v in b]
    n = x.shape[0]
    bs = batch_size or n
    out: dict[tuple[int, int], dict[str, np.ndarray]] = {}
    for epoch in range(1, epochs + 1):
        for batch, start in enumerate(range(0, n, bs), start=1):
            X, T = x[start:start + bs], t[start:start + bs]
            rec: dict[str, np.ndarray] = {"Z0": X}
            a = X
            for k in range(len(W)):
                z = a @ W[k] + b[k]
                a = sigmoid(z)
                rec[f"Z{2 * k + 1}"], rec[f"Z{2 * k + 2}"] = z, a
            N = X.shape[0]
            c = {"half_sse": 1.0, "sse": 2.0, "mse": 2.0 / N, "half_mse": 1.0 / N}[loss]
            rec["E"] = np.array(c / 2 * np.sum((a - T) ** 2))
            d = c * (a - T)
            rec[f"delta{2 * len(W)}"] = d
            grads = {}
            for k in reversed(range(len(W))):
                act = rec[f"Z{2 * k + 2}"]
                d_lin = d * act * (1 - act)
                rec[f"delta{2 * k + 1}"] = d_lin
                grads[f"W{k + 1}"] = rec[f"Z{2 * k}"].T @ d_lin
                grads[f"b{k + 1}"] = d_lin.sum() if b[k].ndim == 0 else d_lin.sum(axis=0)
                if k > 0:
                    d = d_lin @ W[k].T
                    rec[f"delta{2 * k}"] = d
            for k in range(len(W)):
                W[k] = W[k] - lr * grads[f"W{k + 1}"]
                b[k] = b[k] - lr * grads[f"b{k + 1}"]
                rec[f"dE/dW{k + 1}"], rec[f"dE/db{k + 1}"] = grads[f"W{k + 1}"], grads[f"b{k + 1}"]
                rec[f"W{k + 1}"], rec[f"b{k + 1}"] = W[k].copy(), b[k].copy()
            out[(epoch, batch)] = rec
    return out


EX = reference_run(EXERCISE_W, [0.5, 0.5], EXERCISE_X, EXERCISE_T)[(1, 1)]

NAMES = """
[names]
x1 = "Z0[0,0]"
x2 = "Z0[0,1]"
x3 = "Z0[0,2]"
z_h1 = "Z1[0,0]"
z_h2 = "Z1[0,1]"
h1 = "Z2[0,0]"
h2 = "Z2[0,1]"
z_o1 = "Z3[0,0]"
z_o2 = "Z3[0,1]"
o1 = "Z4[0,0]"
o2 = "Z4[0,1]"
w1 = "W1[0,0]"
w7 = "W2[0,0]"
b1 = "b1"
"""


def scenario_file(tmp_path: Path, *, b1: str = "0.5", inputs: str = "[[1, 4, 5]]",
                  targets: str = "[[0.1, 0.05]]", loss: str = "half_sse", extra: str = "",
                  name: str = "variant") -> Path:
    """The exercise's network with some of its settings changed."""
    path = tmp_path / f"{name}.toml"
    names = NAMES.replace('b1 = "b1"', 'b1 = "b1[0]"') if b1.startswith("[") else NAMES
    path.write_text(f"""
name = "Exercise variant"
[network]
inputs = 3
layers = [{{ units = 2, activation = "sigmoid" }}, {{ units = 2, activation = "sigmoid" }}]
loss = "{loss}"
[parameters]
W1 = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
b1 = {b1}
W2 = [[0.7, 0.8], [0.9, 0.1]]
b2 = 0.5
[data]
inputs = {inputs}
targets = {targets}
[training]
learning_rate = 0.01
{extra}
{names}
""", encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, name: str = "answers.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def exercise() -> bpstep.Trace:
    return bpstep.trace("exercise")


# --- the tutorial's own answers ------------------------------------------------------------------

def test_tutorial_answers_file_holds_the_36_written_answers() -> None:
    answers = parse_answers(TUTORIAL_ANSWERS.read_text(encoding="utf-8"))
    assert len(answers) == 36
    by_name = {a.name: a.text for a in answers}
    # the written decimals survive: 0.0020 is four decimals, not the float 0.002
    assert by_name["dE/dw1"] == "0.0020" and by_name["h2"] == "0.9950" and by_name["z_h1"] == "4.3"


def test_tutorial_answers_mark_exactly_db1_wrong_and_explain_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "check", "exercise", str(TUTORIAL_ANSWERS), "--json")
    assert code == 1, err
    results = json.loads(out)["results"]
    assert len(results) == 36
    wrong = [r for r in results if r["status"] == "wrong"]
    assert [r["name"] for r in wrong] == ["dE/db1"]
    # The tutorial writes w1 = 0.1 for 0.09998: too few figures at 4 decimals or 3 significant
    # figures (0.1000 or 0.100), so "not enough precision", not right.
    short = [r["name"] for r in results if r["status"] == "not enough precision"]
    assert short == ["w1", "w2", "w4", "w6", "b1"]
    assert [r["name"] for r in results if r["correct"]] == [r["name"] for r in results
                                                            if r["name"] not in short + ["dE/db1"]]
    r = wrong[0]
    dzh1, dzh2 = EX["delta1"][0]
    assert r["answer"] == 0.0008 and r["answer_text"] == "0.0008"
    assert r["expected"] == pytest.approx(dzh1 + dzh2, abs=1e-15)  # 0.0023882…
    assert r["formula"] == "∂E/∂b1 = ∂E/∂z_h1 + ∂E/∂z_h2 = 0.001984 + 0.0004043 = 0.0024"
    hint = " ".join(r["hints"])
    assert "Shared bias" in hint and "sum of both hidden units' terms" in hint
    # 0.0008 is the tutorial's own expression: each hidden unit followed only to its own output
    # (w7 for h1, w10 for h2); independently: 0.000717199 + 0.0000592482 = 0.000776447
    dzo1, dzo2 = EX["delta3"][0]
    (h1, h2) = EX["Z2"][0]
    own_path = dzo1 * 0.7 * h1 * (1 - h1) + dzo2 * 0.1 * h2 * (1 - h2)
    assert round(own_path, 4) == 0.0008
    assert f"= {own_path:.7f}" in hint  # 0.0007764
    assert "∂E/∂o1·∂o1/∂h1·∂h1/∂z_h1 + ∂E/∂o2·∂o2/∂h2·∂h2/∂z_h2" in hint
    assert "w7 and w10" in hint and "w8 and w9" in hint


def test_tutorial_answers_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "check", "exercise", str(TUTORIAL_ANSWERS))
    assert code == 1
    assert "30 of 42 points" in " ".join(out.split())  # 30 right; 5 short, 1 wrong, E, loss and 4 δ blank
    assert out.count("✗ wrong") == 1 and out.count("✓ right") == 30 and out.count("… imprecise") == 5
    flat = " ".join(out.split())
    assert "hint:" in flat and "Shared bias" in flat


def test_all_right_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = TUTORIAL_ANSWERS.read_text(encoding="utf-8").replace('"dE/db1" = 0.0008', '"dE/db1" = 0.0024')
    for short, full in (("w1 = 0.1", "w1 = 0.1000"), ("w2 = 0.2", "w2 = 0.2000"), ("w4 = 0.4", "w4 = 0.4000"),
                        ("w6 = 0.6", "w6 = 0.6000"), ("b1 = 0.5", "b1 = 0.5000")):
        text = text.replace(short + "\n", full + "\n")
    code, out, _ = run_cli(capsys, "check", "exercise", str(write(tmp_path, text)))
    assert code == 0, out
    assert "36 of 42 points" in " ".join(out.split())


# --- the precision rule ---------------------------------------------------------------------------
# The default: at least 4 decimals or 3 significant figures (whichever is fewer digits for the
# value), right within half a unit of that plus what rounding the intermediates can carry.

@pytest.mark.parametrize(("name", "answer", "status"), [
    ("o1", "0", "wrong"),                       # 0.889551: the template of zeros scores nothing
    ("o1", "1", "not enough precision"),        # right at its own figure, but too few figures
    ("o1", "0.89", "not enough precision"),
    ("o1", "0.8896", "right"),
    ("o1", "0.890", "right"),                   # three significant figures
    ("o1", "0.88955", "right"),                 # more decimals are never punished
    ("o1", "0.889551234", "right"),
    ("o1", "0.8870", "wrong"),                  # 0.0026 off: more than 0.0005 + the chain's slack
    ("dE/dw1", "0.0020", "right"),              # 0.0019839, the tutorial's answer
    ("dE/dw1", "0.002", "not enough precision"),
    ("dE/dw1", "0.00198", "right"),
    ("dE/dw1", "0.001986", "right"),            # what rounded intermediates give
    ("dE/dw1", "0.0030", "wrong"),
    ("dE/db1", "0.0024", "right"),
    ("dE/db1", "0.0008", "wrong"),
    ("h1", "0.9866", "right"),
    ("h1", "0.9800", "wrong"),
    ("z_h1", "4.3", "right"),                   # exactly the value: short is fine
    ("z_h1", "4.30000000", "right"),
    ("z_h1", "4", "not enough precision"),
    ("E", "0.5932", "right"),
    ("E", "5.932e-1", "right"),                 # four decimals in the mantissa, exponent −1: five in all
    ("E", "+0.5932", "right"),
    ("E", "-0.5932", "wrong"),
])
def test_precision_rule(exercise: bpstep.Trace, name: str, answer: str, status: str) -> None:
    r = grade(exercise, name, answer)
    assert r.status == status and r.correct is (status == "right")


def test_allowed_error_is_half_a_unit_plus_the_chain(exercise: bpstep.Trace) -> None:
    # z_h1 = 4.3 comes straight from given numbers: half a unit of its 3rd significant figure.
    assert grade(exercise, "z_h1", "4.300").allowed_error == pytest.approx(0.005)
    # h1 follows from a rounded z_h1: a little more than half a unit of 0.987
    assert 0.0005 < grade(exercise, "h1", "0.9866").allowed_error < 0.0006
    # under a tolerance there is no precision bound
    assert grade(exercise, "h1", "0.98", tolerance=Tolerance.parse("1%")).allowed_error is None


def test_tolerance_absolute_and_relative(exercise: bpstep.Trace) -> None:
    assert grade(exercise, "dE/db1", "0.0020", tolerance=Tolerance.parse("1e-3")).correct
    assert not grade(exercise, "dE/db1", "0.0020", tolerance=Tolerance.parse("1e-4")).correct
    # 0.98 is 0.67% below h1 = 0.98661; 0.97 is 1.7% below
    assert grade(exercise, "h1", "0.98", tolerance=Tolerance.parse("1%")).correct
    assert not grade(exercise, "h1", "0.97", tolerance=Tolerance.parse("rel:0.01")).correct
    # a tolerance replaces the written precision: many decimals, still right
    assert grade(exercise, "h1", "0.986000000", tolerance=Tolerance.parse("abs:0.001")).correct
    assert grade(exercise, "h1", "0.98", tolerance=Tolerance.parse("1%")).allowed_error is None


def test_tolerance_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '"dE/db1" = 0.0020\n')
    assert run_cli(capsys, "check", "exercise", str(path))[0] == 1
    code, out, _ = run_cli(capsys, "check", "exercise", str(path), "--tolerance", "5e-4")
    assert code == 0 and "±0.0005" in out
    assert run_cli(capsys, "check", "exercise", str(path), "--tolerance", "20%")[0] == 0
    assert run_cli(capsys, "check", "exercise", str(path), "--tolerance", "10%")[0] == 1
    code, _, err = run_cli(capsys, "check", "exercise", str(path), "--tolerance", "lots")
    assert code == 2 and "tolerance must be like" in err and "Traceback" not in err


# --- names -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "ref", "value"), [
    ("h1", "Z2[0,0]", EX["Z2"][0, 0]),                      # display name: a forward value
    ("z_o2", "Z3[0,1]", EX["Z3"][0, 1]),
    ("dE/dh1", "delta2[0,0]", EX["delta2"][0, 0]),          # its delta
    ("dE/dz_h2", "delta1[0,1]", EX["delta1"][0, 1]),
    ("dE/do1", "delta4[0,0]", EX["delta4"][0, 0]),          # the output delta: o1 − t1
    ("w7", "W2[0,0]", EX["W2"][0, 0]),                      # a parameter: after the update
    ("dE/dw7", "dE/dW2[0,0]", EX["dE/dW2"][0, 0]),          # its gradient
    ("w10", "W2[1,1]", EX["W2"][1, 1]),
    ("dE/dw10", "dE/dW2[1,1]", EX["dE/dW2"][1, 1]),
    ("b1", "b1", EX["b1"]),
    ("E", "E", EX["E"]),                                    # trace names
    ("Z2[0,1]", "Z2[0,1]", EX["Z2"][0, 1]),
    ("delta3[0,0]", "delta3[0,0]", EX["delta3"][0, 0]),
    ("dE/dW2[0,0]", "dE/dW2[0,0]", EX["dE/dW2"][0, 0]),
    ("W2[0,0]", "W2[0,0]", EX["W2"][0, 0]),
    ("W1[2,1]", "W1[2,1]", EX["W1"][2, 1]),
    ("dE/db2", "dE/db2", EX["dE/db2"]),
    (" Z4[0, 1] ", "Z4[0,1]", EX["Z4"][0, 1]),              # spaces are fine
])
def test_every_name_form(exercise: bpstep.Trace, name: str, ref: str, value: float) -> None:
    result = grade(exercise, name, f"{float(value):.9f}")
    assert result.ref == ref
    assert result.expected == pytest.approx(float(value), abs=1e-14)
    assert result.correct


def test_update_values_are_after_the_update(exercise: bpstep.Trace) -> None:
    # the tutorial: w7 := 0.7 − 0.01·0.0765 = 0.6992
    assert grade(exercise, "w7", "0.6992").correct
    assert not grade(exercise, "w7", "0.7000").correct


def test_epoch_and_batch_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = scenario_file(tmp_path, inputs="[[1, 4, 5], [2, 1, 0]]", targets="[[0.1, 0.05], [0.9, 0.2]]",
                       extra="epochs = 2\nbatch_size = 1")
    ref = reference_run(EXERCISE_W, [0.5, 0.5], np.array([[1.0, 4, 5], [2, 1, 0]]),
                        np.array([[0.1, 0.05], [0.9, 0.2]]), epochs=2, batch_size=1)
    text = "\n".join([
        f"h1 = {ref[(1, 1)]['Z2'][0, 0]:.8f}",
        "[batch.2]",
        f"h1 = {ref[(1, 2)]['Z2'][0, 0]:.8f}",
        f'"dE/dw7" = {ref[(1, 2)]["dE/dW2"][0, 0]:.8f}',
        "[epoch.2]",
        f"E = {ref[(2, 1)]['E']:.8f}",
        f"w7 = {ref[(2, 1)]['W2'][0, 0]:.8f}",
        "[epoch.2.batch.2]",
        f'"delta1[0,1]" = {ref[(2, 2)]["delta1"][0, 1]:.8f}',
        f"b1 = {ref[(2, 2)]['b1']:.8f}",
    ]) + "\n"
    code, out, err = run_cli(capsys, "check", str(sc), str(write(tmp_path, text)), "--json")
    assert code == 0, out + err
    got = [(r["name"], r["epoch"], r["batch"]) for r in json.loads(out)["results"]]
    assert got == [("h1", 1, 1), ("h1", 1, 2), ("dE/dw7", 1, 2), ("E", 2, 1), ("w7", 2, 1),
                   ("delta1[0,1]", 2, 2), ("b1", 2, 2)]
    # the same number in the wrong table is wrong: the tables really address later steps
    moved = f'"dE/dw7" = {ref[(1, 2)]["dE/dW2"][0, 0]:.8f}\n'
    assert run_cli(capsys, "check", str(sc), str(write(tmp_path, moved, "moved.toml")))[0] == 1


# --- convention hints -------------------------------------------------------------------------------

def hints(trace: bpstep.Trace, name: str, answer: str) -> str:
    result = grade(trace, name, answer)
    assert not result.correct
    return " | ".join(result.hints)


def test_hint_factor_two_from_half_sse(exercise: bpstep.Trace) -> None:
    doubled = 2 * EX["dE/dW2"][0, 0]  # 0.15307: the gradient of E = Σ(o − t)²
    assert "factor of 2" in hints(exercise, "dE/dw7", f"{doubled:.4f}")
    assert "factor of 2" in hints(exercise, "dE/do1", f"{2 * EX['delta4'][0, 0]:.4f}")
    assert "factor of 2" in hints(exercise, "E", f"{2 * EX['E']:.4f}")
    # the update made with the doubled gradient: 0.7 − 0.01·0.15307
    assert "factor of 2" in hints(exercise, "w7", f"{0.7 - 0.01 * doubled:.6f}")


def test_hint_factor_half_from_sse(tmp_path: Path) -> None:
    trace = bpstep.trace(bpstep.load(scenario_file(tmp_path, loss="sse")))
    ref = reference_run(EXERCISE_W, [0.5, 0.5], EXERCISE_X, EXERCISE_T, loss="sse")[(1, 1)]
    text = hints(trace, "dE/dw7", f"{ref['dE/dW2'][0, 0] / 2:.4f}")
    assert "factor of ½" in text and "E = ½Σ(o − t)²" in text


def test_hint_mean_versus_sum(tmp_path: Path) -> None:
    sc = scenario_file(tmp_path, loss="mse", inputs="[[1, 4, 5], [2, 1, 0]]",
                       targets="[[0.1, 0.05], [0.9, 0.2]]")
    ref = reference_run(EXERCISE_W, [0.5, 0.5], np.array([[1.0, 4, 5], [2, 1, 0]]),
                        np.array([[0.1, 0.05], [0.9, 0.2]]), loss="mse")[(1, 1)]
    trace = bpstep.trace(bpstep.load(sc))
    assert grade(trace, "dE/dw7", f"{ref['dE/dW2'][0, 0]:.6f}").correct
    assert "factor of 2 (the batch size)" in hints(trace, "dE/dw7", f"{2 * ref['dE/dW2'][0, 0]:.6f}")


def test_hint_per_unit_term_of_a_shared_bias(exercise: bpstep.Trace) -> None:
    dzh1 = EX["delta1"][0, 0]  # 0.0019839: z_h1's term alone
    text = hints(exercise, "dE/db1", f"{dzh1:.5f}")
    assert "z_h1's term alone" in text and "Shared bias" in text
    assert "z_h2's term alone" in hints(exercise, "dE/db1", f"{EX['delta1'][0, 1]:.6f}")


def test_hint_shared_bias_sum_where_each_unit_has_its_own(tmp_path: Path) -> None:
    trace = bpstep.trace(bpstep.load(scenario_file(tmp_path, b1="[0.5, 0.5]")))
    ref = reference_run(EXERCISE_W, [np.array([0.5, 0.5]), 0.5], EXERCISE_X, EXERCISE_T)[(1, 1)]
    assert grade(trace, "dE/db1[0]", f"{ref['dE/db1'][0]:.5f}").correct
    text = hints(trace, "dE/db1[0]", f"{ref['delta1'].sum():.5f}")  # 0.00239: both units' terms
    assert "each unit its own bias" in text


def test_hint_sign_error(exercise: bpstep.Trace) -> None:
    assert "sign error" in hints(exercise, "dE/dw7", "-0.0765")
    assert "sign error" in hints(exercise, "z_h1", "-4.3")


def test_hint_value_before_the_update(exercise: bpstep.Trace) -> None:
    assert "before the update" in hints(exercise, "w7", "0.7000")
    assert "the gradient" in hints(exercise, "w7", "0.0765")
    # w7 + η·∂E/∂w7 = 0.700765: stepped with the gradient instead of against it
    assert "wrong way" in hints(exercise, "w7", f"{0.7 + 0.01 * EX['dE/dW2'][0, 0]:.6f}")


def test_hint_derivative_at_the_pre_activation(exercise: bpstep.Trace) -> None:
    z = EX["Z1"][0, 0]  # 4.3: z(1 − z) = −14.19 instead of h1(1 − h1)
    wrong = EX["delta2"][0, 0] * z * (1 - z)
    assert "pre-activation" in hints(exercise, "dE/dz_h1", f"{wrong:.4f}")
    # … carried into the gradient of w1 (x1 = 1) and of the shared b1 (both units)
    assert "pre-activation" in hints(exercise, "dE/dw1", f"{wrong * 1:.4f}")
    z2 = EX["Z1"][0, 1]
    both = wrong + EX["delta2"][0, 1] * z2 * (1 - z2)
    assert "pre-activation" in hints(exercise, "dE/db1", f"{both:.4f}")


def test_hint_missing_activation_derivative_and_pre_activation_value(exercise: bpstep.Trace) -> None:
    assert "derivative is missing" in hints(exercise, "dE/dz_o1", f"{EX['delta4'][0, 0]:.4f}")
    assert "before the activation" in hints(exercise, "h1", "4.3")


def test_no_hint_for_a_plain_mistake(exercise: bpstep.Trace) -> None:
    assert grade(exercise, "h1", "0.5").hints == ()
    assert grade(exercise, "dE/dw7", "0.0600").hints == ()


# --- bad files ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "key", "expect"), [
    ("h1 = = 3\n", "", "is not valid TOML"),
    ("dE/dw7 = 0.0765\n", "", 'need quotes: "dE/dw7"'),
    ("hh1 = 0.9866\n", "hh1", "did you mean 'h1'?"),
    ("w77 = 0.7\n", "w77", "did you mean 'w7'?"),
    ('"dE/dw77" = 0.07\n', '"dE/dw77"', "did you mean 'dE/dw7'?"),
    ('"Z9[0,0]" = 1\n', '"Z9[0,0]"', "unknown name 'Z9[0,0]'"),
    ('"Z2[0,5]" = 1\n', '"Z2[0,5]"', "element [0, 5] is outside Z2"),
    ("Z2 = 1\n", "Z2", 'name one element, like "Z2[0,0]"'),
    ('h1 = "abc"\n', "h1", 'expected a number (like 0.0765) or "" for no answer'),
    ("h1 = true\n", "h1", "got a boolean"),
    ("h1 = [0.98, 0.99]\n", "h1", "one number per name"),
    ("h1 = nan\n", "h1", "expected a finite number"),
    ("[epoch.two]\nh1 = 0.9\n", "epoch.two", "expected an epoch number (a whole number from 1)"),
    ("[epoch.0]\nh1 = 0.9\n", "epoch.0", "a whole number from 1"),
    ("[epoch.5]\nh1 = 0.9\n", "epoch.5.h1", "epoch 5 is beyond this run, which has 1 epoch"),
    ("[batch.3]\nh1 = 0.9\n", "batch.3.h1", "no value for 'h1' at epoch 1, batch 3 (epoch 1 has 1 batch)"),
    ("epoch = 2\n", "epoch", "must be a table like [epoch.2]"),
    ("[epoch.1.foo]\nh1 = 0.9\n", "epoch.1.foo", "unexpected table"),
    ("[things]\nh1 = 0.9\n", "things", "unexpected table"),
    ("[epoch]\n1 = { h1 = 0.9 }\n", "epoch.1.h1", "on its own line"),
    ('h1 = ""\n', "", "holds no answers"),
])
def test_bad_answer_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str,
                          expect: str) -> None:
    path = write(tmp_path, text)
    code, out, err = run_cli(capsys, "check", "exercise", str(path))
    assert code == 2
    assert out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"bpstep: {path}: ")
    if key:
        assert f"{path}: {key}: " in err
    assert expect in err


def test_missing_answer_file_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "check", "exercise", str(tmp_path / "nope.toml"))
    assert code == 2 and "nope.toml: no such file" in err
    code, _, err = run_cli(capsys, "check", "exercise")
    assert code == 2 and "give either ANSWERS files or --template" in err
    code, _, err = run_cli(capsys, "check", "exercise", str(TUTORIAL_ANSWERS), "--precision", "40")
    assert code == 2 and "--precision" in err


def test_grade_errors_are_answer_errors(exercise: bpstep.Trace) -> None:
    with pytest.raises(AnswerError, match="did you mean 'h1'"):
        grade(exercise, "hh1", "0.5")
    with pytest.raises(AnswerError, match="expected a number"):
        grade(exercise, "h1", "zero point five")


# --- the template -------------------------------------------------------------------------------------

def test_template_parses_and_lists_display_names_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "check", "exercise", "--template")
    assert code == 0
    doc = tomllib.loads(out)
    assert set(doc.values()) == {""}
    keys = list(doc)
    for name in ("z_h1", "h1", "o2", "dE/do1", "dE/dh1", "dE/dz_h1", "dE/dw7", "dE/db1", "w7", "b2"):
        assert name in keys
    assert "E" in keys and keys.index("w10") < keys.index("E")
    # one name per value: a value with a display name is not listed again by its trace name
    for name in ("Z1[0,0]", "delta4[0,1]", "dE/dW2[1,1]", "W1[2,1]"):
        assert name not in keys
    assert "Z0[0,0]" not in keys and "x1" not in keys  # the inputs are given, not asked


def test_template_round_trip_with_independent_values(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, sheet, _ = run_cli(capsys, "check", "exercise", "--template")
    assert code == 0
    exercise = bpstep.trace("exercise")

    def fill(match: re.Match[str]) -> str:
        key = json.loads(match.group(1)) if match.group(1).startswith('"') else match.group(1)
        ref = exercise.resolve(key)
        name = "E" if ref.name == "loss" else ref.name  # one batch: the epoch loss is its E
        value = EX[name][ref.index] if ref.index else EX[name]
        return f"{match.group(1)} = {float(value):.10f}"

    filled = re.sub(r'^("[^"]*"|[\w-]+) = ""', fill, sheet, flags=re.MULTILINE)
    assert '= ""' not in filled
    code, out, err = run_cli(capsys, "check", "exercise", str(write(tmp_path, filled)), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["results"]) == len(tomllib.loads(sheet)) and doc["wrong"] == 0


@pytest.mark.parametrize("name", bundled_names())
def test_template_round_trip_for_every_bundled_scenario(name: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # A consistency check of the sheet and the checker (the exercise above checks the values).
    code, sheet, _ = run_cli(capsys, "check", name, "--template")
    assert code == 0
    assert set(tomllib.loads(sheet).values()) <= {""}
    trace = bpstep.trace(name)

    def fill(match: re.Match[str]) -> str:
        key = json.loads(match.group(1)) if match.group(1).startswith('"') else match.group(1)
        return f"{match.group(1)} = {trace.value(key)!r}"

    filled = re.sub(r'^("[^"]*"|[\w-]+) = ""', fill, sheet, flags=re.MULTILINE)
    code, out, err = run_cli(capsys, "check", name, str(write(tmp_path, filled)), "--json")
    assert code == 0, err
    assert json.loads(out)["wrong"] == 0


def test_partly_filled_sheet_lists_the_blanks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, 'h1 = 0.9866\nh2 = ""\n"dE/dw7" = "0.0765"\n')  # a quoted number counts
    code, out, _ = run_cli(capsys, "check", "exercise", str(path), "--json")
    assert code == 0
    doc = json.loads(out)
    assert [r["name"] for r in doc["results"]] == ["h1", "dE/dw7"]
    assert doc["results"][1]["answer_text"] == "0.0765"
    assert "h2" in doc["unanswered"] and "h1" not in doc["unanswered"] and len(doc["unanswered"]) == 40
    code, out, _ = run_cli(capsys, "check", "exercise", str(path))
    assert "Not answered: z_h1, z_h2, h2," in out


# --- JSON -----------------------------------------------------------------------------------------------

def test_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "check", "exercise", str(TUTORIAL_ANSWERS), "--json")
    assert code == 1
    doc = json.loads(out)
    assert set(doc) >= {"results", "right", "wrong", "unanswered", "scenario"}
    assert doc["right"] == 30 and doc["wrong"] == 6  # dE/db1 wrong, five too short
    for r in doc["results"]:
        assert set(r) >= {"name", "answer", "expected", "correct", "answer_text", "ref", "epoch", "batch",
                          "allowed_error", "formula", "hints"}
        assert isinstance(r["answer"], float | int) and isinstance(r["expected"], float)
        assert isinstance(r["correct"], bool) and isinstance(r["hints"], list)
    h1 = next(r for r in doc["results"] if r["name"] == "h1")
    assert h1 == h1 | {"answer": 0.9866, "answer_text": "0.9866", "ref": "Z2[0,0]", "correct": True,
                       "epoch": 1, "batch": 1}
    assert h1["expected"] == pytest.approx(EX["Z2"][0, 0], abs=1e-15)


def test_grade_is_the_quiz_entry_point(exercise: bpstep.Trace) -> None:
    result = grade(exercise, "h1", "0.9866")
    assert isinstance(result, Result) and result.correct
    assert result.formula == "h1 = σ(z_h1) = σ(4.3) = 0.9866"
    wrong = grade(exercise, "dE/dw7", "0.1531", precision=6)
    assert not wrong.correct and wrong.formula.endswith("= 0.076535")


def test_readme_example_answer_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Checking answers and exporting solutions"):]
    example = re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)
    code, out, err = run_cli(capsys, "check", "exercise", str(write(tmp_path, example)), "--epochs", "2",
                             "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["right"] == 6 and doc["wrong"] == 0 and "dE/db1" in doc["unanswered"]


def test_answer_names_cover_a_step_for_the_quiz(exercise: bpstep.Trace) -> None:
    from bpstep.check import answer_names

    assert answer_names(exercise, exercise.step("Z2")) == ["h1", "h2"]
    assert answer_names(exercise, exercise.step("dE/dW2")) == ["dE/dw7", "dE/dw8", "dE/dw9", "dE/dw10"]
    assert answer_names(exercise, exercise.step("E")) == ["E"]
    for name, value in zip(answer_names(exercise, exercise.step("delta1")), EX["delta1"][0], strict=True):
        assert grade(exercise, name, f"{value:.8f}").correct


def test_shared_bias_wrong_answer_always_explains_the_sum(exercise: bpstep.Trace) -> None:
    text = hints(exercise, "dE/db1", "0.0100")  # matches no convention
    assert text.startswith("Shared bias: b1 is one bias shared by both hidden units")


def test_check_and_export_do_not_import_rich_or_textual() -> None:
    import subprocess
    import sys

    code = ("import sys, bpstep.check, bpstep.export; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('rich', 'textual')]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- the conventions of issue 16 and bpstep.diagnose -----------------------------------------------

def test_hint_learning_rate_left_out(exercise: bpstep.Trace) -> None:
    w7 = 0.7 - EX["dE/dW2"][0, 0]  # 0.623465: w7 − ∂E/∂w7, no η
    assert "learning rate is missing" in hints(exercise, "w7", f"{w7:.4f}")


def test_hint_transposed_index(exercise: bpstep.Trace) -> None:
    assert "indices are swapped" in hints(exercise, "dE/dw8", f"{EX['dE/dW2'][1, 0]:.4f}")  # ∂E/∂w9's


def test_hint_updated_weights_for_the_hidden_deltas(tmp_path: Path) -> None:
    # η = 5 makes the updated W2 differ enough to show (Mazur's warning)
    path = scenario_file(tmp_path, name="fast")
    path.write_text(path.read_text(encoding="utf-8").replace("learning_rate = 0.01", "learning_rate = 5"),
                    encoding="utf-8")
    trace = bpstep.trace(bpstep.load(path))
    W = [w.copy() for w in EXERCISE_W]
    ref = reference_run(W, [0.5, 0.5], EXERCISE_X, EXERCISE_T, lr=5.0)[(1, 1)]
    wrong = (ref["delta3"] @ ref["W2"].T)[0, 0]  # the updated W2 in place of the forward pass's
    assert "updated weights" in hints(trace, "dE/dh1", f"{wrong:.4f}")


def test_hint_factor_n_for_cross_entropy(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, loss="bce", inputs="[[1, 4, 5], [2, 1, 0]]", targets="[[1, 0], [0, 1]]",
                         name="bce")
    trace = bpstep.trace(bpstep.load(path))
    assert "factor of 2 (the batch size)" in hints(trace, "dE/dw7", f"{2 * trace.value('dE/dw7'):.5f}")


def test_diagnose_finds_the_first_disagreement(exercise: bpstep.Trace) -> None:
    mine = {k: EX[k] for k in ("Z1", "Z2", "Z3", "Z4", "delta4", "delta3", "dE/dW2")}
    assert bpstep.diagnose(exercise, mine) is None
    mine["delta2"] = EX["delta3"] @ EX["W2"].T  # the updated W2: Mazur's slip
    mine["delta1"] = mine["delta2"] * EX["Z2"] * (1 - EX["Z2"])  # follows from it
    d = bpstep.diagnose(exercise, mine)
    assert d is not None and d.step == "delta2" and d.element in ((0, 0), (0, 1))
    assert d.expected == pytest.approx(EX["delta2"][d.element], abs=1e-15)
    assert any("updated weights" in c for c in d.conventions)
    swapped = bpstep.diagnose(exercise, {"dE/dw8": EX["dE/dW2"][1, 0]})
    assert swapped is not None and swapped.conventions[0].startswith("that is dE/dw9")
    with pytest.raises(KeyError, match="not a step or display name"):
        bpstep.diagnose(exercise, {"nope": 1.0})
