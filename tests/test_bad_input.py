"""Bad input, one test per class of the spec, through the CLI: exit status 2 and one line on
stderr naming the file, the dotted key path and what was expected; never a traceback. A run that
diverges stops at that step, says so on stderr and exits 1 (the README's "1: … a diverged run")."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from bpstep.cli import main
from bpstep.scenario import bundled_dir

EXERCISE = (bundled_dir() / "exercise.toml").read_text(encoding="utf-8")
NAMES_START = EXERCISE.index("[names]")
LAYER0 = '{ units = 2, activation = "sigmoid" }, {'  # the first layer, unique in the file


def variant(tmp_path: Path, old: str, new: str, text: str = EXERCISE) -> Path:
    """The exercise with one change, written to a file."""
    assert text.count(old) == 1, old
    path = tmp_path / "scenario.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def bad(capsys: pytest.CaptureFixture[str], path: Path | str, key: str, *expected: str,
        command: tuple[str, ...] = ("trace",)) -> str:
    """Run the CLI; assert exit 2 and one stderr line ``bpstep: FILE: KEY: …`` holding ``expected``."""
    code = main([*command, str(path)])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    line = err.rstrip("\n")
    prefix = f"bpstep: {path}: {key}: " if key else f"bpstep: {path}: "
    assert line.startswith(prefix), line
    for text in expected:
        assert text in line, (text, line)
    assert "Traceback" not in line
    return line


# -- the file itself ------------------------------------------------------------------------------

def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad(capsys, tmp_path / "nope.toml", "", "no such file")


def test_missing_bundled_name_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    bad(capsys, "exercse", "", "no such file or bundled scenario", "did you mean 'exercise'?")


def test_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad(capsys, tmp_path, "", "is a folder, expected a TOML scenario file")


def test_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "Übung"\n'.encode("latin-1"))
    bad(capsys, path, "", "is not UTF-8 text (byte 8)")


def test_not_toml_gives_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\n[network\ninputs = 3\n', encoding="utf-8")
    line = bad(capsys, path, "", "is not valid TOML")
    assert re.search(r"line 2, column \d+", line), line


def test_nested_too_deeply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    bad(capsys, path, "", "nested too deeply")


# -- keys ---------------------------------------------------------------------------------------

def test_missing_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, "[data]\ninputs = [[1, 4, 5]]\ntargets = [[0.1, 0.05]]\n", "")
    bad(capsys, path, "data", "is missing")


def test_missing_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, "[network]\ninputs = 3\n", "[network]\n")
    bad(capsys, path, "network.inputs", "is missing")


def test_unknown_key_with_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, "learning_rate = 0.01", "learning_rate = 0.01\nlearnig_rate = 0.1")
    bad(capsys, path, "training.learnig_rate", "unknown key (valid: ", "learning_rate",
        "did you mean 'learning_rate'?")


def test_unknown_table_at_the_top(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, "[training]", "[trainig]")
    bad(capsys, path, "trainig", "unknown key", "did you mean 'training'?")


@pytest.mark.parametrize(("old", "new", "key", "valid", "nearest"), [
    (LAYER0, '{ units = 2, activation = "sigmod" }, {', "network.layers[0].activation",
     "elu, identity, leaky_relu, relu, sigmoid, softmax, softplus, tanh", "sigmoid"),
    ('loss = "half_sse"', 'loss = "half_see"', "network.loss",
     "bce, cross_entropy, half_mse, half_sse, mse, sse", "half_sse"),
    ("[data]", '[init]\nmethod = "glorot"\n\n[data]', "init.method",
     "glorot_uniform, normal, uniform, zeros", "glorot_uniform"),
])
def test_unknown_name_lists_valid_and_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str,
                                               new: str, key: str, valid: str, nearest: str) -> None:
    bad(capsys, variant(tmp_path, old, new), key, f"(valid: {valid}; did you mean '{nearest}'?)")


# -- shapes -------------------------------------------------------------------------------------

def test_W1_against_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, "W1 = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]", "W1 = [[0.1, 0.2], [0.3, 0.4]]")
    bad(capsys, path, "parameters.W1", "has shape 2×2, expected 3×2 (fan_in × fan_out)")


def test_b1_against_units(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, "b1 = 0.5", "b1 = [0.5, 0.5, 0.5]")
    bad(capsys, path, "parameters.b1", "has 3 values, expected 2 (one per unit) or one number")


def test_targets_against_output_units(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, "targets = [[0.1, 0.05]]", "targets = [[0.1, 0.05, 0.2]]")
    bad(capsys, path, "data.targets", "has 3 targets per sample, expected 2 (the last layer's units)")


def test_inputs_against_network_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, "inputs = [[1, 4, 5]]", "inputs = [[1, 4]]")
    bad(capsys, path, "data.inputs", "has 2 inputs per sample, expected network.inputs = 3")


@pytest.mark.parametrize(("old", "new", "key", "expected"), [
    ("inputs = [[1, 4, 5]]", "inputs = [[1, 4, 5], [1, 2]]", "data.inputs[1]",
     "has 2 values but row 0 has 3"),
    ("W2 = [[0.7, 0.8], [0.9, 0.1]]", "W2 = [[0.7, 0.8], [0.9]]", "parameters.W2[1]",
     "has 1 values but row 0 has 2"),
])
def test_ragged_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, key: str,
                     expected: str) -> None:
    bad(capsys, variant(tmp_path, old, new), key, f"{expected} (ragged rows)")


# -- values -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "key", "shown"), [
    ("inputs = [[1, 4, 5]]", "inputs = [[1, nan, 5]]", "data.inputs[0][1]", "nan"),
    ("targets = [[0.1, 0.05]]", "targets = [[0.1, -inf]]", "data.targets[0][1]", "-inf"),
    ("b1 = 0.5", "b1 = inf", "parameters.b1", "inf"),
    ("W2 = [[0.7, 0.8], [0.9, 0.1]]", "W2 = [[0.7, 0.8], [nan, 0.1]]", "parameters.W2[1][0]", "nan"),
])
def test_non_finite_data(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, key: str,
                         shown: str) -> None:
    bad(capsys, variant(tmp_path, old, new), key, f"must be a finite number, got {shown}")


@pytest.mark.parametrize(("old", "new", "key", "shown"), [
    ("learning_rate = 0.01", "learning_rate = 0", "training.learning_rate", "0.0"),
    ("learning_rate = 0.01", "learning_rate = -0.5", "training.learning_rate", "-0.5"),
    (LAYER0, '{ units = 0, activation = "sigmoid" }, {', "network.layers[0].units", "0"),
    ("inputs = 3", "inputs = -3", "network.inputs", "-3"),
    ("epochs = 1", "epochs = 0", "training.epochs", "0"),
    ("epochs = 1", "epochs = 1\nbatch_size = -2", "training.batch_size", "-2"),
])
def test_non_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, key: str,
                      shown: str) -> None:
    bad(capsys, variant(tmp_path, old, new), key, f"must be positive, got {shown}")


@pytest.mark.parametrize(("old", "new", "key", "expected"), [
    ("learning_rate = 0.01", 'learning_rate = "0.01"', "training.learning_rate",
     "must be a number, got a string '0.01'"),
    ("epochs = 1", 'epochs = "one"', "training.epochs", "must be a whole number, got a string 'one'"),
    ("inputs = [[1, 4, 5]]", 'inputs = [[1, "4", 5]]', "data.inputs[0][1]",
     "must be a number, got a string '4'"),
    ("b1 = 0.5", 'b1 = "0.5"', "parameters.b1", "must be a number or a list of numbers, got a string"),
    (LAYER0, '{ units = "2", activation = "sigmoid" }, {', "network.layers[0].units",
     "must be a whole number, got a string '2'"),
])
def test_strings_where_numbers_belong(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                                      key: str, expected: str) -> None:
    bad(capsys, variant(tmp_path, old, new), key, expected)


@pytest.mark.parametrize(("old", "new", "key", "expected"), [
    # numpy refuses these seeds at run time; the loader says so first.
    ("epochs = 1", "epochs = 1\nshuffle = true\nseed = -1", "training.seed", "non-negative"),
    ("[data]", '[init]\nrng = "sklearn"\nseed = 4294967296\n\n[data]', "init.seed", "from 0 to 4294967295"),
    ("[data]", "[data]\ntest_fraction = 0.5\nsplit_seed = -3", "data.split_seed", "non-negative"),
    # numpy cannot draw uniformly from a range wider than the largest float.
    ("[data]", '[init]\nmethod = "uniform"\nlow = -1e308\nhigh = 1e308\n\n[data]', "init.high",
     "must be a finite number"),
])
def test_values_numpy_would_refuse(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                                   key: str, expected: str) -> None:
    text = EXERCISE.replace("inputs = [[1, 4, 5]]", "inputs = [[1, 4, 5], [2, 1, 0]]").replace(
        "targets = [[0.1, 0.05]]", "targets = [[0.1, 0.05], [0.3, 0.2]]")
    text = text.replace("W1 = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]\n", "")  # drawn from [init]
    bad(capsys, variant(tmp_path, old, new, text), key, expected, command=("validate", "--run"))


def test_newlines_from_the_file_stay_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = variant(tmp_path, 'loss = "half_sse"', 'loss = "half\\nsse"')
    bad(capsys, path, "network.loss", "unknown value 'half\\nsse'")


# -- size ---------------------------------------------------------------------------------------

def test_network_too_large_is_refused_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = EXERCISE[:NAMES_START].replace(
        'layers = [{ units = 2, activation = "sigmoid" }, { units = 2, activation = "sigmoid" }]',
        'layers = [{ units = 100000, activation = "sigmoid" }, { units = 100000 }, { units = 2 }]')
    path = variant(tmp_path, "[parameters]\nW1 = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]\nb1 = 0.5\n"
                   "W2 = [[0.7, 0.8], [0.9, 0.1]]\nb2 = 0.5\n", "", text)
    start = time.perf_counter()
    bad(capsys, path, "network.layers", "10,000,500,000 weights is too large to hold in memory")
    assert time.perf_counter() - start < 1.0


def test_trace_too_large_is_refused_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    bad(capsys, variant(tmp_path, "epochs = 1", "epochs = 100000000000"), "training.epochs",
        "the trace would need about", "GiB")
    # The same through --epochs, which the file's check cannot see.
    code = main(["trace", "exercise", "--epochs", "100000000000"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "epochs would need a trace of about" in err
    assert time.perf_counter() - start < 1.0


def test_batch_size_beyond_the_samples_is_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A batch_size larger than the data is one full batch (as in scikit-learn), not a huge trace."""
    path = variant(tmp_path, "epochs = 1", "epochs = 1\nbatch_size = 9223372036854775807")
    assert main(["trace", str(path), "--json"]) == 0
    steps = json.loads(capsys.readouterr().out)["steps"]
    assert [s["name"] for s in steps if s["phase"] == "loss"] == ["E"]


# -- bad command-line options -----------------------------------------------------------------

@pytest.mark.parametrize("args", [["trace", "exercise", "--epochs", "0"],
                                  ["trace", "exercise", "--precision", "99"],
                                  ["gradcheck", "exercise", "--eps", "-1"],
                                  ["gradcheck", "exercise", "--epoch", "0"]])
def test_bad_options(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("bpstep: ") and err.count("\n") == 1


# -- every problem at once ----------------------------------------------------------------------

def three_problems(tmp_path: Path) -> Path:
    text = EXERCISE.replace('loss = "half_sse"', 'loss = "half_sse"\nactivaton = "relu"')  # unknown key
    text = text.replace("b1 = 0.5", "b1 = [0.5, 0.5, 0.5]")  # b1 against units
    text = text.replace("learning_rate = 0.01", "learning_rate = -0.01")  # non-positive
    path = tmp_path / "three.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = three_problems(tmp_path)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"bpstep: {path}: network.activaton: unknown key (valid: inputs, kind, layers, loss)",
        f"bpstep: {path}: parameters.b1: has 3 values, expected 2 (one per unit) or one number",
        f"bpstep: {path}: training.learning_rate: must be positive, got -0.01",
    ]


def test_other_commands_report_the_first_and_count_the_rest(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    line = bad(capsys, three_problems(tmp_path), "network.activaton", "unknown key",
               "(and 2 more problems: 'bpstep validate' lists them)")
    assert line.count("bpstep: ") == 1


def test_validate_keeps_going_inside_a_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Problems in one table, in its layers and in the data are each reported; the data's shapes
    are not compared with a network that is itself broken."""
    text = EXERCISE.replace(
        'layers = [{ units = 2, activation = "sigmoid" }, { units = 2, activation = "sigmoid" }]',
        'layers = [{ units = 0, activation = "sigmoid" }, { units = 2, activation = "tanhh" }]')
    text = text.replace("epochs = 1", "epochs = 0\nmomentum = 1.5\nbatch_size = 2.5")
    text = text.replace("inputs = [[1, 4, 5]]", "inputs = [[1, 4, 5], [1]]")
    path = tmp_path / "many.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    keys = [line.split(": ")[2] for line in capsys.readouterr().err.splitlines()]
    assert keys == ["network.layers[0].units", "network.layers[1].activation", "data.inputs[1]",
                    "training.momentum", "training.epochs", "training.batch_size"]


def test_validate_checks_names_past_other_problems(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown key does not stop the display names from being checked, each on its own."""
    text = EXERCISE.replace('h1 = "Z2[0,0]"', 'h1 = "Z9[0,0]"').replace('h2 = "Z2[0,1]"', 'h2 = "Z2[0,7]"')
    path = variant(tmp_path, "[network]", 'colour = "red"\n\n[network]', text)
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[2] for line in lines] == ["colour", "names.h1", "names.h2"]
    assert "'Z9[0,0]' names no value of this network" in lines[1]
    assert "index [0, 7] is outside Z2, whose shape is (1, 2)" in lines[2]


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "exercise"]) == 0
    out, err = capsys.readouterr()
    assert "ok" in out and err == ""


# -- a diverging run --------------------------------------------------------------------------------

def diverging(tmp_path: Path) -> Path:
    """Identity layers and a large step: |W| grows without bound and E overflows in epoch 5."""
    text = EXERCISE[:NAMES_START].replace('activation = "sigmoid"', 'activation = "identity"')
    return variant(tmp_path, "learning_rate = 0.01\nepochs = 1", "learning_rate = 10.0\nepochs = 50", text)


def test_diverging_run_stops_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = diverging(tmp_path)
    assert main(["trace", str(path), "--json"]) == 1
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["status"] == "diverged"
    steps = document["steps"]
    last = steps[-1]
    assert (last["name"], last["epoch"], last["batch"]) == ("E", 5, 1)
    assert last["value"] == "Infinity"  # not finite: the golden files' encoding (JSON has no inf)
    assert all(s["value"] is not None for s in steps[:-1])
    assert err == f"bpstep: {path}: the run diverged: E is not finite (overflow or NaN) at epoch 5, batch 1\n"
    assert document["message"] == err[len("bpstep: "):].rstrip("\n")


def test_diverging_run_table_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = diverging(tmp_path)
    assert main(["trace", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "inf" in out and err.count("\n") == 1 and "the run diverged" in err
    assert main(["validate", str(path)]) == 0  # the file itself is fine …
    capsys.readouterr()
    assert main(["validate", "--run", str(path)]) == 1  # … its run is not
    out, err = capsys.readouterr()
    assert "ok" in out and err.count("\n") == 1 and "the run diverged: E is not finite" in err
    # Nothing to check after the divergence; before it, the gradients are fine.
    assert main(["gradcheck", str(path), "--epoch", "6"]) == 1
    assert "the run diverged" in capsys.readouterr().err
    assert main(["gradcheck", str(path), "--epoch", "2"]) == 0
