r"""Projection of posterior draws onto a submodel (Piironen, Paasiniemi & Vehtari 2020).

For a draw ``s`` with predicted means :math:`\mu_s` and a submodel using the columns ``S``,
the projection minimizes the KL divergence from the draw's predictive distribution to the
submodel's:

* Gaussian (closed form): least squares on the draw's fit,
  :math:`(c_s, w_s) = \arg\min \|\mu_s - c - X_S w\|^2`, and the projected noise variance
  :math:`\sigma_{\perp,s}^2 = \sigma_s^2 + \frac1n \|\mu_s - c_s - X_S w_s\|^2`.
* Bernoulli / Poisson: the GLM fit to the draw's predicted means, i.e. the minimizer of the
  row-averaged datafit :math:`F_{\mu_s}(c + X_S w)` (the KL up to a constant), solved by
  Newton steps certified by the solvers' KKT measure (:func:`shrinkage.solvers.solve` where
  Newton fails), with an optional tiny ridge ``l2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from shrinkage.families import Family, Gaussian
from shrinkage.select._common import mean_datafit
from shrinkage.solvers import L2, solve

__all__ = ["Projected", "project"]


@dataclass(frozen=True)
class Projected:
    """Projected draws: ``coef`` (S, k) for the columns ``cols``, ``intercept`` (S,), ``sigma``
    (S,) or None, and the linear predictor ``eta`` (n, S)."""

    cols: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    sigma: np.ndarray | None
    eta: np.ndarray


def _least_squares(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``argmin_W ||A W - B||_F`` by a QR factorization of ``A`` (SVD-based ``lstsq`` when
    ``A`` is numerically rank deficient)."""
    Q, R = np.linalg.qr(A)
    d = np.abs(np.diag(R))
    if d.min() <= 1e-10 * d.max():
        return np.linalg.lstsq(A, B, rcond=None)[0]
    return solve_triangular(R, Q.T @ B)


def project_gaussian(X, mu, sigma, cols, fit_intercept: bool = True) -> Projected:
    """Closed-form Gaussian projection of the draws ``mu`` (n, S), ``sigma`` (S,) onto ``cols``."""
    Xs = X[:, cols]
    if fit_intercept:
        xm, mm = Xs.mean(axis=0), mu.mean(axis=0)
    else:
        xm, mm = np.zeros(len(cols)), np.zeros(mu.shape[1])
    if len(cols):
        coef = _least_squares(Xs - xm, mu - mm).T
    else:
        coef = np.zeros((mu.shape[1], 0))
    intercept = mm - coef @ xm
    eta = Xs @ coef.T + intercept
    sigma_perp = np.sqrt(np.asarray(sigma) ** 2 + np.mean((mu - eta) ** 2, axis=0))
    return Projected(np.asarray(cols), coef, intercept, sigma_perp, eta)


def _newton(family: Family, datafit, Z, m, pen, w, tol: float, max_iter: int = 50):
    """Damped Newton for ``min_w F_m(Z w) + (1/2) sum pen_j w_j^2``; ``(w, converged)``.

    Stops when the largest gradient entry (the solvers' KKT certificate) is <= ``tol``.
    """
    n = Z.shape[0]
    objective = lambda v: datafit.value(m, Z @ v) + 0.5 * pen @ v**2  # noqa: E731
    f = objective(w)
    for _ in range(max_iter):
        mean = family.inverse_link(Z @ w)
        g = Z.T @ (mean - m) / n + pen * w
        if not np.all(np.isfinite(g)):
            return w, False
        if np.max(np.abs(g)) <= tol:
            return w, True
        H = (Z * family.noise_variance(mean)[:, None]).T @ Z / n + np.diag(pen)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return w, False
        t, slack = 1.0, 16 * np.finfo(float).eps * max(1.0, abs(f))  # round-off of F
        while t > 1e-10 and objective(w - t * step) > f - 1e-4 * t * (g @ step) + slack:
            t *= 0.5
        w = w - t * step
        f = objective(w)
    return w, False


def project_glm(
    family: Family, X, mu, cols, fit_intercept: bool = True, *, l2: float = 0.0, tol: float = 1e-10
) -> Projected:
    """KL projection of each draw's means ``mu[:, s]`` onto ``cols``: the GLM fit minimizing
    ``F_{mu_s}(c + X_S w) + (l2/2)||w||^2`` (row-averaged datafit of :func:`mean_datafit`).

    Damped Newton, warm-started from the previous draw, to the solvers' KKT certificate ``tol``
    (largest gradient entry); a draw where Newton fails (e.g. separable data with ``l2 = 0``) is
    solved by :func:`shrinkage.solvers.solve`, which warns if it cannot certify either.
    """
    datafit = mean_datafit(family)
    Xs = np.asarray(X[:, cols], dtype=float)
    n, k = Xs.shape
    Z = np.hstack([np.ones((n, 1)), Xs]) if fit_intercept else Xs
    pen = np.r_[np.zeros(Z.shape[1] - k), np.full(k, float(l2))]
    S = mu.shape[1]
    if Z.shape[1] == 0:  # no intercept, no columns: eta = 0
        return Projected(np.asarray(cols), np.zeros((S, 0)), np.zeros(S), None, np.zeros((n, S)))
    out = np.zeros((S, Z.shape[1]))
    start = np.zeros(Z.shape[1])
    if fit_intercept:
        start[0] = datafit.intercept_at_zero(mu.mean(axis=1))
    for s in range(S):
        w, ok = _newton(family, datafit, Z, mu[:, s], pen, start, tol)
        if not ok:
            w = _solve_draw(datafit, Xs, mu[:, s], l2, fit_intercept, tol)
        out[s], start = w, w
    coef = out[:, -k:] if k else np.zeros((S, 0))
    intercept = out[:, 0] if fit_intercept else np.zeros(S)
    return Projected(np.asarray(cols), coef, intercept, None, Xs @ coef.T + intercept)


def _solve_draw(datafit, Xs, m, l2, fit_intercept, tol) -> np.ndarray:
    if Xs.shape[1] == 0:  # intercept only: the link of the mean target
        return np.array([datafit.intercept_at_zero(m)]) if fit_intercept else np.zeros(0)
    res = solve(Xs, m, datafit, L2(l2), fit_intercept=fit_intercept, tol=tol)
    return np.r_[res.intercept, res.coef] if fit_intercept else res.coef


def project(family: Family, X, mu, sigma, cols, fit_intercept: bool = True, **glm) -> Projected:
    """Project draws (means ``mu`` (n, S), noise ``sigma``) onto the columns ``cols``."""
    cols = np.asarray(cols, dtype=int)
    if isinstance(family, Gaussian):
        return project_gaussian(X, mu, sigma, cols, fit_intercept)
    return project_glm(family, X, mu, cols, fit_intercept, **glm)
