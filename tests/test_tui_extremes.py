"""No value crashes a panel (issue 11, item 1): every panel is drawn at random steps of traces
whose values are huge (±1e300), infinite or NaN, and of real runs that blow up.

The crafted traces keep a real run's steps (names, shapes, operands) and replace every number,
so each panel's drawing code meets the values it would meet in a run gone wrong."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bpstep
from bpstep.scenario import load_dict
from bpstep.tracing import Step, Trace
from bpstep.tui import BpstepApp
from bpstep.tui.model import Model
from bpstep.tui.panels import ActivationPlot, LossPlot, Panel, SurfacePlot, Timeline

EXTREMES = [1e300, -1e300, np.inf, -np.inf, np.nan, 0.0, 1e-300, -0.5, 3.0]
SCENARIOS = ["exercise", "xor", "perceptron-and", "regressor", "spiral"]  # spiral: a softmax output


def crafted(base: Trace, seed: int, status: str) -> Trace:
    """``base`` with every value and operand replaced by values drawn from EXTREMES."""
    rng = np.random.default_rng(seed)

    def wild(a: np.ndarray) -> np.ndarray:
        return rng.choice(EXTREMES, size=np.shape(a))

    out = Trace(base.scenario, base.modules)
    for s in base[:120]:
        out.append(Step(s.index, s.epoch, s.batch, s.phase, s.name, wild(s.value), s.op,
                        {k: wild(v) for k, v in s.inputs.items()}, s.layer, s.module, s.note))
    out.epochs_run = max(s.epoch for s in out)
    out.finish(status, f"x: the run {status}: E is not finite" if status != "complete" else "")
    return out


def draw_everything(app: BpstepApp, trace: Trace, index: int, sub: int | None) -> None:
    """Point the app at ``trace`` and draw and paint every panel at one step."""
    app.trace = trace
    app.model = Model(trace)
    app.steps_shown, app.run_over = -1, False  # draw it afresh, as a new run's end
    widgets = [*app.query(Panel), *app.query(SurfacePlot), *app.query(Timeline)]
    for w in widgets:
        w.model = app.model
        w._key = None
    for plot in app.query(SurfacePlot):
        plot._lo = None  # the input range of this trace's data
    app.show_run_status()  # the status line of how the run ended
    step = trace[index]
    app.go(index, None if sub is None or not step.value.size else sub % step.value.size)
    for w in widgets:
        if isinstance(w, Panel):
            w._key = None
            w.show(app.view)
        if isinstance(w, SurfacePlot):
            w._grid = None
        for y in range(w.size.height):
            w.render_line(y)


@pytest.fixture(scope="module")
def bases() -> dict[str, Trace]:
    return {name: bpstep.trace(name) for name in SCENARIOS}


@pytest.mark.parametrize("name", SCENARIOS)
async def test_no_value_crashes_a_panel(bases: dict[str, Trace], name: str) -> None:
    base = bases[name]
    app = BpstepApp(base)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.query(LossPlot)

        @settings(max_examples=30, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(seed=st.integers(0, 2**32 - 1), where=st.floats(0, 1),
               sub=st.none() | st.integers(0, 50),
               status=st.sampled_from(["complete", "diverged", "stopped", "error"]))
        def check(seed: int, where: float, sub: int | None, status: str) -> None:
            trace = crafted(base, seed, status)
            draw_everything(app, trace, int(where * (len(trace) - 1)), sub)

        check()
        await pilot.pause()  # and Textual paints the last one


DIVERGING = {
    "name": "blows up",
    "network": {"inputs": 3, "layers": [{"units": 2, "activation": "relu"},
                                        {"units": 2, "activation": "identity"}]},
    "parameters": {"W1": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "b1": 0.5,
                   "W2": [[0.7, 0.8], [0.9, 0.1]], "b2": 0.5},
    "data": {"inputs": [[100, 400, 500]], "targets": [[0.1, 0.05]]},
    "training": {"learning_rate": 0.01, "epochs": 1},
}


@pytest.mark.parametrize("learning_rate,epochs", [(0.01, 1), (1e300, 5)])
async def test_huge_activations_and_a_diverged_run_step_to_the_end(learning_rate: float,
                                                                    epochs: int) -> None:
    # The file: z = 380.5 is far off the activation plot's axis (n crashed), and a run
    # that diverges (G crashed).
    spec = {**DIVERGING, "training": {"learning_rate": learning_rate, "epochs": epochs}}
    trace = bpstep.trace(load_dict(spec))
    assert trace.status == ("complete" if learning_rate < 1 else "diverged")
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("n", "n", "s", "G", "p")
        await pilot.pause()
        assert app.cursor == len(trace) - 2
        assert app.query_one(ActivationPlot).text  # drawn



def test_sparkline_is_robust_and_shared() -> None:
    """One sparkline (bpstep.sparkline) for every view: non-finite values marked, a constant series
    flat (also when averaged into columns), at most ``width`` bars."""
    from bpstep.sparkline import column, sparkline

    assert sparkline([]) == ""
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([0.1] * 300, 7) == "▁" * 7
    assert sparkline([float("nan"), 1.0, float("inf"), 2.0]) == "!▁!█"
    assert sparkline([float("inf"), float("-inf")], 1) == "!"
    assert sparkline([1e308] * 4, 2) == "▁▁"  # no overflow to a non-finite mean
    assert len(sparkline(list(range(1000)), 80)) == 80
    assert [column(i, 10, 3) for i in range(10)] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
