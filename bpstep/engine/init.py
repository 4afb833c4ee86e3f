"""Initial parameter values, drawn in a fixed order (W1, b1, W2, b2, ...)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bpstep.errors import suggest

Random = np.random.Generator | np.random.RandomState


def make_rng(kind: str, seed: int) -> Random:
    """``"sklearn"``: the legacy RandomState stream scikit-learn draws from; else a Generator."""
    if kind == "sklearn":
        return np.random.RandomState(seed)
    return np.random.default_rng(seed)


def _glorot(rng: Random, fan_in: int, fan_out: int, size: tuple[int, ...], factor: float) -> np.ndarray:
    bound = np.sqrt(factor / (fan_in + fan_out))
    return np.asarray(rng.uniform(-bound, bound, size), dtype=np.float64)


InitFn = Callable[..., np.ndarray]

# Each takes (rng, fan_in, fan_out, size, spec, factor) and returns an array of ``size``.
INITIALIZERS: dict[str, InitFn] = {
    "glorot_uniform": lambda rng, fi, fo, size, spec, factor: _glorot(rng, fi, fo, size, factor),
    "normal": lambda rng, fi, fo, size, spec, factor: np.asarray(
        rng.normal(0.0, spec.std, size), dtype=np.float64
    ),
    "uniform": lambda rng, fi, fo, size, spec, factor: np.asarray(
        rng.uniform(spec.low, spec.high, size), dtype=np.float64
    ),
    "zeros": lambda rng, fi, fo, size, spec, factor: np.zeros(size),
}


def get_initializer(name: str) -> InitFn:
    try:
        return INITIALIZERS[name]
    except KeyError:
        raise KeyError(f"unknown init method '{name}' ({suggest(name, INITIALIZERS)})") from None
