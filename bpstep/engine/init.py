"""Initial parameter values, drawn in a fixed order (W1, b1, W2, b2, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from bpstep.errors import suggest

if TYPE_CHECKING:  # numpy.random costs ~15 ms to import: only when a run draws numbers
    from typing import TypeAlias

    Random: TypeAlias = np.random.Generator | np.random.RandomState


def make_rng(kind: str, seed: int) -> Random:
    """``"sklearn"``: the legacy RandomState stream scikit-learn draws from; else a Generator."""
    if kind == "sklearn":
        return np.random.RandomState(seed)
    return np.random.default_rng(seed)


# A random stream's state: ("sklearn", RandomState.get_state()) or ("numpy", bit generator state).
RngState = tuple[str, object]


def rng_state(rng: Random) -> RngState:
    """A snapshot of a stream (far cheaper than deepcopy, which pickles the generator)."""
    if isinstance(rng, np.random.RandomState):
        return ("sklearn", rng.get_state())
    return ("numpy", rng.bit_generator.state)


def rng_from_state(state: RngState) -> Random:
    """A new stream that continues exactly where the snapshot was taken."""
    kind, inner = state
    if kind == "sklearn":
        rs = np.random.RandomState(0)
        rs.set_state(inner)  # type: ignore[arg-type]
        return rs
    g = np.random.default_rng(0)
    g.bit_generator.state = inner
    return g


def _glorot(rng: Random, fan_in: int, fan_out: int, size: tuple[int, ...], factor: float) -> np.ndarray:
    bound = np.sqrt(factor / (fan_in + fan_out))
    return np.asarray(rng.uniform(-bound, bound, size), dtype=np.float64)


InitFn = Callable[..., "np.ndarray"]

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
