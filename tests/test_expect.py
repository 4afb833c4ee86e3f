"""``[expect]`` tables in scenario files: parsing, name checks, grading, and the CLI's exit codes.

Expected values are worked by hand (or are the tutorial's printed numbers), never taken from bpstep.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import bpstep
from bpstep.cli import main
from bpstep.errors import ScenarioError
from bpstep.scenario import bundled_dir, load_dict

EXERCISE = (bundled_dir() / "exercise.toml").read_text(encoding="utf-8")

# A 1-1 identity network, E = ½(o − t)², learning rate 0.1, two samples in batches of one:
#   epoch 1, batch 1: x = 1, o = 1·1 + 0 = 1,     E = 0.5,   dE/dW = 1,   dE/db = 1   → W = 0.9, b = −0.1
#   epoch 1, batch 2: x = 2, o = 0.9·2 − 0.1 = 1.7, E = 1.445, dE/dW = 3.4, dE/db = 1.7 → W = 0.56, b = −0.27
#   epoch 1 loss: (0.5 + 1.445) / 2 = 0.9725
#   epoch 2, batch 1: o = 0.56 − 0.27 = 0.29, E = 0.04205
LINE = """
name = "line"
[network]
inputs = 1
layers = [{ units = 1 }]
loss = "half_sse"
[parameters]
W1 = [[1.0]]
b1 = [0.0]
[data]
inputs = [[1], [2]]
targets = [[0], [0]]
[training]
learning_rate = 0.1
epochs = 2
batch_size = 1
[names]
w = "W1[0,0]"
o = "Z1[0,0]"
"""


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def results(text: str, epochs: int | None = None) -> dict[str, bpstep.ExpectationResult]:
    trace = bpstep.trace(bpstep.loads(text), epochs)
    return {r.expectation.key: r for r in bpstep.check_expectations(trace)}


def test_written_text_is_kept_for_the_precision_rule() -> None:
    sc = bpstep.loads(EXERCISE + '\n[expect]\nz_h1 = 4.3000\n"dE/db1" = 0.0020 # comment\nE = 1e-1\n')
    assert [(e.name, e.text, e.epoch, e.batch) for e in sc.expect] == [
        ("z_h1", "4.3000", 1, 1), ("dE/db1", "0.0020", 1, 1), ("E", "1e-1", 1, 1)]


def test_tutorial_values_pass_and_its_wrong_bias_gradient_fails() -> None:
    # The tutorial's printed values; its ∂E/∂b1 = 0.0008 forgets that b1 is shared (0.0024).
    text = EXERCISE + """
[expect]
z_h1 = 4.3000
h1 = 0.9866
"Z2[0,1]" = 0.9950
o1 = 0.8896
"dE/do1" = 0.7896
"dE/dw7" = 0.0765
"dE/dW2[0,1]" = 0.1183
w7 = 0.6992
"dE/db2" = 0.1975
"dE/db1" = 0.0008
"""
    r = results(text)
    assert [k for k, v in r.items() if not v.passed] == ["expect.dE/db1"]
    wrong = r["expect.dE/db1"]
    assert wrong.value == pytest.approx(0.0024, abs=1e-4)
    assert "dE/db1 (epoch 1, batch 1): expected 0.0008 ± 0.0001" in wrong.describe()
    assert r["expect.h1"].value == pytest.approx(1 / (1 + math.exp(-4.3)), rel=1e-15)


def test_precision_is_one_unit_of_the_last_written_decimal() -> None:
    # σ(4.3) = 0.98661308...: 0.9867 is within 0.0001, 0.98670 is not within 0.00001.
    r = results(EXERCISE + "\n[expect]\nh1 = 0.9867\nh2 = 1\nx2 = 4\n[expect.batch.1]\nz_h2 = 5.3\n")
    assert all(v.passed for v in r.values())
    r = results(EXERCISE + "\n[expect]\nh1 = 0.98670\n")
    assert not r["expect.h1"].passed


def test_epoch_and_batch_addressing_worked_by_hand() -> None:
    text = LINE + """
[expect]
E = 0.5
w = 0.9
[expect.batch.2]
E = 1.445
o = 1.7
"dE/dW1[0,0]" = 3.4
"dE/db1[0]" = 1.7
w = 0.56
"b1[0]" = -0.27
[expect.epoch.1]
loss = 0.9725
[expect.epoch.2.batch.1]
o = 0.29
E = 0.04205
"""
    r = results(text)
    assert {k: v.passed for k, v in r.items()} == {k: True for k in r}
    assert r["expect.batch.2.E"].expectation.batch == 2
    assert r["expect.epoch.2.batch.1.E"].expectation.epoch == 2
    # A wrong value at an addressed step fails, and says where.
    r = results(text.replace("E = 0.04205", "E = 0.04305"))
    failed = [v for v in r.values() if not v.passed]
    assert len(failed) == 1 and "E (epoch 2, batch 1): expected 0.04305" in failed[0].describe()


def test_a_step_the_run_never_reached_fails_without_raising() -> None:
    r = results(LINE + "\n[expect.epoch.2]\nE = 0.04205\n", epochs=1)
    (only,) = r.values()
    assert not only.passed and only.value is None
    assert "no step E" in only.describe()


def test_inline_tables_and_load_dict_fall_back_to_the_parsed_number() -> None:
    sc = bpstep.loads(LINE + "\n[expect]\nbatch = { 2 = { E = 1.4450, w = 0.56 } }\n")
    assert [(e.name, e.text, e.batch) for e in sc.expect] == [("E", "1.445", 2), ("w", "0.56", 2)]
    import tomllib

    doc = tomllib.loads(LINE)
    doc["expect"] = {"E": 0.5}
    assert load_dict(doc).expect[0].text == "0.5"


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ("[expect]\nh9 = 1.0", "expect.h9", "'h9' names no value of this network"),
        ("[expect]\n\"Z2[0,5]\" = 1.0", "expect.Z2[0,5]", "index [0, 5] is outside Z2"),
        ("[expect]\nZ2 = 1.0", "expect.Z2", "is a 1×2 value: name one element, like 'Z2[0,0]'"),
        ("[expect]\nh1 = \"high\"", "expect.h1", "must be a number, got a string"),
        ("[expect]\nh1 = true", "expect.h1", "must be a number, got a boolean"),
        ("[expect]\nh1 = nan", "expect.h1", "must be a finite number"),
        ("[expect.epoch.2]\nh1 = 1.0", "expect.epoch.2.h1", "epoch 2 is after the last"),
        ("[expect.batch.2]\nh1 = 1.0", "expect.batch.2.h1", "batch 2 is after the last"),
        ("[expect.epoch.x]\nh1 = 1.0", "expect.epoch.x", "'x' is not an epoch number"),
        ("[expect.epoch.0]\nh1 = 1.0", "expect.epoch.0", "is not an epoch number"),
        ("[expect]\nepoch = { 1 = 2.0 }", "expect.epoch.1", "must be a table of name = value pairs"),
        ("[expect.batch.1.epoch.1]\nh1 = 1.0", "expect.batch.1.epoch", "must be a number, got a table"),
        ("[expect.batch.y]\nh1 = 1.0", "expect.batch.y", "'y' is not a batch number"),
    ],
)
def test_bad_expectations_are_reported_by_key(table: str, key: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        bpstep.loads(EXERCISE + "\n" + table + "\n", source="ex.toml")
    assert info.value.key == key
    assert message in info.value.message
    assert str(info.value).startswith(f"ex.toml: {key}: ")


def test_trace_command_exits_1_listing_failed_expectations(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, EXERCISE + '\n[expect]\n"dE/db1" = 0.0008\nz_h1 = 4.3\nh2 = 0.90\n')
    assert main(["trace", str(path), "--json"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("{")  # the JSON document is still printed, on stdout
    assert f"bpstep: {path}: 2 of 3 expectations failed:" in err
    assert "  dE/db1 (epoch 1, batch 1): expected 0.0008 ± 0.0001, got 0.00238" in err
    assert "  h2 (epoch 1, batch 1): expected 0.90 ± 0.01, got 0.995" in err
    assert "z_h1" not in err


def test_trace_command_exits_0_when_expectations_pass(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, EXERCISE + '\n[expect]\n"dE/db1" = 0.0024\n')
    assert main(["trace", str(path)]) == 0
    assert "expectation" not in capsys.readouterr().err


def test_a_bad_expectation_name_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, EXERCISE + "\n[expect]\nh3 = 0.5\n")
    assert main(["trace", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expect.h3: 'h3' names no value" in err and "Traceback" not in err


def test_validate_lists_every_bad_expectation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = ('[expect]\nh1 = "high"\nh9 = 1.0\nZ2 = 1.0\n"dE/db1" = 0.0024\n'
             '[expect.epoch.0]\nh1 = 1.0\n[expect.epoch.2]\nh1 = 1.0\n')
    path = write(tmp_path, EXERCISE + "\n" + table)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 5, err
    for key, message in [("expect.h1", "must be a number"), ("expect.h9", "names no value"),
                         ("expect.Z2", "is a 1×2 value"), ("expect.epoch.0", "is not an epoch number"),
                         ("expect.epoch.2.h1", "epoch 2 is after the last")]:
        assert any(f"{path}: {key}: " in line and message in line for line in lines), (key, err)
