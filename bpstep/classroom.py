"""A whole class: grade many answer files against one scenario (and its variants), and write
the results as CSV (one row per student) or as Gradescope's autograder ``results.json``.

A file that cannot be graded at all (not TOML, unreadable, a variant the scenario cannot make)
is a row with its error and zero points, never a stop. Gradescope's format
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): ``{"score", "max_score",
"output", "tests": [{"name", "score", "max_score", "output", "status"}]}``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpstep import files
from bpstep.answers import AnswerError, answer_variant, parse_answers
from bpstep.errors import BpstepError
from bpstep.grading import Precision, Tolerance
from bpstep.scoring import Sheet, questions, score_sheet
from bpstep.tracing.trace import Trace


@dataclass(frozen=True)
class Row:
    """One student's file: its scored sheet, or the error that stopped it being graded."""

    path: str
    sheet: Sheet | None
    error: str = ""


def answer_files(paths: Iterable[str]) -> list[Path]:
    """The files named, a folder's ``*.toml`` files (sorted) in place of the folder."""
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted(p.glob("*.toml")) if p.is_dir() else [p]
    return out


def grade_file(path: str | Path, trace_for: Callable[[int | None], Trace], tolerance: Tolerance | None = None,
               precision: int = 4, rule: Precision | None = None) -> Row:
    """Grade one file; ``trace_for(variant)`` gives the run to grade against (the variant the file
    names with ``variant = N``, or the scenario's own for None)."""
    source = str(path)
    try:
        text = files.read_text(path, "answers", lambda m: AnswerError(source, "", m), "a TOML answer file")
        problems: list[AnswerError] = []
        answers = parse_answers(text, source, problems)
        variant = answer_variant(text)
        trace = trace_for(variant)
        if not any(a.text is not None for a in answers):  # nothing to grade: the file is broken
            if problems:
                more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
                raise AnswerError(problems[0].source, problems[0].key, problems[0].message + more)
            raise AnswerError(source, "", 'holds no answers (every name is blank); write numbers in '
                                          'place of "" first')
        sheet = score_sheet(trace, answers, source, problems, tolerance, precision, rule, variant)
    except BpstepError as exc:
        return Row(source, None, str(exc))
    return Row(source, sheet)


def question_labels(trace: Trace) -> list[str]:
    return [q.label for q in questions(trace, getattr(trace.scenario, "grading", None))]


def to_csv(rows: list[Row], labels: list[str]) -> str:
    """One row per student: file, points, total, first wrong value, error, then each question's
    points (blank: not answered; the header names each question)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["file", "points", "total", "first_wrong", "problems", "error", *labels])
    for row in rows:
        if row.sheet is None:
            w.writerow([row.path, 0, "", "", "", row.error, *([""] * len(labels))])
            continue
        s = row.sheet
        by_label = {m.question: m for m in s.marks}
        cells = [_num(by_label[q].points) if q in by_label and by_label[q].status != "unanswered" else ""
                 for q in labels]
        w.writerow([row.path, _num(s.points), _num(s.total), s.first_wrong,
                    "; ".join(f"{p.key}: {p.message}" for p in s.problems), "", *cells])
    return out.getvalue()


def to_gradescope(row: Row, labels: list[str]) -> dict[str, Any]:
    """Gradescope's results.json for one submission."""
    if row.sheet is None:
        return {"score": 0, "output": f"Your answer file could not be graded: {row.error}", "tests": []}
    s = row.sheet
    tests = []
    for m in s.marks:
        if not m.asked:
            continue
        tests.append({"name": m.question, "score": m.points, "max_score": m.max_points,
                      "status": "passed" if m.points >= m.max_points > 0 else "failed",
                      "output": m.feedback})
    lines = [f"{_num(s.points)} of {_num(s.total)} points."]
    if s.first_wrong:
        lines.append(f"Your working first goes wrong at {s.first_wrong}.")
    lines += [f"{p.key}: {p.message}" for p in s.problems]
    return {"score": s.points, "max_score": s.total, "output": "\n".join(lines), "tests": tests}


def write_gradescope(rows: list[Row], labels: list[str]) -> str:
    """One submission (Gradescope runs the autograder once per student): its results.json; for
    several files, a JSON object of results by file (for checking a whole folder before upload)."""
    if len(rows) == 1:
        return json.dumps(to_gradescope(rows[0], labels), indent=2)
    return json.dumps({r.path: to_gradescope(r, labels) for r in rows}, indent=2)


def _num(x: float) -> str:
    return f"{x:g}"
