"""Regularization paths: solutions for a decreasing grid of ``alpha`` with warm starts.

For a penalty ``g_alpha`` the path solves, for each ``alpha`` in the grid,

.. math:: \\min_{w, c} F(Xw + c) + g_\\alpha(w),

starting from the previous solution. The default grid is glmnet's: ``n_alphas`` values
log-spaced from :math:`\\alpha_{\\max}` (the smallest ``alpha`` giving ``w = 0``) down to
:math:`\\varepsilon\\,\\alpha_{\\max}`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_float_vector, check_nonnegative, check_positive_int
from .solve import _Problem, prepare, solve_prepared

__all__ = ["PathResult", "alpha_max", "path"]


@dataclass
class PathResult:
    """Output of :func:`path`.

    Attributes
    ----------
    alphas : ndarray (n_alphas,), decreasing
    coefs : ndarray (n_alphas, p) (``(n_alphas, p, k)`` for multi-task)
    intercepts : ndarray (n_alphas,) (``(n_alphas, k)``)
    certificates : ndarray (n_alphas,)
    certificate_kind : str
    n_iters : ndarray (n_alphas,)
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    certificates: np.ndarray
    certificate_kind: str
    n_iters: np.ndarray


def _null_gradient(prob: _Problem) -> np.ndarray:
    """Gradient of the datafit at ``w = 0`` (with the intercept at its own optimum)."""
    df, X, y = prob.datafit, prob.X, prob.y
    eta = np.zeros(y.shape)
    if prob.glm_intercept:
        eta[:] = df.intercept_at_zero(y)
    return X.T @ df.raw_grad(y, eta)


def alpha_max(X, y, datafit, penalty, *, fit_intercept: bool = True) -> float:
    """Smallest ``alpha`` for which ``w = 0`` solves the problem (``inf`` for ridge)."""
    prob = prepare(X, y, datafit, fit_intercept)
    return float(penalty.alpha_max(_null_gradient(prob)))


def setup_path(X, y, datafit, penalty, alphas, n_alphas, eps, fit_intercept, tol, max_iter):
    """Validate the options of a path, prepare the data once and build the grid of ``alpha``:
    ``(prob, grid, tol, max_iter)`` (shared by :func:`path` and :func:`~.cv.cv_path`)."""
    tol = check_nonnegative(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    prob = prepare(X, y, datafit, fit_intercept)
    prob.many_solves = True
    return prob, _grid(prob, penalty, alphas, n_alphas, eps), tol, max_iter


def _grid(prob: _Problem, penalty, alphas, n_alphas: int, eps: float) -> np.ndarray:
    if alphas is not None:
        alphas = as_float_vector(alphas, "alphas")
        if np.any(alphas < 0):
            raise ValueError("alphas must be >= 0")
        return np.sort(alphas)[::-1].copy()
    n_alphas = check_positive_int(n_alphas, "n_alphas")
    eps = check_nonnegative(eps, "eps")
    if not 0 < eps < 1:
        raise ValueError(f"eps must lie in (0, 1); got {eps}")
    top = penalty.alpha_max(_null_gradient(prob))
    if not np.isfinite(top):
        raise ValueError(f"{penalty!r} has no finite alpha_max: pass alphas explicitly")
    if top == 0:
        raise ValueError("alpha_max is 0 (y is constant or orthogonal to X): no path to compute")
    return np.geomspace(top, top * eps, n_alphas)


def path(
    X,
    y,
    datafit,
    penalty,
    *,
    alphas=None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    fit_intercept: bool = True,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    solver: str = "auto",
    progress: bool = False,
) -> PathResult:
    """Solve along a decreasing grid of ``alpha``, warm-starting each fit from the previous one.

    Parameters
    ----------
    X, y, datafit, penalty
        As in :func:`~shrinkage.solvers.solve`; ``penalty.alpha`` is ignored (the grid sets it).
    alphas : array, optional
        Grid to use (sorted decreasing). Default: ``n_alphas`` values log-spaced from
        ``alpha_max`` to ``eps * alpha_max``.
    tol, max_iter, solver
        Passed to each solve (``tol`` is the absolute certificate tolerance).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    PathResult
    """
    prob, grid, tol, max_iter = setup_path(
        X, y, datafit, penalty, alphas, n_alphas, eps, fit_intercept, tol, max_iter
    )
    return path_prepared(
        prob, penalty, grid, tol=tol, max_iter=max_iter, solver=solver, progress=progress
    )


def path_prepared(
    prob: _Problem, penalty, grid, *, tol, max_iter, solver, progress=False
) -> PathResult:
    """The path on a prepared problem: one solve per ``alpha`` of ``grid`` (decreasing), each
    warm-started from the previous solution."""
    iterator = grid
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(grid, desc="path")
    coefs, intercepts, certs, iters = [], [], [], []
    w, c = None, None
    kind = "duality_gap"
    for alpha in iterator:
        res = solve_prepared(
            prob,
            penalty.with_alpha(float(alpha)),
            tol=tol,
            max_iter=max_iter,
            solver=solver,
            coef_init=w,
            intercept_init=c,
            objective=False,
        )
        w = res.coef
        c = res.intercept if prob.glm_intercept else None
        coefs.append(w.copy())
        intercepts.append(res.intercept)
        certs.append(res.certificate)
        iters.append(res.n_iter)
        kind = res.certificate_kind
    return PathResult(
        grid,
        np.array(coefs),
        np.array(intercepts, dtype=np.float64),
        np.array(certs),
        kind,
        np.array(iters),
    )


def predict_linear(X: np.ndarray, coefs: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """Linear predictors along a path: shape (n_alphas, n) (or (n_alphas, n, k))."""
    if coefs.ndim == 3:
        return np.einsum("ij,ajk->aik", X, coefs) + intercepts[:, None, :]
    return coefs @ X.T + intercepts[:, None]
