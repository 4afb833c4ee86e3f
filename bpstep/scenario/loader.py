"""Read a scenario TOML file (or a bundled scenario by name) into a frozen ``Scenario``.

Every problem is a ``ScenarioError`` naming the file, the dotted key path and what was expected.
"""

from __future__ import annotations

import math
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from bpstep import files
from bpstep import names as step_names
from bpstep.catalog import ACTIVATIONS, ADAM_DEFAULTS, INITIALIZERS, LOSSES, OPTIMIZERS, RMSPROP_DEFAULTS
from bpstep.errors import ScenarioError, UnknownKeyError, suggest
from bpstep.grading import number_texts
from bpstep.scenario import deferred
from bpstep.scenario.checks import check_names, check_perceptron, check_size, expectations, graph_scenario
from bpstep.scenario.csv_reader import plain_header, read_csv
from bpstep.scenario.deferred import DeferredRows, data_file, deferred_csv, one_hot, width
from bpstep.scenario.grading_table import read_grading
from bpstep.scenario.model import (
    DataSpec,
    InitSpec,
    LayerSpec,
    NetworkSpec,
    ParameterValue,
    Scenario,
    TrainingSpec,
)
from bpstep.scenario.npz_reader import read_npz
from bpstep.scenario.toml_reader import (
    Table,
    as_float,
    decay_rate,
    optimizer_epsilon,
    to_matrix,
    to_vector,
    type_name,
)
from bpstep.shapes import param_shapes, perceptron_default_names

KINDS = ("mlp", "perceptron")
# From this size on, the debugger reads a plain CSV file's numbers after its first frame.
DEFER_BYTES = 64 * 1024
T = TypeVar("T")


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
    if "\0" in str(path):
        raise ScenarioError(str(name_or_path).replace("\0", "\\0"), "", "the file name holds a NUL byte")
    if path.exists() or path.suffix == ".toml" or len(path.parts) > 1:
        return path
    bundled = bundled_dir() / f"{name_or_path}.toml"
    if bundled.exists():
        return bundled
    raise ScenarioError(
        str(name_or_path), "",
        f"no such file or bundled scenario ({suggest(str(name_or_path), bundled_names())})",
    )


def load(name_or_path: str | Path, allow_data_outside: bool = False, defer_data: bool = False) -> Scenario:
    """Load a scenario from a TOML file or by bundled name (``"exercise"``).

    Data files (``data.csv``) must lie in the scenario's folder or below it unless
    ``allow_data_outside`` (the command line's ``--allow-data-outside``). With ``defer_data``
    (the debugger), a network's large plain CSV file is checked for its columns and rows now and
    its numbers read when first used (``bpstep.scenario.deferred``): a bad cell is then found there."""
    path = find(name_or_path)
    source = str(path)
    text = files.read_text(path, "scenario", lambda m: ScenarioError(source, "", m),
                           "a TOML scenario file")
    return loads(text, source=source, base_dir=path.parent, allow_data_outside=allow_data_outside,
                 defer_data=defer_data)


def loads(text: str, source: str = "<string>", base_dir: Path | None = None,
          allow_data_outside: bool = False, data_files: Mapping[str, str] | None = None,
          defer_data: bool = False) -> Scenario:
    """Parse scenario TOML text. ``base_dir`` resolves a relative ``data.csv`` (which must lie
    inside it unless ``allow_data_outside``); with ``data_files`` (a golden file's embedded
    copies, by the name the TOML gives) data is taken from there and never read from disk."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ScenarioError(source, "", "is not usable TOML: arrays or tables nested too deeply") from None
    except ValueError:  # Python's limit on int-str conversion (4,300 digits)
        raise ScenarioError(source, "", "is not usable TOML: it holds a whole number with more than "
                                        f"{sys.get_int_max_str_digits():,} digits") from None
    data = _DataAccess(base_dir or Path.cwd(), allow_data_outside, data_files, defer_data)
    return _build(Table(doc, "", source, []), data, text)


@dataclass(frozen=True)
class _DataAccess:
    """Where data files may be read from: the scenario's folder (or anywhere, if allowed), or
    only the given embedded copies."""

    base_dir: Path
    allow_outside: bool = False
    embedded: Mapping[str, str] | None = None
    defer: bool = False  # a large plain CSV's numbers are read when first used


def _build(top: Table, access: _DataAccess, text: str | None = None) -> Scenario:
    # Every problem is collected in ``top.problems`` (``bpstep validate`` lists them all): each
    # section is read on its own, and one that needs a broken section (the data's shapes need
    # the network) checks what it can without it. Only a scenario with no problem is built.
    if top.problems is None:
        top.problems = []
    if "graph" in top.data:  # a computational graph instead of a network
        return graph_scenario(top, number_texts(text) if text is not None else {})
    problems = top.problems
    name = top.attempt(lambda: top.get("name", str), "")
    description = top.get("description", str, "")
    network = _section(top, lambda: _network(top.table("network", required=True)))
    params: dict[str, ParameterValue] = {}
    if network is not None:
        params = _section(top, lambda: _parameters(top.table("parameters"), network)) or {}
        # A bias given as one number is shared by its layer.
        layers = tuple(
            replace(layer, shared_bias=True) if isinstance(params.get(step_names.bias(k)), float) else layer
            for k, layer in enumerate(network.layers, start=1)
        )
        network = replace(network, layers=layers)
    else:
        top.raw("parameters", None)  # not checked against a broken network (nor unknown)
    init = _section(top, lambda: _init(top.table("init"))) or InitSpec()
    data = _section(top, lambda: _data(top.table("data", required=True), network, init, access))
    training = _section(top, lambda: _training(top.table("training"), network, data))
    names_table = top.table("names")
    names = {k: v for k in names_table.data if (v := names_table.get(k, str, None)) is not None}
    names_table.finish()
    if network is not None and network.kind == "perceptron":
        names = perceptron_default_names(network.inputs) | names
    expect_table = top.table("expect")
    expect = top.attempt(
        lambda: expectations(expect_table, number_texts(text) if text is not None else {}), ()
    )
    grading = top.attempt(lambda: read_grading(top.table("grading"), text), None)
    top.finish()
    if network is None or data is None or training is None:
        raise ScenarioError.collected(problems)  # not whole enough for the checks across sections
    scenario = Scenario(
        name=name, description=description, network=network, data=data, training=training,
        init=init, parameters=params, names=names, expect=expect, source=top.source,
        grading=grading,
    )
    top.attempt(lambda: check_names(scenario, names_table, expect_table), None)
    if network.kind == "perceptron":
        top.attempt(lambda: check_perceptron(scenario, top, names_table), None)
    top.attempt(lambda: check_size(scenario, top), None)
    if problems:
        raise ScenarioError.collected(problems)
    return scenario


def _section(top: Table, read: Callable[[], T]) -> T | None:
    """``read()``, or None when it found a problem (recorded in ``top.problems``) that makes its
    value unusable: an unknown key beside good ones does not."""
    before = len(top.problems or [])
    value = top.attempt(read, None)
    return value if _usable(top, before) else None


def _usable(t: Table, before: int) -> bool:
    """No problem but unknown keys recorded since ``before``."""
    return all(isinstance(p, UnknownKeyError) for p in (t.problems or [])[before:])


def _network(t: Table) -> NetworkSpec:
    kind = t.choice("kind", list(KINDS), "mlp")
    inputs = t.attempt(lambda: t.positive("inputs", int), 1)
    raw_layers = t.raw("layers", [] if kind == "perceptron" else ...)
    if raw_layers is ...:
        t.report(t.error("layers", "is missing"))
        raw_layers = []
    elif not isinstance(raw_layers, list) or (kind == "mlp" and not raw_layers):
        t.report(t.error("layers", f"must be a non-empty list of tables, got {type_name(raw_layers)}"))
        raw_layers = []
    layers = []
    for i, raw in enumerate(raw_layers):
        if not isinstance(raw, dict):
            t.report(t.error(f"layers[{i}]", f"must be a table like {{ units = 2, activation = "
                             f"\"sigmoid\" }}, got {type_name(raw)}"))
            continue
        lt = Table(raw, t.key_path(f"layers[{i}]"), t.source, t.problems)
        # Each key on its own, so that every problem of the layer is reported.
        units = lt.attempt(lambda lt=lt: lt.positive("units", int), 1)
        activation = lt.choice("activation", ACTIVATIONS, "identity")
        shared_bias = lt.get("shared_bias", bool, False)
        layers.append(LayerSpec(units=units, activation=activation, shared_bias=shared_bias))
        lt.finish()
    loss = t.choice("loss", LOSSES, "half_sse")
    _check_softmax(t, layers, loss)
    t.finish()
    return NetworkSpec(inputs=inputs, layers=tuple(layers), loss=loss, kind=kind)


def _check_softmax(t: Table, layers: list[LayerSpec], loss: str) -> None:
    """Softmax (a whole row's function, with a Jacobian backward step) only as the output layer,
    over two or more units; cross-entropy (−Σ t ln o) only on a softmax's probabilities."""
    for i, layer in enumerate(layers):
        if layer.activation != "softmax":
            continue
        if i != len(layers) - 1:
            t.report(t.error(f"layers[{i}].activation", "\"softmax\" is only allowed on the last "
                                                         "(output) layer; hidden layers take relu, tanh, …"))
        elif layer.units < 2:
            t.report(t.error(f"layers[{i}].units", "a softmax layer needs two or more units (over one "
                                                    "it is always 1); two classes can use one sigmoid unit"))
    if loss == "cross_entropy" and (not layers or layers[-1].activation != "softmax"):
        t.report(t.error("loss", "\"cross_entropy\" needs a softmax output layer (its outputs are the "
                                 "class probabilities); for one sigmoid output use \"bce\""))


def _parameters(t: Table, network: NetworkSpec) -> dict[str, ParameterValue]:
    shapes = param_shapes(network)
    params: dict[str, ParameterValue] = {}
    for key, value in t.data.items():
        arr: ParameterValue
        try:  # each parameter on its own, so that every problem is reported
            if key not in shapes:
                raise t.error(key, f"unknown parameter ({suggest(key, shapes)})")
            where = t.key_path(key)
            if network.kind == "perceptron":  # the one parameter w = (w0 = bias, w1, …, wn)
                arr = vector = to_vector(value, t.source, where)
                if (len(vector),) != shapes[key]:
                    raise ScenarioError(t.source, where, f"has {len(vector)} values, expected "
                                        f"{shapes[key][0]} (w0, the bias on x0 = 1, then one per input)")
            elif step_names.parse(key).kind == "weight":
                arr = matrix = to_matrix(value, t, key)
                if (len(matrix), len(matrix[0])) != shapes[key]:
                    raise ScenarioError(
                        t.source, where,
                        f"has shape {len(matrix)}×{len(matrix[0])}, expected "
                        f"{shapes[key][0]}×{shapes[key][1]} (fan_in × fan_out)",
                    )
            elif isinstance(value, list):
                k = int(key[1:])
                if network.layers[k - 1].shared_bias:
                    raise ScenarioError(t.source, where, "layer has shared_bias = true: give one number")
                arr = vector = to_vector(value, t.source, where)
                units = network.layers[k - 1].units
                if len(vector) != units:
                    raise ScenarioError(
                        t.source, where,
                        f"has {len(vector)} values, expected {units} (one per unit) or one number",
                    )
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ScenarioError(
                        t.source, where, f"must be a number or a list of numbers, got {type_name(value)}"
                    )
                arr = as_float(value, t.source, where)
        except ScenarioError as exc:
            t.report(exc)
            continue
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
        t.report(t.error("high", f"must be greater than init.low ({spec.low}), got {spec.high}"))
    elif not math.isfinite(spec.high - spec.low):  # numpy cannot draw from such a range
        t.report(t.error("high", f"init.high − init.low must be a finite number, got "
                                 f"{spec.high} − {spec.low}"))
    _check_seed(t, "seed", spec.seed, spec.rng)
    t.finish()
    return spec


def _check_seed(t: Table, key: str, seed: int, rng: str) -> None:
    # numpy refuses negative seeds, and RandomState (rng = "sklearn") those of 2**32 and above.
    if rng == "sklearn" and not 0 <= seed < 2**32:
        t.report(t.error(key, f"must be a whole number from 0 to {2**32 - 1} with init.rng = "
                              f"\"sklearn\", got {seed}"))
    elif seed < 0:
        t.report(t.error(key, f"must be a non-negative whole number, got {seed}"))


def _data(t: Table, network: NetworkSpec | None, init: InitSpec, access: _DataAccess) -> DataSpec | None:
    """The data; without a (valid) network, only what can be checked without it, and None."""
    before = len(t.problems or [])
    outputs = (network.layers[-1].units if network.layers else 1) if network is not None else 0
    csv_name = t.get("csv", str, None)
    npz_name = t.get("npz", str, None)
    input_columns: tuple[str, ...] = ()
    target_columns: tuple[str, ...] = ()
    csv_path = npz_path = None
    if npz_name is not None:
        if csv_name is not None or t.has("inputs") or t.has("targets"):
            raise t.error("npz", "give one of csv (with columns), npz (with arrays), or inputs and targets")
        arrays = t.get("inputs_array", str), t.get("targets_array", str)
        npz_path, read_data, _ = data_file(t, npz_name, access, "npz", "an .npz file")
        data = read_data()
        if isinstance(data, str):  # an embedded copy is text: an .npz is never embedded
            raise t.error("npz", f"'{npz_name}' cannot be embedded in a golden file")
        x, y = read_npz(data, npz_path.name, *arrays, t)
    elif csv_name is not None:
        if t.has("inputs") or t.has("targets"):
            raise t.error("csv", "give either csv (with columns) or inputs and targets, not both")
        input_columns = _names(t, "input_columns")
        target_columns = _names(t, "target_columns")
        csv_path, read_text, decode = data_file(t, csv_name, access)
        first = (deferred.head(csv_path, DEFER_BYTES) if access.defer and access.embedded is None
                 and network is not None and network.kind == "mlp" else None)
        if first is not None and plain_header(first, input_columns, target_columns):
            # Read when first used, the class numbers then checked as _classes checks them now.
            name = csv_path.name
            x, y = deferred_csv(lambda: read_csv(read_text(), name, input_columns, target_columns, t, decode),
                                len(input_columns), len(target_columns),
                                (lambda y: _classes(t, y, outputs)) if t.has("classes") else None, outputs)
        else:
            x, y = read_csv(read_text(), csv_path.name, input_columns, target_columns, t, decode)
    else:
        x = t.attempt(lambda: to_matrix(t.raw("inputs"), t, "inputs",
                                        "a list of samples, each a list of inputs"), None)
        y = t.attempt(lambda: to_matrix(t.raw("targets"), t, "targets",
                                        "a list of samples, each a list of targets"), None)
    classes = t.attempt(lambda: _classes(t, y, outputs), ()) if t.has("classes") else ()
    y = one_hot(classes, y, outputs)
    if x is not None and network is not None and width(x) != network.inputs:
        t.report(t.error("inputs_array" if npz_name else "inputs" if csv_name is None else "input_columns",
                         f"has {width(x)} inputs per sample, expected network.inputs = {network.inputs}"))
    if y is not None and network is not None and width(y) != outputs:
        t.report(t.error("targets_array" if npz_name else "targets" if csv_name is None else "target_columns",
                         f"has {width(y)} targets per sample, expected {outputs} "
                         f"(the last layer's units)"))
    if x is not None and y is not None and not deferred.pending(x) and len(y) != len(x):
        t.report(t.error("targets", f"has {len(y)} samples but inputs has {len(x)}"))
    test_fraction = t.fraction("test_fraction", 0.0)
    split_seed = t.get("split_seed", int, 0)
    _check_seed(t, "split_seed", split_seed, init.rng)
    standardize = t.get("standardize", bool, False)
    t.finish()
    if x is None or y is None or network is None or not _usable(t, before):
        return None
    data = DataSpec(
        x=x, y=y, input_columns=input_columns, target_columns=target_columns, csv=csv_path, npz=npz_path,
        test_fraction=test_fraction, split_seed=split_seed, split_rng=init.rng, standardize=standardize,
        classes=classes,
    )
    def check() -> None:
        if data.samples <= 0:
            raise t.error("test_fraction", f"leaves no training samples out of {len(x)}")

    if not deferred.when_read(x, check):  # a deferred file's rows are counted by its read
        check()
    return data


def _classes(t: Table, y: tuple[tuple[float, ...], ...] | None, outputs: int) -> tuple[str, ...]:
    """``classes``: the class names, in the order of the output units. The targets are then one
    column of class numbers 0 … K−1, turned into one-hot rows of K (or kept as the 0/1 column when
    K = 2 and the last layer has one unit, as scikit-learn's LabelBinarizer does); targets already
    given as K columns are taken as they are, the names labelling them."""
    value = t.raw("classes")
    if (not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, str) for v in value)
            or len(set(value)) != len(value)):
        raise t.error("classes", f"must be a list of two or more distinct class names, got "
                                 f"{type_name(value) if not isinstance(value, list) else value!r}")
    k = len(value)
    if outputs and outputs not in (k, 1 if k == 2 else k):
        raise t.error("classes", f"has {k} classes but the last layer has {outputs} units (expected {k}, "
                                 "or 1 unit with a sigmoid for two classes)")
    if isinstance(y, DeferredRows):  # the values are checked once read (_deferred)
        if y.width not in (1, k):
            raise t.error("classes", f"has {k} classes but the targets have {y.width} columns (expected "
                                     f"one column of class numbers, or {k} one-hot columns)")
    elif y is not None and len(y[0]) == 1:
        for i, row in enumerate(y):
            if not (row[0].is_integer() and 0 <= row[0] < k):
                raise t.error("classes", f"sample {i + 1}'s target is {row[0]:g}: with classes, the target "
                                         f"column holds class numbers 0 to {k - 1}")
    elif y is not None and len(y[0]) != k:
        raise t.error("classes", f"has {k} classes but the targets have {len(y[0])} columns (expected one "
                                 f"column of class numbers, or {k} one-hot columns)")
    return tuple(value)


def _names(t: Table, key: str) -> tuple[str, ...]:
    value = t.raw(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise t.error(key, f"must be a non-empty list of column names, got {type_name(value)}")
    return tuple(value)


def _training(t: Table, network: NetworkSpec | None, data: DataSpec | None) -> TrainingSpec:
    """The training options; those that need the network or the data are checked only with them."""
    frozen_raw = t.raw("frozen", [])
    if not isinstance(frozen_raw, list) or not all(isinstance(f, str) for f in frozen_raw):
        t.report(t.error("frozen", f"must be a list of parameter names, got {type_name(frozen_raw)}"))
        frozen_raw = []
    shapes = param_shapes(network) if network is not None else {}
    for i, f in enumerate(frozen_raw):
        if network is not None and f not in shapes:
            t.report(t.error(f"frozen[{i}]", f"unknown parameter '{f}' ({suggest(f, shapes)})"))
    optimizer = t.choice("optimizer", OPTIMIZERS, "sgd")
    momentum = t.get("momentum", float, 0.0)
    if not 0.0 <= momentum < 1.0:
        t.report(t.error("momentum", f"must be in [0, 1), got {momentum}"))
    l2 = t.get("l2", float, 0.0)
    if l2 < 0:
        t.report(t.error("l2", f"must be zero or positive, got {l2}"))
    tol = t.get("tol", float, 1e-4)
    if tol < 0:
        t.report(t.error("tol", f"must be zero or positive, got {tol}"))
    spec = TrainingSpec(
        learning_rate=t.positive("learning_rate", float, 0.01),
        epochs=t.positive("epochs", int, 1),
        batch_size=t.positive("batch_size", int, None),
        shuffle=t.get("shuffle", bool, False),
        seed=t.get("seed", int, 0),
        optimizer=optimizer,
        beta1=decay_rate(t, "beta1", ADAM_DEFAULTS["beta1"], optimizer, ("adam",)),
        beta2=decay_rate(t, "beta2", ADAM_DEFAULTS["beta2"], optimizer, ("adam",)),
        epsilon=optimizer_epsilon(t, optimizer, ADAM_DEFAULTS["epsilon"]),
        rho=decay_rate(t, "rho", RMSPROP_DEFAULTS["rho"], optimizer, ("rmsprop",)),
        momentum=momentum,
        nesterov=t.get("nesterov", bool, False),
        l2=l2,
        frozen=tuple(frozen_raw),
        validation_fraction=t.fraction("validation_fraction", 0.0),
        early_stopping=t.get("early_stopping", bool, False),
        patience=t.get("patience", int, None),
        tol=tol,
    )
    if optimizer != "sgd" and (momentum or spec.nesterov):
        t.report(t.error("momentum" if momentum else "nesterov",
                         f"applies to optimizer = \"sgd\" only (optimizer is \"{optimizer}\")"))
    if spec.seed < 0:  # the shuffle's default_rng(seed) refuses negative seeds
        t.report(t.error("seed", f"must be a non-negative whole number, got {spec.seed}"))
    if spec.patience is not None and spec.patience < 0:
        t.report(t.error("patience", f"must be zero or positive, got {spec.patience}"))
    if spec.early_stopping:
        if spec.validation_fraction <= 0:
            t.report(t.error("early_stopping", "needs training.validation_fraction > 0"))
        if spec.patience is None:
            spec = replace(spec, patience=10)  # scikit-learn's default n_iter_no_change
    if spec.validation_fraction > 0 and data is not None:
        fraction = spec.validation_fraction

        def check() -> None:
            if math.ceil(fraction * data.samples) >= data.samples:
                raise t.error("validation_fraction", "leaves no training samples")

        if not deferred.when_read(data.x, check):  # a deferred file's rows are counted by its read
            try:
                check()
            except ScenarioError as exc:
                t.report(exc)
    t.finish()
    return spec


def load_dict(doc: dict[str, Any], source: str = "<dict>") -> Scenario:
    """Build a scenario from an already parsed TOML document (tests, other programs)."""
    return _build(Table(doc, "", source, []), _DataAccess(Path.cwd()))
