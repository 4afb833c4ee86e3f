"""The pictures of issue 18: the loss chart (axes, log scale, a click goes to an epoch), the
network (weights on edges, edges lit one by one, δ labelled as δ, dead and saturated units, the
sample shown cycled with x), the surface's title and legend. Domain answers are checked against
independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bpstep
from bpstep.format import num
from bpstep.tui import BpstepApp
from bpstep.tui.chart import Series, line_chart
from bpstep.tui.model import Model
from bpstep.tui.netfacts import edge_gradients, edges_used, unit_states
from bpstep.tui.panels import LossPlot, NetworkPanel, SurfacePlot


@pytest.fixture(scope="module")
def exercise():  # noqa: ANN201
    return bpstep.trace("exercise")


@pytest.fixture(scope="module")
def xor():  # noqa: ANN201
    return bpstep.trace("xor")


def test_chart_axis_and_marker() -> None:
    values = [311.0, 20.0, 10.0, 5.0, 4.0]
    chart = line_chart([Series(values, "train")], 40, 10, mark=3)
    text = ["".join(t for t, _ in row) for row in chart.rows]
    assert text[0].lstrip().startswith("311") and "┤" in text[0]
    assert text[7].lstrip().startswith("4 ") or text[7].strip().startswith("4")
    assert "▲" in text[8] and "epoch" in text[9]
    assert any(ch >= "⠀" and ch <= "⣿" for ch in "".join(text))
    log = line_chart([Series(values, "train")], 40, 10, log=True)
    assert "".join(t for t, _ in log.rows[0]).strip().startswith("311")  # the value, on a log axis
    assert "".join(t for t, _ in log.rows[3]).strip().startswith("35.3")  # 10^((log 311 + log 4)/2)
    # a click on the plot's last column is the last epoch, its first column the first
    assert chart.epoch_at(chart.x0) == 1 and chart.epoch_at(chart.x0 + chart.plot_width - 1) == 5
    # non-finite values are left out, never an error
    line_chart([Series([1.0, math.inf, math.nan, -math.inf, 2.0], "train")], 30, 6, log=True)


async def test_loss_click_goes_to_the_epoch(xor) -> None:  # noqa: ANN001
    app = BpstepApp(xor)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(len(xor) - 1)
        await pilot.pause()
        plot = app.query_one(LossPlot)
        chart = plot._chart
        assert chart is not None and chart.n == 300
        epoch = chart.epoch_at(chart.x0 + chart.plot_width // 2)
        await pilot.click(LossPlot, offset=(chart.x0 + chart.plot_width // 2 + 1, 1 + 1))
        await pilot.pause()
        step = xor[app.cursor]
        assert (step.epoch, step.batch) == (epoch, 1) and xor[app.cursor - 1].epoch == epoch - 1
        await pilot.press("l")
        await pilot.pause()
        assert plot.log_scale and "log scale" in str(plot.border_title)


async def test_network_edges_deltas_and_sample(exercise, xor) -> None:  # noqa: ANN001
    app = BpstepApp(exercise)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(6)  # delta4 = dE/do: δ labelled as δ, never like the activation
        await pilot.pause()
        text = app.query_one(NetworkPanel).text
        o1 = float(exercise.step("Z4").value[0, 0])
        d1 = float(exercise.step("delta4").value[0, 0])
        assert f"δo1 {d1:.4f}" in text and f" o1 {o1:.4f}" not in text
        app.go(3)  # Z3 = z_o1, z_o2: the weights on the edges, w7 and its value
        await pilot.pause()
        text = app.query_one(NetworkPanel).text
        assert "w7 0.7000" in text and "w1 0.1000" in text
        # h2 = σ(5.3): σ′ = 0.0049 < 0.01, saturated; h1: σ′ = 0.0132, not
        assert "0.9950 ≈" in text and "0.9866 ≈" not in text
    app = BpstepApp(xor)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(1)
        await pilot.pause()
        panel = app.query_one(NetworkPanel)
        assert "sample 1 of 4" in str(panel.border_title)
        x = xor.step("Z0").value
        for s in (1, 2, 3, 0):
            await pilot.press("x")
            await pilot.pause()
            assert f"sample {s + 1} of 4" in str(panel.border_title)
            flat = " ".join(panel.text.split())
            assert f"x1 {num(x[s, 0], 4)}" in flat and f"x2 {num(x[s, 1], 4)}" in flat


def test_edges_used_one_by_one(exercise) -> None:  # noqa: ANN001
    z3 = exercise.step("Z3")
    assert edges_used(z3, 2, None) == {2: None}
    assert edges_used(z3, 2, 1) == {2: {("*", 1)}}  # z_o2: the edges into o2 (w8, w10)
    grad = exercise.step("dE/dW2")
    assert edges_used(grad, 2, 2) == {2: {(1, 0)}}  # dE/dw9 alone
    assert edges_used(exercise.step("delta2"), 1, 0) == {2: {(0, "*")}}  # dE/dh1: out of h1
    assert edges_used(exercise.step("dE/db1"), 1, None) == {}


def test_edge_gradients_and_states(exercise) -> None:  # noqa: ANN001
    m = Model(exercise)
    delta1 = exercise.step("delta1")
    g = edge_gradients(m, m.layers[1], delta1.index)  # Aᵀδ as soon as δ is known
    assert np.allclose(g, exercise.step("dE/dW1").value, rtol=0, atol=1e-15)
    assert edge_gradients(m, m.layers[1], delta1.index - 1) is None
    h = exercise.step("Z2").value[0]
    expect = {u: "saturated" for u in range(2) if h[u] * (1 - h[u]) < 0.01}
    assert unit_states(m, m.layers[1], len(exercise) - 1, 0) == expect == {1: "saturated"}
    housing = bpstep.trace("housing", epochs=2)
    hm = Model(housing)
    a = housing.step("Z2").value
    dead = unit_states(hm, hm.layers[1], housing.step("Z2").index, 0)
    assert dead == {u: "dead" for u in range(a.shape[1]) if a[0, u] == 0}


@pytest.mark.parametrize(("name", "title"), [("xor", "Decision surface: o1"),
                                             ("spiral", "Decision surface: arg max class"),
                                             ("housing", "Prediction surface: MEDV")])
async def test_surface_title(name: str, title: str) -> None:
    app = BpstepApp(bpstep.trace(name, epochs=3))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert str(app.query_one(SurfacePlot).border_title).startswith(title)
