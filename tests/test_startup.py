"""The debugger's start: its first frame is drawn before numpy is imported (bpstep._lazy), and
numpy deferred that way behaves as numpy. Each case runs in a fresh interpreter, since this test
process imported numpy long ago."""

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


def run_python(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# Opens the TUI through the CLI, headless, and reports at the first frame (the benchmark's hook)
# and again once the run's values are on screen.
FIRST_FRAME = """
    import json, os, sys
    import bpstep.cli
    from bpstep import _lazy
    from benchmarks import child
    from textual.app import App

    seen = {}

    def on_first(app, now, update):
        seen["numpy_deferred_at_first_frame"] = isinstance(sys.modules.get("numpy"), _lazy._Deferred)
        seen["steps_at_first_frame"] = len(app.trace)

    async def pilot(p):
        app = p.app
        for _ in range(200):
            if app.trace.finished:
                break
            await p.pause(0.05)
        await p.press("n")
        await p.pause()
        seen["finished"] = app.trace.finished
        seen["numpy_loaded_after"] = not isinstance(sys.modules.get("numpy"), _lazy._Deferred)
        seen["cursor"] = app.cursor
        await p.press("q")

    child.patch_display(on_first)
    run = App.run
    App.run = lambda self, *a, **k: run(self, headless=True, size=(120, 40), auto_pilot=pilot)
    code = bpstep.cli.main(sys.argv[1:])
    seen["exit"] = code
    print(json.dumps(seen))
"""


@pytest.mark.parametrize("scenario", ["exercise", "xor", "housing", "perceptron-and"])
def test_first_frame_needs_no_numpy(scenario: str) -> None:
    code = FIRST_FRAME.replace("sys.argv[1:]", repr([scenario]))
    seen = run_python(code)
    assert seen["numpy_deferred_at_first_frame"] is True
    assert seen["steps_at_first_frame"] == 0  # the run starts after the first frame
    # …and then the run fills the trace, and keys move over it.
    after = {k: seen[k] for k in ("finished", "numpy_loaded_after", "cursor", "exit")}
    assert after == {"finished": True, "numpy_loaded_after": True, "cursor": 1, "exit": 0}


def test_bad_scenario_fails_before_the_screen_and_without_numpy(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[network]\ninputs = 2\nlayers = [{ units = 2, activation = "sigmod" }]\n'
                   '[data]\ninputs = [[1.0, 2.0]]\ntargets = [[1.0, 0.0]]\n')
    seen = run_python(f"""
        import contextlib, io, json, sys
        import bpstep.cli
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = bpstep.cli.main([{str(bad)!r}])
        from bpstep import _lazy
        print(json.dumps({{"code": code, "err": err.getvalue(),
                          "deferred": isinstance(sys.modules.get("numpy"), _lazy._Deferred)}}))
    """)
    assert seen["code"] == 2
    assert "network.layers[0].activation" in seen["err"] and "sigmoid" in seen["err"]
    assert seen["deferred"] is True  # checking the file needed no numpy either


def test_deferred_numpy_is_numpy() -> None:
    seen = run_python("""
        import json, sys, threading
        from bpstep._lazy import _Deferred, defer_numpy, load_numpy
        defer_numpy()
        import numpy as np
        stand_in = isinstance(np, _Deferred)
        # Several threads read from the stand-in at once: one import, every read answered.
        results = []
        threads = [threading.Thread(target=lambda: results.append(float(np.array([1.5, 2.5]).sum())))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        import numpy
        import numpy.linalg
        from numpy import float64
        real = sys.modules["numpy"]
        load_numpy()  # a no-op once imported
        print(json.dumps({
            "stand_in": stand_in, "results": results, "real_is_numpy": not isinstance(real, _Deferred),
            "same_names": np.ndarray is real.ndarray and np.linalg is real.linalg,
            "inv": float(numpy.linalg.inv(np.array([[2.0]]))[0, 0]), "f64": float64 is real.float64,
        }))
    """)
    assert seen == {"stand_in": True, "results": [4.0] * 4, "real_is_numpy": True, "same_names": True,
                    "inv": 0.5, "f64": True}


def test_defer_leaves_an_imported_numpy_alone() -> None:
    seen = run_python("""
        import json, sys
        import numpy
        from bpstep._lazy import defer_numpy
        defer_numpy()
        print(json.dumps({"same": sys.modules["numpy"] is numpy}))
    """)
    assert seen == {"same": True}


def _screen_text(app) -> str:  # noqa: ANN001
    """The whole screen as plain text, rendered from the widgets' current state."""
    update = app.screen._compositor.render_full_update()
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", update.render_segments(app.console))


@pytest.mark.parametrize("scenario", ["exercise", "xor"])
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

    def compute() -> None:
        gate.wait(30)
        runner.run()

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
