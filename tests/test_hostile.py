"""Hostile files (issue 12): every file bpstep reads may be crafted. Each class through the CLI:
exit 2, one message on stderr naming the file and the problem, no traceback, no content of the
file echoed; the cases that could hang or exhaust memory run in a subprocess with a timeout and
an address-space limit."""

from __future__ import annotations

import gzip
import json
import math
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bpstep.cli import main
from bpstep.scenario import bundled_dir

EXERCISE = (bundled_dir() / "exercise.toml").read_text(encoding="utf-8")
HOUSING = (bundled_dir() / "housing.toml").read_text(encoding="utf-8")
SECRET = "root:SECRET-7f3a:0:0:root:/root:/bin/bash"
SECRET2 = "daemon:SECRET-LINE-TWO:1:1::/:/bin/sh"


def one_error(capsys: pytest.CaptureFixture[str], argv: list[str], *expected: str) -> str:
    """Run the CLI in-process: exit 2, nothing on stdout, one line on stderr holding ``expected``,
    and neither the secret nor a traceback anywhere."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.startswith("bpstep: ") and err.count("\n") == 1, err
    for text in expected:
        assert text in err, (text, err)
    for text in ("SECRET", "Traceback"):
        assert text not in out + err, err
    return err


def run_limited(argv: list[str], memory: int | None = None, env: dict[str, str] | None = None,
                timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """``python -m bpstep ARGV`` in a child process, with an address-space limit if given."""
    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "bpstep", *argv], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit, env={**os.environ, **(env or {})})


def assert_one_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    err = result.stderr
    assert err.startswith("bpstep: ") and err.count("\n") == 1, err
    for text in expected:
        assert text in err, (text, err)
    assert "Traceback" not in err and "SECRET" not in result.stdout + err


def csv_scenario(folder: Path, csv_name: str, inputs: str = '["RM", "LSTAT"]',
                 targets: str = '["MEDV"]') -> Path:
    """The housing scenario in ``folder`` reading ``csv_name``."""
    text = HOUSING.replace('csv = "housing.csv"', f"csv = {json.dumps(csv_name)}")
    text = text.replace('input_columns = ["RM", "LSTAT"]', f"input_columns = {inputs}")
    text = text.replace('target_columns = ["MEDV"]', f"target_columns = {targets}")
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def secret_file(folder: Path) -> Path:
    path = folder / "passwd"
    path.write_text(f"{SECRET}\n{SECRET2}\n", encoding="utf-8")
    return path


# -- leaks ----------------------------------------------------------------------------------------

def test_a_non_csv_file_is_never_echoed_as_columns(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    secret_file(tmp_path)
    err = one_error(capsys, ["trace", str(csv_scenario(tmp_path, "passwd"))], "data.csv",
                    "is not a CSV table")
    assert "/bin/bash" not in err and "root:" not in err


def test_naming_line_one_as_a_column_does_not_echo_line_two(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    secret_file(tmp_path)
    scenario = csv_scenario(tmp_path, "passwd", inputs=json.dumps([SECRET]), targets=json.dumps([SECRET]))
    one_error(capsys, ["validate", str(scenario)], "data.csv")


def test_a_cell_that_is_not_a_number_is_not_echoed(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n4,SECRET,6\n", encoding="utf-8")
    scenario = csv_scenario(tmp_path, "d.csv", '["a", "b"]', '["y"]')
    one_error(capsys, ["trace", str(scenario)], "d.csv: line 3, column b: expected a number")


def test_data_outside_the_scenario_folder_needs_the_flag(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    secret = secret_file(tmp_path)
    (tmp_path / "s").mkdir()
    for name in ("../passwd", str(secret)):
        scenario = csv_scenario(tmp_path / "s", name)
        one_error(capsys, ["trace", str(scenario)], "data.csv", "outside the scenario's folder",
                  "--allow-data-outside")
    # A symbolic link in the folder that leads out of it is outside too.
    (tmp_path / "s" / "link.csv").symlink_to(secret)
    one_error(capsys, ["validate", str(csv_scenario(tmp_path / "s", "link.csv"))], "outside")
    # With the flag the file is read (and refused as data, still without echoing it).
    one_error(capsys, ["trace", "--allow-data-outside", str(csv_scenario(tmp_path / "s", "../passwd"))],
              "is not a CSV table")


def test_a_real_csv_outside_is_read_with_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "housing.csv").write_bytes((bundled_dir() / "housing.csv").read_bytes())
    scenario = csv_scenario(tmp_path / "s", "../housing.csv")
    assert main(["validate", "--allow-data-outside", str(scenario)]) == 0
    capsys.readouterr()


def test_replay_reads_no_data_from_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A crafted golden file whose scenario names a file on disk and embeds nothing for it.
    secret_file(tmp_path)
    assert main(["record", "exercise", "-o", str(tmp_path / "ex.json")]) == 0
    capsys.readouterr()
    doc = json.loads((tmp_path / "ex.json").read_text(encoding="utf-8"))
    toml = HOUSING.replace('csv = "housing.csv"', f'csv = {json.dumps(str(tmp_path / "passwd"))}')
    doc["scenario"].update(toml=toml, files={})
    (tmp_path / "crafted.json").write_text(json.dumps(doc), encoding="utf-8")
    one_error(capsys, ["replay", str(tmp_path / "crafted.json")], "crafted.json",
              "is not embedded in the golden file")


# -- hangs and memory -----------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["scenario", "csv", "answers", "golden"])
def test_a_fifo_is_refused_at_once(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    argv = {"scenario": ["trace", str(fifo)],
            "csv": ["trace", str(csv_scenario(tmp_path, "pipe"))],
            "answers": ["check", "exercise", str(fifo)],
            "golden": ["replay", str(fifo)]}[command]
    assert_one_error(run_limited(argv), "pipe", "named pipe (FIFO)")


@pytest.mark.parametrize("argv", [["trace", "/dev/zero"], ["replay", "/dev/zero"],
                                  ["check", "exercise", "/dev/zero"]])
def test_dev_zero_is_refused_within_memory(argv: list[str]) -> None:
    assert_one_error(run_limited(argv, memory=1536 * 1024**2), "/dev/zero", "is a device")


def test_a_gzip_bomb_stops_at_the_cap(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.json.gz"
    member = gzip.compress(b"\0" * (64 * 1024**2), compresslevel=9)  # 64 MiB of zeros: ~64 kB
    bomb.write_bytes(member * 256)  # 256 gzip members: 16 GiB of zeros in about 16 MB
    assert 10 * 1024**2 < bomb.stat().st_size < 20 * 1024**2
    result = run_limited(["replay", str(bomb)], memory=1536 * 1024**2)
    assert_one_error(result, "bomb.json.gz", "uncompressed content is larger than the 128 MiB",
                     "BPSTEP_MAX_FILE_MIB")


def test_the_size_cap_is_stated_and_can_be_set(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text(EXERCISE + "#" * (2 * 1024**2) + "\n", encoding="utf-8")
    assert_one_error(run_limited(["trace", str(big)], env={"BPSTEP_MAX_FILE_MIB": "1"}),
                     "big.toml", "larger than the 1 MiB allowed", "BPSTEP_MAX_FILE_MIB")
    assert run_limited(["validate", str(big)]).returncode == 0  # under the default 16 MiB


def test_a_symlink_loop_and_a_nul_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    one_error(capsys, ["trace", str(csv_scenario(tmp_path, "loop.csv"))], "data.csv",
              "loop of symbolic links")
    one_error(capsys, ["trace", str(csv_scenario(tmp_path, "a\0b.csv"))], "data.csv", "NUL byte")
    one_error(capsys, ["check", "exercise", str(tmp_path / "loop.csv")], "loop of symbolic links")


def test_unreadable_and_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one_error(capsys, ["replay", str(tmp_path)], "is a folder")
    one_error(capsys, ["check", "exercise", str(tmp_path)], "is a folder")
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.toml"
        locked.write_text(EXERCISE, encoding="utf-8")
        locked.chmod(0)
        one_error(capsys, ["trace", str(locked)], "permission denied")


# -- numbers and text -----------------------------------------------------------------------------

BIG = "1" + "0" * 400


def test_integers_too_large_for_a_float(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.toml"
    path.write_text(EXERCISE.replace("learning_rate = 0.01", f"learning_rate = {BIG}"), encoding="utf-8")
    one_error(capsys, ["trace", str(path)], "training.learning_rate", "too large for a float")
    path.write_text(EXERCISE.replace("targets = [[0.1, 0.05]]", f"targets = [[{BIG}, 0.05]]"),
                    encoding="utf-8")
    one_error(capsys, ["trace", str(path)], "data.targets[0][0]", "too large for a float")
    path.write_text(EXERCISE + f"\n[expect]\nE = {BIG}\n", encoding="utf-8")
    one_error(capsys, ["trace", str(path)], "expect.E", "too large for a float")


def test_golden_values_too_large_for_a_float(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", "exercise", "-o", str(tmp_path / "ex.json")]) == 0
    capsys.readouterr()
    doc = json.loads((tmp_path / "ex.json").read_text(encoding="utf-8"))
    doc["steps"]["value"][5] = int(BIG)
    (tmp_path / "big.json").write_text(json.dumps(doc), encoding="utf-8")
    one_error(capsys, ["replay", str(tmp_path / "big.json")], "steps.value[5]", "too large for a float")
    text = json.dumps(doc).replace(BIG, "9" * 5000)
    (tmp_path / "huge.json").write_text(text, encoding="utf-8")
    one_error(capsys, ["replay", str(tmp_path / "huge.json")], "huge.json", "4,300 digits")


def test_toml_integer_over_the_digit_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.toml"
    path.write_text(EXERCISE.replace("learning_rate = 0.01", "learning_rate = " + "7" * 5000),
                    encoding="utf-8")
    one_error(capsys, ["trace", str(path)], "s.toml", "more than 4,300 digits")
    answers = tmp_path / "a.toml"
    answers.write_text("h1 = " + "7" * 5000 + "\n", encoding="utf-8")
    one_error(capsys, ["check", "exercise", str(answers)], "a.toml", "more than 4,300 digits")


@pytest.mark.parametrize("key", ['"²"', '"١"', '"99999999999999999999"', '"0"'])
def test_unicode_digits_in_epoch_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(EXERCISE + f"\n[expect.epoch.{key}]\nE = 0.5\n", encoding="utf-8")
    one_error(capsys, ["trace", str(path)], "expect.epoch.", "is not an epoch number")
    answers = tmp_path / "a.toml"
    answers.write_text(f"[epoch.{key}]\nE = 0.5\n", encoding="utf-8")
    one_error(capsys, ["check", "exercise", str(answers)], "epoch.", "expected an epoch number")


def test_an_answer_with_a_huge_exponent_is_malformed(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "a.toml"
    for value in ('"1e-999999999999"', '"1e999999999999"', "1e-999999999"):
        answers.write_text(f"h1 = 0.9866\nh2 = {value}\n", encoding="utf-8")
        one_error(capsys, ["check", "exercise", str(answers)], "a.toml: h2: ", "expected")


def test_a_csv_cell_over_the_field_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n" + "4" * 200_000 + ",5,6\n", encoding="utf-8")
    scenario = csv_scenario(tmp_path, "d.csv", '["a", "b"]', '["y"]')
    one_error(capsys, ["trace", str(scenario)], "d.csv: line 3", "longer than 131,072 characters")


@pytest.mark.parametrize(("row", "word"), [("1,000,2,3", "more"), ("1,2", "fewer")])
def test_a_row_with_the_wrong_number_of_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              row: str, word: str) -> None:
    (tmp_path / "d.csv").write_text(f"a,b,y\n1,2,3\n{row}\n4,5,6\n", encoding="utf-8")
    scenario = csv_scenario(tmp_path, "d.csv", '["a", "b"]', '["y"]')
    one_error(capsys, ["trace", str(scenario)], "d.csv: line 3 has", f"{word} than the header's 3")


def test_thousands_of_columns_are_listed_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = [f"col{i}" for i in range(5000)]
    (tmp_path / "d.csv").write_text(",".join(names) + "\n" + ",".join(["1"] * 5000) + "\n",
                                    encoding="utf-8")
    scenario = csv_scenario(tmp_path, "d.csv", '["col12x", "col1"]', '["col2"]')
    err = one_error(capsys, ["trace", str(scenario)], "input_columns", "column 'col12x' is not in d.csv",
                    "(5,000 in all)", "did you mean 'col12")
    assert len(err) < 400, err


def test_control_characters_in_a_header_are_not_a_header(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.csv").write_text("a\x1b[2J,b,y\n1,2,3\n", encoding="utf-8")
    err = one_error(capsys, ["trace", str(csv_scenario(tmp_path, "d.csv", '["a"]', '["y"]'))],
                    "is not a CSV table")
    assert "\x1b" not in err


# -- bpstep check: tolerances and names copied from the TUI (issue 11, item 16) ------------------

@pytest.mark.parametrize("tolerance", ["-1", "abs:-1", "rel:-0.5", "-3%", "nan", "inf", "abs:inf"])
def test_check_refuses_a_bad_tolerance(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       tolerance: str) -> None:
    answers = tmp_path / "a.toml"
    answers.write_text("h1 = 0.9866\n", encoding="utf-8")
    one_error(capsys, ["check", "exercise", str(answers), f"--tolerance={tolerance}"], "--tolerance")


@pytest.mark.parametrize(("name", "value"), [("∂E/∂w7", "0.0765"), ("h₁", "0.9866"),
                                             ("∂E/∂W⁽²⁾[0,1]", "0.1183"), ("δ⁽³⁾[0,0]", "0.0776"),
                                             ("∂E/∂b1", "0.0024")])
def test_check_reads_names_as_the_tui_writes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  name: str, value: str) -> None:
    answers = tmp_path / "a.toml"
    answers.write_text(f"{json.dumps(name, ensure_ascii=False)} = {value}\n", encoding="utf-8")
    code = main(["check", "exercise", str(answers), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, (out, err)
    [result] = json.loads(out)["results"]
    assert result["correct"] and result["name"] == name


def test_an_unknown_unicode_name_is_shown_as_written(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "a.toml"
    answers.write_text('"∂E/∂w77" = 0.0765\n', encoding="utf-8")
    err = one_error(capsys, ["check", "exercise", str(answers)], '"∂E/∂w77"', "did you mean")
    assert "\\u" not in err


def test_convention_hint_does_not_depend_on_the_tolerance(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "a.toml"
    answers.write_text('"dE/db1" = 0.0008\n', encoding="utf-8")
    for extra in ([], ["--tolerance", "1e-6"], ["--tolerance", "0.1%"]):
        assert main(["check", "exercise", str(answers), "--json", *extra]) == 1
        [result] = json.loads(capsys.readouterr().out)["results"]
        assert any("drops the paths" in h for h in result["hints"]), (extra, result["hints"])


# -- one JSON encoding for values (issue 11, item 17) ---------------------------------------------

def test_trace_json_and_golden_share_one_encoding_that_reads_back_exactly() -> None:
    from bpstep.jsonvalue import from_json_value, to_json_value

    values = np.array([[math.nan, math.inf, -math.inf], [0.1, -2.5e-300, 1 / 3]])
    text = json.dumps(to_json_value(values), allow_nan=False)
    assert json.loads(text)[0] == ["NaN", "Infinity", "-Infinity"]
    back = np.array(from_json_value(json.loads(text)))
    assert back.tobytes()[8:] == values.tobytes()[8:] and math.isnan(back[0, 0])
    assert np.array_equal(back, values, equal_nan=True)
    assert from_json_value(json.loads(json.dumps(to_json_value(np.float64(-math.inf))))) == -math.inf


# -- npz data (issue 17) --------------------------------------------------------------------------

def npz_scenario(folder: Path, npz_name: str = "d.npz", inputs: str = "x", targets: str = "y") -> Path:
    """The housing scenario in ``folder`` reading its data from ``npz_name``'s arrays."""
    start, end = HOUSING.index('csv = "housing.csv"'), HOUSING.index("\n", HOUSING.index("target_columns"))
    text = (HOUSING[:start] + f"npz = {json.dumps(npz_name)}\ninputs_array = {json.dumps(inputs)}\n"
            f"targets_array = {json.dumps(targets)}" + HOUSING[end:])
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def housing_arrays() -> tuple[np.ndarray, np.ndarray]:
    import bpstep

    data = bpstep.load("housing").data
    return np.array(data.x), np.array(data.y)


def test_an_npz_gives_the_csv_s_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import bpstep

    x, y = housing_arrays()
    np.savez_compressed(tmp_path / "d.npz", x=x, y=y[:, 0])  # a 1-D target: one column
    scenario = bpstep.load(npz_scenario(tmp_path))
    assert scenario.data.npz == tmp_path / "d.npz"
    a, b = bpstep.trace(scenario), bpstep.trace(bpstep.load("housing"))
    assert len(a) == len(b) and all(s.value.tobytes() == t.value.tobytes() for s, t in zip(a, b, strict=True))
    assert main(["validate", str(npz_scenario(tmp_path))]) == 0


def test_a_pickle_inside_an_npz_is_never_loaded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x, y = housing_arrays()
    marker = tmp_path / "pwned"
    # An object array is stored as a pickle; loading it would run the payload.
    payload = np.array([_Payload(str(marker))], dtype=object)
    np.savez(tmp_path / "d.npz", x=payload, y=y)
    one_error(capsys, ["trace", str(npz_scenario(tmp_path))], "inputs_array", "array 'x' in d.npz",
              "Python objects")
    assert not marker.exists()


class _Payload:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (open, (self.path, "w"))


def test_a_zip_bomb_member_stops_at_the_cap(tmp_path: Path) -> None:
    import zipfile

    x, y = housing_arrays()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    big = np.zeros((64 * 1024**2 // 8 + 1024,))  # 64 MiB of zeros, compressed to ~64 kB
    with zipfile.ZipFile(tmp_path / "d.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("x.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, big)
        with z.open("y.npy", "w") as f:
            np.lib.format.write_array(f, y)
    assert (tmp_path / "d.npz").stat().st_size < 2 * 1024**2
    result = run_limited(["trace", str(npz_scenario(tmp_path))], memory=1024 * 1024**2,
                         env={"BPSTEP_MAX_FILE_MIB": "16"})
    assert_one_error(result, "d.npz", "array 'x' is 64.0 MiB uncompressed", "BPSTEP_MAX_FILE_MIB")


@pytest.mark.parametrize("case,expected", [
    ("strings", ["inputs_array", "dtype <U3, expected numbers"]),
    ("complex", ["inputs_array", "dtype <c16, expected numbers"]),
    ("3d", ["inputs_array", "shape (2, 2, 2)"]),
    ("nan", ["inputs_array", "not a finite number"]),
    ("missing", ["targets_array", "array 'z' is not in d.npz (valid: x, y)"]),
    ("not a zip", ["d.npz", "is not an .npz file"]),
    ("secret", ["d.npz", "is not an .npz file"]),
    ("npy", ["d.npz", "single .npy array"]),
    ("columns", ["inputs_array", "has 3 inputs per sample, expected network.inputs = 2"]),
    ("rows", ["targets", "has 5 samples but inputs has 4"]),
])
def test_bad_npz_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str,
                       expected: list[str]) -> None:
    path = tmp_path / "d.npz"
    x, y = np.ones((4, 2)), np.ones((4, 1))
    targets = "y"
    if case == "strings":
        np.savez(path, x=np.array([["abc", "def"]] * 4), y=y)
    elif case == "complex":
        np.savez(path, x=x + 1j, y=y)
    elif case == "3d":
        np.savez(path, x=np.ones((2, 2, 2)), y=y)
    elif case == "nan":
        x[2, 1] = np.nan
        np.savez(path, x=x, y=y)
    elif case == "missing":
        np.savez(path, x=x, y=y)
        targets = "z"
    elif case == "not a zip":
        path.write_bytes(b"PK\x03\x04 not really a zip")
    elif case == "secret":
        path.write_text(SECRET + "\n", encoding="utf-8")
    elif case == "npy":
        with open(path, "wb") as f:
            np.save(f, x)
    elif case == "columns":
        np.savez(path, x=np.ones((4, 3)), y=y)
    else:
        np.savez(path, x=x, y=np.ones((5, 1)))
    one_error(capsys, ["trace", str(npz_scenario(tmp_path, targets=targets))], *expected)


def test_npz_data_stays_in_the_scenario_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s").mkdir()
    x, y = housing_arrays()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    one_error(capsys, ["trace", str(npz_scenario(tmp_path / "s", "../d.npz"))], "npz",
              "outside the scenario's folder")
    assert main(["validate", "--allow-data-outside", str(npz_scenario(tmp_path / "s", "../d.npz"))]) == 0
    capsys.readouterr()
    os.mkfifo(tmp_path / "s" / "pipe.npz")
    one_error(capsys, ["trace", str(npz_scenario(tmp_path / "s", "pipe.npz"))], "named pipe (FIFO)")
