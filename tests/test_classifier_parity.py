"""scikit-learn's MLPClassifier replayed by bpstep (``init.rng = "sklearn"``): a softmax output
and log-loss for several classes, one logistic unit and bce for two, labels binarised as its
LabelBinarizer does (sorted classes; the second of two is the positive one), adam and sgd, early
stopping on validation accuracy (a binary problem's split stratified as scikit-learn's), alpha,
batches and shuffles. Every epoch's loss and validation score must agree to 1e-9 relative, the
epoch count and the final (restored) parameters too.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import bpstep
from bpstep.scenario import load_dict

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer, load_iris, load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

RTOL = 1e-9
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "identity"}

DEFAULTS: dict[str, Any] = dict(
    hidden_layer_sizes=(8,), activation="relu", solver="adam", alpha=1e-4, batch_size="auto",
    learning_rate_init=0.001, max_iter=40, shuffle=True, random_state=0, tol=1e-4,
    early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
    n_iter_no_change=10, momentum=0.9, nesterovs_momentum=True,
)

# (data set, scikit-learn arguments): binary and multi-class, adam and sgd, early stopping on and
# off, batch sizes, seeds, one and two hidden layers.
CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "iris_adam": ("iris", dict(learning_rate_init=0.01)),
    "iris_adam_early_batch16": ("iris", dict(early_stopping=True, batch_size=16, random_state=1,
                                             learning_rate_init=0.01, validation_fraction=0.2)),
    "iris_sgd_nesterov": ("iris", dict(solver="sgd", batch_size=32, random_state=2, learning_rate_init=0.05)),
    "wine_sgd_early_alpha": ("wine", dict(solver="sgd", early_stopping=True, alpha=0.01, random_state=3,
                                          momentum=0.5, nesterovs_momentum=False, learning_rate_init=0.02,
                                          validation_fraction=0.2)),
    "wine_adam_two_layers_tanh": ("wine", dict(hidden_layer_sizes=(10, 6), activation="tanh", batch_size=50,
                                               random_state=7, shuffle=False)),
    "cancer_adam": ("cancer", dict(batch_size=64)),
    "cancer_adam_early_stratified": ("cancer", dict(early_stopping=True, random_state=4, batch_size=100,
                                                    learning_rate_init=0.003)),
    "cancer_sgd_early_logistic": ("cancer", dict(solver="sgd", early_stopping=True, activation="logistic",
                                                 random_state=5, batch_size=40, learning_rate_init=0.1)),
    "iris_adam_custom_betas": ("iris", dict(beta_1=0.8, beta_2=0.99, epsilon=1e-6, random_state=9,
                                            batch_size=25, learning_rate_init=0.02, max_iter=25)),
}


def dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    loader = {"iris": load_iris, "wine": load_wine, "cancer": load_breast_cancer}[name]
    x, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(x), y


def scenario_for(x: np.ndarray, y: np.ndarray, kw: dict[str, Any]) -> bpstep.Scenario:
    """The scikit-learn call in bpstep's keys: classes sorted as LabelBinarizer sorts them."""
    classes = np.unique(y)
    index = np.searchsorted(classes, y)
    binary = len(classes) == 2
    out = [{"units": 1, "activation": "sigmoid"}] if binary else [
        {"units": len(classes), "activation": "softmax"}]
    training: dict[str, Any] = dict(
        learning_rate=kw["learning_rate_init"], epochs=kw["max_iter"], shuffle=kw["shuffle"],
        batch_size=min(200, len(x)) if kw["batch_size"] == "auto" else kw["batch_size"],
        optimizer=kw["solver"], l2=kw["alpha"], patience=kw["n_iter_no_change"], tol=kw["tol"],
        early_stopping=kw["early_stopping"],
    )
    if kw["solver"] == "adam":
        training.update(beta1=kw["beta_1"], beta2=kw["beta_2"], epsilon=kw["epsilon"])
    else:
        training.update(momentum=kw["momentum"], nesterov=kw["nesterovs_momentum"])
    if kw["early_stopping"]:
        training["validation_fraction"] = kw["validation_fraction"]
    doc = {
        "name": f"classifier {kw}",
        "network": {"inputs": x.shape[1], "loss": "bce" if binary else "cross_entropy", "layers": [
            {"units": u, "activation": ACTIVATIONS[kw["activation"]]} for u in kw["hidden_layer_sizes"]
        ] + out},
        "init": {"method": "glorot_uniform", "seed": kw["random_state"], "rng": "sklearn"},
        "data": {"inputs": x.tolist(), "targets": [[float(i)] for i in index],
                 "classes": [str(c) for c in classes]},
        "training": training,
    }
    return load_dict(doc)


def epoch_values(trace: bpstep.Trace, name: str) -> list[float]:
    return [float(s.value) for s in trace if s.phase == "epoch" and s.name == name]


@pytest.mark.parametrize("config", list(CONFIGS))
def test_matches_mlp_classifier(config: str) -> None:
    data, changes = CONFIGS[config]
    kw = {**DEFAULTS, **changes}
    x, y = dataset(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(**kw).fit(x, y)
    trace = bpstep.trace(scenario_for(x, y, kw))

    assert trace.epochs_run == model.n_iter_
    np.testing.assert_allclose(epoch_values(trace, "loss"), model.loss_curve_, rtol=RTOL, atol=0)
    if kw["early_stopping"]:
        np.testing.assert_allclose(epoch_values(trace, "validation_score"), model.validation_scores_,
                                   rtol=RTOL, atol=0)
    best = [s for s in trace if s.name == "best_epoch"]
    epoch = int(best[0].value) if best else trace.epochs_run
    last = max(s.batch for s in trace if s.epoch == epoch and s.phase == "update")
    for k, (coef, intercept) in enumerate(zip(model.coefs_, model.intercepts_, strict=True), 1):
        np.testing.assert_allclose(trace.step(f"W{k}", epoch, last).value, coef, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(trace.step(f"b{k}", epoch, last).value, intercept, rtol=1e-7, atol=1e-9)


def test_several_configurations_cover_the_issue() -> None:
    """At least eight: binary and multi-class, adam and sgd, early stopping on and off."""
    assert len(CONFIGS) >= 8
    kinds = {(data == "cancer", kw.get("solver", "adam"), kw.get("early_stopping", False))
             for data, kw in CONFIGS.values()}
    for binary in (True, False):
        assert any(k[0] == binary for k in kinds)
    assert {k[1] for k in kinds} == {"adam", "sgd"} and {k[2] for k in kinds} == {True, False}
