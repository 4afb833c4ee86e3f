"""Frozen dataclasses describing a scenario, as read from a TOML file.

Arrays held here are read-only float64 numpy arrays; nothing downstream may change them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer: ``units`` outputs followed by an element-wise ``activation``."""

    units: int
    activation: str = "identity"
    shared_bias: bool = False  # one bias for the whole layer (the exercise's b1, b2)


@dataclass(frozen=True)
class NetworkSpec:
    inputs: int
    layers: tuple[LayerSpec, ...]
    loss: str = "half_sse"
    kind: str = "mlp"  # "mlp" or "perceptron"


@dataclass(frozen=True)
class InitSpec:
    method: str = "glorot_uniform"
    seed: int = 0
    # "numpy": np.random.default_rng(seed); "sklearn": the legacy RandomState stream in
    # scikit-learn's order (weights, then the validation split, then each epoch's shuffle).
    rng: str = "numpy"
    std: float = 0.1  # for method = "normal"
    low: float = -0.5  # for method = "uniform"
    high: float = 0.5


@dataclass(frozen=True)
class DataSpec:
    """Training data after loading, splitting and scaling.

    ``inputs``/``targets`` are what training sees; ``test_inputs``/``test_targets`` are held
    out and scored at the end of the run (empty when there is no test split).
    """

    inputs: np.ndarray  # samples × inputs
    targets: np.ndarray  # samples × outputs
    test_inputs: np.ndarray | None = None
    test_targets: np.ndarray | None = None
    input_columns: tuple[str, ...] = ()
    target_columns: tuple[str, ...] = ()
    csv: Path | None = None
    test_fraction: float = 0.0
    split_seed: int = 0
    standardize: bool = False
    scale_mean: np.ndarray | None = None
    scale_std: np.ndarray | None = None


@dataclass(frozen=True)
class TrainingSpec:
    learning_rate: float = 0.01
    epochs: int = 1
    batch_size: int | None = None  # None: every sample in one batch
    shuffle: bool = False
    seed: int = 0  # shuffle seed (rng = "numpy")
    optimizer: str = "sgd"
    momentum: float = 0.0
    nesterov: bool = False
    l2: float = 0.0
    frozen: tuple[str, ...] = ()
    validation_fraction: float = 0.0
    early_stopping: bool = False
    patience: int | None = None  # scikit-learn's n_iter_no_change
    tol: float = 1e-4


@dataclass(frozen=True)
class Expectation:
    """One ``[expect]`` entry: the value ``name`` denotes at ``epoch``/``batch`` should be ``text``.

    ``name`` is a trace name with an optional element (``E``, ``Z2[0,1]``) or a display name
    (``h1``, ``dE/dw7``). ``text`` is the number as written in the file: its decimals set the
    precision (``0.0020`` is right within 0.0001), as for answer checking.
    """

    name: str
    text: str
    epoch: int = 1
    batch: int = 1
    key: str = ""  # the dotted key path in the file, for messages


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    network: NetworkSpec
    data: DataSpec
    training: TrainingSpec
    init: InitSpec = InitSpec()
    parameters: dict[str, np.ndarray] = field(default_factory=dict)  # explicit initial values
    names: dict[str, str] = field(default_factory=dict)  # display name -> reference "Z2[0,0]"
    expect: tuple[Expectation, ...] = ()  # the [expect] table, in file order
    source: str = "<string>"  # the file it came from, for messages

    @property
    def outputs(self) -> int:
        return self.network.layers[-1].units if self.network.layers else self.network.inputs
