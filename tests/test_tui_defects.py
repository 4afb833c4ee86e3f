"""Regression tests for the debugger's defects of issue 11 (items 2–4, 6–9, 12–15).

Expected values are computed here (from the scenario or the trace's own arrays), never copied from
the panels' output."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import bpstep
from bpstep.engine.network import Runner
from bpstep.scenario import load_dict
from bpstep.tracing import Trace
from bpstep.tui import BpstepApp, navigation
from bpstep.tui.panels import ActivationPlot, NetworkPanel, ValuesPanel, WhereBar

SIZE = (100, 30)


def where_text(app: BpstepApp) -> str:
    return app.query_one(WhereBar).text


def growing(name: str, first: int) -> tuple[Trace, object, threading.Event]:
    """A run computed in two parts: ``first`` steps at once (reported as a runner reports an
    epoch), the rest once released."""
    full = bpstep.trace(name)
    trace = Trace(full.scenario, full.modules)
    release = threading.Event()

    def compute(on_epoch) -> None:  # noqa: ANN001
        for s in full[:first]:
            trace.append(s)
        on_epoch(1)
        release.wait(10)
        for s in full[first:]:
            trace.append(s)
        trace.epochs_run = full.epochs_run
        trace.finish(full.status, full.message)

    return trace, compute, release


async def _enter(pilot, app: BpstepApp, key: str, text: str) -> None:  # noqa: ANN001
    await pilot.press(key)
    await pilot.pause()
    app.screen.query_one("#dialog-input").value = text
    await pilot.press("enter")
    await pilot.pause()


# --- 2, 3: G and c while the run computes; searches that take long ---------------------------------

async def test_last_waits_for_the_run_and_escape_cancels() -> None:
    trace, compute, release = growing("xor", 30)
    app = BpstepApp(trace, compute=compute)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.steps_shown == 30)  # the run's first part, on screen
        assert len(trace) == 30 and not trace.finished
        await pilot.press("G")
        await pilot.pause()
        assert app.cursor == 0 and "waiting for the run" in where_text(app)
        await pilot.press("escape")  # cancelled: the cursor stays, and stays once the run ends
        await pilot.pause()
        assert "waiting" not in where_text(app)
        await pilot.press("n", "G")
        await pilot.pause()
        assert app.cursor == 1
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert trace.finished and app.cursor == len(trace) - 1 > 30


async def test_continue_waits_for_the_next_hit_and_a_new_key_replaces_it() -> None:
    trace, compute, release = growing("xor", 10)
    full = bpstep.trace("xor")
    first_loss = next(s.index for s in full if s.name == "loss")  # epoch 1's loss, not computed yet
    assert first_loss > 10
    app = BpstepApp(trace, compute=compute)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.steps_shown == 10)  # the run's first part, on screen
        await _enter(pilot, app, "B", "loss < 1000")
        await pilot.press("c")
        await pilot.pause()
        assert app.cursor == 0 and "searching for the next breakpoint" in where_text(app)
        await pilot.press("n")  # a new move: the search is dropped, not applied later
        await pilot.pause()
        assert app.cursor == 1 and "searching" not in where_text(app)
        await pilot.press("c")
        await pilot.pause()
        assert "Esc cancels" in where_text(app)
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.cursor == first_loss


def test_a_search_runs_in_slices() -> None:
    # A condition that never holds, on a finished run: each slice looks at a bounded number of
    # steps, and the search ends at the last step.
    xor = bpstep.trace("xor")
    bps = navigation.Breakpoints()
    bps.toggle_condition(navigation.parse_condition("E < -1", xor))
    search = navigation.Search(xor, bps, 0)
    assert search.run(0.0) is None and search.pos == 1 + navigation.Search.CHUNK
    assert not search.exhausted
    while not search.exhausted:
        assert search.run(0.001) is None
    assert search.pos == len(xor)
    back = navigation.Search(xor, bps, len(xor) - 1, forward=False)
    assert back.run(10) is None and back.exhausted
    bps.toggle_condition(navigation.parse_condition("E < 0.2", xor))
    expected = next(s.index for s in xor if s.name == "E" and s.value < 0.2)
    assert navigation.Search(xor, bps, 0).run(10) == expected


# --- 4: number tables -------------------------------------------------------------------------------

UNNAMED = {
    "name": "unnamed",
    "network": {"inputs": 2, "layers": [{"units": 3, "activation": "tanh"}, {"units": 1}]},
    # Column 0 and the last are positive, the middle one negative and wider.
    "parameters": {"W1": [[0.2536, -0.4263, 0.85], [0.1, -12.5, 0.3]], "b1": 0.0,
                   "W2": [[1.3757], [-1.8324], [0.5]], "b2": 0.0},
    "data": {"inputs": [[0.5, -1.0]], "targets": [[1.0]]},
    "training": {"learning_rate": 0.5, "epochs": 1},
}


async def test_number_tables_keep_a_space_between_columns() -> None:
    trace = bpstep.trace(load_dict(UNNAMED))
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        for i in range(len(trace)):
            app.go(i)
            await pilot.pause()
            text = app.query_one(ValuesPanel).text
            # A number, then straight away another one (a sign or a digit): columns run together.
            assert not re.search(r"\d\*?[-−]\d|\*\d", text), (trace[i].name, text)
        app.go(next(s.index for s in trace if s.name == "W1" and s.phase == "update"))
        await pilot.pause()
        assert re.search(r"0\.2536 → \S+\*? +\S", app.query_one(ValuesPanel).text)


# --- 6, 9: the top bar ------------------------------------------------------------------------------

async def test_perceptron_counts_samples_and_says_its_status_throughout() -> None:
    trace = bpstep.trace("perceptron-xor")
    samples = len(trace.scenario.data.inputs)
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(next(s.index for s in trace if s.batch == 2))
        await pilot.pause()
        text = where_text(app)
        assert f"sample 2 of {samples}" in text and "batch" not in text.split("\n")[0]
        assert "not linearly separable" in text  # the run's status, from the first step on


@pytest.mark.parametrize("name", ["perceptron-and", "housing"])
async def test_epoch_total_is_the_real_count_once_the_run_ended(name: str) -> None:
    scenario = bpstep.load(name)
    runner = Runner(scenario, None)
    app = BpstepApp(runner.trace, compute=runner.run)
    async with app.run_test(size=(160, 48)) as pilot:
        # Until the app has handled the run's end (the worker may start after the first frame,
        # and a loaded machine may take a while): RunFinished sets run_over.
        for _ in range(200):
            await pilot.pause(0.05)
            if app.run_over:
                break
        t = runner.trace
        assert t.finished and t.epochs_run < scenario.training.epochs  # stopped early
        ran = max(s.epoch for s in (t[i] for i in range(len(t) - 40, len(t))))
        assert f"epoch 1/{ran} " in where_text(app), where_text(app)
        # Through the app without the runner the same.
        other = BpstepApp(bpstep.trace(name))
        async with other.run_test(size=(160, 48)) as pilot2:
            await pilot2.pause()
            assert f"epoch 1/{ran} " in where_text(other)


async def test_epoch_limit_is_said_as_a_limit_while_running() -> None:
    trace, compute, release = growing("xor", 30)
    app = BpstepApp(trace, compute=compute)
    async with app.run_test(size=(160, 48)) as pilot:
        limit = trace.scenario.training.epochs
        # Until the first part of the run is on screen (a loaded machine may take a while).
        for _ in range(200):
            await pilot.pause(0.05)
            if f"epoch 1 (of at most {limit})" in where_text(app):
                break
        assert f"epoch 1 (of at most {limit})" in where_text(app)
        release.set()
        for _ in range(200):  # until the app has handled the run's end
            await pilot.pause(0.05)
            if app.run_over:
                break
        assert f"epoch 1/{trace.epochs_run} " in where_text(app)


# --- 7: the diverged status -------------------------------------------------------------------------

async def test_diverged_status_said_once() -> None:
    spec = {**UNNAMED, "training": {"learning_rate": 1e300, "epochs": 5}}
    trace = bpstep.trace(load_dict(spec))
    assert trace.status == "diverged"
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        text = where_text(app)
        assert text.count("diverged") == 1 and "is not finite" in text, text


# --- 8: stale panels -------------------------------------------------------------------------------

async def test_activation_legend_follows_the_sample_stepped_into() -> None:
    xor = bpstep.trace(bpstep.load("xor"))
    z3 = next(s for s in xor if s.name == "Z3")  # the output's z, 4 samples × 1 unit
    z4 = next(s for s in xor if s.name == "Z4")
    app = BpstepApp(xor)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(z4.index, 1)  # o of sample 2
        await pilot.pause()
        legend = app.query_one(ActivationPlot).text.splitlines()[-1]
        shown = f"{z3.value[1, 0]:.2f}"
        assert shown in legend and f"{z3.value[0, 0]:.2f}" not in legend, legend


async def test_evaluate_steps_say_what_the_network_shows() -> None:
    housing = bpstep.trace("housing")
    ev = next(s for s in housing if s.phase == "evaluate")
    app = BpstepApp(housing)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(ev.index)
        await pilot.pause()
        net = app.query_one(NetworkPanel)
        assert "last training batch" in str(net.border_title) + net.text


# --- 15: element indices, operators and bounds --------------------------------------------------------

@pytest.mark.parametrize("text,says", [
    ("W2[9,9]", "2×2"), ("Z4[4,0]", "1×2"), ("W1[0]", "3×2"),
])
def test_jump_to_an_element_out_of_range_says_the_shape(text: str, says: str) -> None:
    exercise = bpstep.trace("exercise")
    with pytest.raises(ValueError, match=says):
        navigation.jump(exercise, 0, text)


@pytest.mark.parametrize("text,says", [
    ("W2[5,5] > 0", "2×2"), ("E << 1", "< <= > >= == !="), ("E < inf", "finite"),
    ("E < 1e999", "finite"), ("E < abc", "not a number"),
])
def test_conditions_are_checked(text: str, says: str) -> None:
    exercise = bpstep.trace("exercise")
    with pytest.raises(ValueError, match=re.escape(says)):
        navigation.parse_condition(text, exercise)


def test_in_range_and_negative_indices_still_work() -> None:
    exercise = bpstep.trace("exercise")
    w2 = exercise.step("W2", 1, 1)
    assert navigation.jump(exercise, 0, "W2[1,1]").element == 3
    assert navigation.jump(exercise, 0, "W2[-1,0]").element == 2
    cond = navigation.parse_condition("W2[1,0] > 0.85", exercise)
    assert cond.holds(w2) == bool(w2.value[1, 0] > 0.85)
    assert np.isfinite(cond.bound)


# --- 12, 13: the score and help screens, a terminal too small ----------------------------------------

async def test_score_screen_is_centred_and_scrolls_to_every_wrong_answer() -> None:
    from textual.containers import VerticalScroll

    from bpstep.tui.quiz import Quiz
    from bpstep.tui.screens import ScoreScreen

    exercise = bpstep.trace("exercise")
    quiz = Quiz(exercise, 0, None, "the whole run")
    while not quiz.done:
        quiz.answer("999", 4)
    score = quiz.score()
    assert len(score.wrong) > 40  # more than the old list showed
    app = BpstepApp(exercise)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ScoreScreen(score, 4))
        await pilot.pause()
        box = app.screen.query_one(VerticalScroll)
        text = str(app.screen.query_one("#score-text").render())
        assert "more" not in text and score.wrong[-1].name in text
        left, right = box.region.x, 80 - box.region.right
        assert box.region.y >= 1 and abs(left - right) <= 1  # centred, below the top bar
        await pilot.press("end")
        await pilot.pause()
        assert box.max_scroll_y > 0 and box.scroll_y == box.max_scroll_y


async def test_help_scrolls_by_keyboard() -> None:
    from textual.containers import VerticalScroll

    app = BpstepApp(bpstep.trace("exercise"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one(VerticalScroll)
        assert box.max_scroll_y > 0
        for key, expected in [("down", 1), ("j", 2), ("k", 1), ("end", box.max_scroll_y), ("home", 0)]:
            await pilot.press(key)
            await pilot.pause()
            assert box.scroll_y == expected, key
        await pilot.press("pagedown")
        await pilot.pause()
        assert box.scroll_y > 2


async def test_too_small_terminal_says_so() -> None:
    from textual.widgets import Static

    app = BpstepApp(bpstep.trace("exercise"))
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause()
        notice = app.screen.query_one("#too-small", Static)
        assert notice.display and notice.region.height > 0
        text = str(notice.render())
        assert "70×20" in text and "80×24" in text
        assert app.query_one(WhereBar).region.height == 0
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert notice.region.height == 0 and app.query_one(WhereBar).region.height >= 1


# --- 14: quiz answers are graded whole or refused ----------------------------------------------------

async def test_quiz_answers_are_never_mangled() -> None:
    from bpstep.tui.screens import QuizInput

    app = BpstepApp(bpstep.trace("exercise"))
    async with app.run_test(size=SIZE) as pilot:
        app.go(4)
        await pilot.press("a")
        await pilot.pause()
        box = app.query_one(QuizInput)
        for keys_, typed in [(["1", "slash", "2"], "1/2"),
                             (["4", "full_stop", "3", "full_stop", "1"], "4.3.1")]:
            box.value = ""
            await pilot.press(*keys_, "enter")
            await pilot.pause()
            assert box.value == typed and app.quiz.results == [], typed  # refused whole
            assert "not graded" in app._quiz_bar.hint_text
        box.value = ""
        await pilot.press("0", "comma", "1", "5", "enter")  # a decimal comma: read as a point
        await pilot.pause()
        assert [r.answer for r in app.quiz.results] == ["0.15"]


async def until(pilot, condition, seconds: float = 10.0) -> None:  # noqa: ANN001
    """Let the app run until ``condition()`` holds (a loaded machine may be slow), at most ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
