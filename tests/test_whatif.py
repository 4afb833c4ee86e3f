"""What-if and nudge: the edited run equals a fresh run of the edited scenario (built
independently here with dataclasses.replace), and the nudge view's ΔE equals the batch's loss
recomputed from scratch with the moved weight."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import bpstep
from bpstep.tui import BpstepApp
from bpstep.tui.whatif import EditError, edit, nudge
from bpstep.tui.whatif_screen import NudgeScreen, WhatIfScreen


async def _type(pilot, text: str) -> None:  # noqa: ANN001
    for ch in text:
        await pilot.press({" ": "space", "=": "equals_sign", ".": "full_stop"}.get(ch, ch))


async def test_whatif_recomputes_the_edited_run() -> None:
    t = bpstep.trace("exercise")
    app = BpstepApp(t)
    async with app.run_test(size=(120, 36)) as pilot:
        app.go(12)  # dE/dW2
        await pilot.press("w")
        await pilot.pause()
        await _type(pilot, "w7 = 0.5")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, WhatIfScreen)
        edited = app.whatif_trace
        # the same scenario edited independently: W2[0,0] (w7) = 0.5
        sc = t.scenario
        params = dict(sc.parameters)
        w2 = [list(r) for r in params["W2"]]
        w2[0][0] = 0.5
        params["W2"] = tuple(tuple(r) for r in w2)
        fresh = bpstep.trace(dataclasses.replace(sc, parameters=params))
        assert len(edited) == len(fresh)
        for a, b in zip(edited, fresh, strict=True):
            assert a.name == b.name and np.array_equal(a.value, b.value)
        text = str(app.screen.query_one("#whatif-text").render())
        # both numbers of a changed value: dE/dw7 0.0765 → 0.0865
        before, after = t[12].value[0, 0], fresh[12].value[0, 0]
        assert f"dE/dw7 = {before:.4f} → {after:.4f}" in text
        assert "dE/dw8 = " in text and "(unchanged)" in text
        await pilot.press("n")
        await pilot.pause()
        assert "#13 dE/db2" in str(app.screen.query_one("#whatif-text").render())
        await pilot.press("escape")  # the original run, one key away
        await pilot.pause()
        assert not isinstance(app.screen, WhatIfScreen) and app.cursor == 12


@pytest.mark.parametrize("text", ["lr = 0.1", "x1 = 2", "t[1,2] = 0.5", "b1 = 0"])
def test_edits_equal_fresh_runs(text: str) -> None:
    t = bpstep.trace("exercise")
    change = edit(t, text)
    sc = t.scenario
    if text.startswith("lr"):
        expected = dataclasses.replace(sc, training=dataclasses.replace(sc.training, learning_rate=0.1))
    elif text.startswith("x1"):
        x = ((2.0, *sc.data.x[0][1:]),)
        expected = dataclasses.replace(sc, data=dataclasses.replace(sc.data, x=x))
    elif text.startswith("t"):
        y = ((sc.data.y[0][0], 0.5),)
        expected = dataclasses.replace(sc, data=dataclasses.replace(sc.data, y=y))
    else:
        expected = dataclasses.replace(sc, parameters={**sc.parameters, "b1": 0.0})
    a, b = bpstep.trace(change.scenario), bpstep.trace(expected)
    assert [s.value.tolist() for s in a] == [s.value.tolist() for s in b]
    assert [s.value.tolist() for s in a] != [s.value.tolist() for s in t]


def test_bad_edits_say_why() -> None:
    t = bpstep.trace("exercise")
    for text in ("w7", "w99 = 1", "w7 = abc", "lr = -1", "W2[5,5] = 1", "w7 = inf"):
        with pytest.raises(EditError):
            edit(t, text)
    with pytest.raises(EditError):
        edit(bpstep.trace("housing", epochs=1), "x[1,1] = 0")  # split and scaled data


def _loss_with(t, name: str, idx: tuple, value: float) -> float:  # noqa: ANN001
    """E of epoch 1 batch 1 with one initial parameter changed, by a fresh run."""
    params = {k: np.array(v, dtype=float) for k, v in t.parameters_at(0).items()}
    params[name][idx] = value
    sc = dataclasses.replace(t.scenario, parameters={k: v.tolist() if v.ndim else float(v)
                                                     for k, v in params.items()})
    return float(bpstep.trace(sc).step("E").value)


@pytest.mark.parametrize("element", [0, 3])
def test_nudge_delta_e_matches_a_recomputation(element: int) -> None:
    t = bpstep.trace("exercise")
    index = t.step("dE/dW2").index
    n = nudge(t, index, element)
    idx = np.unravel_index(element, (2, 2))
    w = float(t.parameters_at(0)["W2"][idx])
    e0 = float(t.step("E").value)
    assert n.loss == pytest.approx(e0, abs=1e-15)
    assert n.plus == pytest.approx(_loss_with(t, "W2", idx, w + n.epsilon) - e0, abs=1e-13)
    assert n.minus == pytest.approx(_loss_with(t, "W2", idx, w - n.epsilon) - e0, abs=1e-13)
    assert n.predicted == pytest.approx(float(t.step("dE/dW2").value[idx]) * n.epsilon)
    assert n.plus == pytest.approx(n.predicted, rel=1e-2)  # first order


async def test_nudge_view_in_the_app() -> None:
    t = bpstep.trace("exercise")
    app = BpstepApp(t)
    async with app.run_test(size=(120, 36)) as pilot:
        app.go(t.step("dE/dW2").index)
        await pilot.press("N")
        await pilot.pause()
        assert isinstance(app.screen, NudgeScreen)
        n = app.screen.result
        text = str(app.screen.query_one("#nudge-text").render())
        assert "Nudge w7" in text and f"{n.plus:+.6e}" in text and f"{n.predicted:+.6e}" in text
        await pilot.press("escape")
        await pilot.pause()
        app.go(0)
        await pilot.press("N")  # not a gradient step: a message, no screen
        await pilot.pause()
        assert not isinstance(app.screen, NudgeScreen)
