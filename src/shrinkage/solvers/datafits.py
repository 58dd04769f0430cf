"""Datafits: averages over rows of a loss of the linear predictor ``eta = X w + c``.

Each datafit ``F(eta) = (1/n) sum_i f(y_i, eta_i)`` provides its value, its derivative in
``eta`` (``raw_grad``, which includes the ``1/n``), the gradient ``X^T raw_grad``, curvature
bounds (Lipschitz constants of the gradient) and, where it exists, the conjugate needed for a
duality gap: for ``theta`` in the dual, ``dual_value(y, theta) = -F^*(-theta)``, and the
canonical dual point is ``theta = -raw_grad`` (the residual, scaled).
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_vector, check_binary, check_count, check_finite

__all__ = ["Logistic", "MultiTaskQuadratic", "Poisson", "Quadratic"]


def _xlogx(q: np.ndarray) -> np.ndarray:
    """``q log q`` with the convention ``0 log 0 = 0``."""
    out = np.zeros_like(q)
    pos = q > 0
    out[pos] = q[pos] * np.log(q[pos])
    return out


class Quadratic:
    """Least squares :math:`F(\\eta) = \\frac{1}{2n}\\|y - \\eta\\|_2^2`.

    Conjugate: :math:`-F^*(-\\theta) = \\langle \\theta, y\\rangle - \\frac{n}{2}\\|\\theta\\|^2`,
    maximized over the dual feasible set at :math:`\\theta = (y - \\eta)/n`.
    """

    kind = 0
    has_gap = True

    def validate_y(self, y) -> np.ndarray:
        return as_float_vector(y, "y")

    def value(self, y: np.ndarray, Xw: np.ndarray) -> float:
        r = y - Xw
        return float(r @ r) / (2 * y.shape[0])

    def raw_grad(self, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        return (Xw - y) / y.shape[0]

    def raw_hessian(self, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        return np.full(y.shape[0], 1.0 / y.shape[0])

    def gradient(self, X: np.ndarray, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        """:math:`\\nabla_w F = X^T (Xw - y) / n`."""
        return X.T @ self.raw_grad(y, Xw)

    def lipschitz(self, X: np.ndarray) -> np.ndarray:
        """Per-coordinate constants :math:`\\|X_j\\|^2 / n`."""
        return np.einsum("ij,ij->j", X, X) / X.shape[0]

    def global_lipschitz(self, X: np.ndarray) -> float:
        """:math:`\\|X\\|_2^2 / n` (spectral norm)."""
        return float(np.linalg.norm(X, 2) ** 2 / X.shape[0])

    def dual_value(self, y: np.ndarray, theta: np.ndarray) -> float:
        return float(theta @ y - 0.5 * y.shape[0] * (theta @ theta))

    def deviance(self, y: np.ndarray, Xw: np.ndarray) -> float:
        """Mean squared error (the CV loss)."""
        return 2.0 * self.value(y, Xw)

    def __repr__(self) -> str:
        return "Quadratic()"


class Logistic:
    """Logistic log-loss, ``y`` in {0, 1}:
    :math:`F(\\eta) = \\frac1n \\sum_i \\log(1 + e^{\\eta_i}) - y_i \\eta_i`.

    Conjugate: with :math:`q_i = y_i - n\\theta_i \\in [0, 1]`,
    :math:`-F^*(-\\theta) = -\\frac1n \\sum_i q_i \\log q_i + (1 - q_i)\\log(1 - q_i)`.
    """

    kind = 1
    has_gap = True

    def validate_y(self, y) -> np.ndarray:
        y = as_float_vector(y, "y")
        check_binary(y, "y")
        return y

    def value(self, y: np.ndarray, Xw: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0.0, Xw) - y * Xw))

    def raw_grad(self, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        return (_sigmoid(Xw) - y) / y.shape[0]

    def raw_hessian(self, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        prob = _sigmoid(Xw)
        return prob * (1 - prob) / y.shape[0]

    def gradient(self, X: np.ndarray, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        """:math:`\\nabla_w F = X^T(\\sigma(Xw) - y)/n`."""
        return X.T @ self.raw_grad(y, Xw)

    def lipschitz(self, X: np.ndarray) -> np.ndarray:
        """Per-coordinate constants :math:`\\|X_j\\|^2 / (4n)` (as :math:`\\sigma' \\le 1/4`)."""
        return np.einsum("ij,ij->j", X, X) / (4 * X.shape[0])

    def global_lipschitz(self, X: np.ndarray) -> float:
        return float(np.linalg.norm(X, 2) ** 2 / (4 * X.shape[0]))

    def dual_value(self, y: np.ndarray, theta: np.ndarray) -> float:
        q = np.clip(y - y.shape[0] * theta, 0.0, 1.0)
        return float(-np.mean(_xlogx(q) + _xlogx(1.0 - q)))

    def deviance(self, y: np.ndarray, Xw: np.ndarray) -> float:
        """Mean binomial deviance ``2 * log-loss`` (the CV loss)."""
        return 2.0 * self.value(y, Xw)

    def __repr__(self) -> str:
        return "Logistic()"


class Poisson:
    """Poisson log-likelihood (log link), counts ``y``:
    :math:`F(\\eta) = \\frac1n \\sum_i e^{\\eta_i} - y_i \\eta_i`.

    The gradient is not globally Lipschitz; :meth:`lipschitz` returns the *local* curvature at
    ``Xw``, and solvers certify optimality with the largest KKT violation.
    """

    kind = 2
    has_gap = False

    def validate_y(self, y) -> np.ndarray:
        y = as_float_vector(y, "y")
        check_count(y, "y")
        return y

    def value(self, y: np.ndarray, Xw: np.ndarray) -> float:
        return float(np.mean(np.exp(Xw) - y * Xw))

    def raw_grad(self, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        return (np.exp(Xw) - y) / y.shape[0]

    def raw_hessian(self, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        return np.exp(Xw) / y.shape[0]

    def gradient(self, X: np.ndarray, y: np.ndarray, Xw: np.ndarray) -> np.ndarray:
        """:math:`\\nabla_w F = X^T(e^{Xw} - y)/n`."""
        return X.T @ self.raw_grad(y, Xw)

    def lipschitz(self, X: np.ndarray, Xw: np.ndarray | None = None) -> np.ndarray:
        """Local per-coordinate curvature :math:`\\sum_i e^{\\eta_i} X_{ij}^2 / n` at ``Xw``."""
        mu = np.ones(X.shape[0]) if Xw is None else np.exp(Xw)
        return (mu @ (X * X)) / X.shape[0]

    def global_lipschitz(self, X: np.ndarray, Xw: np.ndarray | None = None) -> float:
        """Local curvature :math:`\\|\\operatorname{diag}(e^{\\eta/2}) X\\|_2^2 / n` at ``Xw``."""
        mu = np.ones(X.shape[0]) if Xw is None else np.exp(Xw)
        return float(np.linalg.norm(np.sqrt(mu)[:, None] * X, 2) ** 2 / X.shape[0])

    def deviance(self, y: np.ndarray, Xw: np.ndarray) -> float:
        """Mean Poisson deviance :math:`\\frac2n\\sum y\\log(y/\\mu) - (y - \\mu)` (CV loss)."""
        mu = np.exp(Xw)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0)
        return float(2.0 * np.mean(term - (y - mu)))

    def __repr__(self) -> str:
        return "Poisson()"


class MultiTaskQuadratic:
    """Multi-output least squares :math:`F(W) = \\frac{1}{2n}\\|Y - XW\\|_F^2`, ``Y``: n x k.

    With :class:`~shrinkage.solvers.L21` this is scikit-learn's ``MultiTaskLasso``.
    """

    kind = 3
    has_gap = True

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

    def value(self, Y: np.ndarray, XW: np.ndarray) -> float:
        R = Y - XW
        return float(np.sum(R * R)) / (2 * Y.shape[0])

    def raw_grad(self, Y: np.ndarray, XW: np.ndarray) -> np.ndarray:
        return (XW - Y) / Y.shape[0]

    def gradient(self, X: np.ndarray, Y: np.ndarray, XW: np.ndarray) -> np.ndarray:
        return X.T @ self.raw_grad(Y, XW)

    def lipschitz(self, X: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->j", X, X) / X.shape[0]

    def global_lipschitz(self, X: np.ndarray) -> float:
        return float(np.linalg.norm(X, 2) ** 2 / X.shape[0])

    def dual_value(self, Y: np.ndarray, Theta: np.ndarray) -> float:
        return float(np.sum(Theta * Y) - 0.5 * Y.shape[0] * np.sum(Theta * Theta))

    def deviance(self, Y: np.ndarray, XW: np.ndarray) -> float:
        return 2.0 * self.value(Y, XW)

    def __repr__(self) -> str:
        return "MultiTaskQuadratic()"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # split by sign so exp never overflows
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out
