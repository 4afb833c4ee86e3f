"""``bpstep check SCENARIO ANSWERS…``: grade answer files (one student's, or a whole class's);
``--template`` writes a blank sheet, ``--csv`` and ``--gradescope`` the class's results.

Exit codes: 0 every answer right; 1 any answer wrong, imprecise, malformed or unanswered-and-asked
is not counted here (blank is not wrong), or, with several files, any file that could not be
graded (it is a row with its error: the rest of the class is still graded and written); 2 bad
input that stops the command: the scenario, an option, or the only answer file given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bpstep.check import template
from bpstep.classroom import Row, answer_files, grade_file, question_labels, to_csv, write_gradescope
from bpstep.commands import _options
from bpstep.engine.network import run as run_scenario
from bpstep.errors import BpstepError
from bpstep.format import num
from bpstep.grading import Precision, Tolerance, decimals
from bpstep.scenario import load
from bpstep.scenario.model import Scenario
from bpstep.scoring import Sheet
from bpstep.tracing.trace import Trace

HELP = "grade TOML answer files (one student's or a folder of them) against a scenario's run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a bundled scenario name or a .toml file")
    parser.add_argument("answers", nargs="*", help="TOML answer files or folders of them")
    parser.add_argument("--template", action="store_true",
                        help="print a blank answer sheet with every name (… --template > answers.toml)")
    parser.add_argument("--require", default=None, metavar="PRECISION",
                        help="the precision answers must have: 4 (decimals), 3sf (significant figures) or "
                             "4d,3sf (either; the default unless the scenario's [grading] says otherwise)")
    parser.add_argument("--tolerance", default=None,
                        help="absolute (1e-4, abs:1e-4) or relative (1%%, rel:0.01) tolerance instead of "
                             "the precision rule")
    parser.add_argument("--json", action="store_true", help="the scored sheets as JSON")
    parser.add_argument("--csv", default=None, metavar="FILE", help="write one row per student to FILE")
    parser.add_argument("--gradescope", default=None, metavar="FILE",
                        help="write Gradescope's autograder results.json to FILE")
    _options.add_precision(parser, "decimals in formulas and values")
    _options.add_epochs(parser)
    _options.add_data(parser)


def run(args: argparse.Namespace) -> int:
    if args.template == bool(args.answers):
        raise BpstepError("give either ANSWERS files or --template (usage: bpstep check SCENARIO "
                          "ANSWERS…, or bpstep check SCENARIO --template > answers.toml)")
    tolerance = rule = None
    if args.tolerance is not None:
        try:
            tolerance = Tolerance.parse(args.tolerance)
        except ValueError as exc:
            raise BpstepError(f"--tolerance: {exc}") from None
    if args.require is not None:
        try:
            rule = Precision.parse(args.require)
        except ValueError as exc:
            raise BpstepError(f"--require: {exc}") from None
    scenario = load(args.scenario, args.allow_data_outside)
    trace = run_scenario(scenario, args.epochs)
    if args.template:
        sys.stdout.write(template(trace, args.scenario))
        return 0
    traces: dict[int | None, Trace] = {None: trace}

    def trace_for(variant: int | None) -> Trace:
        spec = getattr(scenario, "grading", None)
        own = spec.variant if spec is not None else None
        key = None if variant == own else variant
        if key not in traces:
            traces[key] = run_scenario(_variant(scenario, key), args.epochs)
        return traces[key]

    paths = answer_files(args.answers)
    if not paths:
        raise BpstepError(f"{', '.join(args.answers)}: is a folder with no .toml answer files in it")
    rows = [grade_file(p, trace_for, tolerance, args.precision, rule) for p in paths]
    single = len(rows) == 1 and not Path(args.answers[0]).is_dir()
    if single and rows[0].sheet is None:
        raise BpstepError(rows[0].error)
    if single and rows[0].sheet is not None and rows[0].sheet.problems and not any(
            m.result is not None for m in rows[0].sheet.marks):
        raise rows[0].sheet.problems[0]  # nothing else to grade: the file's problem is the message
    labels = question_labels(trace)
    for option, text in ((args.csv, lambda: to_csv(rows, labels)),
                         (args.gradescope, lambda: write_gradescope(rows, labels))):
        if option is not None:
            try:
                Path(option).write_text(text(), encoding="utf-8")
            except OSError as exc:
                raise BpstepError(f"{option}: cannot be written ({exc.strerror})") from None
    if trace.status == "diverged":
        print(f"bpstep: {trace.message}", file=sys.stderr)
    if args.json:
        doc = {"scenario": {"name": scenario.name, "source": scenario.source},
               "files": [r.sheet.to_json() if r.sheet else {"answers": r.path, "error": r.error}
                         for r in rows]}
        json.dump(doc["files"][0] | {"scenario": doc["scenario"]} if single else doc, sys.stdout)
        sys.stdout.write("\n")
    elif single:
        assert rows[0].sheet is not None
        _print_sheet(rows[0].sheet, scenario.name, args.precision, tolerance)
    else:
        _print_class(rows, scenario.name)
    if single and rows[0].sheet is not None and rows[0].sheet.problems:
        for p in rows[0].sheet.problems:
            print(f"bpstep: {p}", file=sys.stderr)
        return 2  # the rest of the file was graded and shown; the bad entries are bad input
    if any(r.sheet is None for r in rows):
        return 1
    return 0 if all(r.sheet is not None and r.sheet.all_right for r in rows) else 1


def _variant(scenario: Scenario, seed: int | None) -> Scenario:
    if seed is None:
        return scenario
    from bpstep.variants import variant_scenario  # only for files that name a variant

    return variant_scenario(scenario, seed)


_MARKS = {"right": "[green]✓ right[/green]", "consistent": "[cyan]≈ consistent[/cyan]",
          "wrong": "[red]✗ wrong[/red]", "not enough precision": "[yellow]… imprecise[/yellow]",
          "unanswered": "[dim]– not answered[/dim]"}


def _print_sheet(sheet: Sheet, scenario_name: str, precision: int, tolerance: Tolerance | None) -> None:
    from rich.console import Console  # imported here: `bpstep --help` and --json need no rich
    from rich.markup import escape
    from rich.table import Table

    title = (f"{sheet.source} against '{scenario_name}'"
             + (f" (variant {sheet.variant})" if sheet.variant is not None else "")
             + f": {sheet.points:g} of {sheet.total:g} points")
    table = Table(title=escape(title), title_justify="left", show_lines=True)
    for col, justify in (("name", "left"), ("your answer", "right"), ("value", "right"), ("", "left"),
                         ("pts", "right"), ("the working", "left")):
        table.add_column(col, justify=justify, no_wrap=col not in ("the working", ""),  # type: ignore[arg-type]
                         overflow="fold")
    for m in sheet.marks:
        r = m.result
        if r is None:
            continue  # unanswered: listed below the table
        where = "" if (r.epoch, r.batch) == (1, 1) else f" (epoch {r.epoch}, batch {r.batch})"
        name = m.question + where
        # Show the value at least as precisely as the answer was written, so the difference shows.
        shown = num(r.expected, max(precision, decimals(r.answer)))
        working = ""
        if m.status != "right":
            working = escape(m.feedback)
        table.add_row(escape(name), escape(r.answer), shown, _MARKS[m.status],
                      f"{m.points:g}/{m.max_points:g}", working)
    console = Console()
    console.print(table)
    required = next((m.result.required for m in sheet.marks if m.result is not None), "")
    console.print(escape(f"Right: {sheet.count('right')}, consistent with an earlier error: "
                         f"{sheet.count('consistent')}, wrong: {sheet.count('wrong')}, not enough precision: "
                         f"{sheet.count('not enough precision')}, not answered: {sheet.count('unanswered')}. "
                         + (f"Right within {_describe(tolerance)}." if tolerance is not None else
                            f"Answers need at least {required}.")), highlight=False)
    if sheet.first_wrong:
        console.print(escape(f"The working first goes wrong at {sheet.first_wrong}."), highlight=False)
    blank = [m.question for m in sheet.marks if m.status == "unanswered"]
    if blank:
        more = f", … ({len(blank)} in all)" if len(blank) > 10 else ""
        console.print(escape(f"Not answered: {', '.join(blank[:10])}{more}."), highlight=False)


def _print_class(rows: list[Row], scenario_name: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(f"{len(rows)} answer files against '{scenario_name}'"), title_justify="left")
    for col in ("file", "points", "right", "consistent", "wrong", "imprecise", "first wrong", "problems"):
        table.add_column(col)
    for r in rows:
        s = r.sheet
        if s is None:
            table.add_row(escape(r.path), "[red]not graded[/red]", "", "", "", "", "", escape(r.error))
            continue
        table.add_row(escape(r.path), f"{s.points:g}/{s.total:g}", str(s.count("right")),
                      str(s.count("consistent")), str(s.count("wrong")),
                      str(s.count("not enough precision")),
                      escape(s.first_wrong), escape("; ".join(f"{p.key}: {p.message}" for p in s.problems)))
    Console().print(table)


def _describe(tolerance: Tolerance) -> str:
    parts = []
    if tolerance.absolute is not None:
        parts.append(f"±{tolerance.absolute:g}")
    if tolerance.relative is not None:
        parts.append(f"±{tolerance.relative * 100:g}% of the value")
    return " or ".join(parts)
