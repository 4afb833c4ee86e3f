"""The bundled ``digits`` and ``spiral`` scenarios.

``digits`` replays ``MLPClassifier(hidden_layer_sizes=(32,), solver='adam', random_state=0,
max_iter=30, early_stopping=True)`` on ``train_test_split(test_size=0.2, random_state=0)`` of
scikit-learn's own ``load_digits()``, run here: the shipped CSV is that data, and every epoch's
loss, validation accuracy and the test accuracy agree.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bpstep

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402


@pytest.fixture(scope="module")
def digits_trace() -> bpstep.Trace:
    return bpstep.trace(bpstep.load("digits"))


def test_digits_csv_is_scikit_learns_data() -> None:
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    data = bpstep.load("digits").data
    assert data.classes == tuple(str(d) for d in range(10))
    np.testing.assert_array_equal(data.inputs, x_train)
    np.testing.assert_array_equal(data.test_inputs, x_test)
    np.testing.assert_array_equal(np.argmax(data.targets, axis=1), y_train)
    np.testing.assert_array_equal(np.argmax(data.test_targets, axis=1), y_test)
    assert data.targets.sum() == len(y_train)  # one-hot rows


def test_digits_replays_mlp_classifier(digits_trace: bpstep.Trace) -> None:
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(32,), solver="adam", random_state=0, max_iter=30,
                            early_stopping=True).fit(x_train, y_train)
    trace = digits_trace
    losses = [float(s.value) for s in trace if s.phase == "epoch" and s.name == "loss"]
    scores = [float(s.value) for s in trace if s.phase == "epoch" and s.name == "validation_score"]
    assert trace.epochs_run == clf.n_iter_ == 30
    np.testing.assert_allclose(losses, clf.loss_curve_, rtol=1e-12, atol=0)
    assert scores == list(clf.validation_scores_)  # counts of right answers: exactly equal
    assert float(trace["test_accuracy"].value) == clf.score(x_test, y_test)
    # The restored best epoch's parameters predict what scikit-learn predicts.
    o = trace["test_predictions"].value
    np.testing.assert_allclose(o, clf.predict_proba(x_test), rtol=1e-9, atol=1e-12)


def test_digits_steps_are_classification_steps(digits_trace: bpstep.Trace) -> None:
    step = digits_trace.step("delta3", 1, 1)
    assert step.op == "softmax_grad" and step.inputs["J"].shape == (200, 10, 10)
    np.testing.assert_allclose(step.value, step.inputs["fused"], rtol=0, atol=1e-15)
    update = digits_trace.step("W1", 1, 1)
    assert {"m", "v", "lr_t"} <= set(update.inputs)


def test_spiral_learns_three_arms() -> None:
    sc = bpstep.load("spiral")
    assert sc.data.inputs.shape == (300, 2) and sc.data.targets.shape == (300, 3)
    assert list(sc.data.targets.sum(axis=0)) == [100.0, 100.0, 100.0]
    trace = bpstep.trace(sc)
    losses = [float(s.value) for s in trace if s.name == "loss"]
    assert losses[0] > 1.0 and losses[-1] < 0.3  # ln 3 ≈ 1.1 at the start
    o = trace.step("Z4", trace.epochs_run, 1).value
    assert np.mean(np.argmax(o, axis=1) == np.argmax(sc.data.targets, axis=1)) > 0.9
