"""Scenarios the benchmark builds in code (random data, seeded), through the public loader so
they are checked like any scenario file."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bpstep.scenario import load_dict
from bpstep.scenario.model import Scenario

# How long the last ``dense`` spent making its random data (the harness's work, not bpstep's)
# and loading it through the scenario loader (as a file's data would be).
LAST_BUILD: dict[str, float] = {}


def dense(
    name: str,
    shape: tuple[int, ...],
    samples: int,
    batch_size: int,
    epochs: int,
    seed: int = 0,
    activation: str = "sigmoid",
) -> Scenario:
    """A sigmoid network ``shape`` = (inputs, units…) with half-SSE loss, like the worked
    exercise but wider, on ``samples`` random inputs in [0, 1) and targets in (0.05, 0.95)."""
    t0 = time.perf_counter()
    doc = dense_doc(name, shape, samples, batch_size, epochs, seed, activation)
    t1 = time.perf_counter()
    scenario = load_dict(doc, source=f"<benchmark {name}>")
    LAST_BUILD.update(generate_s=t1 - t0, load_s=time.perf_counter() - t1)
    return scenario


def dense_doc(name: str, shape: tuple[int, ...], samples: int, batch_size: int, epochs: int,
              seed: int = 0, activation: str = "sigmoid") -> dict:
    """The scenario document of ``dense``, its data as lists."""
    rng = np.random.default_rng(seed)
    x = rng.random((samples, shape[0]))
    t = 0.05 + 0.9 * rng.random((samples, shape[-1]))
    doc = {
        "name": name,
        "description": f"{'-'.join(map(str, shape))} {activation} network, {samples} random samples "
        f"(seed {seed}), batch {batch_size}: a benchmark scenario",
        "network": {
            "inputs": shape[0],
            "layers": [{"units": u, "activation": activation} for u in shape[1:]],
            "loss": "half_sse",
        },
        "init": {"method": "glorot_uniform", "seed": seed},
        "data": {"inputs": x.tolist(), "targets": t.tolist()},
        "training": {"learning_rate": 0.1, "epochs": epochs, "batch_size": batch_size},
    }
    return doc


def write_files(doc: dict, folder: Path) -> Path:
    """``doc`` as a user would write it: a TOML file whose data is a CSV beside it (floats as
    ``repr`` writes them, so the numbers are exactly those of ``doc``). Returns the TOML path."""
    x, t = doc["data"]["inputs"], doc["data"]["targets"]
    xs = [f"x{i + 1}" for i in range(len(x[0]))]
    ts = [f"t{i + 1}" for i in range(len(t[0]))]
    csv = folder / f"{doc['name']}.csv"
    rows = [",".join(map(repr, a + b)) for a, b in zip(x, t, strict=True)]
    csv.write_text("\n".join([",".join(xs + ts), *rows]) + "\n", encoding="utf-8")
    net, tr, init = doc["network"], doc["training"], doc["init"]
    layers = ", ".join(f'{{ units = {layer["units"]}, activation = "{layer["activation"]}" }}'
                       for layer in net["layers"])
    toml = folder / f"{doc['name']}.toml"
    toml.write_text("\n".join([
        f'name = "{doc["name"]}"', f'description = "{doc["description"]}"',
        "[network]", f'inputs = {net["inputs"]}', f"layers = [{layers}]", f'loss = "{net["loss"]}"',
        "[init]", f'method = "{init["method"]}"', f'seed = {init["seed"]}',
        "[data]", f'csv = "{csv.name}"', f"input_columns = {xs!r}".replace("'", '"'),
        f"target_columns = {ts!r}".replace("'", '"'),
        "[training]", f'learning_rate = {tr["learning_rate"]}', f'epochs = {tr["epochs"]}',
        f'batch_size = {tr["batch_size"]}', "",
    ]), encoding="utf-8")
    return toml


def net64(epochs: int = 3, seed: int = 0) -> Scenario:
    """Three 64-unit layers (64 inputs → 64 hidden → 64 outputs: the exercise's 3-2-2 shape
    scaled to 64-64-64), one batch of 32 samples per epoch."""
    return dense("net64", (64, 64, 64), samples=32, batch_size=32, epochs=epochs, seed=seed)


def wide(shape: tuple[int, ...] = (784, 128, 10), samples: int = 64, epochs: int = 2,
         seed: int = 0) -> Scenario:
    """An MNIST-sized layer: 784-128-10 on 64 random samples, one batch per epoch."""
    return dense("wide", shape, samples=samples, batch_size=samples, epochs=epochs, seed=seed)


def wide_doc(shape: tuple[int, ...] = (784, 128, 10), samples: int = 64, epochs: int = 2,
             seed: int = 0) -> dict:
    return dense_doc("wide", shape, samples=samples, batch_size=samples, epochs=epochs, seed=seed)


def build(spec: dict) -> Scenario:
    """A scenario from a child's JSON spec: ``{"kind": "net64" | "wide", ...}``."""
    kind = spec["kind"]
    if kind == "net64":
        return net64(spec.get("epochs", 3), spec.get("seed", 0))
    if kind == "wide":
        return wide(tuple(spec.get("shape", (784, 128, 10))), spec.get("samples", 64),
                    spec.get("epochs", 2), spec.get("seed", 0))
    raise ValueError(f"unknown benchmark scenario {kind!r}")
