"""The debugger on classifiers (issue 15): the confusion matrix (checked against scikit-learn's),
class names on the output's columns, the sample panel (the digit's pixels, its target and class
probabilities), a softmax step's Jacobian when stepped into, and Adam's moments in an update.

Expected numbers come from scikit-learn or numpy here, never from the app's own output."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix

import bpstep
from bpstep.tracing import Trace
from bpstep.tui import BpstepApp
from bpstep.tui.classify import class_indices, confusion_at, image_side, sample_at
from bpstep.tui.classify import confusion_matrix as ours
from bpstep.tui.panels import StepPanel, ValuesPanel
from bpstep.tui.panels.classes import ClassesPanel


@pytest.fixture(scope="module")
def digits() -> Trace:
    return bpstep.trace("digits")


@pytest.fixture(scope="module")
def spiral() -> Trace:
    return bpstep.trace("spiral", epochs=2)


def test_confusion_matrix_is_scikit_learns() -> None:
    rng = np.random.default_rng(0)
    for k in (2, 3, 10):
        actual, predicted = rng.integers(0, k, 200), rng.integers(0, k, 200)
        expected = confusion_matrix(actual, predicted, labels=list(range(k)))
        assert ours(list(actual), list(predicted), k) == expected.tolist()


def test_the_test_sets_confusion_matrix(digits: Trace) -> None:
    index = len(digits) - 1  # test_accuracy: after test_predictions
    c = confusion_at(digits, index)
    assert c is not None and c.classes == tuple("0123456789")
    pred = digits.find("test_predictions", 0, 0).value
    tgt = digits.find("test_targets", 0, 0).value
    expected = confusion_matrix(tgt.argmax(axis=1), pred.argmax(axis=1), labels=list(range(10)))
    assert c.matrix == expected.tolist()
    assert c.accuracy == pytest.approx(accuracy_score(tgt.argmax(axis=1), pred.argmax(axis=1)))
    assert f"{c.accuracy:.4f}" == "0.8833"  # scikit-learn's clf.score (README, digits)
    assert class_indices(np.array([[0.2], [0.7]])) == [0, 1]  # one sigmoid unit: two classes


def test_an_epochs_confusion_matrix_is_its_batches(spiral: Trace) -> None:
    loss = spiral.find("loss", 1, 0)
    c = confusion_at(spiral, loss.index)
    z4, z0 = spiral.find("Z4", 1, 1), spiral.find("Z0", 1, 1)  # one batch of 300
    expected = confusion_matrix(z0.inputs["T"].argmax(axis=1), z4.value.argmax(axis=1), labels=[0, 1, 2])
    assert c is not None and c.matrix == expected.tolist() and c.classes == ("red", "green", "blue")
    assert confusion_at(spiral, 3) is None  # a forward step: none


def test_the_digit_and_its_probabilities(digits: Trace) -> None:
    assert image_side(digits.scenario) == 8
    assert image_side(bpstep.load("spiral")) is None and image_side(bpstep.load("xor")) is None
    z0, z4 = digits.find("Z0", 1, 1), digits.find("Z4", 1, 1)
    got = sample_at(digits, z4.index, 2, (1, 1))
    assert got is not None and got.index == 2 and got.size == z0.value.shape[0]
    assert np.array_equal(np.array(got.pixels).reshape(-1), z0.value[2])
    assert got.target == int(z0.inputs["T"][2].argmax())
    assert got.probabilities == pytest.approx(list(z4.value[2]))
    before = sample_at(digits, z0.index, 2, (1, 1))  # the output not computed yet
    assert before is not None and before.probabilities is None


async def test_the_confusion_matrix_at_the_end(digits: Trace) -> None:
    pred = digits.find("test_predictions", 0, 0).value
    tgt = digits.find("test_targets", 0, 0).value
    expected = confusion_matrix(tgt.argmax(axis=1), pred.argmax(axis=1))
    app = BpstepApp(digits)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("G")
        await pilot.pause()
        text = app.query_one(ValuesPanel).text
        assert "confusion, test set (360 samples) · accuracy 0.8833" in text
        row0 = next(line for line in text.splitlines() if line.strip().startswith("0 "))
        assert [int(x) for x in row0.split()[1:]] == expected[0].tolist()


async def test_class_names_on_the_outputs_columns(spiral: Trace) -> None:
    app = BpstepApp(spiral)
    async with app.run_test(size=(80, 24)) as pilot:
        app.go(4)
        await pilot.pause()
        assert spiral[4].name == "Z4"
        header = app.query_one(ValuesPanel).text.splitlines()[1].split()
        assert header == ["red", "green", "blue"]


async def test_sample_panel_and_adam_moments(digits: Trace) -> None:
    # b1's update (layer 1): the sample panel shows sample 1's digit, target and probabilities;
    # the values panel the Adam moments m and v beside the gradient.
    step = digits[15]
    assert step.name == "b1" and {"m", "v", "lr_t"} <= set(step.inputs)
    z0, z4 = digits.find("Z0", 1, 1), digits.find("Z4", 1, 1)
    target = int(z0.inputs["T"][0].argmax())
    app = BpstepApp(digits)
    async with app.run_test(size=(160, 48)) as pilot:
        app.go(15)
        await pilot.pause()
        panel = app.query_one(ClassesPanel)
        lines = panel.text.splitlines()
        assert all(line.startswith("▀" * 16) for line in lines[:8])  # the 8×8 digit, 2× in half blocks
        assert f"target {target}" in panel.text
        best = int(z4.value[0].argmax())
        assert f"predicted {best}" in panel.text
        assert f"{best} {z4.value[0, best]:.4f}" in panel.text
        values = app.query_one(ValuesPanel).text
        assert "b1 before → after" in values and "\nm  32" in values


async def test_stepping_into_the_softmax_step_shows_its_jacobian(spiral: Trace) -> None:
    step = spiral[7]
    assert step.op == "softmax_grad"
    o = spiral.find("Z4", 1, 1).value
    app = BpstepApp(spiral)
    async with app.run_test(size=(100, 40)) as pilot:
        app.go(7)
        await pilot.press("s", "s")  # element (0, 1): sample 1, column 2
        await pilot.pause()
        text = app.query_one(StepPanel).text
        assert "Jacobian of sample 1, column 2:" in text
        j11 = o[0, 1] * (1 - o[0, 1])  # ∂o2/∂z2 = o2(1 − o2)
        assert f"{j11:.4f}" in text


async def test_the_sample_panel_gives_way_at_epoch_steps_and_comes_back_fresh() -> None:
    from bpstep.tui.panels.classes import ClassesPanel
    from bpstep.tui.panels.surface import SurfacePlot

    trace = bpstep.trace("spiral", epochs=2)
    app = BpstepApp(trace)
    async with app.run_test(size=(160, 48)) as pilot:
        loss = next(s.index for s in trace if s.name == "loss" and s.epoch == 1)
        app.go(loss - 1)  # the last update of epoch 1: the sample's probabilities
        await pilot.pause()
        panel, surface = app.query_one(ClassesPanel), app.query_one(SurfacePlot)
        assert panel.display and "target" in panel.text
        rows_with_sample = surface.size.height
        app.go(loss)  # the epoch's loss: the values panel has the confusion matrix
        await pilot.pause()
        assert not panel.display and surface.size.height > rows_with_sample
        app.go(loss - 1)
        await pilot.pause()
        await pilot.pause()
        assert panel.display and "target" in panel.text and "confusion" not in panel.text
