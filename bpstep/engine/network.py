"""Run a scenario's training and record every step into a Trace.

Forward: Z0 is the batch, each Linear and each non-identity activation produces the next Z.
Loss: E. Backward: delta_M … delta_1 (δ_m = ∂E/∂Z_m). Gradient: dE/dW_k, dE/db_k.
Update: W_k, b_k after the optimizer step. After each epoch: loss (and validation_score).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bpstep.engine.activations import get_activation
from bpstep.engine.init import Random, get_initializer, make_rng
from bpstep.engine.layers import ActivationLayer, Linear
from bpstep.engine.losses import Loss, get_loss
from bpstep.engine.optimizers import get_optimizer
from bpstep.engine.perceptron import PerceptronRunner
from bpstep.engine.recorder import Recorder
from bpstep.errors import NumericalError
from bpstep.scenario.model import NetworkSpec, Scenario
from bpstep.trace.step import Step
from bpstep.trace.trace import ModuleInfo, Trace

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Module:
    info: ModuleInfo
    layer: Linear | ActivationLayer


def build_modules(network: NetworkSpec) -> list[Module]:
    """The chain of modules for a network: Linear, then its activation unless identity."""
    modules: list[Module] = []
    fan_in = network.inputs
    for k, spec in enumerate(network.layers, start=1):
        m = len(modules) + 1
        modules.append(
            Module(
                ModuleInfo(m, "linear", k, spec.units, shared_bias=spec.shared_bias),
                Linear(fan_in, spec.units, spec.shared_bias),
            )
        )
        if spec.activation != "identity":
            act = get_activation(spec.activation)
            modules.append(
                Module(
                    ModuleInfo(m + 1, "activation", k, spec.units, activation=spec.activation),
                    ActivationLayer(act),
                )
            )
        fan_in = spec.units
    return modules


def param_names(network: NetworkSpec) -> list[str]:
    return [f"{p}{k}" for k in range(1, len(network.layers) + 1) for p in ("W", "b")]


def param_shapes(network: NetworkSpec) -> dict[str, tuple[int, ...]]:
    if network.kind == "perceptron":
        return {"w": (network.inputs + 1,)}  # w0 is the bias, on a constant input x0 = 1
    shapes: dict[str, tuple[int, ...]] = {}
    fan_in = network.inputs
    for k, spec in enumerate(network.layers, start=1):
        shapes[f"W{k}"] = (fan_in, spec.units)
        shapes[f"b{k}"] = () if spec.shared_bias else (spec.units,)
        fan_in = spec.units
    return shapes


def initial_parameters(scenario: Scenario, rng: Random) -> Params:
    """Draw W1, b1, W2, b2, … in that order, then put in the explicitly given values.

    Drawing every parameter even when some are given keeps the random stream in step with
    scikit-learn's, which draws them all.
    """
    init = scenario.init
    draw = get_initializer(init.method)
    # scikit-learn's Glorot factor is 2 for logistic networks, 6 otherwise.
    sigmoid_net = any(layer.activation == "sigmoid" for layer in scenario.network.layers[:-1])
    factor = 2.0 if init.rng == "sklearn" and sigmoid_net else 6.0
    params: Params = {}
    for name, shape in param_shapes(scenario.network).items():
        k = int(name[1:])
        fan_in = scenario.network.inputs if k == 1 else scenario.network.layers[k - 2].units
        fan_out = scenario.network.layers[k - 1].units
        params[name] = draw(rng, fan_in, fan_out, shape, init, factor)
    for name, value in scenario.parameters.items():
        params[name] = np.array(value, dtype=np.float64)
    return params


def forward(modules: list[Module], params: Params, x: np.ndarray) -> list[np.ndarray]:
    """Z0 … ZM for a batch (no recording): used for validation and test predictions."""
    zs = [x]
    for mod in modules:
        if isinstance(mod.layer, Linear):
            k = mod.info.layer
            zs.append(mod.layer.forward(zs[-1], params[f"W{k}"], params[f"b{k}"]))
        else:
            zs.append(mod.layer.forward(zs[-1]))
    return zs


def r2_score(t: np.ndarray, o: np.ndarray) -> float:
    """R² averaged over outputs (scikit-learn's ``r2_score`` with uniform averaging)."""
    ss_res = np.sum((t - o) ** 2, axis=0)
    ss_tot = np.sum((t - np.mean(t, axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(scores))


def accuracy(t: np.ndarray, o: np.ndarray) -> float:
    return float(np.mean((o >= 0.5) == (t >= 0.5)))


def score(loss: Loss, t: np.ndarray, o: np.ndarray) -> float:
    return r2_score(t, o) if loss.regression else accuracy(t, o)


def estimate_bytes(scenario: Scenario, epochs: int) -> int:
    """Roughly what a full trace of ``epochs`` holds, to refuse before allocating."""
    n = scenario.data.inputs.shape[0]
    bs = min(scenario.training.batch_size or n, n)  # the runner clips a batch_size beyond n
    batches = math.ceil(n / bs)
    sizes = [scenario.network.inputs] + [layer.units for layer in scenario.network.layers]
    acts = sum(bs * u for u in sizes) * 4  # Z and delta, with activations counted twice
    params = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False)) * 3  # grad, new, velocity
    return 8 * (acts + params) * batches * epochs


@dataclass(frozen=True)
class _Data:
    """What training reads and never changes: the training and validation split, batch size."""

    x: np.ndarray
    t: np.ndarray
    x_val: np.ndarray | None
    t_val: np.ndarray | None
    batch_size: int
    frozen: frozenset[str]


@dataclass(frozen=True)
class _State:
    """Everything an epoch starts from: the checkpoint an epoch is recomputed from."""

    params: Params
    velocity: Params
    rng: Random  # never drawn from directly: each epoch draws from a copy
    sample_idx: np.ndarray
    best_score: float = -np.inf
    best_loss: float = np.inf
    best_epoch: int = 0
    best_params: Params | None = None
    bad_epochs: int = 0
    stopped: str = ""


class MLPRunner(Recorder):
    """Computes a multi-layer network's run step by step into ``trace``."""

    def __init__(self, scenario: Scenario, epochs: int | None = None) -> None:
        self.modules = build_modules(scenario.network)
        super().__init__(scenario, epochs, [m.info for m in self.modules])
        self.loss = get_loss(scenario.network.loss)
        tr = scenario.training
        self.optimizer = get_optimizer(tr.optimizer)(tr.learning_rate, tr.momentum, tr.nesterov)

    def _run(self, on_epoch: Callable[[int], None] | None) -> None:
        state = self._start()
        self.trace.set_replay(self._replay)
        for epoch in range(1, self.epochs + 1):
            # The state is never changed in place (the epoch draws from a copy of its random
            # stream), so it is the checkpoint this epoch can be recomputed from.
            self.trace.begin_epoch(epoch, state)
            state = self._epoch(epoch, state)
            self.trace.epochs_run = epoch
            if on_epoch is not None:
                on_epoch(epoch)
            if state.stopped:
                break
        self._end(state)

    def _start(self) -> _State:
        """Initial parameters and the validation split, drawn in scikit-learn's order."""
        sc, tr = self.scenario, self.scenario.training
        rng = make_rng(sc.init.rng, sc.init.seed)
        params = initial_parameters(sc, rng)
        # scikit-learn keeps drawing from the init stream; otherwise shuffles get their own.
        order_rng: Random = rng if sc.init.rng == "sklearn" else np.random.default_rng(tr.seed)
        x, t = sc.data.inputs, sc.data.targets
        x_val = t_val = None
        if tr.validation_fraction > 0:
            n_val = math.ceil(tr.validation_fraction * x.shape[0])
            perm = order_rng.permutation(x.shape[0])
            val, train = perm[:n_val], perm[n_val:]
            x, t, x_val, t_val = x[train], t[train], x[val], t[val]
        self._data = _Data(x, t, x_val, t_val, min(tr.batch_size or x.shape[0], x.shape[0]),
                           frozenset(tr.frozen))
        velocity = {name: self.optimizer.init_state(p) for name, p in params.items()}
        return _State(params, velocity, copy.deepcopy(order_rng), np.arange(x.shape[0]),
                      best_params=params)

    def _replay(self, checkpoint: object, epoch: int, start: int) -> list[Step]:
        """Recompute one epoch's steps from its checkpoint, into a list (not into the trace)."""
        assert isinstance(checkpoint, _State)
        twin = MLPRunner.__new__(MLPRunner)  # same scenario and engine objects, its own sink
        twin.__dict__.update(self.__dict__)
        twin._sink, twin._sink_start = [], start
        try:
            with np.errstate(all="ignore"):
                twin._epoch(epoch, checkpoint)
        except NumericalError:
            pass  # the run diverged in this epoch: the steps up to that point are the epoch
        return twin._sink

    def _epoch(self, epoch: int, state: _State) -> _State:
        sc, tr, data = self.scenario, self.scenario.training, self._data
        x, t, n, bs = data.x, data.t, data.x.shape[0], data.batch_size
        order_rng = copy.deepcopy(state.rng)
        sample_idx = state.sample_idx
        if tr.shuffle:
            if sc.init.rng == "sklearn":
                # sklearn.utils.shuffle: RandomState.shuffle of arange(n), then index.
                perm = np.arange(n)
                order_rng.shuffle(perm)
            else:
                perm = order_rng.permutation(n)
            sample_idx = sample_idx[perm]
        params, velocity = state.params, state.velocity
        losses, sizes = [], []
        for b, start in enumerate(range(0, n, bs), start=1):
            idx = sample_idx[start : start + bs]
            e, params, velocity = self._batch(epoch, b, x[idx], t[idx], params, velocity, data.frozen)
            losses.append(e)
            sizes.append(len(idx))
        epoch_loss = float(np.dot(losses, sizes) / n)
        self._emit(
            epoch=epoch, batch=0, phase="epoch", name="loss", value=epoch_loss, op="epoch_loss",
            inputs={"batch_losses": np.array(losses), "batch_sizes": np.array(sizes, float)},
        )
        best_score, best_loss, best_epoch = state.best_score, state.best_loss, state.best_epoch
        best_params, bad_epochs, stopped = state.best_params, state.bad_epochs, ""
        val_score = -np.inf
        if data.x_val is not None:
            val_score = score(self.loss, data.t_val, forward(self.modules, params, data.x_val)[-1])
            self._emit(
                epoch=epoch, batch=0, phase="epoch", name="validation_score",
                value=val_score, op="r2" if self.loss.regression else "accuracy",
            )
        if tr.patience is not None:
            # scikit-learn's rule: an epoch that does not beat the best by tol is a bad one;
            # more than `patience` bad epochs in a row stop the run.
            if tr.early_stopping and data.x_val is not None:
                bad_epochs = bad_epochs + 1 if val_score < best_score + tr.tol else 0
                if val_score > best_score:
                    best_score, best_epoch, best_params = val_score, epoch, params
                what = "Validation score"
            else:
                bad_epochs = bad_epochs + 1 if epoch_loss > best_loss - tr.tol else 0
                best_loss = min(best_loss, epoch_loss)
                what = "Training loss"
            if bad_epochs > tr.patience:
                stopped = (
                    f"{what} did not improve more than tol={tr.tol:f} for {tr.patience} "
                    f"consecutive epochs. Stopping."
                )
        return _State(params, velocity, order_rng, sample_idx, best_score, best_loss, best_epoch,
                      best_params, bad_epochs, stopped)

    def _end(self, state: _State) -> None:
        tr, data, params = self.scenario.training, self._data, state.params
        if tr.early_stopping and data.x_val is not None and state.best_epoch:
            params = state.best_params
            self._emit(
                epoch=0, batch=0, phase="end", name="best_epoch", value=float(state.best_epoch),
                op="restore", inputs={"best_validation_score": state.best_score},
                note=f"parameters restored from epoch {state.best_epoch} "
                f"(best validation score {state.best_score:.6f})",
            )
        if self.scenario.data.test_inputs is not None and len(self.scenario.data.test_inputs):
            self._evaluate(params)
        self.trace.finish("stopped" if state.stopped else "complete", state.stopped)

    def _evaluate(self, params: Params) -> None:
        xt, tt = self.scenario.data.test_inputs, self.scenario.data.test_targets
        assert xt is not None and tt is not None
        o = forward(self.modules, params, xt)[-1]
        # The true targets first, so a prediction can be read beside its target.
        self._emit(epoch=0, batch=0, phase="evaluate", name="test_targets", value=tt, op="targets")
        self._emit(
            epoch=0, batch=0, phase="evaluate", name="test_predictions", value=o, op="predict",
            inputs={"T": tt},
        )
        if self.loss.regression:
            self._emit(
                epoch=0, batch=0, phase="evaluate", name="test_mse",
                value=float(np.mean((tt - o) ** 2)), op="test_mse", inputs={"o": o, "T": tt},
            )
        else:
            self._emit(
                epoch=0, batch=0, phase="evaluate", name="test_accuracy", value=accuracy(tt, o),
                op="accuracy", inputs={"o": o, "T": tt},
            )

    def _batch(
        self,
        epoch: int,
        b: int,
        x: np.ndarray,
        t: np.ndarray,
        params: Params,
        velocity: Params,
        frozen: set[str],
    ) -> tuple[float, Params, Params]:
        emit = self._emit
        where = {"epoch": epoch, "batch": b}
        n = x.shape[0]
        # forward
        zs = [x]
        emit(**where, phase="forward", name="Z0", value=x, op="input", inputs={"T": t})
        for mod in self.modules:
            m, k, prev = mod.info.index, mod.info.layer, zs[-1]
            if isinstance(mod.layer, Linear):
                W, bias = params[f"W{k}"], params[f"b{k}"]
                z = mod.layer.forward(prev, W, bias)
                inputs = {f"Z{m - 1}": prev, f"W{k}": W, f"b{k}": bias}
                op = "linear"
            else:
                z = mod.layer.forward(prev)
                inputs = {f"Z{m - 1}": prev}
                op = "activation"
            zs.append(z)
            emit(**where, phase="forward", name=f"Z{m}", value=z, op=op, inputs=inputs,
                 layer=k, module=m)
        # loss, with the L2 penalty l2/(2N)·Σ‖W‖² over weight matrices
        M = len(self.modules)
        o = zs[-1]
        l2 = self.scenario.training.l2
        weights = {name: p for name, p in params.items() if name.startswith("W")}
        e_data = self.loss.value(o, t)
        e_l2 = l2 / (2 * n) * sum(float(np.sum(w * w)) for w in weights.values()) if l2 else 0.0
        loss_inputs = {f"Z{M}": o, "T": t}
        if l2:
            loss_inputs |= {"data_term": e_data, "l2_term": e_l2}
        e = emit(**where, phase="loss", name="E", value=e_data + e_l2, op="loss",
                 inputs=loss_inputs, module=M)
        # backward
        delta = self.loss.grad(o, t)
        emit(**where, phase="backward", name=f"delta{M}", value=delta, op="loss_grad",
             inputs={f"Z{M}": o, "T": t}, module=M, layer=self.modules[-1].info.layer)
        grads: Params = {}
        grad_inputs: dict[str, dict[str, np.ndarray]] = {}
        for mod in reversed(self.modules):
            m, k = mod.info.index, mod.info.layer
            if isinstance(mod.layer, Linear):
                W = params[f"W{k}"]
                d_in, dW, db = mod.layer.backward(zs[m - 1], W, delta)
                gi = {f"Z{m - 1}": zs[m - 1], f"delta{m}": delta}
                if l2:
                    dW = dW + (l2 / n) * W
                    gi[f"W{k}"] = W
                grads[f"W{k}"], grads[f"b{k}"] = dW, db
                grad_inputs[f"W{k}"], grad_inputs[f"b{k}"] = gi, {f"delta{m}": delta}
                if m > 1:
                    emit(**where, phase="backward", name=f"delta{m - 1}", value=d_in,
                         op="linear_grad_input", inputs={f"delta{m}": delta, f"W{k}": W},
                         module=m - 1, layer=self.modules[m - 2].info.layer)
            else:
                d_in = mod.layer.backward(zs[m - 1], zs[m], delta)
                emit(**where, phase="backward", name=f"delta{m - 1}", value=d_in,
                     op="activation_grad",
                     inputs={f"delta{m}": delta, f"Z{m - 1}": zs[m - 1], f"Z{m}": zs[m]},
                     module=m - 1, layer=k)
            delta = d_in
        order = list(params)  # W1, b1, W2, b2, ...
        for name in order:
            emit(**where, phase="gradient", name=f"dE/d{name}", value=grads[name],
                 op=f"grad_{name[0]}", inputs=grad_inputs[name], layer=int(name[1:]))
        # update
        new_params, new_velocity = dict(params), dict(velocity)
        for name in order:
            before = params[name]
            if name in frozen:
                emit(**where, phase="update", name=name, value=before, op="frozen",
                     inputs={name: before, f"dE/d{name}": grads[name]}, layer=int(name[1:]),
                     note="frozen: kept at its initial value")
                continue
            new, update, v = self.optimizer.step(before, grads[name], velocity[name])
            new_params[name], new_velocity[name] = new, v
            emit(**where, phase="update", name=name, value=new, op="update",
                 inputs={name: before, f"dE/d{name}": grads[name], "update": update,
                         "velocity": velocity[name]},
                 layer=int(name[1:]))
        return float(e.value), new_params, new_velocity


def Runner(scenario: Scenario, epochs: int | None = None) -> Recorder:  # noqa: N802 (a class-like factory)
    """The runner for a scenario's model kind; ``Runner(sc).run()`` fills ``.trace``."""
    if scenario.network.kind == "perceptron":
        return PerceptronRunner(scenario, epochs)
    return MLPRunner(scenario, epochs)


def run(scenario: Scenario, epochs: int | None = None) -> Trace:
    """Trace a scenario's whole run (``epochs`` overrides the scenario's)."""
    return Runner(scenario, epochs).run()

