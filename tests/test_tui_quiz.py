"""Quiz mode as a student uses it (Pilot): `a` hides a step's values and asks for each, Enter grades
with the precision rule of ``bpstep check``, Escape shows the values again; `A` quizzes the rest of
a phase and ends with the score; stepping keys are paused meanwhile.

Expected numbers come from the tutorial or from a small numpy computation here, never from the
app's own output.
"""

from __future__ import annotations

import pytest
from exercise_reference import D_H, D_O, D_ZH, D_ZO, DB1, OUT, ZH, H

import bpstep
from bpstep.scenario.loader import bundled_names
from bpstep.tracing import Trace
from bpstep.tui import BpstepApp, keys
from bpstep.tui.panels import (
    ActivationPlot,
    KeyBar,
    NetworkPanel,
    StepPanel,
    Timeline,
    ValuesPanel,
    WhereBar,
)
from bpstep.tui.quiz import Quiz, phase_end
from bpstep.tui.screens import HelpScreen, QuizBar, QuizInput, ScoreScreen

SIZE = (100, 30)


# The tutorial's exercise, computed independently: tests/exercise_reference.py

# The backward phase of the exercise, in the order the quiz asks (display names).
BACKWARD = [("dE/do1", D_O[0]), ("dE/do2", D_O[1]), ("dE/dz_o1", D_ZO[0]), ("dE/dz_o2", D_ZO[1]),
            ("dE/dh1", D_H[0]), ("dE/dh2", D_H[1]), ("dE/dz_h1", D_ZH[0]), ("dE/dz_h2", D_ZH[1])]


@pytest.fixture(scope="module")
def exercise() -> Trace:
    return bpstep.trace("exercise")


def texts(app: BpstepApp) -> str:
    return "\n".join(app.query_one(cls).text for cls in (WhereBar, NetworkPanel, StepPanel, ValuesPanel,
                                                          ActivationPlot))


def bar(app: BpstepApp) -> QuizBar:
    return app.query_one(QuizBar)


def bar_shown(app: BpstepApp) -> bool:
    """The quiz bar is on screen (it is mounted with the first quiz, hidden after it)."""
    return any(b.display for b in app.query(QuizBar))


def asked(app: BpstepApp) -> str:
    """The question beside the answer box: ``z_h1 = ?``."""
    return str(app.query_one("#quiz-label").render()).strip()


async def answer(pilot, text: str) -> None:  # noqa: ANN001
    await pilot.press(*text, "enter")
    await pilot.pause()


# --- one step --------------------------------------------------------------------------------------

async def test_a_hides_the_step_and_grades_each_value(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=(120, 36)) as pilot:  # plots shown: they must not give it away either
        await pilot.press("n")
        await pilot.pause()
        assert f"{ZH[0]:.4f}" in texts(app)  # 4.3000 before the quiz
        await pilot.press("a")
        await pilot.pause()
        assert app.quiz is not None and bar_shown(app)
        assert asked(app) == "z_h1 = ?"
        assert isinstance(app.focused, QuizInput)
        shown = texts(app)
        assert f"{ZH[0]:.4f}" not in shown and f"{ZH[1]:.4f}" not in shown and "4.30" not in shown
        # The formula stays, with the result replaced by ?
        assert "z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = ?" in shown
        assert "z_h1 ?" in app.query_one(ValuesPanel).text
        await answer(pilot, "4.3")
        feedback = bar(app).feedback_text
        assert feedback.startswith("✓") and "right" in feedback and f"= {ZH[0]:.4f}" in feedback
        # z_h1 is shown again, z_h2 is asked next
        assert asked(app) == "z_h2 = ?"
        step = app.query_one(StepPanel).text
        assert f"0.5·5 + 0.5 = {ZH[0]:.4f}" in step and "0.6·5 + 0.5 = ?" in step
        assert f"{ZH[1]:.4f}" not in texts(app)
        await answer(pilot, "5.1")  # two units of its last decimal off 5.3: wrong
        assert isinstance(app.screen, ScoreScreen)
        score = str(app.screen.query_one("#score-text").render())
        assert "1/2 right" in score and "z_h2" in score
        await pilot.press("escape")
        await pilot.pause()
        assert app.quiz is None and not bar_shown(app)
        assert f"{ZH[0]:.4f}" in texts(app) and f"{ZH[1]:.4f}" in texts(app)


async def test_the_tutorials_wrong_bias_gradient_is_explained(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        app.go(11)
        assert exercise[11].name == "dE/db1"
        await pilot.press("a")
        await pilot.pause()
        assert asked(app) == "dE/db1 = ?"
        assert f"{DB1:.4f}" not in texts(app)
        await answer(pilot, "0.0008")  # the tutorial's own answer
        feedback = bar(app).feedback_text
        assert feedback.startswith("✗") and "wrong" in feedback
        assert f"it is {DB1:.4f}" in feedback and f"{DB1:.4f}" == "0.0024"
        assert "∂E/∂b1 = ∂E/∂z_h1 + ∂E/∂z_h2" in feedback  # the substituted formula
        assert "shared by both hidden units" in feedback  # the shared-bias hint
        assert isinstance(app.screen, ScoreScreen)
        assert "0/1 right" in str(app.screen.query_one("#score-text").render())
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ScoreScreen)
        await pilot.press("a")
        await pilot.pause()
        await answer(pilot, "0.0024")
        assert bar(app).feedback_text.startswith("✓")
        assert "1/1 right" in str(app.screen.query_one("#score-text").render())
        assert app.last_score is not None and (app.last_score.right, app.last_score.asked) == (1, 1)


async def test_escape_leaves_the_quiz_and_stepping_works_again(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        before = texts(app)
        await pilot.press("a")
        await pilot.pause()
        assert "= ?" in app.query_one(StepPanel).text
        assert "answer" in app.query_one(KeyBar).text and "leave quiz" in app.query_one(KeyBar).text
        await pilot.press("escape")
        await pilot.pause()
        assert app.quiz is None and not bar_shown(app) and app.focused is None
        assert texts(app) == before  # every value is back, nothing left of the quiz
        assert "= ?" not in app.query_one(StepPanel).text and "next" in app.query_one(KeyBar).text
        await pilot.press("n")
        await pilot.pause()
        assert app.cursor == 2


async def test_stepping_keys_are_paused_during_a_quiz(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        app.go(2)
        await pilot.press("a")
        await pilot.pause()
        for key in ["n", "p", "s", "f", "G", "g", "right", "left", "space", "b", "t", "c", "q",
                    "question_mark", "plus", "A", "ctrl+a", "up", "down", "tab", "home", "end"]:
            await pilot.press(key)
            await pilot.pause()
            assert (app.cursor, app.sub) == (2, 0), key
            assert app.quiz is not None and app.quiz.question is not None
            assert app.quiz.question.element == 0, key
        assert "numbers only" in bar(app).hint_text  # a letter says why it did nothing
        assert app.check_action("next", ()) is None
        await app._command("last")  # the command palette's way: paused too
        await pilot.pause()
        assert app.cursor == 2
        # The mouse: a click on the timeline does not move; a click on h1 does not give it away.
        timeline = app.query_one(Timeline)
        await pilot.click(Timeline, offset=(timeline.content_region.x - timeline.region.x + 4,
                                            timeline.content_region.y - timeline.region.y + 5))
        await pilot.pause()
        assert app.cursor == 2
        net = app.query_one(NetworkPanel)
        (row, _), (x0, _) = next((k, v) for k, v in net._cells.items() if k[1] == 1 and k[0] == 2)
        await pilot.click(NetworkPanel, offset=(net.content_region.x - net.region.x + x0 + 1,
                                                net.content_region.y - net.region.y + row))
        await pilot.pause()
        assert "h1 = ?" in app.unit_info and f"z_h1 = {ZH[0]:.4f}" in app.unit_info
        assert "h1 = σ(z_h1) = σ(4.3) = ?" in app.unit_info and f"{H[0]:.4f}" not in app.unit_info
        app.query_one(QuizInput).value = ""
        await answer(pilot, f"{H[0]:.4f}")
        assert bar(app).feedback_text.startswith("✓") and asked(app) == "h2 = ?"
        assert app.precision == 4  # + went nowhere


async def test_a_non_numeric_answer_is_rejected(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        app.go(4)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("x", "y")  # not part of a number: the box keeps them out
        await pilot.pause()
        assert app.query_one(QuizInput).value == ""
        await pilot.press("enter")  # nothing typed
        await pilot.pause()
        assert "type a number" in bar(app).hint_text
        for text in ["abc", "-", ".", "1.2.3", "nan"]:
            app.query_one(QuizInput).value = text  # pasted, say
            await pilot.press("enter")
            await pilot.pause()
            assert "not graded" in bar(app).hint_text, text
            assert app.quiz is not None and app.quiz.results == [] and asked(app) == "o1 = ?"
        app.query_one(QuizInput).value = ""
        await answer(pilot, f"{OUT[0]:.3f}")
        assert bar(app).feedback_text.startswith("✓") and asked(app) == "o2 = ?"
        assert "Enter answers" in bar(app).hint_text


# --- a phase, the whole run ----------------------------------------------------------------------

async def test_phase_quiz_over_the_backward_phase_ends_with_the_score(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    wrong = {"dE/dz_o2": "0.2398", "dE/dh1": "0.1520", "dE/dz_h2": "0.0008"}  # ×2, a slip, ×2
    async with app.run_test(size=SIZE) as pilot:
        app.go(6)
        assert exercise[6].phase == "backward"
        await pilot.press("A")
        await pilot.pause()
        for i, (name, value) in enumerate(BACKWARD):
            assert asked(app) == f"{name} = ?", i
            assert f"question {i + 1} of {len(BACKWARD)}" in str(app.query_one("#quiz-status").render())
            assert exercise[app.cursor].phase == "backward"
            await answer(pilot, wrong.get(name, f"{value:.4f}"))
            if i < len(BACKWARD) - 1:
                assert bar(app).feedback_text.startswith("✗" if name in wrong else "✓"), name
        assert isinstance(app.screen, ScoreScreen)
        score = str(app.screen.query_one("#score-text").render())
        assert f"{len(BACKWARD) - len(wrong)}/{len(BACKWARD)} right" in score
        assert f"Wrong ({len(wrong)})" in score
        for name in wrong:
            assert f"{name} = {wrong[name]}" in score
        assert "dE/dz_o1 = " not in score  # a right one is not listed
        assert f"it is {D_ZO[1]:.4f}" in score and "off by a factor of 2" in score
        await pilot.press("escape")
        await pilot.pause()
        assert app.quiz is None and app.cursor == 9 and f"{D_ZH[1]:.4f}" in texts(app)
        # The score can be recalled: the help screen shows it.
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text").render())
        assert "Last quiz (the backward phase): 5/8 right" in help_text
        assert "dE/dz_o2" in help_text
        for b in keys.QUIZ:
            assert b.tooltip in help_text


async def test_whole_run_quiz_skips_the_inputs_and_can_be_left(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        app.go(7)
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert app.cursor == 1 and asked(app) == "z_h1 = ?"  # Z0 holds the given inputs
        await answer(pilot, "4.3")
        await answer(pilot, "5.0")  # 5.3 is not within one unit of the last decimal of 5.0
        await answer(pilot, f"{H[0]:.4f}")
        assert asked(app) == "h2 = ?" and app.cursor == 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.quiz is None and not isinstance(app.screen, ScoreScreen)
        assert app.last_score is not None
        assert (app.last_score.right, app.last_score.asked, app.last_score.complete) == (2, 3, False)
        assert app.last_score.text == "2/3 right (wrong: z_h2)"
        assert "?" not in app.query_one(StepPanel).text


async def test_nothing_to_ask_at_the_inputs(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert app.quiz is None and not bar_shown(app) and app.cursor == 0
        await pilot.press("n")  # the keys still step
        await pilot.pause()
        assert app.cursor == 1


async def test_resizing_during_a_quiz(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=(80, 24)) as pilot:
        app.go(11)
        await pilot.press("A")  # the gradient phase, from dE/db1
        await pilot.pause()
        await answer(pilot, "0.0008")  # a long hint to lay out
        for size in [(160, 48), (60, 16), (40, 10), (200, 60), (30, 8), (120, 36)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert app.size == size
            assert app.quiz is not None and asked(app) == "dE/dw7 = ?"
            assert "shared by both hidden units" in bar(app).feedback_text
        await answer(pilot, "0.0765")
        assert bar(app).feedback_text.startswith("✓") and asked(app) == "dE/dw8 = ?"


# --- every scenario, and the rules without the screen ---------------------------------------------

@pytest.mark.parametrize("name", bundled_names())
async def test_every_bundled_scenario_quizzes(name: str) -> None:
    trace = bpstep.trace(name)
    app = BpstepApp(trace)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "A")
        await pilot.pause()
        assert app.quiz is not None
        q = app.quiz.question
        step = trace[q.index]
        flat = step.value.reshape(-1)
        shown = app.query_one(ValuesPanel).text
        assert "?" in shown
        await answer(pilot, f"{float(flat[q.element]):.6f}")
        assert bar(app).feedback_text.startswith("✓")
        await pilot.press("escape")
        await pilot.pause()
        assert app.quiz is None and app.last_score is not None and app.last_score.right == 1


def test_quiz_rules(exercise: Trace) -> None:
    xor = bpstep.trace("xor")
    quiz = Quiz(xor, 0, None, "the whole run")  # lazy: 5700 steps, found one at a time
    assert quiz.total is None and quiz.question is not None and quiz.question.index == 1
    assert phase_end(exercise, 6) == 9 and phase_end(exercise, 18) == 18
    q = Quiz(exercise, 10, phase_end(exercise, 10), "the gradient phase")
    assert q.total == 6 + 1 + 4 + 1
    q = Quiz(exercise, 0, 0, "step Z0")
    assert q.done


# --- the precision rule (issue 16) -------------------------------------------------------------------

async def test_too_few_figures_asks_again_without_the_value(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        app.go(4)
        assert exercise[4].name == "Z4"
        await pilot.press("a")
        await pilot.pause()
        assert asked(app) == "o1 = ?"
        await answer(pilot, "0.9")  # right at its one decimal, but too coarse to grade
        feedback = bar(app).feedback_text
        assert feedback.startswith("… not enough precision") and "o1 = 0.9" in feedback
        assert "give at least 4 decimals or 3 significant figures" in feedback
        assert f"{OUT[0]:.4f}" not in feedback and f"{OUT[0]:.4f}" not in texts(app)  # not given away
        assert "✗" not in feedback and "wrong" not in feedback
        assert asked(app) == "o1 = ?" and app.quiz is not None and not app.quiz.results  # not counted
        await answer(pilot, f"{OUT[0]:.4f}")
        assert bar(app).feedback_text.startswith("✓") and asked(app) == "o2 = ?"
        await answer(pilot, "0.5")  # one decimal, and far off: wrong, with the value and the rule
        assert isinstance(app.screen, ScoreScreen)
        score = str(app.screen.query_one("#score-text").render())
        assert "1/2 right" in score


async def test_a_wrong_answer_says_the_precision_required(exercise: Trace) -> None:
    app = BpstepApp(exercise)
    async with app.run_test(size=SIZE) as pilot:
        app.go(4)
        await pilot.press("a")
        await pilot.pause()
        await answer(pilot, "0.7")  # 0.19 off: wrong whatever its figures
        feedback = bar(app).feedback_text
        assert feedback.startswith("✗ wrong: o1 = 0.7; it is") and f"{OUT[0]:.4f}" in feedback
        assert "(4 decimals or 3 significant figures required)" in feedback
        assert "allowed" not in feedback
        assert asked(app) == "o2 = ?"


def test_quiz_keeps_the_question_on_too_few_figures(exercise: Trace) -> None:
    q = Quiz(exercise, 4, 4, "step Z4")
    first = q.question
    result = q.answer("0.89", 4)  # 2 decimals for 0.8896: too coarse, near
    assert result.status == "not enough precision" and q.question == first and not q.results
    result = q.answer("0.8896", 4)
    assert result.correct and q.question is not None and q.question.element == 1
