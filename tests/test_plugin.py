"""The pytest plugin, run by pytest itself (pytester) on temporary folders of scenario files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bpstep.scenario import bundled_dir

pytest_plugins = ["pytester"]

EXERCISE = (bundled_dir() / "exercise.toml").read_text(encoding="utf-8")
GOOD = EXERCISE + '\n[expect]\nz_h1 = 4.3000\n"dE/dw7" = 0.0765\n"dE/db1" = 0.0024\n'
# The tutorial's ∂E/∂b1 = 0.0008 forgets that b1 is shared by both hidden units.
BAD = EXERCISE + '\n[expect]\nz_h1 = 4.3000\n"dE/db1" = 0.0008\n'


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # pytest-textual-snapshot's session hooks share state with the outer session, and
    # pytest-asyncio warns about the inner folder's missing settings: keep them (and others) out.
    off = ("cacheprovider", "textual-snapshot", "asyncio", "hypothesispytest", "benchmark")
    return pytester.runpytest(*(a for name in off for a in ("-p", f"no:{name}")), *args)


def test_scenario_files_are_tests(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("good.scenario.toml").write_text(GOOD, encoding="utf-8")
    pytester.path.joinpath("bad.scenario.toml").write_text(BAD, encoding="utf-8")
    pytester.path.joinpath("plain.toml").write_text(BAD, encoding="utf-8")  # not a scenario test
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*good.scenario.toml::good PASSED*"])
    result.stdout.fnmatch_lines([
        "*bad.scenario.toml::bad FAILED*",
        "bad.scenario.toml: 1 of 2 expectations failed:",
        "  dE/db1 (epoch 1, batch 1): expected 0.0008 ± 0.0001, got 0.00238* (off by 0.00159)",
    ])
    assert "plain" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str() and "runtest" not in result.stdout.str()


def test_broken_scenario_fails_with_its_message(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("broken.scenario.toml").write_text(
        EXERCISE.replace('activation = "sigmoid" }, {', 'activation = "sigmod" }, {'), encoding="utf-8")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*network.layers[[]0[]].activation: unknown value 'sigmod'*did you mean "
                                 "'sigmoid'?*"])


def test_golden_update_compare_and_failure_table(pytester: pytest.Pytester) -> None:
    scenario = pytester.path / "ex.scenario.toml"
    scenario.write_text(GOOD, encoding="utf-8")
    golden = pytester.path / "ex.scenario.json"

    result = run(pytester, "--bpstep-update-golden")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*bpstep golden traces written*", f"{golden}"])
    assert golden.exists()
    run(pytester).assert_outcomes(passed=1)

    # A hand-edited value: the test fails with the difference table.
    text = golden.read_text(encoding="utf-8")
    assert text.count("[[0.07653512840587381,") == 1
    golden.write_text(text.replace("[[0.07653512840587381,", "[[0.0766,"), encoding="utf-8")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        f"{golden}: 1 of 19 steps differ (rtol=1e-09, atol=1e-12)",
        " #  step * epoch  batch  recorded  now",
        "12  dE/dW2[[]0,0[]] (dE/dw7) *1      1  0.0766    0.07653512840587381",
    ])
    assert "scenario file has changed" not in result.stdout.str()

    # Updating deliberately accepts the current run again.
    run(pytester, "--bpstep-update-golden").assert_outcomes(passed=1)
    run(pytester).assert_outcomes(passed=1)

    # A changed scenario (another learning rate) no longer matches, and the failure says why.
    scenario.write_text(GOOD.replace("learning_rate = 0.01", "learning_rate = 0.02"), encoding="utf-8")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*4 of 19 steps differ*", "*W2[[]0,0[]] (w7)*0.69923*0.69846*",
                                 "*the scenario file has changed since the golden trace was recorded*"])


def test_compressed_golden_and_tolerance_ini(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("ex.scenario.toml").write_text(GOOD, encoding="utf-8")
    golden = pytester.path / "ex.scenario.json.gz"
    from bpstep.golden import record

    record(pytester.path / "ex.scenario.toml", golden)
    run(pytester, "--bpstep-update-golden").assert_outcomes(passed=1)
    assert golden.read_bytes()[:2] == b"\x1f\x8b"  # updated in place, still compressed
    assert not (pytester.path / "ex.scenario.json").exists()

    import gzip

    doc = json.loads(gzip.decompress(golden.read_bytes()))
    doc["steps"]["value"][5] *= 1 + 1e-7  # E, off by a relative 1e-7
    golden.write_bytes(gzip.compress(json.dumps(doc).encode()))
    run(pytester).assert_outcomes(failed=1)
    pytester.makeini("[pytest]\nbpstep_rtol = 1e-6\n")
    run(pytester).assert_outcomes(passed=1)


def test_two_golden_files_are_ambiguous(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("ex.scenario.toml").write_text(GOOD, encoding="utf-8")
    run(pytester, "--bpstep-update-golden").assert_outcomes(passed=1)
    json_file = pytester.path / "ex.scenario.json"
    pytester.path.joinpath("ex.scenario.json.gz").write_bytes(json_file.read_bytes())
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*two golden traces beside it (ex.scenario.json, ex.scenario.json.gz)*"])


def test_bad_golden_file_fails_cleanly(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("ex.scenario.toml").write_text(GOOD, encoding="utf-8")
    pytester.path.joinpath("ex.scenario.json").write_text("{not json", encoding="utf-8")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ex.scenario.json: is not JSON (line 1, column 2*"])


def test_scenario_dirs_ini(pytester: pytest.Pytester) -> None:
    folder = pytester.path / "scenarios"
    folder.mkdir()
    folder.joinpath("good.toml").write_text(GOOD, encoding="utf-8")
    folder.joinpath("bad.toml").write_text(BAD, encoding="utf-8")
    tests = pytester.path / "tests"
    tests.mkdir()
    tests.joinpath("test_x.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    run(pytester).assert_outcomes(passed=1)  # without the setting, scenarios/ is not looked at
    pytester.makeini("[pytest]\ntestpaths = tests\nbpstep_scenario_dirs = scenarios\n")
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*scenarios/bad.toml::bad FAILED*"])
    run(pytester, "tests").assert_outcomes(passed=1)  # explicit paths are respected


def test_bptrace_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import math

        def test_api(bptrace):
            trace = bptrace("exercise")
            assert trace is bptrace("exercise")              # once per session
            step = trace["dE/dW2", 1, 1]
            assert (step.phase, step.value.shape) == ("gradient", (2, 2))
            assert trace["w7"].name == "W2" and trace["dE/dh1"].name == "delta2"
            assert abs(trace.value("z_h1") - 4.3) < 1e-12   # 0.1·1 + 0.3·4 + 0.5·5 + 0.5
            assert abs(trace.value("h1") - 1 / (1 + math.exp(-4.3))) < 1e-15
            assert len(bptrace("exercise", epochs=2)) > len(trace)
    """)
    run(pytester).assert_outcomes(passed=1)


def test_repo_scenarios_are_not_collected() -> None:
    # The bundled scenarios are plain *.toml: the plugin leaves them alone in this repo's own run.
    assert not list(Path(bundled_dir()).glob("*.scenario.toml"))
