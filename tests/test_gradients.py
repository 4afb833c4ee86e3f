"""Gradients, deltas and updates on seeded random networks, against computations written here.

Three independent checks of the engine:
- central differences of E (a forward pass written out again below) for every ∂E/∂W, ∂E/∂b and
  every delta ∂E/∂Z_m (perturb Z_m, re-run the rest of the forward pass);
- the same quantities from a backward pass written out again below, to float64 precision;
- whole runs (mini-batches in data order and shuffled, momentum, Nesterov, L2, frozen
  parameters) against a re-implementation of scikit-learn's SGD rule, step by step.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from bpstep.engine.activations import ACTIVATIONS
from bpstep.engine.gradcheck import check_gradients
from bpstep.engine.layers import Linear
from bpstep.engine.losses import LOSSES
from bpstep.engine.network import run
from bpstep.scenario import load_dict
from bpstep.tracing import Trace

ACTS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]
LOSS_NAMES = ["sse", "half_sse", "mse", "half_mse", "bce"]
EPS = 1e-6
KINK_MARGIN = 0.05  # relu/leaky_relu pre-activations stay this far from 0 (no kink within ±ε)
EXACT = {"rtol": 1e-11, "atol": 1e-13}  # the engine vs the computation written here


def test_every_activation_and_loss_is_covered() -> None:
    # A new activation or loss must be added to the lists above (and so to these tests).
    # softmax (output layers only) and cross_entropy (after a softmax) have their own reference
    # and finite-difference tests in tests/test_softmax.py.
    assert sorted(ACTIVATIONS) == sorted([*ACTS, "softmax"])
    assert sorted(LOSSES) == sorted([*LOSS_NAMES, "cross_entropy"])


# -- the reference: the tutorial's formulas, written out independently of bpstep.engine --------

def act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "identity":
        return z
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "elu":
        return np.array([v if v > 0 else math.exp(v) - 1 for v in z.ravel()]).reshape(z.shape)
    if name == "softplus":
        return np.log(1.0 + np.exp(z))
    raise AssertionError(name)


def act_grad(name: str, z: np.ndarray) -> np.ndarray:
    if name == "identity":
        return np.ones_like(z)
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(float)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01)
    if name == "elu":
        return np.array([1.0 if v > 0 else math.exp(v) for v in z.ravel()]).reshape(z.shape)
    if name == "softplus":
        return np.exp(z) / (1.0 + np.exp(z))
    raise AssertionError(name)


def loss_value(name: str, o: np.ndarray, t: np.ndarray) -> float:
    n = o.shape[0]
    sq = float(np.sum((o - t) ** 2))
    if name == "bce":
        return float(-np.sum(t * np.log(o) + (1 - t) * np.log(1 - o)) / n)
    return {"sse": sq, "half_sse": sq / 2, "mse": sq / n, "half_mse": sq / (2 * n)}[name]


def loss_grad(name: str, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    n = o.shape[0]
    if name == "bce":
        return (-t / o + (1 - t) / (1 - o)) / n
    return {"sse": 2.0, "half_sse": 1.0, "mse": 2.0 / n, "half_mse": 1.0 / n}[name] * (o - t)


class Net:
    """The module chain of the README: Linear k, then its activation unless identity."""

    def __init__(self, layers: list[tuple[int, str]], loss: str, l2: float = 0.0) -> None:
        self.layers, self.loss, self.l2 = layers, loss, l2
        self.mods: list[tuple[str, int, str]] = []
        for k, (_, a) in enumerate(layers, start=1):
            self.mods.append(("linear", k, ""))
            if a != "identity":
                self.mods.append(("act", k, a))

    def forward(self, params: dict, z: np.ndarray, start: int = 0) -> list[np.ndarray]:
        """Z_start … Z_M from Z_start."""
        zs = [z]
        for kind, k, a in self.mods[start:]:
            z = z @ params[f"W{k}"] + params[f"b{k}"] if kind == "linear" else act(a, z)
            zs.append(z)
        return zs

    def l2_term(self, params: dict, n: int) -> float:
        return self.l2 / (2 * n) * sum(float(np.sum(w**2)) for k, w in params.items() if k[0] == "W")

    def error(self, params: dict, x: np.ndarray, t: np.ndarray) -> float:
        return loss_value(self.loss, self.forward(params, x)[-1], t) + self.l2_term(params, len(x))

    def backward(self, params: dict, x: np.ndarray, t: np.ndarray) -> tuple[list, dict, dict]:
        """Z0 … ZM, {m: δm}, {name: ∂E/∂name}."""
        zs = self.forward(params, x)
        n, M = len(x), len(self.mods)
        d = loss_grad(self.loss, zs[M], t)
        deltas, grads = {M: d}, {}
        for m in range(M, 0, -1):
            kind, k, a = self.mods[m - 1]
            if kind == "act":
                d = d * act_grad(a, zs[m - 1])
            else:
                W, b = params[f"W{k}"], params[f"b{k}"]
                grads[f"W{k}"] = zs[m - 1].T @ d + self.l2 / n * W
                grads[f"b{k}"] = np.sum(d) if np.ndim(b) == 0 else np.sum(d, axis=0)
                d = d @ W.T
            if m > 1:
                deltas[m - 1] = d
        return zs, deltas, grads

    def kinks_avoided(self, params: dict, x: np.ndarray) -> bool:
        zs = self.forward(params, x)
        return all(np.min(np.abs(zs[m])) > KINK_MARGIN
                   for m, (kind, _, a) in enumerate(self.mods) if a in ("relu", "leaky_relu"))


def central(f, x: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        keep = x[i]
        x[i] = keep + EPS
        up = f(x)
        x[i] = keep - EPS
        down = f(x)
        x[i] = keep
        g[i] = (up - down) / (2 * EPS)
    return g


def assert_fd(analytic: np.ndarray, numeric: np.ndarray, e: float, what: str) -> None:
    """Central differences at ε = 1e-6 resolve a derivative to about 1e-10·|E|: agree to a relative
    1e-6, or to 1e-8·max(1, |E|) for values too small for a relative comparison."""
    analytic = np.asarray(analytic)
    assert analytic.shape == numeric.shape, what
    diff = np.abs(analytic - numeric)
    atol = 1e-8 * max(1.0, abs(e))
    assert np.all(diff <= 1e-6 * np.abs(numeric) + atol), (what, analytic, numeric)


def random_case(seed: int, layers: list[tuple[int, str]], loss: str, shared: list[bool],
                n: int = 3, inputs: int = 3, l2: float = 0.0) -> tuple[Net, dict, np.ndarray, np.ndarray]:
    """Seeded random parameters and data, redrawn until no relu/leaky_relu pre-activation is
    within KINK_MARGIN of 0, so central differences never straddle a kink."""
    net = Net(layers, loss, l2)
    rng = np.random.default_rng(seed)
    sizes = [inputs] + [u for u, _ in layers]
    for _ in range(1000):
        params: dict[str, np.ndarray] = {}
        for k, (fi, fo) in enumerate(itertools.pairwise(sizes), start=1):
            params[f"W{k}"] = rng.normal(0.0, 0.8, (fi, fo))
            params[f"b{k}"] = np.array(rng.normal(0.0, 0.5)) if shared[k - 1] else rng.normal(0.0, 0.5, fo)
        x = rng.normal(0.0, 1.0, (n, inputs))
        t = rng.uniform(0.05, 0.95, (n, sizes[-1])) if loss == "bce" else rng.normal(0.0, 1.0, (n, sizes[-1]))
        if net.kinks_avoided(params, x):
            return net, params, x, t
    raise AssertionError("no kink-free draw")


def doc(net: Net, params: dict, x: np.ndarray, t: np.ndarray, **training: object) -> dict:
    return {
        "name": "random",
        "network": {"inputs": x.shape[1], "loss": net.loss,
                    "layers": [{"units": u, "activation": a} for u, a in net.layers]},
        "parameters": {k: (float(v) if np.ndim(v) == 0 else v.tolist()) for k, v in params.items()},
        "data": {"inputs": x.tolist(), "targets": t.tolist()},
        "training": {"learning_rate": 0.1, "l2": net.l2, **training},
    }


def check_batch(net: Net, trace: Trace, params: dict, x: np.ndarray, t: np.ndarray,
                epoch: int = 1, batch: int = 1) -> None:
    """Every Z, E, delta and gradient of one batch: exactly against the reference, and the
    deltas and gradients against central differences of the reference E."""
    zs, deltas, grads = net.backward(params, x, t)
    M = len(net.mods)
    for m in range(M + 1):
        np.testing.assert_allclose(trace.step(f"Z{m}", epoch, batch).value, zs[m], **EXACT)
    e = net.error(params, x, t)
    np.testing.assert_allclose(trace.step("E", epoch, batch).value, e, **EXACT)
    for m in range(M, 0, -1):
        got = trace.step(f"delta{m}", epoch, batch).value
        np.testing.assert_allclose(got, deltas[m], **EXACT)
        fixed = net.l2_term(params, len(x))  # E's L2 term does not depend on Z_m
        numeric = central(
            lambda z, m=m, fixed=fixed: loss_value(net.loss, net.forward(params, z, m)[-1], t) + fixed, zs[m]
        )
        assert_fd(got, numeric, e, f"delta{m}")
    for name in params:
        got = trace.step(f"dE/d{name}", epoch, batch).value
        np.testing.assert_allclose(got, grads[name], **EXACT)
        numeric = central(lambda v, name=name: net.error({**params, name: v}, x, t), params[name])
        assert_fd(got, numeric, e, f"dE/d{name}")


CASES = list(itertools.product(ACTS, LOSS_NAMES))


@pytest.mark.parametrize(("activation", "loss"), CASES)
def test_gradients_and_deltas(activation: str, loss: str) -> None:
    """A 3-4-3-2 network, a batch of 3 samples; bce gets a sigmoid output layer (it needs o in (0, 1))."""
    i = CASES.index((activation, loss))
    out = "sigmoid" if loss == "bce" else activation
    layers = [(4, activation), (3, activation), (2, out)]
    shared = [i % 2 == 0, i % 2 == 1, i % 3 == 0]  # shared and per-unit biases in every position
    net, params, x, t = random_case(100 + i, layers, loss, shared)
    trace = run(load_dict(doc(net, params, x, t)))
    assert trace.status == "complete"
    for k, s in enumerate(shared, start=1):
        assert trace.step(f"dE/db{k}").value.shape == (() if s else (layers[k - 1][0],))
    check_batch(net, trace, params, x, t)
    # The user-facing tool agrees, and its numbers are the central differences computed here.
    report = check_gradients(load_dict(doc(net, params, x, t)))
    assert report.ok, [(c.name, c.max_rel) for c in report.checks if not c.ok]
    np.testing.assert_allclose(
        report["dE/dW1"].numeric,
        central(lambda v: net.error({**params, "W1": v}, x, t), params["W1"]), rtol=1e-7, atol=1e-9,
    )


@pytest.mark.parametrize("activation", ACTS)
def test_mixed_hidden_activations_with_l2(activation: str) -> None:
    """Each activation next to a different one, with L2: E holds l2/(2N)·Σ‖W‖², ∂E/∂W gets (l2/N)·W."""
    other = ACTS[(ACTS.index(activation) + 2) % len(ACTS)]
    layers = [(3, activation), (4, other), (2, "identity")]
    net, params, x, t = random_case(7 + ACTS.index(activation), layers, "half_mse", [False, True, False],
                                    n=4, l2=0.7)
    trace = run(load_dict(doc(net, params, x, t)))
    data_term = loss_value("half_mse", net.forward(params, x)[-1], t)
    l2_term = 0.7 / (2 * 4) * sum(float(np.sum(params[f"W{k}"] ** 2)) for k in (1, 2, 3))
    assert l2_term > 0.1  # a real share of E
    np.testing.assert_allclose(trace.step("E").value, data_term + l2_term, **EXACT)
    check_batch(net, trace, params, x, t)


def test_initialised_shared_bias() -> None:
    """``shared_bias = true`` with drawn values: one number per layer, its gradient summed."""
    d = {
        "name": "init", "init": {"method": "uniform", "seed": 3, "low": -1.0, "high": 1.0},
        "network": {"inputs": 2, "loss": "half_sse", "layers": [
            {"units": 3, "activation": "tanh", "shared_bias": True},
            {"units": 2, "activation": "sigmoid"}]},
        "data": {"inputs": [[0.5, -1.0], [1.5, 0.25]], "targets": [[0.2, 0.7], [0.9, 0.1]]},
    }
    trace = run(load_dict(d))
    z1 = trace.step("Z1")
    params = {k: np.array(v) for k, v in z1.inputs.items() if k[0] in "Wb"}
    params |= {k: np.array(v) for k, v in trace.step("Z3").inputs.items() if k[0] in "Wb"}
    assert params["b1"].shape == () and params["b2"].shape == (2,)
    net = Net([(3, "tanh"), (2, "sigmoid")], "half_sse")
    check_batch(net, trace, params, np.array(d["data"]["inputs"]), np.array(d["data"]["targets"]))


# -- whole runs against scikit-learn's SGD rule, written out here --------------------------------

def reference_run(net: Net, params: dict, x: np.ndarray, t: np.ndarray, *, lr: float, epochs: int,
                  batch_size: int | None = None, momentum: float = 0.0, nesterov: bool = False,
                  frozen: tuple[str, ...] = (), shuffle: bool = False, seed: int = 0) -> list[dict]:
    """scikit-learn's rule: v ← μv − η·g; the step is v (or μv − η·g with the new v, Nesterov);
    p ← p + step. Shuffling: each epoch, the sample order is permuted by the next
    ``default_rng(seed).permutation(n)`` (the README's rule). Returns one record per batch."""
    n = len(x)
    bs = min(batch_size or n, n)
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    order_rng = np.random.default_rng(seed)
    idx = np.arange(n)
    records = []
    for epoch in range(1, epochs + 1):
        if shuffle:
            idx = idx[order_rng.permutation(n)]
        losses = []
        for b, start in enumerate(range(0, n, bs), start=1):
            rows = idx[start:start + bs]
            xb, tb = x[rows], t[rows]
            zs, deltas, grads = net.backward(params, xb, tb)
            e = net.error(params, xb, tb)
            losses.append((e, len(rows)))
            new = dict(params)
            for name in params:
                if name in frozen:
                    continue
                velocity[name] = momentum * velocity[name] - lr * grads[name]
                step = momentum * velocity[name] - lr * grads[name] if nesterov else velocity[name]
                new[name] = params[name] + step
            records.append({"epoch": epoch, "batch": b, "x": xb, "t": tb, "params": params, "zs": zs,
                            "E": e, "deltas": deltas, "grads": grads, "new": new})
            params = new
        records.append({"epoch": epoch, "loss": sum(e * size for e, size in losses) / n})
    return records


RUNS = {
    "full batch": {},
    "mini-batches in order": {"batch_size": 2},
    "momentum": {"batch_size": 2, "momentum": 0.9},
    "nesterov": {"batch_size": 3, "momentum": 0.8, "nesterov": True},
    "frozen": {"batch_size": 2, "momentum": 0.5, "frozen": ("b1", "W2")},
    "shuffled": {"batch_size": 2, "shuffle": True, "seed": 11},
    "everything": {"batch_size": 2, "shuffle": True, "seed": 5, "momentum": 0.9, "nesterov": True,
                   "frozen": ("W1",), "l2": 0.2},
}


@pytest.mark.parametrize("config", list(RUNS))
@pytest.mark.parametrize("loss", ["half_sse", "mse", "bce"])
def test_run_matches_reference_sgd(config: str, loss: str) -> None:
    options = dict(RUNS[config])
    l2 = float(options.pop("l2", 0.0))  # type: ignore[arg-type]
    layers = [(3, "tanh"), (2, "sigmoid" if loss == "bce" else "leaky_relu")]
    net, params, x, t = random_case(sum(map(ord, config + loss)), layers, loss, [True, False], n=5, l2=l2)
    epochs, lr = 3, 0.3
    frozen = tuple(options.pop("frozen", ()))  # type: ignore[arg-type]
    d = doc(net, params, x, t, learning_rate=lr, epochs=epochs, frozen=list(frozen), **options)
    trace = run(load_dict(d))
    assert trace.status == "complete"
    expected = reference_run(net, params, x, t, lr=lr, epochs=epochs, frozen=frozen, **options)
    M = len(net.mods)
    for rec in expected:
        e = rec["epoch"]
        if "loss" in rec:
            np.testing.assert_allclose(trace.step("loss", e, 0).value, rec["loss"], **EXACT)
            continue
        b = rec["batch"]
        np.testing.assert_array_equal(trace.step("Z0", e, b).value, rec["x"])  # the same samples
        for m in range(1, M + 1):
            np.testing.assert_allclose(trace.step(f"Z{m}", e, b).value, rec["zs"][m], **EXACT)
            np.testing.assert_allclose(trace.step(f"delta{m}", e, b).value, rec["deltas"][m], **EXACT)
        np.testing.assert_allclose(trace.step("E", e, b).value, rec["E"], **EXACT)
        for name in params:
            np.testing.assert_allclose(trace.step(f"dE/d{name}", e, b).value, rec["grads"][name], **EXACT)
            np.testing.assert_allclose(trace.step(name, e, b).value, rec["new"][name], **EXACT)
            if name in frozen:
                np.testing.assert_array_equal(trace.step(name, e, b).value, params[name])
    # The steps of a batch come in the README's order, and every batch is there.
    batches = sum(1 for r in expected if "batch" in r)
    assert sum(1 for s in trace if s.name == "E") == batches
    names = [s.name for s in trace if (s.epoch, s.batch) == (1, 1)]
    assert names == (["Z0"] + [f"Z{m}" for m in range(1, M + 1)] + ["E"]
                     + [f"delta{m}" for m in range(M, 0, -1)]
                     + ["dE/dW1", "dE/db1", "dE/dW2", "dE/db2", "W1", "b1", "W2", "b2"])


def test_shuffle_permutes_every_epoch() -> None:
    """Shuffled mini-batches hold every sample once per epoch, in an order that changes."""
    net, params, x, t = random_case(3, [(2, "tanh"), (1, "identity")], "half_mse", [False, False], n=7)
    trace = run(load_dict(doc(net, params, x, t, epochs=4, batch_size=3, shuffle=True, seed=1)))
    orders = []
    for e in range(1, 5):
        rows = np.vstack([trace.step("Z0", e, b).value for b in (1, 2, 3)])
        order = [int(np.flatnonzero(np.all(x == r, axis=1))[0]) for r in rows]
        assert sorted(order) == list(range(7))
        orders.append(order)
    assert orders[0] != list(range(7)) and len({tuple(o) for o in orders}) > 1
    # Without shuffle the order is the data's.
    trace = run(load_dict(doc(net, params, x, t, epochs=2, batch_size=3)))
    np.testing.assert_array_equal(trace.step("Z0", 2, 3).value, x[6:])


def test_every_batch_of_a_shuffled_momentum_run_against_central_differences() -> None:
    """Later batches too: the gradients at each batch's own parameters (after earlier updates)."""
    layers = [(4, "relu"), (2, "sigmoid")]
    net, params, x, t = random_case(21, layers, "bce", [False, True], n=5, l2=0.1)
    options = {"batch_size": 2, "momentum": 0.9, "shuffle": True, "seed": 2}
    trace = run(load_dict(doc(net, params, x, t, learning_rate=0.05, epochs=2, **options)))
    for rec in reference_run(net, params, x, t, lr=0.05, epochs=2, **options):
        if "batch" in rec:
            assert net.kinks_avoided(rec["params"], rec["x"])
            check_batch(net, trace, rec["params"], rec["x"], rec["t"], rec["epoch"], rec["batch"])


# -- the gradient check tool -------------------------------------------------------------------

def test_gradcheck_finds_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted bug (a bias gradient counted twice) is caught, and only where it is."""
    net, params, x, t = random_case(5, [(3, "sigmoid"), (2, "identity")], "sse", [False, False])
    scenario = load_dict(doc(net, params, x, t))
    assert check_gradients(scenario).ok
    backward = Linear.backward

    def twice(self: Linear, x: np.ndarray, W: np.ndarray, delta: np.ndarray) -> tuple:
        dx, dW, db = backward(self, x, W, delta)
        return dx, dW, 2 * db

    monkeypatch.setattr(Linear, "backward", twice)
    report = check_gradients(scenario)
    assert not report.ok
    assert sorted(c.name for c in report.checks if not c.ok) == ["dE/db1", "dE/db2"]
    np.testing.assert_allclose(report["dE/db2"].analytic, 2 * report["dE/db2"].numeric, rtol=1e-6)


def test_gradcheck_cli(tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from bpstep.cli import main

    assert main(["gradcheck", "exercise"]) == 0
    out = capsys.readouterr().out
    for name in ("delta4", "delta1", "dE/dW1", "dE/db1", "dE/dW2", "dE/db2"):
        assert name in out
    assert "MISMATCH" not in out
    assert main(["gradcheck", "xor", "--epoch", "2"]) == 0
    capsys.readouterr()
    assert main(["gradcheck", "exercise", "--batch", "2"]) == 2
    err = capsys.readouterr().err
    assert "no batch 2" in err and err.count("\n") == 1
    backward = Linear.backward
    monkeypatch.setattr(Linear, "backward",
                        lambda self, x, W, d: (lambda r: (r[0], r[1] * 1.001, r[2]))(backward(self, x, W, d)))
    assert main(["gradcheck", "exercise"]) == 1
    captured = capsys.readouterr()
    assert "MISMATCH" in captured.out and "dE/dW1" in captured.err and "dE/dW2" in captured.err
