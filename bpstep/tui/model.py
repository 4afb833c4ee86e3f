"""What the panels show at a cursor position: queries over the trace, with the caches that keep a
key press cheap (explanations per step and precision, epoch losses extended as the trace grows).
No Textual here."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bpstep import names as step_names
from bpstep.explain import Explanation, Namer, explain
from bpstep.tracing import ModuleInfo, Step, Trace
from bpstep.tui.navigation import Breakpoints

if TYPE_CHECKING:
    pass

PHASE_SHORT = {"forward": "fwd", "loss": "loss", "backward": "bwd", "gradient": "grad",
               "update": "upd", "epoch": "epch", "end": "end", "evaluate": "eval"}


@dataclass(frozen=True)
class View:
    """The whole state a screen is drawn from: stepping back to an earlier View redraws it exactly."""

    index: int
    sub: int | None  # the element being stepped into (flat index), or None for the whole step
    precision: int


@dataclass(frozen=True)
class QuizView(View):
    """The view while a question is asked at the cursor: the step's elements from ``hide_from``
    on (flat index) are hidden."""

    hide_from: int = 0


def hidden_from(view: View) -> int | None:
    """The first hidden element of the step at the cursor, or None when nothing is hidden."""
    return view.hide_from if isinstance(view, QuizView) else None


def is_hidden(view: View, index: int, flat: int) -> bool:
    """Whether element ``flat`` of step ``index`` is hidden in this view."""
    return isinstance(view, QuizView) and index == view.index and flat >= view.hide_from


def run_status(trace: Trace, limit: int | None = None) -> tuple[str, str]:
    """The status line of a run: (text, "" | "warning" | "error"); ("", "") for a run that simply
    completed. ``limit`` is the epoch limit of a run still computing (default: the scenario's)."""
    t = trace
    if not t.finished:
        limit = limit or t.scenario.training.epochs
        return f"computing… epoch {t.epochs_run} of at most {limit} · {len(t)} steps", "warning"
    message = t.message
    if t.status in ("diverged", "error"):
        # The engine's message may already say where and what ("FILE: the run diverged: E is
        # not finite …"): said once, from "the run diverged" on.
        said = message.find(f"the run {t.status}")
        if said >= 0:
            return message[said:], "error"
        return (f"the run diverged: {message}" if t.status == "diverged" else f"error: {message}"), "error"
    if t.status == "complete":
        return message, "" if not message else "warning"  # perceptron-xor says why it never converged
    # "after epoch 6", unless the message says so already ("Converged in epoch 6: …").
    said = f"epoch {t.epochs_run}" in message
    after = f" after epoch {t.epochs_run}" if t.epochs_run and not said else ""
    return (f"the run {t.status}{after}: {message}" if message else f"the run {t.status}{after}"), "warning"


@dataclass(frozen=True)
class Layer:
    """A column of the network picture: the inputs (k = 0) or dense layer k with its modules."""

    k: int
    units: int
    modules: tuple[ModuleInfo, ...]  # ascending: the Linear module, then its activation
    activation: str  # "" for the inputs


class Model:
    """Read-only queries for the panels, over a trace that may still be growing."""

    EXPLAIN_CACHE = 256

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.namer = Namer(trace)
        self.breakpoints = Breakpoints()
        self._explained: OrderedDict[tuple[int, int], Explanation] = OrderedDict()
        self._losses: list[float] = []
        net = trace.scenario.network
        self.graph = trace.scenario.graph  # a computational graph: no layers, a circuit instead
        layers = [Layer(0, net.inputs, (), "")] if net is not None else []
        for k, spec in enumerate(net.layers if net is not None else (), start=1):
            mods = tuple(m for m in trace.modules if m.layer == k)
            layers.append(Layer(k, spec.units, mods, spec.activation))
        self.layers = tuple(layers)
        self._batches = 0  # batches per epoch, once known (see batches)

    @property
    def batches(self) -> int:
        """Batches per epoch: 0 while the scenario's data file is not read yet (a large file is read
        by the run's worker, after the first frame), then its count, kept."""
        if not self._batches:
            self._batches = self.trace.scenario.batches
        return self._batches

    # -- explanations --------------------------------------------------------------------------
    def explanation(self, index: int, precision: int, need: int = 16) -> Explanation:
        """``explain`` for a step, with at least ``need`` elements when the step has them.

        Cached per (index, precision); a wide step is explained only as far as it is shown,
        growing by doubling when the user steps into later elements.
        """
        key = (index, precision)
        ex = self._explained.get(key)
        size = self.trace[index].value.size
        if ex is not None and (len(ex.elements) >= min(need, size) or not ex.elements):
            self._explained.move_to_end(key)
            return ex
        n = 8
        while n < need:
            n *= 2
        ex = explain(self.trace, self.trace[index], precision, max_elements=n)
        self._explained[key] = ex
        if len(self._explained) > self.EXPLAIN_CACHE:
            self._explained.popitem(last=False)
        return ex

    def has_parts(self, index: int) -> bool:
        """Whether stepping into step ``index`` walks its parts (a graph node's gates) rather
        than its value's elements."""
        from bpstep import ops

        return ops.get(self.trace[index].op).parts is not None

    def substeps(self, index: int, precision: int) -> int:
        """How many sub-steps ``s`` walks at step ``index``: its parts, else its elements."""
        if self.has_parts(index):
            parts = self.explanation(index, precision).parts
            if parts:
                return len(parts)
        return self.trace[index].value.size

    def part_sample(self, index: int, sub: int | None, precision: int) -> int:
        """The sample of a batch the part ``sub`` of a graph node belongs to (0 for one sample)."""
        if sub is None:
            return 0
        parts = self.explanation(index, precision).parts
        if 0 <= sub < len(parts) and parts[sub].index:
            return int(parts[sub].index[0])
        return 0

    def label(self, step: Step, limit: int = 4) -> str:
        """``Z2 = h1, h2`` (display names of the elements), else the step's name."""
        import numpy as np

        v = step.value
        if v.ndim == 0:
            shown = self.namer(step.name, ())
            return step.name if shown == step.name else f"{step.name} = {shown}"
        names = []
        for count, idx in enumerate(np.ndindex(*v.shape)):
            if count >= limit:
                names.append("…")
                break
            shown = self.namer(step.name, idx)
            if "[" in shown:
                return step.name
            names.append(shown)
        return f"{step.name} = {', '.join(names)}"

    # -- where the values come from ------------------------------------------------------------
    @staticmethod
    def sample_of(step: Step, sub: int | None) -> int:
        """The sample (row of the batch) the element being stepped into belongs to: 0 unless a
        forward or backward step (batch × units) is stepped into."""
        if sub is None or step.phase not in ("forward", "backward") or not 0 <= sub < step.value.size:
            return 0
        if step.value.ndim == 1 and step.op.startswith("graph"):  # a graph's value per sample
            return sub
        if step.value.ndim != 2:
            return 0
        return sub // step.value.shape[1]

    def batch_of(self, index: int) -> tuple[int, int] | None:
        """The (epoch, batch) whose values the panels show: the step's own batch, or for an
        epoch-level step the last batch before it."""
        for j in range(index, max(-1, index - 64), -1):
            s = self.trace[j]
            if s.batch >= 1:
                return s.epoch, s.batch
        return None

    def forward_of(self, layer: Layer, index: int) -> Step | None:
        """The newest forward value (Z) of a layer computed at or before ``index`` in its batch."""
        where = self.batch_of(index)
        if where is None:
            return None
        mods = [0] if layer.k == 0 else [m.index for m in reversed(layer.modules)]
        for m in mods:
            s = self.trace.find(step_names.z(m), *where)
            if s is not None and s.index <= index:
                return s
        return None

    def delta_of(self, layer: Layer, index: int) -> Step | None:
        """The newest delta of a layer computed at or before ``index`` in its batch."""
        where = self.batch_of(index)
        if where is None or layer.k == 0:
            return None
        for m in layer.modules:  # the lowest module's delta is computed last
            s = self.trace.find(step_names.delta(m.index), *where)
            if s is not None and s.index <= index:
                return s
        return None

    def pre_activation(self, layer: Layer, index: int) -> Step | None:
        """The Linear output (z) of a layer in the cursor's batch, when computed by ``index``."""
        where = self.batch_of(index)
        if where is None or layer.k == 0:
            return None
        s = self.trace.find(step_names.z(layer.modules[0].index), *where)
        return s if s is not None and s.index <= index else None

    def layer_of(self, step: Step) -> Layer:
        """The layer a step belongs to (the output layer for the loss, layer 1 for the inputs)."""
        if step.layer:
            return self.layers[step.layer]
        if step.module:
            for layer in self.layers[1:]:
                if any(m.index == step.module for m in layer.modules):
                    return layer
        if step.phase in ("loss", "epoch", "end", "evaluate"):
            return self.layers[-1]
        return self.layers[min(1, len(self.layers) - 1)]  # a perceptron has only the inputs

    def epoch_losses(self) -> list[float]:
        """The loss of every finished epoch, extended from the trace as it grows."""
        # From the trace's epoch series, not its steps: a long run's older epochs may have been
        # dropped from memory, and reading them would recompute them.
        series = self.trace.epoch_series("loss")
        while len(self._losses) + 1 in series:
            self._losses.append(series[len(self._losses) + 1])
        return self._losses
