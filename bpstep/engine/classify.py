"""Classification beside the runner (bpstep/engine/network.py): accuracy over one or several
classes, scikit-learn's stratified validation split (MLPClassifier stratifies a binary problem's
early-stopping split), and the softmax's backward step with its Jacobian and the fused route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bpstep.catalog import LOG_EPS
from bpstep.engine.layers import jacobian_product

if TYPE_CHECKING:  # numpy is imported where it is used: this module stays off the first frame's
    import numpy as np  # list of modules that import numpy at load (tests/test_startup.py)

    from bpstep.engine.init import Random


def accuracy(t: np.ndarray, o: np.ndarray) -> float:
    """The share of samples classified right: one output is thresholded at 0.5 (scikit-learn's
    LabelBinarizer: o > 0.5 is the positive class); several are the arg max of each row."""
    import numpy as np

    if t.ndim == 2 and t.shape[1] > 1:
        return float(np.mean(np.argmax(o, axis=1) == np.argmax(t, axis=1)))
    return float(np.mean((o > 0.5) == (t > 0.5)))


def _approximate_mode(counts: np.ndarray, draws: int, rng: Random) -> np.ndarray:
    """scikit-learn's ``sklearn.utils.extmath._approximate_mode``, draw for draw: how many of
    ``draws`` come from each class, ties among the remainders broken by ``rng``."""
    import numpy as np

    continuous = counts / counts.sum() * draws
    floored = np.floor(continuous)
    need = int(draws - floored.sum())
    if need > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need)
            inds = rng.choice(inds, size=add_now, replace=False)
            floored[inds] += 1
            need -= add_now
            if need == 0:
                break
    return floored.astype(int)


def can_stratify(t: np.ndarray, n_test: int) -> bool:
    """Whether scikit-learn would stratify (and could): one target column of class labels, each
    class with two or more samples, and room for every class on both sides. Where it could not,
    scikit-learn refuses the fit; bpstep then splits without stratifying."""
    import numpy as np

    if t.shape[1] != 1:
        return False
    _, counts = np.unique(t[:, 0], return_counts=True)
    return bool(counts.min() >= 2 and len(t) - n_test >= len(counts) and n_test >= len(counts))


def stratified_split(rng: Random, labels: np.ndarray, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices as scikit-learn's ``StratifiedShuffleSplit`` draws them from ``rng``
    (``train_test_split(..., stratify=y)``): each class keeps its share in both parts."""
    import numpy as np

    n = len(labels)
    _, y_idx, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.min() < 2 or n - n_test < len(counts) or n_test < len(counts):
        raise ValueError("too few samples of a class for a stratified validation split")
    class_indices = np.split(np.argsort(y_idx, kind="stable"), np.cumsum(counts)[:-1])
    n_i = _approximate_mode(counts, n - n_test, rng)
    t_i = _approximate_mode(counts - n_i, n_test, rng)
    train: list[int] = []
    test: list[int] = []
    for i in range(len(counts)):
        perm = class_indices[i].take(rng.permutation(counts[i]), mode="clip")
        train.extend(perm[: n_i[i]])
        test.extend(perm[n_i[i] : n_i[i] + t_i[i]])
    return rng.permutation(train), rng.permutation(test)


def softmax_backward(o: np.ndarray, t: np.ndarray, delta: np.ndarray,
                     cross_entropy: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """δ into the softmax's input by the Jacobian route (δ J per sample), the Jacobians, and
    with cross-entropy the fused route (o − t)/N computed on its own from o and t.

    The two routes are checked equal wherever they must be: rows whose targets sum to 1 and
    whose outputs were not clipped inside the log (there the loss is flat in o, its gradient 0).
    """
    import numpy as np

    jac = o[:, :, None] * (np.eye(o.shape[1]) - o[:, None, :])  # J = diag(o) − o oᵀ
    d_in = jacobian_product(delta, jac)
    if not cross_entropy:
        return d_in, jac, None
    fused = (o - t) / o.shape[0]
    rows = (np.abs(t.sum(axis=1) - 1) <= 1e-12) & np.all((o >= LOG_EPS) & (o <= 1 - LOG_EPS), axis=1)
    gap = np.abs(d_in[rows] - fused[rows])
    # Both are sums of a few terms of size ≤ 1/N: they agree to a few ulps of 1/N.
    if gap.size and gap.max() > 1e-12 / o.shape[0]:
        raise ArithmeticError(f"bpstep bug: the softmax's Jacobian route and the fused route "
                              f"(o − t)/N differ by {gap.max():.3g}")
    return d_in, jac, fused
