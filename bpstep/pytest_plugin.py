"""The bpstep pytest plugin (registered through the ``pytest11`` entry point).

- Every ``*.scenario.toml`` file is a test: it traces the scenario, checks its ``[expect]``
  table and, when a golden trace lies beside it (``NAME.scenario.json`` or ``.json.gz``),
  compares every step with it. ``--bpstep-update-golden`` writes or overwrites the golden
  files instead of comparing.
- ``bpstep_scenario_dirs`` (ini) names folders whose ``*.toml`` files are scenarios too.
- The ``bptrace`` fixture: ``bptrace("exercise")`` is the trace of a bundled name or path,
  computed once per session.

pytest loads this module in every run of every project once bpstep is installed, so it imports
nothing heavy at module level: bpstep's engine is imported when a scenario test runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bpstep.tracing import Trace

SUFFIX = ".scenario.toml"
GOLDEN_SUFFIXES = (".json", ".json.gz")
_UPDATED = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bpstep", "bpstep scenario tests")
    group.addoption("--bpstep-update-golden", action="store_true", default=False,
                    help="write (or overwrite) the golden trace beside each scenario test "
                         "instead of comparing with it")
    parser.addini("bpstep_scenario_dirs", type="paths", default=[],
                  help="folders whose *.toml files are scenario tests too (besides *.scenario.toml)")
    parser.addini("bpstep_rtol", default="1e-9", help="relative tolerance of golden comparisons")
    parser.addini("bpstep_atol", default="1e-12", help="absolute tolerance of golden comparisons")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_UPDATED] = []
    dirs = [Path(d) for d in config.getini("bpstep_scenario_dirs")]
    # With testpaths in charge, the configured folders would never be visited: add them.
    testpaths = getattr(getattr(pytest.Config, "ArgsSource", None), "TESTPATHS", None)
    if dirs and testpaths is not None and getattr(config, "args_source", None) == testpaths:
        visited = [Path(a).resolve() for a in config.args]
        for d in dirs:
            r = d.resolve()
            if r.is_dir() and not any(r == v or v in r.parents for v in visited):
                config.args.append(str(d))


def _scenario_dirs(config: pytest.Config) -> set[Path]:
    return {Path(d).resolve() for d in config.getini("bpstep_scenario_dirs")}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    name = file_path.name
    if name.endswith(SUFFIX) and len(name) > len(SUFFIX):
        return ScenarioFile.from_parent(parent, path=file_path)
    if file_path.suffix == ".toml" and file_path.parent.resolve() in _scenario_dirs(parent.config):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def golden_candidates(scenario_path: Path) -> list[Path]:
    """Where a scenario's golden trace may lie: ``X.scenario.toml`` → ``X.scenario.json(.gz)``."""
    stem = scenario_path.name.removesuffix(".toml")
    return [scenario_path.with_name(stem + s) for s in GOLDEN_SUFFIXES]


class ScenarioTestFailure(Exception):
    """A scenario test's failure; its text is the whole report (no traceback is shown)."""


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        name = self.path.name.removesuffix(".toml").removesuffix(".scenario")
        yield ScenarioItem.from_parent(self, name=name)


class ScenarioItem(pytest.Item):
    """Trace the scenario, check ``[expect]`` and the golden trace beside it (if any)."""

    def runtest(self) -> None:
        from bpstep import golden as g
        from bpstep.engine.network import run
        from bpstep.errors import BpstepError
        from bpstep.expectations import check_expectations
        from bpstep.scenario.loader import load

        config = self.config
        update = bool(config.getoption("--bpstep-update-golden"))
        try:
            scenario = load(self.path)
            text = self.path.read_text(encoding="utf-8")
            existing = [p for p in golden_candidates(self.path) if p.exists()]
            if len(existing) > 1:
                raise ScenarioTestFailure(f"{self.path.name}: two golden traces beside it "
                                          f"({', '.join(p.name for p in existing)}); keep one")
            recorded = g.load_golden(existing[0]) if existing and not update else None
            epochs = recorded.epochs if recorded else None
            if update and existing:
                try:  # keep the epoch override of the file being replaced
                    epochs = g.load_golden(existing[0]).epochs
                except BpstepError:
                    epochs = None
            trace = run(scenario, epochs)
        except BpstepError as exc:
            raise ScenarioTestFailure(str(exc)) from None
        problems: list[str] = []
        if trace.status == "diverged":
            problems.append(f"the run diverged: {trace.message}")
        if update:
            target = existing[0] if existing else golden_candidates(self.path)[0]
            g.write_golden(trace, target, text, str(self.path), epochs)
            config.stash[_UPDATED].append(str(target))
        failed = [r for r in check_expectations(trace) if not r.passed]
        if recorded is not None:
            rtol, atol = (float(config.getini(k)) for k in ("bpstep_rtol", "bpstep_atol"))
            result = g.compare(recorded, trace, rtol=rtol, atol=atol)
            if not result.steps_agree:
                if recorded.scenario_toml != text:
                    result = replace(result, notes=(*result.notes, (
                        "the scenario file has changed since the golden trace was recorded; "
                        "if that is intended, rerun with --bpstep-update-golden")))
                problems.append(result.report())
        if failed:
            lines = [f"{self.path.name}: {len(failed)} of {len(scenario.expect)} expectations failed:"]
            problems.append("\n".join(lines + [f"  {r.describe()}" for r in failed]))
        if problems:
            raise ScenarioTestFailure("\n\n".join(problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ScenarioTestFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.name}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    updated = config.stash.get(_UPDATED, [])
    if updated:
        terminalreporter.section("bpstep golden traces written")
        for path in updated:
            terminalreporter.write_line(path)


@pytest.fixture(scope="session")
def bptrace() -> Callable[..., Trace]:
    """``bptrace(scenario, epochs=None)``: the trace of a bundled name or a scenario path,
    computed once per session (treat it as read-only)."""
    import bpstep

    cache: dict[tuple[str, int | None], Trace] = {}

    def get(scenario: str | Path, epochs: int | None = None) -> Trace:
        path = Path(scenario)
        key = (str(path.resolve()) if path.exists() else str(scenario), epochs)
        if key not in cache:
            cache[key] = bpstep.trace(bpstep.load(scenario), epochs)
        return cache[key]

    return get
