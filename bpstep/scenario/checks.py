"""A scenario's checks after its sections are read: the ``[expect]`` entries (through the shared
epoch/batch walker), that every display name and expectation names a value of this network,
the perceptron's keys and labels, and the size limits. Numpy-free and engine-free: the shapes
come from ``bpstep.shapes``, the same rules the engine runs by.
"""

from __future__ import annotations

from bpstep import names
from bpstep.errors import ScenarioError, suggest
from bpstep.scenario.deferred import when_read
from bpstep.scenario.expr import parse_graph
from bpstep.scenario.model import DataSpec, Expectation, Scenario, TrainingSpec
from bpstep.scenario.toml_reader import Table, as_float, to_vector, type_name
from bpstep.shapes import (
    MAX_GRAPH_STEPS,
    MAX_PARAMETERS,
    MAX_TRACE_BYTES,
    estimate_bytes,
    graph_steps,
    perceptron_step_shapes,
    step_shapes,
)
from bpstep.step_tables import Problem
from bpstep.step_tables import walk as walk_step_tables
from bpstep.tracing.refs import Ref
from bpstep.tracing.trace import resolve_name


def expectations(t: Table, texts: dict[tuple[str, ...], str]) -> tuple[Expectation, ...]:
    """``name = value`` pairs at epoch 1, batch 1; ``[expect.epoch.N]``, ``[expect.batch.N]`` and
    ``[expect.epoch.N.batch.M]`` address other steps (as answer files' ``[epoch.N]`` tables do).

    The value's text comes from the TOML source (``texts``) because its written decimals set
    the precision; a number with no text of its own (an inline table) falls back to ``repr``.
    """
    def key_path(path: tuple[str, ...], key: str) -> str:
        return t.key_path(".".join((*path, key)))

    def problem(p: Problem) -> None:  # each one reported on its own: every problem is listed
        where = key_path(p.path[:-2], ".".join(p.path[-2:]))
        if p.kind == "bad_number":
            article = "an" if p.table == "epoch" else "a"
            t.report(ScenarioError(t.source, where,
                                   f"'{p.path[-1]}' is not {article} {p.table} number (1, 2, ...)"))
        else:
            t.report(ScenarioError(t.source, where, f"must be a table of name = value pairs, "
                                                    f"got {type_name(p.value)}"))

    out: list[Expectation] = []
    for e in walk_step_tables(t.data, problem):
        where = key_path(e.path, e.key)
        if isinstance(e.value, bool) or not isinstance(e.value, int | float):
            t.report(ScenarioError(t.source, where, f"must be a number, got {type_name(e.value)}"))
        elif t.attempt(lambda v=e.value, w=where: as_float(v, t.source, w), None) is not None:
            text = texts.get(("expect", *e.path, e.key), repr(e.value))
            out.append(Expectation(e.key, text, e.epoch, e.batch, where))
    return tuple(out)


def check_names(scenario: Scenario, names: Table, expect: Table) -> None:
    if scenario.network.kind != "mlp" or not (scenario.names or scenario.expect):
        return  # (nothing to check: a deferred file's rows, which the shapes need, stay uncounted)
    shapes = step_shapes(scenario)
    for key, target in scenario.names.items():  # each name on its own: every problem is reported
        names.attempt(lambda key=key, target=target: _check_ref(
            shapes, resolve_name(target, {}), target, names.source, names.key_path(key)), None)
    batches = scenario.batches
    for exp in scenario.expect:  # each on its own, too
        expect.attempt(lambda e=exp: _check_expectation(scenario, e, shapes, batches, expect.source), None)


def _check_expectation(scenario: Scenario, exp: Expectation, shapes: dict[str, tuple[int, ...]],
                       batches: int, source: str) -> None:
    ref = resolve_name(exp.name, scenario.names)
    _check_ref(shapes, ref, exp.name, source, exp.key, "graph" if scenario.graph is not None else "network")
    assert ref is not None
    shape = shapes[ref.name]
    if not ref.index and shape:
        first = ",".join("0" * len(shape))
        raise ScenarioError(source, exp.key, f"'{exp.name}' is a {'×'.join(map(str, shape))} value: "
                                             f"name one element, like '{ref.name}[{first}]'")
    if exp.epoch > scenario.training.epochs:
        raise ScenarioError(source, exp.key, f"epoch {exp.epoch} is after the last "
                                             f"(training.epochs = {scenario.training.epochs})")
    if exp.batch > batches:
        raise ScenarioError(source, exp.key, f"batch {exp.batch} is after the last "
                                             f"(each epoch has {batches} batch{'es' * (batches != 1)})")


def _check_ref(shapes: dict[str, tuple[int, ...]], ref: Ref | None, what: str, source: str,
               where: str, model: str = "network") -> None:
    if ref is None or ref.name not in shapes:
        raise ScenarioError(source, where, f"'{what}' names no value of this {model} "
                                           f"({suggest(ref.name if ref else what, shapes)})")
    shape = shapes[ref.name]
    if ref.index and (len(ref.index) != len(shape)
                      or any(not 0 <= i < s for i, s in zip(ref.index, shape, strict=False))):
        raise ScenarioError(source, where, f"index {list(ref.index)} is outside {ref.name}, "
                                           f"whose shape is {shape}")


# Keys the perceptron has no use for: it updates after every sample by its own rule.
PERCEPTRON_UNUSED = {
    "network": ("loss",),
    "training": ("batch_size", "optimizer", "momentum", "nesterov", "l2", "frozen",
                 "validation_fraction", "early_stopping", "patience", "tol"),
}


def check_perceptron(scenario: Scenario, top: Table, names: Table) -> None:
    """Keys that do not apply, labels other than ±1, and display names of perceptron steps."""
    rule = "it updates w := w + η(y − ŷ)x after every sample"
    if scenario.network.layers:
        raise ScenarioError(top.source, "network.layers",
                            'network.kind = "perceptron" has no layers (one unit: ŷ = sign(wᵀx))')
    for table, keys in PERCEPTRON_UNUSED.items():
        raw = top.data.get(table)
        for key in keys:
            if isinstance(raw, dict) and key in raw:
                raise ScenarioError(top.source, f"{table}.{key}",
                                    f'does not apply to network.kind = "perceptron" ({rule})')
    bad = [v for row in scenario.data.y for v in row if v not in (1.0, -1.0)]  # the test split's too
    if bad:
        raise ScenarioError(top.source, "data.targets", f"perceptron labels must be -1 or 1, got {bad[0]:g}")
    shapes = perceptron_step_shapes(scenario)
    for key, target in scenario.names.items():
        if key in names.data:
            _check_ref(shapes, resolve_name(target, {}), target, names.source, names.key_path(key))


def check_size(scenario: Scenario, top: Table) -> None:
    sizes = [scenario.network.inputs] + [layer.units for layer in scenario.network.layers]
    count = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    if count > MAX_PARAMETERS:
        raise ScenarioError(top.source, "network.layers",
                            f"{count:,} weights is too large to hold in memory "
                            f"(at most {MAX_PARAMETERS:,})")

    def check_memory() -> None:
        need = estimate_bytes(scenario, scenario.training.epochs)
        if need > MAX_TRACE_BYTES:
            raise ScenarioError(top.source, "training.epochs",
                                f"the trace would need {_gib(need)} "
                                f"(at most {MAX_TRACE_BYTES / 1024**3:.0f} GiB): "
                                "fewer epochs, samples or units")

    if not when_read(scenario.data.x, check_memory):  # a deferred file: once its rows are counted
        check_memory()


def _gib(n: int) -> str:
    return f"about {n / 1024**3:.1f} GiB" if n < 1024**5 else "more than a million GiB"


# --- computational graphs ([graph]) --------------------------------------------------------------

# Tables of a network scenario that a graph has no use for, and why.
NOT_FOR_GRAPHS = {
    "network": "give either [network] or [graph]",
    "parameters": "a graph's parameters are graph.parameters",
    "init": "a graph's parameters start at the values graph.parameters gives",
    "names": "a graph's values are named by its nodes and leaves (q, df/dx, w1)",
}
GRAPH_TRAINING = ("learning_rate", "epochs")


def graph_scenario(top: Table, texts: dict[tuple[str, ...], str]) -> Scenario:
    """A ``[graph]`` scenario: the graph (``bpstep.scenario.expr.parse_graph``), the ``[data]``
    columns (one per input: a list of samples, or one number), ``[training]`` (``learning_rate``
    and ``epochs``, for a graph with parameters) and ``[expect]``. Every problem is collected."""
    if top.problems is None:
        top.problems = []
    problems = top.problems
    name = top.attempt(lambda: top.get("name", str), "")
    description = top.get("description", str, "")
    for key, why in NOT_FOR_GRAPHS.items():
        if top.has(key):
            top.raw(key)
            top.report(top.error(key, f"does not apply to a [graph] scenario: {why}"))
    g = top.attempt(lambda: top.table("graph", required=True), None)
    raw: dict[str, object] = {}
    if g is not None:
        for key, default in (("inputs", {}), ("parameters", {}), ("nodes", None), ("output", None)):
            raw[key] = g.raw(key, default)
            if raw[key] is None:
                example = '["q = x + y", "f = q * z"]' if key == "nodes" else '"f"'
                g.report(g.error(key, f"is missing (for example {key} = {example})"))
        g.finish()
    columns = _graph_columns(top.table("data"))
    inputs = _graph_inputs(top, raw.get("inputs", {}), columns, raw.get("parameters", {}))
    spec = None
    if g is not None and raw["nodes"] is not None and raw["output"] is not None and inputs is not None:
        try:
            spec = parse_graph(inputs, raw["parameters"], raw["nodes"], raw["output"], top.source)  # type: ignore[arg-type]
        except ScenarioError as exc:
            problems.extend(exc.problems)
    parameters = raw.get("parameters")
    trains = bool(parameters) if isinstance(parameters, dict) else True  # a bad table: reported above
    training = _graph_training(top.table("training"), trains)
    expect_table = top.table("expect")
    expect = top.attempt(lambda: expectations(expect_table, texts), ())
    top.finish()
    if spec is None or problems:
        raise ScenarioError.collected(problems or [top.error("graph", "is not usable")])
    rows = tuple(zip(*columns.values(), strict=True)) if columns else ((),)
    data = DataSpec(x=rows, y=tuple(() for _ in rows), input_columns=tuple(columns))
    scenario = Scenario(name=name, description=description, network=None, data=data, training=training,
                        expect=expect, source=top.source, graph=spec)
    steps = graph_steps(len(spec.nodes), len(spec.leaves), len(spec.parameters), training.epochs)
    if steps > MAX_GRAPH_STEPS:
        top.report(top.error("training.epochs", f"the run would record {steps:,} steps (at most "
                                                f"{MAX_GRAPH_STEPS:,}): fewer epochs"))
    shapes = graph_step_shapes(scenario)
    for exp in scenario.expect:
        expect_table.attempt(lambda e=exp: _check_expectation(scenario, e, shapes, 1, top.source), None)
    if problems:
        raise ScenarioError.collected(problems)
    return scenario


def _graph_columns(t: Table) -> dict[str, tuple[float, ...]]:
    """``[data]``: one column per input, all of one length (a number is one sample)."""
    columns: dict[str, tuple[float, ...]] = {}
    for key in t.data:
        value = t.raw(key)
        where = t.key_path(key)
        if isinstance(value, list):
            column = t.attempt(lambda v=value, w=where: to_vector(v, t.source, w), None)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            t.report(ScenarioError(t.source, where, f"must be a list of numbers, one per sample (the "
                                                    f"input's column), got {type_name(value)}"))
            column = None
        else:
            number = t.attempt(lambda v=value, w=where: as_float(v, t.source, w), None)
            column = None if number is None else (number,)
        if column is None:
            continue
        if columns and len(column) != len(next(iter(columns.values()))):
            first = next(iter(columns))
            t.report(ScenarioError(t.source, where, f"has {len(column)} samples but data.{first} has "
                                                    f"{len(columns[first])} (one value per sample)"))
            continue
        columns[key] = column
    return columns


def _graph_inputs(top: Table, raw: object, columns: dict[str, tuple[float, ...]],
                  parameters: object) -> dict[str, float] | None:
    """The inputs for ``parse_graph`` (name → a value; a ``[data]`` column's first sample), after
    checking that the columns and the inputs agree: ``graph.inputs`` is a table of values or a
    list of names whose values are ``[data]`` columns."""
    source = top.source
    problems = top.problems if top.problems is not None else []
    if isinstance(raw, list):
        given: dict[str, object] = {}
        for i, name in enumerate(raw):
            if not isinstance(name, str):
                problems.append(ScenarioError(source, f"graph.inputs[{i}]",
                                              f"must be an input's name, got {type_name(name)}"))
            elif name not in columns:
                problems.append(ScenarioError(source, f"graph.inputs[{i}]",
                                              f"'{name}' has no [data] column: give its values there "
                                              f"(data.{name} = [1.5, 2.0]) or write graph.inputs as a "
                                              f"table ({{ {name} = 1.5 }})"))
            else:
                given[name] = columns[name][0]
        declared = {n for n in raw if isinstance(n, str)}
    elif isinstance(raw, dict):
        given = dict(raw)
        declared = set(raw)
        for name in columns:
            if name in raw:
                problems.append(ScenarioError(source, f"data.{name}", f"'{name}' has a value in "
                                              "graph.inputs already: give it in one place (graph.inputs "
                                              "may list names, as [\"x\", \"y\"], whose values are columns)"))
    else:
        return raw  # type: ignore[return-value]  (parse_graph reports what it is)
    params = parameters if isinstance(parameters, dict) else {}
    for name in columns:
        if name in params:
            problems.append(ScenarioError(source, f"data.{name}", f"'{name}' is a parameter: one number, "
                                          "trained by [training]; [data] gives the inputs' samples"))
        elif name not in declared:
            problems.append(ScenarioError(source, f"data.{name}", f"'{name}' is not an input "
                                          f"({suggest(name, sorted(declared))})"))
    return {k: v for k, v in given.items()}  # type: ignore[misc]


def _graph_training(t: Table, has_parameters: bool) -> TrainingSpec:
    for key in t.data:
        if key not in GRAPH_TRAINING:
            t.raw(key)
            t.report(t.error(key, "does not apply to a [graph] scenario: it trains by plain gradient "
                                  "descent (learning_rate, epochs) on the output averaged over the batch"))
    if t.data and not has_parameters:
        t.report(ScenarioError(t.source, "training", "a graph without parameters has nothing to train: "
                                                     "its run is one forward and backward pass (give "
                                                     "graph.parameters, or drop [training])"))
    spec = TrainingSpec(learning_rate=t.positive("learning_rate", float, 0.01),
                        epochs=t.positive("epochs", int, 1))
    t.finish()
    return spec


def graph_step_shapes(scenario: Scenario) -> dict[str, tuple[int, ...]]:
    """The shape of every step a graph's run records (for checking ``[expect]``): nodes and
    per-sample leaves one value per sample in a batch; shared leaves' derivatives one number."""
    spec = scenario.graph
    assert spec is not None
    n = scenario.data.samples
    per_sample: tuple[int, ...] = (n,) if n > 1 else ()
    shapes: dict[str, tuple[int, ...]] = {}
    for node in spec.nodes:
        shapes[node.name] = shapes[names.graph_grad(spec.output, node.name)] = per_sample
    for leaf in spec.leaves:
        batched = leaf in scenario.data.input_columns
        shapes[names.graph_grad(spec.output, leaf)] = per_sample if batched else ()
    shapes |= {p: () for p in spec.parameters} | {names.EPOCH_LOSS: ()}
    return shapes
