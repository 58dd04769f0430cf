"""Logistic / Poisson penalized MAP on Dask data by distributed FISTA: one pass per iteration.

An independent second solver for :func:`shrinkage.outofcore.glm_map`'s problem

.. math:: \\min_{w, c} F(w, c) + g(w), \\qquad
    F = \\frac1n \\sum_i f(y_i, z_i^T w + c), \\quad z_i = (x_i - \\bar x) / s,

that never forms a Hessian: accelerated proximal gradient (Beck & Teboulle's FISTA with
O'Donoghue & Candes's gradient restart), the intercept a free unpenalized coordinate. Each
iteration is **one pass**: every worker evaluates its rows at two points, the new iterate
``x_{k+1} = prox_{g/L}(z_k - grad F(z_k) / L)`` and the next extrapolated point
``z_{k+1} = x_{k+1} + b_k (x_{k+1} - x_k)`` (both known before the pass), and returns the loss
sums and gradients ``Z'f'``, ``sum f'`` at both (``p x 2`` numbers). The pass thus gives the
next step's gradient, the sufficient-decrease test of the step just taken, and the KKT
certificate of ``x_{k+1}``.

Step size ``1/L``: the logistic loss has ``f'' <= 1/4``, and with centred columns
``[Z, 1]'[Z, 1] / n = blockdiag(R, 1)`` (``R`` the correlation matrix, from the statistics),
so ``L = max(lambda_max(R), 1) / 4`` is a global bound and no backtracking is needed. The
Poisson loss has no global bound: ``L`` starts at the curvature at ``w = 0`` and doubles
whenever the sufficient-decrease test fails (that pass is then repeated).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shrinkage.outofcore.glm import (
    GLMMapResult,
    distributed_pass,
    map_result,
    prepare,
    standardized_block,
)
from shrinkage.outofcore.stats import GramStats
from shrinkage.solvers import _kernels_datafit as KD
from shrinkage.solvers.datafits import Logistic
from shrinkage.solvers.irls import IRLSResult, _kkt

__all__ = ["GradPass", "fista_map", "grad_pass"]


@dataclass
class GradPass:
    """Sums over rows at ``m`` points ``eta = Z W + C``; blocks add with ``+``.

    Attributes
    ----------
    n : int
    loss : ndarray (m,)
        :math:`\\sum_i f(y_i, \\eta_{ij})` per point (``inf`` where it overflows).
    grad : ndarray (p, m)
        :math:`Z^T f'` per point.
    gsum : ndarray (m,)
        :math:`\\sum_i f'_{ij}` per point.
    """

    n: int
    loss: np.ndarray
    grad: np.ndarray
    gsum: np.ndarray

    def __add__(self, other: GradPass) -> GradPass:
        return GradPass(
            self.n + other.n,
            self.loss + other.loss,
            self.grad + other.grad,
            self.gsum + other.gsum,
        )


def grad_block(Z: np.ndarray, y: np.ndarray, W: np.ndarray, C: np.ndarray, kind: int) -> GradPass:
    """:class:`GradPass` of one block of standardized rows ``Z`` at the points ``(W, C)``."""
    m_rows, m = Z.shape[0], W.shape[1]
    y = np.ascontiguousarray(y, dtype=np.float64)
    G = np.empty((m, m_rows))
    h = np.empty(m_rows)
    loss = np.zeros(m)
    with np.errstate(over="ignore", invalid="ignore"):
        eta = np.ascontiguousarray((Z @ W).T + C[:, None])  # (m, rows): contiguous per point
        for j in range(m):
            loss[j] = KD.value(kind, y, eta[j], 1) if m_rows else 0.0
            KD.derivatives(kind, y, eta[j], 1, G[j], h)
    loss[~np.isfinite(loss)] = np.inf  # an overflowing point: rejected by the caller
    return GradPass(m_rows, loss, Z.T @ G.T, G.sum(axis=1))


def _block(xb, yb, k, source, spec, names, mean, std, W, C, datafit, check) -> GradPass:
    Z, y = standardized_block(xb, yb, k, source, spec, names, mean, std, datafit, check)
    return grad_block(Z, y, W, C, datafit.kind)


def grad_pass(
    X: Any, y: Any, datafit, stats: GramStats, *, sources: Sequence[str] | None = None
) -> Callable[[np.ndarray, np.ndarray], GradPass]:
    """``pass_fn(W, C)``: one Dask graph evaluating every partition at the points ``(W, C)``
    (``W`` (p, m), ``C`` (m,)), summed up to the client (:func:`~.glm.distributed_pass`)."""
    return distributed_pass(X, y, datafit, stats, _block, sources=sources)


def _lipschitz(stats: GramStats, datafit, c0: float, fit_intercept: bool) -> tuple[float, bool]:
    """``(L, backtrack)``: the logistic global bound, or the Poisson curvature at ``w = 0``."""
    R = stats.xtx / (stats.n * np.outer(stats.std, stats.std))
    lam = max(float(np.linalg.eigvalsh(R)[-1]), 1.0 if fit_intercept else 0.0)
    if isinstance(datafit, Logistic):
        return 0.25 * lam, False
    return float(np.exp(c0)) * lam, True


@dataclass
class _Point:
    """An iterate with the pass's row-averaged loss and gradient there."""

    w: np.ndarray
    c: float
    f: float
    g: np.ndarray
    gc: float


def _point(st: GradPass, j: int, w: np.ndarray, c: float) -> _Point:
    n = st.n
    return _Point(w, c, float(st.loss[j]) / n, st.grad[:, j] / n, float(st.gsum[j]) / n)


def fista_map(
    X: Any,
    y: Any,
    family,
    penalty,
    *,
    stats: GramStats | None = None,
    sources: Sequence[str] | None = None,
    groups: Sequence[int] | None = None,
    fit_intercept: bool = True,
    tol: float = 1e-8,
    max_passes: int = 1000,
    progress: bool = False,
) -> GLMMapResult:
    """Penalized logistic / Poisson MAP on Dask data by distributed FISTA (module docstring).

    Parameters
    ----------
    X, y, family, penalty, stats, sources, groups, fit_intercept
        As :func:`shrinkage.outofcore.glm_map` (a prior with a convex penalty, or a solvers
        penalty).
    tol : float
        Stop when the largest KKT violation (row-averaged scale) at the iterate is <= tol.
    max_passes : int
        Most data passes (the statistics pass not counted); each iteration is one pass.
    progress : bool
        Print the KKT violation every 50 passes to stderr.

    Returns
    -------
    GLMMapResult
        ``solver.solver == "fista"``, ``n_iter`` accepted steps, ``n_passes`` data passes,
        ``certificate`` from the last pass. Warns :class:`sklearn.exceptions.ConvergenceWarning`
        when the cap is reached first.

    Notes
    -----
    Starts from ``w = 0`` and the intercept's optimum there (the link of ``mean(y)``), taken
    from the statistics: it shares no state with any other solver.
    """
    if (
        isinstance(max_passes, bool)
        or not isinstance(max_passes, int | np.integer)
        or max_passes < 1
    ):
        raise ValueError(f"max_passes must be a positive integer; got {max_passes!r}")
    if not (isinstance(tol, int | float) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a finite number > 0; got {tol!r}")
    datafit, stats, penalty = prepare(X, y, family, penalty, stats, sources, groups,
                                      fit_intercept, "fista_map")  # fmt: skip
    penalty.check_dims(stats.n_features)
    pass_fn = grad_pass(X, y, datafit, stats, sources=sources)
    c0 = datafit.intercept_at_zero(np.array([stats.y_mean])) if fit_intercept else 0.0
    L, backtrack = _lipschitz(stats, datafit, c0, fit_intercept)
    w0 = np.zeros(stats.n_features)
    x = z = _point(pass_fn(w0[:, None], np.array([c0])), 0, w0, c0)
    passes, it, t = 1, 0, 1.0
    cert = _kkt(penalty, x.w, x.g, x.gc, fit_intercept)
    while cert > tol and passes < max_passes:
        new_w = penalty.prox(z.w - z.g / L, 1.0 / L)
        new_c = z.c - z.gc / L if fit_intercept else 0.0
        dw, dc = new_w - z.w, new_c - z.c
        # gradient restart: momentum against the prox-gradient step
        tt = 1.0 if float(-dw @ (new_w - x.w)) - dc * (new_c - x.c) > 0 else t
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * tt * tt))
        b = (tt - 1.0) / t_next
        ext_w, ext_c = new_w + b * (new_w - x.w), new_c + b * (new_c - x.c)
        st = pass_fn(np.column_stack([new_w, ext_w]), np.array([new_c, ext_c]))
        passes += 1
        new = _point(st, 0, new_w, new_c)
        quad = z.f + float(z.g @ dw) + z.gc * dc + 0.5 * L * float(dw @ dw + dc * dc)
        if backtrack and not (new.f <= quad + 1e-12 * abs(z.f)):
            L *= 2.0  # the step was too long: the same extrapolated point, a shorter step
            continue
        ext = _point(st, 1, ext_w, ext_c)
        x, t, it = new, t_next, it + 1
        z = ext if np.isfinite(ext.f) and np.all(np.isfinite(ext.g)) else new
        cert = _kkt(penalty, x.w, x.g, x.gc, fit_intercept)
        if progress and passes % 50 == 0:
            print(f"fista_map: pass {passes}, KKT violation {cert:.3e}", file=sys.stderr)
    converged = cert <= tol
    if not converged:
        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"fista_map did not converge within max_passes={max_passes}: KKT violation "
            f"{cert:.3e} > tol {tol:.1e}",
            ConvergenceWarning,
            stacklevel=2,
        )
    obj = x.f + penalty.value(x.w)
    res = IRLSResult(
        x.w + 0.0, float(x.c), it, cert, "kkt", float(obj), "fista", converged, passes
    )
    return map_result(res, stats)
