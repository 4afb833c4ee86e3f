"""What each named activation, loss, initializer and optimizer IS for the views and the scenario
loader: its name, symbol and rules in the tutorial's notation. The maths live in ``bpstep/engine``
under the same names (a test checks that both list the same names).

A new element-wise activation is one entry here and its f and f' in ``engine/activations.py``:
every view (the step panel, the trace table, check, the quiz, export) then shows its rule and its
formulas. Numpy-free, so that reading a scenario needs neither numpy nor the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0


@dataclass(frozen=True)
class ActivationInfo:
    name: str
    symbol: str  # "σ", "tanh", "ReLU", ...
    rule: str  # the function, e.g. "σ(z) = 1 / (1 + e^(−z))"
    derivative_rule: str  # e.g. "σ'(z) = σ(z)(1 − σ(z))"
    # The derivative written with the activation's output a, as the tutorial writes σ' and tanh':
    # a template with {a} for the output ("{a}(1 − {a})"), or "" when f' is written as f'(z).
    derivative_of_output: str = ""
    # The same derivative as a student who plugs in the pre-activation z writes it (the slip
    # "z(1 − z)" for σ), for the hints; "" when there is no such form.
    slip_with_input: str = ""
    # False for an activation whose every output depends on every input of its row (softmax):
    # its backward step is a Jacobian product, not δ ⊙ f'(z); it may only be an output layer's.
    elementwise: bool = True


ACTIVATIONS: dict[str, ActivationInfo] = {a.name: a for a in (
    ActivationInfo("identity", "id", "id(z) = z", "id'(z) = 1"),
    ActivationInfo("sigmoid", "σ", "σ(z) = 1 / (1 + e^(−z))", "σ'(z) = σ(z)(1 − σ(z))",
                   "{a}(1 − {a})", "z(1 − z)"),
    ActivationInfo("tanh", "tanh", "tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))", "tanh'(z) = 1 − tanh²(z)",
                   "(1 − {a}²)", "1 − z²"),
    ActivationInfo("relu", "ReLU", "ReLU(z) = max(0, z)", "ReLU'(z) = 1 if z > 0 else 0"),
    ActivationInfo("leaky_relu", "LReLU", f"LReLU(z) = z if z > 0 else {LEAKY_SLOPE}·z",
                   f"LReLU'(z) = 1 if z > 0 else {LEAKY_SLOPE}"),
    ActivationInfo("elu", "ELU", f"ELU(z) = z if z > 0 else {ELU_ALPHA:g}·(e^z − 1)",
                   f"ELU'(z) = 1 if z > 0 else {ELU_ALPHA:g}·e^z"),
    ActivationInfo("softplus", "softplus", "softplus(z) = ln(1 + e^z)",
                   "softplus'(z) = σ(z) = 1 / (1 + e^(−z))"),
    ActivationInfo("softmax", "softmax", "softmax(z)ᵢ = e^(zᵢ) / Σⱼ e^(zⱼ)  (over each sample's units)",
                   "∂oᵢ/∂zⱼ = oᵢ(δᵢⱼ − oⱼ):  J = diag(o) − o oᵀ", elementwise=False),
)}


@dataclass(frozen=True)
class LossInfo:
    name: str
    rule: str  # E in the tutorial's notation
    grad_rule: str  # ∂E/∂o
    # E = c·Σ(o − t)² for the squared losses: the written prefix of the sum ("½", "1/N·"), with
    # N for the batch size; None for the other losses.
    squared_prefix: str | None = None
    regression: bool = True


LOSSES: dict[str, LossInfo] = {loss.name: loss for loss in (
    LossInfo("sse", "E = Σ (o − t)²", "∂E/∂o = 2(o − t)", ""),
    LossInfo("half_sse", "E = ½ Σ (o − t)²", "∂E/∂o = o − t", "½"),
    LossInfo("mse", "E = (1/N) Σᵢ Σⱼ (oᵢⱼ − tᵢⱼ)²", "∂E/∂o = (2/N)(o − t)", "1/N·"),
    LossInfo("half_mse", "E = (1/2N) Σᵢ Σⱼ (oᵢⱼ − tᵢⱼ)²", "∂E/∂o = (1/N)(o − t)", "1/2N·"),
    LossInfo("bce", "E = −(1/N) Σ [t log o + (1 − t) log(1 − o)]", "∂E/∂o = (1/N)(o − t) / (o(1 − o))",
             None, regression=False),
    LossInfo("cross_entropy", "E = −(1/N) Σᵢ Σⱼ tᵢⱼ ln oᵢⱼ", "∂E/∂o = −(1/N) t / o", None,
             regression=False),
)}

# Outputs are clipped to [ε, 1 − ε] before a log, ε the float64 machine epsilon, as scikit-learn's
# log_loss and binary_log_loss do (np.finfo(dtype).eps).
LOG_EPS = 2.220446049250313e-16

INITIALIZERS = ("glorot_uniform", "normal", "uniform", "zeros")
OPTIMIZERS = ("sgd", "adam", "rmsprop")
# Defaults: scikit-learn's Adam (beta_1, beta_2, epsilon); RMSProp's rho and epsilon.
ADAM_DEFAULTS = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
RMSPROP_DEFAULTS = {"rho": 0.9, "epsilon": 1e-8}
RNGS = ("numpy", "sklearn")
