"""Penalized GLM MAP from weighted Gram statistics: IRLS / proximal Newton, one pass per step.

.. math:: \\min_{w, c} F(Xw + c) + g(w), \\qquad F(\\eta) = \\frac1n \\sum_i f(y_i, \\eta_i)

for the logistic and Poisson datafits (least squares too) with a separable penalty (L1, L2,
elastic net, weighted L1) or a group lasso, when ``X`` is never in memory. The caller supplies
``pass_fn(w, c) -> GLMPass``: the sums over all rows, at ``eta = Xw + c``, of

* the loss :math:`\\sum_i f(y_i, \\eta_i)`,
* the gradient :math:`X^T f'` and :math:`\\sum_i f'_i`,
* the weighted Gram :math:`X^T W X` with :math:`W = \\operatorname{diag}(f'')`, :math:`X^T W 1`
  and :math:`\\sum_i f''_i`,

which add up across row blocks (:func:`block_pass` computes them for one block; a distributed
pass sums blocks). Each outer (Newton) step minimizes the quadratic model

.. math:: \\nabla^T d + g_c d_c + \\tfrac12 [d; d_c]^T \\tilde H [d; d_c] + g(w + d)

on those ``p x p`` numbers by coordinate descent (block CD for groups), then a backtracking
(Armijo) line search on the true objective: each trial point is one pass, and the accepted
trial's statistics are the next step's, so a run costs ``Newton steps + backtracks + 1``
passes. The certificate is the largest KKT violation (distance of ``-grad`` to the penalty's
subdifferential, and ``|sum f'| / n`` for the intercept) at the final point, from its pass.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._validation import check_nonnegative, check_positive_int
from . import _kernels_datafit as KD
from ._kernels_bcd import bcd_gram_model
from ._kernels_prox_newton import pn_inner_gram
from .datafits import Logistic, Poisson, Quadratic
from .penalties import GroupLasso, SeparablePenalty
from .solve import SolverResult

__all__ = ["GLMPass", "IRLSResult", "block_pass", "irls", "memory_pass"]

_DATAFITS = (Logistic, Poisson, Quadratic)


@dataclass
class GLMPass:
    """Sums over rows at ``eta = Xw + c`` (see the module docstring); blocks add with ``+``.

    Attributes
    ----------
    n : int
    loss : float
        :math:`\\sum_i f(y_i, \\eta_i)` (``inf`` if some :math:`\\eta_i` overflows).
    grad : ndarray (p,)
        :math:`X^T f'`.
    gsum : float
        :math:`\\sum_i f'_i`.
    hess : ndarray (p, p)
        :math:`X^T \\operatorname{diag}(f'') X`.
    hx : ndarray (p,)
        :math:`X^T f''`.
    hsum : float
        :math:`\\sum_i f''_i`.
    """

    n: int
    loss: float
    grad: np.ndarray
    gsum: float
    hess: np.ndarray
    hx: np.ndarray
    hsum: float

    def __add__(self, other: GLMPass) -> GLMPass:
        return GLMPass(
            self.n + other.n,
            self.loss + other.loss,
            self.grad + other.grad,
            self.gsum + other.gsum,
            self.hess + other.hess,
            self.hx + other.hx,
            self.hsum + other.hsum,
        )


def block_pass(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    c: float,
    kind: int,
    overwrite: bool = False,
    scale: np.ndarray | None = None,
) -> GLMPass:
    """:class:`GLMPass` of one block of rows (``X``: ``m x p`` float, ``y``: ``m``).

    ``overwrite=True`` lets it scale ``X`` in place (saves a copy of the block). With ``scale``
    (``s``, shape ``(p,)``) the pass is that of the columns ``Z = X diag(s)^{-1}`` without
    forming ``Z``: ``eta = X (w / s) + c``, ``Z'f' = X'f' / s``, ``Z'WZ = X'WX / (s s')``."""
    m = X.shape[0]
    y = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
    v = w if scale is None else w / scale
    with np.errstate(over="ignore", invalid="ignore"):
        eta = np.ascontiguousarray(X @ v + c, dtype=np.float64)
        loss = float(KD.value(kind, y, eta, 1)) if m else 0.0
        g = np.empty(m)
        h = np.empty(m)
        KD.derivatives(kind, y, eta, 1, g, h)
    if not np.isfinite(loss):
        loss = np.inf  # an overflowing trial step: the line search rejects it
    # X'WX as R'R with R = diag(sqrt(h)) X: numpy runs A.T @ A as a symmetric rank-k update
    # (half the flops of a general product); h >= 0 for every datafit here. (X'[f', f''] as
    # one m x 2 product is slower than two matrix-vector products in OpenBLAS.)
    grad, hx = X.T @ g, X.T @ h
    R = np.multiply(X, np.sqrt(h)[:, None], out=X if overwrite else None)
    hess = R.T @ R
    if scale is not None:
        grad, hx, hess = grad / scale, hx / scale, hess / np.outer(scale, scale)
    return GLMPass(m, loss, grad, float(g.sum()), hess, hx, float(h.sum()))


def memory_pass(X, y, datafit) -> Callable[[np.ndarray, float], GLMPass]:
    """``pass_fn`` over in-memory ``X``, ``y`` in blocks of rows (the reference for tests)."""
    X = np.asarray(X, dtype=np.float64)
    y = datafit.validate_y(y)

    def pass_fn(w: np.ndarray, c: float, block: int = 4096) -> GLMPass:
        out = block_pass(X[:block], y[:block], w, c, datafit.kind)
        for start in range(block, X.shape[0], block):
            stop = start + block
            out = out + block_pass(X[start:stop], y[start:stop], w, c, datafit.kind)
        return out

    return pass_fn


@dataclass
class IRLSResult(SolverResult):
    """:class:`~shrinkage.solvers.SolverResult` plus the number of data passes it took."""

    n_passes: int = 0


def _kkt(penalty, w: np.ndarray, grad: np.ndarray, gc: float, fit_intercept: bool) -> float:
    kkt = float(np.max(penalty.subdiff_distance(w, grad), initial=0.0))
    return max(kkt, abs(gc)) if fit_intercept else kkt


def _model_step(penalty, st: GLMPass, w, fit_intercept: bool, inner_tol: float):
    """Minimize the quadratic model at the current point: ``(d, dc)``."""
    n, p = st.n, w.shape[0]
    H = np.ascontiguousarray(st.hess / n)
    hx, hsum = st.hx / n, max(st.hsum / n, 1e-300)
    grad, gc = st.grad / n, st.gsum / n
    d = np.zeros(p)
    if isinstance(penalty, GroupLasso):
        lips = np.array([np.linalg.eigvalsh(H[np.ix_(i, i)])[-1] for _, i in penalty.blocks()])
        gw = penalty.alpha * penalty.weights
        dc = bcd_gram_model(
            H, hx, hsum, grad, gc, w, penalty.order, penalty.ptr, gw, lips, d,
            fit_intercept, inner_tol, 100_000,
        )  # fmt: skip
    else:
        a, b = penalty.l1_l2(p)
        ws = np.arange(p, dtype=np.int64)
        dc = pn_inner_gram(H.ravel(), hx, hsum, grad, gc, w, ws, a, b, d, fit_intercept, inner_tol,
                       100_000)  # fmt: skip
    return d, (float(dc) if fit_intercept else 0.0)


def _check(datafit, penalty, p: int) -> None:
    if not isinstance(datafit, _DATAFITS):
        raise TypeError(f"irls takes Logistic, Poisson or Quadratic datafits; got {datafit!r}")
    if not isinstance(penalty, (SeparablePenalty, GroupLasso)):
        raise TypeError(
            f"irls takes L1, L2, ElasticNet, WeightedL1 or GroupLasso penalties; got {penalty!r}"
        )
    penalty.check_dims(p)


def _start(datafit, p: int, coef_init, intercept_init, y_mean, fit_intercept):
    w = np.zeros(p) if coef_init is None else np.array(coef_init, dtype=np.float64)
    if w.shape != (p,) or not np.all(np.isfinite(w)):
        raise ValueError(f"coef_init must be {p} finite numbers; got shape {w.shape}")
    if not fit_intercept:
        return w, 0.0
    if intercept_init is not None:
        return w, float(intercept_init)
    if y_mean is not None:
        return w, datafit.intercept_at_zero(np.array([float(y_mean)]))
    return w, 0.0


def irls(
    pass_fn: Callable[[np.ndarray, float], GLMPass],
    datafit,
    penalty,
    n_features: int,
    *,
    fit_intercept: bool = True,
    tol: float = 1e-8,
    max_iter: int = 100,
    y_mean: float | None = None,
    coef_init=None,
    intercept_init=None,
    callback: Callable[[int, float], None] | None = None,
    first: GLMPass | None = None,
) -> IRLSResult:
    """Proximal Newton for :math:`\\min_{w, c} F(Xw + c) + g(w)` from passes over the data.

    Parameters
    ----------
    pass_fn : callable ``(w, c) -> GLMPass``
        One pass over all rows at ``eta = Xw + c`` (see the module docstring).
    datafit : Logistic, Poisson or Quadratic
    penalty : L1, L2, ElasticNet, WeightedL1 or GroupLasso
    n_features : int
        ``p``.
    fit_intercept : bool
        Fit an unpenalized intercept ``c``.
    tol : float
        Stop when the largest KKT violation is <= tol (absolute, on the row-averaged scale).
    max_iter : int
        Most Newton steps.
    y_mean : float, optional
        Mean of ``y``: the intercept then starts at its optimum for ``w = 0`` (the link of
        ``y_mean``); otherwise at 0.
    coef_init, intercept_init : warm start.
    callback : callable ``(step, certificate)``, optional
        Called after each certified pass (progress).
    first : GLMPass, optional
        The pass at the starting point when the caller already has it (e.g. derived from the
        Gram statistics at ``w = 0``): it is not counted in ``n_passes``.

    Returns
    -------
    IRLSResult
        ``certificate_kind == "kkt"``, ``n_iter`` Newton steps, ``n_passes`` data passes.
        Warns :class:`sklearn.exceptions.ConvergenceWarning` if the certificate exceeds ``tol``.
    """
    tol = check_nonnegative(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    _check(datafit, penalty, n_features)
    w, c = _start(datafit, n_features, coef_init, intercept_init, y_mean, fit_intercept)
    st = pass_fn(w, c) if first is None else first
    passes = int(first is None)
    if st.n == 0:
        raise ValueError("the data have no rows")
    if not np.isfinite(st.loss):
        raise ValueError("the datafit is not finite at the starting point (coef_init?)")
    n = st.n
    obj = st.loss / n + penalty.value(w)
    it = 0
    while True:
        cert = _kkt(penalty, w, st.grad / n, st.gsum / n, fit_intercept)
        if callback is not None:
            callback(it, cert)
        if cert <= tol or it >= max_iter:
            break
        it += 1
        # an inner pass costs O(p^2), a data pass O(n p^2): solve the model tightly, so that
        # ill-conditioned problems keep Newton's fast local convergence
        d, dc = _model_step(penalty, st, w, fit_intercept, max(1e-30, 1e-6 * cert * cert))
        pen0 = penalty.value(w)
        decrease = float(st.grad @ d + st.gsum * dc) / n + penalty.value(w + d) - pen0
        # below the rounding level of the objective, values cannot rank steps: take the full one
        rounding = -1e-12 * max(1.0, abs(obj))
        t = 1.0
        for _ in range(60):
            w_t, c_t = w + t * d, c + t * dc
            st_t = pass_fn(w_t, c_t)
            passes += 1
            obj_t = st_t.loss / n + penalty.value(w_t)
            if np.isfinite(obj_t) and (decrease > rounding or obj_t <= obj + 1e-4 * t * decrease):
                break
            t *= 0.5
        w, c, st, obj = w_t, c_t, st_t, obj_t
    converged = cert <= tol
    if not converged:
        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"irls did not converge after {it} Newton steps: KKT violation {cert:.3e} > tol "
            f"{tol:.1e} (raise max_iter or tol).",
            ConvergenceWarning,
            stacklevel=2,
        )
    intercept = float(c) if fit_intercept else 0.0
    return IRLSResult(w, intercept, it, cert, "kkt", float(obj), "irls", converged, passes)
