"""Every key binding of the debugger, in one place: the app, its dialogs and the help screen all
read these lists (the help screen and the command palette are generated from APP)."""

from __future__ import annotations

from textual.binding import Binding

# show=True: in the footer (which has room for the most used ones at 80 columns); every binding
# is in the help screen and the command palette. The tooltip is the help screen's description.
APP: list[Binding] = [
    Binding("n,right,space", "next", "next", key_display="n",
            tooltip="next step (also → and space)"),
    Binding("p,left", "previous", "prev", key_display="p",
            tooltip="previous step (also ←); while stepping into, the previous element"),
    Binding("s", "step_into", "into", tooltip="step into: one sub-step per unit or element"),
    Binding("f", "finish", "finish", tooltip="finish the current phase"),
    Binding("e", "next_epoch", "epoch", show=False, tooltip="next epoch"),
    Binding("E", "prev_epoch", "epoch←", show=False, tooltip="previous epoch"),
    Binding("c", "continue", "cont", tooltip="continue to the next breakpoint (or the end)"),
    Binding("C", "continue_back", "cont←", show=False,
            tooltip="continue backwards to the previous breakpoint (or the start)"),
    Binding("b", "toggle_breakpoint", "break",
            tooltip="toggle a breakpoint on this step's name (every batch and epoch)"),
    Binding("B", "conditions", "cond", show=False,
            tooltip="conditional breakpoints: loss < 0.05, E < 0.1, nonfinite, …"),
    Binding("g", "first", "first", show=False, tooltip="first step"),
    Binding("G", "last", "last", show=False, tooltip="last step"),
    Binding("t", "jump", "jump", tooltip="jump to a step number or a name (dE/dW2, h1, …)"),
    Binding("a", "quiz_step", "quiz", tooltip="quiz this step: its values are hidden, you type each one"),
    Binding("A", "quiz_phase", "quiz phase", show=False,
            tooltip="quiz from this step to the end of its phase"),
    Binding("ctrl+a", "quiz_run", "quiz run", show=False, tooltip="quiz the whole run, from the first step"),
    Binding("R", "restart", "restart", show=False, tooltip="restart: back to the first step"),
    Binding("x", "cycle_sample", "sample", show=False,
            tooltip="the network shows the batch's next sample (values, δ, dead and saturated units)"),
    Binding("l", "log_scale", "log", show=False,
            tooltip="loss chart: log / linear scale (click the chart: go to that epoch)"),
    Binding("w", "whatif", "what if", show=False,
            tooltip="what if: change a weight, input, target or lr (w7 = 0.5), compare the recomputed run"),
    Binding("N", "nudge", "nudge", show=False,
            tooltip="nudge (at a gradient step): w ± ε, E's change recomputed, the gradient's prediction"),
    Binding("plus,equals_sign", "precision(1)", "+dp", show=False, key_display="+",
            tooltip="one more decimal"),
    Binding("minus", "precision(-1)", "-dp", show=False, key_display="-",
            tooltip="one decimal fewer"),
    Binding("escape", "cancel", "cancel", show=False, key_display="esc",
            tooltip="cancel waiting for the run or a search for a breakpoint (G, c, C)"),
    Binding("question_mark", "help", "help", key_display="?", tooltip="this help screen"),
    Binding("q", "quit", "quit", tooltip="quit"),
]

# During a quiz the answer box has the focus: it takes the printable keys (numbers only), so the
# stepping keys are paused; these are the quiz's own keys (shown in the footer meanwhile).
QUIZ: list[Binding] = [
    Binding("enter", "app.quiz_submit", "answer", tooltip="grade the answer and go on to the next value"),
    Binding("escape", "app.leave_quiz", "leave quiz", key_display="esc",
            tooltip="leave the quiz: the values are shown again, the score so far is kept"),
]

# The what-if screen: both runs step together; the original is one key away.
WHATIF: list[Binding] = [
    Binding("n,right,space", "move(1)", "next", key_display="n"),
    Binding("p,left", "move(-1)", "prev", key_display="p"),
    Binding("escape,w,q", "dismiss_dialog", "original run", key_display="esc"),
]

# Dialogs: escape closes them; the help screen also closes with ? and q.
DIALOG: list[Binding] = [Binding("escape", "dismiss_dialog", "close")]
# The help and score screens scroll with the arrows, PgUp/PgDn, Home/End (their focused scroll
# box's own keys) and with j / k.
SCROLL: list[Binding] = [
    Binding("j", "scroll_text(1)", "scroll down", show=False),
    Binding("k", "scroll_text(-1)", "scroll up", show=False),
]
HELP: list[Binding] = [
    Binding("escape,question_mark,q", "dismiss_dialog", "close", key_display="esc"),
    *SCROLL,
]
SCORE: list[Binding] = [
    Binding("escape,enter,space,q", "dismiss_dialog", "close", key_display="esc"),
    *SCROLL,
]


def key_text(binding: Binding) -> str:
    """``n / → / space`` for the help screen."""
    names = {"right": "→", "left": "←", "space": "space", "plus": "+", "equals_sign": "=",
             "minus": "-", "question_mark": "?", "escape": "esc", "enter": "enter"}
    return " / ".join(names.get(k, k) for k in binding.key.split(","))
