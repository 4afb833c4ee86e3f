"""The help screen and the two small dialogs (jump to a step, conditional breakpoints)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from bpstep.tui import keys


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
    """Every key (from the one binding table), and how breakpoints and conditions work."""

    BINDINGS = keys.HELP

    def compose(self) -> ComposeResult:
        lines = [Content.styled("bpstep: keys", "bold"), Content("")]
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
        ]
        with Vertical(classes="dialog help"):
            yield Static(Content("\n").join(lines), markup=False, id="help-text")

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
