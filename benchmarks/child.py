"""One measurement in a fresh process: ``python -m benchmarks.child MODE 'JSON'`` prints one JSON
object on its last stdout line. The parent (benchmarks.run) spawns these with its own Python.

Only the standard library is imported at the top: start-up is measured from the parent's spawn
(``BPSTEP_BENCH_T0``, a ``time.perf_counter()`` reading; on Linux that clock is system-wide), so
everything this process imports counts, the same for bpstep and for the minimal app.

Modes:
  engine  the housing trace vs ``MLPRegressor.fit``, alternating
  frame   process start → first frame of an app (bpstep through its CLI, a code-built scenario, or
          the minimal app); with ``"long": true`` it then waits for the run, times jumps and
          reports the peak RSS
  keys    CPU per key press in Pilot
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

T0 = float(os.environ.get("BPSTEP_BENCH_T0", "nan"))
MAIN_START = time.perf_counter()

NAV_KEYS = ("n", "p", "s", "f", "e", "E", "g", "G", "c", "C")


def emit(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def rss_mb() -> dict[str, float]:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    with open("/proc/self/statm") as f:
        now = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2
    return {"peak_rss_mb": peak, "rss_mb": now}


class GcWatch:
    """Counts the garbage collections (and their CPU) that run while ``active``: a press that
    stalls is often a full (generation 2) collection over everything the process holds."""

    def __init__(self) -> None:
        import gc

        self.active = False
        self.count = [0, 0, 0]
        self.cpu_s = [0.0, 0.0, 0.0]
        self._t = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if not self.active:
            return
        if phase == "start":
            self._t = time.process_time()
        else:
            self.count[info["generation"]] += 1
            self.cpu_s[info["generation"]] += time.process_time() - self._t

    def result(self) -> dict[str, Any]:
        import gc

        return {"count": self.count, "cpu_s": self.cpu_s, "tracked_objects": len(gc.get_objects())}


# --- the apps ----------------------------------------------------------------------------------

def minimal_app() -> Any:
    """The floor: a Textual app with one label and one no-op binding."""
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import Static

    class MinimalApp(App[int]):
        BINDINGS = [Binding("x", "noop", "no-op")]

        def compose(self) -> ComposeResult:
            yield Static("minimal")

        def action_noop(self) -> None:
            pass

    return MinimalApp()


def bpstep_app(spec: dict[str, Any]) -> Any:
    """``BpstepApp(trace, compute=Runner(...).run, epochs=...)``, as the CLI builds it, and the
    process set up as the CLI sets it up before ``app.run()`` (this process owns it here)."""
    from bpstep.cli import quiet_collector
    from bpstep.engine.network import Runner
    from bpstep.tui import BpstepApp

    if "scenario" in spec:
        from benchmarks.scenarios import LAST_BUILD, build

        scenario = build(spec["scenario"])
        spec["_build"] = dict(LAST_BUILD)  # reported by the caller
    else:
        from bpstep.scenario import load

        scenario = load(spec.get("name", "exercise"))
    runner = Runner(scenario, spec.get("epochs"))
    app = BpstepApp(runner.trace, compute=runner.run, epochs=runner.epochs)
    quiet_collector()
    return app


def patch_display(on_first: Callable[[Any, float, str], None] | None = None,
                  on_frame: Callable[[Any, float], None] | None = None) -> None:
    """Headless Textual skips turning frames into escape codes; do it anyway, as a terminal
    would need (about 1 ms), and call ``on_first`` at the first frame, ``on_frame`` at every
    frame."""
    from textual._compositor import CompositorUpdate
    from textual.app import App

    original = App._display
    first = [on_first]

    def _display(self: Any, screen: Any, renderable: Any) -> None:
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(self.console)
            now = time.perf_counter()
            if first[0] is not None:
                callback, first[0] = first[0], None
                callback(self, now, type(renderable).__name__)
            if on_frame is not None:
                on_frame(self, now)
        original(self, screen, renderable)

    App._display = _display  # type: ignore[method-assign]


# --- engine vs scikit-learn --------------------------------------------------------------------

def engine(args: dict[str, Any]) -> dict[str, Any]:
    import gc
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    import bpstep
    from bpstep.engine.network import Runner

    scenario = bpstep.load("housing")
    # The scenario's training split, already standardised as the tutorial does it.
    x, t = scenario.data.inputs, scenario.data.targets.ravel()
    tr = scenario.training
    kwargs = dict(
        hidden_layer_sizes=tuple(layer.units for layer in scenario.network.layers[:-1]),
        activation="relu", solver="sgd", batch_size=tr.batch_size, learning_rate_init=tr.learning_rate,
        max_iter=tr.epochs, shuffle=tr.shuffle, random_state=scenario.init.seed,
        early_stopping=tr.early_stopping, validation_fraction=tr.validation_fraction,
        n_iter_no_change=tr.patience, momentum=tr.momentum, nesterovs_momentum=tr.nesterov,
        alpha=tr.l2, tol=tr.tol,
    )

    def run_bpstep() -> tuple[float, dict[str, Any]]:
        # Computing the trace and reading every step (what trace --json, record or a user's loop
        # does): issue 17's figure; the computing alone is in the info.
        t0 = time.perf_counter()
        trace = Runner(scenario).run()  # every step, held in memory until timed
        t1 = time.perf_counter()
        count = sum(1 for _ in trace)
        dt = time.perf_counter() - t0
        info = {"steps": len(trace), "read": count, "epochs": trace.epochs_run, "status": trace.status,
                "compute_s": t1 - t0, "read_s": dt - (t1 - t0)}
        del trace
        return dt, info

    def run_sklearn() -> tuple[float, dict[str, Any]]:
        model = MLPRegressor(**kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            model.fit(x, t)
            dt = time.perf_counter() - t0
        return dt, {"epochs": int(model.n_iter_)}

    profile = args.get("profile")
    if profile:
        return {"profile": profile_call(run_bpstep, profile, reps=3)}
    run_bpstep(), run_sklearn()  # warm-up: first-call costs (imports, caches) on neither side
    times: dict[str, list[float]] = {"bpstep": [], "sklearn": [], "compute": [], "read": []}
    info: dict[str, Any] = {}
    for i in range(args.get("reps", 7)):
        # Alternate which goes first, and collect garbage outside the timed part.
        order = (("bpstep", run_bpstep), ("sklearn", run_sklearn))
        for name, fn in order if i % 2 == 0 else order[::-1]:
            gc.collect()
            dt, info[name] = fn()
            times[name].append(dt)
        times["compute"].append(info["bpstep"]["compute_s"])
        times["read"].append(info["bpstep"]["read_s"])
    return {"times": times, "info": info, "sklearn_kwargs": dict(kwargs), "blas": blas()}


def blas() -> list[dict[str, Any]] | None:
    """Which BLAS kernels numpy and scikit-learn run (OPENBLAS_CORETYPE can force a slow one)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    keep = ("internal_api", "prefix", "version", "architecture", "num_threads")
    return [{k: info.get(k) for k in keep} for info in threadpool_info()]


def profile_call(fn: Callable[[], object], path: str, reps: int = 1) -> str:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(reps):
        fn()
    profiler.stop()
    return write_profile(profiler, path)


def write_profile(profiler: Any, path: str) -> str:
    """The call tree (every frame above 1 % of the samples), then the functions by own time and
    by total time: the hot paths, library frames included."""
    from pyinstrument.renderers import ConsoleRenderer

    def render(**kw: Any) -> str:
        return profiler.output(ConsoleRenderer(unicode=True, processor_options={"filter_threshold": 0.01},
                                               **kw))

    with open(path, "w", encoding="utf-8") as f:
        f.write(render(show_all=True))
        f.write("\n--- by own time ---\n" + "\n".join(render(flat=True).splitlines()[:60]))
        f.write("\n--- by total time ---\n"
                + "\n".join(render(flat=True, flat_time="total").splitlines()[:60]) + "\n")
    return path


# --- first frame (start-up, opening, long runs) ---------------------------------------------------

def frame(args: dict[str, Any]) -> None:
    """Process start → first frame. The app is run as ``bpstep`` runs it (``App.run``), headless
    at a fixed size; the process exits right after the first frame unless ``long`` is set."""
    size = tuple(args.get("size", (160, 48)))
    kind = args["app"]
    result: dict[str, Any] = {"interpreter_s": MAIN_START - T0}
    long_run = bool(args.get("long"))
    values = bool(args.get("values"))  # go on to the first frame that shows the run's values

    def on_first(app: Any, now: float, update: str) -> None:
        result["first_frame_s"] = now - T0
        result["frame_after_main_s"] = now - MAIN_START
        result["update"] = update
        if args.get("_build"):
            result["scenario_build"] = args["_build"]
        trace = getattr(app, "trace", None)
        if trace is not None:
            # How far the worker had got when the screen first appeared.
            result["steps_at_first_frame"] = len(trace)
            result["finished_at_first_frame"] = bool(trace.finished)
        if not long_run and not values:
            emit(result)
            os._exit(0)  # nothing after the first frame is measured

    def on_frame(app: Any, now: float) -> None:
        # The first frame drawn after the app has shown steps of the run (told by the run's
        # first progress message).
        if values and getattr(app, "steps_shown", -1) > 0:
            result["values_frame_s"] = now - T0
            result["steps_at_values_frame"] = len(app.trace)
            emit(result)
            os._exit(0)

    from textual.app import App

    patch_display(on_first, on_frame)
    run = App.run

    def headless_run(self: Any, *a: Any, **kw: Any) -> Any:
        return run(self, headless=True, size=size, auto_pilot=long_pilot(result, args) if long_run else None)

    App.run = headless_run  # type: ignore[method-assign]
    if kind == "minimal":
        minimal_app().run()
    elif kind == "cli":
        from bpstep.cli import main

        main(list(args.get("argv", [])))
    else:
        app = bpstep_app(args)
        result["scenario_build"] = args.get("_build")
        app.run()
    emit(result)


def long_pilot(result: dict[str, Any], args: dict[str, Any]) -> Callable[[Any], Any]:
    """After the first frame: wait for the run, then time jumps to the last, the first and a
    random step, each from a random step.

    A jump is timed as a key press is: process CPU around the jump and ``pilot.pause()`` (every
    message it causes handled, the frame rendered and encoded); Pilot's idle waits cost no CPU.
    G and g are pressed; a random step is entered as the jump dialog does (``t`` then a number:
    ``jump_to``), without the typing. Also recorded: the handler alone (the action called
    directly: navigation and every panel's redraw; Textual renders the frame later, once the
    widgets' refresh messages are handled), and the garbage collections that ran while timing."""

    async def pilot_fn(pilot: Any) -> None:
        import random

        app = pilot.app
        t0 = time.perf_counter()
        await wait_for_run(app, pilot)
        result["compute_after_first_frame_s"] = time.perf_counter() - t0
        result["steps"] = len(app.trace)
        result["status"] = app.trace.status
        n = len(app.trace)
        rng = random.Random(args.get("seed", 0))
        watch = GcWatch()
        jumps: dict[str, dict[str, list[float]]] = {
            w: {"cpu_s": [], "wall_s": [], "handler_s": []} for w in ("last", "first", "random")}
        for _ in range(args.get("jumps", 20)):
            for what in ("last", "first", "random"):
                for direct in (False, True):
                    app.go(rng.randrange(1, max(2, n - 1)))  # untimed: somewhere in the middle
                    await pilot.pause()
                    target = str(rng.randrange(n))
                    watch.active = not direct
                    w0, c0 = time.perf_counter(), time.process_time()
                    if direct:
                        {"last": app.action_last, "first": app.action_first,
                         "random": lambda k=target: app.jump_to(k)}[what]()
                        jumps[what]["handler_s"].append(time.process_time() - c0)
                        await pilot.pause()
                        continue
                    if what == "random":
                        app.jump_to(target)
                    else:
                        await pilot.press("G" if what == "last" else "g")
                    await pilot.pause()
                    jumps[what]["cpu_s"].append(time.process_time() - c0)
                    jumps[what]["wall_s"].append(time.perf_counter() - w0)
                    watch.active = False
        result["jumps"] = jumps
        result["gc_during_jumps"] = watch.result()
        result.update(rss_mb())
        app.exit(0)

    return pilot_fn


async def wait_for_run(app: Any, pilot: Any, timeout: float = 600) -> None:
    """Until the compute worker has filled the trace and the app has shown how it ended (its
    ``RunFinished`` message handled: ``run_over``)."""
    await app.workers.wait_for_complete()
    deadline = time.monotonic() + timeout
    while not app.run_over:
        if time.monotonic() > deadline:
            raise TimeoutError("the run did not finish")
        await pilot.pause(0.02)
    await pilot.pause()
    if not len(app.trace):
        raise RuntimeError(f"the run left no steps: {app.trace.status} {app.trace.message}")


# --- key presses -------------------------------------------------------------------------------

async def keys(args: dict[str, Any]) -> dict[str, Any]:
    """CPU per key press in Pilot: ``time.process_time()`` around ``press`` and the ``pause``
    that renders the frame. Between timed presses the cursor is put (untimed) where the key
    moves it: n, p, s, f walk the trace and wrap at the ends; the jump keys start from a random
    step each time."""
    import random

    size = tuple(args.get("size", (160, 48)))
    presses = args.get("presses", 100)
    warmup = args.get("warmup", 3)
    patch_display()
    minimal = args["app"] == "minimal"
    app = minimal_app() if minimal else bpstep_app(args)
    rng = random.Random(args.get("seed", 0))
    out: dict[str, Any] = {"size": size, "presses": presses, "keys": {}}
    profiler = None
    watch = GcWatch()
    async with app.run_test(size=size) as pilot:
        if not minimal:
            await wait_for_run(app, pilot)
            out["steps"] = len(app.trace)
            # A breakpoint for c / C to stop at (else they go to the ends, as g / G do).
            app.model.breakpoints.toggle_name(args.get("breakpoint", "dE/dW1"))
            app.redraw()
            await pilot.pause()
        key_list = ["x"] if minimal else list(args.get("keys", NAV_KEYS))
        if args.get("profile"):
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005, async_mode="disabled")
        for key in key_list:
            cpu: list[float] = []
            wall: list[float] = []
            moved = 0
            for i in range(warmup + presses):
                before = None if minimal else await _place(app, pilot, key, rng)
                if profiler is not None and i >= warmup:
                    profiler.start()
                watch.active = i >= warmup
                w0, c0 = time.perf_counter(), time.process_time()
                await pilot.press(key)
                await pilot.pause()
                c1, w1 = time.process_time(), time.perf_counter()
                watch.active = False
                if profiler is not None and i >= warmup:
                    profiler.stop()
                if i < warmup:
                    continue
                cpu.append(c1 - c0)
                wall.append(w1 - w0)
                moved += minimal or (app.cursor, app.sub) != before
            out["keys"][key] = {"cpu_s": cpu, "wall_s": wall, "moved": int(moved)}
        if not minimal and args.get("unbound", "f12"):
            # The same presses with a key bound to nothing: what Pilot and Textual's dispatch cost
            # on this app's widgets alone (a floor for this app; the minimal app has far fewer).
            key, cpu = args.get("unbound", "f12"), []
            for i in range(warmup + presses):
                c0 = time.process_time()
                await pilot.press(key)
                await pilot.pause()
                if i >= warmup:
                    cpu.append(time.process_time() - c0)
            out["unbound"] = {"key": key, "cpu_s": cpu}
        out["gc_during_presses"] = watch.result()
        if profiler is not None:
            out["profile"] = write_profile(profiler, args["profile"])
        app.exit(0)
    out.update(rss_mb())
    return out


async def _place(app: Any, pilot: Any, key: str, rng: Any) -> tuple[int, int | None]:
    """Put the cursor where ``key`` moves it (untimed); returns the position before the press."""
    n = len(app.trace)
    last = n - 1
    cur, sub = app.cursor, app.sub
    want: tuple[int, int | None] | None = None
    if key in ("n", "f") and cur >= last:
        want = (0, None)
    elif key == "s" and cur >= last and (sub or 0) + 1 >= app.trace[cur].value.size:
        want = (0, None)
    elif key == "p" and cur == 0 and sub is None:
        want = (last, None)
    elif key in ("e", "G", "c"):
        want = (rng.randrange(0, max(1, last)), None)
    elif key in ("E", "g", "C"):
        want = (rng.randrange(1, max(2, n)), None)
    if want is not None and want != (cur, sub):
        app.go(*want)
        await pilot.pause()
    return app.cursor, app.sub


def main() -> None:
    mode, args = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    if mode == "engine":
        emit(engine(args))
    elif mode == "frame":
        frame(args)
    elif mode == "keys":
        emit(asyncio.run(keys(args)))
    elif mode in ("scale_load", "scale_trace", "scale_memory"):
        from benchmarks import scale

        emit({"scale_load": scale.load_child, "scale_trace": scale.trace_child,
              "scale_memory": scale.memory_child}[mode](args))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
