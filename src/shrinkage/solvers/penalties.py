"""Penalties: value, proximal operator, distance to the subdifferential, ``alpha_max``.

Separable penalties are all of the form

.. math:: g(w) = \\sum_j a_j |w_j| + \\tfrac{b_j}{2} w_j^2,

so the numba kernels only need the two arrays ``(a, b)`` returned by :meth:`l1_l2`, and the
scalar prox is
:math:`\\operatorname{prox}_{s g_j}(z) = \\operatorname{ST}(z, s a_j) / (1 + s b_j)`.

Group penalties act on blocks of coordinates: :class:`GroupLasso` (one label per column) and
:class:`L21` (rows of a ``p x k`` coefficient matrix, as in scikit-learn's ``MultiTaskLasso``).
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_vector, check_nonnegative

__all__ = ["L1", "L2", "L21", "ElasticNet", "GroupLasso", "WeightedL1"]


def soft_threshold(z: np.ndarray | float, threshold: np.ndarray | float) -> np.ndarray:
    """Soft-thresholding :math:`\\operatorname{sign}(z) \\max(|z| - t, 0)`."""
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


class SeparablePenalty:
    """Base class: :math:`g(w) = \\sum_j a_j |w_j| + (b_j/2) w_j^2` with ``(a, b) = l1_l2(p)``."""

    alpha: float
    separable = True

    def l1_l2(self, p: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_dims(self, p: int) -> None:
        """Raise ``ValueError`` if the penalty cannot apply to ``p`` coefficients."""
        self.l1_l2(p)

    def value(self, w: np.ndarray) -> float:
        """Penalty value :math:`\\sum_j a_j |w_j| + (b_j/2) w_j^2`."""
        a, b = self.l1_l2(w.shape[0])
        return float(a @ np.abs(w) + 0.5 * (b @ (w * w)))

    def prox_1d(self, z: float, step: float, j: int) -> float:
        """Scalar prox of ``step * g_j`` at ``z``: soft-threshold, then shrink."""
        a, b = self._coef(j)
        return float(soft_threshold(z, step * a) / (1.0 + step * b))

    def prox(self, w: np.ndarray, step: float) -> np.ndarray:
        """Vector prox :math:`\\arg\\min_u \\tfrac{1}{2s}\\|u - w\\|^2 + g(u)`."""
        a, b = self.l1_l2(w.shape[0])
        return soft_threshold(w, step * a) / (1.0 + step * b)

    def subdiff_distance(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Per-coordinate distance of ``-grad`` to :math:`\\partial g(w)` (0 at a solution)."""
        a, b = self.l1_l2(w.shape[0])
        nz = w != 0
        out = np.maximum(np.abs(grad) - a, 0.0)
        out[nz] = np.abs(grad[nz] + a[nz] * np.sign(w[nz]) + b[nz] * w[nz])
        return out

    def alpha_max(self, grad0: np.ndarray) -> float:
        """Smallest ``alpha`` for which ``w = 0`` is optimal, given the datafit gradient at 0."""
        a, _ = self.with_alpha(1.0).l1_l2(grad0.shape[0])
        pen = a > 0
        if not pen.any():
            return np.inf
        return float(np.max(np.abs(grad0[pen]) / a[pen]))

    def with_alpha(self, alpha: float) -> SeparablePenalty:  # pragma: no cover - abstract
        raise NotImplementedError

    def _coef(self, j: int) -> tuple[float, float]:
        a, b = self.l1_l2(j + 1)
        return float(a[j]), float(b[j])


class L1(SeparablePenalty):
    """Lasso penalty :math:`\\alpha \\|w\\|_1`."""

    def __init__(self, alpha: float):
        self.alpha = check_nonnegative(alpha, "alpha")

    def l1_l2(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full(p, self.alpha), np.zeros(p)

    def with_alpha(self, alpha: float) -> L1:
        return L1(alpha)

    def __repr__(self) -> str:
        return f"L1(alpha={self.alpha:g})"


class L2(SeparablePenalty):
    """Ridge penalty :math:`(\\alpha/2) \\|w\\|_2^2` (scikit-learn ``Ridge(alpha * n)``)."""

    def __init__(self, alpha: float):
        self.alpha = check_nonnegative(alpha, "alpha")

    def l1_l2(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(p), np.full(p, self.alpha)

    def alpha_max(self, grad0: np.ndarray) -> float:
        """Ridge never gives ``w = 0`` exactly: ``alpha_max`` is infinite."""
        return np.inf

    def with_alpha(self, alpha: float) -> L2:
        return L2(alpha)

    def __repr__(self) -> str:
        return f"L2(alpha={self.alpha:g})"


class ElasticNet(SeparablePenalty):
    """Elastic net :math:`\\alpha(\\rho \\|w\\|_1 + \\tfrac{1-\\rho}{2}\\|w\\|_2^2)`,

    ``rho = l1_ratio``; same parametrization as scikit-learn's ``ElasticNet(alpha, l1_ratio)``.
    """

    def __init__(self, alpha: float, l1_ratio: float = 0.5):
        self.alpha = check_nonnegative(alpha, "alpha")
        l1_ratio = check_nonnegative(l1_ratio, "l1_ratio")
        if l1_ratio > 1:
            raise ValueError(f"l1_ratio must lie in [0, 1]; got {l1_ratio}")
        self.l1_ratio = l1_ratio

    def l1_l2(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.full(p, self.alpha * self.l1_ratio),
            np.full(p, self.alpha * (1.0 - self.l1_ratio)),
        )

    def with_alpha(self, alpha: float) -> ElasticNet:
        return ElasticNet(alpha, self.l1_ratio)

    def __repr__(self) -> str:
        return f"ElasticNet(alpha={self.alpha:g}, l1_ratio={self.l1_ratio:g})"


class WeightedL1(SeparablePenalty):
    """Weighted lasso :math:`\\alpha \\sum_j v_j |w_j|` (glmnet's ``penalty.factor``).

    A weight of 0 leaves the coefficient unpenalized.
    """

    def __init__(self, alpha: float, weights):
        self.alpha = check_nonnegative(alpha, "alpha")
        weights = as_float_vector(weights, "weights")
        if np.any(weights < 0):
            raise ValueError("weights must be >= 0 (0 = unpenalized)")
        self.weights = weights

    def l1_l2(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        if self.weights.shape[0] != p:
            raise ValueError(
                f"weights has length {self.weights.shape[0]} but there are {p} features"
            )
        return self.alpha * self.weights, np.zeros(p)

    def with_alpha(self, alpha: float) -> WeightedL1:
        return WeightedL1(alpha, self.weights)

    def _coef(self, j: int) -> tuple[float, float]:
        return float(self.alpha * self.weights[j]), 0.0

    def __repr__(self) -> str:
        return f"WeightedL1(alpha={self.alpha:g}, weights=<{self.weights.shape[0]}>)"


def _block_prox(v: np.ndarray, threshold: float) -> np.ndarray:
    """Block soft-thresholding: :math:`v \\max(1 - t/\\|v\\|, 0)`; zero iff ``||v|| <= t``."""
    norm = float(np.linalg.norm(v))
    if norm <= threshold:
        return np.zeros_like(v)
    return v * (1.0 - threshold / norm)


class GroupLasso:
    """Group lasso :math:`\\alpha \\sum_g v_g \\|w_g\\|_2`, default :math:`v_g = \\sqrt{|g|}`.

    Parameters
    ----------
    alpha : float
        Regularization strength (>= 0).
    groups : array of int, length p
        Group label of each column; labels are arbitrary integers, groups may have any size.
    weights : array of length n_groups (ordered as ``np.unique(groups)``) or dict label -> weight
        Group weights ``v_g >= 0`` (0 = unpenalized group).
    """

    separable = False

    def __init__(self, alpha: float, groups, weights=None):
        self.alpha = check_nonnegative(alpha, "alpha")
        labels = np.asarray(groups)
        if labels.ndim != 1 or labels.size == 0:
            raise ValueError(
                f"groups must be a non-empty 1-D array of labels; got shape {labels.shape}"
            )
        if not np.issubdtype(labels.dtype, np.integer):
            if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
                labels = labels.astype(np.int64)
            else:
                raise TypeError(f"groups must hold integer labels; got dtype {labels.dtype}")
        self.groups = labels
        self.labels, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
        # columns sorted by group: group g owns order[ptr[g]:ptr[g+1]]
        self.order = np.argsort(inverse, kind="stable").astype(np.int64)
        self.ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.weights = self._group_weights(weights, sizes)

    def _group_weights(self, weights, sizes: np.ndarray) -> np.ndarray:
        if weights is None:
            return np.sqrt(sizes.astype(np.float64))
        if isinstance(weights, dict):
            unknown = set(weights) - set(self.labels.tolist())
            if unknown:
                raise ValueError(f"weights name unknown group labels: {sorted(unknown)}")
            missing = set(self.labels.tolist()) - set(weights)
            if missing:
                raise ValueError(f"weights miss group labels: {sorted(missing)}")
            weights = [weights[g] for g in self.labels.tolist()]
        weights = as_float_vector(weights, "weights")
        if weights.shape[0] != self.labels.shape[0]:
            raise ValueError(
                f"weights has length {weights.shape[0]} "
                f"but there are {self.labels.shape[0]} groups"
            )
        if np.any(weights < 0):
            raise ValueError("group weights must be >= 0 (0 = unpenalized)")
        return weights

    @property
    def n_groups(self) -> int:
        return int(self.labels.shape[0])

    def check_dims(self, p: int) -> None:
        """Raise ``ValueError`` unless there is one group label per feature."""
        if self.groups.shape[0] != p:
            raise ValueError(
                f"groups has length {self.groups.shape[0]} but there are {p} features"
            )

    def blocks(self):
        """Yield ``(g, column indices)`` for each group."""
        for g in range(self.n_groups):
            yield g, self.order[self.ptr[g] : self.ptr[g + 1]]

    def value(self, w: np.ndarray) -> float:
        """:math:`\\alpha \\sum_g v_g \\|w_g\\|_2`."""
        norms = np.sqrt(np.add.reduceat(w[self.order] ** 2, self.ptr[:-1]))
        return float(self.alpha * (self.weights @ norms))

    def prox_block(self, v: np.ndarray, step: float, g: int) -> np.ndarray:
        """Prox of ``step * alpha * v_g ||.||`` at ``v``: zero iff ``||v|| <= step alpha v_g``."""
        return _block_prox(v, step * self.alpha * self.weights[g])

    def prox(self, w: np.ndarray, step: float) -> np.ndarray:
        """Vector prox: block soft-thresholding of every group."""
        out = np.empty_like(w)
        for g, idx in self.blocks():
            out[idx] = self.prox_block(w[idx], step, g)
        return out

    def subdiff_distance(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Per-group distance of ``-grad_g`` to the subdifferential of the group term."""
        out = np.empty(self.n_groups)
        for g, idx in self.blocks():
            t = self.alpha * self.weights[g]
            norm = np.linalg.norm(w[idx])
            if norm == 0:
                out[g] = max(np.linalg.norm(grad[idx]) - t, 0.0)
            else:
                out[g] = np.linalg.norm(grad[idx] + t * w[idx] / norm)
        return out

    def alpha_max(self, grad0: np.ndarray) -> float:
        """:math:`\\max_g \\|\\nabla_g\\|_2 / v_g` over penalized groups."""
        vals = [
            np.linalg.norm(grad0[idx]) / self.weights[g]
            for g, idx in self.blocks()
            if self.weights[g] > 0
        ]
        return float(max(vals)) if vals else np.inf

    def with_alpha(self, alpha: float) -> GroupLasso:
        new = object.__new__(GroupLasso)
        new.__dict__.update(self.__dict__)
        new.alpha = check_nonnegative(alpha, "alpha")
        return new

    def __repr__(self) -> str:
        return f"GroupLasso(alpha={self.alpha:g}, n_groups={self.n_groups})"


class L21:
    """Row-sparse penalty :math:`\\alpha \\sum_j \\|W_{j\\cdot}\\|_2` on a ``p x k`` matrix ``W``.

    With :class:`~shrinkage.solvers.MultiTaskQuadratic` this is scikit-learn's ``MultiTaskLasso``.
    """

    separable = False

    def __init__(self, alpha: float):
        self.alpha = check_nonnegative(alpha, "alpha")

    def check_dims(self, p: int) -> None:
        return None

    def value(self, W: np.ndarray) -> float:
        """:math:`\\alpha \\sum_j \\|W_j\\|_2`."""
        return float(self.alpha * np.linalg.norm(W, axis=1).sum())

    def prox(self, W: np.ndarray, step: float) -> np.ndarray:
        """Row-wise block soft-thresholding."""
        norms = np.linalg.norm(W, axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(norms > step * self.alpha, 1.0 - step * self.alpha / norms, 0.0)
        return W * scale

    def subdiff_distance(self, W: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Per-row distance of ``-grad_j`` to the subdifferential."""
        norms = np.linalg.norm(W, axis=1)
        out = np.maximum(np.linalg.norm(grad, axis=1) - self.alpha, 0.0)
        nz = norms > 0
        out[nz] = np.linalg.norm(grad[nz] + self.alpha * W[nz] / norms[nz, None], axis=1)
        return out

    def alpha_max(self, grad0: np.ndarray) -> float:
        """:math:`\\max_j \\|\\nabla_j\\|_2` (rows of the gradient at 0)."""
        return float(np.linalg.norm(grad0, axis=1).max())

    def with_alpha(self, alpha: float) -> L21:
        return L21(alpha)

    def __repr__(self) -> str:
        return f"L21(alpha={self.alpha:g})"
