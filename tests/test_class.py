"""A whole class: ``bpstep check SCENARIO FOLDER`` with 40 files, three of them broken; the CSV
and Gradescope's results.json checked field by field."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bpstep.cli import main
from tests.test_grading import EXACT, hand_chain

NAMES = sorted(EXACT)


def student(k: int) -> str:
    """Student k: the first k % 7 answers wrong by 10% (the rest exact to 4 decimals), and student
    k leaves the last k % 5 names blank."""
    lines = []
    for i, name in enumerate(NAMES):
        if i >= len(NAMES) - k % 5:
            lines.append(f'"{name}" = ""')
        elif i < k % 7:
            lines.append(f'"{name}" = {EXACT[name] * 1.1 + 0.01:.4f}')
        else:
            lines.append(f'"{name}" = {EXACT[name]:.4f}')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("answers")
    for k in range(37):
        (folder / f"s{k:02d}.toml").write_text(student(k), encoding="utf-8")
    (folder / "s37.toml").write_text("[[[not toml\n", encoding="utf-8")  # broken: no usable line
    (folder / "s38.toml").write_bytes(b"\xff\xfe\x00garbage")  # broken: not text
    (folder / "s39.toml").write_text('h1 = ""\n', encoding="utf-8")  # broken: no answers
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def expected_points(k: int) -> int:
    # the loss (epoch level) is never answered; wrong ones score 0; blanks 0
    answered = len(NAMES) - k % 5
    return answered - min(k % 7, answered)


def test_a_class_of_forty(klass: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_csv, out_gs = tmp_path / "grades.csv", tmp_path / "results.json"
    code, out, err = run(capsys, "check", "exercise", str(klass), "--csv", str(out_csv),
                         "--gradescope", str(out_gs))
    assert code == 1, err  # some answers wrong, three files broken: rows, not a stop
    assert "Traceback" not in err
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert len(rows) == 40
    total = len(NAMES) + 1  # every askable value of epoch 1, batch 1, and the epoch's loss
    for k, row in enumerate(rows):
        assert row["file"] == str(klass / f"s{k:02d}.toml")
        if k >= 37:
            assert row["points"] == "0" and row["total"] == "" and row["error"], row
            continue
        assert row["error"] == "" and row["problems"] == ""
        assert float(row["total"]) == total
        assert float(row["points"]) == expected_points(k), k
        # the first wrong value in the order of the computation, when any is wrong
        assert bool(row["first_wrong"]) == (k % 7 > 0)
        for i, name in enumerate(NAMES):
            cell = row[name]
            if i >= len(NAMES) - k % 5:
                assert cell == "", (k, name)
            elif i < k % 7:
                assert cell == "0", (k, name)
            else:
                assert cell in ("1", "0"), (k, name)  # 0 only when consistent credit is off: not here
    assert "not valid TOML" in rows[37]["error"] or "is not a table header" in rows[37]["error"] \
        or "no answers" in rows[37]["error"]
    assert "UTF-8" in rows[38]["error"] or "text" in rows[38]["error"]
    assert "holds no answers" in rows[39]["error"]
    results = json.loads(out_gs.read_text(encoding="utf-8"))
    assert len(results) == 40
    one = results[str(klass / "s00.toml")]
    assert set(one) == {"score", "max_score", "output", "tests"}
    assert one["max_score"] == total and one["score"] == total - 1  # all right but the epoch loss, blank
    assert {t["name"] for t in one["tests"]} == set(NAMES) | {"loss"}
    for t in one["tests"]:
        assert set(t) == {"name", "score", "max_score", "status", "output"}
        assert t["max_score"] == 1.0
    broken = results[str(klass / "s38.toml")]
    assert broken["score"] == 0 and broken["tests"] == [] and "could not be graded" in broken["output"]


def test_one_submission_gives_one_results_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    own = hand_chain(h1=0.9766)
    path = tmp_path / "submission.toml"
    path.write_text("\n".join(f'"{n}" = {v:.4f}' for n, v in own.items()) + "\n", encoding="utf-8")
    out = tmp_path / "results.json"
    code, _, _ = run(capsys, "check", "exercise", str(path), "--gradescope", str(out))
    assert code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["max_score"] == len(NAMES) + 1 and doc["score"] == len(NAMES) - 1
    assert "first goes wrong at h1" in doc["output"]
    tests = {t["name"]: t for t in doc["tests"]}
    assert tests["h1"]["score"] == 0 and tests["h1"]["status"] == "failed"
    assert "consistent with your earlier error in h1" in tests["o1"]["output"] and tests["o1"]["score"] == 1
