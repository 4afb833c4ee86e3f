"""The Perceptron (``[network] kind = "perceptron"``): the tutorial's learning rule, one sample at a
time, recorded into a Trace like the network runner's.

Conventions:

- Labels are −1 and +1 (``data.targets`` is one column of them).
- The bias is the weight ``w0`` of a constant input ``x0 = 1``, so ``w = (w0, w1, …, wn)`` has
  ``inputs + 1`` entries and ``z = wᵀx`` includes the bias.
- ``ŷ = sign(z)`` with the mathematical sign: ``sign(0) = 0``. A sample on the boundary is
  neither class, so it counts as a mistake and gets half a step, which keeps a run that starts
  from w = 0 moving.
- The rule: ``w := w + η(y − ŷ)x``; a correctly classified sample (``y − ŷ = 0``) changes nothing.

Steps for each sample (the trace's ``batch`` is the sample's position in the epoch):
``x`` (forward: the input with x0 = 1), ``z`` (forward: wᵀx), ``y_hat`` (forward: sign(z)),
``error`` (loss: y − ŷ), ``w`` (update). After each epoch: ``mistakes`` (how many samples it
misclassified) and ``loss`` (the tutorial's criterion E_perc = −Σ_miss y·wᵀx, each term with the
weights that sample saw). After training: ``converged_epoch`` (the first epoch without a
mistake; 0 if none), and with a test split ``test_targets``, ``test_predictions``,
``test_accuracy``.

An epoch without mistakes ends the run (status ``stopped``, the convergence in ``message``).
Without shuffling, weights that repeat at the start of an epoch prove the run cycles forever;
by the perceptron convergence theorem the data are then not linearly separable, and the message
says so.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bpstep.engine.init import get_initializer, make_rng
from bpstep.engine.recorder import Recorder
from bpstep.format import array
from bpstep.names import OpId
from bpstep.shapes import PERCEPTRON_PARAMETER as PARAMETER  # the shape rules: the loader's too
from bpstep.shapes import perceptron_weight_count as weight_count


def sign(z: float) -> float:
    return float(np.sign(z))


class PerceptronRunner(Recorder):
    """Computes a perceptron scenario's run sample by sample into ``trace``."""

    def initial_weights(self) -> np.ndarray:
        sc = self.scenario
        if PARAMETER in sc.parameters:
            return np.array(sc.parameters[PARAMETER], dtype=np.float64)
        d = weight_count(sc.network.inputs)
        draw = get_initializer(sc.init.method)
        return draw(make_rng(sc.init.rng, sc.init.seed), d, 1, (d,), sc.init, 6.0)

    def _run(self, on_epoch: Callable[[int], None] | None) -> None:
        sc, tr = self.scenario, self.scenario.training
        eta = tr.learning_rate
        x_all = np.hstack([np.ones((sc.data.inputs.shape[0], 1)), sc.data.inputs])  # x0 = 1
        y_all = sc.data.targets[:, 0]
        n = x_all.shape[0]
        w = self.initial_weights()
        order_rng = np.random.default_rng(tr.seed)
        # Weights at the start of each epoch: a repeat (in a fixed sample order) is a cycle.
        starts: dict[bytes, int] = {}
        cycle: tuple[int, int] | None = None
        converged = 0
        last_change = 0
        for epoch in range(1, self.epochs + 1):
            if not tr.shuffle and cycle is None:
                key = w.tobytes()
                if key in starts:
                    cycle = (starts[key], epoch)
                starts.setdefault(key, epoch)
            order = order_rng.permutation(n) if tr.shuffle else np.arange(n)
            missed_y, missed_z = [], []
            for b, i in enumerate(order, start=1):
                where = {"epoch": epoch, "batch": b}
                x, y = x_all[i], float(y_all[i])
                self._emit(**where, phase="forward", name="x", value=x, op=OpId.PERCEPTRON_INPUT,
                           inputs={"y": y}, note=f"sample {i + 1} of the data, with x0 = 1 and label "
                                                 f"y = {y:+g}")
                z = float(np.dot(w, x))
                self._emit(**where, phase="forward", name="z", value=z, op=OpId.PERCEPTRON_Z,
                           inputs={"w": w, "x": x})
                y_hat = sign(z)
                self._emit(**where, phase="forward", name="y_hat", value=y_hat, op=OpId.SIGN,
                           inputs={"z": z})
                error = y - y_hat
                self._emit(**where, phase="loss", name="error", value=error, op=OpId.PERCEPTRON_ERROR,
                           inputs={"y": y, "y_hat": y_hat})
                new = w + eta * error * x
                self._emit(**where, phase="update", name=PARAMETER, value=new, op=OpId.PERCEPTRON_UPDATE,
                           inputs={"w": w, "x": x, "error": error},
                           note="" if error else "classified correctly: w does not change")
                if error:
                    missed_y.append(y)
                    missed_z.append(z)
                    last_change = epoch
                w = new
            mistakes = len(missed_y)
            self._emit(epoch=epoch, batch=0, phase="epoch", name="mistakes", value=float(mistakes),
                       op=OpId.PERCEPTRON_MISTAKES, inputs={"samples": float(n)})
            criterion = -float(np.dot(missed_y, missed_z)) if mistakes else 0.0
            self._emit(epoch=epoch, batch=0, phase="epoch", name="loss", value=criterion,
                       op=OpId.PERCEPTRON_CRITERION,
                       inputs={"y": np.array(missed_y), "z": np.array(missed_z)})
            self.trace.epochs_run = epoch
            if on_epoch is not None:
                on_epoch(epoch)
            if mistakes == 0:
                converged = epoch
                break
        message = self._ending(converged, last_change, cycle, n, w)
        self._emit(epoch=0, batch=0, phase="end", name="converged_epoch", value=float(converged),
                   op=OpId.PERCEPTRON_CONVERGED, inputs={"w": w}, note=message)
        tt = sc.data.test_targets
        if sc.data.test_inputs is not None and tt is not None and len(tt):
            xt = np.hstack([np.ones((tt.shape[0], 1)), sc.data.test_inputs])
            pred = np.sign(xt @ w)[:, None]
            self._emit(epoch=0, batch=0, phase="evaluate", name="test_targets", value=tt,
                       op=OpId.TARGETS)
            self._emit(epoch=0, batch=0, phase="evaluate", name="test_predictions", value=pred,
                       op=OpId.PERCEPTRON_PREDICT, inputs={"w": w, "T": tt})
            self._emit(epoch=0, batch=0, phase="evaluate", name="test_accuracy",
                       value=float(np.mean(pred == tt)), op=OpId.PERCEPTRON_ACCURACY,
                       inputs={"o": pred, "T": tt})
        self.trace.finish("stopped" if converged else "complete", message)

    def _ending(self, converged: int, last_change: int, cycle: tuple[int, int] | None, n: int,
                w: np.ndarray) -> str:
        if converged:
            when = (f"the weights last changed in epoch {last_change}" if last_change
                    else "the initial weights already separate the data")
            return (f"Converged in epoch {converged}: no mistakes on any of the {n} samples, so "
                    f"w = {array(w)} is final ({when}).")
        text = (f"No convergence within {self.trace.epochs_run} epochs: every epoch misclassified "
                f"at least one sample.")
        if cycle is not None:
            return (text + f" The weights at the start of epoch {cycle[1]} equal those at the start "
                    f"of epoch {cycle[0]}, so the run repeats forever; by the perceptron convergence "
                    "theorem the data are not linearly separable: no line (hyperplane) splits the two "
                    "classes, as Minsky and Papert (Perceptrons, 1969) showed for XOR.")
        return (text + " Either more epochs are needed, or the data are not linearly separable (then "
                "the perceptron never converges, as Minsky and Papert showed for XOR).")
