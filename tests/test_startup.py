"""The debugger's start: the modules its first frame needs import numpy inside the functions that
use it (or under TYPE_CHECKING), never at module level, and the run starts after the first frame.
Each case runs in a fresh interpreter, since this test process imported numpy long ago."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# First-frame modules that may import numpy at module level: none (the engine, which must, loads
# in the run's worker after the first frame).
AT_TOP_LEVEL_ALLOWED: frozenset[str] = frozenset()


def run_python(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# Opens the TUI through the CLI, headless, and reports at the first frame (the benchmark's hook)
# and again once the run's values are on screen.
FIRST_FRAME = """
    import ast, json, os, sys
    import bpstep.cli
    from benchmarks import child
    from textual.app import App

    seen = {}

    def top_level_numpy(module):
        # whether a module imports numpy at module level (not in a function or TYPE_CHECKING)
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py"):
            return False
        for node in ast.parse(open(path, encoding="utf-8").read()).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "numpy" or n.startswith("numpy.") for n in names):
                return True
        return False

    def on_first(app, now, update):
        loaded = [name for name in sys.modules if name == "bpstep" or name.startswith("bpstep.")]
        seen["numpy_at_top_level"] = sorted(n for n in loaded if top_level_numpy(sys.modules[n]))
        seen["steps_at_first_frame"] = len(app.trace)
        seen["numpy_loaded"] = "numpy" in sys.modules
        seen["engine_loaded"] = "bpstep.engine.network" in sys.modules

    async def pilot(p):
        app = p.app
        for _ in range(200):
            if app.trace.finished:
                break
            await p.pause(0.05)
        await p.press("n")
        await p.pause()
        seen["finished"] = app.trace.finished
        seen["cursor"] = app.cursor
        await p.press("q")

    child.patch_display(on_first)
    run = App.run
    App.run = lambda self, *a, **k: run(self, headless=True, size=(120, 40), auto_pilot=pilot)
    code = bpstep.cli.main(sys.argv[1:])
    seen["exit"] = code
    print(json.dumps(seen))
"""


@pytest.mark.parametrize("scenario", ["exercise", "xor", "housing", "perceptron-and", "digits"])
def test_first_frame_needs_no_numpy(scenario: str) -> None:
    code = FIRST_FRAME.replace("sys.argv[1:]", repr([scenario]))
    seen = run_python(code)
    # Every module loaded by the first frame keeps numpy inside functions (or under
    # TYPE_CHECKING), and numpy itself is not loaded yet.
    assert set(seen["numpy_at_top_level"]) <= AT_TOP_LEVEL_ALLOWED, seen["numpy_at_top_level"]
    assert not seen["numpy_loaded"] and not seen["engine_loaded"]
    assert seen["steps_at_first_frame"] == 0  # the run starts after the first frame
    # …and then the run fills the trace, and keys move over it.
    after = {k: seen[k] for k in ("finished", "cursor", "exit")}
    assert after == {"finished": True, "cursor": 1, "exit": 0}


def test_bad_scenario_fails_before_the_screen(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[network]\ninputs = 2\nlayers = [{ units = 2, activation = "sigmod" }]\n'
                   '[data]\ninputs = [[1.0, 2.0]]\ntargets = [[1.0, 0.0]]\n')
    seen = run_python(f"""
        import contextlib, io, json, sys
        import bpstep.cli
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = bpstep.cli.main([{str(bad)!r}])
        print(json.dumps({{"code": code, "err": err.getvalue(), "tui": "bpstep.tui.app" in sys.modules}}))
    """)
    assert seen["code"] == 2
    assert "network.layers[0].activation" in seen["err"] and "sigmoid" in seen["err"]
    assert seen["tui"] is False  # the screen never opened


def _screen_text(app) -> str:  # noqa: ANN001
    """The whole screen as plain text, rendered from the widgets' current state."""
    update = app.screen._compositor.render_full_update()
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", update.render_segments(app.console))


@pytest.mark.parametrize("scenario", ["exercise", "xor", "digits"])
async def test_the_first_frame_is_the_whole_screen(scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The start-up benchmark times the first frame painted: it must already show everything the
    screen shows before the run's values arrive (every panel's text and the key bar), not a
    partial frame that later frames complete."""
    from textual._compositor import CompositorUpdate
    from textual.app import App

    from bpstep.engine.network import Runner
    from bpstep.scenario import load
    from bpstep.tui import BpstepApp

    runner = Runner(load(scenario))
    gate = threading.Event()  # holds the run back: the screen settles in its state before values

    def compute(on_epoch) -> None:  # noqa: ANN001
        gate.wait(30)
        runner.run(on_epoch)

    frames: list[str] = []
    original = App._display

    def display(self, screen, renderable) -> None:  # noqa: ANN001
        if isinstance(renderable, CompositorUpdate) and not frames:
            frames.append(_screen_text(self))
        original(self, screen, renderable)

    monkeypatch.setattr(App, "_display", display)
    app = BpstepApp(runner.trace, compute=compute)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            for _ in range(5):
                await pilot.pause(0.05)
            settled = _screen_text(app)
            assert len(app.trace) == 0
            assert frames and frames[0] == settled
            assert "computing…" in settled and "q quit" in settled
    finally:
        gate.set()
