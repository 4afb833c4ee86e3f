"""The bundled ``housing`` scenario against the tutorial's printed scikit-learn run.

The expected numbers are typed in from the tutorial's output ("Scikit-Learn Example": the verbose
``Iteration N, loss = …`` / ``Validation score: …`` lines, the test MSE and the sample
prediction), never read from bpstep.
"""

from __future__ import annotations

import numpy as np
import pytest

import bpstep
from bpstep.explain import explain

# "Iteration 1, loss = 311.17377473" … "Iteration 50, loss = 9.60675077"
TUTORIAL_LOSSES = """
311.17377473 268.72251319 221.29791391 181.01058667 148.16609236 116.34661767 69.69816627
25.77497218 15.90205835 13.61650701 12.96205861 12.55515383 12.32375027 12.08402963 11.87488789
11.43187277 11.26966664 11.19208310 11.13472957 11.15699608 11.08427796 10.88977348 10.76642854
10.71300689 10.80547190 10.69159824 10.56056444 10.42521632 10.48946053 10.32832853 10.18603586
10.05947410 10.19044429 10.01684032 10.01955770 10.00801058 9.87250764 9.89419338 10.06426791
9.93772435 9.94274857 9.82609378 9.64512640 9.75976480 9.65591169 9.78115195 9.69174573
9.60698201 9.61016930 9.60675077
""".split()

# "Validation score: -5.025490" … "Validation score: 0.721118"
TUTORIAL_SCORES = """
-5.025490 -4.090056 -3.238986 -2.534500 -1.938828 -1.140537 0.051736 0.540522 0.577223 0.606377
0.609462 0.623108 0.634032 0.645485 0.648403 0.658779 0.663497 0.674298 0.666873 0.676877
0.675492 0.681250 0.680605 0.686791 0.683455 0.685877 0.687389 0.688858 0.689039 0.696769
0.704198 0.706582 0.706211 0.708056 0.708487 0.710032 0.708921 0.712440 0.714254 0.719554
0.720450 0.722752 0.718780 0.722973 0.723112 0.724884 0.727692 0.721403 0.726065 0.721118
""".split()


@pytest.fixture(scope="module")
def trace() -> bpstep.Trace:
    return bpstep.trace("housing")


def test_tutorial_lists_are_complete() -> None:
    assert len(TUTORIAL_LOSSES) == 50 and len(TUTORIAL_SCORES) == 50


def test_data_split_and_scaling(trace: bpstep.Trace) -> None:
    data = trace.scenario.data
    # 506 rows: 102 test (ceil(0.2·506)), 404 training, standardised on the training part.
    assert data.inputs.shape == (404, 2) and data.test_inputs is not None
    assert data.test_inputs.shape == (102, 2)
    np.testing.assert_allclose(data.inputs.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.inputs.std(axis=0), 1.0, rtol=1e-12)
    # The tutorial's "original price: $27.9" is y_test[1].
    assert data.test_targets is not None and data.test_targets[1, 0] == 27.9


def test_epoch_losses_equal_the_tutorial_to_8_decimals(trace: bpstep.Trace) -> None:
    losses = [s for s in trace if s.phase == "epoch" and s.name == "loss"]
    assert [s.epoch for s in losses] == list(range(1, 51))
    assert [f"{float(s.value):.8f}" for s in losses] == TUTORIAL_LOSSES


def test_validation_scores_equal_the_tutorial_to_6_decimals(trace: bpstep.Trace) -> None:
    scores = [s for s in trace if s.phase == "epoch" and s.name == "validation_score"]
    assert [s.epoch for s in scores] == list(range(1, 51))
    assert [f"{float(s.value):.6f}" for s in scores] == TUTORIAL_SCORES


def test_stops_after_epoch_50_for_scikit_learns_reason(trace: bpstep.Trace) -> None:
    assert trace.epochs_run == 50
    assert max(s.epoch for s in trace) == 50
    assert trace.status == "stopped"
    # The tutorial (an older scikit-learn) printed "… for two consecutive epochs. Stopping.";
    # today's scikit-learn prints the number.
    assert trace.message == (
        "Validation score did not improve more than tol=0.000100 for 2 consecutive epochs. Stopping."
    )
    # 363 training samples (404 less the validation tenth) in batches of 32: 12 per epoch.
    assert max(s.batch for s in trace if s.epoch == 1) == 12


def test_best_epoch_is_restored(trace: bpstep.Trace) -> None:
    scores = [float(s.value) for s in trace if s.name == "validation_score"]
    best = trace["best_epoch"]
    assert best.phase == "end"
    assert int(best.value) == 1 + int(np.argmax(scores)) == 47  # 0.727692 in the tutorial


def test_test_mse_and_sample_prediction_end_the_trace(trace: bpstep.Trace) -> None:
    tail = trace[-3:]
    assert [(s.phase, s.name) for s in tail] == [
        ("evaluate", "test_targets"), ("evaluate", "test_predictions"), ("evaluate", "test_mse"),
    ]
    assert f"{float(trace['test_mse'].value):.3f}" == "14.231"  # "regression using mlp MSE loss"
    assert f"{trace.value('predicted_price'):.3f}" == "29.087"  # "predicted price: $29.087"
    assert trace.value("actual_price") == 27.9  # "original price: $27.9"
    # The test MSE is the mean squared difference of the two steps beside it.
    o, t = trace["test_predictions"].value, trace["test_targets"].value
    assert float(trace["test_mse"].value) == pytest.approx(float(np.mean((t - o) ** 2)), rel=1e-15)


def test_end_steps_explain(trace: bpstep.Trace) -> None:
    ex = explain(trace, trace["test_predictions"])
    labels = {e.index: e.label for e in ex.elements}
    assert labels[(1, 0)] == "predicted_price"
    ex = explain(trace, trace["test_targets"])
    assert ex.rule.startswith("the true targets")
    assert {e.index: e.label for e in ex.elements}[(1, 0)] == "actual_price"
