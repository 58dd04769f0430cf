"""The collapsed likelihood when some prior variances are numerically flat (see :mod:`.op`).

A column ``j`` is *flat* when ``rho_j = d_j ||x_j||^2 / sigma^2 > FLAT_RATIO``: then
``X D X'`` swamps ``sigma^2 I`` in rounding, the Cholesky of ``K = sigma^2 I + X D X'`` fails
or loses digits, yet the likelihood there is moderate (it falls only like
``-0.5 log d_j``). NUTS trajectories reach such points (horseshoe local scales in their
Cauchy tails), and rejecting them is a false divergence. With ``F`` the flat columns
(``k <= n - 1`` of them, the largest) and ``B`` the rest, exactly (determinant lemma and
Woodbury, as the Gibbs backend's ``FlatFactor``)::

    K_B = sigma^2 I + X_B D_B X_B' = L L',   U = L^{-1} X_F,   C = D_F^{-1} + U'U  (k x k),
    h = L^{-1} r,   gamma = C^{-1} U'h,   e = h - U gamma,
    log det K = log det K_B + log det D_F + log det C,
    r'K^{-1}r = e'e + gamma' D_F^{-1} gamma,      K^{-1} r = L^{-T} e,

and, since ``U'e = D_F^{-1} gamma`` and ``U'(I - U C^{-1} U')U = D_F^{-1} - D_F^{-1} C^{-1} D_F^{-1}``,
for ``j`` in ``F``::

    x_j'K^{-1}r = gamma_j / d_j,       d_j x_j'K^{-1}x_j = 1 - (C^{-1})_jj / d_j,

and for ``j`` in ``B`` (``w_j = L^{-1} x_j``, ``g_j = C^{-1} U'w_j``)::

    x_j'K^{-1}x_j = ||w_j - U g_j||^2 + g_j' D_F^{-1} g_j.

Every quantity is a sum of non-negative terms or ``1`` minus a small one: no catastrophic
cancellation, and ``C`` (close to ``U'U``) is well conditioned. O(n^2 p + n k p).
"""

from __future__ import annotations

import numba
import numpy as np

from shrinkage.inference.marginal._blas import (
    LOG_2PI,
    _cholesky_lower,
    _failed,
    _half_logdet,
    _solve_lower,
    whitened_design,
)

__all__ = ["FLAT_RATIO", "flat_columns", "nspace_split_logp_grad"]

# d_j ||x_j||^2 / sigma^2 beyond which column j is handled by Woodbury: the plain Cholesky's
# relative rounding grows like this ratio times machine epsilon (1e8 * 2e-16 ~ 2e-8)
FLAT_RATIO = 1e8


@numba.njit(nogil=True, cache=True)
def flat_columns(colsq, d, s2, max_count):
    """Indices of the (at most ``max_count`` largest) ``d_j colsq_j / s2`` above ``FLAT_RATIO``."""
    ratio = d * colsq / s2
    flat = np.flatnonzero(ratio > FLAT_RATIO)
    if flat.size > max_count:
        flat = flat[np.argsort(ratio[flat])[flat.size - max_count :]]
    return flat


@numba.njit(nogil=True, cache=True)
def nspace_split_logp_grad(X, y, one, d, s2, a, flat):
    """``(logp, dlogp/dd, dlogp/ds2, dlogp/da)`` of ``y ~ N(a one, K)`` with the columns
    ``flat`` (``F``, at most ``n - 1``) taken out of the Cholesky by Woodbury (module
    docstring); exact. ``one`` is the vector of ones (or its projection, see
    :func:`.kernels.pspace_or_split_logp_grad`)."""
    n, p = X.shape
    k = flat.size
    info, K, W = whitened_design(X, d, s2, flat)
    if info != 0:
        return _failed(p)
    U = np.ascontiguousarray(W[:, flat])  # (n, k)
    inv_df = 1.0 / d[flat]
    C = np.dot(U.T, U)
    for f in range(k):
        C[f, f] += inv_df[f]
    if _cholesky_lower(C) != 0:  # flat columns collinear to working precision
        return _failed(p)
    h = y - a * one
    _solve_lower(K, h, False)  # L^{-1} r
    gamma = np.dot(h, U)
    _solve_lower(C, gamma, False)
    _solve_lower(C, gamma, True)  # C^{-1} U'h
    e = h - np.dot(U, gamma)
    quad = np.dot(e, e) + np.dot(gamma * gamma, inv_df)
    logdet = 2.0 * _half_logdet(K) + np.sum(np.log(d[flat])) + 2.0 * _half_logdet(C)
    logp = -0.5 * n * LOG_2PI - 0.5 * logdet - 0.5 * quad
    alpha = e.copy()
    _solve_lower(K, alpha, True)  # K^{-1} r = L^{-T} e
    # B columns: g_j = C^{-1} U'w_j, stored as the C-ordered (p, k) = column-major k x p
    Gt = np.dot(W.T, U)
    _solve_lower(C, Gt, False)
    _solve_lower(C, Gt, True)
    E = W - np.dot(U, Gt.T)
    wkw = np.zeros(p)
    for i in range(n):
        for j in range(p):
            wkw[j] += E[i, j] * E[i, j]
    for j in range(p):
        wkw[j] += np.dot(Gt[j] * Gt[j], inv_df)
    xa = np.dot(alpha, X)
    gd = -0.5 * wkw + 0.5 * xa * xa
    # s2 tr K^{-1} = n - sum_j d_j x_j'K^{-1}x_j, the k flat terms being 1 - (C^{-1})_ff / d_f
    Ci = np.eye(k)
    _solve_lower(C, Ci, False)  # row f: L_C^{-1} e_f, so (C^{-1})_ff = its squared norm
    s2_tr = float(n - k)
    in_f = np.zeros(p, np.bool_)
    in_f[flat] = True
    for j in range(p):
        if not in_f[j]:
            s2_tr -= d[j] * wkw[j]
    for f in range(k):
        cff = np.dot(Ci[f], Ci[f]) * inv_df[f]
        s2_tr += cff
        g = gamma[f] * inv_df[f]  # x_j'K^{-1}r
        gd[flat[f]] = (-0.5 * (1.0 - cff) + 0.5 * gamma[f] * g) * inv_df[f]
    gs2 = -0.5 * s2_tr / s2 + 0.5 * np.dot(alpha, alpha)
    return logp, gd, gs2, np.dot(one, alpha)
