"""Step names, built and parsed here only.

A network's run names its values along the chain of modules: ``Z0`` is the input and module m
produces ``Zm``; ``deltam`` is ∂E/∂Zm; dense layer k has parameters ``Wk`` and ``bk``, their
gradients ``dE/dWk`` and ``dE/dbk``. Every other module builds and reads names through these
functions, so a new kind of step is named in one place. Numpy-free: this is on the start-up path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

LOSS = "E"  # the batch's error
TARGETS = "T"  # the targets, an operand of the loss steps
EPOCH_LOSS = "loss"  # the epoch's loss, batch losses weighted by batch size
GRAD_PREFIX = "dE/d"


def z(m: int) -> str:
    """The output of module m (``Z0``: the input)."""
    return f"Z{m}"


def delta(m: int) -> str:
    """∂E/∂Zm."""
    return f"delta{m}"


def weight(k: int) -> str:
    return f"W{k}"


def bias(k: int) -> str:
    return f"b{k}"


def grad(name: str) -> str:
    """The gradient of a parameter: ``W1`` → ``dE/dW1``."""
    return GRAD_PREFIX + name


def params(k: int) -> tuple[str, str]:
    """``(Wk, bk)``."""
    return weight(k), bias(k)


@dataclass(frozen=True)
class Name:
    """A parsed step name. ``kind`` is ``z``, ``delta``, ``weight``, ``bias``, ``grad`` (of the
    parameter ``of``) or ``other``; ``number`` is m for z/delta and k for parameters."""

    text: str
    kind: str
    number: int | None = None
    of: Name | None = None

    @property
    def is_param(self) -> bool:
        return self.kind in ("weight", "bias")

    @property
    def layer(self) -> int | None:
        """The dense layer k of a parameter or its gradient."""
        if self.kind == "grad" and self.of is not None:
            return self.of.layer
        return self.number if self.is_param else None

    @property
    def module(self) -> int | None:
        """The module m of a Z or delta."""
        return self.number if self.kind in ("z", "delta") else None


_FORMS = (("delta", re.compile(r"delta([0-9]{1,6})", re.ASCII)),
          ("z", re.compile(r"Z([0-9]{1,6})", re.ASCII)),
          ("weight", re.compile(r"W([0-9]{1,6})", re.ASCII)),
          ("bias", re.compile(r"b([0-9]{1,6})", re.ASCII)))


@lru_cache(maxsize=4096)
def parse(text: str) -> Name:
    """What a step name denotes; ``other`` for names outside the chain (``E``, ``loss``, ``x``)."""
    if text.startswith(GRAD_PREFIX):
        return Name(text, "grad", of=parse(text[len(GRAD_PREFIX):]))
    for kind, form in _FORMS:
        m = form.fullmatch(text)
        if m:
            return Name(text, kind, int(m.group(1)))
    return Name(text, "other")


def param_order(name: str) -> tuple[int, bool]:
    """Sort key of parameters: W1, b1, W2, b2, …"""
    p = parse(name)
    return (p.number or 0, p.kind != "weight")


def gradient_of(text: str) -> str:
    """The step holding ∂E/∂(text): ``Z2`` → ``delta2``, ``W1`` → ``dE/dW1``."""
    p = parse(text)
    return delta(p.number) if p.kind == "z" and p.number is not None else grad(text)


class OpId(StrEnum):
    """Every operation the engine emits; ``bpstep/ops.py`` describes each one for the views."""

    INPUT = "input"
    LINEAR = "linear"
    ACTIVATION = "activation"
    LOSS = "loss"
    LOSS_GRAD = "loss_grad"
    ACTIVATION_GRAD = "activation_grad"
    LINEAR_GRAD_INPUT = "linear_grad_input"
    GRAD_W = "grad_W"
    GRAD_B = "grad_b"
    UPDATE = "update"
    FROZEN = "frozen"
    EPOCH_LOSS = "epoch_loss"
    R2 = "r2"
    ACCURACY = "accuracy"
    RESTORE = "restore"
    TARGETS = "targets"
    PREDICT = "predict"
    TEST_MSE = "test_mse"
    PERCEPTRON_INPUT = "perceptron_input"
    PERCEPTRON_Z = "perceptron_z"
    SIGN = "sign"
    PERCEPTRON_ERROR = "perceptron_error"
    PERCEPTRON_UPDATE = "perceptron_update"
    PERCEPTRON_MISTAKES = "perceptron_mistakes"
    PERCEPTRON_CRITERION = "perceptron_criterion"
    PERCEPTRON_CONVERGED = "perceptron_converged"
    PERCEPTRON_PREDICT = "perceptron_predict"
    PERCEPTRON_ACCURACY = "perceptron_accuracy"
    GRAPH_NODE = "graph_node"
    GRAPH_SEED = "graph_seed"
    GRAPH_GRAD = "graph_grad"
    GRAPH_UPDATE = "graph_update"
    GRAPH_LOSS = "graph_loss"
    # --- classification (issue 15) ---
    SOFTMAX = "softmax"
    SOFTMAX_GRAD = "softmax_grad"


# --- computational graphs (bpstep/engine/graph_runner.py) -------------------------------------
# A graph's forward steps are named by their nodes (``q``), its updates by their parameters
# (``w1``); its backward steps and the operands of their formulas are named here.

_GRAPH_LOCAL = re.compile(r"local d(\w+)/d(\w+)(?: #([0-9]+))?")


def graph_grad(output: str, name: str) -> str:
    """The backward step of ``name``: ``f``, ``x`` → ``df/dx`` (the total derivative)."""
    return f"d{output}/d{name}"


def graph_grad_of(output: str, text: str) -> str | None:
    """The name a backward step differentiates by: ``f``, ``df/dx`` → ``x``; None for another name."""
    prefix = graph_grad(output, "")
    return text[len(prefix):] if text.startswith(prefix) and len(text) > len(prefix) else None


def graph_local(consumer: str, name: str, occurrence: int | None = None) -> str:
    """The operand holding ∂consumer/∂name along one path (a local derivative): ``local dq/dx``;
    with ``occurrence`` (from 1) when ``name`` is used more than once in the consumer:
    ``local df/dx #2``."""
    return f"local d{consumer}/d{name}" + (f" #{occurrence}" if occurrence is not None else "")


def parse_graph_local(key: str) -> tuple[str, str, int | None] | None:
    """``local df/dx #2`` → ``("f", "x", 2)``; None for any other operand name."""
    m = _GRAPH_LOCAL.fullmatch(key)
    if m is None:
        return None
    return m.group(1), m.group(2), int(m.group(3)) if m.group(3) else None


def grad_op(param: str) -> OpId:
    """The op of a parameter's gradient step: ``W1`` → ``grad_W``, ``b1`` → ``grad_b``."""
    return OpId.GRAD_W if parse(param).kind == "weight" else OpId.GRAD_B
