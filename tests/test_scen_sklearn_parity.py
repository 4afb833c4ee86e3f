"""The housing scenario and its variants against scikit-learn itself (a test-only dependency).

Each configuration is run twice: by scikit-learn (``train_test_split``, ``StandardScaler``,
``MLPRegressor``) on the CSV read here, and by bpstep from the bundled ``housing.toml`` with the
same settings written in its general keys. The loss curve, the validation scores, the number of
epochs, the stopping message, the final (restored) weights and the test predictions must agree.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import re
import tomllib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import bpstep
from bpstep.scenario import bundled_dir, load_dict

sklearn = pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

TOL = 1e-9

# The tutorial's call (with the old fixed patience n_iter_no_change=2).
TUTORIAL: dict[str, Any] = dict(
    hidden_layer_sizes=(4, 3), activation="relu", solver="sgd", batch_size=32,
    learning_rate_init=0.001, max_iter=200, shuffle=True, random_state=5, early_stopping=True,
    validation_fraction=0.1, n_iter_no_change=2,
)

CONFIGS: dict[str, dict[str, Any]] = {
    "tutorial": {},
    "another_seed": dict(random_state=1),
    "tanh": dict(activation="tanh"),
    "logistic": dict(activation="logistic", learning_rate_init=0.01),  # Glorot factor 2
    "no_early_stopping": dict(early_stopping=False),  # the training-loss rule, patience 2
    "no_early_stopping_patience_10": dict(early_stopping=False, n_iter_no_change=10),
    "batch_size_50": dict(batch_size=50),  # a short last batch
    "one_layer_plain_momentum": dict(
        hidden_layer_sizes=(5,), nesterovs_momentum=False, shuffle=False, alpha=0.01, momentum=0.5,
    ),
    "max_iter_reached": dict(hidden_layer_sizes=(3, 3, 2), max_iter=12),
}

ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "identity"}


@pytest.fixture(scope="module")
def housing() -> tuple[np.ndarray, ...]:
    """The tutorial's split and scaling, done by scikit-learn on the CSV read here."""
    with (bundled_dir() / "housing.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r["RM"]), float(r["LSTAT"])] for r in rows])
    y = np.array([float(r["MEDV"]) for r in rows])
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=5)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


def scenario_for(kw: dict[str, Any]) -> bpstep.Scenario:
    """The bundled housing.toml with scikit-learn's arguments written into its general keys."""
    doc = tomllib.loads((bundled_dir() / "housing.toml").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["data"]["csv"] = str(bundled_dir() / "housing.csv")
    doc["network"]["layers"] = [
        {"units": u, "activation": ACTIVATIONS[kw["activation"]]} for u in kw["hidden_layer_sizes"]
    ] + [{"units": 1, "activation": "identity"}]
    doc["init"]["seed"] = kw["random_state"]
    tr = doc["training"]
    tr.update(
        learning_rate=kw["learning_rate_init"], epochs=kw["max_iter"], batch_size=kw["batch_size"],
        shuffle=kw["shuffle"], momentum=kw.get("momentum", 0.9),
        nesterov=kw.get("nesterovs_momentum", True), l2=kw.get("alpha", 0.0001),
        patience=kw["n_iter_no_change"], tol=kw.get("tol", 0.0001),
        early_stopping=kw["early_stopping"],
    )
    if kw["early_stopping"]:
        tr["validation_fraction"] = kw["validation_fraction"]
    else:
        del tr["validation_fraction"]  # scikit-learn splits off validation data only for it
    del doc["names"]  # they name elements of the tutorial's test split, which stays the same
    return load_dict(doc, source=f"housing variant {kw}")


def final_parameters(trace: bpstep.Trace, layers: int) -> dict[str, np.ndarray]:
    """W/b after the last update of the epoch whose parameters the run ends with (the restored
    best epoch under early stopping, else the last epoch)."""
    best = [s for s in trace if s.name == "best_epoch"]
    epoch = int(best[0].value) if best else trace.epochs_run
    last = max(s.batch for s in trace if s.epoch == epoch and s.phase == "update")
    return {f"{p}{k}": trace.step(f"{p}{k}", epoch, last).value
            for k in range(1, layers + 1) for p in "Wb"}


def test_data_pipeline_is_scikit_learns(housing: tuple[np.ndarray, ...]) -> None:
    x_train, x_test, y_train, y_test = housing
    data = bpstep.load("housing").data
    assert data.test_inputs is not None and data.test_targets is not None
    np.testing.assert_array_equal(data.inputs, x_train)
    np.testing.assert_array_equal(data.test_inputs, x_test)
    np.testing.assert_array_equal(data.targets[:, 0], y_train)
    np.testing.assert_array_equal(data.test_targets[:, 0], y_test)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_matches_scikit_learn(name: str, housing: tuple[np.ndarray, ...]) -> None:
    x_train, x_test, y_train, _ = housing
    kw = {**TUTORIAL, **CONFIGS[name]}
    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter_reached, on purpose
        model = MLPRegressor(**kw, verbose=True).fit(x_train, y_train)
    trace = bpstep.trace(scenario_for(kw))

    assert trace.epochs_run == model.n_iter_
    losses = [float(s.value) for s in trace if s.phase == "epoch" and s.name == "loss"]
    np.testing.assert_allclose(losses, model.loss_curve_, rtol=0, atol=TOL)
    scores = [float(s.value) for s in trace if s.phase == "epoch" and s.name == "validation_score"]
    if kw["early_stopping"]:
        np.testing.assert_allclose(scores, model.validation_scores_, rtol=0, atol=TOL)
    else:
        assert scores == [] and model.validation_scores_ is None

    # Stopped by scikit-learn's rule, with its words; or ran to max_iter.
    last_line = out.getvalue().strip().splitlines()[-1]
    if model.n_iter_ < kw["max_iter"]:
        assert trace.status == "stopped"
        assert trace.message == last_line
    else:
        assert trace.status == "complete" and trace.message == ""

    params = final_parameters(trace, len(model.coefs_))
    for k, (coef, intercept) in enumerate(zip(model.coefs_, model.intercepts_, strict=True), 1):
        np.testing.assert_allclose(params[f"W{k}"], coef, rtol=0, atol=TOL)
        np.testing.assert_allclose(params[f"b{k}"], intercept, rtol=0, atol=TOL)
    np.testing.assert_allclose(trace["test_predictions"].value[:, 0], model.predict(x_test),
                               rtol=0, atol=TOL)


def test_initial_weights_are_scikit_learns() -> None:
    """Epoch 1 starts from the weights scikit-learn's ``_init_coef`` draws: Glorot-uniform with
    bound √(6/(fan_in + fan_out)), W then b per layer, from one RandomState(random_state)."""
    rng = np.random.RandomState(5)
    trace = bpstep.trace("housing", epochs=1)
    for k, (fan_in, fan_out) in enumerate([(2, 4), (4, 3), (3, 1)], start=1):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-bound, bound, (fan_in, fan_out))
        b = rng.uniform(-bound, bound, fan_out)
        linear = trace.step(f"Z{2 * k - 1}", 1, 1)  # modules: linear, relu, linear, relu, linear
        np.testing.assert_array_equal(linear.inputs[f"W{k}"], W)
        np.testing.assert_array_equal(linear.inputs[f"b{k}"], b)


def test_readme_variant_is_scikit_learns(housing: tuple[np.ndarray, ...]) -> None:
    """The README's variant snippet, merged into housing.toml, is the scikit-learn run it names."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Variants.**"):]
    block = re.search(r"^```toml\n(.*?)^```$", section, re.S | re.M)
    assert block is not None
    doc = tomllib.loads((bundled_dir() / "housing.toml").read_text(encoding="utf-8"))
    doc["data"]["csv"] = str(bundled_dir() / "housing.csv")
    for table, values in tomllib.loads(block.group(1)).items():
        doc[table].update(values)
    del doc["training"]["validation_fraction"]  # as the snippet's comment says
    trace = bpstep.trace(load_dict(doc))
    x_train, _, y_train, _ = housing
    kw = {**TUTORIAL, "random_state": 1, "activation": "tanh", "batch_size": 64,
          "early_stopping": False, "n_iter_no_change": 10}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegressor(**kw).fit(x_train, y_train)
    losses = [float(s.value) for s in trace if s.phase == "epoch" and s.name == "loss"]
    assert trace.epochs_run == model.n_iter_
    np.testing.assert_allclose(losses, model.loss_curve_, rtol=0, atol=TOL)
