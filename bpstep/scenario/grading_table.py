"""A scenario's ``[grading]`` table: how ``bpstep check`` and the quiz grade answers for it.

    [grading]
    decimals = 4               # the required precision: decimals and/or significant figures;
    significant = 3            # with both, whichever is coarser for the value (the default)
    asked = ["h1", "o1", "dE/dw7"]   # the question set (default: every askable value)
    points = 1                 # per question; or a table: points = { "dE/dw7" = 2 }, others 1
    unanswered = "count"       # "count": scores are out of the whole set; "skip": out of answers
    carried_forward = 1.0      # the share of a question's points for an answer consistent with
                               # the student's own earlier error (0 to 1)
    variant = 17               # written by `bpstep vary`: this file is variant 17 of its scenario
    published_source = "the tutorial's worked solution"
    [grading.published]        # values as published, for the export to say which it corrects
    "dE/db1" = 0.0008

Names are checked against the run when answers are graded (the scenario alone does not know every
trace name); here only their form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bpstep.grading import Precision, number_texts
from bpstep.scenario.toml_reader import Table, type_name

UNANSWERED = ("count", "skip")


@dataclass(frozen=True)
class GradingSpec:
    precision: Precision = Precision()
    asked: tuple[str, ...] | None = None  # None: every askable value of epoch 1, batch 1
    points: float = 1.0
    question_points: dict[str, float] = field(default_factory=dict)
    unanswered: str = "count"
    carried_forward: float = 1.0
    variant: int | None = None
    published: dict[str, str] = field(default_factory=dict)  # name -> the number as published
    published_source: str = ""

    def points_for(self, *names: str) -> float:
        """A question's points, by any of its names (display or trace)."""
        return next((self.question_points[n] for n in names if n in self.question_points), self.points)


def read_grading(t: Table, text: str | None = None) -> GradingSpec | None:
    """The ``[grading]`` table, or None when the scenario has none. Problems are reported on
    their dotted key (``grading.points."dE/dw7"``)."""
    if not t.data:
        t.finish()
        return None
    decimals = _count(t, "decimals", 0, 12)
    significant = _count(t, "significant", 1, 12)
    if t.has("decimals") or t.has("significant"):
        precision = Precision(decimals, significant)
    else:
        precision = Precision()
    asked = None
    if t.has("asked"):
        value = t.raw("asked")
        names_ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
        if not value or not names_ok:
            t.report(t.error("asked", f'must be a non-empty list of names like ["h1", "dE/dw7"], got '
                                      f"{type_name(value)}"))
        else:
            asked = tuple(v.strip() for v in value)
    points, per_question = 1.0, {}
    raw_points = t.raw("points", 1.0)
    if isinstance(raw_points, dict):
        for name, v in raw_points.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
                t.report(t.error(f'points."{name}"', f"must be a number of points, zero or more, got {v!r}"))
            else:
                per_question[name] = float(v)
    elif isinstance(raw_points, bool) or not isinstance(raw_points, int | float) or not raw_points > 0:
        t.report(t.error("points", f"must be a positive number (each question's points) or a table "
                                   f'of name = points, got {raw_points!r}'))
    else:
        points = float(raw_points)
    unanswered = t.choice("unanswered", list(UNANSWERED), "count")
    carried = t.get("carried_forward", float, 1.0)
    if not 0.0 <= carried <= 1.0:
        t.report(t.error("carried_forward", f"must be a share from 0 to 1 of a question's points, "
                                            f"got {carried}"))
        carried = 1.0
    variant = t.get("variant", int, None)
    published_source = t.get("published_source", str, "")
    published: dict[str, str] = {}
    pub = t.table("published")
    written = {k[2:]: v for k, v in number_texts(text or "").items() if k[:2] == ("grading", "published")}
    for name, v in pub.data.items():
        pub.raw(name)
        if isinstance(v, bool) or not isinstance(v, int | float):
            pub.report(pub.error(f'"{name}"', f"must be the number as published, got {type_name(v)}"))
        else:
            published[name] = written.get((name,), repr(v))
    t.finish()
    return GradingSpec(precision, asked, points, per_question, unanswered, carried, variant,
                       published, published_source)


def _count(t: Table, key: str, low: int, high: int) -> int | None:
    value = t.get(key, int, None)
    if value is not None and not low <= value <= high:
        t.report(t.error(key, f"must be a whole number from {low} to {high}, got {value}"))
        return None
    return value
