"""The worked solution as a document (Markdown, LaTeX or HTML), in the tutorial's style.

The network and its initial parameters, then for the first batch every forward value, the
error, every delta and gradient, and every update, each as its rule and the formula with the
numbers substituted (from ``bpstep.explain``). Runs of more than ``DETAIL_BATCHES`` batches are
detailed for their first batch only (the document says so), followed by a table of the epoch
losses (and validation scores) and a loss curve. Plain strings only: no rich, no textual.

The document is built once as a list of blocks, then rendered by one small writer per format;
each writer escapes every piece of text for its format.
"""

from __future__ import annotations

import numpy as np

from bpstep import names
from bpstep.engine.losses import get_loss
from bpstep.explain import Namer, explain, sym
from bpstep.export_blocks import Block, Curve, Formulas, Heading, Para, TableBlock
from bpstep.export_writers import md_escape, sample_evenly, tex_escape, to_html, to_latex, to_markdown
from bpstep.format import DEFAULT_PRECISION, array, num, operand
from bpstep.sparkline import sparkline
from bpstep.tracing.step import Step
from bpstep.tracing.trace import Trace

FORMATS = ("markdown", "latex", "html")
# A run with more batches than this is detailed for its first batch only.
DETAIL_BATCHES = 3
# Elements listed per step (a wide layer's others are counted, not listed).
MAX_ELEMENTS = 32
# Rows of the epoch summary table; a longer run is sampled evenly (first and last kept).
MAX_SUMMARY_ROWS = 30
# Points of the loss curve.
MAX_CURVE_POINTS = 200

# Imported from here by the other document builders, the command and the tests.
__all__ = ["FORMATS", "Block", "Curve", "Formulas", "Heading", "Para", "TableBlock", "document", "export",
           "md_escape", "sparkline", "tex_escape", "to_html", "to_latex", "to_markdown"]


def export(trace: Trace, fmt: str, precision: int = DEFAULT_PRECISION, mode: str = "solution") -> str:
    """The worked solution of ``trace`` as a ``markdown``, ``latex`` or ``html`` document; ``mode``
    ``blank`` is the handout (the asked values blank), ``key`` the answer key (``bpstep.handout``)."""
    from bpstep import handout

    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}' (valid: {', '.join(FORMATS)})")
    title = {"solution": "Worked solution", "blank": "Exercise", "key": "Answer key"}[mode]
    title = f"{title}: {trace.scenario.name}"
    blocks = document(trace, precision, handout=mode == "blank")
    if mode != "solution":
        at = next((i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text.startswith("Step 2")),
                  len(blocks))
        table = handout.questions_table(trace, precision, filled=mode == "key")
        blocks = blocks[:at] + table if mode == "blank" else blocks[:at] + table + blocks[at:]
    return {"markdown": to_markdown, "latex": to_latex, "html": to_html}[fmt](title, blocks)


def document(trace: Trace, precision: int = DEFAULT_PRECISION, handout: bool = False) -> list[Block]:
    """The worked solution as blocks, independent of the output format (``handout``: without
    the corrections to a published solution, which would give answers away)."""
    if trace.scenario.graph is not None:  # a computational graph has a worked solution of its own
        from bpstep.export_graph import document as graph_document

        return graph_document(trace, precision)
    from bpstep.handout import corrections, picture

    sc = trace.scenario
    p = precision
    blocks: list[Block] = []
    if sc.description:
        blocks.append(Para(sc.description))
    if not handout:
        blocks += corrections(trace, p)
    batches = sorted({(s.epoch, s.batch) for s in trace if s.epoch >= 1 and s.batch >= 1})
    first = [s for s in trace if (s.epoch, s.batch) == batches[0]] if batches else []
    blocks += _network(trace, first, p)
    step1 = next((i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text.startswith("Step 1")),
                 len(blocks))
    blocks[step1:step1] = picture(trace, p)  # the drawing (LaTeX only), before "Step 1"
    if not batches:
        blocks.append(Para("The run produced no steps."))
        return blocks
    detailed = batches if len(batches) <= DETAIL_BATCHES else batches[:1]
    if len(detailed) < len(batches):
        blocks.append(Para(
            f"The run has {len(batches)} batches in {trace.epochs_run} epochs. The steps below are "
            f"worked out in full for the first batch (epoch 1, batch 1) only; every later batch "
            f"repeats them with the updated parameters (bpstep trace lists every step). The "
            f"epoch losses follow in the summary."
        ))
    for epoch, batch in detailed:
        steps = [s for s in trace if (s.epoch, s.batch) == (epoch, batch)]
        if len(batches) > 1:
            blocks.append(Heading(2, f"Epoch {epoch}, batch {batch}"))
        blocks += _batch(trace, steps, p, level=3 if len(batches) > 1 else 2)
    blocks += _summary(trace, p)
    blocks += _ending(trace, p)
    return blocks


def _perceptron(trace: Trace, first: list[Step], p: int) -> list[Block]:
    sc = trace.scenario
    n = sc.data.samples
    x = next((s for s in first if s.name == "x"), None)
    w0 = first[-1].inputs.get("w") if first else None
    blocks: list[Block] = [
        Heading(2, "Step 0 - The perceptron and the data"),
        Para(f"A perceptron with {sc.network.inputs} input{'s' * (sc.network.inputs != 1)} and a bias "
             f"w0 on the constant input x0 = 1; learning rate η = {sc.training.learning_rate}; "
             f"{n} training sample{'s' * (n != 1)}, one at a time. Its rule needs no backpropagation: "
             f"w ← w + η(y − sign(wᵀx))x."),
    ]
    if x is not None:
        blocks.append(Para("The first sample:"))
        blocks.append(Formulas((f"x = {array(x.value, p)}",)))
    blocks.append(Heading(2, "Step 1 - Initialization"))
    if w0 is not None:
        blocks.append(Formulas((f"w = {array(w0, p)}",)))
    return blocks


def _network(trace: Trace, first: list[Step], p: int) -> list[Block]:
    sc = trace.scenario
    if sc.network.kind == "perceptron":
        return _perceptron(trace, first, p)
    net, tr = sc.network, sc.training
    loss = get_loss(net.loss)
    rows = []
    for k, layer in enumerate(net.layers, start=1):
        bias = "one shared bias" if layer.shared_bias else "one bias per unit"
        rows.append((str(k), str(layer.units), layer.activation, bias))
    n = sc.data.samples
    shape = "-".join(str(u) for u in [net.inputs, *(layer.units for layer in net.layers)])
    optimizer = f"SGD, learning rate η = {tr.learning_rate}"
    if tr.momentum:
        optimizer += f", momentum μ = {tr.momentum}" + (" (Nesterov)" if tr.nesterov else "")
    if tr.l2:
        optimizer += f", L2 λ = {tr.l2}"
    batch_size = tr.batch_size or n
    blocks: list[Block] = [
        Heading(2, "Step 0 - The network and the data"),
        Para(f"A {shape} network with {net.inputs} input{'s' * (net.inputs != 1)}; loss {loss.rule}; "
             f"{optimizer}; {n} training sample{'s' * (n != 1)} in batches of "
             f"{min(batch_size, n)}, {trace.epochs_run} epoch{'s' * (trace.epochs_run != 1)}."),
        TableBlock(("layer", "units", "activation", "bias"), tuple(rows), "rrll"),
    ]
    z0 = next((s for s in first if s.name == "Z0"), None)
    if z0 is not None:
        namer = Namer(trace)
        x = z0.value
        lines = _capped([f"{namer('Z0', idx)} = {operand(x[idx], p)}" for idx in np.ndindex(*x.shape)],
                        "inputs")
        targets = z0.inputs.get("T")
        if targets is not None:
            lines += _capped([f"t{_target(idx, targets.shape)} = {operand(targets[idx], p)}"
                              for idx in np.ndindex(*targets.shape)], "targets")
        blocks.append(Para("Input and target (the first batch):"))
        blocks.append(Formulas(tuple(lines)))
    blocks.append(Heading(2, "Step 1 - Initialization"))
    blocks.append(Para("The initial weights and biases (W is fan_in × fan_out):"))
    blocks.append(Formulas(tuple(_parameters(trace, first, p))))
    return blocks


def _target(idx: tuple[int, ...], shape: tuple[int, ...]) -> str:
    return str(idx[1] + 1) if shape[0] == 1 else f"[{idx[0]},{idx[1]}]"


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_ELEMENTS:
        return lines
    return lines[:MAX_ELEMENTS] + [f"… {len(lines) - MAX_ELEMENTS} more {what} not shown"]


def _parameters(trace: Trace, first: list[Step], p: int) -> list[str]:
    namer = Namer(trace)
    lines = []
    for s in first:
        if s.op != "linear":
            continue
        k = s.layer
        for name in (names.weight(k), names.bias(k)):
            value = s.inputs[name]
            named = [f"{namer(name, idx)} = {operand(value[idx], p)}" for idx in np.ndindex(*value.shape)
                     if not namer(name, idx).startswith(name)]
            if named and len(named) == value.size:
                lines.append(", ".join(named[:MAX_ELEMENTS]) + (" …" if len(named) > MAX_ELEMENTS else ""))
            elif value.ndim == 0:
                shared = "(one bias shared by the layer's units)"
                lines.append(f"{namer(name, ())} = {operand(float(value), p)} {shared}")
            else:
                lines.append(f"{sym(name)} = {array(value, p)}")
    return lines


_SECTIONS = (
    ("forward", "Step 2 - Forward pass"),
    ("loss", "Step 3 - Calculate the error"),
    ("backward", "Step 4 - Backpropagation: the deltas"),
    ("gradient", "Step 4 - Backpropagation: the gradients"),
    ("update", "Step 5 - Update the weights"),
)


def _batch(trace: Trace, steps: list[Step], p: int, level: int) -> list[Block]:
    blocks: list[Block] = []
    for phase, heading in _SECTIONS:
        chosen = [s for s in steps if s.phase == phase and s.op != "input"]
        if not chosen:
            continue
        blocks.append(Heading(level, heading))
        if phase == "backward":
            blocks.append(Para("By the chain rule, from the output back: each δ is ∂E/∂Z of one module."))
        for s in chosen:
            exp = explain(trace, s, p, max_elements=MAX_ELEMENTS)
            text = f"{exp.title}: {exp.rule}"
            if exp.note:
                text += f" ({exp.note})"
            blocks.append(Para(text))
            lines = [e.text(p) for e in exp.elements]
            if exp.elided:
                lines.append(f"… {exp.elided} more elements of {s.name} not shown")
            if lines:
                blocks.append(Formulas(tuple(lines)))
    return blocks


def _summary(trace: Trace, p: int) -> list[Block]:
    losses = {s.epoch: float(s.value) for s in trace if s.phase == "epoch" and s.name == "loss"}
    if len(losses) < 2:
        return []
    scores = {s.epoch: float(s.value) for s in trace if s.phase == "epoch" and s.name == "validation_score"}
    epochs = sorted(losses)
    shown = sample_evenly(epochs, MAX_SUMMARY_ROWS)
    header = ("epoch", "loss") + (("validation score",) if scores else ())
    rows = tuple(
        (str(e), num(losses[e], p)) + ((num(scores[e], p) if e in scores else "",) if scores else ())
        for e in shown
    )
    blocks: list[Block] = [Heading(2, "Training summary")]
    lowest = min(epochs, key=lambda e: losses[e])
    text = (f"Loss per epoch (the batch losses weighted by batch size): {num(losses[epochs[0]], p)} after "
            f"epoch 1, {num(losses[epochs[-1]], p)} after epoch {epochs[-1]}; lowest "
            f"{num(losses[lowest], p)} at epoch {lowest}.")
    if len(shown) < len(epochs):
        text += f" The table shows {len(shown)} of the {len(epochs)} epochs, evenly spaced."
    blocks.append(Para(text))
    blocks.append(TableBlock(header, rows, "r" * len(header)))
    finite = [e for e in epochs if np.isfinite(losses[e])]
    if len(finite) >= 2:
        blocks.append(Curve(tuple((e, losses[e]) for e in sample_evenly(finite, MAX_CURVE_POINTS)), "loss"))
    return blocks


def _ending(trace: Trace, p: int) -> list[Block]:
    blocks: list[Block] = []
    end = [s for s in trace if s.phase in ("end", "evaluate")]
    if end or trace.status != "complete" or trace.message:
        blocks.append(Heading(2, "After training"))
    if trace.status == "diverged":
        blocks.append(Para(f"The run diverged: {trace.message}"))
    elif trace.message:
        blocks.append(Para(trace.message))
    for s in end:
        exp = explain(trace, s, p, max_elements=0)
        if s.name == "best_epoch":
            blocks.append(Para(f"Early stopping: {s.note or exp.rule}."))
        elif s.value.ndim > 0:  # test_targets, test_predictions: one value per test sample
            blocks.append(Para(f"{s.name}: {exp.rule}: {s.value.shape[0]} test samples."))
        else:
            blocks.append(Para(f"{s.name}: {exp.rule}"))
            blocks.append(Formulas((f"{s.name} = {num(float(s.value), p)}",)))
    return blocks
