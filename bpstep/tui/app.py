"""The debugger: one cursor over a trace, panels that show it, keys that move it.

The cursor (a step index), the element being stepped into and the precision make a View; every
panel is drawn from the View alone, so stepping back redraws exactly what was shown before.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Input, Static

from bpstep import names
from bpstep.catalog import LOSSES
from bpstep.format import num
from bpstep.tracing import Trace
from bpstep.tui import keys, navigation
from bpstep.tui.classify import classes
from bpstep.tui.model import Model, QuizView, View, is_hidden
from bpstep.tui.panels import (
    ActivationPlot,
    KeyBar,
    LossPlot,
    NetworkPanel,
    PredictedPlot,
    StepPanel,
    SurfacePlot,
    Timeline,
    ValuesPanel,
    WhereBar,
    formula,
)
from bpstep.tui.panels.activation import has_curve
from bpstep.tui.panels.circuit import CircuitPanel
from bpstep.tui.panels.classes import ClassesPanel
from bpstep.tui.quizzing import Quizzing
from bpstep.tui.running import Compute, RunFinished, Running, RunProgress
from bpstep.tui.visuals import Visuals

__all__ = ["BpstepApp", "RunFinished", "RunProgress"]

# bpstep.tui.screens (the dialogs, the help screen, the quiz bar) loads when one is first shown.
if TYPE_CHECKING:

    from bpstep.tui.quiz import Quiz, Score
    from bpstep.tui.screens import QuizBar

# Below this size the plots give their room to the panels every step needs.
SMALL_WIDTH, SMALL_HEIGHT = 110, 32
# Below this size the panels cannot be laid out: a notice says so instead (README, "The debugger").
MIN_WIDTH, MIN_HEIGHT = 80, 24
MIN_PRECISION, MAX_PRECISION = 1, 10
# What a quiz pauses: the debugger's own keys, which would move the cursor away from the question
# (or start another quiz); help, quit and Textual's keys (the palette, ctrl+q) keep working.
QUIZ_PAUSES = frozenset(b.action.split("(")[0] for b in keys.APP) - {"help", "quit"}


class MainScreen(Screen):
    """The debugger's screen (its size classes are set before it mounts, see
    ``BpstepApp.get_default_screen``)."""


class BpstepApp(Visuals, Quizzing, Running, App[int]):
    """Step through a trace. ``compute``, when given, fills ``trace`` in a worker thread while
    the screen is already usable; it starts after the first frame. It is called with one argument,
    ``on_epoch(epoch)``, to call after each epoch (``Runner(...).run`` takes it): the screen
    follows the run through it (see ``bpstep.tui.running``). ``epochs`` is the run's epoch limit,
    for "epoch 3 (of at most 200)" while it computes (default: the scenario's)."""

    CSS_PATH = "app.tcss"
    TITLE = "bpstep"
    BINDINGS = keys.APP

    def __init__(self, trace: Trace, compute: Compute | None = None, epochs: int | None = None) -> None:
        super().__init__()
        self.trace = trace
        self.model = Model(trace)
        self._compute = compute
        self.epochs = epochs
        self._init_running()
        self.cursor = 0
        self.sub: int | None = None
        self.precision = 4
        self.unit_info = ""  # the last unit clicked in the network panel (also shown as a toast)
        self._ends: tuple[bool, bool] | None = None
        self.quiz: Quiz | None = None
        self.last_score: Score | None = None  # the last quiz's, for the help screen
        self._quiz_bar: QuizBar | None = None  # mounted with the first quiz
        self._notice: Static | None = None  # "the terminal is too small", mounted when first needed
        # The panels redraw() updates, found once they are mounted.
        self._where: WhereBar
        self._loss: LossPlot
        self._timeline: Timeline
        self._keybar: KeyBar
        self._shown_panels: tuple = ()
        self._predicted: tuple = ()  # the predicted-against-actual plot and the activation plot

    # -- layout ----------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        classes = ["-small"] if self._is_small(*self.size) else []
        if self._is_tiny(*self.size):
            classes.append("-tiny")
        return MainScreen(id="_default", classes=" ".join(classes))

    def compose(self) -> ComposeResult:
        # app.tcss splits the screen in this order, each taking its edge of what is left: the where
        # bar the top row, the key bar the bottom one (a quiz bar is mounted above it), the
        # timeline the right column; the panels fill the rest. No containers for these: every
        # widget costs styling at start and painting in every frame.
        m = self.model
        yield WhereBar(m, id="where")
        yield KeyBar(m, keys.APP, id="keys", quiz=keys.QUIZ)
        yield Timeline(m, id="timeline")
        net = self.trace.scenario.network
        with Horizontal(id="top", classes="-graph" if net is None else ""):
            if net is None:  # a computational graph: its circuit, and the loss once it trains
                yield CircuitPanel(m, id="circuit", title="Circuit")
            else:
                yield NetworkPanel(m, id="network", title="Network")
            with Vertical(id="plots", classes="-empty" if net is None and not self.trace.scenario.trains
                          else ""):
                yield LossPlot(m, id="loss-plot", title="Loss per epoch")
                labels = classes(self.trace.scenario)  # a classifier: the sample being classified
                if labels:
                    yield ClassesPanel(m, id="classes", title="Sample", wide=len(labels) > 4)
                # Shown or not for the whole run: not composed when not.
                if net is not None and net.inputs == 2:
                    yield SurfacePlot(m, id="surface")
                if any(has_curve(layer.activation) for layer in m.layers):
                    yield ActivationPlot(m, id="activation", title="Activation")
                sc = self.trace.scenario
                if net is not None and sc.data.test_fraction > 0 and LOSSES[net.loss].regression:
                    # a regression's test split: at the evaluate steps, in the activation's place
                    yield PredictedPlot(m, id="predicted", title="Predicted against actual")
        yield StepPanel(m, id="step", title="Step")
        yield ValuesPanel(m, id="values", title="Values")

    def on_mount(self) -> None:
        q = self.query_one
        self._where, self._loss, self._timeline = q(WhereBar), q(LossPlot), q(Timeline)
        self._keybar = q(KeyBar)
        self._shown_panels = (*self.query(NetworkPanel), *self.query(CircuitPanel), q(StepPanel),
                              q(ValuesPanel), self._loss, *self.query(ClassesPanel),
                              *self.query(SurfacePlot), *self.query(ActivationPlot),
                              *self.query(PredictedPlot))
        self._predicted = (*self.query(PredictedPlot), *self.query(ActivationPlot))
        self._where.epochs_total = self.epochs
        self._size_classes(self.size.width, self.size.height)
        self.show_run_status()
        # The run starts once the first frame is on screen: it would otherwise hold the GIL while
        # the screen is composed and painted (and its engine is what the frame is drawn without).
        self.call_after_refresh(self.start_run)

    def on_resize(self, event: Resize) -> None:
        self._size_classes(event.size.width, event.size.height)

    def _size_classes(self, width: int, height: int) -> None:
        main = self.screen_stack[0] if self.screen_stack else self.screen  # under any dialog
        main.set_class(self._is_small(width, height), "-small")
        tiny = self._is_tiny(width, height)
        main.set_class(tiny, "-tiny")
        if tiny:
            text = (f"The terminal is {width}×{height}: bpstep needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n"
                    "Enlarge the window to see the debugger (q quits).")
            if self._notice is None:
                self._notice = Static(text, id="too-small", markup=False)
                main.mount(self._notice)
            else:
                self._notice.update(text)
        if self._quiz_bar is not None:
            self._quiz_bar.fit(height)

    @staticmethod
    def _is_small(width: int, height: int) -> bool:
        return width < SMALL_WIDTH or height < SMALL_HEIGHT

    @staticmethod
    def _is_tiny(width: int, height: int) -> bool:
        return width < MIN_WIDTH or height < MIN_HEIGHT

    # -- drawing ---------------------------------------------------------------------------------
    @property
    def view(self) -> View:
        q = self.quiz.question if self.quiz is not None else None
        if q is not None and q.index == self.cursor:  # the values not answered yet are hidden
            return QuizView(self.cursor, self.sub, self.precision, q.element)
        return View(self.cursor, self.sub, self.precision)

    def redraw(self) -> None:
        """Redraw every panel from the view; each one skips the work when its input is unchanged."""
        view = self.view
        extra = f"breakpoints: {', '.join(self.model.breakpoints.describe())}" if self.model.breakpoints \
            else ""
        self._where.show(view, extra)
        wanted = len(self.model.epoch_losses()) > 1  # a loss curve needs two epochs
        if self._loss.display != wanted:
            self._loss.display = wanted
        if len(self._predicted) == 2 and len(self.trace):  # the evaluate steps: predicted, not f(z)
            evaluate = self.trace[self.cursor].phase == "evaluate"
            if self._predicted[0].display != evaluate:
                self._predicted[0].display, self._predicted[1].display = evaluate, not evaluate
        for panel in self._shown_panels:
            panel.show(view)
        self._timeline.sync(self.cursor)
        ends = (self.cursor == 0 and self.sub is None, self.cursor >= len(self.trace) - 1)
        if ends != self._ends:
            self._ends = ends
            self.refresh_bindings()  # for the command palette and the help panel
        self._keybar.show(view)

    def go(self, index: int, sub: int | None = None) -> None:
        """Move the cursor (the one way every key moves it). A move still waiting or searching
        is cancelled: the last key pressed decides where the cursor goes."""
        if self._move is not None:
            self._cancel_move()
        if self._not_yet(index):  # a step the run is still to compute: wait for it
            self._wait_then(index, partial(self.go, index, sub))
            return
        n = len(self.trace)
        self.cursor = max(0, min(index, n - 1)) if n else 0
        self.sub = sub
        self.redraw()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # None: shown disabled in the footer, and the key does nothing.
        if action in ("quiz_submit", "leave_quiz"):
            return True if self.quiz is not None else None
        if action == "cancel":
            return True if self._move is not None else None
        if self.quiz is not None and action in QUIZ_PAUSES:
            return None  # paused during a quiz (the footer shows the quiz's keys meanwhile)
        n = len(self.trace)
        # At the end of a run still being computed, "next" waits for the next step.
        at_end = self.cursor >= n - 1 and (self.trace.finished or self._compute is None)
        at_start = self.cursor == 0 and self.sub is None
        if action in ("next", "last", "continue", "finish", "next_epoch"):
            return None if at_end else True
        if action == "step_into":
            size = self.model.substeps(self.cursor, self.precision) if n else 0
            return None if at_end and (self.sub or 0) + 1 >= size and self.sub is not None else True
        if action in ("previous", "first", "continue_back", "prev_epoch"):
            return None if at_start else True
        return True

    # -- actions (keys.APP binds them) -------------------------------------------------------------
    def action_next(self) -> None:
        self.go(self._ahead() + 1)  # pressed again while waiting for a step: the one after it

    def action_previous(self) -> None:
        if self.sub is not None:  # undo step-into one element at a time, as it was shown
            self.go(self.cursor, self.sub - 1 if self.sub > 0 else None)
        else:
            self.go(self.cursor - 1)

    def action_step_into(self) -> None:
        if not len(self.trace):
            if self._not_yet(0):
                self._wait_then(0, self.action_step_into)
            return
        size = self.model.substeps(self.cursor, self.precision)
        if self.sub is None and size:
            self.go(self.cursor, 0)
        elif self.sub is not None and self.sub + 1 < size:
            self.go(self.cursor, self.sub + 1)
        elif self.cursor < len(self.trace) - 1:
            self.go(self.cursor + 1, 0)

    def action_finish(self) -> None:
        self.go(navigation.finish_phase(self.trace, self.cursor))

    def action_next_epoch(self) -> None:
        self.go(navigation.next_epoch(self.trace, self.cursor))

    def action_prev_epoch(self) -> None:
        self.go(navigation.prev_epoch(self.trace, self.cursor))

    def action_continue(self) -> None:
        if not self.model.breakpoints:
            self.action_last()
        else:
            self._search(navigation.Search(self.trace, self.model.breakpoints, self.cursor))

    def action_continue_back(self) -> None:
        if not self.model.breakpoints:
            self.go(0)
        else:
            self._search(navigation.Search(self.trace, self.model.breakpoints, self.cursor, forward=False))

    def action_first(self) -> None:
        self.go(0)

    def action_last(self) -> None:
        if self._computing():
            self._start_move(self._wait_for_end())
        else:
            self.go(len(self.trace) - 1)

    def action_cancel(self) -> None:
        if self._move is not None:
            self._cancel_move()
            self.notify("cancelled: the cursor stays here", timeout=2)

    def action_restart(self) -> None:
        self.go(0)
        self.notify("back to the first step", timeout=2)

    def action_precision(self, delta: int) -> None:
        self.precision = max(MIN_PRECISION, min(MAX_PRECISION, self.precision + delta))
        self.redraw()

    def action_toggle_breakpoint(self) -> None:
        if not len(self.trace):
            return
        name = self.trace[self.cursor].name
        on_ = self.model.breakpoints.toggle_name(name)
        self.notify(f"breakpoint {'set on' if on_ else 'removed from'} {name}", timeout=3)
        self.redraw()

    def action_conditions(self) -> None:
        current = "; ".join(c.text for c in self.model.breakpoints.conditions) or "none"
        hint = (f"Stop where a value meets a condition. Set: {current}.\n"
                "NAME OP NUMBER with a step or display name: loss < 0.05, E < 0.1, dE/dw7 > 0.07;\n"
                "or nonfinite. Entering a set condition again removes it; clear removes all.")
        from bpstep.tui.screens import Dialog

        self.push_screen(Dialog("Conditional breakpoint", hint, "loss < 0.05", "condition-dialog"),
                         self._condition_entered)

    def _condition_entered(self, text: str | None) -> None:
        if not text or not text.strip():
            return
        bps = self.model.breakpoints
        if text.strip().lower() == "clear":
            bps.conditions.clear()
            bps.names.clear()
            self.notify("all breakpoints removed", timeout=3)
        else:
            try:
                cond = navigation.parse_condition(text, self.trace)
            except ValueError as exc:
                self.notify(str(exc), title="Not a condition", severity="error")
                return
            on_ = bps.toggle_condition(cond)
            self.notify(f"condition {'set' if on_ else 'removed'}: {cond.text}", timeout=3)
        self.redraw()

    def action_jump(self) -> None:
        from bpstep.tui.screens import Dialog

        self.push_screen(Dialog("Jump to a step",
                                f"A step number (0 to {max(0, len(self.trace) - 1)}) or a name: "
                                "Z2, dE/dW2, loss; display names too (h1, dE/dw7).",
                                "dE/dW2", "jump-dialog"), self.jump_to)

    def jump_to(self, text: str | None) -> None:
        """Go where the jump dialog's text says (a step number or a name)."""
        if not text or not text.strip():
            return
        try:
            target = navigation.jump(self.trace, self.cursor, text)
        except ValueError as exc:
            self.notify(str(exc), title="Jump", severity="error")
            return
        self.go(target.index, target.element)

    def action_help(self) -> None:
        from bpstep.tui.screens import HelpScreen

        self.push_screen(HelpScreen(self.last_score, id="help"))

    def action_quit(self) -> None:
        self.exit(0)

    # -- quiz (a / A / ctrl+a): the actions are bpstep.tui.quizzing's ------------------------------
    @on(Input.Submitted, "#quiz-input")
    def _quiz_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer(event.value)

    # -- mouse -------------------------------------------------------------------------------------
    @on(Timeline.Picked)
    def _timeline_picked(self, event: Timeline.Picked) -> None:
        if self.quiz is not None:
            self._paused()
            return
        self.go(event.index)

    @on(NetworkPanel.UnitClicked)
    def _unit_clicked(self, event: NetworkPanel.UnitClicked) -> None:
        """A unit's values in this batch, and the formula that computed it."""
        import numpy as np

        m = self.model
        layer = m.layers[event.layer]
        where = m.batch_of(self.cursor)
        if where is None:
            return
        sample = 0
        step = self.trace[self.cursor]
        if self.sub is not None and step.value.ndim == 2 and step.phase in ("forward", "backward"):
            sample = int(np.unravel_index(self.sub, step.value.shape)[0])
        parts: list[str] = []
        formulas: list[str] = []
        view = self.view
        mods = [0] if layer.k == 0 else [mod.index for mod in layer.modules]
        for mi in mods:
            for name in (names.z(mi), names.delta(mi)):
                s = self.trace.find(name, *where)
                if s is None or s.index > self.cursor:
                    continue
                idx = (sample, event.unit)
                flat = int(np.ravel_multi_index(idx, s.value.shape))
                hidden = is_hidden(view, s.index, flat)  # asked for in a quiz
                parts.append(f"{m.namer(name, idx)} = "
                             f"{'?' if hidden else num(float(s.value[idx]), self.precision)}")
                if name.startswith("Z") and s.op in ("linear", "activation"):
                    ex = m.explanation(s.index, self.precision, flat + 1)
                    if flat < len(ex.elements):
                        formulas.append(formula(ex.elements[flat], self.precision, hidden))
        title = f"layer {layer.k}, unit {event.unit + 1}" + (f", sample {sample + 1}" if sample else "")
        self.unit_info = "\n".join([", ".join(parts) or "not computed yet at this step", *formulas])
        self.notify(self.unit_info, title=title, timeout=8)

    # -- command palette -----------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for b in keys.APP:
            text = b.tooltip or b.description
            yield SystemCommand(f"{text[0].upper()}{text[1:]} ({keys.key_text(b)})", text,
                                partial(self._command, b.action))

    async def _command(self, action: str) -> None:
        """A command from the palette; during a quiz a stepping command says why it does nothing."""
        if self.quiz is not None and action.split("(")[0] in QUIZ_PAUSES:
            self._paused()
            return
        await self.run_action(action)
