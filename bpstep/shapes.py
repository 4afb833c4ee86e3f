"""The shape and size rules of a network, for the scenario loader and the engine alike: which
modules a network has, each parameter's and each step's shape, how much memory a trace needs,
and the limits. Standard library only, so that reading a scenario needs neither numpy nor the
engine; the engine builds its layers from ``module_infos`` and sizes its parameters with
``param_shapes``, so there is one shape oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bpstep import catalog, names

if TYPE_CHECKING:
    from bpstep.scenario.model import NetworkSpec, Scenario

# A network with more weights than this is refused before anything is allocated.
MAX_PARAMETERS = 50_000_000
# A run whose trace would hold more than this at once is refused (see ``estimate_bytes``).
MAX_TRACE_BYTES = 4 * 1024**3
# Steps, and bytes of their arrays, kept in memory at once; older epochs beyond either are dropped
# and recomputed from their checkpoint when needed again (a 10,000-epoch xor run would otherwise
# hold ~200 MB of steps, and 1,000 epochs of a 784-128-10 network on 64 samples ~5 GB).
DEFAULT_RESIDENT_STEPS = 50_000
DEFAULT_RESIDENT_BYTES = 128 * 1024**2

# The perceptron's one parameter: w0 (the bias, on a constant input x0 = 1), w1 … wn.
PERCEPTRON_PARAMETER = "w"


@dataclass(frozen=True)
class ModuleInfo:
    """Module m of the chain: it produces Z_m from Z_(m−1)."""

    index: int  # m ≥ 1
    kind: str  # "linear" or "activation"
    layer: int  # dense layer k
    units: int
    activation: str = ""  # for kind == "activation"
    shared_bias: bool = False  # for kind == "linear"
    # False for softmax, whose outputs each depend on the whole row: its backward step is a
    # Jacobian product (the catalog's ActivationInfo.elementwise).
    elementwise: bool = True


def module_infos(network: NetworkSpec) -> list[ModuleInfo]:
    """The chain of modules for a network: Linear, then its activation unless identity."""
    out: list[ModuleInfo] = []
    for k, spec in enumerate(network.layers, start=1):
        out.append(ModuleInfo(len(out) + 1, "linear", k, spec.units, shared_bias=spec.shared_bias))
        if spec.activation != "identity":
            info = catalog.ACTIVATIONS.get(spec.activation)
            out.append(ModuleInfo(len(out) + 1, "activation", k, spec.units, activation=spec.activation,
                                  elementwise=info.elementwise if info else True))
    return out


def param_shapes(network: NetworkSpec) -> dict[str, tuple[int, ...]]:
    """Each parameter's shape, in the order the engine draws them (W1, b1, W2, b2, …)."""
    if network.kind == "perceptron":
        return {PERCEPTRON_PARAMETER: (perceptron_weight_count(network.inputs),)}
    shapes: dict[str, tuple[int, ...]] = {}
    fan_in = network.inputs
    for k, spec in enumerate(network.layers, start=1):
        shapes[names.weight(k)] = (fan_in, spec.units)
        shapes[names.bias(k)] = () if spec.shared_bias else (spec.units,)
        fan_in = spec.units
    return shapes


def step_shapes(scenario: Scenario) -> dict[str, tuple[int, ...]]:
    """The shape of every named step of a network's first batch (for checking references; the
    perceptron's are ``perceptron_step_shapes``)."""
    bs = scenario.batch_size
    shapes: dict[str, tuple[int, ...]] = {names.z(0): (bs, scenario.network.inputs), "E": (),
                                          "loss": (), "validation_score": (), "best_epoch": ()}
    for info in module_infos(scenario.network):
        shapes[names.z(info.index)] = shapes[names.delta(info.index)] = (bs, info.units)
    for name, shape in param_shapes(scenario.network).items():
        shapes[name] = shapes[names.grad(name)] = shape
    if scenario.data.test_samples:
        shapes["test_predictions"] = (scenario.data.test_samples, scenario.outputs)
        shapes["test_targets"] = shapes["test_predictions"]
        shapes["test_mse"] = shapes["test_accuracy"] = ()
    return shapes


def steps_per_batch(modules: list[ModuleInfo]) -> int:
    """How many steps the engine records per batch (``engine.network.batch_template``; a test
    checks they agree): Z0, each module forward, E, δ_M, each module but the first backward,
    and a gradient and an update per parameter."""
    layers = len({m.layer for m in modules})
    return 1 + len(modules) + 1 + 1 + (len(modules) - 1) + 4 * layers


def estimate_bytes(scenario: Scenario, epochs: int) -> int:
    """Roughly the most memory a trace of ``epochs`` holds at once, to refuse before allocating:
    the epochs the trace keeps resident (see ``Trace.max_resident_steps`` and
    ``max_resident_bytes``; the others are recomputed when read) and one checkpoint per epoch."""
    n, bs, batches = scenario.data.samples, scenario.batch_size, scenario.batches
    sizes = [scenario.network.inputs] + [layer.units for layer in scenario.network.layers]
    weights = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    acts = sum(bs * u for u in sizes) * 4  # Z and delta, with activations counted twice
    epoch_bytes = 8 * (acts + 3 * weights) * batches  # grad, new value, velocity
    if not scenario.network.layers:  # a perceptron: its run is kept whole
        return epoch_bytes * epochs
    tr = scenario.training
    epoch_steps = steps_per_batch(module_infos(scenario.network)) * batches
    resident = 1 + max(1, min(DEFAULT_RESIDENT_STEPS // epoch_steps, DEFAULT_RESIDENT_BYTES // epoch_bytes))
    # A checkpoint: the parameters (and the velocity, which only momentum renews), the sample
    # order, the random stream's state.
    checkpoint = 8 * ((2 if tr.momentum else 1) * weights + n) + 5_000
    return epoch_bytes * min(epochs, resident) + checkpoint * epochs


# --- the Perceptron --------------------------------------------------------------------------------

def perceptron_weight_count(inputs: int) -> int:
    """w0 (the bias, on x0 = 1) plus one weight per input."""
    return inputs + 1


def perceptron_default_names(inputs: int) -> dict[str, str]:
    """x0 … xn and w0 … wn, so every view labels elements as the tutorial writes them."""
    out = {f"x{i}": f"x[{i}]" for i in range(inputs + 1)}
    out |= {f"w{i}": f"w[{i}]" for i in range(inputs + 1)}
    return out


def perceptron_step_shapes(scenario: Scenario) -> dict[str, tuple[int, ...]]:
    """The shape of every step a perceptron run records (for checking names and expectations)."""
    d = perceptron_weight_count(scenario.network.inputs)
    shapes: dict[str, tuple[int, ...]] = {
        "x": (d,), "z": (), "y_hat": (), "error": (), "w": (d,), "mistakes": (), "loss": (),
        "converged_epoch": (),
    }
    if scenario.data.test_samples:
        shapes["test_targets"] = shapes["test_predictions"] = (scenario.data.test_samples,
                                                               len(scenario.data.y[0]))
        shapes["test_accuracy"] = ()
    return shapes


# --- computational graphs --------------------------------------------------------------------------

# A graph's run is kept whole (no checkpoints): refused beyond this many steps.
MAX_GRAPH_STEPS = 1_000_000


def graph_steps(nodes: int, leaves: int, parameters: int, epochs: int) -> int:
    """How many steps a graph's run records (``engine.graph_runner``; a test checks they agree):
    per epoch, a forward step per node, a backward step per node and leaf, an update per
    parameter and the epoch's loss; without parameters there is one epoch."""
    return (epochs if parameters else 1) * (2 * nodes + leaves + parameters + 1)
