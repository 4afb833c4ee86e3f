"""The debugger's remaining gaps of issue 18: the activation plot at a softmax layer (not
element-wise), the where bar while stepping through a graph node's gates, predicted against
actual on a regression's test split, and the network's weights at narrow widths. Expected values
come from the trace's own steps or from numpy, never from the panel's drawing code."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import bpstep
from bpstep.tracing import Trace
from bpstep.tui import BpstepApp
from bpstep.tui.chart import BRAILLE, scatter_chart
from bpstep.tui.panels import ActivationPlot, NetworkPanel, PredictedPlot, WhereBar
from bpstep.tui.panels.activation import has_curve


@pytest.fixture(scope="module")
def spiral() -> Trace:
    return bpstep.trace("spiral")


@pytest.fixture(scope="module")
def housing() -> Trace:
    return bpstep.trace("housing")


def test_which_activations_have_a_curve() -> None:
    assert has_curve("sigmoid") and has_curve("relu") and has_curve("tanh")
    assert not has_curve("softmax")  # each output depends on every z of its sample
    assert not has_curve("identity") and not has_curve("")


async def test_softmax_steps_show_the_relu_layer_below(spiral: Trace) -> None:
    # The crash: at 160×48 the activation plot raised "softmax has no element-wise derivative"
    # at Z4 (and every step of layer 2 after it). Layer 2 is softmax; layer 1 ReLU.
    names = ["Z4", "E", "delta4", "delta3", "dE/dW2", "dE/db2", "W2", "b2"]
    assert [spiral[i].name for i in (4, 5, 6, 7, 12, 13, 16, 17)] == names
    z1 = spiral.find("Z1", 1, 1).value[0]
    app = BpstepApp(spiral)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        for _ in range(18):  # every step of the first batch, stepping into the softmax steps too
            await pilot.press("n")
            await pilot.pause()
            plot = app.query_one(ActivationPlot)
            if spiral[app.cursor].name in ("Z4", "delta3"):
                await pilot.press("s", "s")
                await pilot.pause()
                await pilot.press("p", "p")
                await pilot.pause()
            if spiral[app.cursor].name in names:
                assert str(plot.border_title) == "ReLU(z) and ReLU'(z), layer 1 (layer 2 is softmax)"
                # the first z of layer 1 of sample 1, with ReLU'(z) = 0 or 1 by its sign
                assert f"{z1[0]:.2f}: ReLU' {float(z1[0] > 0):.4f}" in plot.text.replace("-0.", "-0.")
        assert spiral[app.cursor].name == "loss"


@pytest.mark.parametrize("size", [(110, 32), (160, 48)])
async def test_digits_softmax_steps(size: tuple[int, int]) -> None:
    trace = bpstep.trace("digits")
    z = next(s.index for s in trace if s.op == "softmax")
    app = BpstepApp(trace)
    async with app.run_test(size=size) as pilot:
        for i in range(z, z + 4):  # the softmax step Z, E, the two deltas of the output layer
            app.go(i)
            await pilot.press("s", "s")
            await pilot.pause()
            plot = app.query_one(ActivationPlot)
            plot.render_lines(plot.region.reset_offset)  # drawn even when the layout gives no rows
            if plot.size.height:
                assert str(plot.border_title).endswith("(layer 2 is softmax)")
        assert trace[app.cursor].op == "softmax_grad" and app.sub == 1


@pytest.mark.parametrize("name,gates", [("circuit", [1, 1]), ("regressor-graph", [2, 1, 2, 2])])
async def test_where_bar_counts_gates(name: str, gates: list[int]) -> None:
    # circuit: q = x + y and f = q·z, one gate each; regressor-graph: u = w1·x + b1 (two gates),
    # v = σ(u), z = w2·v + b2, E = ½(z − t)² (two each). s walks the gates, then the next node.
    trace = bpstep.trace(name)
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        seen = []
        for _ in range(sum(gates)):
            await pilot.press("s")
            await pilot.pause()
            seen.append(app.query_one(WhereBar).text.splitlines()[0])
        expected = [f"[gate {k} of {n}]" for n in gates for k in range(1, n + 1)]
        for line, gate in zip(seen, expected, strict=True):
            assert gate in line and "element" not in line


def test_scatter_places_points_and_the_diagonal() -> None:
    # Both axes 0 … 10 padded by 5 % (−0.5 … 10.5); 10 columns and 4 rows of plot: 20 × 16 dots.
    chart = scatter_chart([0.0, 10.0, 10.0, math.nan, math.inf], [0.0, 10.0, 0.0, 1.0, 2.0],
                          10 + 7, 6, xlabel="actual", ylabel="pred.")
    assert chart.n == 3 and chart.plot_width == 10 and chart.x0 == 7  # labels "pred. ", "┤"
    text = ["".join(t for t, _ in row) for row in chart.rows]
    assert text[0].startswith(" 10.5 ┤") and text[3].startswith(" -0.5 ┤")
    assert text[1].startswith("    5 ┤")  # the middle tick, on row (4 − 1) // 2
    plot = [row[2:] for row in chart.rows[:4]]
    cell = {(r, c): (row[c][0], row[c][1]) for r, row in enumerate(plot) for c in range(10)}
    # the point (10, 0): dot column round(10.5 / 11 · 19) = 18, dot row 15 − round(0.5 / 11 · 15)
    # = 14 → cell (3, 9), braille bit 0x04 (left column, third dot row)
    char, style = cell[(3, 9)]
    assert style == "point" and (ord(char) - BRAILLE) & 0x04
    # the points on the diagonal (0, 0) and (10, 10) take their cells' colour
    assert cell[(3, 0)][1] == "point" and cell[(0, 9)][1] == "point"
    # the diagonal y = x passes through the middle cells, and nowhere near the top-left corner
    assert cell[(1, 5)][1] == "diagonal" or cell[(2, 4)][1] == "diagonal"
    assert cell[(0, 0)][0] == " "
    assert text[4].endswith("┴") and text[5].startswith("       -0.5 5")  # 10.5 would touch 5


async def test_predicted_against_actual_on_housing(housing: Trace) -> None:
    pred = next(s for s in housing if s.name == "test_predictions")
    mse = next(s for s in housing if s.name == "test_mse")
    o, t = pred.value.ravel(), pred.inputs["T"].ravel()
    assert np.array_equal(t, housing[pred.index - 1].value.ravel())  # the test targets' step
    lo, hi = min(o.min(), t.min()), max(o.max(), t.max())
    pad = 0.05 * (hi - lo)
    app = BpstepApp(housing)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(pred.index)
        await pilot.pause()
        plot, act = app.query_one(PredictedPlot), app.query_one(ActivationPlot)
        assert plot.display and not act.display
        text = plot.text
        assert str(plot.border_title) == "Predicted against actual MEDV, test split"
        lines = text.splitlines()
        assert lines[0].strip().startswith(f"{hi + pad:.3g} ┤")
        assert f"{lo - pad:.3g} ┤" in text and "actual MEDV" in text
        assert f"{len(o)} test samples" in text and "y = x" in text
        assert "test_mse" not in text  # not computed yet at this step
        app.go(mse.index)
        await pilot.pause()
        assert f"test_mse {mse.value:.4f}" in plot.text
        # independently: the mean of (t − o)², as the step says
        assert math.isclose(float(np.mean((t - o) ** 2)), float(mse.value), rel_tol=1e-12)
        app.go(pred.index - 1)  # test_targets: no predictions yet
        await pilot.pause()
        assert "come at the step test_predictions" in plot.text
        app.go(pred.index - 3)  # before the evaluate steps: the activation plot again
        await pilot.pause()
        assert act.display and not plot.display


async def test_weights_at_narrow_widths(housing: Trace) -> None:
    # housing at 160×48: δ⁽⁴⁾ reads W3 (3×1): each weight beside its source unit h2.i. The
    # weights are the initial ones (the first batch): W3's update step reads them.
    w3 = housing.find("W3", 1, 1).inputs["W3"]
    assert housing[8].name == "delta4"
    app = BpstepApp(housing)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(8)
        await pilot.pause()
        rows = app.query_one(NetworkPanel).text.splitlines()
        for i in range(3):
            assert re.search(rf"h2\.{i + 1} .* {w3[i, 0]:.4f} +─▶", rows[2 + i]), rows[2 + i]
    exercise = bpstep.trace("exercise")
    app = BpstepApp(exercise)
    async with app.run_test(size=(80, 24)) as pilot:
        # ∂E/∂W1 element (0, 1) is w2's gradient: w2 = 0.2 is shown at 80×24
        app.go(next(s.index for s in exercise if s.name == "dE/dW1"))
        await pilot.press("s", "s")
        await pilot.pause()
        assert "w2 0.2000 ─▶" in app.query_one(NetworkPanel).text
        app.go(next(s.index for s in exercise if s.name == "delta2"))  # δh2 reads w9 and w10
        await pilot.press("s", "s")
        await pilot.pause()
        text = app.query_one(NetworkPanel).text
        assert "w9 0.9000" in text and "w10 0.1000" in text
