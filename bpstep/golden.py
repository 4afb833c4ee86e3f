"""Golden traces: a run recorded to a file, and replayed later to check that nothing changed.

A golden file is JSON (gzip-compressed when its name ends in ``.gz``) holding every step of a
run at full float64 precision, the scenario it came from (its TOML text and the CSV files it
reads, so a replay needs nothing else) and the bpstep version that recorded it::

    {"format": "bpstep-trace", "version": 1, "bpstep": "0.1.0",
     "scenario": {"name": ..., "path": ..., "toml": ..., "files": {"housing.csv": ...}},
     "epochs": null, "status": "complete", "message": "",
     "steps": {"epoch": [...], "batch": [...], "phase": [...], "name": [...],
               "shape": [[1, 3], ...], "value": [...]}}

``steps`` is columnar (one list per field, step i at position i) so long runs stay compact;
``value`` holds one step per line: numbers (Python's ``repr``, which round-trips float64
exactly) or nested lists of them, with ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` for
non-finite values. Never imports textual or rich.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bpstep import files
from bpstep.errors import BpstepError
from bpstep.expectations import ExpectationResult, check_expectations
from bpstep.jsonvalue import from_json_value, to_json_value
from bpstep.scenario.loader import find, loads
from bpstep.scenario.model import Scenario
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

FORMAT = "bpstep-trace"
FORMAT_VERSION = 1
# Replays on the same machine are bit-identical; the slack is for other BLAS builds and CPUs.
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12
DEFAULT_LIMIT = 10

_COLUMNS = ("epoch", "batch", "phase", "name", "shape", "value")


class GoldenError(BpstepError):
    """A golden file that cannot be used: unreadable, not JSON, the wrong schema or version."""


@dataclass(frozen=True)
class Golden:
    """A golden file's contents."""

    path: str  # the golden file
    bpstep_version: str  # the version that recorded it
    scenario_name: str
    scenario_path: str  # the scenario file it was recorded from (informative)
    scenario_toml: str  # that file's text
    files: dict[str, str]  # data files the scenario reads, by the name it uses (data.csv)
    epochs: int | None  # the --epochs override, if any
    status: str
    message: str
    steps: tuple[Step, ...]  # as recorded: each step's identity and value, no operands

    def scenario(self) -> Scenario:
        """The embedded scenario. Its data come from the copies embedded here, never from disk
        (a data file the golden file does not embed is an error)."""
        try:
            return loads(self.scenario_toml, source=self.scenario_path, data_files=self.files)
        except BpstepError as exc:
            raise GoldenError(f"{self.path}: the embedded scenario cannot be loaded: {exc}") from None


@dataclass(frozen=True)
class StepDifference:
    """A step where the recorded trace and the replay disagree.

    ``reason`` is ``value`` (an element differs beyond the tolerance; ``element`` is the first
    one), ``shape``, ``step`` (another step at this position), ``missing`` (the replay stops
    earlier) or ``extra`` (the replay goes on). ``recorded`` and ``now`` are the values shown.
    """

    index: int
    name: str
    epoch: int
    batch: int
    reason: str
    recorded: str
    now: str
    element: tuple[int, ...] | None = None
    differing: int = 0  # elements beyond the tolerance
    size: int = 0  # elements in the value
    display: str = ""  # the element's display name (``dE/dw7``), if the scenario gives one

    @property
    def label(self) -> str:
        """``dE/dW2[0,0] (dE/dw7)`` for a value difference, else the step name."""
        text = self.name
        if self.element:
            text += f"[{','.join(map(str, self.element))}]"
        return f"{text} ({self.display})" if self.display else text


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of comparing a recorded trace with a fresh one."""

    file: str
    recorded_with: str
    recorded_steps: int
    replayed_steps: int
    differences: tuple[StepDifference, ...]  # the first ``limit`` differing steps
    total_differences: int
    recorded_status: str
    replayed_status: str
    rtol: float
    atol: float
    expectations: tuple[ExpectationResult, ...] = ()
    notes: tuple[str, ...] = ()  # context for a failure (another bpstep version, ...)

    @property
    def steps_agree(self) -> bool:
        return self.total_differences == 0 and self.recorded_status == self.replayed_status

    @property
    def failed_expectations(self) -> list[ExpectationResult]:
        return [r for r in self.expectations if not r.passed]

    @property
    def ok(self) -> bool:
        """Every step agrees within tolerance and every expectation passes."""
        return self.steps_agree and not self.failed_expectations

    def summary(self) -> str:
        """One line: what agreed and what did not."""
        tol = f"rtol={self.rtol:g}, atol={self.atol:g}"
        if self.steps_agree:
            text = f"{self.file}: all {self.recorded_steps} steps agree ({tol})"
        else:
            parts = []
            if self.total_differences:
                shown = len(self.differences)
                more = f", the first {shown} shown" if shown < self.total_differences else ""
                parts.append(f"{self.total_differences} of {max(self.recorded_steps, self.replayed_steps)}"
                             f" steps differ ({tol}{more})")
            if self.recorded_status != self.replayed_status:
                parts.append(f"the run was {self.recorded_status!r}, now {self.replayed_status!r}")
            text = f"{self.file}: " + "; ".join(parts)
        if self.expectations:
            failed = len(self.failed_expectations)
            text += (f"; {failed} of {len(self.expectations)} expectations failed" if failed
                     else f"; {len(self.expectations)} expectations pass")
        return text

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """The difference table: (#, step, epoch, batch, recorded, now)."""
        return [(str(d.index), d.label + ("" if d.reason == "value" else f" ({d.reason})"),
                 str(d.epoch or "-"), str(d.batch or "-"), d.recorded, d.now)
                for d in self.differences]

    def report(self) -> str:
        """The summary, the difference table and the failed expectations, as plain text."""
        lines = [self.summary()]
        if self.differences:
            lines += ["", format_table(("#", "step", "epoch", "batch", "recorded", "now"), self.rows())]
        if self.failed_expectations:
            lines += ["", "failed expectations:"]
            lines += [f"  {r.describe()}" for r in self.failed_expectations]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with aligned columns (numbers right-aligned)."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    right = {0, 2, 3}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


# -- writing ---------------------------------------------------------------------------------

def _data_files(toml_text: str, scenario: Scenario) -> dict[str, str]:
    """The CSV a scenario reads, by the name its TOML gives (a replay reads it from here)."""
    if scenario.data.csv is None:
        return {}
    name = tomllib.loads(toml_text).get("data", {}).get("csv")
    if not isinstance(name, str):
        return {}
    return {name: files.read_text(scenario.data.csv, "data", expected="a CSV file")}


def golden_text(trace: Trace, toml_text: str, scenario_path: str, epochs: int | None = None) -> str:
    """The golden file's JSON text for ``trace``, recorded from ``toml_text``."""
    from bpstep import __version__

    sc = trace.scenario
    head = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "bpstep": __version__,
        "scenario": {"name": sc.name, "path": scenario_path, "toml": toml_text,
                     "files": _data_files(toml_text, sc)},
        "epochs": epochs,
        "status": trace.status,
        "message": trace.message,
    }
    steps = list(trace)
    compact = {"separators": (",", ":"), "allow_nan": False}
    columns = {
        "epoch": [s.epoch for s in steps],
        "batch": [s.batch for s in steps],
        "phase": [s.phase for s in steps],
        "name": [s.name for s in steps],
        "shape": [list(s.value.shape) for s in steps],
    }
    out = io.StringIO()
    out.write("{\n")
    for key, value in head.items():
        out.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    out.write('  "steps": {\n')
    for key, value in columns.items():
        out.write(f"    {json.dumps(key)}: {json.dumps(value, **compact)},\n")  # type: ignore[arg-type]
    # One step per line, so a value can be found, read and (deliberately) edited by hand.
    out.write('    "value": [\n')
    out.write(",\n".join(json.dumps(to_json_value(s.value), **compact) for s in steps))  # type: ignore[arg-type]
    out.write("\n    ]\n  }\n}\n")
    return out.getvalue()


def write_golden(trace: Trace, file: str | Path, toml_text: str, scenario_path: str,
                 epochs: int | None = None) -> Path:
    """Write ``trace`` to ``file`` (gzip-compressed when the name ends in ``.gz``)."""
    path = Path(file)
    data = golden_text(trace, toml_text, scenario_path, epochs).encode("utf-8")
    cap = files.limit_for("golden")
    if len(data) > cap:  # a file replay would refuse is not written (gzip or not: the cap is on the text)
        raise BpstepError(f"{path}: the golden trace would be {files.size_text(len(data))}, over the "
                          f"{files.size_text(cap)} that replay reads: record fewer epochs (--epochs), or "
                          f"raise the cap with {files.ENV_LIMIT} for both")
    try:
        if path.name.endswith(".gz"):
            # mtime=0 and no file name in the header: the same trace gives the same bytes.
            with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                                 compresslevel=6) as gz:
                gz.write(data)
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise BpstepError(f"{path}: cannot be written ({exc.strerror})") from None
    return path


def _scenario_text(scenario: str | Path | Scenario,
                   allow_data_outside: bool = False) -> tuple[Scenario, str, str]:
    """(scenario, its TOML text, its path) from a bundled name, a path or a loaded Scenario."""
    if isinstance(scenario, Scenario):
        path = Path(scenario.source)
        if not path.is_file():
            raise BpstepError(f"{scenario.source}: recording needs the scenario's TOML file; "
                              "pass its path or bundled name instead of a Scenario built from text")
        loaded = scenario
    else:
        path = find(scenario)
        loaded = None
    if loaded is None:
        from bpstep.scenario.loader import load

        loaded = load(path, allow_data_outside)  # reports a missing or broken file properly
    text = files.read_text(path, "scenario", expected="a TOML scenario file")
    return loaded, text, str(path)


def record(scenario: str | Path | Scenario, file: str | Path, epochs: int | None = None,
           allow_data_outside: bool = False) -> Trace:
    """Trace ``scenario`` (a bundled name, a path, or a Scenario loaded from a file) and write
    the trace to the golden ``file``; returns the trace.

    ``epochs`` overrides the scenario's epoch count; it is stored so a replay does the same.
    ``allow_data_outside`` lets a scenario file read data from outside its folder.
    """
    from bpstep.engine.network import run

    loaded, text, path = _scenario_text(scenario, allow_data_outside)
    trace = run(loaded, epochs)
    write_golden(trace, file, text, path, epochs)
    return trace


# -- reading ---------------------------------------------------------------------------------

def _bad(path: str, where: str, message: str) -> GoldenError:
    return GoldenError(f"{path}: {where}: {message}" if where else f"{path}: {message}")


def _read_document(path: Path) -> dict[str, Any]:
    p = str(path)
    # gzip, whatever the name says; decompressed within the cap for golden files
    text = files.read_text(path, "golden", lambda m: _bad(p, "", m),
                           "a golden trace (.json or .json.gz)", gzip=True)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(p, "", f"is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise _bad(p, "", "is not a golden trace (nested too deeply)") from None
    except ValueError:  # Python's limit on int-str conversion
        raise _bad(p, "", f"is not a golden trace: it holds a whole number with more than "
                          f"{sys.get_int_max_str_digits():,} digits") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad(p, "", f'is not a bpstep golden trace (no "format": "{FORMAT}"; '
                          "write one with 'bpstep record SCENARIO -o FILE.json')")
    return doc


def _get(doc: dict[str, Any], key: str, kinds: type | tuple[type, ...], path: str, where: str = "") -> Any:
    full = f"{where}.{key}" if where else key
    if key not in doc:
        raise _bad(path, full, "is missing")
    value = doc[key]
    kinds_t = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, bool) and bool not in kinds_t or not isinstance(value, kinds_t):
        names = " or ".join({int: "a whole number", str: "a string", list: "a list", dict: "an object",
                             type(None): "null"}.get(k, k.__name__) for k in kinds_t)
        raise _bad(path, full, f"must be {names}, got {type(value).__name__}")
    return value


def _decode(v: Any, path: str, where: str) -> Any:
    try:
        return from_json_value(v)
    except ValueError as exc:
        raise _bad(path, where, str(exc)) from None


def load_golden(file: str | Path) -> Golden:
    """Read and check a golden file; a ``GoldenError`` names the file and the problem."""
    path = Path(file)
    p = str(path)
    doc = _read_document(path)
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _bad(p, "version", f"must be a whole number, got {version!r}")
    if version != FORMAT_VERSION:
        from bpstep import __version__

        raise _bad(p, "version", f"golden format version {version} is not supported "
                                 f"(bpstep {__version__} reads version {FORMAT_VERSION})")
    sc = _get(doc, "scenario", dict, p)
    files = _get(sc, "files", dict, p, "scenario")
    for name, text in files.items():
        if not isinstance(text, str):
            raise _bad(p, f"scenario.files.{name}", f"must be a string, got {type(text).__name__}")
    epochs = _get(doc, "epochs", (int, type(None)), p)
    if epochs is not None and epochs <= 0:
        raise _bad(p, "epochs", f"must be positive or null, got {epochs}")
    steps = _get(doc, "steps", dict, p)
    cols = {c: _get(steps, c, list, p, "steps") for c in _COLUMNS}
    n = len(cols["value"])
    for c, values in cols.items():
        if len(values) != n:
            raise _bad(p, f"steps.{c}", f"has {len(values)} entries, but steps.value has {n}")
    recorded = []
    for i in range(n):
        epoch, batch, phase, name, shape = (cols[c][i] for c in _COLUMNS[:5])
        for c, v, kind in (("epoch", epoch, int), ("batch", batch, int), ("phase", phase, str),
                           ("name", name, str)):
            if isinstance(v, bool) or not isinstance(v, kind) or (kind is int and v < 0):
                what = "a whole number ≥ 0" if kind is int else "a string"
                raise _bad(p, f"steps.{c}[{i}]", f"must be {what}, got {v!r}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                  for d in shape):
            raise _bad(p, f"steps.shape[{i}]", f"must be a list of sizes, got {shape!r}")
        where = f"steps.value[{i}]"
        try:
            try:
                value = np.array(cols["value"][i])
            except OverflowError:  # a whole number too large for any numpy type
                value = np.array(None)
            if value.dtype.kind not in "fi":  # strings (non-finite values), booleans, junk: slowly
                value = np.array(_decode(cols["value"][i], p, where), dtype=np.float64)
            value = value.astype(np.float64, copy=False)
        except ValueError:
            raise _bad(p, where, "has rows of different lengths") from None
        if value.shape != tuple(shape):
            raise _bad(p, where, f"has shape {value.shape}, but steps.shape[{i}] says {tuple(shape)}")
        value.setflags(write=False)
        recorded.append(Step(i, epoch, batch, phase, name, value))
    return Golden(
        path=p,
        bpstep_version=_get(doc, "bpstep", str, p),
        scenario_name=_get(sc, "name", str, p, "scenario"),
        scenario_path=_get(sc, "path", str, p, "scenario"),
        scenario_toml=_get(sc, "toml", str, p, "scenario"),
        files=dict(files),
        epochs=epochs,
        status=_get(doc, "status", str, p),
        message=_get(doc, "message", str, p),
        steps=tuple(recorded),
    )


# -- comparing -------------------------------------------------------------------------------

def _show(x: float) -> str:
    return repr(float(x))


def _difference(rec: Step | None, now: Any, rtol: float, atol: float) -> StepDifference | None:
    if rec is None:
        return StepDifference(now.index, now.name, now.epoch, now.batch, "extra", "(no step)",
                              f"{now.phase} {now.name}")
    if now is None:
        return StepDifference(rec.index, rec.name, rec.epoch, rec.batch, "missing",
                              f"{rec.phase} {rec.name}", "(no step)")
    if (rec.name, rec.epoch, rec.batch, rec.phase) != (now.name, now.epoch, now.batch, now.phase):
        return StepDifference(rec.index, rec.name, rec.epoch, rec.batch, "step",
                              f"{rec.phase} {rec.name} ({rec.where()})",
                              f"{now.phase} {now.name} ({now.where()})")
    a, b = rec.value, now.value
    if a.shape != b.shape:
        return StepDifference(rec.index, rec.name, rec.epoch, rec.batch, "shape",
                              f"shape {a.shape}", f"shape {b.shape}")
    if np.array_equal(a, b, equal_nan=True):
        return None
    close = np.isclose(b, a, rtol=rtol, atol=atol, equal_nan=True)
    if np.all(close):
        return None
    bad = np.argwhere(~close) if a.ndim else np.zeros((1, 0), dtype=int)
    element = tuple(int(i) for i in bad[0])
    return StepDifference(rec.index, rec.name, rec.epoch, rec.batch, "value",
                          _show(a[element]), _show(b[element]), element=element,
                          differing=int(np.count_nonzero(~close)), size=int(a.size))


def compare(golden: Golden, trace: Trace, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
            limit: int = DEFAULT_LIMIT) -> ReplayResult:
    """Compare a golden file's steps with ``trace`` step by step: identity (name, epoch, batch,
    phase), order, shape and value (``|now − recorded| ≤ atol + rtol·|recorded|``)."""
    if rtol < 0 or atol < 0:
        raise BpstepError(f"tolerances must be zero or positive, got rtol={rtol}, atol={atol}")
    recorded = golden.steps
    differences: list[StepDifference] = []
    total = 0
    for i in range(max(len(recorded), len(trace))):
        d = _difference(recorded[i] if i < len(recorded) else None, trace[i] if i < len(trace) else None,
                        rtol, atol)
        if d is not None:
            total += 1
            if len(differences) < limit:
                display = trace.display_name(d.name, d.element) if d.element is not None else None
                if display and display != d.name:  # b1 (b1) says nothing
                    d = replace(d, display=display)
                differences.append(d)
    from bpstep import __version__

    notes = []
    if total and golden.bpstep_version != __version__:
        notes.append(f"recorded with bpstep {golden.bpstep_version}; this is bpstep {__version__}")
    return ReplayResult(
        file=golden.path, recorded_with=golden.bpstep_version, recorded_steps=len(recorded),
        replayed_steps=len(trace), differences=tuple(differences), total_differences=total,
        recorded_status=golden.status, replayed_status=trace.status, rtol=rtol, atol=atol,
        notes=tuple(notes),
    )


def replay(file: str | Path, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
           limit: int = DEFAULT_LIMIT) -> ReplayResult:
    """Recompute a golden file's run from the scenario embedded in it and compare step by step.

    Also checks the scenario's ``[expect]`` table. ``result.ok`` is True when every step agrees
    within ``rtol``/``atol`` and every expectation passes; ``result.differences`` lists the first
    ``limit`` differing steps. A bad file raises ``GoldenError`` (a ``BpstepError``).
    """
    from bpstep.engine.network import run

    golden = load_golden(file)
    trace = run(golden.scenario(), golden.epochs)
    result = compare(golden, trace, rtol, atol, limit)
    return replace(result, expectations=tuple(check_expectations(trace)))
