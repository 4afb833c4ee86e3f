"""``bpstep export``: the worked solution as Markdown, LaTeX and HTML.

The exercise's expected lines are the tutorial's own (its Exercise section) at bpstep's stated
formatting: four decimals for values, four significant digits for small operands.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import bpstep
from bpstep.cli import main
from bpstep.export import FORMATS, export, md_escape, sparkline, tex_escape
from bpstep.scenario import bundled_names

PDFLATEX = shutil.which("pdflatex")


def run_export(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["export", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- structure checks, one per format -------------------------------------------------------------

class _TagChecker(HTMLParser):
    VOID = {"meta", "br", "img", "hr", "link", "input", "line", "polyline"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ANN001
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:  # noqa: ANN001
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(text: str) -> str:
    """Balanced tags; returns the document's text (entities decoded)."""
    assert text.startswith("<!DOCTYPE html>")
    parser = _TagChecker()
    parser.feed(text)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    return "".join(parser.text)


def check_latex(text: str) -> None:
    """documentclass, one document, balanced (unescaped) braces and matched environments."""
    assert text.startswith(r"\documentclass")
    assert text.count(r"\begin{document}") == 1 and text.rstrip().endswith(r"\end{document}")
    body = re.sub(r"\\[{}\\$&#%_]", "", text.replace(r"\textbackslash{}", ""))
    depth = 0
    for ch in body:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{(\w+\*?)\}", text):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env
    assert stack == []
    assert all(ord(c) < 128 for c in text), "pdflatex needs every non-ASCII character translated"


def compile_latex(text: str, tmp_path: Path) -> None:
    tex = tmp_path / "solution.tex"
    tex.write_text(text, encoding="utf-8")
    result = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "solution.pdf").stat().st_size > 1000


# --- every bundled scenario in every format ----------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", bundled_names())
def test_export_every_bundled_scenario(name: str, fmt: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / f"solution.{fmt}"
    code, out, err = run_export(capsys, name, "--format", fmt, "-o", str(out_file))
    assert code == 0, err
    assert out == ""
    text = out_file.read_text(encoding="utf-8")
    scenario = bpstep.load(name)
    assert len(text) < 500_000  # long runs are summarised, not written out batch by batch
    if fmt == "markdown":
        plain = text
        assert text.startswith(f"# Worked solution: {md_escape(scenario.name)}\n")
    elif fmt == "html":
        plain = check_html(text)
        assert f"Worked solution: {scenario.name}" in plain
    else:
        check_latex(text)
        plain = text
        assert r"\title{Worked solution: " + tex_escape(scenario.name) + "}" in text
    if scenario.graph is not None:  # a computational graph: its nodes, then the chain rule
        sections = ("The graph", "Forward pass", "Backward pass: the chain rule")
        if scenario.trains:
            sections += ("Update",)
    elif scenario.network.kind == "perceptron":  # the perceptron rule has no backward pass
        sections: tuple[str, ...] = ("Step 0 - The perceptron and the data", "Step 1 - Initialization",
                                     "Step 2 - Forward pass", "Step 3 - Calculate the error",
                                     "Step 5 - Update the weights")
        assert "Step 4 - Backpropagation" not in plain
    else:
        sections = ("Step 0 - The network and the data", "Step 1 - Initialization",
                    "Step 2 - Forward pass", "Step 3 - Calculate the error", "Step 4 - Backpropagation",
                    "Step 5 - Update the weights")
    for section in sections:
        assert plain.count(section) >= 1, section
    trace = bpstep.trace(scenario)
    batches = {(s.epoch, s.batch) for s in trace if s.batch >= 1}
    if len(batches) > 3:
        assert "worked out in full for the first batch (epoch 1, batch 1) only" in plain
        assert plain.count("Step 2 - Forward pass") == 1
    if trace.epochs_run > 1:
        assert "Training summary" in plain
        if fmt == "markdown":
            assert any(c in text for c in "▁▂▃▄▅▆▇█")
        else:
            assert {"html": "<polyline", "latex": r"\begin{picture}"}[fmt] in text


@pytest.mark.skipif(PDFLATEX is None, reason="no TeX engine (pdflatex) on PATH")
@pytest.mark.parametrize("name", bundled_names())
def test_latex_compiles(name: str, tmp_path: Path) -> None:
    compile_latex(export(bpstep.trace(name), "latex"), tmp_path)


# --- the exercise, line by line -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exercise_md() -> str:
    return export(bpstep.trace("exercise"), "markdown")


@pytest.mark.parametrize("line", [
    # the tutorial's forward pass
    "z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = 4.3000",
    "z_h2 = w2·x1 + w4·x2 + w6·x3 + b1 = 0.2·1 + 0.4·4 + 0.6·5 + 0.5 = 5.3000",
    "h1 = σ(z_h1) = σ(4.3) = 0.9866",
    "h2 = σ(z_h2) = σ(5.3) = 0.9950",
    "z_o1 = w7·h1 + w9·h2 + b2 = 0.7·0.9866 + 0.9·0.995 + 0.5 = 2.0862",
    "z_o2 = w8·h1 + w10·h2 + b2 = 0.8·0.9866 + 0.1·0.995 + 0.5 = 1.3888",
    "o1 = σ(z_o1) = σ(2.0862) = 0.8896",
    "o2 = σ(z_o2) = σ(1.3888) = 0.8004",
    # the error and its derivatives
    "E = ½[(o1 − t1)² + (o2 − t2)²] = ½[(0.8896 − 0.1)² + (0.8004 − 0.05)²] = 0.5932",
    "∂E/∂o1 = (o1 − t1) = (0.8896 − 0.1) = 0.7896",
    "∂E/∂o2 = (o2 − t2) = (0.8004 − 0.05) = 0.7504",
    # the chain rule (∂E/∂h1 = 0.1502, ∂E/∂h2 = 0.0818, and the corrected ∂E/∂b1 = 0.0024)
    "∂E/∂h1 = ∂E/∂z_o1·w7 + ∂E/∂z_o2·w8 = 0.07757·0.7 + 0.1199·0.8 = 0.1502",
    "∂E/∂h2 = ∂E/∂z_o1·w9 + ∂E/∂z_o2·w10 = 0.07757·0.9 + 0.1199·0.1 = 0.0818",
    "∂E/∂w7 = ∂E/∂z_o1·h1 = 0.07757·0.9866 = 0.0765",
    "∂E/∂w10 = ∂E/∂z_o2·h2 = 0.1199·0.995 = 0.1193",
    "∂E/∂b2 = ∂E/∂z_o1 + ∂E/∂z_o2 = 0.07757 + 0.1199 = 0.1975",
    "∂E/∂w1 = ∂E/∂z_h1·x1 = 0.001984·1 = 0.0020",
    "∂E/∂w5 = ∂E/∂z_h1·x3 = 0.001984·5 = 0.0099",
    "∂E/∂b1 = ∂E/∂z_h1 + ∂E/∂z_h2 = 0.001984 + 0.0004043 = 0.0024",
    # the updates
    "w3 := w3 − η·∂E/∂w3 = 0.3 − 0.01·0.007936 = 0.2999",
    "w7 := w7 − η·∂E/∂w7 = 0.7 − 0.01·0.07654 = 0.6992",
    "w10 := w10 − η·∂E/∂w10 = 0.1 − 0.01·0.1193 = 0.0988",
    "b2 := b2 − η·∂E/∂b2 = 0.5 − 0.01·0.1975 = 0.4980",
    # the network and its parameters
    "w1 = 0.1, w2 = 0.2, w3 = 0.3, w4 = 0.4, w5 = 0.5, w6 = 0.6",
    "w7 = 0.7, w8 = 0.8, w9 = 0.9, w10 = 0.1",
    "x1 = 1",
    "t2 = 0.05",
])
def test_exercise_markdown_lines(exercise_md: str, line: str) -> None:
    assert line in exercise_md.splitlines()


def test_exercise_markdown_order_and_no_summary(exercise_md: str) -> None:
    order = [exercise_md.index(s) for s in ("Step 0", "Step 1", "Step 2", "Step 3", "Step 4", "Step 5")]
    assert order == sorted(order)
    assert "Training summary" not in exercise_md  # one epoch: nothing to summarise
    assert "first batch (epoch 1, batch 1) only" not in exercise_md
    assert "loss E = ½ Σ (o − t)²" in exercise_md and "learning rate η = 0.01" in exercise_md


def test_precision_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_export(capsys, "exercise", "--precision", "6")
    assert code == 0
    # h1 = σ(4.3) = 0.98661308…, z_o1 = 2.08615903…
    assert "h1 = σ(z_h1) = σ(4.3) = 0.986613" in out
    assert "z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = 4.300000" in out
    assert "o1 = σ(z_o1) = σ(2.086159) = 0.889551" in out


def test_two_epochs_are_both_detailed_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_export(capsys, "exercise", "--epochs", "2")
    assert code == 0
    assert "## Epoch 1, batch 1" in out and "## Epoch 2, batch 1" in out
    assert out.count("### Step 2 - Forward pass") == 2
    assert "## Training summary" in out
    assert "| 1 | 0.5932 |" in out  # the tutorial's E after epoch 1 (0.593245)
    # epoch 2 starts from the updated weights: z_h1 = 0.099980·1 + 0.299921·4 + 0.499901·5 + b1
    assert "z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.09998·1 + 0.2999·4 + 0.4999·5 + 0.5 = " in out


def test_long_run_is_summarised(capsys: pytest.CaptureFixture[str]) -> None:
    code, md, _ = run_export(capsys, "xor")
    assert code == 0
    assert "first batch (epoch 1, batch 1) only" in md
    assert md.count("Step 2 - Forward pass") == 1
    summary = md[md.index("## Training summary"):]
    rows = [line for line in summary.splitlines() if re.match(r"\| \d+ \| ", line)]
    assert 2 <= len(rows) <= 30 and rows[0].startswith("| 1 | ") and rows[-1].startswith("| 300 | ")
    assert "The table shows 30 of the 300 epochs" in md
    spark = next(line for line in md.splitlines() if line and set(line) <= set("▁▂▃▄▅▆▇█"))
    assert 10 <= len(spark) <= 60
    code, html_text, _ = run_export(capsys, "xor", "--format", "html")
    points = re.search(r'<polyline [^>]*points="([^"]+)"', html_text).group(1).split()
    assert 10 <= len(points) <= 200
    code, tex, _ = run_export(capsys, "xor", "--format", "latex")
    assert tex.count(r"\circle*") == len(points)


def test_sparkline() -> None:
    assert sparkline([float(k) for k in range(8)]) == "▁▂▃▄▅▆▇█"
    assert sparkline([3.0, 1.0]) == "█▁"
    assert sparkline([1.0, 1.0]) == "▁▁"


# --- escaping -------------------------------------------------------------------------------------------

NASTY = r"Net_1 & <b>bold</b> 100% $5 #1 {x} ~y^2 \z *em* [link](u)"


@pytest.fixture(scope="module")
def nasty_trace(tmp_path_factory: pytest.TempPathFactory) -> bpstep.Trace:
    path = tmp_path_factory.mktemp("nasty") / "nasty.toml"
    path.write_text(f"""
name = '''{NASTY}'''
description = "Tabs → arrows — dashes, ±1, café, “quotes”, t̄ and η"
[network]
inputs = 2
layers = [{{ units = 2, activation = "tanh" }}, {{ units = 1, activation = "sigmoid" }}]
loss = "bce"
[parameters]
W1 = [[0.1, -0.2], [0.3, 0.4]]
b1 = [0.0, 0.1]
W2 = [[0.5], [-0.6]]
b2 = [0.2]
[data]
inputs = [[1, 0], [0, 1]]
targets = [[1], [0]]
[training]
learning_rate = 0.5
epochs = 3
validation_fraction = 0.5
[names]
x_1 = "Z0[0,0]"
"a&b" = "Z2[0,0]"
""", encoding="utf-8")
    return bpstep.trace(bpstep.load(path))


def test_tex_escape_specials() -> None:
    assert tex_escape("_ & % # $ { } ~ ^ \\") == (
        r"\_ \& \% \# \$ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{}")
    assert tex_escape("Z⁽²⁾ = W⁽¹⁾ᵀ Z⁽¹⁾") == (
        r"Z\ensuremath{^{(2)}} = W\ensuremath{^{(1)T}} Z\ensuremath{^{(1)}}")
    assert tex_escape("δᵢⱼ · ∂E/∂w − σ") == (
        r"\ensuremath{\delta}\ensuremath{_{ij}} \ensuremath{\cdot} \ensuremath{\partial}E/"
        r"\ensuremath{\partial}w \ensuremath{-} \ensuremath{\sigma}")
    assert tex_escape("t̄") == r"\={t}"


def test_markdown_escapes(nasty_trace: bpstep.Trace) -> None:
    md = export(nasty_trace, "markdown")
    title = md.splitlines()[0]
    assert title == (r"# Worked solution: Net\_1 \& \<b\>bold\</b\> 100% $5 #1 \{x\} \~y^2 \\z "
                     r"\*em\* \[link\](u)")
    assert "<b>" not in md
    assert "a&b = tanh(Z1[0,0]) = tanh(" in md  # formulas sit in code blocks, verbatim


def test_html_escapes(nasty_trace: bpstep.Trace) -> None:
    page = export(nasty_trace, "html")
    text = check_html(page)
    assert f"Worked solution: {NASTY}" in text  # the text survives, decoded
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "Net_1 &amp; " in page and "<b>" not in page
    assert "a&amp;b = tanh(" in page
    assert "validation score" in text  # the summary table has the validation column


def test_latex_escapes_and_compiles(nasty_trace: bpstep.Trace, tmp_path: Path) -> None:
    tex = export(nasty_trace, "latex")
    check_latex(tex)
    assert (r"\title{Worked solution: Net\_1 \& \ensuremath{<}b\ensuremath{>}bold\ensuremath{<}/b"
            r"\ensuremath{>} 100\% \$5 \#1 \{x\} \textasciitilde{}y\textasciicircum{}2 \textbackslash{}z "
            r"*em* [link](u)}") in tex
    assert r"caf\'e" in tex or "cafe" in tex
    if PDFLATEX is not None:
        compile_latex(tex, tmp_path)


# --- command line -----------------------------------------------------------------------------------------

def test_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_export(capsys, "exercise", "--format", "pdf")
    assert code == 2 and "invalid choice" in err
    code, _, err = run_export(capsys, "exercise", "-o", str(tmp_path / "missing" / "dir" / "x.md"))
    assert code == 2 and "cannot be written" in err and "Traceback" not in err
    code, _, err = run_export(capsys, "nosuch")
    assert code == 2 and "no such file or bundled scenario" in err
    code, _, err = run_export(capsys, "exercise", "--epochs", "0")
    assert code == 2 and "--epochs must be positive" in err


# --- issue 16: typeset mathematics, the drawn network, the handout, the key, the corrections -----------

def test_latex_sets_formulas_as_mathematics() -> None:
    tex = export(bpstep.trace("exercise"), "latex")
    assert r"\usepackage{amsmath}" in tex and r"\begin{align*}" in tex
    # ∂E/∂w7 as a fraction with subscripts, aligned at its = signs
    assert r"\frac{\partial E}{\partial w_{7}} &= \frac{\partial E}{\partial z_{o1}}\cdot h_{1}" in tex
    assert r"&= 0.07757\cdot 0.9866" in tex and r"&= 0.0765" in tex
    assert r"\sigma (z_{h1})" in tex  # σ as a symbol
    assert r"\begin{picture}" in tex and tex.count(r"\circle{20}") == 3 + 2 + 2  # the 3-2-2 network
    assert r"{\scriptsize $0.7$}" in tex  # w7 on its line


def test_the_export_says_which_published_values_it_corrects(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "exercise"]) == 0
    md = capsys.readouterr().out
    corrections = md[md.index("Corrections to the tutorial's worked solution"):md.index("Step 0")]
    # the tutorial's ∂E/∂b1 = 0.0008 is the only one wrong: 0.0024, the sum over both hidden units
    assert "This solution corrects 1 of the 36 values published" in corrections
    assert "dE/db1 | 0.0008 | 0.0024" in corrections


def test_blank_handout_and_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "exercise", "--blank"]) == 0
    blank = capsys.readouterr().out
    assert re.search(r"\| dE/dw7 \| [\\_]+ \| 1 \|", blank) and re.search(r"\| h1 \| [\\_]+ \| 1 \|", blank)
    assert "0.0765" not in blank and "0.9866" not in blank and "Step 2" not in blank  # nothing given away
    assert "Corrections" not in blank
    assert "w1 = 0.1, w2 = 0.2" in blank and "x1 = 1" in blank  # the given values are there
    assert main(["export", "exercise", "--key"]) == 0
    key = capsys.readouterr().out
    assert "| dE/dw7 | 0.0765 | 1 |" in key and "| dE/db1 | 0.0024 | 1 |" in key and "Step 2" in key
    assert main(["export", "exercise", "--blank", "--key"]) == 2
    capsys.readouterr()


@pytest.mark.skipif(PDFLATEX is None, reason="no TeX engine (pdflatex) on PATH")
@pytest.mark.parametrize("mode", ["solution", "blank", "key"])
def test_handout_key_and_solution_compile(mode: str, tmp_path: Path) -> None:
    compile_latex(export(bpstep.trace("exercise"), "latex", mode=mode), tmp_path)
    compile_latex(export(bpstep.trace("xor"), "latex", mode=mode), tmp_path)
