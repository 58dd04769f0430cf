"""Datafits: averages over rows of a loss of the linear predictor ``eta = X w + c``.

Each datafit :math:`F(\\eta) = \\frac1n \\sum_i f(y_i, \\eta_i)` states, once, what every solver
needs: its value, its derivative in ``eta`` (:meth:`~Datafit.raw_grad`, which includes the
``1/n``) and the gradient ``X^T raw_grad``, curvature bounds (Lipschitz constants of the
gradient, per coordinate for CD and BCD, global for FISTA), the intercept at ``w = 0`` (the start
of a path) and, where it exists, the conjugate needed for a duality gap: for ``theta`` in the
dual, ``dual_value(y, theta) = -F^*(-theta)``, and the canonical dual point is
``theta = -raw_grad`` (the residual, scaled). The arithmetic itself lives in
:mod:`._kernels_datafit`, which the numba kernels call too, so there is one implementation.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_vector, check_binary, check_count, check_finite
from . import _kernels_datafit as KD

__all__ = ["Logistic", "MultiTaskQuadratic", "Poisson", "Quadratic"]


def _flat(a: np.ndarray) -> np.ndarray:
    # the kernels take 1-D C-ordered float arrays (one compiled specialization)
    return np.ascontiguousarray(a, dtype=np.float64).reshape(-1)


class Datafit:
    """Base class: :math:`F(\\eta) = \\frac1n\\sum_i f(y_i, \\eta_i)` with ``f`` set by ``kind``.

    Attributes
    ----------
    kind : int
        Code of ``f`` in the numba kernels (:mod:`._kernels_datafit`).
    has_gap : bool
        The conjugate of ``F`` is available, so certificates can be duality gaps.
    curvature : float
        :math:`\\sup f''` (``inf`` when unbounded): the Lipschitz constants are
        ``curvature * ||X_j||^2 / n`` (per coordinate) and ``curvature * ||X||_2^2 / n``.
    intercept_by_centring : bool
        The optimal intercept is ``mean(y) - mean(X) w`` (least squares), so solvers centre
        ``X`` and ``y`` instead of updating an intercept coordinate.
    """

    kind: int
    has_gap: bool
    intercept_by_centring = False

    @property
    def curvature(self) -> float:
        return KD.CURVATURE[self.kind]

    def validate_y(self, y) -> np.ndarray:
        """``y`` as a finite float vector, checked for the datafit's support."""
        y = as_float_vector(y, "y")
        self._check_support(y, "y")
        return y

    @staticmethod
    def _check_support(y: np.ndarray, name: str) -> None:
        return None

    def value(self, y: np.ndarray, Xw: np.ndarray) -> float:
        """:math:`F(Xw)`."""
        return float(KD.value(self.kind, _flat(y), _flat(Xw), y.shape[0]))

    def raw_grad(self, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        """:math:`\\partial F / \\partial \\eta = f'(y, \\eta) / n`, shaped as ``y``."""
        return self._derivatives(y, Xw)[0]

    def raw_hessian(self, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        """Diagonal of :math:`\\partial^2 F / \\partial \\eta^2`: :math:`f''(y, \\eta) / n`."""
        return self._derivatives(y, Xw)[1]

    def _derivatives(self, y, Xw):
        g = np.empty(y.size)
        h = np.empty(y.size)
        KD.derivatives(self.kind, _flat(y), _flat(Xw), y.shape[0], g, h)
        return g.reshape(y.shape), h.reshape(y.shape)

    def gradient(self, X: np.ndarray, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        """:math:`\\nabla_w F = X^T f'(y, Xw) / n`."""
        return X.T @ self.raw_grad(y, Xw)

    def lipschitz(self, X: np.ndarray) -> np.ndarray:
        """Per-coordinate constants :math:`\\sup f'' \\, \\|X_j\\|^2 / n` (CD, BCD)."""
        return self.curvature * np.einsum("ij,ij->j", X, X) / X.shape[0]

    def global_lipschitz(self, X: np.ndarray) -> float:
        """:math:`\\sup f'' \\, \\|X\\|_2^2 / n` (spectral norm; FISTA, and BCD per block)."""
        return float(self.curvature * np.linalg.norm(X, 2) ** 2 / X.shape[0])

    def dual_value(self, y: np.ndarray, theta: np.ndarray) -> float:
        """:math:`-F^*(-\\theta)` (only when :attr:`has_gap`)."""
        if not self.has_gap:
            raise NotImplementedError(f"{self!r} has no conjugate: certify with KKT instead")
        return float(KD.dual_value(self.kind, _flat(y), _flat(theta), y.shape[0]))

    def intercept_at_zero(self, y: np.ndarray) -> float:
        """The intercept minimizing :math:`F(c)` at ``w = 0``: the link of ``mean(y)``."""
        return float(y.mean())

    def deviance(self, y: np.ndarray, Xw: np.ndarray) -> float:
        """Mean deviance ``2 F`` (the CV loss)."""
        return 2.0 * self.value(y, Xw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Quadratic(Datafit):
    """Least squares :math:`F(\\eta) = \\frac{1}{2n}\\|y - \\eta\\|_2^2`.

    Conjugate: :math:`-F^*(-\\theta) = \\langle \\theta, y\\rangle - \\frac{n}{2}\\|\\theta\\|^2`,
    maximized over the dual feasible set at :math:`\\theta = (y - \\eta)/n`. The deviance is the
    mean squared error.
    """

    kind = KD.LEAST_SQUARES
    has_gap = True
    intercept_by_centring = True


class Logistic(Datafit):
    """Logistic log-loss, ``y`` in {0, 1}:
    :math:`F(\\eta) = \\frac1n \\sum_i \\log(1 + e^{\\eta_i}) - y_i \\eta_i`.

    Conjugate: with :math:`q_i = y_i - n\\theta_i \\in [0, 1]`,
    :math:`-F^*(-\\theta) = -\\frac1n \\sum_i q_i \\log q_i + (1 - q_i)\\log(1 - q_i)`.
    Curvature bound :math:`\\sigma' \\le 1/4`; the deviance is ``2 * log-loss``.
    """

    kind = KD.LOGISTIC
    has_gap = True
    _check_support = staticmethod(check_binary)

    def intercept_at_zero(self, y: np.ndarray) -> float:
        """:math:`\\operatorname{logit}(\\bar y)`."""
        ybar = float(y.mean())
        return float(np.log(ybar / (1 - ybar)))


class Poisson(Datafit):
    """Poisson log-likelihood (log link), counts ``y``:
    :math:`F(\\eta) = \\frac1n \\sum_i e^{\\eta_i} - y_i \\eta_i`.

    The gradient is not globally Lipschitz; :meth:`lipschitz` returns the *local* curvature at
    ``Xw``, and solvers certify optimality with the largest KKT violation.
    """

    kind = KD.POISSON
    has_gap = False
    _check_support = staticmethod(check_count)

    def lipschitz(self, X: np.ndarray, Xw: np.ndarray | None = None) -> np.ndarray:
        """Local per-coordinate curvature :math:`\\sum_i e^{\\eta_i} X_{ij}^2 / n` at ``Xw``."""
        mu = np.ones(X.shape[0]) if Xw is None else np.exp(Xw)
        return (mu @ (X * X)) / X.shape[0]

    def global_lipschitz(self, X: np.ndarray, Xw: np.ndarray | None = None) -> float:
        """Local curvature :math:`\\|\\operatorname{diag}(e^{\\eta/2}) X\\|_2^2 / n` at ``Xw``."""
        mu = np.ones(X.shape[0]) if Xw is None else np.exp(Xw)
        return float(np.linalg.norm(np.sqrt(mu)[:, None] * X, 2) ** 2 / X.shape[0])

    def intercept_at_zero(self, y: np.ndarray) -> float:
        """:math:`\\log \\bar y`."""
        return float(np.log(float(y.mean())))

    def deviance(self, y: np.ndarray, Xw: np.ndarray) -> float:
        """Mean Poisson deviance :math:`\\frac2n\\sum y\\log(y/\\mu) - (y - \\mu)` (CV loss)."""
        mu = np.exp(Xw)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0)
        return float(2.0 * np.mean(term - (y - mu)))


class MultiTaskQuadratic(Datafit):
    """Multi-output least squares :math:`F(W) = \\frac{1}{2n}\\|Y - XW\\|_F^2`, ``Y``: n x k.

    The least-squares maths of :class:`Quadratic` on the flattened ``n x k`` arrays (still
    averaged over the ``n`` rows). With :class:`~shrinkage.solvers.L21` this is scikit-learn's
    ``MultiTaskLasso``.
    """

    kind = KD.MULTITASK
    has_gap = True
    intercept_by_centring = True

    def validate_y(self, Y) -> np.ndarray:
        arr = np.asarray(Y)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"Y must be numeric; got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(
                f"Y must be 2-dimensional (n_samples, n_tasks); got shape {arr.shape}"
            )
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        check_finite(arr, "Y")
        return arr
