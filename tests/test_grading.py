"""The grading rule, error carried forward and the ``[grading]`` table.

Expected values come from ``hand_chain`` below: the exercise worked by hand the way the tutorial
does, every intermediate rounded to four decimals before it is used (plain Python floats, no
numpy, no bpstep). The rule's promises: the tutorial's own working is right, a wrong answer is
never right, more decimals never hurt.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import bpstep
from bpstep.answers import parse_answers
from bpstep.check import grade
from bpstep.cli import main
from bpstep.grading import Precision, judge
from bpstep.scenario import bundled_dir
from bpstep.scoring import score_sheet

EXERCISE = (bundled_dir() / "exercise.toml").read_text(encoding="utf-8")


def graded(extra: str) -> str:
    """The exercise with more keys in its [grading] table."""
    assert "\n[grading]\n" in EXERCISE
    return EXERCISE.replace("\n[grading]\n", f"\n[grading]\n{extra.strip()}\n", 1)


def r4(v: float) -> float:
    return round(v, 4)


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def hand_chain(h1: float | None = None, decimals: int | None = 4) -> dict[str, float]:
    """Every value of the exercise by its display name, each rounded (to ``decimals``) before it
    is used further. ``h1`` replaces the student's h1 (an early error carried forward)."""
    r = (lambda v: round(v, decimals)) if decimals is not None else (lambda v: v)
    x = [1, 4, 5]
    W1 = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
    W2 = [[0.7, 0.8], [0.9, 0.1]]
    t = [0.1, 0.05]
    v: dict[str, float] = {}
    zh = [r(sum(x[i] * W1[i][j] for i in range(3)) + 0.5) for j in range(2)]
    h = [r(sig(z)) for z in zh]
    if h1 is not None:
        h[0] = h1
    zo = [r(h[0] * W2[0][j] + h[1] * W2[1][j] + 0.5) for j in range(2)]
    o = [r(sig(z)) for z in zo]
    v["E"] = r(0.5 * sum((o[j] - t[j]) ** 2 for j in range(2)))
    do = [r(o[j] - t[j]) for j in range(2)]
    dzo = [r(do[j] * o[j] * (1 - o[j])) for j in range(2)]
    dh = [r(dzo[0] * W2[i][0] + dzo[1] * W2[i][1]) for i in range(2)]
    dzh = [r(dh[j] * h[j] * (1 - h[j])) for j in range(2)]
    for j in range(2):
        v[f"z_h{j + 1}"], v[f"h{j + 1}"], v[f"z_o{j + 1}"], v[f"o{j + 1}"] = zh[j], h[j], zo[j], o[j]
        v[f"dE/do{j + 1}"], v[f"dE/dz_o{j + 1}"] = do[j], dzo[j]
        v[f"dE/dh{j + 1}"], v[f"dE/dz_h{j + 1}"] = dh[j], dzh[j]
    # w1 … w6: W1 row by row (w1 = W1[0,0], w2 = W1[0,1], …); w7 … w10: W2
    for i in range(3):
        for j in range(2):
            n = 2 * i + j + 1
            g = r(x[i] * dzh[j])
            v[f"dE/dw{n}"], v[f"w{n}"] = g, r(W1[i][j] - 0.01 * g)
    for i in range(2):
        for j in range(2):
            n = 7 + 2 * i + j
            g = r(h[i] * dzo[j])
            v[f"dE/dw{n}"], v[f"w{n}"] = g, r(W2[i][j] - 0.01 * g)
    v["dE/db1"], v["dE/db2"] = r(dzh[0] + dzh[1]), r(dzo[0] + dzo[1])
    v["b1"], v["b2"] = r(0.5 - 0.01 * v["dE/db1"]), r(0.5 - 0.01 * v["dE/db2"])
    return v


@pytest.fixture(scope="module")
def exercise() -> bpstep.Trace:
    return bpstep.trace("exercise")


HAND = hand_chain()
EXACT = hand_chain(decimals=None)


def test_the_hand_chain_is_the_tutorials() -> None:
    # the tutorial's published values (all but its ∂E/∂b1 = 0.0008)
    assert (HAND["h1"], HAND["h2"], HAND["dE/dh1"], HAND["w7"]) == (0.9866, 0.995, 0.1502, 0.6992)
    assert HAND["dE/dz_h1"] == 0.002 and HAND["dE/db1"] == 0.0024


@pytest.mark.parametrize("name", sorted(HAND))
def test_every_value_of_a_four_decimal_hand_chain_is_right(exercise: bpstep.Trace, name: str) -> None:
    # Rounded intermediates move the later values (5 × 0.0020 = 0.0100 for ∂E/∂w5 = 0.00992):
    # each is still right, at four decimals and written with more.
    assert grade(exercise, name, f"{HAND[name]:.4f}").status == "right", (name, HAND[name], EXACT[name])
    assert grade(exercise, name, f"{HAND[name]:.6f}").status == "right"


@pytest.mark.parametrize("name", sorted(HAND))
def test_exact_values_rounded_any_way_are_right(exercise: bpstep.Trace, name: str) -> None:
    for places in (4, 5, 7, 12):
        assert grade(exercise, name, f"{EXACT[name]:.{places}f}").correct, (name, places)


@pytest.mark.parametrize("name", sorted(HAND))
def test_zeros_and_ones_are_never_right(exercise: bpstep.Trace, name: str) -> None:
    value = EXACT[name]
    for text in ("0", "1", "0.0", "1.0", "-1"):
        if abs(float(text) - value) > 1e-9:
            assert not grade(exercise, name, text).correct, (name, text)


@pytest.mark.parametrize("name", sorted(HAND))
def test_an_answer_a_few_units_off_is_wrong(exercise: bpstep.Trace, name: str) -> None:
    # 5% off (and at least 0.002) is beyond any honest rounding of this chain.
    value = EXACT[name]
    off = value + max(0.05 * abs(value), 0.002)
    assert grade(exercise, name, f"{off:.6f}").status == "wrong", name


def test_the_issues_cases(exercise: bpstep.Trace) -> None:
    assert grade(exercise, "o1", "0").status == "wrong"
    for text in ("0.8896", "0.890", "0.88955"):
        assert grade(exercise, "o1", text).status == "right", text
    assert grade(exercise, "dE/dz_h1", "0.001986").correct  # 0.0019839, from rounded intermediates
    r = grade(exercise, "o1", "0.89")
    assert r.status == "not enough precision" and "4 decimals or 3 significant figures" in r.message


def test_precision_from_the_scenario_and_the_command_line(exercise: bpstep.Trace, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    five = bpstep.trace(bpstep.loads(graded("decimals = 5\n")))
    assert grade(five, "o1", "0.8896").status == "not enough precision"
    assert grade(five, "o1", "0.88955").status == "right"
    assert grade(five, "o1", "0.88960").status == "wrong"  # 0.0000495 off: more than 0.000005 + slack
    sf = bpstep.trace(bpstep.loads(graded("significant = 3\n")))
    assert grade(sf, "dE/dw2", "0.0004").status == "not enough precision"  # 0.000404: one figure
    assert grade(sf, "dE/dw2", "0.000404").status == "right"
    assert grade(exercise, "o1", "0.8896", rule=Precision.parse("6")).status == "not enough precision"
    path = tmp_path / "a.toml"
    path.write_text("o1 = 0.8896\n", encoding="utf-8")
    assert main(["check", "exercise", str(path), "--require", "6"]) == 1
    assert main(["check", "exercise", str(path), "--require", "3sf"]) == 0
    assert main(["check", "exercise", str(path), "--require", "lots"]) == 2
    assert "precision must be like" in capsys.readouterr().err


def test_judge_alone() -> None:
    p = Precision(4, None)
    assert judge("0.1235", 0.12345, p).status == "right"
    assert judge("0.1236", 0.12345, p).status == "wrong"  # 0.00015 off, slack 0
    assert judge("0.1236", 0.12345, p, slack=0.0001).status == "right"
    assert judge("0.12", 0.12345, p).status == "not enough precision"
    assert judge("0.2", 0.12345, p).status == "wrong"
    assert judge("0.5", 0.5, p).status == "right"  # exactly the value, written short


# --- error carried forward ---------------------------------------------------------------------------

def test_carried_forward_on_a_file_with_one_early_error(exercise: bpstep.Trace) -> None:
    # The student's h1 is 0.9766 (a slip); everything after is their own correct working from it.
    own = hand_chain(h1=0.9766)
    lines = [f'"{n}" = {v:.4f}' for n, v in own.items()]
    sheet = score_sheet(exercise, parse_answers("\n".join(lines)), "student.toml")
    status = {m.question: m.status for m in sheet.marks}
    assert status["h1"] == "wrong" and sheet.first_wrong == "h1"
    assert status["z_h1"] == status["z_h2"] == status["h2"] == "right"  # before the slip
    # h1 feeds z_o1, z_o2, o1, o2, E, every delta after it and W2's gradients and updates
    assert all(status[n] in ("right", "consistent") for n in own if n != "h1")
    for name in ("z_o1", "o1", "E", "dE/do1", "dE/dz_o1", "dE/dz_h1", "dE/dw1", "dE/db1"):
        assert status[name] == "consistent", name
        mark = next(m for m in sheet.marks if m.question == name)
        assert "consistent with your earlier error in h1" in mark.feedback
        assert mark.points == 1.0 and mark.carried_expected is not None
    # values h1 does not reach stay plainly right
    assert status["dE/dw4"] in ("right", "consistent")
    assert sheet.points == sheet.total - 2 and status["loss"] == "unanswered"  # h1, and the epoch loss


def test_carried_forward_points_from_the_grading_table() -> None:
    trace = bpstep.trace(bpstep.loads(graded("carried_forward = 0.5\n")))
    own = hand_chain(h1=0.9766)
    sheet = score_sheet(trace, parse_answers(f'h1 = 0.9766\no1 = {own["o1"]:.4f}\n'), "s.toml")
    marks = {m.question: m for m in sheet.marks}
    assert marks["o1"].status == "consistent" and marks["o1"].points == 0.5


def test_a_wrong_answer_unrelated_to_the_earlier_error_is_wrong(exercise: bpstep.Trace) -> None:
    sheet = score_sheet(exercise, parse_answers("h1 = 0.9766\no1 = 0.7000\n"), "s.toml")
    assert {m.question: m.status for m in sheet.marks if m.result}["o1"] == "wrong"


# --- the [grading] table ----------------------------------------------------------------------------

def test_question_set_points_and_unanswered() -> None:
    text = graded('asked = ["h1", "o1", "dE/dw7"]\npoints = { "dE/dw7" = 2 }\n')
    trace = bpstep.trace(bpstep.loads(text))
    # h1 and Z2[0,0] are one question; w7 is outside the set: graded, worth nothing
    sheet = score_sheet(trace, parse_answers('h1 = 0.9866\n"Z2[0,0]" = 0.9866\nw7 = 0.6992\n'), "s.toml")
    assert (sheet.points, sheet.total) == (1.0, 4.0)
    assert [m.question for m in sheet.marks if m.asked] == ["h1", "o1", "dE/dw7"]
    skip = bpstep.trace(bpstep.loads(graded('asked = ["h1", "o1", "dE/dw7"]\nunanswered = "skip"')))
    sheet = score_sheet(skip, parse_answers("h1 = 0.9866\n"), "s.toml")
    assert (sheet.points, sheet.total) == (1.0, 1.0)


@pytest.mark.parametrize(("extra", "key", "message"), [
    ("decimals = -1", "grading.decimals", "from 0 to 12"),
    ("significant = 0", "grading.significant", "from 1 to 12"),
    ('asked = "h1"', "grading.asked", "non-empty list of names"),
    ("points = -1", "grading.points", "positive number"),
    ('points = { "dE/dw7" = "two" }', 'grading.points."dE/dw7"', "number of points"),
    ('unanswered = "ignore"', "grading.unanswered", "unknown value 'ignore'"),
    ("carried_forward = 2.0", "grading.carried_forward", "share from 0 to 1"),
    ("decimal = 4", "grading.decimal", "unknown key"),
])
def test_bad_grading_tables(extra: str, key: str, message: str) -> None:
    with pytest.raises(bpstep.ScenarioError) as info:
        bpstep.loads(graded(extra), source="ex.toml")
    text = str(info.value)
    assert f"ex.toml: {key}: " in text and message in text


def test_an_unknown_asked_name_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(graded('asked = ["h11"]\n'), encoding="utf-8")
    answers = tmp_path / "a.toml"
    answers.write_text("h1 = 0.9866\n", encoding="utf-8")
    assert main(["check", str(scenario), str(answers)]) == 2
    err = capsys.readouterr().err
    assert "grading.asked (h11)" in err and "did you mean 'h1'" in err and "Traceback" not in err


# --- malformed entries --------------------------------------------------------------------------------

def test_malformed_entries_are_reported_and_the_rest_graded(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.toml"
    path.write_text('h1 = 0.9866\n"dE/dw7" = "0,0765"\nh2 = "0.9950?"\nhh1 = 0.5\no1 = 0,8896\nw7 = 0.6992\n',
                    encoding="utf-8")
    code = main(["check", "exercise", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 2  # bad input, though the rest was graded
    import json

    doc = json.loads(out)
    assert {r["name"]: r["status"] for r in doc["results"]} == {"h1": "right", "w7": "right"}
    keys = {p["key"] for p in doc["problems"]}
    assert keys == {'"dE/dw7"', "h2", "hh1", "o1"}
    assert "a decimal point, not a comma" in err and "did you mean 'h1'" in err
