"""What is shown on demand, not on the first screen: the help screen, the two small dialogs (jump
to a step, conditional breakpoints), the quiz bar and a quiz's score. The app imports this module
when one of them is first shown; their styles are in app.tcss."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from bpstep.tui import keys
from bpstep.tui.panels import DIM, feedback

if TYPE_CHECKING:
    from bpstep.tui.quiz import Score


class Dialog(ModalScreen[str | None]):
    """A one-line input: Enter hands back the text, Escape cancels."""

    BINDINGS = keys.DIALOG

    def __init__(self, title: str, hint: str, placeholder: str, dialog_id: str) -> None:
        super().__init__(id=dialog_id)
        self._title, self._hint, self._placeholder = title, hint, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content.styled(self._title, "bold"), classes="dialog-title", markup=False)
            yield Static(Content(self._hint), classes="dialog-hint", markup=False)
            yield Input(placeholder=self._placeholder, id="dialog-input")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key (from the one binding table), how breakpoints and quizzes work, and the score of
    the last quiz."""

    BINDINGS = keys.HELP

    def __init__(self, score: Score | None = None, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.score = score

    def compose(self) -> ComposeResult:
        lines = [Content.styled("bpstep: keys", "bold"), Content("")]
        if self.score is not None:  # recalled at the top, where it is seen without scrolling
            lines[1:1] = [Content.assemble(("Last quiz", "bold"), f" ({self.score.scope}): ",
                                           (self.score.text, "bold $accent")), Content("")]
        for b in keys.APP:
            lines.append(Content.assemble((f"{keys.key_text(b):<15}", "bold $accent"),
                                          b.tooltip or b.description))
        lines += [
            Content(""),
            Content.styled("Breakpoints", "bold"),
            Content("  b stops at this step's name in every batch and epoch (● in the"),
            Content("  timeline). B adds a condition: loss < 0.05, E < 0.1, dE/dw7 > 0.07,"),
            Content("  nonfinite (◆ in the timeline); entering it again removes it. c / C run"),
            Content("  to the next / previous hit; while G or c waits for the run or searches"),
            Content("  it, the top bar says so and Esc cancels. Ctrl+P lists every command."),
            Content("  This screen: ↓ ↑ PgDn PgUp Home End j k scroll it; Esc closes it."),
            Content(""),
            Content.styled("Quiz", "bold"),
            Content("  a hides this step's values and asks for each in turn; A goes on to the"),
            Content("  end of the phase, ctrl+a through the whole run. An answer is right"),
            Content("  within one unit of its last written decimal (0.0020 has four). An answer"),
            Content("  that is not a number (1/2, 4.3.1) is refused, not graded; a decimal"),
            Content("  comma is read as a point (0,15). During a quiz:"),
        ]
        for b in keys.QUIZ:
            lines.append(Content.assemble((f"  {keys.key_text(b):<13}", "bold $accent"),
                                          b.tooltip or b.description))
        # Focused when shown: ↓ ↑ PgDn PgUp Home End scroll it (and j k, keys.SCROLL).
        with VerticalScroll(classes="dialog help"):
            yield Static(Content("\n").join(lines), markup=False, id="help-text")

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)

    def action_scroll_text(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)


class ScoreScreen(ModalScreen[None]):
    """The end of a quiz: right / asked, and each wrong answer with the value, the substituted
    formula and the convention it matches."""

    BINDINGS = keys.SCORE

    def __init__(self, score: Score, precision: int) -> None:
        super().__init__(id="score")
        self.score = score
        self.precision = precision

    def compose(self) -> ComposeResult:
        sc = self.score
        lines = [Content.assemble(("Quiz: ", "bold"), sc.scope, "  ",
                                  (f"{sc.right}/{sc.asked} right", "bold $text-success" if not sc.wrong
                                   else "bold $text-warning")), Content("")]
        if not sc.asked:
            lines.append(Content("Nothing was asked."))
        elif not sc.wrong:
            lines.append(Content("Every answer was right."))
        else:
            lines.append(Content.styled(f"Wrong ({len(sc.wrong)}):", "bold"))
            for result in sc.wrong:  # every one: the box scrolls (↓ PgDn End j)
                lines += feedback(result, self.precision)
        lines += [Content(""), Content.styled("Esc or Enter closes; ↓ PgDn End j scroll; ? shows this "
                                              "score again.", "$text-muted")]
        with VerticalScroll(classes="dialog help"):
            yield Static(Content("\n").join(lines), markup=False, id="score-text")

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)

    def action_scroll_text(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)


# --- quiz ---------------------------------------------------------------------------------------

KEYS_HINT = Content.styled(" Enter answers · Esc leaves the quiz", DIM)


class QuizInput(Input):
    """The answer box: numbers only. A key that cannot be part of a number (a stepping key, say)
    says what to do instead of ringing the bell."""

    class Rejected(Message):
        pass

    def restricted(self) -> None:
        self.post_message(self.Rejected())


class QuizBar(Vertical):
    """Below the panels during a quiz: where the quiz is, the last answer's grade, and the
    question (``h1 = ?``) with the answer box. Mounted with the first quiz, hidden between quizzes."""

    BINDINGS = keys.QUIZ
    MAX_SHARE = 0.6  # of the rows above the key bar; the panels keep the rest

    def fit(self, screen_height: int, key_bar_height: int = 1) -> None:
        """Set the height limit for this screen height. Not ``max-height: 60%`` in CSS: that
        would be of the whole screen, the key bar's row included, for a split widget."""
        self.styles.max_height = int(self.MAX_SHARE * (screen_height - key_bar_height))

    def compose(self) -> ComposeResult:
        yield Static(id="quiz-status", markup=False)
        yield Static(id="quiz-feedback", markup=False)
        with Horizontal(id="quiz-ask"):
            yield Static(id="quiz-label", markup=False)
            # Disabled while the bar is hidden: the screen would otherwise give it the focus.
            # Letters (the stepping keys) are kept out with a word of why; anything else typed is
            # graded whole or refused whole (1/2, 4.3.1), never trimmed into a number.
            yield QuizInput(restrict=r"[^A-DF-Za-df-z]*", placeholder="a number", id="quiz-input",
                            select_on_focus=False, disabled=True)
            yield Static(KEYS_HINT, id="quiz-keys", markup=False)

    def open(self) -> None:
        self.show_feedback([])
        self.query_one(QuizInput).disabled = False
        self.display = True

    def close(self) -> None:
        box = self.query_one(QuizInput)
        box.blur()
        box.disabled = True
        self.display = False

    def ask(self, status: Content, label: str) -> None:
        self.query_one("#quiz-status", Static).update(status)
        self.query_one("#quiz-label", Static).update(Content.styled(f"{label} = ?", "bold"))
        self.query_one("#quiz-keys", Static).update(KEYS_HINT)
        box = self.query_one(QuizInput)
        box.value = ""
        box.focus()

    def show_feedback(self, lines: list[Content]) -> None:
        fb = self.query_one("#quiz-feedback", Static)
        fb.update(Content("\n").join(lines))
        fb.display = bool(lines)

    def warn(self, text: str) -> None:
        """A short message beside the answer box (a rejected key or answer); the last grade stays."""
        self.query_one("#quiz-keys", Static).update(Content.styled(f" {text}", "bold $text-warning"))

    @property
    def answer(self) -> str:
        """The text in the answer box."""
        return self.query_one(QuizInput).value

    @property
    def hint_text(self) -> str:
        return str(self.query_one("#quiz-keys", Static).render())

    @property
    def feedback_text(self) -> str:
        """The grade shown (for tests)."""
        return str(self.query_one("#quiz-feedback", Static).render())

    @on(QuizInput.Rejected)
    def _rejected(self) -> None:
        self.warn("numbers only: Enter answers, Esc leaves the quiz (stepping keys are paused)")
