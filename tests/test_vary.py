"""``bpstep vary``: deterministic by seed, healthy gradients, and an answer key that checks right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bpstep
from bpstep.cli import main
from bpstep.scenario import bundled_dir
from bpstep.variants import vary_text

EXERCISE = (bundled_dir() / "exercise.toml").read_text(encoding="utf-8")


def sig(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def reference(scenario: bpstep.Scenario) -> dict[str, np.ndarray]:
    """The variant's forward and backward pass in plain numpy, from its own numbers."""
    p = scenario.parameters
    W1, b1, W2, b2 = (np.array(p[k], dtype=float) for k in ("W1", "b1", "W2", "b2"))
    x, t = np.array(scenario.data.x, dtype=float), np.array(scenario.data.y, dtype=float)
    h = sig(x @ W1 + b1)
    o = sig(h @ W2 + b2)
    d_zo = (o - t) * o * (1 - o)
    d_zh = (d_zo @ W2.T) * h * (1 - h)
    return {"Z2": h, "Z4": o, "dE/dW1": x.T @ d_zh, "dE/dW2": h.T @ d_zo, "dE/db1": np.array(d_zh.sum())}


def test_deterministic_by_seed() -> None:
    assert vary_text(EXERCISE, 17) == vary_text(EXERCISE, 17)
    assert vary_text(EXERCISE, 17) != vary_text(EXERCISE, 18)
    assert "variant = 17" in vary_text(EXERCISE, 17)


@pytest.mark.parametrize("seed", range(20))
def test_every_variant_is_healthy_and_nice(seed: int) -> None:
    scenario = bpstep.loads(vary_text(EXERCISE, seed))
    assert scenario.grading is not None and scenario.grading.variant == seed
    for name in ("W1", "W2"):
        w = np.array(scenario.parameters[name])
        assert np.allclose(w * 10, np.round(w * 10)) and np.all(np.abs(w) <= 0.9) and np.all(w != 0)
    ref = reference(scenario)
    h, o = ref["Z2"], ref["Z4"]
    assert np.all(h * (1 - h) >= 0.05) and np.all(o * (1 - o) >= 0.05)  # no saturated unit
    for name in ("dE/dW1", "dE/dW2"):
        g = np.abs(ref[name])
        assert g.min() >= 1e-3 and g.max() <= 10, (seed, name)
    trace = bpstep.trace(scenario)
    for name in ("Z4", "dE/dW1", "dE/dW2", "dE/db1"):
        np.testing.assert_allclose(trace.value(name), ref[name], rtol=1e-12, atol=1e-15)


def test_a_key_checks_all_right_against_its_variant(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "exercise.toml"
    base.write_text(EXERCISE, encoding="utf-8")
    assert main(["vary", str(base), "--seed", "7", "-o", str(tmp_path / "v7.toml")]) == 0
    scenario = bpstep.load(tmp_path / "v7.toml")
    ref = reference(scenario)
    key = ["variant = 7"]
    key += [f'h{j + 1} = {ref["Z2"][0, j]:.4f}' for j in range(2)]
    key += [f'o{j + 1} = {ref["Z4"][0, j]:.4f}' for j in range(2)]
    key += [f'"dE/dw{n + 1}" = {v:.6f}' for n, v in enumerate(ref["dE/dW1"].ravel())]
    key += [f'"dE/db1" = {float(ref["dE/db1"]):.6f}']
    answers = tmp_path / "key.toml"
    answers.write_text("\n".join(key) + "\n", encoding="utf-8")
    # graded against variant 7, whether given the base scenario or the variant's file
    assert main(["check", str(base), str(answers)]) == 0, capsys.readouterr()
    assert main(["check", str(tmp_path / "v7.toml"), str(answers)]) == 0
    # the same key is wrong for another variant and for the base
    other = answers.read_text(encoding="utf-8").replace("variant = 7", "variant = 8")
    answers.write_text(other, encoding="utf-8")
    assert main(["check", str(base), str(answers)]) == 1
    capsys.readouterr()


def test_vary_needs_inline_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vary", "perceptron-and", "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "bpstep vary needs" in err and "Traceback" not in err
