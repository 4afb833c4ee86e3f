"""The debugger on computational graphs (issue 14), as a user drives it (Pilot): the circuit view
of CS231n's circuit and of the fan-out graph, step into a node's gates, breakpoints, jump, the
quiz, and the circuit's layout without the screen.

Expected numbers are CS231n's published values (f = (x + y)·z at x = −2, y = 5, z = −4: q = 3,
f = −12, ∂f/∂x = ∂f/∂y = −4, ∂f/∂z = 3) or worked out here by hand, never read from bpstep."""

from __future__ import annotations

import re

import pytest

import bpstep
from bpstep.tracing import Trace
from bpstep.tui import BpstepApp
from bpstep.tui.circuit import layout, plain, state_at
from bpstep.tui.panels import StepPanel
from bpstep.tui.panels.circuit import CircuitPanel

X, Y, Z = -2.0, 5.0, -4.0
Q = X + Y  # 3
F = Q * Z  # −12
DF_DQ, DF_DZ = Z, Q  # −4, 3
DF_DX = DF_DY = DF_DQ * 1.0  # −4


@pytest.fixture(scope="module")
def circuit() -> Trace:
    return bpstep.trace("circuit")


@pytest.fixture(scope="module")
def fan_out() -> Trace:
    return bpstep.trace("fan-out")


def wires(app: BpstepApp) -> dict[str, str]:
    """Each wire's line(s) in the circuit panel, by the name the line starts with."""
    out: dict[str, str] = {}
    last = ""
    for line in app.query_one(CircuitPanel).text.splitlines():
        m = re.match(r"\s(\w+)[ =]", line)
        if m and "─" in line:  # a wire (its gradient line, at 160×48, has none)
            last = m.group(1)
            out[last] = line
        elif last and line.strip():
            out[last] += "\n" + line
    return out


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+", text)]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_circuit_values_then_gradients_on_the_wires(circuit: Trace, size: tuple[int, int]) -> None:
    app = BpstepApp(circuit)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert not app.query("#network") and app.query_one(CircuitPanel).display
        w = wires(app)
        assert set(w) == {"x", "y", "z", "q", "f"}
        # At q (the first step): the leaves' values given, q being computed, f not yet.
        assert numbers(w["x"]) == [X] and numbers(w["y"]) == [Y] and numbers(w["z"]) == [Z]
        assert numbers(w["q"]) == [Q] and numbers(w["f"]) == []
        await pilot.press("n")  # f = q·z
        await pilot.pause()
        assert numbers(wires(app)["f"]) == [F]
        assert numbers(wires(app)["q"]) == [Q]  # no gradient yet
        await pilot.press("f")  # the backward pass, to its end
        await pilot.pause()
        while circuit[app.cursor].phase == "backward":
            await pilot.press("n")
            await pilot.pause()
        w = wires(app)
        # Each wire: its value, then its gradient (below it, or beside it at 80×24).
        assert numbers(w["x"]) == [X, DF_DX] and numbers(w["y"]) == [Y, DF_DY]
        assert numbers(w["z"]) == [Z, DF_DZ] and numbers(w["q"]) == [Q, DF_DQ]
        assert numbers(w["f"]) == [F, 1.0]
        await pilot.press("g")
        await pilot.pause()
        assert numbers(wires(app)["q"]) == [Q]  # back at the start: no gradients


async def test_circuit_highlights_the_step_and_gradients_flow_back(circuit: Trace) -> None:
    app = BpstepApp(circuit)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("t", *"df/dx", "enter")
        await pilot.pause()
        assert circuit[app.cursor].name == "df/dx"
        step = app.query_one(StepPanel).text
        assert "∂f/∂x = ∂f/∂q·∂q/∂x" in step and "(−4)·1 = −4.0000" in step
        w = wires(app)
        # df/dx is being computed: x's gradient shown, y's and z's not yet.
        assert numbers(w["x"]) == [X, DF_DX] and numbers(w["y"]) == [Y] and numbers(w["z"]) == [Z]
        state = state_at(circuit, app.cursor)
        roles = {wire.name: (wire.role, wire.grad_role) for wire in state.wires}
        assert roles["x"] == ("", "write") and roles["q"] == ("", "read")
        await pilot.press("b")  # a breakpoint on df/dx; from the start c stops there
        await pilot.press("g", "c")
        await pilot.pause()
        assert circuit[app.cursor].name == "df/dx"


async def test_fan_out_adds_both_paths(fan_out: Trace) -> None:
    x, y = 3.0, -2.0  # f = x·y + x
    app = BpstepApp(fan_out)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        w = wires(app)
        assert "fan-out" in w["x"] and "q, f" in w["x"]  # x feeds q and f: marked
        assert "fan-out" not in w["y"]
        await pilot.press("t", *"df/dx", "enter")
        await pilot.pause()
        step = app.query_one(StepPanel).text
        assert "used 2 times (fan-out)" in step
        assert f"= {y + 1:.4f}".replace("-", "−") in step  # 1·y + 1·1 = −1
        assert numbers(wires(app)["x"]) == [x, y + 1]


async def test_step_into_a_node_walks_its_gates() -> None:
    trace = bpstep.trace("regressor-graph")
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert trace[0].name == "u"  # u = w1·x + b1 = 0.5·(−2) + 0: two gates
        await pilot.press("s")
        await pilot.pause()
        step = app.query_one(StepPanel).text
        assert ("▶ w1·x = 0.5·(−2) = −1.0000; local: ∂(w1·x)/∂w1 = x = −2.0000, "
                "∂(w1·x)/∂x = w1 = 0.5000") in step
        await pilot.press("s")
        await pilot.pause()
        step = app.query_one(StepPanel).text
        assert "▶ u = w1·x + b1 = −1 + 0 = −1.0000; local: ∂u/∂(w1·x) = 1" in step
        await pilot.press("s")  # past the last gate: the next step
        await pilot.pause()
        assert (app.cursor, app.sub) == (1, 0) and trace[1].name == "v"  # v = σ(u): one gate
        assert "▶ v = σ(u) = σ(−1) = 0.2689" in app.query_one(StepPanel).text
        await pilot.press("p", "p")  # v as a whole, then u
        await pilot.pause()
        assert (app.cursor, app.sub) == (0, None)
        assert "▶" not in app.query_one(StepPanel).text


async def test_quiz_on_a_graph_hides_the_wire(circuit: Trace) -> None:
    app = BpstepApp(circuit)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("A")  # the forward phase: q, then f
        await pilot.pause()
        assert app.quiz is not None
        assert "?" in wires(app)["q"] and numbers(wires(app)["q"]) == []
        await pilot.press(*"3.0000", "enter")
        await pilot.pause()
        assert numbers(wires(app)["q"]) == [Q] and "?" in wires(app)["f"]
        await pilot.press(*"-12.0000", "enter")
        await pilot.pause()
        assert app.quiz is None and app.last_score is not None and app.last_score.right == 2


def test_layout_fits_and_windows(circuit: Trace) -> None:
    state = state_at(circuit, len(circuit) - 2)  # df/dz: every gradient known
    wide = plain(layout(state, 70, 10, 4))
    assert len(wide.splitlines()) == 10  # two lines per wire
    narrow = layout(state, 60, 5, 4)
    assert len(narrow) == 5 and all(sum(len(t) for t, _ in line) <= 60 for line in narrow)
    tiny = plain(layout(state, 40, 3, 4))
    assert len(tiny.splitlines()) == 3 and "more" in tiny  # a window around the highlighted wire
    assert "z" in tiny  # df/dz's wire is in it

