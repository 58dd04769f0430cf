"""Numba kernels of the collapsed Gaussian log-likelihood (see :mod:`.op`).

Compiled in nopython mode, without the GIL, and calling BLAS/LAPACK through SciPy's Cython
exports (:mod:`._blas`), so nutpie's chains (threads of one process) evaluate gradients in
parallel (an object-mode kernel would hold the GIL and serialize them; docs/sampling.md).

Storage convention: BLAS is column-major, so a C-ordered ``(r, c)`` array is the
column-major ``c x r`` matrix (its transpose). Each call says which matrix it means.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from shrinkage.inference.marginal._blas import (
    _L,
    LOG_2PI,
    _chars,
    _cholesky_lower,
    _dpotri,
    _failed,
    _half_logdet,
    _ints,
    _solve_lower,
    whitened_design,
)
from shrinkage.inference.marginal.flat import flat_columns, nspace_split_logp_grad

__all__ = ["nspace_logp_grad", "pspace_logp_grad", "pspace_or_split_logp_grad"]


@numba.njit(nogil=True, cache=True)
def nspace_logp_grad(X, y, d, s2, a):
    """``p > n`` evaluation; columns whose prior variance is numerically flat against
    ``s2`` go through Woodbury (:func:`.flat.nspace_split_logp_grad`), else the plain form."""
    n, p = X.shape
    colsq = np.zeros(p)
    for i in range(n):
        for j in range(p):
            colsq[j] += X[i, j] * X[i, j]
    flat = flat_columns(colsq, d, s2, n - 1)
    if flat.size:
        return nspace_split_logp_grad(X, y, np.ones(n), d, s2, a, flat)
    return _nspace_plain(X, y, d, s2, a)


@numba.njit(nogil=True, cache=True)
def pspace_or_split_logp_grad(G, Xty, x1, y1, yty, n, R, qy, q1, perp, d, s2, a):
    """:func:`pspace_logp_grad`, unless a column is numerically flat: then the split
    evaluation (:mod:`.flat`) in the column space of ``X``, as the plain form's gradients in
    the flat ``d_j`` lose every digit there (``B``'s Cholesky itself survives).

    With the thin QR ``X = Q R`` (``Q`` n x r, ``r = min(n, p)``),
    ``K = Q (s2 I_r + R D R') Q' + s2 (I - Q Q')``: the ``r``-dimensional part is the
    n-space problem with design ``R``, response ``Q'y`` and intercept direction ``Q'1``; the
    rest adds, with ``rho = ||(I - QQ')(y - a 1)||^2 = perp[0] - 2 a perp[1] + a^2 perp[2]``,
    ``-(n-r)/2 log(2 pi s2) - rho / (2 s2)`` to ``logp``, ``-(n-r)/(2 s2) + rho / (2 s2^2)``
    to ``dlogp/ds2`` and ``(perp[1] - a perp[2]) / s2`` to ``dlogp/da``; O(r^2 p)."""
    r = R.shape[0]
    flat = flat_columns(np.diag(G).copy(), d, s2, r - 1)
    if flat.size == 0:
        return pspace_logp_grad(G, Xty, x1, y1, yty, n, d, s2, a)
    logp, gd, gs2, ga = nspace_split_logp_grad(R, qy, q1, d, s2, a, flat)
    rho = max(perp[0] - 2.0 * a * perp[1] + a * a * perp[2], 0.0)
    m = n - r
    logp += -0.5 * m * (LOG_2PI + math.log(s2)) - 0.5 * rho / s2
    gs2 += -0.5 * m / s2 + 0.5 * rho / (s2 * s2)
    ga += (perp[1] - a * perp[2]) / s2
    return logp, gd, gs2, ga


@numba.njit(nogil=True, cache=True)
def _nspace_plain(X, y, d, s2, a):
    """``p > n`` evaluation: ``K = s2 I + X D X' = L L'``, ``W = L^{-1} X``; O(n^2 p).

    ``X`` is C-ordered ``(n, p)``, i.e. the column-major ``p x n`` matrix ``X'``.
    """
    n, p = X.shape
    info, K, xs = whitened_design(X, d, s2, np.zeros(0, np.int64))  # xs[i, j] = W[i, j]
    if info != 0:
        return _failed(p)
    L = K.T  # the column-major lower factor, read as a C-ordered array: L[i, k], i >= k
    h = y - a
    _solve_lower(K, h, False)  # L^{-1} r
    alpha = h.copy()
    _solve_lower(K, alpha, True)  # K^{-1} r
    wkw = np.zeros(p)  # x_j' K^{-1} x_j = ||W[:, j]||^2; xs[i, j] = W[i, j]
    for i in range(n):
        for j in range(p):
            wkw[j] += xs[i, j] * xs[i, j]
    logp = -0.5 * n * LOG_2PI - _half_logdet(L) - 0.5 * np.dot(h, h)
    xa = np.dot(alpha, X)
    gd = -0.5 * wkw + 0.5 * xa * xa
    # tr K^{-1} without inverting: K^{-1}(K - s2 I) = K^{-1} X D X' has trace
    # n - s2 tr K^{-1} = sum_j d_j x_j'K^{-1}x_j
    tr_kinv = (n - np.dot(d, wkw)) / s2
    gs2 = -0.5 * tr_kinv + 0.5 * np.dot(alpha, alpha)
    return logp, gd, gs2, alpha.sum()


@numba.njit(nogil=True, cache=True)
def pspace_logp_grad(G, Xty, x1, y1, yty, n, d, s2, a):
    """``p <= n`` evaluation by Woodbury: ``B = s2 I_p + S G S = L L'``, ``S = D^{1/2}``,
    ``G = X'X``; O(p^3), no ``n`` in the cost."""
    p = G.shape[0]
    s = np.sqrt(d)
    B = np.empty((p, p))
    SG = np.empty((p, p))  # C-ordered G S, i.e. the column-major S G (G is symmetric)
    for i in range(p):
        for j in range(p):
            B[i, j] = s[i] * G[i, j] * s[j]
            SG[i, j] = G[i, j] * s[j]
        B[i, i] += s2
    if _cholesky_lower(B) != 0:
        return _failed(p)
    L = B.T
    b = Xty - a * x1  # X'r
    rr = yty - 2.0 * a * y1 + n * a * a  # r'r
    h = s * b
    _solve_lower(B, h, False)
    u = h.copy()
    _solve_lower(B, u, True)  # B^{-1} S X'r
    quad = (rr - np.dot(h, h)) / s2  # r'K^{-1}r
    logdet = (n - p) * math.log(s2) + 2.0 * _half_logdet(L)
    logp = -0.5 * n * LOG_2PI - 0.5 * logdet - 0.5 * quad
    su = s * u
    Gsu = np.dot(G, su)
    xa = (b - Gsu) / s2  # X'K^{-1}r
    _solve_lower(B, SG, False)  # column-major V = L^{-1} S G: SG[j, i] = V[i, j]
    diag = np.empty(p)  # diag(X'K^{-1}X) = (diag G - ||V[:, j]||^2) / s2
    for j in range(p):
        diag[j] = (G[j, j] - np.dot(SG[j], SG[j])) / s2
    gd = -0.5 * diag + 0.5 * xa * xa
    c, i = _chars(_L), _ints(p, 0)
    _dpotri(c.ctypes, i[0:].ctypes, B.ctypes, i[0:].ctypes, i[1:].ctypes)  # B := B^{-1}
    tr_binv = 0.0
    for j in range(p):
        tr_binv += B[j, j]
    tr_kinv = (n - p + s2 * tr_binv) / s2
    a2 = (rr - 2.0 * np.dot(su, b) + np.dot(su, Gsu)) / s2**2  # ||K^{-1} r||^2
    gs2 = -0.5 * tr_kinv + 0.5 * a2
    ga = (y1 - n * a - np.dot(x1, su)) / s2  # 1'K^{-1}r
    return logp, gd, gs2, ga
