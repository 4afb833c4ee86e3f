"""The debugger's picture keys (a mixin of ``BpstepApp``): the sample the network shows (x), the
loss chart's log scale (l) and its clicks (an epoch), what-if (w) and the nudge view (N).
The numbers come from Textual-free ``bpstep.tui.whatif``; the screens from
``bpstep.tui.whatif_screen``."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from bpstep.tui import navigation
from bpstep.tui.panels.loss import LossPlot

if TYPE_CHECKING:
    from bpstep.tracing import Trace
    from bpstep.tui.whatif import Edit


class Visuals:
    """Actions for keys.APP's picture keys; uses the app's trace, model, cursor, go and redraw."""

    trace: Trace
    whatif_trace: Trace | None = None  # the last what-if run (for tests)

    def action_cycle_sample(self) -> None:
        from bpstep.tui.panels import NetworkPanel

        for panel in self.query(NetworkPanel):  # type: ignore[attr-defined]
            panel.sample_pick += 1
        self.redraw()  # type: ignore[attr-defined]

    def action_log_scale(self) -> None:
        loss = self.query_one(LossPlot)  # type: ignore[attr-defined]
        loss.log_scale = not loss.log_scale
        self.redraw()  # type: ignore[attr-defined]
        self.notify(f"loss axis: {'log' if loss.log_scale else 'linear'} scale", timeout=2)  # type: ignore[attr-defined]

    def on_loss_plot_epoch_picked(self, event: LossPlot.EpochPicked) -> None:
        self.go_to_epoch(event.epoch)

    def go_to_epoch(self, epoch: int) -> None:
        start = navigation.epoch_start(self.trace, epoch)
        if start is not None:
            self.go(start)  # type: ignore[attr-defined]

    # -- what-if -----------------------------------------------------------------------------
    def action_whatif(self) -> None:
        if not len(self.trace) or not self.trace.finished:
            self.notify("what-if needs the whole run: wait for it to finish", timeout=3)  # type: ignore[attr-defined]
            return
        if self.trace.scenario.network is None:
            self.notify("what-if edits a network's scenario", timeout=3)  # type: ignore[attr-defined]
            return
        from bpstep.tui.screens import Dialog

        self.push_screen(Dialog(  # type: ignore[attr-defined]
            "What if…", "Change one value and recompute the run: a parameter's initial value (w7 = 0.5, "
            "W2[0,1] = 0.5, b1 = 0), the learning rate (lr = 0.1), or an input or target "
            "(x[1,2] = 3, t[1,1] = 0: sample, column).", "w7 = 0.5", "whatif-dialog"), self.whatif)

    def whatif(self, text: str | None) -> None:
        if not text or not text.strip():
            return
        from bpstep.tui.whatif import EditError, edit

        try:
            change = edit(self.trace, text)
        except EditError as exc:
            self.notify(str(exc), title="Not an edit", severity="error")  # type: ignore[attr-defined]
            return
        self.notify(f"recomputing with {change.text}…", timeout=2)  # type: ignore[attr-defined]
        self.run_worker(partial(self._whatif_run, change), name="whatif", group="whatif",  # type: ignore[attr-defined]
                        thread=True, exclusive=True, exit_on_error=False)

    def _whatif_run(self, change: Edit) -> None:
        from bpstep.tui.whatif import run

        try:
            edited = run(change.scenario, self.trace.epochs_run or None)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.call_from_thread(self.notify, f"{type(exc).__name__}: {exc}",  # type: ignore[attr-defined]
                                  title="What-if failed", severity="error")
            return
        self.call_from_thread(self._whatif_show, change, edited)  # type: ignore[attr-defined]

    def _whatif_show(self, change: Edit, edited: Trace) -> None:
        from bpstep.tui.whatif_screen import WhatIfScreen

        self.whatif_trace = edited
        self.push_screen(WhatIfScreen(self.model, edited, change, self.cursor, self.precision))  # type: ignore[attr-defined]

    # -- nudge -------------------------------------------------------------------------------
    def action_nudge(self) -> None:
        if not len(self.trace):
            return
        step = self.trace[self.cursor]  # type: ignore[attr-defined]
        if step.phase != "gradient" or self.trace.scenario.network is None:
            self.notify("the nudge view works at a gradient step (∂E/∂W, ∂E/∂b): try f to get there",  # type: ignore[attr-defined]
                        timeout=4)
            return
        from bpstep.tui.whatif import nudge
        from bpstep.tui.whatif_screen import NudgeScreen

        result = nudge(self.trace, self.cursor, self.sub or 0)  # type: ignore[attr-defined]
        self.push_screen(NudgeScreen(result, self.precision))  # type: ignore[attr-defined]
