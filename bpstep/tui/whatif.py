"""What-if and nudge, without Textual.

What-if: an edit (``w7 = 0.5``, ``W2[0,1] = 0.5``, ``lr = 0.1``, ``x[1,2] = 3`` for sample 1's
second input, ``t[1,1] = 0`` for its first target) is applied to the scenario (``dataclasses.replace``
on the frozen Scenario: the initial parameters, the data or the learning rate) and the run is
computed again with the engine; ``diff`` lists, for a step, each element's original and edited
value.

Nudge: at a gradient step ∂E/∂w, the batch's loss E recomputed with the engine's ``forward``
for w + ε and w − ε, against the gradient's prediction ∂E/∂w · (±ε).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bpstep import names

if TYPE_CHECKING:
    import numpy as np

    from bpstep.scenario import Scenario
    from bpstep.tracing import Step, Trace

_EDIT = re.compile(r"^\s*([^=]+?)\s*=\s*(\S+)\s*$")
_DATA = re.compile(r"^([xt])\[(\d+),(\d+)\]$")


class EditError(ValueError):
    """An edit that cannot be applied: the message says why."""


@dataclass(frozen=True)
class Edit:
    text: str  # as typed, normalised: "w7 = 0.5"
    scenario: Scenario  # the edited scenario
    what: str  # "the initial W2[0,0]", "the learning rate", "sample 1's input 2"


def edit(trace: Trace, text: str) -> Edit:
    """The scenario of ``trace`` with one value changed, as ``text`` says."""
    import math

    m = _EDIT.match(text or "")
    if m is None:
        raise EditError("write NAME = NUMBER: w7 = 0.5, W2[0,1] = 0.5, lr = 0.1, x[1,2] = 3, t[1,1] = 0")
    name, raw = m.group(1).replace(" ", ""), m.group(2)
    try:
        value = float(raw)
    except ValueError:
        raise EditError(f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise EditError("the new value must be a finite number")
    sc = trace.scenario
    if sc.network is None:
        raise EditError("what-if edits a network's scenario (not a graph)")
    norm = f"{name} = {raw}"
    if name.lower() in ("lr", "eta", "η", "learning_rate"):
        if value <= 0:
            raise EditError("the learning rate must be positive")
        training = dataclasses.replace(sc.training, learning_rate=value)
        return Edit(norm, dataclasses.replace(sc, training=training), "the learning rate")
    data = _DATA.match(name)
    ref = None
    if data is None:
        ref = trace.resolve(name)
        if ref is not None and ref.name == "Z0" and len(ref.index) == 2:  # an input's display name
            data = _DATA.match(f"x[{ref.index[0] + 1},{ref.index[1] + 1}]")
    if data is not None:
        return _edit_data(sc, data.group(1), int(data.group(2)), int(data.group(3)), value, norm)
    if ref is None or not re.fullmatch(r"[Wb]\d+", ref.name):
        raise EditError(f"{name!r} names no parameter: w7, W2[0,1], b1; or lr, x[s,i], t[s,j]")
    return _edit_parameter(trace, ref.name, ref.index, value, norm)


def _edit_parameter(trace: Trace, name: str, index: tuple[int, ...], value: float, norm: str) -> Edit:
    import numpy as np

    initial = trace.parameters_at(0) if len(trace) else {}
    if name not in initial:
        raise EditError(f"no parameter {name} in this run")
    params = {k: np.array(v, dtype=float) for k, v in initial.items()}
    arr = params[name]
    if arr.ndim == 0 or not index:
        if index and arr.ndim == 0 and any(index):
            raise EditError(f"{name} is one number")
        arr = np.array(value) if arr.ndim == 0 else np.full_like(arr, value)
    else:
        if len(index) != arr.ndim or any(not 0 <= i < s for i, s in zip(index, arr.shape, strict=True)):
            raise EditError(f"{name} is {'×'.join(map(str, arr.shape))}: no element {list(index)}")
        arr[index] = value
    params[name] = arr
    # Every parameter given explicitly (the edited one and the others as drawn): the initializer
    # still draws them all, so the random stream (shuffles, the validation split) is unchanged.
    explicit = {k: v.tolist() if v.ndim else float(v) for k, v in params.items()}
    where = f"{name}[{','.join(map(str, index))}]" if index else name
    sc = dataclasses.replace(trace.scenario, parameters=_as_tuples(explicit))
    return Edit(norm, sc, f"the initial {where}")


def _as_tuples(params: dict) -> dict:
    def t(v):  # noqa: ANN001, ANN202
        return tuple(t(x) for x in v) if isinstance(v, list) else v
    return {k: t(v) for k, v in params.items()}


def _edit_data(sc: Scenario, kind: str, sample: int, column: int, value: float, norm: str) -> Edit:
    d = sc.data
    if d.test_fraction or d.standardize or sc.training.shuffle or sc.training.validation_fraction:
        raise EditError("inputs and targets can be edited only in a scenario whose data is used "
                        "as written (no test or validation split, no scaling, no shuffling)")
    rows = d.x if kind == "x" else d.y
    if not 1 <= sample <= len(rows) or not 1 <= column <= len(rows[0]):
        raise EditError(f"{kind}[s,i] takes a sample 1…{len(rows)} and a column 1…{len(rows[0])}")
    new = tuple(tuple(value if (r, c) == (sample - 1, column - 1) else v for c, v in enumerate(row))
                for r, row in enumerate(rows))
    data = dataclasses.replace(d, **{'x' if kind == 'x' else 'y': new})
    what = f"sample {sample}'s {'input' if kind == 'x' else 'target'} {column}"
    return Edit(norm, dataclasses.replace(sc, data=data), what)


def run(scenario: Scenario, epochs: int | None = None) -> Trace:
    """The edited run, computed by the engine as ``bpstep.trace`` computes any run."""
    from bpstep.engine.network import run as engine_run

    return engine_run(scenario, epochs)


@dataclass(frozen=True)
class Change:
    label: str  # the element's display name: w7, h1, dE/dw7
    before: float
    after: float

    @property
    def changed(self) -> bool:
        import math

        if math.isnan(self.before) and math.isnan(self.after):
            return False
        return self.before != self.after


def diff(original: Trace, edited: Trace, index: int, namer=None, limit: int = 64) -> list[Change]:  # noqa: ANN001
    """Step ``index`` of both runs, element by element (the same step: same name and place)."""
    import numpy as np

    if index >= len(original) or index >= len(edited):
        return []
    a, b = original[index], edited[index]
    if (a.name, a.epoch, a.batch) != (b.name, b.epoch, b.batch) or a.value.shape != b.value.shape:
        return []
    out = []
    for count, idx in enumerate(np.ndindex(*a.value.shape)):
        if count >= limit:
            break
        label = namer(a.name, idx) if namer is not None else a.name
        out.append(Change(label, float(a.value[idx]), float(b.value[idx])))
    return out


def first_difference(original: Trace, edited: Trace) -> int | None:
    """The first step whose value differs between the runs (None: none does)."""
    import numpy as np

    for i in range(min(len(original), len(edited))):
        a, b = original[i].value, edited[i].value
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            return i
    return None if len(original) == len(edited) else min(len(original), len(edited))


# -- nudge -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Nudge:
    weight: str  # the parameter element: w7 (or W2[0,0])
    value: float  # its value in effect at the step
    gradient: float  # ∂E/∂w at the step
    epsilon: float
    loss: float  # E of the batch with the parameters in effect
    plus: float  # E(w + ε) − E
    minus: float  # E(w − ε) − E

    @property
    def predicted(self) -> float:
        """The gradient's prediction of E(w + ε) − E: ∂E/∂w · ε (and its negative for w − ε)."""
        return self.gradient * self.epsilon


def batch_loss(trace: Trace, params: dict[str, np.ndarray], step: Step) -> float:
    """E of the step's batch for ``params``: the engine's forward pass and loss (and L2 term)."""
    import numpy as np

    from bpstep.engine.losses import get_loss
    from bpstep.engine.network import build_modules, forward, l2_term

    sc = trace.scenario
    x = trace.find("Z0", step.epoch, step.batch)
    e = trace.find("E", step.epoch, step.batch)
    if x is None or e is None or "T" not in e.inputs:
        raise ValueError("no batch to recompute at this step")
    t = np.asarray(e.inputs["T"])
    with np.errstate(all="ignore"):
        out = forward(build_modules(sc.network), params, np.asarray(x.value))[-1]
        loss = float(get_loss(sc.network.loss).value(out, t))
        if sc.training.l2:
            weights = (v for k, v in params.items() if names.parse(k).kind == "weight")
            loss += l2_term(sc.training.l2, out.shape[0], weights)
    return loss


def nudge(trace: Trace, index: int, element: int = 0, epsilon: float = 1e-3) -> Nudge:
    """At gradient step ``index`` (∂E/∂W or ∂E/∂b), the ``element``'s (flat index) weight moved
    by ±ε: the change in the batch's E, recomputed, and the gradient's prediction."""
    import numpy as np

    step = trace[index]
    if step.phase != "gradient" or not step.name.startswith("dE/d"):
        raise ValueError("the nudge view works at a gradient step (∂E/∂W or ∂E/∂b)")
    name = step.name.removeprefix("dE/d")
    params = {k: np.array(v, dtype=float) for k, v in trace.parameters_at(index).items()}
    if name not in params:
        raise ValueError(f"no parameter {name} at this step")
    grad = np.asarray(step.value)
    element = element if 0 <= element < max(1, grad.size) else 0
    idx = np.unravel_index(element, grad.shape) if grad.ndim else ()
    base = batch_loss(trace, params, step)

    def moved(d: float) -> float:
        p = dict(params)
        p[name] = params[name].copy()
        p[name][idx] += d
        return batch_loss(trace, p, step) - base

    label = trace.display_name(name, tuple(int(i) for i in idx)) or \
        (f"{name}[{','.join(str(int(i)) for i in idx)}]" if idx else name)
    return Nudge(label, float(params[name][idx]), float(grad[idx]), epsilon, base, moved(epsilon),
                 moved(-epsilon))
