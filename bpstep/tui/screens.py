"""The help screen, the two small dialogs (jump to a step, conditional breakpoints) and a quiz's
score."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from bpstep.tui import keys
from bpstep.tui.widgets import feedback

if TYPE_CHECKING:
    from bpstep.tui.quiz import Score

# The score screen lists at most this many wrong answers in full.
SCORE_MAX_WRONG = 40


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
            Content("  b stops at this step's name in every batch and epoch (● in the timeline)."),
            Content("  B adds a condition: loss < 0.05, E < 0.1, dE/dw7 > 0.07, nonfinite"),
            Content("    (◆ in the timeline); entering it again removes it. c / C run to the next"),
            Content("    / previous hit. Ctrl+P lists every command. Esc closes this screen."),
            Content(""),
            Content.styled("Quiz", "bold"),
            Content("  a hides this step's values and asks for each in turn; A goes on to the end of"),
            Content("  the phase, ctrl+a through the whole run. An answer is right within one unit of"),
            Content("  its last written decimal (0.0020 has four). During a quiz:"),
        ]
        for b in keys.QUIZ:
            lines.append(Content.assemble((f"  {keys.key_text(b):<13}", "bold $accent"),
                                          b.tooltip or b.description))
        with Vertical(classes="dialog help"):
            yield Static(Content("\n").join(lines), markup=False, id="help-text")

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)


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
            for result in sc.wrong[:SCORE_MAX_WRONG]:
                lines += feedback(result, self.precision)
            if len(sc.wrong) > SCORE_MAX_WRONG:
                lines.append(Content.styled(f"… and {len(sc.wrong) - SCORE_MAX_WRONG} more", "$text-muted"))
        lines += [Content(""), Content.styled("Esc or Enter closes; ? shows this score again.",
                                              "$text-muted")]
        with VerticalScroll(classes="dialog help"):
            yield Static(Content("\n").join(lines), markup=False, id="score-text")

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
