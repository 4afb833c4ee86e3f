"""The benchmark harness runs end to end on tiny inputs and writes every figure to its JSON file.

A smoke test only: no figure's value is checked against its target (issue 7: benchmarks never
run as timed unit tests). ``python -m benchmarks`` measures them for real.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

REPO = Path(__file__).resolve().parent.parent

FIGURE_IDS = {
    "engine.housing",
    "keys.floor", "keys.exercise", "keys.net64",
    "startup.exercise", "startup.values", "startup.digits", "startup.spiral",
    "long.first_screen", "long.jump_last", "long.jump_first", "long.jump_random", "long.peak_rss",
    "wide.open", "wide.key_median", "wide.key_max",
    "scale.load", "scale.trace", "scale.peak_rss", "scale.read_last", "scale.big_rss", "scale.tui_jump",
}
ROW_KEYS = {"id", "figure", "value", "unit", "target", "target_text", "ratio", "ratio_kind", "baseline",
            "passed", "how", "details", "error"}


def test_quick_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--reps", "1", "--startup-reps", "1",
         "--presses", "1", "--keys", "n,G", "--jumps", "1", "--xor-epochs", "5",
         "--wide-shape", "12,6,3", "--size", "120x36", "--scale-samples", "64", "--scale-big", "96",
         "-o", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text(encoding="utf-8"))

    assert doc["meta"]["quick"] is True
    assert doc["meta"]["machine"]["cores"] >= 1
    assert "OPENBLAS_CORETYPE" in doc["meta"]["machine"]
    rows = {row["id"]: row for row in doc["figures"]}
    assert set(rows) == FIGURE_IDS
    for row in rows.values():
        assert set(row) == ROW_KEYS, row["id"]
        assert row["error"] == "", row["error"]
        assert isinstance(row["value"], float) and math.isfinite(row["value"]) and row["value"] > 0
        assert row["how"]
        if row["target"] is not None:  # every figure but the floor (and torch's absence) has a target
            assert row["ratio"] > 0 and isinstance(row["passed"], bool), row["id"]
    for ratio_row in ("engine.housing", "startup.exercise", "long.first_screen", "wide.open"):
        assert rows[ratio_row]["baseline"] > 0
    assert set(rows["keys.exercise"]["details"]["per_key"]) == {"n", "G"}
    assert rows["keys.exercise"]["details"]["per_key"]["n"]["moved"] == 1  # every press moved the cursor
    assert rows["long.peak_rss"]["details"]["steps"] > 0
    # The table went to stdout too.
    assert "Engine" in proc.stdout and "written to" in proc.stdout
