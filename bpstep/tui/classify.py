"""What the classification views show, without Textual: the class probabilities of one sample,
the confusion matrix at an epoch or evaluate step, and a digit's pixels when the inputs are an
image (``digits``: 64 inputs p0 … p63). numpy is imported in the functions that need it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from bpstep import names

if TYPE_CHECKING:
    import numpy as np

    from bpstep.scenario.model import Scenario
    from bpstep.tracing import Trace


def classes(scenario: Scenario) -> tuple[str, ...]:
    """The class names of a classifier (``[data] classes``), else ()."""
    if scenario.network is None or scenario.network.kind != "mlp":
        return ()
    return tuple(getattr(scenario.data, "classes", ()) or ())


def image_side(scenario: Scenario) -> int | None:
    """The side of a square image the inputs are (8 for 64 pixels, as ``digits``), else None:
    64 inputs, or inputs named p0 … pN−1 whose number is a square."""
    net = scenario.network
    if net is None:
        return None
    n = net.inputs
    side = math.isqrt(n)
    if side * side != n or side < 2:
        return None
    columns = tuple(getattr(scenario.data, "input_columns", ()) or ())
    pixels = len(columns) == n and all(c == f"p{i}" for i, c in enumerate(columns))
    return side if n == 64 or pixels else None


def confusion_matrix(actual: Sequence[int], predicted: Sequence[int], k: int) -> list[list[int]]:
    """``C[i][j]``: how many samples of class i were predicted as class j (scikit-learn's
    convention: rows the true class, columns the prediction)."""
    c = [[0] * k for _ in range(k)]
    for a, p in zip(actual, predicted, strict=True):
        c[int(a)][int(p)] += 1
    return c


def class_indices(values: np.ndarray) -> list[int]:
    """Each row's class: the arg max of one-hot targets or of probabilities; for a single column
    (one sigmoid unit), 1 when it is at least 0.5."""
    import numpy as np

    v = np.asarray(values)
    if v.ndim == 1:
        v = v.reshape(-1, 1)
    if v.shape[1] == 1:
        return [int(x >= 0.5) for x in v[:, 0]]
    return [int(i) for i in np.argmax(v, axis=1)]


@dataclass(frozen=True)
class Confusion:
    title: str  # "test set (360 samples)" or "epoch 3's training batches"
    matrix: list[list[int]]
    classes: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        total = sum(map(sum, self.matrix))
        return sum(self.matrix[i][i] for i in range(len(self.matrix))) / total if total else 0.0


def output_name(trace: Trace) -> str:
    """The network's output step name (``Z4`` for a 2-layer softmax network)."""
    return names.z(trace.modules[-1].index) if trace.modules else "Z1"


@lru_cache(maxsize=8)  # an epoch step's matrix walks every batch of the epoch: once, not per key
def confusion_at(trace: Trace, index: int) -> Confusion | None:
    """The confusion matrix an epoch or evaluate step stands for: after training, the test set's
    predictions (``test_predictions`` against ``test_targets``); at an epoch step, the outputs of
    that epoch's batches (as computed, before each batch's update) against their targets."""
    labels = classes(trace.scenario)
    step = trace[index]
    if not labels or step.phase not in ("epoch", "evaluate", "end"):
        return None
    k = max(len(labels), 2)
    if step.phase in ("evaluate", "end"):
        pred = trace.find("test_predictions", 0, 0)
        tgt = trace.find("test_targets", 0, 0)
        if pred is None or tgt is None or pred.index > index:
            return None
        matrix = confusion_matrix(class_indices(tgt.value), class_indices(pred.value), k)
        return Confusion(f"test set ({pred.value.shape[0]} samples)", matrix, labels)
    actual: list[int] = []
    predicted: list[int] = []
    out = output_name(trace)
    for batch in range(1, trace.scenario.batches + 1):
        z = trace.find(out, step.epoch, batch)
        x = trace.find(names.z(0), step.epoch, batch)
        if z is None or x is None or "T" not in x.inputs:
            break
        actual += class_indices(x.inputs["T"])
        predicted += class_indices(z.value)
    if not actual:
        return None
    return Confusion(f"epoch {step.epoch}'s training batches ({len(actual)} samples)",
                     confusion_matrix(actual, predicted, k), labels)


@dataclass(frozen=True)
class Sample:
    """One sample of the cursor's batch: its pixels (or None), its target class and, once the
    output is computed, its class probabilities."""

    index: int  # in the batch, 0-based
    size: int  # samples in the batch
    pixels: list[list[float]] | None
    target: int | None
    probabilities: list[float] | None


def sample_at(trace: Trace, index: int, sample: int, batch: tuple[int, int] | None) -> Sample | None:
    """Sample ``sample`` of the batch ``batch`` = (epoch, batch) as seen at step ``index``."""
    if batch is None or not classes(trace.scenario):
        return None
    x = trace.find(names.z(0), *batch)
    if x is None or x.index > index:
        return None
    n = x.value.shape[0]
    sample = min(max(0, sample), n - 1)
    side = image_side(trace.scenario)
    pixels = None
    if side is not None:
        row = x.value[sample]
        pixels = [[float(row[r * side + c]) for c in range(side)] for r in range(side)]
    target = class_indices(x.inputs["T"][sample:sample + 1])[0] if "T" in x.inputs else None
    z = trace.find(output_name(trace), *batch)
    probs = None
    if z is not None and z.index <= index:
        row = z.value[sample]
        probs = [float(v) for v in row] if row.shape[0] > 1 else [1 - float(row[0]), float(row[0])]
    return Sample(sample, n, pixels, target, probs)


def shades(pixels: list[list[float]]) -> list[list[int]]:
    """Pixels scaled to grey levels 0 … 23 (the terminal's grey ramp) between their extremes."""
    flat = [v for row in pixels for v in row if math.isfinite(v)]
    lo, hi = (min(flat), max(flat)) if flat else (0.0, 1.0)
    span = (hi - lo) or 1.0
    return [[int(round(23 * (min(max(v, lo), hi) - lo) / span)) if math.isfinite(v) else 0 for v in row]
            for row in pixels]
