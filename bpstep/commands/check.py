"""``bpstep check SCENARIO ANSWERS``: grade a file of answers; ``--template`` writes a blank one."""

from __future__ import annotations

import argparse
import json
import sys

from bpstep.check import check, read_answers, template
from bpstep.commands import _options
from bpstep.engine.network import run as run_scenario
from bpstep.errors import BpstepError
from bpstep.format import num
from bpstep.grading import Tolerance, decimals
from bpstep.scenario import load

HELP = "grade a TOML file of answers against a scenario's run (--template: a blank answer sheet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a bundled scenario name or a .toml file")
    parser.add_argument("answers", nargs="?", help="a TOML file of name = number answers")
    parser.add_argument("--template", action="store_true",
                        help="print a blank answer sheet with every name (… --template > answers.toml)")
    parser.add_argument("--tolerance", default=None,
                        help="absolute (1e-4, abs:1e-4) or relative (1%%, rel:0.01) tolerance instead of "
                             "the written precision (one unit of the answer's last decimal)")
    parser.add_argument("--json", action="store_true",
                        help='{"results": [{"name", "answer", "expected", "correct", ...}]}')
    _options.add_precision(parser, "decimals in formulas and values")
    _options.add_epochs(parser)
    _options.add_data(parser)


def run(args: argparse.Namespace) -> int:
    if args.template == (args.answers is not None):
        raise BpstepError("give either an ANSWERS file or --template (usage: bpstep check SCENARIO "
                          "ANSWERS, or bpstep check SCENARIO --template > answers.toml)")
    tolerance = None
    if args.tolerance is not None:
        try:
            tolerance = Tolerance.parse(args.tolerance)
        except ValueError as exc:
            raise BpstepError(f"--tolerance: {exc}") from None
    scenario = load(args.scenario, args.allow_data_outside)
    answers = None if args.template else read_answers(args.answers)  # a bad file fails before the run
    trace = run_scenario(scenario, args.epochs)
    if args.template:
        sys.stdout.write(template(trace, args.scenario))
        return 0
    assert answers is not None
    if not any(a.text is not None for a in answers):
        raise BpstepError(f"{args.answers}: holds no answers (every name is blank); write numbers in "
                          'place of "" first')
    report = check(trace, answers, tolerance, args.precision, source=args.answers)
    if trace.status == "diverged":
        print(f"bpstep: {trace.message}", file=sys.stderr)
    if args.json:
        doc = {"scenario": {"name": scenario.name, "source": scenario.source}} | report.to_json()
        json.dump(doc, sys.stdout)
        sys.stdout.write("\n")
    else:
        _print_table(report, scenario.name, args.answers, args.precision, tolerance)
    return 0 if report.all_correct else 1


def _print_table(report, scenario_name: str, path: str, precision: int,  # noqa: ANN001
                 tolerance: Tolerance | None) -> None:
    from rich.console import Console  # imported here: `bpstep --help` and --json need no rich
    from rich.markup import escape
    from rich.table import Table

    total = len(report.results)
    title = f"{path} against '{scenario_name}': {report.right} of {total} right"
    table = Table(title=escape(title), title_justify="left", show_lines=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("your answer", justify="right", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("the working (for a wrong answer)")
    for r in report.results:
        name = r.name if (r.epoch, r.batch) == (1, 1) else f"{r.name} (epoch {r.epoch}, batch {r.batch})"
        # Show the value at least as precisely as the answer was written, so the difference shows.
        shown = num(r.expected, max(precision, decimals(r.answer)))
        mark = "[green]✓ right[/green]" if r.correct else "[red]✗ wrong[/red]"
        working = ""
        if not r.correct:
            working = escape(r.formula) + "".join(f"\n[yellow]hint:[/yellow] {escape(h)}" for h in r.hints)
        table.add_row(escape(name), escape(r.answer), shown, mark, working)
    console = Console()
    console.print(table)
    rule = (f"right within {_describe(tolerance)}" if tolerance is not None
            else "right within one unit of the last decimal written")
    console.print(f"{report.right} of {total} right ({rule}).", highlight=False)
    if report.unanswered:
        names = ", ".join(a.name for a in report.unanswered[:10])
        more = f", … ({len(report.unanswered)} in all)" if len(report.unanswered) > 10 else ""
        console.print(escape(f"Not answered: {names}{more}."), highlight=False)


def _describe(tolerance: Tolerance) -> str:
    parts = []
    if tolerance.absolute is not None:
        parts.append(f"±{tolerance.absolute:g}")
    if tolerance.relative is not None:
        parts.append(f"±{tolerance.relative * 100:g}% of the value")
    return " or ".join(parts)
