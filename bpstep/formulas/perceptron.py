"""Rules and per-element formulas of the Perceptron's steps (bpstep/engine/perceptron.py) and of
the held-out test split's targets."""

from __future__ import annotations

from bpstep.format import term
from bpstep.formulas.base import Element, Namer, lead, prod, sum_of
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

# --- the held-out test split's targets, and the Perceptron (bpstep/engine/perceptron.py) --------

def _paren(x: float, p: int) -> str:
    """An operand in a product: negative values in parentheses, ``(−1)``."""
    return term(x, p)


def el_perc_z(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    w, x = s.inputs["w"], s.inputs["x"]
    n = w.shape[0]
    return Element(idx, namer("z", ()), sum_of(n, lambda r: prod(namer("w", (r,)), namer("x", (r,)))),
                   sum_of(n, lambda r: prod(term(w[r], p), term(x[r], p))), float(s.value))


def el_sign(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    return Element(idx, "ŷ", f"sign({namer('z', ())})", f"sign({lead(float(s.inputs['z']), p)})",
                   float(s.value))


def el_perc_error(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    y, y_hat = float(s.inputs["y"]), float(s.inputs["y_hat"])
    return Element(idx, "y − ŷ", "", f"{lead(y, p)} − {_paren(y_hat, p)}", float(s.value))


def el_perc_update(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    w, x, error = s.inputs["w"][idx], s.inputs["x"][idx], float(s.inputs["error"])
    name = namer("w", idx)
    eta = t.scenario.training.learning_rate
    return Element(idx, name, f"{name} + η(y − ŷ)·{namer('x', idx)}",
                   f"{lead(w, p)} + {term(eta, 8)}·{_paren(error, p)}·{_paren(x, p)}",
                   float(s.value[idx]), True)


def el_perc_criterion(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    ys, zs = s.inputs["y"], s.inputs["z"]
    count = min(len(ys), len(zs))
    terms = sum_of(count, lambda i: prod(_paren(ys[i], p), _paren(zs[i], p)))
    return Element(idx, "loss", "−Σ_miss y·z", f"−[{terms}]" if count else "0 (no mistakes)",
                   float(s.value))


def el_perc_accuracy(t: Trace, s: Step, idx, namer: Namer, p: int) -> Element:  # noqa: ANN001
    o, tt = s.inputs["o"], s.inputs["T"]
    return Element(idx, s.name, "(samples with ŷ = y) / N",
                   f"{int((o == tt).sum())} / {tt.shape[0]}", float(s.value))


def rule_perc_update(t: Trace, s: Step) -> tuple[str, str]:
    eta = t.scenario.training.learning_rate
    return (f"w := w + η(y − ŷ)x   (η = {eta})",
            "the Perceptron learning rule: a wrong prediction moves w towards y·x")

