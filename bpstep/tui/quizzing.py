"""Quiz mode's actions (a mixin of ``BpstepApp``): start a quiz over a step, a phase or the whole
run, ask each value in turn, grade the answer typed in the quiz bar, and show the score. What is
asked and how it is graded is Textual-free ``bpstep.tui.quiz`` (with ``bpstep.check``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from bpstep.tui.panels import feedback

if TYPE_CHECKING:
    from bpstep.tracing import Trace
    from bpstep.tui.model import Model
    from bpstep.tui.quiz import Quiz, Score
    from bpstep.tui.screens import QuizBar


class Quizzing:
    """Uses the app's trace, model, cursor, sub, precision, go, notify, mount and screens."""

    trace: Trace
    model: Model
    quiz: Quiz | None
    last_score: Score | None
    _quiz_bar: QuizBar | None

    async def action_quiz_step(self) -> None:
        if len(self.trace):
            step = self.trace[self.cursor]
            await self._start_quiz(self.cursor, self.cursor, f"step {self.model.label(step, 2)}",
                                   self.sub or 0)

    async def action_quiz_phase(self) -> None:
        if len(self.trace):
            from bpstep.tui.quiz import phase_end  # the quiz (and bpstep.check) load with the first quiz

            phase = self.trace[self.cursor].phase
            await self._start_quiz(self.cursor, phase_end(self.trace, self.cursor), f"the {phase} phase",
                                   self.sub or 0)

    async def action_quiz_run(self) -> None:
        await self._start_quiz(0, None, "the whole run")

    async def _start_quiz(self, start: int, end: int | None, scope: str, element: int = 0) -> None:
        if not len(self.trace):
            self.notify("no steps yet", timeout=3)
            return
        from bpstep.tui.quiz import Quiz

        quiz = Quiz(self.trace, start, end, scope, element)
        if quiz.done:
            self.notify("nothing to compute here: these values are given (the inputs or targets)",
                        title="Quiz", timeout=4)
            return
        if self._quiz_bar is None:
            from bpstep.tui.screens import QuizBar

            self._quiz_bar = QuizBar(id="quiz")
            self._quiz_bar.fit(self.size.height)
            # Split to the bottom after the key bar: just above it (app.tcss).
            await self.mount(self._quiz_bar, after=self._keybar)
        self.quiz = quiz
        self._quiz_bar.open()
        self.refresh_bindings()
        self._ask()

    def _ask(self) -> None:
        """Go to the current question: its step, its element highlighted, its value hidden."""
        quiz = self.quiz
        assert quiz is not None and quiz.question is not None
        q = quiz.question
        self.go(q.index, q.element if q.size > 1 else None)
        asked, right = len(quiz.results), sum(r.correct for r in quiz.results)
        total = f" of {quiz.total}" if quiz.total is not None else ""
        status = Content.assemble(("Quiz", "bold $accent"), f" · {quiz.scope} · question {asked + 1}{total}",
                                  (f" · {right}/{asked} right so far" if asked else "", "$text-muted"))
        assert self._quiz_bar is not None
        self._quiz_bar.ask(status, q.name)

    def action_quiz_submit(self) -> None:
        if self._quiz_bar is not None:
            self._answer(self._quiz_bar.answer)

    def _answer(self, text: str) -> None:
        quiz = self.quiz
        if quiz is None or quiz.question is None:
            return
        bar = self._quiz_bar
        assert bar is not None
        if not text.strip():
            bar.warn("type a number, then Enter (Esc leaves the quiz)")
            return
        from bpstep.check import AnswerError

        q = quiz.question
        # The step panel's explanation (cached per step and precision) serves the grading too.
        explained = self.model.explanation(q.index, self.precision, q.element + 1)
        try:
            result = quiz.answer(text, self.precision, explained)
        except AnswerError as exc:
            bar.warn(f"not graded: {exc.message}")
            return
        bar.show_feedback(feedback(result, self.precision))
        if quiz.done:
            self._end_quiz(complete=True)
        else:
            self._ask()

    def action_leave_quiz(self) -> None:
        if self.quiz is not None:
            self._end_quiz(complete=False)

    def _end_quiz(self, complete: bool) -> None:
        quiz = self.quiz
        assert quiz is not None
        score = quiz.score()
        self.quiz = None
        if score.asked:
            self.last_score = score
        assert self._quiz_bar is not None
        self._quiz_bar.close()
        self.go(self.cursor)  # the values are shown again
        self.refresh_bindings()
        if complete:
            from bpstep.tui.screens import ScoreScreen

            self.push_screen(ScoreScreen(score, self.precision))
        elif score.asked:
            self.notify(f"{score.scope}: {score.text}", title="Quiz left", timeout=6)
        else:
            self.notify("quiz left", timeout=2)

    def _paused(self) -> None:
        self.notify("Stepping is paused during the quiz: type the value and press Enter, or Esc to "
                    "leave the quiz.", title="Quiz", timeout=4)

