"""Rules and per-element formulas of classification's steps: the softmax forward and its Jacobian
backward step, cross-entropy, and the Adam and RMSProp updates. Numpy-free at import, as the other
formula modules: the debugger's first frame imports them before numpy is loaded.
"""

from __future__ import annotations

from bpstep import names
from bpstep.format import operand, superscript, term
from bpstep.formulas.base import Element, Namer, lead, prod, sum_of, sym
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

JACOBIAN_RULE = "∂oᵢ/∂zⱼ = oᵢ(δᵢⱼ − oⱼ):  J = diag(o) − o oᵀ for each sample"


# --- the softmax ---------------------------------------------------------------------------------

def rule_softmax(t: Trace, s: Step) -> tuple[str, str]:
    m = s.module
    return (f"Z{superscript(m)} = softmax(Z{superscript(m - 1)}):  oᵢⱼ = e^(zᵢⱼ) / Σₖ e^(zᵢₖ)",
            "over each sample's units (a row), so every output depends on every input of its row")


def el_softmax(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    i, j = idx
    z_name = names.z(s.module - 1)
    z = s.inputs[z_name]
    units = z.shape[1]
    symbolic = f"e^{namer(z_name, idx)} / ({sum_of(units, lambda k: f'e^{namer(z_name, (i, k))}')})"
    substituted = f"e^{term(z[i, j], p)} / ({sum_of(units, lambda k: f'e^{term(z[i, k], p)}')})"
    return Element(idx, namer(s.name, idx), symbolic, substituted, float(s.value[idx]))


def rule_softmax_grad(t: Trace, s: Step) -> tuple[str, str]:
    m = s.module
    note = JACOBIAN_RULE + "; the Jacobians are the step's input J (sample × i × j)"
    if "fused" in s.inputs:
        note += (f". With cross-entropy this equals the fused route δ{superscript(m)} = (o − t)/N "
                 "(the input 'fused'): both are computed separately and checked equal")
    return f"δ{superscript(m)} = δ{superscript(m + 1)} J  (a Jacobian product, not ⊙)", note


def el_softmax_grad(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    """δ_m[i, j] = Σ_c δ_(m+1)[i, c]·∂o_c/∂z_j with each ∂o_c/∂z_j = o_c(δ_cj − o_j) substituted."""
    i, j = idx
    m = s.module
    d, o = s.inputs[names.delta(m + 1)], s.inputs[names.z(m + 1)]
    units = o.shape[1]
    o_name = names.z(m + 1)

    def sym_term(c: int) -> str:
        return prod(f"∂E/∂{namer(o_name, (i, c))}", f"∂{namer(o_name, (i, c))}/∂{namer(names.z(m), idx)}")

    def num_term(c: int) -> str:
        kronecker = 1 if c == j else 0
        return prod(term(d[i, c], p), f"{term(o[i, c], p)}·({kronecker} − {term(o[i, j], p)})")

    return Element(idx, f"∂E/∂{namer(names.z(m), idx)}", sum_of(units, sym_term), sum_of(units, num_term),
                   float(s.value[idx]))


def jacobian_element(t: Trace, s: Step, idx: tuple[int, int, int], namer: Namer, p: int) -> Element:
    """One element J[n, i, j] = ∂oᵢ/∂zⱼ of a softmax step's input J, substituted: for a view that
    steps into the Jacobian of sample n."""
    n, i, j = idx
    o = s.inputs[names.z(s.module + 1)]
    o_name = names.z(s.module + 1)
    kronecker = 1 if i == j else 0
    return Element(idx, f"∂{namer(o_name, (n, i))}/∂{namer(names.z(s.module), (n, j))}",
                   f"{namer(o_name, (n, i))}·({kronecker} − {namer(o_name, (n, j))})",
                   f"{lead(o[n, i], p)}·({kronecker} − {term(o[n, j], p)})",
                   float(s.inputs["J"][idx]))


# --- cross-entropy -------------------------------------------------------------------------------

def el_ce_loss(s: Step, o, tt, namer: Namer, p: int) -> tuple[str, str]:  # noqa: ANN001
    """E's symbolic and substituted sums over the cells with a non-zero target (the others add 0)."""
    n = o.shape[0]
    cells = [(i, j) for i in range(o.shape[0]) for j in range(o.shape[1]) if tt[i, j] != 0]
    M = s.module

    def sym_term(f: int) -> str:
        c = cells[f]
        return prod(f"t[{c[0]},{c[1]}]", f"ln {namer(names.z(M), c)}")

    def num_term(f: int) -> str:
        c = cells[f]
        return prod(operand(tt[c], p), f"ln {term(o[c], p)}")

    return (f"−1/{n}·[{sum_of(len(cells), sym_term)}]", f"−1/{n}·[{sum_of(len(cells), num_term)}]")


def el_ce_grad(s: Step, idx, o_name: str, t_name: str, p: int) -> tuple[str, str]:  # noqa: ANN001
    o, tt = s.inputs[names.z(s.module)][idx], s.inputs["T"][idx]
    n = s.value.shape[0]
    return f"−{t_name} / ({n}·{o_name})", f"−{term(tt, p)} / ({n}·{term(o, p)})"


# --- Adam and RMSProp ----------------------------------------------------------------------------

def rule_update(t: Trace, s: Step) -> tuple[str, str] | None:
    """The update rule for Adam or RMSProp (None for SGD: ``formulas.network`` writes it)."""
    tr = t.scenario.training
    p = sym(s.name)
    g = f"∂E/∂{p}"
    if tr.optimizer == "adam":
        return (f"m := β₁m + (1 − β₁){g};  v := β₂v + (1 − β₂)({g})²;  {p} := {p} − η_t·m/(√v + ε)",
                f"η_t = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) at update t (scikit-learn's bias correction); η = "
                f"{tr.learning_rate}, β₁ = {tr.beta1}, β₂ = {tr.beta2}, ε = {tr.epsilon}; the moments "
                "are the step's inputs m, v (m_before, v_before: before this update), η_t is lr_t")
    if tr.optimizer == "rmsprop":
        return (f"v := ρv + (1 − ρ)({g})²;  {p} := {p} − η·{g}/(√v + ε)",
                f"η = {tr.learning_rate}, ρ = {tr.rho}, ε = {tr.epsilon}; v is the step's input v "
                "(v_before: before this update)")
    return None


def el_update(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element | None:  # noqa: ANN001
    """One element of an Adam or RMSProp update with the moments substituted (None for SGD)."""
    tr = t.scenario.training
    if tr.optimizer not in ("adam", "rmsprop") or s.op == "frozen":
        return None
    name = namer(s.name, idx)
    before, g = s.inputs[s.name][idx], s.inputs[names.grad(s.name)][idx]
    eps = operand(tr.epsilon, 6)
    decay = tr.rho if tr.optimizer == "rmsprop" else tr.beta2
    v_sub = (f"({operand(decay, 6)}·{term(s.inputs['v_before'][idx], p)}"
             f" + {operand(1 - decay, 6)}·{term(g, p)}²)")
    if tr.optimizer == "rmsprop":
        return Element(idx, name, f"{name} − η·∂E/∂{name}/(√v + ε)",
                       f"{lead(before, p)} − {term(tr.learning_rate, 8)}·{term(g, p)}/(√{v_sub} + {eps})",
                       float(s.value[idx]), True)
    m_sub = (f"({operand(tr.beta1, 6)}·{term(s.inputs['m_before'][idx], p)} + "
             f"{operand(1 - tr.beta1, 6)}·{term(g, p)})")
    lr_t = float(s.inputs["lr_t"])
    return Element(idx, name, f"{name} − η_t·m/(√v + ε)",
                   f"{lead(before, p)} − {operand(lr_t, 8)}·{m_sub}/(√{v_sub} + {eps})",
                   float(s.value[idx]), True)
