"""``bpstep SCENARIO`` on a large CSV file: the first frame comes before the data's numbers are
read (the run reads them, in its worker), and a bad cell found there still ends with one message
and exit code 2, no traceback. Also: a deferred file's run is the eager one's, bit for bit, and a
long epoch reports progress segment by segment."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import bpstep
from bpstep.engine.network import Runner
from bpstep.errors import ScenarioError
from bpstep.scenario.deferred import DeferredRows
from bpstep.tracing import Trace

REPO = Path(__file__).resolve().parent.parent
ROWS, INPUTS = 3000, 12


def _scenario(folder: Path, bad_line: int | None = None, epochs: int = 1, rows: int = ROWS) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, INPUTS)).round(6)
    t = (x[:, :1] > 0).astype(float)
    header = ",".join([f"x{i}" for i in range(INPUTS)] + ["y"])
    lines = [header] + [",".join(f"{v:g}" for v in row) for row in np.hstack([x, t])]
    if bad_line is not None:
        cells = lines[bad_line - 1].split(",")
        cells[3] = "oops"
        lines[bad_line - 1] = ",".join(cells)
    (folder / "big.csv").write_text("\n".join(lines) + "\n")
    cols = ", ".join(f'"x{i}"' for i in range(INPUTS))
    toml = folder / "big.toml"
    toml.write_text(textwrap.dedent(f"""\
        name = "big"
        [network]
        inputs = {INPUTS}
        layers = [{{ units = 8, activation = "relu" }}, {{ units = 1, activation = "sigmoid" }}]
        loss = "mse"
        [data]
        csv = "big.csv"
        input_columns = [{cols}]
        target_columns = ["y"]
        [training]
        epochs = {epochs}
        batch_size = 8
        learning_rate = 0.1
        shuffle = true
        """))
    assert (folder / "big.csv").stat().st_size >= 64 * 1024
    return toml


OPEN = """
    import contextlib, io, json, sys
    import bpstep.cli
    from benchmarks import child
    from textual.app import App

    from bpstep import files
    from bpstep.scenario import deferred

    seen = {"first_frame": False, "reads": []}

    def on_first(app, now, update):
        seen["first_frame"] = True
        seen["steps_at_first_frame"] = len(app.trace)
        seen["reads_at_first_frame"] = list(seen["reads"])

    # What reads the data file, and when: its bytes (files.read_bytes), its numbers (the read).
    read_bytes, read = files.read_bytes, deferred.DeferredData.read

    def counting_bytes(path, kind, *a, **k):
        if kind == "data":
            seen["reads"].append("bytes")
        return read_bytes(path, kind, *a, **k)

    def counting_read(self):
        if "numbers" not in seen["reads"]:
            seen["reads"].append("numbers")
        return read(self)

    files.read_bytes, deferred.DeferredData.read = counting_bytes, counting_read

    async def pilot(p):
        for _ in range(400):
            if p.app.trace.finished:
                break
            await p.pause(0.05)
        await p.press("q")

    child.patch_display(on_first)
    run = App.run
    App.run = lambda self, *a, **k: run(self, headless=True, size=(120, 40), auto_pilot=pilot)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        seen["exit"] = bpstep.cli.main(ARGV)
    seen["err"] = err.getvalue()
    print(json.dumps(seen))
"""


def _open(path: Path) -> tuple[dict, str]:
    code = textwrap.dedent(OPEN).replace("ARGV", repr([str(path)]))
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def test_a_bad_cell_far_down_ends_the_app_with_exit_2(tmp_path: Path) -> None:
    path = _scenario(tmp_path, bad_line=2900)
    seen, stderr = _open(path)
    assert seen["first_frame"] and seen["steps_at_first_frame"] == 0  # the screen came first
    assert seen["exit"] == 2
    assert "Traceback" not in seen["err"] + stderr
    message = "big.csv: line 2900, column x3: expected a number, got a cell that is not a number"
    assert message in seen["err"]
    assert seen["err"].startswith("bpstep: ") and seen["err"].count("\n") == 1
    with pytest.raises(ScenarioError, match="line 2900, column x3"):  # the same as read at once
        bpstep.load(path)


def test_a_good_file_opens_and_runs(tmp_path: Path) -> None:
    seen, stderr = _open(_scenario(tmp_path))
    assert seen["first_frame"] and seen["exit"] == 0 and "Traceback" not in stderr
    assert seen["reads_at_first_frame"] == [] and seen["reads"] == ["numbers", "bytes"]


def test_a_large_file_is_not_read_before_the_first_frame(tmp_path: Path) -> None:
    # Only its header line and its size are looked at before the screen: not its bytes, not its
    # rows (the memory rule, the split and the top bar's batches wait for the run's read).
    seen, stderr = _open(_scenario(tmp_path, rows=2 * ROWS))
    assert seen["first_frame"] and seen["steps_at_first_frame"] == 0
    assert seen["reads_at_first_frame"] == []
    assert seen["exit"] == 0 and seen["reads"] == ["numbers", "bytes"] and "Traceback" not in stderr
    late = bpstep.load(tmp_path / "big.toml", defer_data=True)
    assert late.batches == 0 and late.data.x.data.rows is None  # not known before the read
    assert late.data.samples == 2 * ROWS and late.batches == 2 * ROWS // 8


def test_a_run_too_large_for_its_rows_is_refused_once_read(tmp_path: Path) -> None:
    # The memory rule needs the row count: for a deferred file it runs once the file is read,
    # in the run's worker, with the same message as at load time, and exit code 2.
    path = _scenario(tmp_path, epochs=10**9)
    with pytest.raises(ScenarioError) as eager:
        bpstep.load(path)
    assert "training.epochs" in str(eager.value) and "the trace would need" in str(eager.value)
    seen, stderr = _open(path)
    assert seen["first_frame"] and seen["reads_at_first_frame"] == []
    assert seen["exit"] == 2 and "Traceback" not in seen["err"] + stderr
    assert seen["err"] == f"bpstep: {eager.value}\n"


def test_deferred_data_runs_bit_for_bit_as_read_at_once(tmp_path: Path) -> None:
    path = _scenario(tmp_path, epochs=2)
    late, now = bpstep.load(path, defer_data=True), bpstep.load(path)
    assert isinstance(late.data.x, DeferredRows) and not late.data.x.data.loaded
    assert late.data.samples == now.data.samples == ROWS
    a, b = Runner(late).run(), Runner(now).run()
    assert len(a) == len(b)
    for s, u in zip(a, b, strict=True):
        assert s.name == u.name and np.array_equal(s.value, u.value)


def test_a_long_epoch_reports_each_segment(tmp_path: Path) -> None:
    sc = bpstep.load(_scenario(tmp_path))
    trace = Trace.for_run(sc)
    trace.max_resident_bytes = 64 * 1024  # small segments: many per epoch
    seen: list[tuple[int, int]] = []
    trace.on_segment = lambda: seen.append(trace.progress)
    runner = Runner(sc, trace=trace)
    runner.run()
    batches = -(-ROWS // 8)
    assert trace.batches_per_epoch == batches
    assert len(seen) >= 3 and all(e == 1 for e, _ in seen)
    done = [b for _, b in seen]
    assert done == sorted(done) and 0 < done[0] and done[-1] < batches


def test_a_validation_split_waits_for_the_rows_too(tmp_path: Path) -> None:
    # digits has one: its data must not be read before the first frame for the split's check.
    path = _scenario(tmp_path)
    text = path.read_text().replace("shuffle = true", "shuffle = true\nvalidation_fraction = 0.1")
    path.write_text(text)
    late = bpstep.load(path, defer_data=True)
    assert late.data.x.data.rows is None  # checking the split did not read the file
    assert late.data.samples == ROWS
    # A split that leaves nothing to train on: the same message, at load or once read.
    path.write_text(text.replace("validation_fraction = 0.1", "validation_fraction = 0.9999"))
    with pytest.raises(ScenarioError, match="validation_fraction: leaves no training samples"):
        bpstep.load(path)
    late = bpstep.load(path, defer_data=True)
    with pytest.raises(ScenarioError, match="validation_fraction: leaves no training samples"):
        late.data.samples  # noqa: B018 - reading the rows runs the check
