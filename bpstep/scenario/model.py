"""Frozen dataclasses describing a scenario, as read from a TOML file.

Numbers are held as read (floats and tuples of floats): checking a scenario needs no numpy, so
the debugger can open its first frame before importing it (``DataSpec.arrays`` imports it). The
data's arrays (after the split and scaling) are built on first use, read-only float64; nothing
downstream may change them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np

    from bpstep.scenario.expr import GraphSpec
    from bpstep.scenario.grading_table import GradingSpec

Vector: TypeAlias = "tuple[float, ...]"
Matrix: TypeAlias = "tuple[tuple[float, ...], ...]"
# An explicit initial value: a matrix (W), a vector (b, or the perceptron's w), or one number
# (a bias shared by its layer).
ParameterValue: TypeAlias = "float | Vector | Matrix"


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


class DataArrays(NamedTuple):
    inputs: np.ndarray
    targets: np.ndarray
    test_inputs: np.ndarray | None
    test_targets: np.ndarray | None
    scale_mean: np.ndarray | None
    scale_std: np.ndarray | None


@dataclass(frozen=True)
class DataSpec:
    """The data as read (``x``, ``y``: every sample, in file order), and how it is split and
    scaled.

    ``inputs``/``targets`` are what training sees; ``test_inputs``/``test_targets`` are held
    out and scored at the end of the run (None when there is no test split). These arrays are
    computed on first use; ``samples`` and ``test_samples`` count them without computing them.
    """

    x: Matrix  # samples × inputs
    y: Matrix  # samples × outputs
    input_columns: tuple[str, ...] = ()
    target_columns: tuple[str, ...] = ()
    csv: Path | None = None
    npz: Path | None = None  # ``[data] npz``: the arrays' file
    test_fraction: float = 0.0
    split_seed: int = 0
    split_rng: str = "numpy"  # the random stream of the split: init.rng
    standardize: bool = False
    # The class names, in the order of the output units (``[data] classes``): the targets are
    # then one-hot rows (or, for two classes and one output unit, the 0/1 column).
    classes: tuple[str, ...] = ()

    @property
    def test_samples(self) -> int:
        # scikit-learn's train_test_split: the first ceil(f·n) of a permutation are the test set.
        return math.ceil(self.test_fraction * len(self.x)) if self.test_fraction > 0 else 0

    @property
    def samples(self) -> int:
        """Training samples (those not held out for the test)."""
        return len(self.x) - self.test_samples

    @cached_property
    def arrays(self) -> DataArrays:
        import numpy as np  # here, not at the top: reading and checking a scenario needs no numpy

        # A large file's data is already a read-only array (csv_reader, npz): used, not copied.
        x = np.asarray(self.x, dtype=np.float64)
        y = np.asarray(self.y, dtype=np.float64)
        xt = yt = None
        if self.test_samples:
            rng = (np.random.RandomState(self.split_seed) if self.split_rng == "sklearn"
                   else np.random.default_rng(self.split_seed))
            perm = rng.permutation(len(self.x))
            test, train = perm[: self.test_samples], perm[self.test_samples :]
            x, y, xt, yt = x[train], y[train], x[test], y[test]
        mean = std = None
        if self.standardize:
            mean = x.mean(axis=0)
            std = x.std(axis=0)
            std = np.where(std == 0, 1.0, std)  # a constant column is left unscaled
            x = (x - mean) / std
            if xt is not None:
                xt = (xt - mean) / std
        return DataArrays(*(None if a is None else _readonly(np.ascontiguousarray(a))
                            for a in (x, y, xt, yt, mean, std)))

    @property
    def inputs(self) -> np.ndarray:
        return self.arrays.inputs

    @property
    def targets(self) -> np.ndarray:
        return self.arrays.targets

    @property
    def test_inputs(self) -> np.ndarray | None:
        return self.arrays.test_inputs

    @property
    def test_targets(self) -> np.ndarray | None:
        return self.arrays.test_targets

    @property
    def scale_mean(self) -> np.ndarray | None:
        return self.arrays.scale_mean

    @property
    def scale_std(self) -> np.ndarray | None:
        return self.arrays.scale_std


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class TrainingSpec:
    learning_rate: float = 0.01
    epochs: int = 1
    batch_size: int | None = None  # None: every sample in one batch
    shuffle: bool = False
    seed: int = 0  # shuffle seed (rng = "numpy")
    optimizer: str = "sgd"  # "sgd", "adam" or "rmsprop"
    beta1: float = 0.9  # Adam (scikit-learn's beta_1, beta_2, epsilon)
    beta2: float = 0.999
    epsilon: float = 1e-8  # Adam and RMSProp
    rho: float = 0.9  # RMSProp
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
    """A network scenario (``network`` set, ``graph`` None) or a computational graph (``graph``
    set, ``network`` None: code that needs a network must check). For a graph, ``data.x`` holds
    the ``[data]`` columns as rows (``data.input_columns`` names them; one empty row without
    ``[data]``), ``data.y`` one empty row per sample; ``training`` gives η and the epochs, used
    when the graph has parameters."""

    name: str
    description: str
    network: NetworkSpec | None
    data: DataSpec
    training: TrainingSpec
    init: InitSpec = InitSpec()
    parameters: dict[str, ParameterValue] = field(default_factory=dict)  # explicit initial values
    names: dict[str, str] = field(default_factory=dict)  # display name -> reference "Z2[0,0]"
    expect: tuple[Expectation, ...] = ()  # the [expect] table, in file order
    source: str = "<string>"  # the file it came from, for messages
    graph: GraphSpec | None = None  # a computational graph ([graph]) instead of a network
    grading: GradingSpec | None = None  # the [grading] table (bpstep/scenario/grading_table.py)

    @property
    def outputs(self) -> int:
        if self.network is None:  # a graph: one output node
            return 1
        return self.network.layers[-1].units if self.network.layers else self.network.inputs

    @property
    def trains(self) -> bool:
        """Whether the run updates parameters: a network always; a graph when it has any."""
        return self.graph is None or bool(self.graph.parameters)

    @property
    def training_samples(self) -> int:
        """The samples training steps through: the data's, less the test and validation splits."""
        n = self.data.samples
        return n - math.ceil(self.training.validation_fraction * n)

    @property
    def batch_size(self) -> int:
        """The rows of a (full) batch: the runner clips a batch_size beyond the samples."""
        n = self.training_samples
        return max(1, min(self.training.batch_size or n, n))

    @property
    def batches(self) -> int:
        """Batches per epoch; 0 (not known yet) while a deferred file is not read (the debugger
        before its first frame: ``bpstep.scenario.deferred``)."""
        from bpstep.scenario.deferred import pending

        if pending(self.data.x):
            return 0
        return max(1, math.ceil(self.training_samples / self.batch_size))
