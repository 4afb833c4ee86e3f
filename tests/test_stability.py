"""Numerical stability: saturated activations and losses stay finite and warn about nothing.

pytest turns any RuntimeWarning into an error (pyproject ``filterwarnings``); these tests also
turn numpy's overflow/invalid/divide signals into errors while the engine runs.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bpstep.engine.activations import ACTIVATIONS
from bpstep.engine.gradcheck import check_gradients
from bpstep.engine.losses import BCE_EPS, LOSSES
from bpstep.engine.network import run
from bpstep.scenario import load_dict
from bpstep.tracing import Step

STRICT = {"over": "raise", "invalid": "raise", "divide": "raise"}


@pytest.fixture(autouse=True)
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_sigmoid_saturates_exactly() -> None:
    sig = ACTIVATIONS["sigmoid"]
    z = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])
    with np.errstate(**STRICT):
        a = sig.f(z)
        d = sig.df(z, a)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))
    assert a[0] == 0.0 and a[-1] == 1.0 and a[3] == 0.5
    assert d[0] == 0.0 and d[-1] == 0.0 and d[3] == 0.25
    # σ(−z) = 1 − σ(z) and σ(40) rounds to 1 − e^(−40) in float64.
    assert a[1] == math.exp(-745.0) / (1 + math.exp(-745.0))
    assert a[2] == math.exp(-40.0) / (1 + math.exp(-40.0))
    assert a[4] == 1.0 / (1.0 + math.exp(-40.0))


def test_sigmoid_matches_the_formula() -> None:
    z = np.linspace(-30, 30, 601)
    with np.errstate(**STRICT):
        a = ACTIVATIONS["sigmoid"].f(z)
    expected = np.array([1.0 / (1.0 + math.exp(-v)) for v in z])
    np.testing.assert_allclose(a, expected, rtol=4e-16, atol=0)


def test_tanh_saturates() -> None:
    th = ACTIVATIONS["tanh"]
    z = np.array([-1000.0, -20.0, 0.0, 20.0, 1000.0])
    with np.errstate(**STRICT):
        a = th.f(z)
        d = th.df(z, a)
    assert list(a) == [-1.0, -1.0, 0.0, 1.0, 1.0]
    assert list(d) == [0.0, 0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_is_finite_far_out(name: str) -> None:
    act = ACTIVATIONS[name]
    z = np.array([-1e300, -1000.0, -1.0, 0.0, 1.0, 1000.0, 1e300])
    with np.errstate(**STRICT):
        if act.jacobian is not None:  # softmax: over a row, its derivative a Jacobian
            a = act.f(z[None, :])
            d = act.jacobian(a)
        else:
            a = act.f(z)
            d = act.df(z, a)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))


def test_bce_saturated_outputs() -> None:
    bce = LOSSES["bce"]
    o = np.array([[0.0], [1.0], [0.0], [1.0]])  # σ(±1000) exactly
    t = np.array([[0.0], [1.0], [1.0], [0.0]])
    with np.errstate(**STRICT):
        e = bce.value(o, t)
        g = bce.grad(o, t)
    assert math.isfinite(e) and np.all(np.isfinite(g))
    # Two right, and two wrong by the whole clipping margin: E ≈ 2·(−log ε) / 4.
    assert e == pytest.approx(2 * -math.log(BCE_EPS) / 4, rel=1e-2)
    # Clipped outputs: E does not change with them, so neither does the gradient say it does.
    assert list(g[:, 0]) == [0.0, 0.0, 0.0, 0.0]


def test_bce_gradient_in_the_clipped_regime() -> None:
    """Outputs beyond the clip (σ(−41) ≈ 1.6e-18, σ(37.5) > 1 − ε, ε = 2.2e-16 as scikit-learn's):
    the deltas at the pre-activations and the gradients are those of the E the trace reports."""
    d = {"name": "clipped", "network": {"inputs": 1, "loss": "bce", "layers": [
        {"units": 2, "activation": "sigmoid"}]},
        "parameters": {"W1": [[1.0, 1.0]], "b1": [-42.0, 36.5]},
        "data": {"inputs": [[1.0], [0.5], [40.0]], "targets": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]}}
    o = run(load_dict(d)).step("Z2").value
    # Really in the clipped regime: below ε, and above 1 − ε (float64's σ jumps from 1 − ε to 1).
    assert 0 < o[0, 0] < BCE_EPS and 1 - BCE_EPS < o[0, 1] <= 1
    report = check_gradients(load_dict(d))
    for name in ("delta1", "dE/dW1", "dE/db1"):
        assert report[name].ok, (name, report[name].analytic, report[name].numeric)
    # The third sample is inside the clip: its gradient is the formula's, (o − t)/(o(1 − o))/N.
    delta2 = report["delta2"].analytic
    assert delta2[2, 0] == pytest.approx((o[2, 0] - 1) / (o[2, 0] * (1 - o[2, 0])) / 3, rel=1e-12)
    assert delta2[0, 0] == 0.0 and delta2[0, 1] == 0.0


def test_bce_exact_inside_the_clip() -> None:
    o = np.array([[0.2, 0.9], [0.6, 0.01]])
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    expected = -(math.log(0.8) + math.log(0.9) + math.log(0.6) + math.log(0.99)) / 2
    assert LOSSES["bce"].value(o, t) == pytest.approx(expected, rel=1e-15)


def saturated(loss: str, scale: float) -> dict:
    """The exercise's network with its inputs multiplied by ``scale``: z in the thousands (a
    softmax output for cross-entropy, which needs one)."""
    out = "softmax" if loss == "cross_entropy" else "sigmoid"
    return {
        "name": "saturated",
        "network": {"inputs": 3, "loss": loss, "layers": [
            {"units": 2, "activation": "sigmoid"}, {"units": 2, "activation": out}]},
        "parameters": {"W1": [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], "b1": 0.5,
                       "W2": [[70.0, -80.0], [90.0, 10.0]], "b2": 0.5},
        "data": {"inputs": [[scale, 4 * scale, 5 * scale], [-scale, 2 * scale, -scale]],
                 "targets": [[0.0, 1.0], [1.0, 0.0]]},
        "training": {"learning_rate": 0.5, "epochs": 3, "batch_size": 1},
    }


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_saturated_network_runs_clean(loss: str) -> None:
    with np.errstate(**STRICT):
        trace = run(load_dict(saturated(loss, 1000.0)))
    assert trace.status == "complete"
    assert all(s.finite for s in trace)
    z1 = trace.step("Z1").value
    assert np.max(np.abs(z1)) > 1000  # really saturated
    assert set(np.unique(trace.step("Z2").value)) <= {0.0, 1.0}


def test_diverging_run_stops_without_warnings() -> None:
    """Overflow inside the engine is detected and reported, never warned about."""
    d = saturated("sse", 1.0)
    d["network"]["layers"] = [{"units": 2, "activation": "identity"}, {"units": 2, "activation": "identity"}]
    d["training"] = {"learning_rate": 10.0, "epochs": 200}
    trace = run(load_dict(d))
    assert trace.status == "diverged"
    assert not trace[-1].finite and all(s.finite for s in trace[:-1])
    assert "diverged" in trace.message and trace[-1].name in trace.message


@pytest.mark.parametrize(("values", "finite"), [
    ([1e308, 1e308], True),  # finite, though their sum overflows (and warns nothing)
    ([1.0, np.inf], False), ([np.nan, 1.0], False), ([-1e308, -1e308, 1.0], True),
])
def test_a_steps_finiteness_is_elementwise(values: list[float], finite: bool) -> None:
    step = Step(0, 1, 1, "forward", "Z1", np.array(values), "linear", {})
    assert step.finite is finite  # RuntimeWarnings are errors in this suite
