"""Golden traces: ``bpstep record`` / ``bpstep replay`` and the ``bpstep.golden`` API."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import bpstep
from bpstep.cli import main
from bpstep.golden import GoldenError, load_golden, record, replay
from bpstep.scenario import bundled_dir, bundled_names

EXERCISE = (bundled_dir() / "exercise.toml").read_text(encoding="utf-8")


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    path = tmp_path / "exercise.json"
    record("exercise", path)
    return path


def value_line(text: str, index: int) -> int:
    """The line number (0-based) of step ``index``'s value: one value per line after '"value": ['."""
    lines = text.splitlines()
    return lines.index('    "value": [') + 1 + index


# Bundled runs whose whole golden JSON would pass the 128 MiB cap (digits ~200 MB), recorded for
# their first epochs.
RECORD_EPOCHS = {"digits": 2, "spiral": 20}


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_scenario_round_trips(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.json.gz"
    trace = record(name, path, RECORD_EPOCHS.get(name))
    g = load_golden(path)
    assert len(g.steps) == len(trace) > 0
    assert g.status == trace.status and g.bpstep_version == bpstep.__version__
    for rec, step in zip(g.steps, trace, strict=True):
        assert (rec.index, rec.epoch, rec.batch, rec.phase, rec.name) == (
            step.index, step.epoch, step.batch, step.phase, step.name)
        assert rec.value.shape == step.value.shape
        assert rec.value.tobytes() == step.value.tobytes()  # full float64 precision, bit for bit
    result = replay(path, rtol=0.0, atol=0.0)
    assert result.ok and result.total_differences == 0, result.report()
    if name == "housing":  # the longest bundled run (600 mini-batches) stays compact:
        floats = sum(s.value.size for s in trace)
        # under 7 bytes per float64 value (8 raw), everything else included
        assert path.stat().st_size < 7 * floats, (path.stat().st_size, floats)
        assert g.files  # its CSV travels with it


def test_replay_cli_exit_0(golden: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(golden)]) == 0
    assert "all 19 steps agree" in capsys.readouterr().out


def test_hand_edited_value_fails_naming_the_step(golden: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = golden.read_text(encoding="utf-8")
    lines = text.splitlines()
    i = value_line(text, 12)  # dE/dW2 of the exercise; its [0,0] is the tutorial's ∂E/∂w7 = 0.0765
    assert lines[i].startswith("[[0.0765")
    lines[i] = re.sub(r"^\[\[0\.0765", "[[0.0766", lines[i])
    golden.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["replay", str(golden)]) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "dE/dW2[0,0]" in line)
    assert "(dE/dw7)" in row and "│ 12 │" in row
    assert re.search(r"│\s+1\s+│\s+1\s+│ 0\.0766\d* +│ 0\.0765\d* +│", row), row
    assert "1 of 19 steps differ" in out


def test_result_lists_the_first_differing_steps(golden: Path) -> None:
    doc = json.loads(golden.read_text(encoding="utf-8"))
    doc["steps"]["value"][1][0][0] += 1.0  # Z1 = z_h: z_h1 4.3 → 5.3
    doc["steps"]["value"][5] *= 2  # E
    golden.write_text(json.dumps(doc), encoding="utf-8")
    result = replay(golden, limit=1)
    assert not result.ok and result.total_differences == 2
    (d,) = result.differences
    assert (d.index, d.name, d.epoch, d.batch, d.element, d.display) == (1, "Z1", 1, 1, (0, 0), "z_h1")
    assert (float(d.recorded), float(d.now)) == (5.3, 4.3)
    assert d.differing == 1 and d.size == 2
    assert "the first 1 shown" in result.summary()


def test_tolerances(golden: Path) -> None:
    doc = json.loads(golden.read_text(encoding="utf-8"))
    doc["steps"]["value"][5] *= 1 + 1e-7  # E, relatively off by 1e-7
    golden.write_text(json.dumps(doc), encoding="utf-8")
    assert not replay(golden).ok
    assert replay(golden, rtol=1e-6).ok
    assert replay(golden, atol=1e-6).ok
    assert main(["replay", str(golden), "--rtol", "1e-6"]) == 0


def test_structural_differences(golden: Path) -> None:
    doc = json.loads(golden.read_text(encoding="utf-8"))
    steps = doc["steps"]
    steps["name"][2] = "Z9"
    steps["shape"][3] = [2, 1]
    steps["value"][3] = [[v] for v in steps["value"][3][0]]
    for column in steps.values():
        del column[-1]  # the epoch's loss is missing from the recording
    golden.write_text(json.dumps(doc), encoding="utf-8")
    result = replay(golden)
    assert [(d.index, d.reason) for d in result.differences] == [(2, "step"), (3, "shape"), (18, "extra")]
    assert result.differences[1].recorded == "shape (2, 1)" and result.differences[1].now == "shape (1, 2)"
    assert (result.recorded_steps, result.replayed_steps) == (18, 19)


def test_missing_steps_and_status(tmp_path: Path) -> None:
    path = tmp_path / "xor.json"
    record("xor", path, epochs=2)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["epochs"] == 2
    doc["epochs"] = 1  # the replay now stops after one epoch
    doc["status"] = "stopped"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = replay(path)
    assert result.differences[0].reason == "missing"
    assert result.differences[0].now == "(no step)"
    assert "the run was 'stopped', now 'complete'" in result.summary()


def test_epochs_override_is_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "xor.json.gz"
    assert main(["record", "xor", "-o", str(path), "--epochs", "3"]) == 0
    assert "recorded" in capsys.readouterr().out
    g = load_golden(path)
    assert g.epochs == 3 and max(s.epoch for s in g.steps) == 3
    assert replay(path).ok


def test_failed_expectation_fails_the_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "ex.toml"
    scenario.write_text(EXERCISE + '\n[expect]\n"dE/db1" = 0.0024\n', encoding="utf-8")
    path = tmp_path / "ex.json"
    assert main(["record", str(scenario), "-o", str(path)]) == 0
    assert main(["replay", str(path)]) == 0
    assert "1 expectations pass" in capsys.readouterr().out
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["scenario"]["toml"] = doc["scenario"]["toml"].replace("0.0024", "0.0008")
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert "expectation failed dE/db1 (epoch 1, batch 1): expected 0.0008" in out
    assert "1 of 1 expectations failed" in out


def test_record_with_failing_expectations_writes_and_exits_1(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "ex.toml"
    scenario.write_text(EXERCISE + '\n[expect]\n"dE/db1" = 0.0008\n', encoding="utf-8")
    assert main(["record", str(scenario), "-o", str(tmp_path / "ex.json")]) == 1
    assert "1 of 1 expectations failed" in capsys.readouterr().err
    assert (tmp_path / "ex.json").exists()


def test_replay_needs_neither_the_scenario_nor_its_data(tmp_path: Path) -> None:
    # A CSV one folder up, as "../data/points.csv": both are embedded and restored for the replay.
    (tmp_path / "data").mkdir()
    (tmp_path / "s").mkdir()
    rows = "\n".join(f"{x},{2 * x + 1}" for x in range(6))
    (tmp_path / "data" / "points.csv").write_text("x,y\n" + rows + "\n", encoding="utf-8")
    scenario = tmp_path / "s" / "line.toml"
    scenario.write_text("""
name = "line from csv"
[network]
inputs = 1
layers = [{ units = 1 }]
loss = "mse"
[init]
seed = 3
[data]
csv = "../data/points.csv"
input_columns = ["x"]
target_columns = ["y"]
test_fraction = 0.3
standardize = true
[training]
learning_rate = 0.05
epochs = 4
batch_size = 2
shuffle = true
""", encoding="utf-8")
    path = tmp_path / "line.json"
    record(scenario, path, allow_data_outside=True)  # the data lie outside the scenario's folder
    assert load_golden(path).files == {"../data/points.csv": "x,y\n" + rows + "\n"}
    shutil.rmtree(tmp_path / "data")
    scenario.unlink()
    result = replay(path, rtol=0, atol=0)
    assert result.ok and result.recorded_steps > 0


def test_non_finite_values_round_trip(tmp_path: Path) -> None:
    # 1e200² overflows: E is +inf and the run stops there, diverged.
    scenario = tmp_path / "big.toml"
    scenario.write_text("""
name = "overflow"
[network]
inputs = 1
layers = [{ units = 1 }]
[parameters]
W1 = [[1e200]]
b1 = [0.0]
[data]
inputs = [[1.0]]
targets = [[0.0]]
""", encoding="utf-8")
    path = tmp_path / "big.json"
    assert main(["record", str(scenario), "-o", str(path)]) == 1  # diverged, but recorded
    g = load_golden(path)
    assert g.status == "diverged" and g.steps[-1].name == "E" and g.steps[-1].value == np.inf
    assert '"Infinity"' in path.read_text(encoding="utf-8")
    assert replay(path).ok


def test_record_from_a_scenario_object(tmp_path: Path) -> None:
    record(bpstep.load("exercise"), tmp_path / "a.json")
    assert replay(tmp_path / "a.json").ok
    with pytest.raises(bpstep.BpstepError, match="needs the scenario's TOML file"):
        record(bpstep.loads(EXERCISE), tmp_path / "b.json")


def test_gzip_is_smaller_and_the_bytes_are_reproducible(tmp_path: Path) -> None:
    record("xor", tmp_path / "a.json")
    record("xor", tmp_path / "a.json.gz")
    record("xor", tmp_path / "b.json.gz")
    plain, packed = (tmp_path / "a.json").read_bytes(), (tmp_path / "a.json.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b" and gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2
    assert packed == (tmp_path / "b.json.gz").read_bytes()  # no timestamp in the gzip header
    # Compression is recognised by content, not by name.
    (tmp_path / "c.json").write_bytes(packed)
    assert replay(tmp_path / "c.json").ok


def bad_files(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    record("exercise", tmp_path / "good.json")
    good = json.loads((tmp_path / "good.json").read_text(encoding="utf-8"))

    def mutate(fn) -> bytes:  # type: ignore[no-untyped-def]
        doc = json.loads(json.dumps(good))
        fn(doc)
        return json.dumps(doc).encode()

    def put(column: str, i: int, v: object) -> bytes:
        return mutate(lambda d: d["steps"][column].__setitem__(i, v))

    return {
        "empty": (b"", "is not JSON (line 1, column 1"),
        "not json": (b"{'a': 1}", "is not JSON"),
        "binary": (b"\xff\xfe\x00", "is not UTF-8 text"),
        "damaged gzip": (gzip.compress(b"{}")[:-6], "is a damaged gzip file"),
        "a list": (b"[1, 2]", "is not a bpstep golden trace"),
        "other format": (mutate(lambda d: d.update(format="other")), "is not a bpstep golden trace"),
        "version 2": (mutate(lambda d: d.update(version=2)),
                      "version: golden format version 2 is not supported"),
        "version text": (mutate(lambda d: d.update(version="1")), "version: must be a whole number"),
        "no steps": (mutate(lambda d: d.pop("steps")), "steps: is missing"),
        "no names": (mutate(lambda d: d["steps"].pop("name")), "steps.name: is missing"),
        "no toml": (mutate(lambda d: d["scenario"].pop("toml")), "scenario.toml: is missing"),
        "steps a list": (mutate(lambda d: d.update(steps=[])), "steps: must be an object, got list"),
        "short column": (mutate(lambda d: d["steps"]["epoch"].pop()), "steps.epoch: has 18 entries"),
        "bool epoch": (put("epoch", 0, True), "steps.epoch[0]: must be"),
        "negative batch": (put("batch", 1, -1), "steps.batch[1]: must be"),
        "bad shape": (put("shape", 0, "1x3"), "steps.shape[0]: must be"),
        "wrong shape": (put("shape", 5, [1]), "steps.value[5]: has shape (), but steps.shape[5] says (1,)"),
        "ragged": (mutate(lambda d: d["steps"]["value"][10].__setitem__(0, [1.0])),
                   "steps.value[10]: has rows of different lengths"),
        "text value": (put("value", 5, "0.5"), "steps.value[5]: must hold"),
        "bool value": (put("value", 5, True), "steps.value[5]: must hold"),
        "null value": (put("value", 5, None), "steps.value[5]: must hold"),
        "epochs 0": (mutate(lambda d: d.update(epochs=0)), "epochs: must be positive or null"),
        "file not text": (mutate(lambda d: d["scenario"]["files"].update(x=1)), "scenario.files.x: must be"),
        "broken toml": (mutate(lambda d: d["scenario"].update(toml="name = ")),
                        "the embedded scenario cannot be loaded"),
    }


def test_bad_files_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for label, (data, message) in bad_files(tmp_path).items():
        path = tmp_path / "bad.json"
        path.write_bytes(data)
        assert main(["replay", str(path)]) == 2, label
        out, err = capsys.readouterr()
        assert err.startswith(f"bpstep: {path}: ") and err.count("\n") == 1, (label, err)
        assert message in err, (label, err)
        assert "Traceback" not in err + out
        with pytest.raises(GoldenError):
            replay(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "{tmp}/missing.json"], "missing.json: no such file"),
        (["replay", "{tmp}"], "is a folder"),
        (["replay", "{tmp}/good.json", "--rtol", "-1"], "--rtol must be zero or positive"),
        (["replay", "{tmp}/good.json", "--atol", "nan"], "--atol must be zero or positive"),
        (["replay", "{tmp}/good.json", "--limit", "0"], "--limit must be positive"),
        (["record", "nosuch", "-o", "{tmp}/x.json"], "no such file or bundled scenario"),
        (["record", "exercise", "-o", "{tmp}/nodir/x.json"], "cannot be written"),
        (["record", "exercise", "-o", "{tmp}/x.json", "--epochs", "0"], "--epochs must be positive"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], message: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    record("exercise", tmp_path / "good.json")
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_difference_names_the_recording_version(golden: Path) -> None:
    doc = json.loads(golden.read_text(encoding="utf-8"))
    doc["bpstep"] = "0.0.1"
    golden.write_text(json.dumps(doc), encoding="utf-8")
    assert replay(golden).ok  # another version alone is no difference
    doc["steps"]["value"][5] += 1.0
    golden.write_text(json.dumps(doc), encoding="utf-8")
    result = replay(golden)
    assert result.notes == (f"recorded with bpstep 0.0.1; this is bpstep {bpstep.__version__}",)
    assert result.report().endswith(f"note: recorded with bpstep 0.0.1; this is bpstep {bpstep.__version__}")


def test_record_refuses_what_replay_would_refuse(tmp_path, monkeypatch, capsys):
    """A golden file over the cap replay reads is not written: the message says how to fix it."""
    from bpstep.cli import main

    monkeypatch.setenv("BPSTEP_MAX_FILE_MIB", "0.002")  # over the scenario, under its golden file
    out = tmp_path / "g.json"
    assert main(["record", "exercise", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert not out.exists()
    assert "replay reads" in err and "--epochs" in err and "BPSTEP_MAX_FILE_MIB" in err
    monkeypatch.delenv("BPSTEP_MAX_FILE_MIB")
    assert main(["record", "exercise", "-o", str(out)]) == 0 and main(["replay", str(out)]) == 0
