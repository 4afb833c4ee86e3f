"""Softmax, cross-entropy, Adam and RMSProp (issue 15) against computations written here.

- Every delta and gradient of random softmax networks (with every loss a softmax admits, hidden
  activations of each kind, L2, frozen parameters, Adam and RMSProp, shuffled batches, later
  epochs) agrees with central differences of the batch's E.
- The softmax's backward step: the Jacobian (built element by element here, and by central
  differences of the softmax) and the Jacobian route δ J, against the fused route (o − t)/N, each
  computed on its own.
- Adam's and RMSProp's every update, moment and rate against the optimizers written out here.
- An Adam run recomputed from its checkpoints is bit for bit the run held whole.
- Bad keys are refused with the dotted key and what was expected; the new hints fire.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import bpstep
from bpstep.engine.gradcheck import check_gradients
from bpstep.engine.network import Runner
from bpstep.errors import ScenarioError
from bpstep.explain import explain
from bpstep.hints import convention_hints
from bpstep.scenario import load_dict

SOFTMAX_LOSSES = ["sse", "half_sse", "mse", "half_mse", "bce", "cross_entropy"]
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "identity"]


def network(seed: int, loss: str = "cross_entropy", hidden: str = "tanh", optimizer: str = "sgd",
            epochs: int = 1, batch_size: int | None = None, frozen: tuple[str, ...] = (), l2: float = 0.0,
            classes: int = 3, samples: int = 7, shuffle: bool = False, **training: object) -> dict:
    """A random 4-5-K network whose last layer is a softmax, with one-hot targets."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, samples)
    labels[:classes] = np.arange(classes)  # every class present
    tr: dict[str, object] = {"learning_rate": 0.05, "epochs": epochs, "optimizer": optimizer, "l2": l2,
                             "frozen": list(frozen), "shuffle": shuffle, "seed": seed, **training}
    if batch_size:
        tr["batch_size"] = batch_size
    return {
        "name": f"random softmax {seed}",
        "network": {"inputs": 4, "loss": loss, "layers": [
            {"units": 5, "activation": hidden}, {"units": classes, "activation": "softmax"}]},
        # Small weights keep o well inside (0, 1), where ε = 1e-6 resolves ∂E/∂o = −t/(N·o).
        "init": {"method": "normal", "std": 0.5, "seed": seed},
        "data": {"inputs": rng.normal(0, 1.0, (samples, 4)).tolist(),
                 "targets": [[float(c)] for c in labels], "classes": [f"c{i}" for i in range(classes)]},
        "training": tr,
    }


def assert_gradcheck(d: dict, epoch: int = 1, batch: int = 1) -> None:
    report = check_gradients(load_dict(d), epoch, batch)
    for check in report.checks:
        assert check.ok, (check.name, check.analytic, check.numeric)


@pytest.mark.parametrize("loss", SOFTMAX_LOSSES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_with_every_loss_agrees_with_finite_differences(loss: str, seed: int) -> None:
    assert_gradcheck(network(seed, loss, HIDDEN[seed % len(HIDDEN)]))


@pytest.mark.parametrize("hidden", HIDDEN)
def test_cross_entropy_with_every_hidden_activation(hidden: str) -> None:
    assert_gradcheck(network(11, "cross_entropy", hidden, l2=0.01))


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_later_batches_of_shuffled_adaptive_runs_agree(optimizer: str) -> None:
    """Gradients at parameters the optimizer moved: epoch 3, batch 2 of a shuffled run with
    frozen parameters (a momentum-free SGD run among them)."""
    d = network(5, "cross_entropy", "relu", optimizer, epochs=3, batch_size=3, shuffle=True,
                frozen=("b1",), l2=0.001, learning_rate=0.02)
    assert_gradcheck(d, epoch=3, batch=2)
    trace = bpstep.trace(load_dict(d))
    assert all(np.array_equal(trace.value("b1", e, b), trace.value("b1", 1, 1))
               for e in (1, 2, 3) for b in (1, 2, 3))  # frozen stays put


# --- the softmax's backward step, written out -------------------------------------------------------

def softmax_rows(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    for n, row in enumerate(z):
        e = [math.exp(v - max(row)) for v in row]
        out[n] = [v / sum(e) for v in e]
    return out


@pytest.mark.parametrize("seed", [3, 4])
def test_jacobian_route_and_fused_route_computed_independently(seed: int) -> None:
    trace = bpstep.trace(load_dict(network(seed, "cross_entropy", "sigmoid")))
    step = trace.step("delta3")  # δ into the softmax's input Z3 (Z4 = softmax(Z3))
    assert step.op == "softmax_grad"
    z, t = trace.value("Z3"), trace.step("E").inputs["T"]
    o = softmax_rows(z)
    np.testing.assert_allclose(trace.value("Z4"), o, rtol=1e-14, atol=1e-16)
    n, k = o.shape
    # ∂E/∂o for E = −(1/N) Σ t ln o, then J element by element and δ J as the sum it is.
    d_o = -t / (n * o)
    jac = np.array([[[o[s, i] * ((i == j) - o[s, j]) for j in range(k)] for i in range(k)] for s in range(n)])
    route = np.array([[sum(d_o[s, i] * jac[s, i, j] for i in range(k)) for j in range(k)] for s in range(n)])
    fused = (o - t) / n
    np.testing.assert_allclose(route, fused, rtol=1e-12, atol=1e-15)  # the identity itself
    np.testing.assert_allclose(step.inputs["J"], jac, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(step.value, route, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(step.inputs["fused"], fused, rtol=1e-13, atol=1e-16)
    # The Jacobian against central differences of the softmax itself.
    eps = 1e-6
    for s in range(n):
        for j in range(k):
            up, down = z[s].copy(), z[s].copy()
            up[j] += eps
            down[j] -= eps
            col = (softmax_rows(up[None])[0] - softmax_rows(down[None])[0]) / (2 * eps)
            np.testing.assert_allclose(step.inputs["J"][s, :, j], col, rtol=1e-6, atol=1e-9)


def test_no_fused_route_without_cross_entropy() -> None:
    trace = bpstep.trace(load_dict(network(6, "half_mse")))
    assert "fused" not in trace.step("delta3").inputs and "J" in trace.step("delta3").inputs


# --- Adam and RMSProp, written out ----------------------------------------------------------------

@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_every_update_matches_the_optimizer_written_out(optimizer: str) -> None:
    extra = dict(beta1=0.8, beta2=0.95, epsilon=1e-7) if optimizer == "adam" else dict(rho=0.7, epsilon=1e-6)
    d = network(8, "cross_entropy", "tanh", optimizer, epochs=3, batch_size=3, shuffle=True,
                frozen=("W1",), **extra)
    sc = load_dict(d)
    trace = bpstep.trace(sc)
    tr = sc.training
    state: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
    for step in trace:
        if step.phase != "update" or step.op == "frozen":
            continue
        p, g = step.inputs[step.name], step.inputs[f"dE/d{step.name}"]
        m, v, t = state.get(step.name, (np.zeros_like(p), np.zeros_like(p), 0))
        t += 1
        if optimizer == "adam":
            m = tr.beta1 * m + (1 - tr.beta1) * g
            v = tr.beta2 * v + (1 - tr.beta2) * g * g
            rate = tr.learning_rate * math.sqrt(1 - tr.beta2**t) / (1 - tr.beta1**t)
            expected = p - rate * m / (np.sqrt(v) + tr.epsilon)
            np.testing.assert_allclose(step.inputs["m"], m, rtol=1e-15, atol=0)
            assert float(step.inputs["lr_t"]) == pytest.approx(rate, rel=1e-15)
        else:
            v = tr.rho * v + (1 - tr.rho) * g * g
            expected = p - tr.learning_rate * g / (np.sqrt(v) + tr.epsilon)
        np.testing.assert_allclose(step.inputs["v"], v, rtol=1e-15, atol=0)
        np.testing.assert_allclose(step.value, expected, rtol=1e-14, atol=1e-16)
        state[step.name] = (m, v, t)
    assert state and "W1" not in state
    text = "\n".join(e.text() for e in explain(trace, trace.step("W2", 2, 1)).elements[:2])
    assert "√" in text and ("0.8·" in text if optimizer == "adam" else "0.7·" in text)


def test_adam_run_recomputed_from_checkpoints_is_bit_for_bit() -> None:
    sc = load_dict(network(9, "cross_entropy", "relu", "adam", epochs=30, batch_size=2, shuffle=True))
    full = Runner(sc).run()
    runner = Runner(sc)
    runner.trace.max_resident_steps = 60
    small = runner.run()
    assert len(small) == len(full)
    for i in [len(full) - 1, 0, *random.Random(0).sample(range(len(full)), 200)]:
        a, b = small[i], full[i]
        assert (a.name, a.epoch, a.batch) == (b.name, b.epoch, b.batch)
        assert a.value.tobytes() == b.value.tobytes()
        assert a.inputs.keys() == b.inputs.keys()
        for k in a.inputs:
            assert a.inputs[k].tobytes() == b.inputs[k].tobytes(), (a.name, k)


# --- explanations and hints -------------------------------------------------------------------------

def test_explanations_show_the_jacobian_and_the_loss_with_numbers() -> None:
    trace = bpstep.trace(load_dict(network(10, "cross_entropy", "tanh", "adam")))
    forward = explain(trace, trace.step("Z4"))
    assert "softmax" in forward.rule and "e^" in forward.elements[0].text()
    back = explain(trace, trace.step("delta3"))
    assert "J" in back.rule and "oᵢ(δᵢⱼ − oⱼ)" in back.note and "fused" in back.note
    assert "·(1 − " in back.elements[0].text() and "·(0 − " in back.elements[0].text()
    loss = explain(trace, trace.step("E"))
    assert "ln" in loss.elements[0].text()


def hints_for(trace: bpstep.Trace, name: str, index: tuple[int, ...], value: float) -> tuple[str, ...]:
    return convention_hints(trace, trace.step(name), index, f"{value:.6f}", precision=6)


def test_hint_families_recognise_the_slips() -> None:
    trace = bpstep.trace(load_dict(network(12, "cross_entropy", "tanh")))
    n = trace.value("Z0").shape[0]
    d4, o = trace.value("delta4"), trace.value("Z4")
    diag = float(d4[0, 1] * o[0, 1] * (1 - o[0, 1]))
    assert any("diagonal" in h for h in hints_for(trace, "delta3", (0, 1), diag))
    assert any("1/N" in h for h in hints_for(trace, "delta3", (0, 1), float(trace.value("delta3")[0, 1]) * n))
    e = float(trace.value("E"))
    assert any("log₁₀" in h for h in hints_for(trace, "E", (), e / math.log(10)))
    z = trace.value("Z3")
    col = np.exp(z[:, 2]) / np.exp(z[:, 2]).sum()
    assert any("over the batch" in h for h in hints_for(trace, "Z4", (0, 2), float(col[0])))


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "key", "words"), [
    (lambda d: d["network"]["layers"][0].update(activation="softmax"), "network.layers[0].activation",
     "only allowed on the last"),
    (lambda d: d["network"]["layers"][1].update(units=1), "network.layers[1].units", "two or more units"),
    (lambda d: d["network"]["layers"][1].update(activation="sigmoid"), "network.loss", "needs a softmax"),
    (lambda d: d["training"].update(beta1=0.9), "training.beta1", "applies to optimizer = \"adam\""),
    (lambda d: d["training"].update(optimizer="adam", beta2=1.0), "training.beta2", "must be in [0, 1)"),
    (lambda d: d["training"].update(optimizer="rmsprop", epsilon=0.0), "training.epsilon", "positive"),
    (lambda d: d["training"].update(optimizer="adam", momentum=0.9), "training.momentum", "sgd"),
    (lambda d: d["data"]["targets"][0].__setitem__(0, 3.0), "data.classes", "class numbers 0 to 2"),
    (lambda d: d["data"].update(classes=["a", "b"]), "data.classes", "the last layer has 3"),
    (lambda d: d["data"].update(classes=["a", "a", "b"]), "data.classes", "distinct"),
])
def test_bad_keys_are_named(change, key: str, words: str) -> None:  # noqa: ANN001
    d = network(0)
    change(d)
    with pytest.raises(ScenarioError) as err:
        load_dict(d)
    assert key in str(err.value) and words in str(err.value), str(err.value)


def test_two_classes_on_one_sigmoid_unit_keep_the_column() -> None:
    d = network(0, "bce", classes=2)
    d["network"]["layers"][1] = {"units": 1, "activation": "sigmoid"}
    sc = load_dict(d)
    assert sc.data.targets.shape == (7, 1) and sc.data.classes == ("c0", "c1")
    assert set(sc.data.targets[:, 0]) == {0.0, 1.0}
