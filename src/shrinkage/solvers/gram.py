"""Covariance mode: penalized least squares from ``X'X``, ``X'y``, ``y'y`` and ``n`` alone.

For the quadratic datafit the objective

.. math::

    \\frac{1}{2n}\\|y - Xw - c\\|^2 + g(w)
    = \\frac{1}{2n}\\big(S_{yy} - 2w'S_{xy} + w'S_{xx}w\\big) + \\frac{1}{2}(\\bar y - c - \\bar x'w)^2
    + g(w)

depends on the data only through the centred statistics ``S`` and the means, so the optimal
intercept is ``c = ybar - xbar'w`` and ``w`` solves the centred problem (glmnet's "covariance
updates"). Separable penalties run the Gram coordinate descent of :func:`solve` (``cd_gram``,
O(p) per update); the group lasso runs block CD on *square-root rows*: ``m = p + 2`` rows
``[X~, y~] = sqrt(m/n) H Lambda^{1/2} V'`` from the eigendecomposition ``V Lambda V'`` of the
augmented ``(p+1) x (p+1)`` matrix ``[[S_xx, S_xy], [S_xy', S_yy]]`` and ``H`` the Helmert
basis orthogonal to ``1_m``: centred columns with ``(1/2m)||y~ - X~ w||^2`` equal to the
centred objective above for every ``w``. Nothing here needs the ``n`` rows.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_nonnegative, check_positive_int
from ._kernels_cd import cd_gram
from .datafits import Quadratic
from .penalties import GroupLasso, SeparablePenalty
from .solve import SolverResult, solve

__all__ = ["gram_rows", "solve_gram"]


def _check_stats(xtx, xty, yty, n) -> tuple[np.ndarray, np.ndarray, float, int]:
    G = np.ascontiguousarray(np.asarray(xtx, dtype=float))
    b = np.asarray(xty, dtype=float)
    p = b.shape[0]
    if G.shape != (p, p) or b.ndim != 1:
        raise ValueError(f"xtx must be (p, p) and xty (p,); got {G.shape} and {b.shape}")
    if not (np.all(np.isfinite(G)) and np.all(np.isfinite(b)) and np.isfinite(yty)):
        raise ValueError("the statistics contain NaN or inf")
    return G, b, float(yty), check_positive_int(n, "n")


def gram_rows(xtx, xty, yty: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``p + 2`` centred rows ``(X~, y~)`` with the quadratic objective of the ``n`` rows.

    ``(1/2m)||y~ - X~ w||^2 = (1/2n)(S_yy - 2w'S_xy + w'S_xx w)`` for all ``w`` (to
    rounding), and every column of ``X~`` and ``y~`` sums to zero (module docstring).
    """
    from scipy.linalg import helmert

    G, b, yy, n = _check_stats(xtx, xty, yty, n)
    p = b.shape[0]
    M = np.empty((p + 1, p + 1))
    M[:p, :p], M[:p, p], M[p, :p], M[p, p] = G, b, b, yy
    lam, V = np.linalg.eigh(0.5 * (M + M.T))
    R = np.sqrt(np.clip(lam, 0.0, None))[:, None] * V.T  # R'R = M
    m = p + 2
    Z = np.sqrt(m / n) * (helmert(m).T @ R)
    return np.asfortranarray(Z[:, :p]), np.ascontiguousarray(Z[:, p])


def solve_gram(
    xtx,
    xty,
    yty: float,
    n: int,
    penalty,
    *,
    x_mean=None,
    y_mean: float = 0.0,
    tol: float = 1e-8,
    max_iter: int = 10_000,
) -> SolverResult:
    """Minimize ``(1/2n)||y - Xw - c||^2 + g(w)`` from the centred statistics.

    Parameters
    ----------
    xtx, xty, yty : centred ``S_xx`` (p, p), ``S_xy`` (p,), ``S_yy``
    n : int
        Number of rows behind the statistics.
    penalty : L1, L2, ElasticNet, WeightedL1 or GroupLasso
    x_mean, y_mean : column means and response mean; the intercept is
        ``y_mean - x_mean'w`` (``x_mean=None``: no intercept, the statistics are taken as
        uncentred ``X'X``, ``X'y``, ``y'y``).
    tol, max_iter : as :func:`solve` (certificate: duality gap where defined, else KKT).

    Returns
    -------
    SolverResult
        ``objective`` is the centred objective (without the intercept term, zero at the
        optimum).
    """
    G, b, yy, n = _check_stats(xtx, xty, yty, n)
    tol = check_nonnegative(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    p = b.shape[0]
    penalty.check_dims(p)
    if isinstance(penalty, GroupLasso):
        Xr, yr = gram_rows(G, b, yy, n)
        res = solve(Xr, yr, Quadratic(), penalty, fit_intercept=False, tol=tol, max_iter=max_iter)
        w, n_iter, cert, kind, solver = (
            res.coef,
            res.n_iter,
            res.certificate,
            res.certificate_kind,
            "bcd-gram",
        )
    elif isinstance(penalty, SeparablePenalty):
        a, c = penalty.l1_l2(p)
        gap = bool(np.all((a > 0) | (c > 0)))
        w = np.zeros(p)
        n_iter, cert = cd_gram(G, b, yy, n, w, a, c, tol, max_iter, gap)
        kind, solver = ("duality_gap" if gap else "kkt"), "cd-gram"
    else:
        raise TypeError(f"solve_gram supports separable penalties and GroupLasso; got {penalty!r}")
    intercept = 0.0 if x_mean is None else float(y_mean - np.asarray(x_mean, float) @ w)
    objective = 0.5 * (yy - 2 * w @ b + w @ G @ w) / n + penalty.value(w)
    converged = bool(cert <= tol)
    if not converged:
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"{solver} did not converge after {n_iter} iterations: certificate {cert:.3e} > "
            f"tol {tol:.1e} (raise max_iter or tol).",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SolverResult(
        w, intercept, int(n_iter), float(cert), kind, float(objective), solver, converged
    )
