"""Random and mutated scenario documents: the loader raises only ScenarioError, and a scenario it
accepts runs to the end or stops as "diverged", never with an exception."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bpstep
from bpstep.errors import ScenarioError
from bpstep.scenario import bundled_dir, loads

EXERCISE = tomllib.loads((bundled_dir() / "exercise.toml").read_text(encoding="utf-8"))
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RUN_EPOCHS = 2  # an accepted scenario is traced for at most this many epochs


# -- a small TOML writer (everything as inline tables, so any shape can be written) -------------

def toml_string(s: str) -> str:
    # JSON escapes quotes, backslashes and C0 controls as TOML does; DEL must be escaped too.
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(k: str) -> str:
    bare = k and all(c.isascii() and (c.isalnum() or c in "_-") for c in k)
    return k if bare else toml_string(k)


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def dumps(doc: dict[str, Any]) -> str:
    return "\n".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in doc.items()) + "\n"


def test_writer_round_trips() -> None:
    assert tomllib.loads(dumps(EXERCISE)) == EXERCISE


# -- the property ----------------------------------------------------------------------------

def check(text: str) -> None:
    """Only ScenarioError may escape loading; an accepted scenario traces without an exception."""
    try:
        scenario = loads(text, source="fuzz.toml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml: ")
        for problem in exc.problems:  # each one line: file, key path, what was expected
            assert problem.source == "fuzz.toml" and problem.message
            assert str(problem).isprintable(), str(problem)
        return
    try:
        trace = bpstep.trace(scenario, epochs=min(scenario.training.epochs, RUN_EPOCHS))
    except ScenarioError:
        return  # refused before allocating
    assert trace.status in ("complete", "stopped", "diverged")
    if trace.status == "diverged":
        assert not trace[-1].finite and "diverged" in trace.message
    else:
        assert all(s.finite for s in trace)


# -- random documents ------------------------------------------------------------------------

KEYS = ["name", "description", "network", "inputs", "layers", "units", "activation", "loss",
        "parameters", "W1", "b1", "W2", "b2", "init", "method", "seed", "data", "targets",
        "training", "learning_rate", "epochs", "batch_size", "momentum", "frozen", "names", "x"]
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-3, max_value=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["sigmoid", "relu", "sse", "bce", "zeros", "sklearn", "W1", "b2", "Z2[0,0]"]),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=4),
    ),
    max_leaves=10,
)
documents = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), values, max_size=6)


@FUZZ
@given(documents)
def test_random_documents(doc: dict[str, Any]) -> None:
    check(dumps(doc))


# Scenario-shaped documents, mostly valid with a bad value here and there, so that the checks
# past the document's shape (sizes, shapes, ranges, the run itself) are reached too.
@st.composite
def shaped(draw: st.DrawFn) -> dict[str, Any]:
    def maybe(valid: st.SearchStrategy) -> Any:
        return draw(valid) if draw(st.integers(0, 49)) else draw(values)

    def width(declared: Any) -> int:  # usually the declared size, sometimes another
        ok = isinstance(declared, int) and not isinstance(declared, bool) and 0 < declared < 5
        return declared if ok and draw(st.integers(0, 9)) else draw(st.integers(1, 3))

    inputs = maybe(st.integers(1, 3))
    layers = [{"units": maybe(st.integers(1, 3)),
               "activation": maybe(st.sampled_from(["identity", "sigmoid", "tanh", "relu", "leaky_relu"]))}
              for _ in range(draw(st.integers(1, 3)))]
    loss = maybe(st.sampled_from(["sse", "half_sse", "mse", "half_mse", "bce"]))
    n = draw(st.integers(1, 4))
    x_width, t_width = width(inputs), width(layers[-1]["units"])
    x = [[maybe(st.floats(-3, 3)) for _ in range(x_width)] for _ in range(n)]
    t = [[maybe(st.floats(0, 1)) for _ in range(t_width)] for _ in range(n)]
    doc: dict[str, Any] = {"name": "shaped", "network": {"inputs": inputs, "layers": layers, "loss": loss},
                           "data": {"inputs": x, "targets": t}}
    params: dict[str, Any] = {}
    fan_in = inputs
    for k, layer in enumerate(layers, start=1):
        if draw(st.booleans()):
            rows, cols = width(fan_in), width(layer["units"])
            params[f"W{k}"] = [[maybe(st.floats(-2, 2)) for _ in range(cols)] for _ in range(rows)]
        if draw(st.booleans()):
            units = width(layer["units"])
            params[f"b{k}"] = maybe(st.one_of(st.floats(-1, 1), st.lists(st.floats(-1, 1), min_size=units,
                                                                           max_size=units)))
        fan_in = layer["units"]
    if params:
        doc["parameters"] = params
    doc["init"] = {"method": maybe(st.sampled_from(["glorot_uniform", "normal", "uniform", "zeros"])),
                   "seed": maybe(st.integers(0, 10)), "rng": maybe(st.sampled_from(["numpy", "sklearn"]))}
    doc["training"] = {
        "learning_rate": maybe(st.floats(1e-3, 10)), "epochs": maybe(st.integers(1, 3)),
        "batch_size": maybe(st.integers(1, 5)), "shuffle": maybe(st.booleans()),
        "momentum": maybe(st.floats(0, 0.99)), "nesterov": maybe(st.booleans()), "l2": maybe(st.floats(0, 1)),
        "frozen": maybe(st.lists(st.sampled_from(["W1", "b1", "b2"]), max_size=2, unique=True)),
        "validation_fraction": maybe(st.sampled_from([0.0, 0.0, 0.25, 0.5])),
    }
    return doc


@FUZZ
@given(shaped())
def test_scenario_shaped_documents(doc: dict[str, Any]) -> None:
    check(dumps(doc))


@FUZZ
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    check(text)


def test_deep_nesting_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="nested too deeply"):
        loads("x = " + "[" * 5000 + "]" * 5000)


# -- mutations of the bundled exercise ---------------------------------------------------------

def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path (dict keys and list indices) inside a document."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.append((*prefix, k))
        out.extend(paths(v, (*prefix, k)))
    return out


REPLACEMENTS = st.one_of(
    st.sampled_from([0, -1, 1, 2, 10**9, 2**63 - 1, -(2**63), 1e308, -1e308, 1e-308, 0.0, -0.0,
                     math.nan, math.inf, -math.inf, "", "0.5", "sigmoid", True, False, [], {}, [[]],
                     [[1, 2], [3]], [1, 2, 3], {"units": 2}, dt.date(2024, 1, 1)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10, max_value=10),
    st.text(max_size=5),
)
mutation = st.tuples(st.sampled_from(["delete", "replace", "add", "scale"]), st.integers(0, 10**6),
                     REPLACEMENTS, st.text(min_size=1, max_size=6))


def mutate(doc: dict, op: str, pick: int, value: Any, new_key: str) -> None:
    value = copy.deepcopy(value)  # sampled lists and tables are shared between examples
    targets = paths(doc)
    path = targets[pick % len(targets)]
    *parent_path, last = path
    parent: Any = doc
    for k in parent_path:
        parent = parent[k]
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = value
    elif op == "add":
        container = parent[last] if isinstance(parent[last], dict) else doc
        container[new_key] = value
    elif isinstance(parent[last], int | float) and not isinstance(parent[last], bool):
        # Numbers pushed to extremes: huge, negative, tiny, not finite.
        factor = value if isinstance(value, int | float) and not isinstance(value, bool) else -1e300
        parent[last] = parent[last] * factor


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_exercise(mutations: list) -> None:
    doc = copy.deepcopy(EXERCISE)
    for m in mutations:
        if not paths(doc):
            break
        mutate(doc, *m)
    try:
        text = dumps(doc)
    except TypeError:  # a mutation made something the writer does not know (cannot happen in TOML)
        return
    check(text)


@FUZZ
@given(st.sampled_from(["learning_rate", "momentum", "l2"]),
       st.floats(min_value=0.0, max_value=1e308, allow_nan=False))
def test_extreme_training_numbers(key: str, value: float) -> None:
    doc = copy.deepcopy(EXERCISE)
    doc["training"][key] = value
    doc["training"]["epochs"] = 3
    check(dumps(doc))


@pytest.mark.parametrize("name", sorted(p.stem for p in Path(bundled_dir()).glob("*.toml")))
def test_bundled_scenarios_load(name: str) -> None:
    check((bundled_dir() / f"{name}.toml").read_text(encoding="utf-8"))
