"""Per-student variants of a scenario: the same network and training with different nice numbers.

``vary_text(scenario, seed)`` draws the initial parameters (one decimal, ±0.1 … ±0.9; biases
±0.1 … ±0.5), the inputs (whole numbers 1 … 5 where the scenario's are whole, else one decimal in
−1 … 1) and the targets (two decimals inside the output activation's range; class labels are
kept), then keeps the first draw that is healthy: no saturated unit (σ′ ≥ 0.05, tanh′ ≥ 0.1, no
ReLU input within 0.05 of its kink) and every weight gradient of batch 1 between 1e-3 and 10 in
size (no degenerate gradient). The same seed gives the same variant of the same network, drawn
from the scenario's structure only, so a variant of a variant with seed S is variant S. The
variant records its seed as ``[grading] variant = S``; an answer file naming ``variant = S`` is
graded against it. Its ``[expect]`` and published values are dropped: they were the original's.
"""

from __future__ import annotations

import math
import random
import tomllib
from typing import Any

import numpy as np

from bpstep import files, names
from bpstep.errors import BpstepError, ScenarioError
from bpstep.scenario import loads
from bpstep.scenario.model import Scenario

MAX_DRAWS = 5000
WEIGHTS = [k / 10 for k in range(-9, 10) if k]
BIASES = [k / 10 for k in range(-5, 6) if k]


def scenario_text(scenario: Scenario) -> str:
    source = scenario.source
    return files.read_text(source, "scenario", lambda m: ScenarioError(source, "", m), "a TOML scenario file")


def variant_scenario(scenario: Scenario, seed: int) -> Scenario:
    """The variant ``seed`` of ``scenario`` (read again from its file)."""
    text = vary_text(scenario_text(scenario), seed, scenario.source)
    return loads(text, source=f"{scenario.source} (variant {seed})")


def vary_text(text: str, seed: int, source: str = "<scenario>") -> str:
    """A variant of the scenario TOML ``text`` as TOML text."""
    doc = tomllib.loads(text)
    base = loads(text, source=source)
    net = base.network
    if net is None or net.kind != "mlp" or "inputs" not in doc.get("data", {}):
        raise BpstepError(f"{source}: bpstep vary needs a network (kind = \"mlp\") with its data written in "
                          "[data] inputs and targets (not a CSV file)")
    rng = random.Random(seed)
    x0 = np.array(doc["data"]["inputs"], dtype=float)
    t0 = np.array(doc["data"]["targets"], dtype=float)
    whole = bool(np.all(x0 == np.round(x0)))
    out_act = net.layers[-1].activation
    classes = set(np.unique(t0)) <= {0.0, 1.0} and net.loss == "bce"
    for _ in range(MAX_DRAWS):
        params: dict[str, Any] = {}
        fan_in = net.inputs
        for k, layer in enumerate(net.layers, start=1):
            params[names.weight(k)] = [[rng.choice(WEIGHTS) for _ in range(layer.units)]
                                       for _ in range(fan_in)]
            if layer.shared_bias:
                params[names.bias(k)] = rng.choice(BIASES)
            else:
                params[names.bias(k)] = [rng.choice(BIASES) for _ in range(layer.units)]
            fan_in = layer.units
        if whole:
            x = [[float(rng.randint(1, 5)) for _ in row] for row in x0]
        else:
            x = [[rng.randint(-10, 10) / 10 for _ in row] for row in x0]
        t = t0.tolist() if classes else [[_target(rng, out_act) for _ in row] for row in t0]
        doc["parameters"] = params
        doc["data"]["inputs"], doc["data"]["targets"] = x, t
        candidate = _finish(doc, seed)
        if healthy(loads(candidate, source=source)):
            return candidate
    raise BpstepError(f"{source}: no healthy variant in {MAX_DRAWS} draws for seed {seed} (the network may "
                      "be too deep or wide for nice numbers)")


def _target(rng: random.Random, activation: str) -> float:
    if activation == "sigmoid":
        return rng.randint(5, 95) / 100
    if activation == "tanh":
        return rng.randint(-90, 90) / 100
    return rng.randint(-100, 100) / 100


def _finish(doc: dict[str, Any], seed: int) -> str:
    doc = dict(doc)
    doc.pop("expect", None)
    name = str(doc.get("name", "scenario")).split(" (variant ")[0]
    doc["name"] = f"{name} (variant {seed})"
    # The original's description talks about its own numbers.
    doc["description"] = f"Variant {seed} of '{name}' (bpstep vary): the same network, different numbers."
    grading = dict(doc.get("grading", {}))
    for key in ("published", "published_source"):
        grading.pop(key, None)
    grading["variant"] = seed
    doc["grading"] = grading
    return f"# Variant {seed} of '{name}', written by `bpstep vary --seed {seed}`.\n" + to_toml(doc)


def healthy(scenario: Scenario) -> bool:
    """No saturated unit and no degenerate weight gradient in epoch 1, batch 1."""
    from bpstep.engine.activations import get_activation
    from bpstep.engine.network import run

    trace = run(scenario, 1)
    if trace.status == "diverged":
        return False
    for s in trace:
        if (s.epoch, s.batch) != (1, 1):
            continue
        if s.op == "activation":
            act = trace.modules[s.module - 1].activation
            z = np.asarray(s.inputs[next(iter(s.inputs))])
            d = get_activation(act).df(z, np.asarray(s.value))
            floor = {"sigmoid": 0.05, "tanh": 0.1}.get(act)
            if floor is not None and np.min(np.abs(d)) < floor:
                return False
            if act in ("relu", "leaky_relu", "elu") and np.min(np.abs(z)) < 0.05:
                return False
        if s.op == "grad_W":
            g = np.abs(np.asarray(s.value))
            if g.min() < 1e-3 or g.max() > 10:
                return False
    return True


# --- a small TOML writer (the scenario's tables, arrays, strings, numbers, booleans) ---------------

def to_toml(doc: dict[str, Any]) -> str:
    lines: list[str] = []
    _table(doc, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(d: dict[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in d.items() if isinstance(v, dict)}
    if path and (scalars or not tables):
        lines += ["", f"[{'.'.join(_key(p) for p in path)}]"]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    for k, v in tables.items():
        _table(v, (*path, k), lines)


def _key(k: str) -> str:
    return k if k and all(c.isalnum() or c in "_-" for c in k) and k.isascii() else _string(k)


def _string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return {math.inf: "inf", -math.inf: "-inf"}.get(v, "nan")
        return repr(round(v, 10))
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")
