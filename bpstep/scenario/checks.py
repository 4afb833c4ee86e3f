"""A scenario's checks after its sections are read: the ``[expect]`` entries (through the shared
epoch/batch walker), that every display name and expectation names a value of this network,
the perceptron's keys and labels, and the size limits. Numpy-free and engine-free: the shapes
come from ``bpstep.shapes``, the same rules the engine runs by.
"""

from __future__ import annotations

from bpstep.errors import ScenarioError, suggest
from bpstep.scenario.model import Expectation, Scenario
from bpstep.scenario.toml_reader import Table, as_float, type_name
from bpstep.shapes import MAX_PARAMETERS, MAX_TRACE_BYTES, estimate_bytes, perceptron_step_shapes, step_shapes
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
    if scenario.network.kind != "mlp":
        return
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
    _check_ref(shapes, ref, exp.name, source, exp.key)
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
               where: str) -> None:
    if ref is None or ref.name not in shapes:
        raise ScenarioError(source, where, f"'{what}' names no value of this network "
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
    need = estimate_bytes(scenario, scenario.training.epochs)
    if need > MAX_TRACE_BYTES:
        raise ScenarioError(top.source, "training.epochs",
                            f"the trace would need {_gib(need)} "
                            f"(at most {MAX_TRACE_BYTES / 1024**3:.0f} GiB): "
                            "fewer epochs, samples or units")


def _gib(n: int) -> str:
    return f"about {n / 1024**3:.1f} GiB" if n < 1024**5 else "more than a million GiB"
