"""The README's replay section runs as written: its "test your own backprop" example, its
``[expect]`` table and its ``bptrace`` test, each extracted from README.md."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import bpstep
from bpstep.scenario import bundled_dir

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Replaying scenarios in your tests"):]


def block(after: str, lang: str) -> str:
    """The first ```lang code block after the text ``after`` in the replay section."""
    start = SECTION.index(after)
    m = re.compile(rf"^```{lang}\n(.*?)^```$", re.S | re.M).search(SECTION, start)
    assert m, f"no ```{lang} block after {after!r}"
    return m.group(1)


def test_own_backprop_example_runs() -> None:
    code = block("<!-- example: test-your-own-backprop -->", "python")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (test your own backprop)", "exec"), {"__name__": "readme_example"})
    assert out.getvalue() == "all 17 steps agree; e.g. dE/dw7 = 0.0765\n"  # the tutorial's ∂E/∂w7


def test_own_backprop_example_catches_a_wrong_implementation() -> None:
    # The per-unit bias gradient (the tutorial's mistake) must be caught, naming the step.
    code = block("<!-- example: test-your-own-backprop -->", "python")
    wrong = code.replace("db1, db2 = d_zh.sum(), d_zo.sum()", "db1, db2 = d_zh[0, 0], d_zo.sum()")
    assert wrong != code
    try:
        exec(compile(wrong, "README.md (broken)", "exec"), {"__name__": "readme_example"})
    except AssertionError as exc:
        # bpstep.diagnose names the step, both values and the convention the wrong value matches
        assert "∂E/∂b1" in str(exc) and "dE/db1" in str(exc) and "Shared bias" in str(exc)
    else:
        raise AssertionError("the README example did not catch a wrong bias gradient")


def test_expect_example_passes_on_the_exercise() -> None:
    table = block("### Expectations in scenario files", "toml")
    text = (bundled_dir() / "exercise.toml").read_text(encoding="utf-8") + "\n" + table
    scenario = bpstep.loads(text)
    assert len(scenario.expect) == 7
    results = bpstep.check_expectations(bpstep.trace(scenario))
    assert [r.describe() for r in results if not r.passed] == []


def test_bptrace_example_passes() -> None:
    code = block("The `bptrace` fixture", "python")
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md (bptrace)", "exec"), namespace)
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert len(tests) == 1
    tests[0](lambda name, epochs=None: bpstep.trace(name, epochs))
