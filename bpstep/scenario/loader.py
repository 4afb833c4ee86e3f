"""Read a scenario TOML file (or a bundled scenario by name) into a frozen ``Scenario``.

Every problem is a ``ScenarioError`` naming the file, the dotted key path and what was expected.
"""

from __future__ import annotations

import csv
import math
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bpstep.engine.activations import ACTIVATIONS
from bpstep.engine.init import INITIALIZERS
from bpstep.engine.losses import LOSSES
from bpstep.engine.network import build_modules, estimate_bytes, param_shapes
from bpstep.engine.optimizers import OPTIMIZERS
from bpstep.errors import ScenarioError, suggest
from bpstep.scenario.model import (
    DataSpec,
    InitSpec,
    LayerSpec,
    NetworkSpec,
    Scenario,
    TrainingSpec,
)
from bpstep.scenario.toml_reader import Table, readonly, to_matrix, to_vector, type_name
from bpstep.trace.trace import resolve_name

# Refuse before allocating: parameters beyond this many, or a trace estimated beyond this size.
MAX_PARAMETERS = 50_000_000
MAX_TRACE_BYTES = 4 * 1024**3
KINDS = ("mlp", "perceptron")


def bundled_dir() -> Path:
    """The bundled scenarios: ``scenarios/`` beside the package in a source checkout (editable
    install), ``bpstep/_scenarios`` inside an installed wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "scenarios", here / "_scenarios"):
        if candidate.is_dir():
            return candidate
    return here / "_scenarios"


def bundled_names() -> list[str]:
    return sorted(p.stem for p in bundled_dir().glob("*.toml"))


def find(name_or_path: str | Path) -> Path:
    """A path as given, or the bundled scenario of that name."""
    path = Path(name_or_path)
    if path.exists() or path.suffix == ".toml" or len(path.parts) > 1:
        return path
    bundled = bundled_dir() / f"{name_or_path}.toml"
    if bundled.exists():
        return bundled
    raise ScenarioError(
        str(name_or_path), "",
        f"no such file or bundled scenario ({suggest(str(name_or_path), bundled_names())})",
    )


def load(name_or_path: str | Path) -> Scenario:
    """Load a scenario from a TOML file or by bundled name (``"exercise"``)."""
    path = find(name_or_path)
    source = str(path)
    if path.is_dir():
        raise ScenarioError(source, "", "is a folder, expected a TOML scenario file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(source, "", "no such file") from None
    except OSError as exc:
        raise ScenarioError(source, "", f"cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            source, "", f"is not UTF-8 text (byte {exc.start}); expected a TOML file"
        ) from None
    return loads(text, source=source, base_dir=path.parent)


def loads(text: str, source: str = "<string>", base_dir: Path | None = None) -> Scenario:
    """Parse scenario TOML text. ``base_dir`` resolves a relative ``data.csv``."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"is not valid TOML: {exc}") from None
    return _build(Table(doc, "", source), base_dir or Path.cwd())


def _build(top: Table, base_dir: Path) -> Scenario:
    name = top.get("name", str)
    description = top.get("description", str, "")
    network = _network(top.table("network", required=True))
    params = _parameters(top.table("parameters"), network)
    # A bias given as one number is shared by its layer.
    layers = tuple(
        replace(layer, shared_bias=True) if np.ndim(params.get(f"b{k}", [])) == 0 else layer
        for k, layer in enumerate(network.layers, start=1)
    )
    network = replace(network, layers=layers)
    init = _init(top.table("init"))
    data = _data(top.table("data", required=True), network, init, base_dir)
    training = _training(top.table("training"), network, data)
    names_table = top.table("names")
    names = {k: names_table.get(k, str) for k in names_table.data}
    names_table.finish()
    expect_table = top.table("expect")
    expect: dict[str, str] = {}
    for key, value in expect_table.data.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise expect_table.error(key, f"must be a number, got {type_name(value)} {value!r}")
        expect[key] = repr(value)
    top.finish()
    scenario = Scenario(
        name=name, description=description, network=network, data=data, training=training,
        init=init, parameters=params, names=names, expect=expect, source=top.source,
    )
    _check_names(scenario, names_table, expect_table)
    _check_size(scenario, top)
    return scenario


def _network(t: Table) -> NetworkSpec:
    kind = t.choice("kind", list(KINDS), "mlp")
    inputs = t.positive("inputs", int)
    raw_layers = t.raw("layers", [] if kind == "perceptron" else ...)
    if raw_layers is ...:
        raise t.error("layers", "is missing")
    if not isinstance(raw_layers, list) or (kind == "mlp" and not raw_layers):
        raise t.error("layers", f"must be a non-empty list of tables, got {type_name(raw_layers)}")
    layers = []
    for i, raw in enumerate(raw_layers):
        if not isinstance(raw, dict):
            raise t.error(f"layers[{i}]", f"must be a table like {{ units = 2, activation = "
                          f"\"sigmoid\" }}, got {type_name(raw)}")
        lt = Table(raw, t.key_path(f"layers[{i}]"), t.source)
        layers.append(
            LayerSpec(
                units=lt.positive("units", int),
                activation=lt.choice("activation", ACTIVATIONS, "identity"),
                shared_bias=lt.get("shared_bias", bool, False),
            )
        )
        lt.finish()
    loss = t.choice("loss", LOSSES, "half_sse")
    t.finish()
    return NetworkSpec(inputs=inputs, layers=tuple(layers), loss=loss, kind=kind)


def _parameters(t: Table, network: NetworkSpec) -> dict[str, np.ndarray]:
    shapes = param_shapes(network)
    params: dict[str, np.ndarray] = {}
    for key, value in t.data.items():
        if key not in shapes:
            raise t.error(key, f"unknown parameter ({suggest(key, shapes)})")
        where = t.key_path(key)
        if key.startswith("W"):
            arr = to_matrix(value, t, key)
            if arr.shape != shapes[key]:
                raise ScenarioError(
                    t.source, where,
                    f"has shape {arr.shape[0]}×{arr.shape[1]}, expected "
                    f"{shapes[key][0]}×{shapes[key][1]} (fan_in × fan_out)",
                )
        elif isinstance(value, list):
            k = int(key[1:])
            if network.layers[k - 1].shared_bias:
                raise ScenarioError(t.source, where, "layer has shared_bias = true: give one number")
            arr = to_vector(value, t.source, where)
            units = network.layers[k - 1].units
            if arr.shape != (units,):
                raise ScenarioError(
                    t.source, where,
                    f"has {arr.shape[0]} values, expected {units} (one per unit) or one number",
                )
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScenarioError(
                    t.source, where, f"must be a number or a list of numbers, got {type_name(value)}"
                )
            if not math.isfinite(value):
                raise ScenarioError(t.source, where, f"must be a finite number, got {value}")
            arr = readonly(np.array(float(value)))
        params[key] = arr
    return params


def _init(t: Table) -> InitSpec:
    spec = InitSpec(
        method=t.choice("method", INITIALIZERS, "glorot_uniform"),
        seed=t.get("seed", int, 0),
        rng=t.choice("rng", ["numpy", "sklearn"], "numpy"),
        std=t.positive("std", float, 0.1),
        low=t.get("low", float, -0.5),
        high=t.get("high", float, 0.5),
    )
    if spec.low >= spec.high:
        raise t.error("high", f"must be greater than init.low ({spec.low}), got {spec.high}")
    if spec.seed < 0:
        raise t.error("seed", f"must be a non-negative whole number, got {spec.seed}")
    t.finish()
    return spec


def _data(t: Table, network: NetworkSpec, init: InitSpec, base_dir: Path) -> DataSpec:
    outputs = network.layers[-1].units if network.layers else 1
    csv_name = t.get("csv", str, None)
    input_columns: tuple[str, ...] = ()
    target_columns: tuple[str, ...] = ()
    csv_path = None
    if csv_name is not None:
        if t.has("inputs") or t.has("targets"):
            raise t.error("csv", "give either csv (with columns) or inputs and targets, not both")
        input_columns = _names(t, "input_columns")
        target_columns = _names(t, "target_columns")
        csv_path = (base_dir / csv_name).resolve()
        x, y = _read_csv(csv_path, input_columns, target_columns, t)
    else:
        x = to_matrix(t.raw("inputs"), t, "inputs", "a list of samples, each a list of inputs")
        y = to_matrix(t.raw("targets"), t, "targets", "a list of samples, each a list of targets")
    if x.shape[1] != network.inputs:
        raise t.error("inputs" if csv_name is None else "input_columns",
                      f"has {x.shape[1]} inputs per sample, expected network.inputs = {network.inputs}")
    if y.shape[1] != outputs:
        raise t.error("targets" if csv_name is None else "target_columns",
                      f"has {y.shape[1]} targets per sample, expected {outputs} "
                      f"(the last layer's units)")
    if y.shape[0] != x.shape[0]:
        raise t.error("targets", f"has {y.shape[0]} samples but inputs has {x.shape[0]}")
    test_fraction = t.fraction("test_fraction", 0.0)
    split_seed = t.get("split_seed", int, 0)
    standardize = t.get("standardize", bool, False)
    t.finish()
    xt = yt = None
    if test_fraction > 0:
        n = x.shape[0]
        n_test = math.ceil(test_fraction * n)
        if n_test >= n:
            raise t.error("test_fraction", f"leaves no training samples out of {n}")
        # scikit-learn's train_test_split: the first ceil(f·n) of a permutation are the test set.
        rng = (np.random.RandomState(split_seed) if init.rng == "sklearn"
               else np.random.default_rng(split_seed))
        perm = rng.permutation(n)
        test, train = perm[:n_test], perm[n_test:]
        x, y, xt, yt = x[train], y[train], x[test], y[test]
    mean = std = None
    if standardize:
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std = np.where(std == 0, 1.0, std)  # a constant column is left unscaled
        x = (x - mean) / std
        if xt is not None:
            xt = (xt - mean) / std
    return DataSpec(
        inputs=readonly(np.ascontiguousarray(x)), targets=readonly(np.ascontiguousarray(y)),
        test_inputs=None if xt is None else readonly(xt),
        test_targets=None if yt is None else readonly(yt),
        input_columns=input_columns, target_columns=target_columns, csv=csv_path,
        test_fraction=test_fraction, split_seed=split_seed, standardize=standardize,
        scale_mean=mean, scale_std=std,
    )


def _names(t: Table, key: str) -> tuple[str, ...]:
    value = t.raw(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise t.error(key, f"must be a non-empty list of column names, got {type_name(value)}")
    return tuple(value)


def _read_csv(
    path: Path, inputs: tuple[str, ...], targets: tuple[str, ...], t: Table
) -> tuple[np.ndarray, np.ndarray]:
    where = t.key_path("csv")
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise ScenarioError(t.source, where, f"no such file: {path}") from None
    except IsADirectoryError:
        raise ScenarioError(t.source, where, f"is a folder, expected a CSV file: {path}") from None
    except UnicodeDecodeError:
        raise ScenarioError(t.source, where, f"{path} is not UTF-8 text") from None
    if len(rows) < 2:
        raise ScenarioError(t.source, where, f"{path} needs a header row and at least one sample")
    header = [h.strip() for h in rows[0]]
    cols = []
    for key, names in (("input_columns", inputs), ("target_columns", targets)):
        for name in names:
            if name not in header:
                raise t.error(key, f"column '{name}' is not in {path.name} ({suggest(name, header)})")
            cols.append(header.index(name))
    values = np.empty((len(rows) - 1, len(cols)))
    for i, row in enumerate(rows[1:], start=2):
        for j, c in enumerate(cols):
            try:
                values[i - 2, j] = float(row[c])
            except (ValueError, IndexError):
                cell = row[c] if c < len(row) else ""
                raise ScenarioError(
                    t.source, where, f"{path.name} line {i}, column {header[c]}: "
                    f"expected a number, got {cell!r}"
                ) from None
    if not np.all(np.isfinite(values)):
        raise ScenarioError(t.source, where, f"{path.name} holds non-finite values")
    return values[:, : len(inputs)], values[:, len(inputs) :]


def _training(t: Table, network: NetworkSpec, data: DataSpec) -> TrainingSpec:
    shapes = param_shapes(network)
    frozen_raw = t.raw("frozen", [])
    if not isinstance(frozen_raw, list) or not all(isinstance(f, str) for f in frozen_raw):
        raise t.error("frozen", f"must be a list of parameter names, got {type_name(frozen_raw)}")
    for i, f in enumerate(frozen_raw):
        if f not in shapes:
            raise t.error(f"frozen[{i}]", f"unknown parameter '{f}' ({suggest(f, shapes)})")
    momentum = t.get("momentum", float, 0.0)
    if not 0.0 <= momentum < 1.0:
        raise t.error("momentum", f"must be in [0, 1), got {momentum}")
    l2 = t.get("l2", float, 0.0)
    if l2 < 0:
        raise t.error("l2", f"must be zero or positive, got {l2}")
    tol = t.get("tol", float, 1e-4)
    if tol < 0:
        raise t.error("tol", f"must be zero or positive, got {tol}")
    spec = TrainingSpec(
        learning_rate=t.positive("learning_rate", float, 0.01),
        epochs=t.positive("epochs", int, 1),
        batch_size=t.positive("batch_size", int, None),
        shuffle=t.get("shuffle", bool, False),
        seed=t.get("seed", int, 0),
        optimizer=t.choice("optimizer", OPTIMIZERS, "sgd"),
        momentum=momentum,
        nesterov=t.get("nesterov", bool, False),
        l2=l2,
        frozen=tuple(frozen_raw),
        validation_fraction=t.fraction("validation_fraction", 0.0),
        early_stopping=t.get("early_stopping", bool, False),
        patience=t.get("patience", int, None),
        tol=tol,
    )
    if spec.patience is not None and spec.patience < 0:
        raise t.error("patience", f"must be zero or positive, got {spec.patience}")
    if spec.early_stopping:
        if spec.validation_fraction <= 0:
            raise t.error("early_stopping", "needs training.validation_fraction > 0")
        if spec.patience is None:
            spec = replace(spec, patience=10)  # scikit-learn's default n_iter_no_change
    if spec.validation_fraction > 0:
        n_val = math.ceil(spec.validation_fraction * data.inputs.shape[0])
        if n_val >= data.inputs.shape[0]:
            raise t.error("validation_fraction", "leaves no training samples")
    t.finish()
    return spec


def step_shapes(scenario: Scenario) -> dict[str, tuple[int, ...]]:
    """The shape of every named step of the first batch (for checking references)."""
    n = scenario.data.inputs.shape[0]
    if scenario.training.validation_fraction > 0:
        n -= math.ceil(scenario.training.validation_fraction * n)
    bs = min(scenario.training.batch_size or n, n)
    shapes: dict[str, tuple[int, ...]] = {"Z0": (bs, scenario.network.inputs), "E": (),
                                          "loss": (), "validation_score": (), "best_epoch": ()}
    for info in (m.info for m in build_modules(scenario.network)):
        shapes[f"Z{info.index}"] = shapes[f"delta{info.index}"] = (bs, info.units)
    for name, shape in param_shapes(scenario.network).items():
        shapes[name] = shapes[f"dE/d{name}"] = shape
    if scenario.data.test_inputs is not None:
        shapes["test_predictions"] = scenario.data.test_targets.shape  # type: ignore[union-attr]
        shapes["test_mse"] = shapes["test_accuracy"] = ()
    return shapes


def _check_names(scenario: Scenario, names: Table, expect: Table) -> None:
    if scenario.network.kind != "mlp":
        return
    shapes = step_shapes(scenario)
    for table, keys, resolve in (
        (names, scenario.names, lambda k: resolve_name(scenario.names[k], {})),
        (expect, scenario.expect, lambda k: resolve_name(k, scenario.names)),
    ):
        for key in keys:
            ref = resolve(key)
            what = scenario.names[key] if table is names else key
            if ref is None or ref.name not in shapes:
                raise table.error(key, f"'{what}' names no value of this network "
                                       f"({suggest(ref.name if ref else what, shapes)})")
            shape = shapes[ref.name]
            if ref.index and (len(ref.index) != len(shape)
                              or any(not 0 <= i < s for i, s in zip(ref.index, shape, strict=False))):
                raise table.error(key, f"index {list(ref.index)} is outside {ref.name}, "
                                       f"whose shape is {shape}")


def _check_size(scenario: Scenario, top: Table) -> None:
    sizes = [scenario.network.inputs] + [layer.units for layer in scenario.network.layers]
    count = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    if count > MAX_PARAMETERS:
        raise ScenarioError(top.source, "network.layers",
                            f"{count:,} weights is too large to hold in memory "
                            f"(at most {MAX_PARAMETERS:,})")
    need = estimate_bytes(scenario, scenario.training.epochs)
    if need > MAX_TRACE_BYTES:
        raise ScenarioError(top.source, "training.epochs",
                            f"the trace would need about {need / 1024**3:.1f} GiB "
                            f"(at most {MAX_TRACE_BYTES / 1024**3:.0f} GiB): "
                            "fewer epochs, samples or units")


def load_dict(doc: dict[str, Any], source: str = "<dict>") -> Scenario:
    """Build a scenario from an already parsed TOML document (tests, other programs)."""
    return _build(Table(doc, "", source), Path.cwd())
