"""The bundled ``regressor``: the tutorial's f(x) = w2·σ(w1·x + b1) + b2 with E = (f(x) − y)².

Every gradient in the trace is checked against the tutorial's four derivative formulas, computed
here with ``math.exp`` while replaying the run's SGD from the file's initial values:

    dE/dw2 = 2(f(x) − y)·σ(w1·x + b1)          dE/db2 = 2(f(x) − y)
    dE/dw1 = 2(f(x) − y)·w2·σ(u)(1 − σ(u))·x    dE/db1 = 2(f(x) − y)·w2·σ(u)(1 − σ(u))
"""

from __future__ import annotations

import math

import pytest

import bpstep
from bpstep.explain import explain


def sigma(u: float) -> float:
    return 1.0 / (1.0 + math.exp(-u))


@pytest.fixture(scope="module")
def trace() -> bpstep.Trace:
    return bpstep.trace("regressor")


def test_the_network_is_the_tutorials(trace: bpstep.Trace) -> None:
    sc = trace.scenario
    assert sc.network.inputs == 1
    assert [(layer.units, layer.activation) for layer in sc.network.layers] == [
        (1, "sigmoid"), (1, "identity")]
    assert sc.network.loss == "sse"
    assert sc.training.batch_size == 1  # one sample per step: each gradient is one formula


def test_gradients_follow_the_four_formulas(trace: bpstep.Trace) -> None:
    sc = trace.scenario
    w1, b1 = float(sc.parameters["W1"][0][0]), float(sc.parameters["b1"][0])
    w2, b2 = float(sc.parameters["W2"][0][0]), float(sc.parameters["b2"][0])
    eta = sc.training.learning_rate
    samples = [(float(x[0]), float(y[0])) for x, y in zip(sc.data.inputs, sc.data.targets, strict=True)]
    checked = 0
    for epoch in range(1, sc.training.epochs + 1):
        for b, (x, y) in enumerate(samples, start=1):
            u = w1 * x + b1
            v = sigma(u)
            f = w2 * v + b2
            grads = {
                "w2": 2 * (f - y) * v,
                "b2": 2 * (f - y) * 1,
                "w1": 2 * (f - y) * w2 * v * (1 - v) * x,
                "b1": 2 * (f - y) * w2 * v * (1 - v) * 1,
            }
            for name in ("u", "v", "z"):
                assert trace.value(name, epoch, b) == pytest.approx({"u": u, "v": v, "z": f}[name],
                                                                    rel=1e-12, abs=1e-12)
            assert trace.value("E", epoch, b) == pytest.approx((f - y) ** 2, rel=1e-12, abs=1e-15)
            for name, g in grads.items():
                assert trace.value(f"dE/d{name}", epoch, b) == pytest.approx(g, rel=1e-12, abs=1e-15)
                checked += 1
            w1, b1 = w1 - eta * grads["w1"], b1 - eta * grads["b1"]
            w2, b2 = w2 - eta * grads["w2"], b2 - eta * grads["b2"]
            for name, value in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)):
                assert trace.value(name, epoch, b) == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert checked == 4 * len(samples) * sc.training.epochs


def test_it_learns(trace: bpstep.Trace) -> None:
    losses = [float(s.value) for s in trace if s.phase == "epoch" and s.name == "loss"]
    assert losses[-1] < losses[0] / 50


def test_views_show_the_names(trace: bpstep.Trace) -> None:
    """The gradient steps are labelled with the tutorial's names and substituted numbers."""
    texts = [e.text() for name in ("dE/dW2", "dE/db2", "dE/dW1", "dE/db1")
             for e in explain(trace, trace.step(name, 1, 1)).elements]
    assert texts[0].startswith("∂E/∂w2 = ∂E/∂z·v = ")
    assert texts[1].startswith("∂E/∂b2 = ∂E/∂z = ")
    assert texts[2].startswith("∂E/∂w1 = ∂E/∂u·x = ")
    assert texts[3].startswith("∂E/∂b1 = ∂E/∂u = ")
    delta = [e.text() for e in explain(trace, trace.step("delta3", 1, 1)).elements]
    assert delta[0].startswith("∂E/∂z = 2(z − ")  # ∂E/∂z = 2(f(x) − y)
