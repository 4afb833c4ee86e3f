"""Scale (issue 17): data read at numpy speed with every message of the exact reader, and a big
epoch's trace within its budget. Figures (load, trace, memory) are measured by
``python -m benchmarks``, never here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import bpstep
import bpstep.scenario.csv_reader as csv_reader
from bpstep.cli import main
from bpstep.engine.network import Runner
from bpstep.scenario import load_dict

SCENARIO = """name = "scale"
[network]
inputs = 3
layers = [{{ units = 4, activation = "relu" }}, {{ units = 2, activation = "sigmoid" }}]
loss = "mse"
[data]
csv = "d.csv"
input_columns = {inputs}
target_columns = ["t1", "t2"]
[training]
batch_size = 8
"""


def write(folder: Path, text: str, inputs: str = '["a", "b", "c"]') -> Path:
    (folder / "d.csv").write_text(text, encoding="utf-8")
    path = folder / "s.toml"
    path.write_text(SCENARIO.format(inputs=inputs), encoding="utf-8")
    return path


def table(rows: int = 50, seed: int = 0) -> tuple[np.ndarray, str]:
    values = np.random.default_rng(seed).normal(size=(rows, 6)) * 10.0 ** np.arange(-3, 3)
    lines = [",".join(repr(float(v)) for v in row) for row in values]
    return values, "a,b,c,t1,t2,extra\n" + "\n".join(lines) + "\n"


@pytest.fixture(params=["exact", "fast"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every case twice: the exact reader alone, and numpy first (for any size)."""
    monkeypatch.setattr(csv_reader, "FAST_BYTES", 0 if request.param == "fast" else 10**15)
    return request.param


def test_both_readers_give_the_same_numbers(tmp_path: Path, reader: str) -> None:
    values, text = table()
    scenario = bpstep.load(write(tmp_path, text.replace("\n", "\r\n"), '["c", "a", "b"]'))
    assert isinstance(scenario.data.x, np.ndarray) == (reader == "fast")
    assert scenario.data.inputs.tobytes() == values[:, [2, 0, 1]].tobytes()
    assert scenario.data.targets.tobytes() == np.ascontiguousarray(values[:, 3:5]).tobytes()


@pytest.mark.parametrize("case,expected", [
    ("bad cell", "d.csv: line 4, column b: expected a number, got a cell that is not a number"),
    ("empty cell", "d.csv: line 3, column c: expected a number, got an empty cell"),
    ("ragged", "d.csv: line 5 has 7 cells, more than the header's 6 columns"),
    ("short", "d.csv: line 5 has 5 cells, fewer than the header's 6 columns"),
    ("nan", "d.csv: line 6: holds a value that is not a finite number"),
    ("missing column", "column 'q' is not in d.csv"),
    ("no header", "column 'a' is not in d.csv"),
    ("header only", "needs a header row and at least one sample"),
    ("nul", "d.csv: line 3, column a: expected a number, got a cell that is not a number"),
    ("latin-1", "is not UTF-8 text"),
])
def test_every_message_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str], reader: str,
                               case: str, expected: str) -> None:
    _, text = table(8)
    lines = text.splitlines()
    inputs = '["a", "b", "c"]'
    if case == "bad cell":
        lines[3] = lines[3].split(",", 1)[0] + ",1x0," + lines[3].split(",", 2)[2]
    elif case == "empty cell":
        cells = lines[2].split(",")
        cells[2] = " "
        lines[2] = ",".join(cells)
    elif case == "ragged":
        lines[4] += ",1"
    elif case == "short":
        lines[4] = lines[4].rsplit(",", 1)[0]
    elif case == "nan":
        lines[5] = "nan," + lines[5].split(",", 1)[1]
    elif case == "missing column":
        inputs = '["a", "q", "c"]'
    elif case == "no header":
        lines = lines[1:]
    elif case == "header only":
        lines = lines[:1]
    elif case == "nul":
        lines[2] = "\0" + lines[2]
    path = write(tmp_path, "\n".join(lines) + "\n", inputs)
    if case == "latin-1":
        (tmp_path / "d.csv").write_bytes(("\n".join(lines) + "\n# caf\xe9\n").encode("latin-1"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1, err


def test_a_large_plain_file_is_read_by_numpy(tmp_path: Path) -> None:
    values, text = table(12_000, seed=1)
    assert len(text) > csv_reader.FAST_BYTES
    fast = bpstep.load(write(tmp_path, text))
    assert isinstance(fast.data.x, np.ndarray) and not fast.data.x.flags.writeable
    assert fast.data.inputs.tobytes() == np.ascontiguousarray(values[:, :3]).tobytes()
    # A quoted cell is the csv module's business: the exact reader takes the file, same numbers.
    quoted = bpstep.load(write(tmp_path, text.replace("a,b,c", '"a",b,c', 1)))
    assert isinstance(quoted.data.x, tuple)
    assert quoted.data.inputs.tobytes() == fast.data.inputs.tobytes()


def test_one_big_epoch_is_cut_into_segments_within_the_budget() -> None:
    """784-128-10 on 2,048 samples, batch 32: 64 batches in one epoch (3 MB each), in segments
    of a few batches so that the trace holds its byte budget, and every step comes back exactly."""
    rng = np.random.default_rng(0)
    doc = {"name": "mnist-like",
           "network": {"inputs": 784, "layers": [{"units": 128, "activation": "relu"},
                                                 {"units": 10, "activation": "sigmoid"}], "loss": "mse"},
           "data": {"inputs": rng.random((2048, 784)).tolist(), "targets": rng.random((2048, 10)).tolist()},
           "training": {"epochs": 1, "batch_size": 32, "learning_rate": 0.1}}
    scenario = load_dict(doc)
    budget = 32 * 1024**2
    runner = Runner(scenario)
    runner.trace.max_resident_bytes = budget
    small = runner.run()
    full = Runner(scenario)
    full.trace.max_resident_bytes = 10**12
    full = full.run()
    segs = small._by_epoch[1]
    assert len(segs) > 4 and small.resident_bytes <= budget + segs[0].nbytes
    for i in [len(full) - 1, 0, *np.random.default_rng(1).integers(0, len(full), 60).tolist()]:
        a, b = small[int(i)], full[int(i)]
        assert (a.name, a.epoch, a.batch) == (b.name, b.epoch, b.batch)
        assert a.value.tobytes() == b.value.tobytes()
    assert json.dumps(small.step_names()) == json.dumps(full.step_names())
