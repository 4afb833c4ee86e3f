"""Explain a step: the rule in the tutorial's notation, and for each element the same formula
with the numbers substituted, as the tutorial writes its exercise:

    z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = 4.3000

Plain text only; shared by the TUI, the CLI, answer checking and export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bpstep.engine.activations import get_activation
from bpstep.engine.losses import get_loss
from bpstep.format import DEFAULT_PRECISION, MINUS, num, operand, signed, superscript, term
from bpstep.trace.step import Step
from bpstep.trace.trace import Trace, display_names

# A sum with more terms than this is shown as its first terms, "…", and its last term.
MAX_TERMS = 6


@dataclass(frozen=True)
class Element:
    """One element of a step's value with its own substituted formula."""

    index: tuple[int, ...]
    label: str  # "z_h1" or "Z1[0,0]"
    symbolic: str  # "w1·x1 + w3·x2 + w5·x3 + b1" (may be "")
    substituted: str  # "0.1·1 + 0.3·4 + 0.5·5 + 0.5"
    value: float
    assign: bool = False  # an update: "w7 := w7 − η·∂E/∂w7 = …"
    integer: bool = False  # a count or an epoch number: written without decimals

    def text(self, precision: int = DEFAULT_PRECISION) -> str:
        result = value_text(self.value, precision, self.integer)
        parts = []
        if self.symbolic and self.symbolic != self.label:
            parts.append(self.symbolic)
        # A substitution that is the symbol itself, or one bare number that is the result again
        # (∂E/∂b2 = ∂E/∂z = 0.3379 = 0.3379), says nothing: left out.
        if self.substituted and self.substituted not in (self.symbolic, result) and not (
                _bare_number(self.substituted) and _same_number(self.substituted, result)):
            parts.append(self.substituted)
        parts.append(result)
        return f"{self.label} {':=' if self.assign else '='} " + " = ".join(parts)


def value_text(x: float, precision: int = DEFAULT_PRECISION, integer: bool = False) -> str:
    """A formula's result: ``precision`` decimals (or a whole number) with a proper minus."""
    if integer and float(x).is_integer():
        return signed(str(int(x)))
    return signed(num(x, precision))


def _bare_number(text: str) -> bool:
    try:
        float(text.replace(MINUS, "-"))
    except ValueError:
        return False
    return True


def _same_number(a: str, b: str) -> bool:
    """Whether two written numbers agree to the fewer decimals of the two."""
    a, b = a.replace(MINUS, "-"), b.replace(MINUS, "-")
    decimals = min(len(t.partition(".")[2]) if "e" not in t else 16 for t in (a, b))
    return round(float(a), decimals) == round(float(b), decimals)


# Steps whose value is a count or an epoch number.
INTEGER_OPS = frozenset({"restore", "perceptron_mistakes", "perceptron_converged"})


@dataclass(frozen=True)
class Explanation:
    title: str  # "Z2 = h1, h2: forward, sigmoid of layer 1"
    rule: str  # "Z⁽²⁾ = σ(Z⁽¹⁾)"
    elements: tuple[Element, ...]
    note: str = ""
    elided: int = 0  # elements not listed (wide layers)


class Namer:
    """Labels for single values: display names where the scenario gives them."""

    def __init__(self, trace: Trace) -> None:
        self.names = _display_map(tuple(sorted(trace.scenario.names.items())))

    def __call__(self, name: str, index: tuple[int, ...]) -> str:
        found = self.names.get((name, index))
        if found:
            return found
        if not index:
            return name
        return f"{name}[{','.join(str(i) for i in index)}]"


@lru_cache(maxsize=32)
def _display_map(items: tuple[tuple[str, str], ...]) -> dict[tuple[str, tuple[int, ...]], str]:
    return display_names(dict(items))


def step_label(trace: Trace, step: Step, limit: int = 4) -> str:
    """``Z2 (h1, h2)`` when the step's elements have display names, else the step's name."""
    namer = Namer(trace)
    v = step.value
    if v.ndim == 0:
        label = namer(step.name, ())
        return step.name if label == step.name else f"{step.name} ({label})"
    labels = []
    for idx in np.ndindex(*v.shape):
        if len(labels) >= limit:
            labels.append("…")
            break
        label = namer(step.name, idx)
        if label.startswith(step.name + "["):
            return step.name
        labels.append(label)
    if labels == [step.name]:  # dE/db1 whose display name is b1: no "dE/db1 (dE/db1)"
        return step.name
    return f"{step.name} ({', '.join(labels)})"


def sym(name: str) -> str:
    """Trace name → tutorial notation: Z2 → Z⁽²⁾, delta3 → δ⁽³⁾, W1 → W⁽¹⁾, dE/dW1 → ∂E/∂W⁽¹⁾."""
    for prefix, out in (("dE/d", "∂E/∂"), ("delta", "δ"), ("Z", "Z"), ("W", "W"), ("b", "b")):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return out + superscript(name[len(prefix):])
        if prefix == "dE/d" and name.startswith(prefix):
            return out + sym(name[len(prefix):])
    return name


def _sum(terms: list[str]) -> str:
    if len(terms) > MAX_TERMS:
        terms = terms[: MAX_TERMS - 2] + ["…", terms[-1]]
    out = ""
    for n, t in enumerate(terms):
        # A negative number on its own is subtracted: "… − 0.1", and "−0.1 + …" first.
        bare = t[1:-1] if t.startswith("(" + MINUS) and t.endswith(")") and "(" not in t[1:] else None
        if n == 0:
            out = bare or t
        elif bare:
            out += f" {MINUS} {bare[1:]}"
        else:
            out += f" + {t}"
    return out


def _sum_of(n: int, term: Callable[[int], str]) -> str:
    """``_sum([term(i) for i in range(n)])``, formatting only the terms it shows: a 784-input
    unit's sum costs 5 terms, not 785."""
    if n > MAX_TERMS:
        return _sum([term(i) for i in range(MAX_TERMS - 2)] + ["…", term(n - 1)])
    return _sum([term(i) for i in range(n)])


def _cell(shape: tuple[int, ...], flat: int) -> tuple[int, ...]:
    """The index of element ``flat`` in C order (``np.ndindex`` order), without listing them all."""
    out = []
    for size in reversed(shape):
        flat, r = divmod(flat, size)
        out.append(r)
    return tuple(reversed(out))


def _prod(*parts: str) -> str:
    return "·".join(f"({p})" if p.startswith(("-", MINUS)) else p for p in parts)


def _lead(x: float, p: int) -> str:
    """An operand that stands first or alone (``σ(−1)``, ``−0.5 + …``): a proper minus, no parentheses."""
    return signed(operand(x, p))


def explain(
    trace: Trace, step: Step, precision: int = DEFAULT_PRECISION, max_elements: int = 64
) -> Explanation:
    """The rule and the substituted formula for each element of ``step`` (up to
    ``max_elements``; the rest are counted in ``elided``)."""
    namer = Namer(trace)
    p = precision
    rule, note = _RULES.get(step.op, lambda t, s: (s.op, ""))(trace, step)
    note = step.note or note
    title = f"{step_label(trace, step)}: {step.phase}"
    builder = _ELEMENTS.get(step.op)
    elements: list[Element] = []
    total = step.value.size
    if builder is not None:
        for count, idx in enumerate(np.ndindex(*step.value.shape)):
            if count >= max_elements:
                break
            elements.append(builder(trace, step, idx, namer, p))
    return Explanation(title, rule, tuple(elements), note, max(0, total - len(elements))
                       if builder is not None else 0)


# --- rules ------------------------------------------------------------------------------------

def _act_name(trace: Trace, step: Step) -> str:
    info = trace.modules[step.module - 1] if step.module else None
    return info.activation if info else "identity"


def _loss(trace: Trace):  # noqa: ANN202
    return get_loss(trace.scenario.network.loss)


def _rule_linear(t: Trace, s: Step) -> tuple[str, str]:
    m, k = s.module, s.layer
    shared = t.modules[m - 1].shared_bias
    note = f"b{superscript(k)} is one bias shared by every unit of the layer" if shared else ""
    return f"Z{superscript(m)} = W{superscript(k)}ᵀ Z{superscript(m - 1)} + b{superscript(k)}", note


def _rule_activation(t: Trace, s: Step) -> tuple[str, str]:
    act = get_activation(_act_name(t, s))
    return f"Z{superscript(s.module)} = {act.symbol}(Z{superscript(s.module - 1)})", act.rule


def _rule_loss(t: Trace, s: Step) -> tuple[str, str]:
    loss = _loss(t)
    note = ""
    if "l2_term" in s.inputs:
        note = (f"plus the L2 penalty (λ/2N)·Σ‖W‖² = {num(float(s.inputs['l2_term']), 6)} "
                f"(λ = {t.scenario.training.l2})")
    return loss.rule, note


def _rule_loss_grad(t: Trace, s: Step) -> tuple[str, str]:
    return f"δ{superscript(s.module)} = ∂E/∂Z{superscript(s.module)}:  {_loss(t).grad_rule}", ""


def _rule_act_grad(t: Trace, s: Step) -> tuple[str, str]:
    m = s.module
    act = get_activation(_act_name_of(t, m + 1))
    return (f"δ{superscript(m)} = δ{superscript(m + 1)} ⊙ {act.symbol}'(Z{superscript(m)})",
            act.derivative_rule)


def _act_name_of(t: Trace, module: int) -> str:
    return t.modules[module - 1].activation


def _rule_lin_grad(t: Trace, s: Step) -> tuple[str, str]:
    m = s.module
    k = t.modules[m].layer
    return f"δ{superscript(m)} = δ{superscript(m + 1)} W{superscript(k)}ᵀ", ""


def _rule_grad_w(t: Trace, s: Step) -> tuple[str, str]:
    k = s.layer
    m = _linear_module(t, k)
    rule = f"∂E/∂W{superscript(k)} = Z{superscript(m - 1)}ᵀ δ{superscript(m)}"
    if t.scenario.training.l2:
        rule += f" + (λ/N) W{superscript(k)}"
    return rule, ""


def _rule_grad_b(t: Trace, s: Step) -> tuple[str, str]:
    k = s.layer
    m = _linear_module(t, k)
    if t.modules[m - 1].shared_bias:
        return (f"∂E/∂b{superscript(k)} = Σᵢ Σⱼ δ{superscript(m)}ᵢⱼ",
                "a shared bias feeds every unit, so its gradient sums over all of them")
    return f"∂E/∂b{superscript(k)} = Σᵢ δ{superscript(m)}ᵢ (sum over the batch)", ""


def _linear_module(t: Trace, layer: int) -> int:
    return next(info.index for info in t.modules if info.kind == "linear" and info.layer == layer)


def _rule_update(t: Trace, s: Step) -> tuple[str, str]:
    tr = t.scenario.training
    p = sym(s.name)
    if tr.momentum == 0:
        return f"{p} := {p} − η ∂E/∂{p}   (η = {tr.learning_rate})", ""
    if tr.nesterov:
        return (f"v := μv − η ∂E/∂{p};  {p} := {p} + μv − η ∂E/∂{p}   "
                f"(η = {tr.learning_rate}, μ = {tr.momentum}, Nesterov)", "")
    return (f"v := μv − η ∂E/∂{p};  {p} := {p} + v   (η = {tr.learning_rate}, μ = {tr.momentum})",
            "")


_RULES = {
    "input": lambda t, s: ("Z⁽⁰⁾ = the batch's inputs (one row per sample)", ""),
    "linear": _rule_linear,
    "activation": _rule_activation,
    "loss": _rule_loss,
    "loss_grad": _rule_loss_grad,
    "activation_grad": _rule_act_grad,
    "linear_grad_input": _rule_lin_grad,
    "grad_W": _rule_grad_w,
    "grad_b": _rule_grad_b,
    "update": _rule_update,
    "frozen": lambda t, s: (f"{sym(s.name)} is frozen: it keeps its value", ""),
    "epoch_loss": lambda t, s: ("loss = Σ_b N_b·E_b / N  (batch losses weighted by batch size)", ""),
    "r2": lambda t, s: ("R² = 1 − Σ(t − o)² / Σ(t − t̄)²  on the validation split", ""),
    "accuracy": lambda t, s: ("accuracy = share of samples with (o ≥ 0.5) = (t ≥ 0.5)", ""),
    "restore": lambda t, s: ("early stopping restores the parameters of the best epoch", ""),
    "predict": lambda t, s: ("the trained network's outputs on the held-out test split", ""),
    "test_mse": lambda t, s: ("test MSE = (1/N) Σ (t − o)² on the held-out test split", ""),
}


# --- elements ---------------------------------------------------------------------------------

def _el_input(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    return Element(idx, namer(s.name, idx), "", "", float(s.value[idx]))


def _el_linear(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    i, j = idx
    m, k = s.module, s.layer
    x, W, b = s.inputs[f"Z{m - 1}"], s.inputs[f"W{k}"], s.inputs[f"b{k}"]
    fan_in = W.shape[0]
    b_idx = () if b.ndim == 0 else (j,)

    def sym_term(r: int) -> str:  # w·x for each input, then the bias
        if r == fan_in:
            return namer(f"b{k}", b_idx)
        return _prod(namer(f"W{k}", (r, j)), namer(f"Z{m - 1}", (i, r)))

    def num_term(r: int) -> str:
        return term(b[b_idx], p) if r == fan_in else _prod(term(W[r, j], p), term(x[i, r], p))

    return Element(idx, namer(s.name, idx), _sum_of(fan_in + 1, sym_term), _sum_of(fan_in + 1, num_term),
                   float(s.value[idx]))


def _el_activation(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    act = get_activation(_act_name(t, s))
    z_name = f"Z{s.module - 1}"
    z = s.inputs[z_name][idx]
    return Element(idx, namer(s.name, idx), f"{act.symbol}({namer(z_name, idx)})",
                   f"{act.symbol}({_lead(z, p)})", float(s.value[idx]))


def _el_loss(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    loss = _loss(t)
    M = s.module
    o, tt = s.inputs[f"Z{M}"], s.inputs["T"]
    if loss.grad_factor is not None:
        def sym_term(f: int) -> str:
            c = _cell(o.shape, f)
            return f"({namer(f'Z{M}', c)} − t{_sub(c, o.shape)})²"

        def num_term(f: int) -> str:
            c = _cell(o.shape, f)
            return f"({_lead(o[c], p)} − {term(tt[c], p)})²"

        n = o.shape[0]
        prefix = (loss.info.squared_prefix or "").replace("2N", str(2 * n)).replace("N", str(n))
        symbolic = f"{prefix}[{_sum_of(o.size, sym_term)}]"
        substituted = f"{prefix}[{_sum_of(o.size, num_term)}]"
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


def _el_loss_grad(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    loss = _loss(t)
    M = s.module
    o, tt = s.inputs[f"Z{M}"][idx], s.inputs["T"][idx]
    o_name = namer(f"Z{M}", idx)
    t_name = f"t{_sub(idx, s.value.shape)}"
    label = f"∂E/∂{o_name}"
    if loss.grad_factor is not None:
        f = loss.grad_factor(s.value.shape[0])
        factor = "" if f == 1 else (f"{operand(f, 6)}·" if f != 2 else "2")
        return Element(idx, label, f"{factor}({o_name} − {t_name})",
                       f"{factor}({_lead(o, p)} − {term(tt, p)})", float(s.value[idx]))
    n = s.value.shape[0]
    return Element(idx, label, f"({o_name} − {t_name}) / ({n}·{o_name}(1 − {o_name}))",
                   f"({_lead(o, p)} − {term(tt, p)}) / ({n}·{term(o, p)}·(1 − {term(o, p)}))",
                   float(s.value[idx]))


def _el_act_grad(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    m = s.module  # δ_m = δ_(m+1) ⊙ f'(Z_m), where Z_(m+1) = f(Z_m)
    act = get_activation(_act_name_of(t, m + 1))
    d, z, a = s.inputs[f"delta{m + 1}"][idx], s.inputs[f"Z{m}"][idx], s.inputs[f"Z{m + 1}"][idx]
    d_name = f"∂E/∂{namer(f'Z{m + 1}', idx)}"
    z_name, a_name = namer(f"Z{m}", idx), namer(f"Z{m + 1}", idx)
    form = act.info.derivative_of_output  # σ' as a(1 − a), tanh' as (1 − a²), as the tutorial does
    if form:
        sym_d = form.format(a=a_name)
        num_d = form.replace("{a}(", "{a}·(").format(a=term(a, p))
    else:
        deriv = float(act.df(np.array(z), np.array(a)))
        sym_d, num_d = f"{act.symbol}'({z_name})", f"{act.symbol}'({_lead(z, p)}) = {_lead(deriv, p)}"
        return Element(idx, f"∂E/∂{z_name}", f"{d_name}·{sym_d}",
                       f"{term(d, p)}·{act.symbol}'({_lead(z, p)})", float(s.value[idx]))
    return Element(idx, f"∂E/∂{z_name}", f"{d_name}·{sym_d}", f"{_prod(term(d, p), num_d)}",
                   float(s.value[idx]))


def _el_lin_grad(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    i, r = idx
    m = s.module  # δ_m = δ_(m+1) Wᵀ, Z_(m+1) = Z_m W + b
    k = t.modules[m].layer
    d, W = s.inputs[f"delta{m + 1}"], s.inputs[f"W{k}"]
    fan_out = W.shape[1]
    symbolic = _sum_of(fan_out, lambda j: _prod(f"∂E/∂{namer(f'Z{m + 1}', (i, j))}", namer(f"W{k}", (r, j))))
    substituted = _sum_of(fan_out, lambda j: _prod(term(d[i, j], p), term(W[r, j], p)))
    return Element(idx, f"∂E/∂{namer(f'Z{m}', idx)}", symbolic, substituted, float(s.value[idx]))


def _el_grad_w(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    r, j = idx
    k = s.layer
    m = _linear_module(t, k)
    x, d = s.inputs[f"Z{m - 1}"], s.inputs[f"delta{m}"]
    n = x.shape[0]
    l2 = f"W{k}" in s.inputs  # one more term: the L2 penalty's gradient

    def sym_term(i: int) -> str:  # a term per sample, then the penalty
        if i == n:
            return f"(λ/N)·{namer(f'W{k}', idx)}"
        return _prod(f"∂E/∂{namer(f'Z{m}', (i, j))}", namer(f"Z{m - 1}", (i, r)))

    def num_term(i: int) -> str:
        if i == n:
            lam = t.scenario.training.l2
            return _prod(f"({operand(lam, 6)}/{n})", term(s.inputs[f'W{k}'][idx], p))
        return _prod(term(d[i, j], p), term(x[i, r], p))

    return Element(idx, f"∂E/∂{namer(f'W{k}', idx)}", _sum_of(n + l2, sym_term), _sum_of(n + l2, num_term),
                   float(s.value[idx]))


def _el_grad_b(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    k = s.layer
    m = _linear_module(t, k)
    d = s.inputs[f"delta{m}"]
    if s.value.ndim == 0:  # a shared bias: every element of δ, in order
        count, cell = d.size, (lambda f: _cell(d.shape, f))
    else:  # one unit's bias: its column of δ
        count, cell = d.shape[0], (lambda i: (i, idx[0]))
    return Element(idx, f"∂E/∂{namer(f'b{k}', idx)}",
                   _sum_of(count, lambda f: f"∂E/∂{namer(f'Z{m}', cell(f))}"),
                   _sum_of(count, lambda f: term(d[cell(f)], p)), float(s.value[idx]))


def _el_update(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    tr = t.scenario.training
    name = namer(s.name, idx)
    before = s.inputs[s.name][idx]
    g = s.inputs[f"dE/d{s.name}"][idx]
    if s.op == "frozen":
        return Element(idx, name, f"{name} (frozen)", _lead(before, p), float(s.value[idx]), True)
    if tr.momentum == 0:
        return Element(idx, name, f"{name} − η·∂E/∂{name}",
                       f"{_lead(before, p)} − {term(tr.learning_rate, 8)}·{term(g, p)}",
                       float(s.value[idx]), True)
    upd = s.inputs["update"][idx]
    return Element(idx, name, f"{name} + Δ{name}  (Δ from momentum {tr.momentum})",
                   f"{_lead(before, p)} + {term(upd, p)}", float(s.value[idx]), True)


def _el_scalar(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    if s.op == "epoch_loss":
        losses, sizes = s.inputs["batch_losses"], s.inputs["batch_sizes"]
        count = min(len(losses), len(sizes))
        terms = _sum_of(count, lambda b: _prod(term(sizes[b], 0), term(losses[b], p)))
        return Element(idx, "loss", "Σ N_b·E_b / N", f"({terms}) / {operand(sizes.sum(), 0)}",
                       float(s.value))
    return Element(idx, s.name, "", "", float(s.value[idx]), integer=s.op in INTEGER_OPS)


_ELEMENTS = {
    "input": _el_input,
    "linear": _el_linear,
    "activation": _el_activation,
    "loss": _el_loss,
    "loss_grad": _el_loss_grad,
    "activation_grad": _el_act_grad,
    "linear_grad_input": _el_lin_grad,
    "grad_W": _el_grad_w,
    "grad_b": _el_grad_b,
    "update": _el_update,
    "frozen": _el_update,
    "epoch_loss": _el_scalar,
    "r2": _el_scalar,
    "accuracy": _el_scalar,
    "test_mse": _el_scalar,
    "restore": _el_scalar,
    "predict": _el_input,
}


# --- the held-out test split's targets, and the Perceptron (bpstep/engine/perceptron.py) --------

def _paren(x: float, p: int) -> str:
    """An operand in a product: negative values in parentheses, ``(−1)``."""
    return term(x, p)


def _el_perc_z(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    w, x = s.inputs["w"], s.inputs["x"]
    n = w.shape[0]
    return Element(idx, namer("z", ()), _sum_of(n, lambda r: _prod(namer("w", (r,)), namer("x", (r,)))),
                   _sum_of(n, lambda r: _prod(term(w[r], p), term(x[r], p))), float(s.value))


def _el_sign(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    return Element(idx, "ŷ", f"sign({namer('z', ())})", f"sign({_lead(float(s.inputs['z']), p)})",
                   float(s.value))


def _el_perc_error(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    y, y_hat = float(s.inputs["y"]), float(s.inputs["y_hat"])
    return Element(idx, "y − ŷ", "", f"{_lead(y, p)} − {_paren(y_hat, p)}", float(s.value))


def _el_perc_update(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    w, x, error = s.inputs["w"][idx], s.inputs["x"][idx], float(s.inputs["error"])
    name = namer("w", idx)
    eta = t.scenario.training.learning_rate
    return Element(idx, name, f"{name} + η(y − ŷ)·{namer('x', idx)}",
                   f"{_lead(w, p)} + {term(eta, 8)}·{_paren(error, p)}·{_paren(x, p)}",
                   float(s.value[idx]), True)


def _el_perc_criterion(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    ys, zs = s.inputs["y"], s.inputs["z"]
    count = min(len(ys), len(zs))
    terms = _sum_of(count, lambda i: _prod(_paren(ys[i], p), _paren(zs[i], p)))
    return Element(idx, "loss", "−Σ_miss y·z", f"−[{terms}]" if count else "0 (no mistakes)",
                   float(s.value))


def _el_perc_accuracy(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    o, tt = s.inputs["o"], s.inputs["T"]
    return Element(idx, s.name, "(samples with ŷ = y) / N",
                   f"{int(np.sum(o == tt))} / {tt.shape[0]}", float(s.value))


def _rule_perc_update(t: Trace, s: Step) -> tuple[str, str]:
    eta = t.scenario.training.learning_rate
    return (f"w := w + η(y − ŷ)x   (η = {eta})",
            "the Perceptron learning rule: a wrong prediction moves w towards y·x")


_RULES.update({
    "targets": lambda t, s: ("the true targets t of the held-out test split", ""),
    "perceptron_input": lambda t, s: (
        "x = (x0, x1, …, xn): the sample, with the constant input x0 = 1 that carries the bias w0", ""),
    "perceptron_z": lambda t, s: ("z = wᵀx = w0·x0 + w1·x1 + … + wn·xn", ""),
    "sign": lambda t, s: ("ŷ = sign(z)", "+1 if z > 0, −1 if z < 0, and 0 on the boundary z = 0 "
                                         "(neither class: it counts as a mistake)"),
    "perceptron_error": lambda t, s: ("error = y − ŷ", "0 when ŷ = y; ±2 when wrong; ±1 on the boundary"),
    "perceptron_update": _rule_perc_update,
    "perceptron_mistakes": lambda t, s: (
        "mistakes = the number of samples this epoch with ŷ ≠ y", "0 means converged: w stops changing"),
    "perceptron_criterion": lambda t, s: (
        "E_perc = −Σ_(i ∈ miss) yᵢ·wᵀxᵢ  over this epoch's mistakes (the tutorial's criterion)",
        "each term with the weights that sample saw; 0 when nothing was misclassified"),
    "perceptron_converged": lambda t, s: (
        "the first epoch without a mistake (0: none within the epoch limit)", ""),
    "perceptron_predict": lambda t, s: ("ŷ = sign(wᵀx) on the held-out test split", ""),
    "perceptron_accuracy": lambda t, s: ("accuracy = share of test samples with ŷ = y", ""),
})

_ELEMENTS.update({
    "targets": _el_input,
    "perceptron_input": _el_input,
    "perceptron_z": _el_perc_z,
    "sign": _el_sign,
    "perceptron_error": _el_perc_error,
    "perceptron_update": _el_perc_update,
    "perceptron_mistakes": _el_scalar,
    "perceptron_criterion": _el_perc_criterion,
    "perceptron_converged": _el_scalar,
    "perceptron_predict": _el_input,
    "perceptron_accuracy": _el_perc_accuracy,
})
