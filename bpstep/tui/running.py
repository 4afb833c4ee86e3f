"""The run in the background, and the moves that wait for it or search it (G, c, C, and a step
the run has not reached yet).

One mechanism: a Textual thread worker calls ``compute(on_epoch)`` (the CLI's ``Runner.run``);
the runner calls ``on_epoch`` after each epoch, which posts ``RunProgress`` to the app
(``App.post_message`` is thread-safe), and the worker posts ``RunFinished`` when the run ends.
The app redraws on those messages; nothing polls the trace, and nothing on the event loop sleeps.
A move waiting for the run awaits the next of those messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.worker import Worker, get_current_worker

from bpstep.errors import BpstepError
from bpstep.tui import navigation
from bpstep.tui.model import run_status

if TYPE_CHECKING:
    from bpstep.tracing import Trace
    from bpstep.tui.panels import WhereBar

# The runner reports every epoch; the screen is told at most this often (a 10,000-epoch run
# would otherwise queue thousands of redraws), and always after the first epoch.
PROGRESS_EVERY = 0.1
# A search for a breakpoint (c, C) runs in slices this long, the screen answering keys between.
SEARCH_SLICE = 0.008
ACTIVITY_EVERY = 0.1  # seconds between two updates of "searching… step #n"
# A key may move this far past the steps computed so far and wait for its step (n, s, a jump);
# further than that, it goes to the last step there is.
WAIT_AHEAD = 64
STATUS_STYLES = {"": "", "warning": "$warning", "error": "bold $error"}

Compute = Callable[[Callable[[int], None]], object]


class RunProgress(Message):
    """Posted from the run's thread after an epoch: how far the run has got."""

    def __init__(self, epochs_done: int, steps: int) -> None:
        super().__init__()
        self.epochs_done = epochs_done
        self.steps = steps


class RunFinished(Message):
    """Posted from the run's thread when the run has ended (the trace says how)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__()
        self.status = status
        self.message = message


class RunCancelled(Exception):
    """Raised in the run's thread by the epoch hook when the app is closing: the run stops after
    the epoch it is in instead of computing on behind a closed screen."""


class Running:
    """The part of ``BpstepApp`` that runs ``compute`` and follows it (a mixin: it uses the
    app's trace, cursor, ``go`` and ``redraw``)."""

    trace: Trace
    cursor: int
    _where: WhereBar
    _compute: Compute | None
    epochs: int | None

    def _init_running(self) -> None:
        # The steps the screen was last drawn with (-1: not drawn yet; the benchmarks wait on it).
        self.steps_shown = -1
        self.run_over = False  # the screen has shown how the run ended
        self._progress = asyncio.Event()  # set at each RunProgress / RunFinished handled
        self._move: Worker | None = None  # a key waiting for the run or searching it (Esc cancels)
        self._goal: int | None = None  # the step a waiting move goes to (n pressed again goes past it)
        self.input_error: BpstepError | None = None  # bad data found by the run (exit code 2)

    # -- the run -------------------------------------------------------------------------------
    def start_run(self) -> None:
        """Start the run (once the first frame is on screen: the run holds the GIL, and the
        engine it imports is what the first frame is drawn without)."""
        if self._compute is not None:
            self.run_worker(self._run_in_thread, name="compute", group="compute", thread=True,  # type: ignore[attr-defined]
                            exit_on_error=False)

    def _run_in_thread(self) -> None:
        """In the worker's thread: the run, reporting each epoch through the runner's hook."""
        compute, trace, worker = self._compute, self.trace, get_current_worker()
        assert compute is not None
        last = [0.0]

        def on_epoch(epoch: int) -> None:
            if worker.is_cancelled:
                raise RunCancelled
            now = time.monotonic()
            if epoch == 1 or now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self.post_message(RunProgress(epoch, len(trace)))  # type: ignore[attr-defined]

        def on_segment() -> None:
            # Inside a long epoch (K batches at a time): "batch 300 of 625" in the top bar.
            if worker.is_cancelled:
                raise RunCancelled
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self.post_message(RunProgress(trace.epochs_run, len(trace)))  # type: ignore[attr-defined]

        trace.on_segment = on_segment
        try:
            compute(on_epoch)
        except RunCancelled:
            return
        except BpstepError as exc:  # a ScenarioError, or check_epochs' refusal once the rows are known
            # The data, read in this thread after the first frame (the CLI's deferred read), is
            # bad: the app ends and the CLI says why, with exit code 2, as for any bad file.
            if len(trace) == 0:
                self.call_from_thread(self._bad_input, exc)  # type: ignore[attr-defined]
                return
            if not trace.finished:
                trace.finish("error", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - shown to the user, not raised in a thread
            if not trace.finished:
                trace.finish("error", f"{type(exc).__name__}: {exc}")
        finally:
            trace.on_segment = None
        if not trace.finished:
            trace.finish()
        self.post_message(RunFinished(trace.status, trace.message))  # type: ignore[attr-defined]

    def _bad_input(self, error: BpstepError) -> None:
        """The scenario's data turned out bad once read: end the app with exit code 2; the CLI
        prints ``input_error`` (one message, no traceback)."""
        self.input_error = error
        self.exit(return_code=2)  # type: ignore[attr-defined]

    def on_run_progress(self, message: RunProgress) -> None:
        self._progress.set()
        self.show_run_status()

    def on_run_finished(self, message: RunFinished) -> None:
        self._progress.set()
        self.show_run_status()

    def show_run_status(self) -> None:
        """Show how far the run has got (or how it ended) in the top bar, and redraw when there
        are steps the screen has not been drawn with."""
        t, bar = self.trace, self._where
        if t.finished:
            # How the whole run ended, whichever epoch the cursor is on.
            bar.status, kind = run_status(t)
            if kind == "error" and not self.run_over:
                body = bar.status.removeprefix(f"the run {t.status}: ").removeprefix("error: ")
                self.notify(body, title=f"The run {t.status}", severity="error", timeout=10)  # type: ignore[attr-defined]
        else:
            bar.status, kind = run_status(t, self.epochs)
            epoch, done = t.progress
            if epoch > t.epochs_run and t.batches_per_epoch:  # inside an epoch of many segments
                limit = self.epochs or t.scenario.training.epochs
                bar.status = (f"computing… epoch {epoch} of at most {limit}, batch {done:,} of "
                              f"{t.batches_per_epoch:,} · {len(t):,} steps")
        bar.status_style = STATUS_STYLES[kind]
        over = t.finished
        if len(t) != self.steps_shown or over != self.run_over:
            self.steps_shown, self.run_over = len(t), over
            self.redraw()  # type: ignore[attr-defined]

    async def _progressed(self) -> None:
        """Until the next report from the run."""
        self._progress.clear()
        await self._progress.wait()

    def _computing(self) -> bool:
        return self._compute is not None and not self.trace.finished

    # -- moves that wait for the run or search it -----------------------------------------------
    # They never block the screen: an async worker waits or searches a slice at a time, saying so
    # in the top bar; Esc cancels it, and any other move (a key, a click) replaces it.
    def _ahead(self) -> int:
        """Where the cursor is going: a waiting move's step, else the cursor."""
        return self._goal if self._goal is not None else self.cursor

    def _not_yet(self, index: int) -> bool:
        """Whether step ``index`` is one the run is still to compute, near enough to wait for."""
        n = len(self.trace)
        return self._computing() and n <= index <= n + WAIT_AHEAD

    def _wait_then(self, index: int, then: Callable[[], None]) -> None:
        """Wait for step ``index`` (or the run's end), then ``then()``."""
        self._start_move(self._until_step(index, then))
        self._goal = index

    async def _until_step(self, index: int, then: Callable[[], None]) -> None:
        while self._computing() and len(self.trace) <= index:
            self._activity("waiting for the run… (Esc cancels)")
            await self._progressed()
        self._settle()
        then()

    def _start_move(self, move: Coroutine[Any, Any, None]) -> None:
        if self._move is not None:
            self._cancel_move()
        self._move = self.run_worker(move, name="move", group="move", exclusive=True)  # type: ignore[attr-defined]
        self.refresh_bindings()  # type: ignore[attr-defined]

    def _cancel_move(self) -> None:
        move, self._move, self._goal = self._move, None, None
        if move is not None:
            move.cancel()
        self._activity("")
        self.refresh_bindings()  # type: ignore[attr-defined]

    def _activity(self, text: str) -> None:
        if text != self._where.activity:
            self._where.activity = text
            self._where.show(self.view)  # type: ignore[attr-defined]

    def _settle(self) -> None:
        """A waiting or searching move is over (the caller moves the cursor)."""
        self._move, self._goal = None, None
        self._where.activity = ""
        self.refresh_bindings()  # type: ignore[attr-defined]

    def _arrive(self, index: int) -> None:
        """Where a waiting or searching move ends."""
        self._settle()
        self.go(index)  # type: ignore[attr-defined]

    async def _wait_for_end(self) -> None:
        """G while the run is computing: the last step once there is one."""
        while self._computing():
            self._activity("waiting for the run… (Esc cancels)")
            await self._progressed()
        self._arrive(len(self.trace) - 1)

    def _search(self, search: navigation.Search) -> None:
        """c / C: a first slice at once (a short run's answer needs no worker), then the rest in
        the background."""
        if self._move is not None:
            self._cancel_move()  # c after G, say: this search replaces the wait
        if not self._search_slice(search):
            self._start_move(self._searching(search))

    def _search_slice(self, search: navigation.Search) -> bool:
        """One slice of a search; True when the move is over (a hit, or none left to find)."""
        hit = search.run(SEARCH_SLICE)
        if hit is None and search.exhausted:
            hit = len(self.trace) - 1 if search.forward else 0  # to the end (the start): none left
        if hit is None:
            return False
        if self._move is not None:
            self._arrive(hit)
        else:
            self.go(hit)  # type: ignore[attr-defined]
        return True

    async def _searching(self, search: navigation.Search) -> None:
        which = "next" if search.forward else "previous"
        shown = 0.0
        while True:
            now = time.monotonic()
            if now - shown >= ACTIVITY_EVERY:
                shown = now
                more = "…" if not self.trace.finished else ""
                self._activity(f"searching for the {which} breakpoint… at step #{max(0, search.pos):,} "
                               f"of {len(self.trace):,}{more} (Esc cancels)")
            # Let the screen answer keys and repaint; past the steps computed so far, wait for
            # the run's next report.
            if search.forward and search.pos >= len(self.trace) and self._computing():
                await self._progressed()
            else:
                await asyncio.sleep(0)
            if self._search_slice(search):
                return
