"""The benchmarks' results: a ``Figure`` per row, the machine they ran on, and the table printed
at the end of ``python -m benchmarks`` (``benchmarks.run`` measures; this module reports)."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any


@dataclass
class Figure:
    """One row of the results: ``ratio`` is value/target, or value/baseline when the target is a
    ratio to a baseline (``ratio_kind`` says which)."""

    id: str
    figure: str
    value: float | None
    unit: str
    target: float | None
    target_text: str
    ratio: float | None = None
    ratio_kind: str = "value/target"
    baseline: float | None = None
    passed: bool | None = None
    how: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def judge(self) -> Figure:
        if self.value is None:
            return self
        if self.ratio_kind == "value/target":
            if self.target:
                self.ratio = self.value / self.target
                self.passed = self.value <= self.target
        elif self.baseline:
            self.ratio = self.value / self.baseline
            self.passed = self.target is None or self.ratio <= self.target
        return self


def machine() -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "cores": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine(),
        "python": sys.version.split()[0], "executable": sys.executable,
        "packages": {d: version(d) for d in ("bpstep", "numpy", "textual", "rich", "scikit-learn")},
        # Left as set: the engine and scikit-learn run in the same process with the same BLAS.
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }


def fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return "—"
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"
    return f"{text} {unit}".strip()


def print_table(figures: list[Figure], meta: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"bpstep benchmarks ({meta['machine']['cores']} cores, load before "
                        f"{meta['load_before'][0]}, after {meta['load_after'][0]})", title_justify="left")
    for col in ("figure", "value", "baseline", "target", "ratio", ""):
        table.add_column(col, justify="left" if col in ("figure", "target") else "right")
    for f in figures:
        if f.error:
            table.add_row(f.figure, "[red]error[/red]", "", f.target_text, "", "")
            continue
        mark = {True: "[green]pass[/green]", False: "[red]FAIL[/red]", None: ""}[f.passed]
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}"
        table.add_row(f.figure, fmt(f.value, f.unit), fmt(f.baseline, f.unit if f.baseline else ""),
                      f.target_text, ratio, mark)
    # Piped output gets rich's 80 columns; the table needs more.
    console = Console() if sys.stdout.isatty() else Console(width=132)
    console.print(table)
    per_key = [f for f in figures if "per_key" in f.details and f.id != "wide.key_max"]
    if per_key:
        keys = list(dict.fromkeys(k for f in per_key for k in f.details["per_key"]))
        t = Table(title="CPU per key press, mean ms (x: the floor's no-op key; unbound: a key bound to "
                        "nothing, i.e. Pilot and dispatch on bpstep's widgets; gc2: full collections "
                        "during the timed presses)", title_justify="left")
        t.add_column("app")
        for k in [*keys, "max", "unbound", "gc2"]:
            t.add_column(k, justify="right")
        for f in per_key:
            pk = f.details["per_key"]
            floor = f.details.get("unbound")
            gc2 = (f.details.get("gc_during_presses") or {}).get("count", [0, 0, "—"])[2]
            t.add_row(f.id.split(".")[1] if f.id.startswith("keys.") else f.id.split(".")[0],
                      *[f"{pk[k]['mean_ms']:.1f}" if k in pk else "" for k in keys],
                      f"{f.details['max_ms']:.0f}", f"{floor['mean_ms']:.1f}" if floor else "", str(gc2))
        console.print(t)
