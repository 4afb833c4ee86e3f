"""A computational graph's worked solution as a document, in CS231n's style: the graph, then every
forward value (a node of several operations gate by gate, each with its local derivatives), the
backward pass by the chain rule (every path of a fan-out shown), and with training every update
and the epoch losses.

``document(trace, precision)`` is the entry point ``bpstep.export.document`` uses for networks and
returns the same blocks, so the Markdown, LaTeX and HTML writers of ``bpstep.export`` render it.
"""

from __future__ import annotations

from bpstep.explain import explain
from bpstep.export import (
    DETAIL_BATCHES,
    MAX_ELEMENTS,
    Block,
    Formulas,
    Heading,
    Para,
    TableBlock,
    _ending,
    _summary,
)
from bpstep.format import DEFAULT_PRECISION, array, operand
from bpstep.formulas.graph import show, symbols
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

_SECTIONS = (
    ("forward", "Forward pass", "Each node from its operands, in order."),
    ("backward", "Backward pass: the chain rule",
     "From the output back, each derivative is the sum over the paths from that value to the "
     "output of upstream derivative × local derivative; a value used several times (fan-out) "
     "adds one term per use."),
    ("update", "Update the parameters", ""),
)


def document(trace: Trace, precision: int = DEFAULT_PRECISION) -> list[Block]:
    """The worked solution of a graph's run as blocks (see ``bpstep.export.document``)."""
    sc = trace.scenario
    blocks: list[Block] = []
    if sc.description:
        blocks.append(Para(sc.description))
    blocks += _graph(trace, precision)
    epochs = sorted({s.epoch for s in trace if s.epoch >= 1})
    if not epochs:
        blocks.append(Para("The run produced no steps."))
        blocks += _ending(trace, precision)
        return blocks
    detailed = epochs if len(epochs) <= DETAIL_BATCHES else epochs[:1]
    if len(detailed) < len(epochs):
        blocks.append(Para(f"The run has {len(epochs)} training steps. The first is worked out in full "
                           "below; every later one repeats it with the updated parameters (bpstep trace "
                           "lists every step). The epoch losses follow in the summary."))
    for epoch in detailed:
        steps = [s for s in trace if s.epoch == epoch and s.batch == 1]
        if len(epochs) > 1:
            blocks.append(Heading(2, f"Epoch {epoch}"))
        blocks += _epoch(trace, steps, precision, level=3 if len(epochs) > 1 else 2)
    blocks += _summary(trace, precision)
    blocks += _ending(trace, precision)
    return blocks


def _graph(trace: Trace, p: int) -> list[Block]:
    sc = trace.scenario
    spec = sc.graph
    assert spec is not None
    columns = sc.data.input_columns
    n = sc.data.samples
    rows = []
    for name, value in spec.inputs.items():
        if name in columns:
            j = columns.index(name)
            given = array([row[j] for row in sc.data.x], p) if n > 1 else operand(sc.data.x[0][j], p)
        else:
            given = operand(value, p)
        rows.append((name, "input", given))
    rows += [(name, "parameter", operand(value, p)) for name, value in spec.parameters.items()]
    text = (f"A computational graph of {len(spec.nodes)} node{'s' * (len(spec.nodes) != 1)}; the "
            f"output {spec.output} is differentiated with respect to every node and leaf.")
    if n > 1:
        text += (f" Each of the {n} rows of the data is a sample: every value has one number per sample, "
                 f"and the quantity trained is {spec.output} averaged over the batch.")
    if sc.trains:
        e = trace.epochs_run
        text += (f" Training: gradient descent on {spec.output}, learning rate η = "
                 f"{sc.training.learning_rate}, {e} step{'s' * (e != 1)}.")
    return [
        Heading(2, "The graph"),
        Para(text),
        Formulas(tuple(f"{node.name} = {show(node.expr, symbols)}" for node in spec.nodes)),
        TableBlock(("leaf", "kind", "value"), tuple(rows), "llr"),
    ]


def _epoch(trace: Trace, steps: list[Step], p: int, level: int) -> list[Block]:
    blocks: list[Block] = []
    for phase, heading, intro in _SECTIONS:
        chosen = [s for s in steps if s.phase == phase]
        if not chosen:
            continue
        blocks.append(Heading(level, heading))
        if intro:
            blocks.append(Para(intro))
        for s in chosen:
            exp = explain(trace, s, p, max_elements=MAX_ELEMENTS)
            text = f"{exp.title}: {exp.rule}" + (f" ({exp.note})" if exp.note else "")
            blocks.append(Para(text))
            lines = [e.text(p) for e in exp.elements]
            if exp.elided:
                lines.append(f"… {exp.elided} more elements of {s.name} not shown")
            if len(exp.parts) > 1:  # a node of several operations: gate by gate
                lines += [f"  gate {k}: {part.text(p)}" for k, part in enumerate(exp.parts, start=1)]
            blocks.append(Formulas(tuple(lines)))
    return blocks
