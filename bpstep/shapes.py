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
# An epoch is cut into segments of K batches so that at least this many fit in the resident budget
# (see ``segment_batches``) ...
RESIDENT_SEGMENTS = 4
# ... and so that one epoch's checkpoints (a copy of the parameters and the optimizer's state
# each) hold at most this much: K grows with the epoch rather than memory.
EPOCH_CHECKPOINT_BYTES = 64 * 1024**2

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


def _optimizer_arrays(scenario: Scenario) -> int:
    """Arrays of a parameter's shape the optimizer keeps per parameter: a velocity (momentum),
    Adam's two moments or RMSProp's one (m is kept as zeros too)."""
    tr = scenario.training
    return {"adam": 2, "rmsprop": 2}.get(tr.optimizer, 1 if tr.momentum else 0)


def _weights(scenario: Scenario) -> int:
    sizes = [scenario.network.inputs] + [layer.units for layer in scenario.network.layers]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))


def batch_bytes(scenario: Scenario) -> int:
    """Roughly the bytes one recorded batch adds to a trace: the batch's Z and delta arrays (Z0
    included), and per parameter its gradient, new value and update, and the optimizer's new
    state (a softmax's Jacobians too)."""
    bs = scenario.batch_size
    infos = module_infos(scenario.network)
    acts = bs * (scenario.network.inputs + sum(2 * m.units for m in infos))
    acts += sum(bs * m.units * m.units for m in infos if not m.elementwise)
    return 8 * (acts + (3 + _optimizer_arrays(scenario)) * _weights(scenario))


def checkpoint_bytes(scenario: Scenario) -> int:
    """A segment's checkpoint: the parameters and the optimizer's state (plus a little)."""
    return 8 * (1 + _optimizer_arrays(scenario)) * _weights(scenario) + 2_000


def segment_batches(scenario: Scenario, resident_bytes: int = DEFAULT_RESIDENT_BYTES,
                    resident_steps: int = DEFAULT_RESIDENT_STEPS) -> int:
    """K, the batches per segment of an epoch (each segment starts at a checkpoint and is dropped
    and recomputed as a whole). Small enough that ``RESIDENT_SEGMENTS`` of them fit in the
    resident budget (so reading around a step does not recompute on every move) and that one is
    recomputed in well under 100 ms; large enough that one epoch's checkpoints stay within
    ``EPOCH_CHECKPOINT_BYTES`` whatever the epoch's size. Every batch of a small epoch: one
    segment per epoch, as before."""
    batches = scenario.batches
    per_batch = max(batch_bytes(scenario), 1)
    steps = steps_per_batch(module_infos(scenario.network))
    k = min(resident_bytes // (RESIDENT_SEGMENTS * per_batch), resident_steps // (RESIDENT_SEGMENTS * steps))
    k = max(k, -(-batches * checkpoint_bytes(scenario) // EPOCH_CHECKPOINT_BYTES))
    return int(max(1, min(batches, k)))


def estimate_bytes(scenario: Scenario, epochs: int) -> int:
    """Roughly the most memory a run holds at once, to refuse before allocating: the data, the
    segments the trace keeps resident (up to ``Trace.max_resident_steps`` and
    ``max_resident_bytes``, plus the open one; the others are recomputed when read) and a
    checkpoint per segment of every epoch. 0 while the data is a deferred file not read yet
    (``bpstep.scenario.deferred.pending``): the loader checks that run once the file is read, and
    the runner checks an ``--epochs`` override then."""
    from bpstep.scenario.deferred import pending

    if pending(scenario.data.x):
        return 0
    n, batches = scenario.data.samples, scenario.batches
    data = 8 * len(scenario.data.x) * (scenario.network.inputs + scenario.outputs)
    if not scenario.network.layers:  # a perceptron: its run is kept whole
        return data + 8 * 4 * scenario.batch_size * scenario.network.inputs * batches * epochs
    k = segment_batches(scenario)
    segment = batch_bytes(scenario) * k
    run_bytes = batch_bytes(scenario) * batches * epochs
    resident = min(run_bytes, max(DEFAULT_RESIDENT_BYTES, segment) + segment)
    segments = -(-batches // k) * epochs
    # Each checkpoint also holds its epoch's sample order (shared by the epoch's segments).
    return data + resident + segments * checkpoint_bytes(scenario) + 8 * n * epochs


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
