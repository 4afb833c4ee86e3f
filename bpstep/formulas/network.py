"""Rules and per-element formulas of a network's steps (bpstep/engine/network.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bpstep import names
from bpstep.format import num, operand, superscript, term
from bpstep.formulas import softmax as cls
from bpstep.formulas.base import Element, Namer, cell, lead, prod, sum_of, sym
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

if TYPE_CHECKING:
    from bpstep.engine.activations import Activation
    from bpstep.engine.losses import Loss


# The engine (and numpy with it) is imported with the first formula, not with this module: the
# debugger's first frame imports the formulas and is drawn before numpy is loaded.
def get_activation(name: str) -> Activation:
    from bpstep.engine.activations import get_activation as get

    return get(name)


def get_loss(name: str) -> Loss:
    from bpstep.engine.losses import get_loss as get

    return get(name)

# --- rules ------------------------------------------------------------------------------------

def _act_name(trace: Trace, step: Step) -> str:
    info = trace.modules[step.module - 1] if step.module else None
    return info.activation if info else "identity"


def _loss(trace: Trace):  # noqa: ANN202
    return get_loss(trace.scenario.network.loss)


def rule_linear(t: Trace, s: Step) -> tuple[str, str]:
    m, k = s.module, s.layer
    shared = t.modules[m - 1].shared_bias
    note = f"b{superscript(k)} is one bias shared by every unit of the layer" if shared else ""
    return f"Z{superscript(m)} = W{superscript(k)}ᵀ Z{superscript(m - 1)} + b{superscript(k)}", note


def rule_activation(t: Trace, s: Step) -> tuple[str, str]:
    act = get_activation(_act_name(t, s))
    return f"Z{superscript(s.module)} = {act.symbol}(Z{superscript(s.module - 1)})", act.rule


def rule_loss(t: Trace, s: Step) -> tuple[str, str]:
    loss = _loss(t)
    note = ""
    if "l2_term" in s.inputs:
        note = (f"plus the L2 penalty (λ/2N)·Σ‖W‖² = {num(float(s.inputs['l2_term']), 6)} "
                f"(λ = {t.scenario.training.l2})")
    return loss.rule, note


def rule_loss_grad(t: Trace, s: Step) -> tuple[str, str]:
    return f"δ{superscript(s.module)} = ∂E/∂Z{superscript(s.module)}:  {_loss(t).grad_rule}", ""


def rule_act_grad(t: Trace, s: Step) -> tuple[str, str]:
    m = s.module
    act = get_activation(_act_name_of(t, m + 1))
    return (f"δ{superscript(m)} = δ{superscript(m + 1)} ⊙ {act.symbol}'(Z{superscript(m)})",
            act.derivative_rule)


def _act_name_of(t: Trace, module: int) -> str:
    return t.modules[module - 1].activation


def rule_lin_grad(t: Trace, s: Step) -> tuple[str, str]:
    m = s.module
    k = t.modules[m].layer
    return f"δ{superscript(m)} = δ{superscript(m + 1)} W{superscript(k)}ᵀ", ""


def rule_grad_w(t: Trace, s: Step) -> tuple[str, str]:
    k = s.layer
    m = _linear_module(t, k)
    rule = f"∂E/∂W{superscript(k)} = Z{superscript(m - 1)}ᵀ δ{superscript(m)}"
    if t.scenario.training.l2:
        rule += f" + (λ/N) W{superscript(k)}"
    return rule, ""


def rule_grad_b(t: Trace, s: Step) -> tuple[str, str]:
    k = s.layer
    m = _linear_module(t, k)
    if t.modules[m - 1].shared_bias:
        return (f"∂E/∂b{superscript(k)} = Σᵢ Σⱼ δ{superscript(m)}ᵢⱼ",
                "a shared bias feeds every unit, so its gradient sums over all of them")
    return f"∂E/∂b{superscript(k)} = Σᵢ δ{superscript(m)}ᵢ (sum over the batch)", ""


def _linear_module(t: Trace, layer: int) -> int:
    return next(info.index for info in t.modules if info.kind == "linear" and info.layer == layer)


def rule_update(t: Trace, s: Step) -> tuple[str, str]:
    tr = t.scenario.training
    p = sym(s.name)
    other = cls.rule_update(t, s)  # Adam, RMSProp
    if other is not None:
        return other
    if tr.momentum == 0:
        return f"{p} := {p} − η ∂E/∂{p}   (η = {tr.learning_rate})", ""
    if tr.nesterov:
        return (f"v := μv − η ∂E/∂{p};  {p} := {p} + μv − η ∂E/∂{p}   "
                f"(η = {tr.learning_rate}, μ = {tr.momentum}, Nesterov)", "")
    return (f"v := μv − η ∂E/∂{p};  {p} := {p} + v   (η = {tr.learning_rate}, μ = {tr.momentum})",
            "")


# --- elements ---------------------------------------------------------------------------------

def el_input(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    return Element(idx, namer(s.name, idx), "", "", float(s.value[idx]))


def el_linear(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    i, j = idx
    m, k = s.module, s.layer
    x, W, b = s.inputs[names.z(m - 1)], s.inputs[names.weight(k)], s.inputs[names.bias(k)]
    fan_in = W.shape[0]
    b_idx = () if b.ndim == 0 else (j,)

    def sym_term(r: int) -> str:  # w·x for each input, then the bias
        if r == fan_in:
            return namer(names.bias(k), b_idx)
        return prod(namer(names.weight(k), (r, j)), namer(names.z(m - 1), (i, r)))

    def num_term(r: int) -> str:
        return term(b[b_idx], p) if r == fan_in else prod(term(W[r, j], p), term(x[i, r], p))

    return Element(idx, namer(s.name, idx), sum_of(fan_in + 1, sym_term), sum_of(fan_in + 1, num_term),
                   float(s.value[idx]))


def el_activation(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    act = get_activation(_act_name(t, s))
    z_name = names.z(s.module - 1)
    z = s.inputs[z_name][idx]
    return Element(idx, namer(s.name, idx), f"{act.symbol}({namer(z_name, idx)})",
                   f"{act.symbol}({lead(z, p)})", float(s.value[idx]))


def el_loss(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    loss = _loss(t)
    M = s.module
    o, tt = s.inputs[names.z(M)], s.inputs["T"]
    if loss.grad_factor is not None:
        def sym_term(f: int) -> str:
            c = cell(o.shape, f)
            return f"({namer(names.z(M), c)} − t{_sub(c, o.shape)})²"

        def num_term(f: int) -> str:
            c = cell(o.shape, f)
            return f"({lead(o[c], p)} − {term(tt[c], p)})²"

        n = o.shape[0]
        prefix = (loss.info.squared_prefix or "").replace("2N", str(2 * n)).replace("N", str(n))
        symbolic = f"{prefix}[{sum_of(o.size, sym_term)}]"
        substituted = f"{prefix}[{sum_of(o.size, num_term)}]"
    elif loss.name == "cross_entropy":
        symbolic, substituted = cls.el_ce_loss(s, o, tt, namer, p)
    else:
        symbolic = f"−1/{o.shape[0]}·Σ[t log o + (1 − t) log(1 − o)]"
        substituted = ""
    if "l2_term" in s.inputs:
        symbolic += " + (λ/2N)·Σ‖W‖²"
        if substituted:
            substituted += f" + {term(float(s.inputs['l2_term']), p + 2)}"
    return Element(idx, "E", symbolic, substituted, float(s.value))


def _sub(c: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """Target subscript: t1 for a single sample, t[i,j] for batches."""
    if shape[0] == 1:
        return str(c[1] + 1)
    return f"[{c[0]},{c[1]}]"


def el_loss_grad(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    loss = _loss(t)
    M = s.module
    o, tt = s.inputs[names.z(M)][idx], s.inputs["T"][idx]
    o_name = namer(names.z(M), idx)
    t_name = f"t{_sub(idx, s.value.shape)}"
    label = f"∂E/∂{o_name}"
    if loss.grad_factor is not None:
        f = loss.grad_factor(s.value.shape[0])
        factor = "" if f == 1 else (f"{operand(f, 6)}·" if f != 2 else "2")
        return Element(idx, label, f"{factor}({o_name} − {t_name})",
                       f"{factor}({lead(o, p)} − {term(tt, p)})", float(s.value[idx]))
    n = s.value.shape[0]
    if loss.name == "cross_entropy":
        return Element(idx, label, *cls.el_ce_grad(s, idx, o_name, t_name, p), float(s.value[idx]))
    return Element(idx, label, f"({o_name} − {t_name}) / ({n}·{o_name}(1 − {o_name}))",
                   f"({lead(o, p)} − {term(tt, p)}) / ({n}·{term(o, p)}·(1 − {term(o, p)}))",
                   float(s.value[idx]))


def el_act_grad(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    m = s.module  # δ_m = δ_(m+1) ⊙ f'(Z_m), where Z_(m+1) = f(Z_m)
    act = get_activation(_act_name_of(t, m + 1))
    d, z, a = s.inputs[names.delta(m + 1)][idx], s.inputs[names.z(m)][idx], s.inputs[names.z(m + 1)][idx]
    d_name = f"∂E/∂{namer(names.z(m + 1), idx)}"
    z_name, a_name = namer(names.z(m), idx), namer(names.z(m + 1), idx)
    form = act.info.derivative_of_output  # σ' as a(1 − a), tanh' as (1 − a²), as the tutorial does
    if form:
        sym_d = form.format(a=a_name)
        num_d = form.replace("{a}(", "{a}·(").format(a=term(a, p))
    else:
        import numpy as np

        deriv = float(act.df(np.array(z), np.array(a)))
        sym_d, num_d = f"{act.symbol}'({z_name})", f"{act.symbol}'({lead(z, p)}) = {lead(deriv, p)}"
        return Element(idx, f"∂E/∂{z_name}", f"{d_name}·{sym_d}",
                       f"{term(d, p)}·{act.symbol}'({lead(z, p)})", float(s.value[idx]))
    return Element(idx, f"∂E/∂{z_name}", f"{d_name}·{sym_d}", f"{prod(term(d, p), num_d)}",
                   float(s.value[idx]))


def el_lin_grad(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    i, r = idx
    m = s.module  # δ_m = δ_(m+1) Wᵀ, Z_(m+1) = Z_m W + b
    k = t.modules[m].layer
    d, W = s.inputs[names.delta(m + 1)], s.inputs[names.weight(k)]
    fan_out = W.shape[1]
    symbolic = sum_of(fan_out, lambda j: prod(f"∂E/∂{namer(names.z(m + 1), (i, j))}",
                                              namer(names.weight(k), (r, j))))
    substituted = sum_of(fan_out, lambda j: prod(term(d[i, j], p), term(W[r, j], p)))
    return Element(idx, f"∂E/∂{namer(names.z(m), idx)}", symbolic, substituted, float(s.value[idx]))


def el_grad_w(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    r, j = idx
    k = s.layer
    m = _linear_module(t, k)
    x, d = s.inputs[names.z(m - 1)], s.inputs[names.delta(m)]
    n = x.shape[0]
    l2 = names.weight(k) in s.inputs  # one more term: the L2 penalty's gradient

    def sym_term(i: int) -> str:  # a term per sample, then the penalty
        if i == n:
            return f"(λ/N)·{namer(names.weight(k), idx)}"
        return prod(f"∂E/∂{namer(names.z(m), (i, j))}", namer(names.z(m - 1), (i, r)))

    def num_term(i: int) -> str:
        if i == n:
            lam = t.scenario.training.l2
            return prod(f"({operand(lam, 6)}/{n})", term(s.inputs[names.weight(k)][idx], p))
        return prod(term(d[i, j], p), term(x[i, r], p))

    return Element(idx, f"∂E/∂{namer(names.weight(k), idx)}", sum_of(n + l2, sym_term),
                   sum_of(n + l2, num_term), float(s.value[idx]))


def el_grad_b(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    k = s.layer
    m = _linear_module(t, k)
    d = s.inputs[names.delta(m)]
    if s.value.ndim == 0:  # a shared bias: every element of δ, in order
        count, at = d.size, (lambda f: cell(d.shape, f))
    else:  # one unit's bias: its column of δ
        count, at = d.shape[0], (lambda i: (i, idx[0]))
    return Element(idx, f"∂E/∂{namer(names.bias(k), idx)}",
                   sum_of(count, lambda f: f"∂E/∂{namer(names.z(m), at(f))}"),
                   sum_of(count, lambda f: term(d[at(f)], p)), float(s.value[idx]))


def el_update(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    tr = t.scenario.training
    name = namer(s.name, idx)
    before = s.inputs[s.name][idx]
    g = s.inputs[names.grad(s.name)][idx]
    if s.op == "frozen":
        return Element(idx, name, f"{name} (frozen)", lead(before, p), float(s.value[idx]), True)
    other = cls.el_update(t, s, idx, namer, p)  # Adam, RMSProp
    if other is not None:
        return other
    if tr.momentum == 0:
        return Element(idx, name, f"{name} − η·∂E/∂{name}",
                       f"{lead(before, p)} − {term(tr.learning_rate, 8)}·{term(g, p)}",
                       float(s.value[idx]), True)
    upd = s.inputs["update"][idx]
    return Element(idx, name, f"{name} + Δ{name}  (Δ from momentum {tr.momentum})",
                   f"{lead(before, p)} + {term(upd, p)}", float(s.value[idx]), True)


def el_scalar(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    if s.op == "epoch_loss":
        losses, sizes = s.inputs["batch_losses"], s.inputs["batch_sizes"]
        count = min(len(losses), len(sizes))
        terms = sum_of(count, lambda b: prod(term(sizes[b], 0), term(losses[b], p)))
        return Element(idx, "loss", "Σ N_b·E_b / N", f"({terms}) / {operand(sizes.sum(), 0)}",
                       float(s.value))
    return Element(idx, s.name, "", "", float(s.value[idx]))

