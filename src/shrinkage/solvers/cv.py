"""K-fold cross-validation over a regularization path (glmnet's ``cv.glmnet``).

For each fold the path is fitted on the other folds with the *same* grid of ``alpha`` (computed
on all the data), and the held-out mean deviance is recorded. ``alpha_min`` minimizes the mean
CV error; ``alpha_1se`` is the largest ``alpha`` whose mean error is within one standard error
of that minimum (glmnet's ``lambda.1se``), so ``alpha_1se >= alpha_min``.
Folds run through ``joblib`` (``n_jobs``), so a Dask or Ray joblib backend spreads them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_positive_int
from .datafits import Logistic
from .path import PathResult, path, path_prepared, predict_linear, setup_path

__all__ = ["CVResult", "cv_path"]


@dataclass
class CVResult:
    """Output of :func:`cv_path`.

    Attributes
    ----------
    alphas : ndarray (n_alphas,), decreasing
    mean, se : ndarray (n_alphas,)
        Mean held-out deviance over folds and its standard error ``sd(ddof=1) / sqrt(K)``.
    fold_errors : ndarray (n_folds, n_alphas)
    alpha_min, alpha_1se : float
    index_min, index_1se : int
    path : PathResult
        The path on all the data.
    """

    alphas: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    fold_errors: np.ndarray
    alpha_min: float
    alpha_1se: float
    index_min: int
    index_1se: int
    path: PathResult


def _fold_errors(X, y, train, test, datafit, penalty, alphas, kwargs) -> np.ndarray:
    res = path(X[train], y[train], datafit, penalty, alphas=alphas, **kwargs)
    eta = predict_linear(X[test], res.coefs, res.intercepts)
    return np.array([datafit.deviance(y[test], e) for e in eta])


def one_se_rule(alphas: np.ndarray, mean: np.ndarray, se: np.ndarray) -> tuple[int, int]:
    """Indices of ``alpha_min`` (argmin of ``mean``) and of ``alpha_1se``: the largest alpha
    with ``mean <= mean[min] + se[min]`` (``alphas`` decreasing)."""
    i_min = int(np.argmin(mean))
    within = np.flatnonzero(mean <= mean[i_min] + se[i_min])
    i_1se = int(within[np.argmax(alphas[within])])
    return i_min, i_1se


def cv_path(
    X,
    y,
    datafit,
    penalty,
    *,
    alphas=None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    n_folds: int = 5,
    n_jobs: int | None = None,
    random_state: int | None = 0,
    fit_intercept: bool = True,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    solver: str = "auto",
) -> CVResult:
    """K-fold cross-validation of a path; returns ``alpha_min`` and ``alpha_1se``.

    For each fold ``k`` and each ``alpha`` of the grid (built once, on all the data), the path
    solves :math:`\\min_{w, c} F_{-k}(Xw + c) + g_\\alpha(w)` on the other folds and records the
    held-out error :math:`\\mathrm{CV}_k(\\alpha) = D_k(X_k \\hat w + \\hat c)`.
    The CV loss is the datafit's mean deviance on the held-out fold (mean squared error for
    :class:`Quadratic`, binomial deviance for :class:`Logistic`, Poisson deviance for
    :class:`Poisson`). Folds are shuffled with ``random_state`` (stratified for logistic).
    """
    n_folds = check_positive_int(n_folds, "n_folds")
    if n_folds < 2:
        raise ValueError(f"n_folds must be >= 2; got {n_folds}")
    prob, grid, tol, max_iter = setup_path(
        X, y, datafit, penalty, alphas, n_alphas, eps, fit_intercept, tol, max_iter
    )
    X, y = prob.X_orig, prob.y_orig
    # imported here: scikit-learn and joblib take seconds to import, and most users of the
    # solvers never cross-validate
    from joblib import Parallel, delayed
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (StratifiedKFold if isinstance(datafit, Logistic) else KFold)(
        n_splits=n_folds, shuffle=True, random_state=random_state
    )
    kwargs = {"fit_intercept": fit_intercept, "tol": tol, "max_iter": max_iter, "solver": solver}
    errors = Parallel(n_jobs=n_jobs)(
        delayed(_fold_errors)(X, y, tr, te, datafit, penalty, grid, kwargs)
        for tr, te in splitter.split(X, y if isinstance(datafit, Logistic) else None)
    )
    errors = np.array(errors)
    mean = errors.mean(axis=0)
    se = errors.std(axis=0, ddof=1) / np.sqrt(n_folds)
    i_min, i_1se = one_se_rule(grid, mean, se)
    full = path_prepared(prob, penalty, grid.copy(), tol=tol, max_iter=max_iter, solver=solver)
    return CVResult(
        grid, mean, se, errors, float(grid[i_min]), float(grid[i_1se]), i_min, i_1se, full
    )
