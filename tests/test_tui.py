"""The debugger as a user drives it (Pilot): every key on the exercise and on xor, breakpoints,
the compute worker, mouse clicks, resizing, a diverged run.

Expected numbers come from the tutorial or from a small numpy computation here, never from the
app's own output.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from exercise_reference import D_ZO, DB1, DW2, OUT, W2, W2_NEW, ZH, ZO, H
from textual.widgets import Input

import bpstep
from bpstep.engine.network import Runner
from bpstep.scenario import load_dict
from bpstep.scenario.loader import bundled_names
from bpstep.tracing import Step, Trace
from bpstep.tui import BpstepApp, keys, navigation
from bpstep.tui.panels import KeyBar, NetworkPanel, StepPanel, Timeline, ValuesPanel, WhereBar
from bpstep.tui.screens import Dialog, HelpScreen

SIZE = (100, 30)


# The tutorial's exercise, computed independently: tests/exercise_reference.py

EXERCISE_STEPS = [  # (name, phase) in the order the tutorial works them
    ("Z0", "forward"), ("Z1", "forward"), ("Z2", "forward"), ("Z3", "forward"), ("Z4", "forward"),
    ("E", "loss"), ("delta4", "backward"), ("delta3", "backward"), ("delta2", "backward"),
    ("delta1", "backward"), ("dE/dW1", "gradient"), ("dE/db1", "gradient"), ("dE/dW2", "gradient"),
    ("dE/db2", "gradient"), ("W1", "update"), ("b1", "update"), ("W2", "update"), ("b2", "update"),
    ("loss", "epoch"),
]

# What the step panel shows at some steps: the tutorial's formulas and numbers.
EXPECTED_STEP_TEXT = {
    1: [f"z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = {ZH[0]:.4f}",
        f"z_h2 = w2·x1 + w4·x2 + w6·x3 + b1 = 0.2·1 + 0.4·4 + 0.6·5 + 0.5 = {ZH[1]:.4f}"],
    2: [f"h1 = σ(z_h1) = σ(4.3) = {H[0]:.4f}", "0.9866"],
    3: [f"z_o1 = w7·h1 + w9·h2 + b2 = 0.7·0.9866 + 0.9·0.995 + 0.5 = {ZO[0]:.4f}", "2.0862"],
    4: [f"o1 = σ(z_o1) = σ(2.0862) = {OUT[0]:.4f}", "0.8896"],
    11: ["∂E/∂b1 = ∂E/∂z_h1 + ∂E/∂z_h2 = ", f"= {DB1:.4f}", "0.0024"],
    12: [f"∂E/∂w7 = ∂E/∂z_o1·h1 = {D_ZO[0]:.4g}·0.9866 = {DW2[0, 0]:.4f}", "0.0765"],
    16: [f"w10 := w10 − η·∂E/∂w10 = 0.1 − 0.01·{DW2[1, 1]:.4g} = {W2_NEW[1, 1]:.4f}", "0.0988"],
}


def step_text(app: BpstepApp) -> str:
    return app.query_one(StepPanel).text


def where_text(app: BpstepApp) -> str:
    return app.query_one(WhereBar).text


def screen_texts(app: BpstepApp) -> tuple[str, ...]:
    return tuple(app.query_one(cls).text for cls in (WhereBar, NetworkPanel, StepPanel, ValuesPanel))


@pytest.fixture(scope="module")
def exercise() -> Trace:
    return bpstep.trace("exercise")


@pytest.fixture(scope="module")
def xor() -> Trace:
    return bpstep.trace("xor")


# --- the exercise, step by step ------------------------------------------------------------------

async def test_exercise_next_to_the_end_and_back(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = [screen_texts(app)]
        assert app.check_action("previous", ()) is None  # disabled at the first step
        for i, (name, phase) in enumerate(EXERCISE_STEPS):
            assert app.cursor == i
            assert f"│ {phase} │" in where_text(app)
            assert re.search(rf"#{i}( · | ){i + 1}( of |/)19\b", where_text(app))
            assert exercise[i].name == name
            for expected in EXPECTED_STEP_TEXT.get(i, []):
                assert expected in step_text(app), (i, expected)
            if i < len(EXERCISE_STEPS) - 1:
                await pilot.press(["n", "right", "space"][i % 3])
                await pilot.pause()
                shown.append(screen_texts(app))
        # At the end next is disabled: the key does nothing.
        assert app.check_action("next", ()) is None
        await pilot.press("n")
        await pilot.pause()
        assert app.cursor == 18
        # Back to the start: every screen comes back exactly as it was.
        for i in range(18, 0, -1):
            assert screen_texts(app) == shown[i], i
            await pilot.press("p" if i % 2 else "left")
            await pilot.pause()
        assert app.cursor == 0
        assert screen_texts(app) == shown[0]
        assert app.check_action("previous", ()) is None


async def test_where_bar_and_values_use_display_names(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=(120, 36)) as pilot:
        app.go(2)
        await pilot.pause()
        assert "Z2 = h1, h2" in where_text(app)
        assert "h1 0.9866" in app.query_one(NetworkPanel).text
        app.go(16)  # the update of W2: before → after, the changed cells marked
        await pilot.pause()
        values = app.query_one(ValuesPanel).text
        assert f"w10 0.1000 → {W2_NEW[1, 1]:.4f}*" in values
        assert f"w7 0.7000 → {W2_NEW[0, 0]:.4f}*" in values


async def test_step_into_walks_the_elements(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "s")
        await pilot.pause()
        assert (app.cursor, app.sub) == (1, 0)
        assert f"▶ z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = {ZH[0]:.4f}" \
            in step_text(app).replace("\n     ", " ")
        assert "[element 1/2]" in where_text(app)
        await pilot.press("s")
        await pilot.pause()
        assert (app.cursor, app.sub) == (1, 1)
        assert "▶ z_h2" in step_text(app)
        await pilot.press("s")  # past the last element: into the next step
        await pilot.pause()
        assert (app.cursor, app.sub) == (2, 0)
        assert f"▶ h1 = σ(z_h1) = σ(4.3) = {H[0]:.4f}" in step_text(app)
        await pilot.press("p")  # back out, one sub-step at a time
        await pilot.pause()
        assert (app.cursor, app.sub) == (2, None)
        await pilot.press("p")
        await pilot.pause()
        assert (app.cursor, app.sub) == (1, None)


async def test_finish_epoch_first_last_restart_precision(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await pilot.pause()
        assert (app.cursor, exercise[app.cursor].phase) == (5, "loss")
        await pilot.press("f")
        await pilot.pause()
        assert (app.cursor, exercise[app.cursor].phase) == (6, "backward")
        await pilot.press("G")
        await pilot.pause()
        assert app.cursor == 18 and "│ epoch │" in where_text(app)
        await pilot.press("g")
        await pilot.pause()
        assert app.cursor == 0
        await pilot.press("e")  # one epoch only: the next epoch is the end
        await pilot.pause()
        assert app.cursor == 18
        await pilot.press("E")
        await pilot.pause()
        assert app.cursor == 0
        await pilot.press("n", "n", "R")
        await pilot.pause()
        assert app.cursor == 0
        app.go(1)
        await pilot.press("plus")
        await pilot.pause()
        assert f"= {ZH[0]:.5f}" in step_text(app)
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert f"= {ZH[0]:.3f}" in step_text(app) and "3 dp" in where_text(app)


# --- xor -------------------------------------------------------------------------------------------

async def test_xor_keys(xor: Trace) -> None:
    app = BpstepApp(xor)
    per_epoch = 19
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        # Z1 of the first sample, computed here from the initial parameters.
        s = xor[1]
        z = xor[0].value[0] @ s.inputs["W1"] + s.inputs["b1"]
        assert f"= {z[0]:.4f}" in step_text(app).replace("−", "-")  # either minus sign
        assert "│ forward │" in where_text(app)
        await pilot.press("e")
        await pilot.pause()
        assert app.cursor == per_epoch and "epoch 2/300" in where_text(app)
        await pilot.press("e")
        await pilot.pause()
        assert app.cursor == 2 * per_epoch
        await pilot.press("E")
        await pilot.pause()
        assert app.cursor == per_epoch
        await pilot.press("f")
        await pilot.pause()
        assert xor[app.cursor].phase == "loss"
        await pilot.press("G")
        await pilot.pause()
        assert app.cursor == len(xor) - 1 and "epoch 300/300" in where_text(app)
        await pilot.press("E")  # from epoch 300: the first step of epoch 299
        await pilot.pause()
        assert app.cursor == 298 * per_epoch and "epoch 299/300" in where_text(app)
        await pilot.press("p")
        await pilot.pause()
        assert app.cursor == 298 * per_epoch - 1 and "│ epoch │" in where_text(app)
        await pilot.press("g", "s", "s")
        await pilot.pause()
        assert (app.cursor, app.sub) == (0, 1)


async def test_name_breakpoint_stops_in_every_epoch(xor: Trace) -> None:
    app = BpstepApp(xor)
    async with app.run_test(size=SIZE) as pilot:
        app.go(12)
        assert xor[12].name == "dE/dW2"
        await pilot.press("b", "g", "c")
        await pilot.pause()
        assert app.cursor == 12
        await pilot.press("c")
        await pilot.pause()
        assert app.cursor == 12 + 19 and xor[app.cursor].name == "dE/dW2"
        assert "breakpoints: dE/dW2" in where_text(app)
        await pilot.press("C")
        await pilot.pause()
        assert app.cursor == 12
        await pilot.press("C")  # no breakpoint before: the start
        await pilot.pause()
        assert app.cursor == 0
        timeline = app.query_one(Timeline)
        assert timeline.render_line(12).text.startswith("●")
        app.go(12)
        await pilot.press("b", "g", "c")  # removed again: continue runs to the end
        await pilot.pause()
        assert app.cursor == len(xor) - 1


async def _enter(pilot, app: BpstepApp, key: str, text: str) -> None:  # noqa: ANN001
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, Dialog)
    app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_condition_breakpoint_and_jump(xor: Trace) -> None:
    losses = [s.value for s in xor if s.name == "loss"]
    first_below = next(e for e, v in enumerate(losses, start=1) if v < 0.05)
    e_below = next(s.index for s in xor if s.name == "E" and s.value < 0.1)
    app = BpstepApp(xor)
    async with app.run_test(size=SIZE) as pilot:
        await _enter(pilot, app, "B", "loss < 0.05")
        await pilot.press("c")
        await pilot.pause()
        step = xor[app.cursor]
        assert (step.name, step.epoch) == ("loss", first_below)
        await _enter(pilot, app, "B", "loss < 0.05")  # entered again: removed
        await _enter(pilot, app, "B", "E < 0.1")
        await pilot.press("g", "c")
        await pilot.pause()
        assert app.cursor == e_below
        await _enter(pilot, app, "B", "not a condition")
        assert app.cursor == e_below and not isinstance(app.screen, Dialog)
        # t: by number, by name (the next occurrence), by display name
        await _enter(pilot, app, "t", "5")
        assert app.cursor == 5
        await _enter(pilot, app, "t", "dE/dW2")
        assert app.cursor == 12
        await _enter(pilot, app, "t", "dE/dW2")
        assert app.cursor == 31
        await _enter(pilot, app, "t", "no such step")
        assert app.cursor == 31
        await _enter(pilot, app, "t", "99999")
        assert app.cursor == 31


async def test_jump_to_a_display_name_steps_into_it(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        await _enter(pilot, app, "t", "dE/dw7")
        assert (app.cursor, app.sub) == (12, 0)
        assert f"▶ ∂E/∂w7 = ∂E/∂z_o1·h1 = {D_ZO[0]:.4g}·0.9866 = {DW2[0, 0]:.4f}" in step_text(app)
        await pilot.press("escape")  # nothing open: no effect
        await pilot.press("t", "escape")
        await pilot.pause()
        assert app.cursor == 12 and not isinstance(app.screen, Dialog)


# --- help, palette, quit -------------------------------------------------------------------------

async def test_help_screen_lists_every_key_and_quit(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for b in keys.APP:
            assert keys.key_text(b) in text and (b.tooltip or b.description) in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for b in keys.APP:  # every key is also a command in the palette
            assert any(keys.key_text(b) in t for t in titles), b.key
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


# --- mouse and resizing ----------------------------------------------------------------------------

async def test_mouse_clicks(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        timeline = app.query_one(Timeline)
        top = timeline.content_region.y - timeline.region.y
        left = timeline.content_region.x - timeline.region.x
        await pilot.click(Timeline, offset=(left + 4, top + 3))
        await pilot.pause()
        assert app.cursor == 3
        # Click h1 in the network panel: its values and the formula of z_h1.
        net = app.query_one(NetworkPanel)
        (row, _), (x0, _) = next((k, v) for k, v in net._cells.items() if k[1] == 1 and k[0] == 2)
        await pilot.click(NetworkPanel, offset=(net.content_region.x - net.region.x + x0 + 1,
                                                net.content_region.y - net.region.y + row))
        await pilot.pause()
        assert f"z_h1 = {ZH[0]:.4f}" in app.unit_info and f"h1 = {H[0]:.4f}" in app.unit_info
        assert "z_h1 = w1·x1 + w3·x2 + w5·x3 + b1" in app.unit_info
        # A key in the key bar does what the key does: "n next" is its first entry.
        await pilot.click(KeyBar, offset=(2, 0))
        await pilot.pause()
        assert app.cursor == 4


async def test_resizing_never_crashes(xor: Trace) -> None:
    app = BpstepApp(xor)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "s")
        for size in [(160, 48), (60, 16), (200, 60), (80, 24), (40, 10), (120, 36)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert app.size == size
            small = size[0] < 110 or size[1] < 32
            assert app.screen.has_class("-small") == small
            assert app.query_one("#plots").display == (not small) or small
            assert "Z1" in where_text(app)
        assert (app.cursor, app.sub) == (1, 0)


# --- running: the worker, a diverged run -----------------------------------------------------------

async def test_compute_worker_keys_work_while_it_runs() -> None:
    runner = Runner(bpstep.load("xor"), 1000)
    app = BpstepApp(runner.trace, compute=runner.run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n")
        await pilot.pause()
        assert app.cursor == 2
        if not runner.trace.finished:
            assert "computing" in where_text(app)
        await pilot.press("G")  # waits for the run's last step (issue 11, item 2)
        await pilot.pause()
        await until(pilot, lambda: app.run_over and app.cursor == 19 * 1000 - 1)
        assert runner.trace.finished and runner.trace.status == "complete"
        assert len(runner.trace) == 19 * 1000
        assert "computing" not in where_text(app)
        assert app.cursor == 19 * 1000 - 1 and "epoch 1000/1000" in where_text(app)


async def test_quit_while_computing_does_not_wait() -> None:
    trace = bpstep.trace("exercise")
    growing = Trace(trace.scenario, trace.modules)
    release = threading.Event()

    def compute(on_epoch) -> None:  # noqa: ANN001
        for s in trace[:5]:
            growing.append(s)
        on_epoch(1)
        release.wait(10)  # a long run, still going when the user quits
        growing.finish()

    app = BpstepApp(growing, compute=compute)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.steps_shown == 5)
        assert len(growing) == 5 and not growing.finished
        assert "computing" in where_text(app) and re.search("1( of |/)5…", where_text(app))
        await pilot.press("G")  # waits for the end of the run; quitting does not wait for it
        await pilot.pause()
        assert app.cursor == 0 and "waiting for the run" in where_text(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    release.set()


DIVERGES = """
name = "Diverges"
description = "a learning rate far too large"
[network]
inputs = 1
layers = [{ units = 1 }]
loss = "half_sse"
[parameters]
W1 = [[1.0]]
b1 = [0.0]
[data]
inputs = [[10.0]]
targets = [[1.0]]
[training]
learning_rate = 10.0
epochs = 500
"""


async def test_diverged_run_says_so_and_nonfinite_stops_there() -> None:
    runner = Runner(bpstep.loads(DIVERGES), None)
    app = BpstepApp(runner.trace, compute=runner.run)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.run_over)
        assert runner.trace.status == "diverged"
        assert "diverged" in where_text(app) and "is not finite" in where_text(app)
        first_bad = next(s.index for s in runner.trace if not np.all(np.isfinite(s.value)))
        await _enter(pilot, app, "B", "nonfinite")
        await pilot.press("c")
        await pilot.pause()
        assert app.cursor == first_bad


# --- navigation rules without the screen ------------------------------------------------------------

def test_navigation_rules(xor: Trace) -> None:
    bps = navigation.Breakpoints()
    assert navigation.continue_forward(xor, 0, bps) == len(xor) - 1
    bps.toggle_condition(navigation.parse_condition("dE/dW2[0,0] > 0", xor))
    hit = navigation.continue_forward(xor, 0, bps)
    assert xor[hit].name == "dE/dW2" and xor[hit].value[0, 0] > 0
    with pytest.raises(ValueError):
        navigation.parse_condition("nosuchname < 1", xor)
    with pytest.raises(ValueError):
        navigation.parse_condition("loss <", xor)
    assert navigation.finish_phase(xor, len(xor) - 1) == len(xor) - 1
    assert navigation.prev_epoch(xor, 5) == 0
    assert navigation.jump(xor, 0, "#7").index == 7


def test_parameters_at(exercise: Trace) -> None:
    before = exercise.parameters_at(15)["W2"]
    after = exercise.parameters_at(16)["W2"]
    np.testing.assert_allclose(before, W2)
    np.testing.assert_allclose(after, W2_NEW)
    assert isinstance(exercise[16], Step)


@pytest.mark.parametrize("name", bundled_names())
async def test_every_bundled_scenario_opens_and_steps(name: str) -> None:
    trace = bpstep.trace(name)
    app = BpstepApp(trace)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "s", "s", "f", "G", "p")
        await pilot.pause()
        assert app.cursor == len(trace) - 2
        assert trace[app.cursor].name in where_text(app)


@pytest.mark.parametrize("shape,labels", [
    ((2, 5, 1), ["x1", "x2", "h1", "h5", "o1"]),  # one hidden layer: h1…
    ((2, 3, 2, 1), ["x1", "x2", "h1.1", "h1.3", "h2.1", "h2.2", "o1"]),  # several: h<layer>.<unit>
])
async def test_units_without_display_names_are_labelled_by_layer(shape: tuple[int, ...],
                                                                  labels: list[str]) -> None:
    # No [names] table: no two columns may share a label (the output used to be a second "u1").
    scenario = load_dict({
        "name": "unnamed",
        "network": {"inputs": shape[0], "layers": [{"units": u, "activation": "tanh"} for u in shape[1:]]},
        "data": {"inputs": [[0.5, -1.0]], "targets": [[1.0]]},
    })
    assert not scenario.names
    trace = bpstep.trace(scenario)
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("G")  # the weights' update: every layer's values are shown
        await pilot.pause()
        text = app.query_one(NetworkPanel).text
        for label in labels:
            assert f"{label} " in text, (label, text)
        assert "u1" not in text


async def test_a_converged_perceptron_says_its_epoch_once() -> None:
    trace = bpstep.trace("perceptron-and")
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        text = where_text(app)
        assert "the run stopped: Converged in epoch 6:" in text, text
        assert text.count("epoch 6") == 1


async def until(pilot, condition, seconds: float = 10.0) -> None:  # noqa: ANN001
    """Let the app run until ``condition()`` holds (a loaded machine may be slow), at most ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)


async def test_the_app_leaves_the_processes_blas_threads_alone() -> None:
    """The debugger's own products run on one BLAS thread within their call only (as the run's
    do): an embedding program keeps its setting (README: the app leaves process-wide state alone)."""
    from threadpoolctl import threadpool_info

    def blas() -> list[int]:
        return sorted(i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas")

    before = blas()
    runner = Runner(bpstep.load("exercise"), None)
    app = BpstepApp(runner.trace, compute=runner.run)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.run_over)
        await pilot.press("G", "p", "p", "p", "p", "p", "p", "p", "p")  # through the backward pass
        await pilot.pause()
        assert blas() == before
    assert blas() == before
