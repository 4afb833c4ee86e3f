"""One descriptor per operation the engine emits: everything a view needs to know about a step.

Each ``Op`` gives the step's rule in the tutorial's notation (with a note), each element's formula
with the numbers substituted, which layers and units of the network picture it reads and writes,
whether a quiz or an answer sheet asks for its values or gives them, whether its value is a whole
number, and the convention hints that apply to a wrong answer for it. ``explain``, ``check``, the
quiz, export and the TUI's panels read these; none keeps a table of its own. A new operation is
one entry in ``OPS`` (and its id in ``bpstep.names.OpId``); a test fails when an id lacks one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bpstep import touches
from bpstep.formulas import graph as graph
from bpstep.formulas import network as net
from bpstep.formulas import perceptron as perc
from bpstep.formulas import softmax as cls
from bpstep.formulas.base import sym
from bpstep.names import OpId
from bpstep.touches import TouchFn

if TYPE_CHECKING:
    from bpstep.formulas.base import Element, Namer
    from bpstep.tracing.step import Step
    from bpstep.tracing.trace import Trace

RuleFn = Callable[["Trace", "Step"], tuple[str, str]]  # (rule, note)
ElementFn = Callable[["Trace", "Step", tuple[int, ...], "Namer", int], "Element"]
PartsFn = Callable[["Trace", "Step", "Namer", int], "tuple[Element, ...]"]


@dataclass(frozen=True)
class Op:
    id: OpId
    rule: RuleFn
    element: ElementFn  # one element's formula with its numbers substituted
    touches: TouchFn  # what it reads and writes in the network picture
    asked: bool = True  # False: the value is given (the inputs, the targets), not asked
    integer: bool = False  # a count or an epoch number, written without decimals
    # The convention slips checked for this op, beyond those of every op (a sign error, a loss's
    # factor 2 or N): names of the hint families in ``bpstep.hints``.
    hints: tuple[str, ...] = ()
    # The sub-steps a view steps into, when they are not the value's elements (a graph node's
    # gates, each with its local derivatives): ``explain`` lists them as ``Explanation.parts``.
    parts: PartsFn | None = None


def _fixed(rule: str, note: str = "") -> RuleFn:
    return lambda t, s: (rule, note)


OPS: dict[str, Op] = {op.id: op for op in (
    # --- a network's batch (bpstep/engine/network.py) ---
    Op(OpId.INPUT, _fixed("Z⁽⁰⁾ = the batch's inputs (one row per sample)"), net.el_input,
       touches.writes_inputs, asked=False),
    Op(OpId.LINEAR, net.rule_linear, net.el_linear, touches.linear),
    Op(OpId.ACTIVATION, net.rule_activation, net.el_activation, touches.within_layer,
       hints=("pre_activation",)),
    Op(OpId.LOSS, net.rule_loss, net.el_loss, touches.reads_layer, hints=("loss_factor", "log_base")),
    Op(OpId.LOSS_GRAD, net.rule_loss_grad, net.el_loss_grad, touches.within_layer,
       hints=("loss_factor", "forgot_mean")),
    Op(OpId.ACTIVATION_GRAD, net.rule_act_grad, net.el_act_grad, touches.within_layer,
       hints=("loss_factor", "loss_n", "activation_derivative", "updated_weights")),
    Op(OpId.LINEAR_GRAD_INPUT, net.rule_lin_grad, net.el_lin_grad, touches.linear_backward,
       hints=("loss_factor", "loss_n", "updated_weights")),
    Op(OpId.GRAD_W, net.rule_grad_w, net.el_grad_w, touches.weight_gradient,
       hints=("loss_factor", "loss_n", "gradient", "updated_weights", "transposed_index")),
    Op(OpId.GRAD_B, net.rule_grad_b, net.el_grad_b, touches.bias_gradient,
       hints=("loss_factor", "loss_n", "gradient", "shared_bias", "updated_weights")),
    Op(OpId.UPDATE, net.rule_update, net.el_update, touches.parameter,
       hints=("loss_factor", "update", "learning_rate", "transposed_index")),
    Op(OpId.FROZEN, lambda t, s: (f"{sym(s.name)} is frozen: it keeps its value", ""), net.el_update,
       touches.parameter, hints=("update",)),
    # --- after each epoch, and after training ---
    Op(OpId.EPOCH_LOSS, _fixed("loss = Σ_b N_b·E_b / N  (batch losses weighted by batch size)"),
       net.el_scalar, touches.nothing),
    Op(OpId.R2, _fixed("R² = 1 − Σ(t − o)² / Σ(t − t̄)²  on the validation split"), net.el_scalar,
       touches.nothing),
    Op(OpId.ACCURACY, _fixed("accuracy = share of samples with (o ≥ 0.5) = (t ≥ 0.5)"), net.el_scalar,
       touches.nothing),
    Op(OpId.RESTORE, _fixed("early stopping restores the parameters of the best epoch"), net.el_scalar,
       touches.nothing, asked=False, integer=True),
    Op(OpId.TARGETS, _fixed("the true targets t of the held-out test split"), net.el_input,
       touches.nothing, asked=False),
    Op(OpId.PREDICT, _fixed("the trained network's outputs on the held-out test split"), net.el_input,
       touches.nothing),
    Op(OpId.TEST_MSE, _fixed("test MSE = (1/N) Σ (t − o)² on the held-out test split"), net.el_scalar,
       touches.nothing),
    # --- the Perceptron (bpstep/engine/perceptron.py) ---
    Op(OpId.PERCEPTRON_INPUT, _fixed("x = (x0, x1, …, xn): the sample, with the constant input x0 = 1 "
                                     "that carries the bias w0"), net.el_input, touches.nothing, asked=False),
    Op(OpId.PERCEPTRON_Z, _fixed("z = wᵀx = w0·x0 + w1·x1 + … + wn·xn"), perc.el_perc_z, touches.nothing),
    Op(OpId.SIGN, _fixed("ŷ = sign(z)", "+1 if z > 0, −1 if z < 0, and 0 on the boundary z = 0 "
                                        "(neither class: it counts as a mistake)"),
       perc.el_sign, touches.nothing),
    Op(OpId.PERCEPTRON_ERROR, _fixed("error = y − ŷ", "0 when ŷ = y; ±2 when wrong; ±1 on the boundary"),
       perc.el_perc_error, touches.nothing),
    Op(OpId.PERCEPTRON_UPDATE, perc.rule_perc_update, perc.el_perc_update, touches.nothing),
    Op(OpId.PERCEPTRON_MISTAKES, _fixed("mistakes = the number of samples this epoch with ŷ ≠ y",
                                        "0 means converged: w stops changing"),
       net.el_scalar, touches.nothing, integer=True),
    Op(OpId.PERCEPTRON_CRITERION,
       _fixed("E_perc = −Σ_(i ∈ miss) yᵢ·wᵀxᵢ  over this epoch's mistakes (the tutorial's criterion)",
              "each term with the weights that sample saw; 0 when nothing was misclassified"),
       perc.el_perc_criterion, touches.nothing),
    Op(OpId.PERCEPTRON_CONVERGED,
       _fixed("the first epoch without a mistake (0: none within the epoch limit)"),
       net.el_scalar, touches.nothing, asked=False, integer=True),
    Op(OpId.PERCEPTRON_PREDICT, _fixed("ŷ = sign(wᵀx) on the held-out test split"), net.el_input,
       touches.nothing),
    Op(OpId.PERCEPTRON_ACCURACY, _fixed("accuracy = share of test samples with ŷ = y"),
       perc.el_perc_accuracy, touches.nothing),
    # --- classification (issue 15): the softmax and its Jacobian step ---
    Op(OpId.SOFTMAX, cls.rule_softmax, cls.el_softmax, touches.row_of_layer,
       hints=("pre_activation", "softmax_axis")),
    Op(OpId.SOFTMAX_GRAD, cls.rule_softmax_grad, cls.el_softmax_grad, touches.row_of_layer,
       hints=("jacobian_diagonal", "forgot_mean")),
    # --- a computational graph (bpstep/engine/graph_runner.py) ---
    Op(OpId.GRAPH_NODE, graph.rule_node, graph.el_node, touches.nothing, parts=graph.gate_parts),
    Op(OpId.GRAPH_SEED, graph.rule_seed, graph.el_seed, touches.nothing, asked=False),
    Op(OpId.GRAPH_GRAD, graph.rule_grad, graph.el_grad, touches.nothing,
       hints=("fan_out", "local_only", "wrong_operand")),
    Op(OpId.GRAPH_UPDATE, graph.rule_update, graph.el_update, touches.nothing, hints=("graph_update",)),
    Op(OpId.GRAPH_LOSS, graph.rule_loss, graph.el_loss, touches.nothing),
)}


class UnknownOpError(LookupError):
    """A step whose op has no descriptor: a bug in bpstep, never silently shown as its name."""


def get(op: str) -> Op:
    try:
        return OPS[op]
    except KeyError:
        raise UnknownOpError(f"no descriptor for the op '{op}' (bpstep/ops.py)") from None
