"""Run a scenario's training and record every step into a Trace.

Forward: Z0 is the batch, each Linear and each non-identity activation produces the next Z.
Loss: E. Backward: delta_M … delta_1 (δ_m = ∂E/∂Z_m). Gradient: dE/dW_k, dE/db_k.
Update: W_k, b_k after the optimizer step. After each epoch: loss (and validation_score).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bpstep import names
from bpstep.engine import classify
from bpstep.engine.activations import get_activation
from bpstep.engine.init import RngState, get_initializer, make_rng, rng_from_state, rng_state
from bpstep.engine.layers import ActivationLayer, Linear
from bpstep.engine.losses import Loss, get_loss
from bpstep.engine.optimizers import from_training
from bpstep.engine.perceptron import PerceptronRunner
from bpstep.engine.recorder import Recorder, blas_threads
from bpstep.errors import NumericalError
from bpstep.names import OpId, grad_op
from bpstep.shapes import ModuleInfo, module_infos, segment_batches
from bpstep.shapes import estimate_bytes as estimate_bytes  # re-exported: the loader's rules too
from bpstep.shapes import param_shapes as param_shapes
from bpstep.tracing.store import BatchTemplate, Segment, StepSpec
from bpstep.tracing.trace import Trace

if TYPE_CHECKING:
    from bpstep.engine.init import Random
    from bpstep.scenario.model import NetworkSpec, Scenario

Params = dict[str, "np.ndarray"]


@dataclass(frozen=True)
class Module:
    info: ModuleInfo
    layer: Linear | ActivationLayer


def build_modules(network: NetworkSpec) -> list[Module]:
    """The chain of modules for a network (``bpstep.shapes.module_infos``), each with its layer."""
    modules: list[Module] = []
    fan_in = network.inputs
    for info in module_infos(network):
        if info.kind == "linear":
            modules.append(Module(info, Linear(fan_in, info.units, info.shared_bias)))
            fan_in = info.units
        else:
            modules.append(Module(info, ActivationLayer(get_activation(info.activation))))
    return modules


def param_names(network: NetworkSpec) -> list[str]:
    return [f"{p}{k}" for k in range(1, len(network.layers) + 1) for p in ("W", "b")]


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
        k = names.parse(name).number
        fan_in = scenario.network.inputs if k == 1 else scenario.network.layers[k - 2].units
        fan_out = scenario.network.layers[k - 1].units
        params[name] = draw(rng, fan_in, fan_out, shape, init, factor)
    for name, value in scenario.parameters.items():
        params[name] = np.array(value, dtype=np.float64)
    return params


def forward(modules: list[Module], params: Params, x: np.ndarray, start: int = 0) -> list[np.ndarray]:
    """Z_start … Z_M: the forward pass of modules start+1 … M from ``x`` = Z_start (no
    recording). The one forward pass: the runner records its values, validation and test
    predictions read the last, gradcheck re-runs it from any module."""
    zs = [x]
    for mod in modules[start:]:
        if isinstance(mod.layer, Linear):
            k = mod.info.layer
            zs.append(mod.layer.forward(zs[-1], params[names.weight(k)], params[names.bias(k)]))
        else:
            zs.append(mod.layer.forward(zs[-1]))
    return zs


def l2_term(l2: float, n: int, weights: Iterable[np.ndarray]) -> float:
    """The L2 penalty l2/(2N)·Σ‖W‖² over the weight matrices (biases are not penalised), as
    scikit-learn adds it to a batch of N samples' loss."""
    return l2 / (2 * n) * sum(float((w * w).sum()) for w in weights)


def r2_score(t: np.ndarray, o: np.ndarray) -> float:
    """R² averaged over outputs (scikit-learn's ``r2_score`` with uniform averaging)."""
    ss_res = np.sum((t - o) ** 2, axis=0)
    ss_tot = np.sum((t - np.mean(t, axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(scores))


accuracy = classify.accuracy  # one output thresholded at 0.5, several by their arg max


def score(loss: Loss, t: np.ndarray, o: np.ndarray) -> float:
    return r2_score(t, o) if loss.regression else accuracy(t, o)


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
    rng: RngState  # the random stream's state: each epoch draws from a generator made from it
    sample_idx: np.ndarray
    best_score: float = -math.inf
    best_loss: float = math.inf
    best_epoch: int = 0
    best_params: Params | None = None
    bad_epochs: int = 0
    stopped: str = ""


@dataclass(frozen=True)
class _Checkpoint:
    """What a segment of an epoch (batches ``batch`` … ``batch + K − 1``) is recomputed from."""

    start: _State  # the epoch's starting state: early stopping's bests, the next epoch's stream
    batch: int  # the segment's first batch (1-based)
    params: Params
    velocity: Params  # the optimizer's state per parameter (velocities, Adam's moments)
    sample_idx: np.ndarray  # this epoch's sample order
    rng: RngState  # the random stream after this epoch's shuffle
    losses: tuple[float, ...] = ()  # the epoch's batch losses so far, for its loss
    sizes: tuple[int, ...] = ()


class MLPRunner(Recorder):
    """Computes a multi-layer network's run step by step into ``trace``."""

    def __init__(self, scenario: Scenario, epochs: int | None = None, trace: Trace | None = None) -> None:
        self.modules = build_modules(scenario.network)
        super().__init__(scenario, epochs, [m.info for m in self.modules], trace)
        self.loss = get_loss(scenario.network.loss)
        tr = scenario.training
        self.optimizer = from_training(tr)
        # Per module: its output's name, its input's name, and W/b for a Linear.
        self._names = [
            (names.z(m.info.index), names.z(m.info.index - 1),
             names.weight(m.info.layer) if m.info.kind == "linear" else "",
             names.bias(m.info.layer) if m.info.kind == "linear" else "")
            for m in self.modules
        ]
        self._order = list(param_shapes(scenario.network))  # W1, b1, W2, b2, …
        self._weights = [name for name in self._order if names.parse(name).kind == "weight"]
        # Per parameter, the record's keys: its gradient, new value, update and optimizer state.
        self._param_keys = [(name, names.grad(name), f"{name}'", f"update {name}", f" {name}")
                            for name in self._order]
        self._template = batch_template(self.modules, bool(tr.l2), frozenset(tr.frozen),
                                        self.optimizer.state_inputs, self.loss.name)

    def _run(self, on_epoch: Callable[[int], None] | None) -> None:
        state = self._start()
        self.trace.set_replay(self._replay)
        batches, k = self._batches_per_epoch, self._segment_batches
        for epoch in range(1, self.epochs + 1):
            # Checkpoints are never changed in place (an epoch draws from a copy of its random
            # stream, a batch makes new arrays), so each is what its segment is recomputed from:
            # the batches from ``ck.batch`` on, K at a time, the epoch's own steps with the last.
            ck = self._epoch_begin(epoch, state)
            while ck.batch <= batches:
                self.trace.begin_epoch(epoch, ck, ck.batch)
                ck = self._batches(epoch, ck, min(ck.batch + k, batches + 1))
                if ck.batch <= batches:  # inside the epoch: progress for the debugger
                    self.trace.segment_done(epoch, ck.batch - 1)
            state = self._epoch_end(epoch, ck)
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
            if sc.init.rng == "sklearn" and sc.data.classes and classify.can_stratify(t, n_val):
                # MLPClassifier stratifies a binary problem's split (train_test_split(stratify=y)).
                train, val = classify.stratified_split(order_rng, t[:, 0], n_val)
            else:
                perm = order_rng.permutation(x.shape[0])
                val, train = perm[:n_val], perm[n_val:]
            x, t, x_val, t_val = x[train], t[train], x[val], t[val]
        self._data = _Data(x, t, x_val, t_val, min(tr.batch_size or x.shape[0], x.shape[0]),
                           frozenset(tr.frozen))
        self._batches_per_epoch = -(-x.shape[0] // self._data.batch_size)
        self.trace.batches_per_epoch = self._batches_per_epoch
        self._segment_batches = segment_batches(sc, self.trace.max_resident_bytes,
                                                self.trace.max_resident_steps)
        velocity = {name: self.optimizer.init_state(p) for name, p in params.items()}
        return _State(params, velocity, rng_state(order_rng), np.arange(x.shape[0]),
                      best_params=params)

    def _replay(self, checkpoint: object, epoch: int, start: int) -> Segment:
        """Recompute one segment's steps from its checkpoint, into a segment of its own."""
        assert isinstance(checkpoint, _Checkpoint)
        twin = MLPRunner.__new__(MLPRunner)  # same scenario and engine objects, its own sink
        twin.__dict__.update(self.__dict__)
        twin._sink = Segment(epoch, start, checkpoint)
        stop = min(checkpoint.batch + self._segment_batches, self._batches_per_epoch + 1)
        try:
            with twin._numerics(), blas_threads():
                end = twin._batches(epoch, checkpoint, stop)
                if stop > self._batches_per_epoch:
                    twin._epoch_end(epoch, end)
        except NumericalError:
            pass  # the run diverged in this segment: the steps up to that point are the segment
        return twin._sink

    def _epoch_begin(self, epoch: int, state: _State) -> _Checkpoint:
        """The checkpoint of an epoch's first batch: this epoch's sample order drawn."""
        sc, tr, n = self.scenario, self.scenario.training, self._data.x.shape[0]
        order_rng = rng_from_state(state.rng)
        sample_idx = state.sample_idx
        if tr.shuffle:
            if sc.init.rng == "sklearn":
                # sklearn.utils.shuffle: RandomState.shuffle of arange(n), then index.
                perm = np.arange(n)
                order_rng.shuffle(perm)
            else:
                perm = order_rng.permutation(n)
            sample_idx = sample_idx[perm]
        return _Checkpoint(state, 1, state.params, state.velocity, sample_idx, rng_state(order_rng))

    def _batches(self, epoch: int, ck: _Checkpoint, stop: int) -> _Checkpoint:
        """Batches ``ck.batch`` … ``stop − 1`` of ``epoch``; the checkpoint of batch ``stop``."""
        data = self._data
        x, t, bs = data.x, data.t, data.batch_size
        params, velocity = ck.params, ck.velocity
        losses, sizes = list(ck.losses), list(ck.sizes)
        for b in range(ck.batch, stop):
            idx = ck.sample_idx[(b - 1) * bs : b * bs]
            e, params, velocity = self._batch(epoch, b, x[idx], t[idx], params, velocity, data.frozen)
            losses.append(e)
            sizes.append(len(idx))
        return _Checkpoint(ck.start, stop, params, velocity, ck.sample_idx, ck.rng, tuple(losses),
                           tuple(sizes))

    def _epoch_end(self, epoch: int, ck: _Checkpoint) -> _State:
        """The epoch's loss, validation score and early-stopping rule, after its last batch."""
        tr, data, state = self.scenario.training, self._data, ck.start
        n, params, losses, sizes = data.x.shape[0], ck.params, list(ck.losses), list(ck.sizes)
        epoch_loss = float(np.dot(losses, sizes) / n)
        self._emit(
            epoch=epoch, batch=0, phase="epoch", name="loss", value=epoch_loss, op=OpId.EPOCH_LOSS,
            inputs={"batch_losses": np.array(losses), "batch_sizes": np.array(sizes, float)},
        )
        best_score, best_loss, best_epoch = state.best_score, state.best_loss, state.best_epoch
        best_params, bad_epochs, stopped = state.best_params, state.bad_epochs, ""
        val_score = -np.inf
        if data.x_val is not None:
            val_score = score(self.loss, data.t_val, forward(self.modules, params, data.x_val)[-1])
            self._emit(
                epoch=epoch, batch=0, phase="epoch", name="validation_score",
                value=val_score, op=OpId.R2 if self.loss.regression else OpId.ACCURACY,
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
        return _State(params, ck.velocity, ck.rng, ck.sample_idx, best_score, best_loss, best_epoch,
                      best_params, bad_epochs, stopped)

    def _end(self, state: _State) -> None:
        tr, data, params = self.scenario.training, self._data, state.params
        if tr.early_stopping and data.x_val is not None and state.best_epoch:
            params = state.best_params
            self._emit(
                epoch=0, batch=0, phase="end", name="best_epoch", value=float(state.best_epoch),
                op=OpId.RESTORE, inputs={"best_validation_score": state.best_score},
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
        self._emit(epoch=0, batch=0, phase="evaluate", name="test_targets", value=tt, op=OpId.TARGETS)
        self._emit(
            epoch=0, batch=0, phase="evaluate", name="test_predictions", value=o, op=OpId.PREDICT,
            inputs={"T": tt},
        )
        if self.loss.regression:
            self._emit(
                epoch=0, batch=0, phase="evaluate", name="test_mse",
                value=float(np.mean((tt - o) ** 2)), op=OpId.TEST_MSE, inputs={"o": o, "T": tt},
            )
        else:
            self._emit(
                epoch=0, batch=0, phase="evaluate", name="test_accuracy", value=accuracy(tt, o),
                op=OpId.ACCURACY, inputs={"o": o, "T": tt},
            )

    def _batch(
        self,
        epoch: int,
        b: int,
        x: np.ndarray,
        t: np.ndarray,
        params: Params,
        velocity: Params,
        frozen: frozenset[str],
    ) -> tuple[float, Params, Params]:
        """Compute one batch and record it whole: the arrays under the names the template reads."""
        rec: dict[str, np.ndarray] = {"Z0": x, "T": t}
        rec.update(params)
        n = x.shape[0]
        # forward
        zs = forward(self.modules, params, x)
        for (name, *_), z in zip(self._names, zs[1:], strict=True):
            rec[name] = z
        # loss, with the L2 penalty l2/(2N)·Σ‖W‖² over weight matrices
        o = z
        l2 = self.scenario.training.l2
        e_data = self.loss.value(o, t)
        e = e_data
        if l2:
            e_l2 = l2_term(l2, n, (params[w] for w in self._weights))
            rec["data_term"], rec["l2_term"] = np.array(e_data), np.array(e_l2)
            e = e_data + e_l2
        rec["E"] = np.array(e)
        # backward
        delta = self.loss.grad(o, t)
        rec[names.delta(len(self.modules))] = delta
        grads: Params = {}
        for mod, (name, prev, w_name, b_name) in zip(
            reversed(self.modules), reversed(self._names), strict=True
        ):
            m = mod.info.index
            if w_name:
                W = params[w_name]
                d_in, dW, db = mod.layer.backward(rec[prev], W, delta)  # type: ignore[call-arg]
                if l2:
                    dW = dW + (l2 / n) * W
                grads[w_name], grads[b_name] = dW, db
            elif not mod.info.elementwise:  # softmax: the Jacobian route, and the fused one
                d_in, rec[f"J{m}"], fused = classify.softmax_backward(
                    rec[name], t, delta, self.loss.name == "cross_entropy")
                if fused is not None:
                    rec[f"fused{m}"] = fused
            else:
                d_in = mod.layer.backward(rec[prev], rec[name], delta)  # type: ignore[call-arg]
            if m > 1:
                rec[names.delta(m - 1)] = d_in
            delta = d_in
        # gradients and updates
        new_params, new_velocity = dict(params), dict(velocity)
        step, state_inputs = self.optimizer.step, self.optimizer.inputs
        for name, grad_key, new_key, update_key, suffix in self._param_keys:
            g = grads[name]
            rec[grad_key] = g
            if name in frozen:
                continue
            new, update, v = step(params[name], g, velocity[name])
            new_params[name], new_velocity[name] = new, v
            rec[new_key], rec[update_key] = new, update
            for key, value in state_inputs(velocity[name], v).items():
                rec[key + suffix] = value
        self._record_batch(epoch, b, self._template, rec, n)
        return e, new_params, new_velocity


def batch_template(modules: list[Module], l2: bool, frozen: frozenset[str],
                   optimizer_inputs: tuple[str, ...] = ("velocity",), loss: str = "") -> BatchTemplate:
    """The steps of every batch, in the trace's order, and which record entries they read
    (``optimizer_inputs``: what the optimizer shows at each update, ``Optimizer.state_inputs``)."""
    specs: list[StepSpec] = [StepSpec("forward", "Z0", OpId.INPUT, "Z0", (("T", "T"),))]
    for mod in modules:
        m, k = mod.info.index, mod.info.layer
        if mod.info.kind == "linear":
            inputs: tuple[tuple[str, str], ...] = ((names.z(m - 1),) * 2, (names.weight(k),) * 2,
                                                   (names.bias(k),) * 2)
            specs.append(StepSpec("forward", names.z(m), OpId.LINEAR, names.z(m), inputs, k, m))
        else:
            op = OpId.ACTIVATION if mod.info.elementwise else OpId.SOFTMAX
            specs.append(StepSpec("forward", names.z(m), op, names.z(m), ((names.z(m - 1),) * 2,), k, m))
    M = len(modules)
    loss_inputs = ((names.z(M),) * 2, ("T", "T")) + ((("data_term",) * 2, ("l2_term",) * 2) if l2 else ())
    specs.append(StepSpec("loss", "E", OpId.LOSS, "E", loss_inputs, 0, M))
    specs.append(StepSpec("backward", names.delta(M), OpId.LOSS_GRAD, names.delta(M),
                          ((names.z(M),) * 2, ("T", "T")), modules[-1].info.layer, M))
    for mod in reversed(modules):
        m, k = mod.info.index, mod.info.layer
        if m == 1:
            continue
        if mod.info.kind == "linear":
            specs.append(StepSpec("backward", names.delta(m - 1), OpId.LINEAR_GRAD_INPUT, names.delta(m - 1),
                                  ((names.delta(m),) * 2, (names.weight(k),) * 2),
                                  modules[m - 2].info.layer, m - 1))
        elif not mod.info.elementwise:  # softmax: δ J with the Jacobians (and the fused route)
            fused = (("fused", f"fused{m}"),) if loss == "cross_entropy" else ()
            specs.append(StepSpec("backward", names.delta(m - 1), OpId.SOFTMAX_GRAD, names.delta(m - 1),
                                  ((names.delta(m),) * 2, (names.z(m - 1),) * 2, (names.z(m),) * 2,
                                   ("J", f"J{m}"), *fused), k, m - 1))
        else:
            specs.append(StepSpec("backward", names.delta(m - 1), OpId.ACTIVATION_GRAD, names.delta(m - 1),
                                  ((names.delta(m),) * 2, (names.z(m - 1),) * 2, (names.z(m),) * 2),
                                  k, m - 1))
    linear = {mod.info.layer: mod.info.index for mod in modules if mod.info.kind == "linear"}
    order = [f"{p}{k}" for k in sorted(linear) for p in "Wb"]
    for name in order:
        k = names.parse(name).number
        m = linear[k]
        if name[0] == "W":
            inputs = ((names.z(m - 1),) * 2, (names.delta(m),) * 2) + (((name,) * 2,) if l2 else ())
        else:
            inputs = ((names.delta(m),) * 2,)
        specs.append(StepSpec("gradient", names.grad(name), grad_op(name), names.grad(name), inputs, k))
    for name in order:
        k = names.parse(name).number
        if name in frozen:
            specs.append(StepSpec("update", name, OpId.FROZEN, name,
                                  ((name, name), (names.grad(name),) * 2), k,
                                  note="frozen: kept at its initial value"))
        else:
            specs.append(StepSpec("update", name, OpId.UPDATE, f"{name}'",
                                  ((name, name), (names.grad(name),) * 2, ("update", f"update {name}"),
                                   *((key, f"{key} {name}") for key in optimizer_inputs)), k))
    return BatchTemplate(tuple(specs))


def Runner(scenario: Scenario, epochs: int | None = None,  # noqa: N802 (a class-like factory)
           trace: Trace | None = None) -> Recorder:
    """The runner for a scenario's model kind; ``Runner(sc).run()`` fills ``.trace`` (``trace``
    when given: an empty ``Trace.for_run(sc, epochs)``)."""
    if scenario.graph is not None:  # a computational graph: no network
        from bpstep.engine.graph_runner import GraphRunner
        return GraphRunner(scenario, epochs, trace)
    if scenario.network.kind == "perceptron":
        return PerceptronRunner(scenario, epochs, trace=trace)
    return MLPRunner(scenario, epochs, trace)


def run(scenario: Scenario, epochs: int | None = None) -> Trace:
    """Trace a scenario's whole run (``epochs`` overrides the scenario's)."""
    return Runner(scenario, epochs).run()

