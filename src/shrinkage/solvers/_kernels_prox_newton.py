"""Prox-Newton for GLMs with a separable penalty (glmnet's IRLS + coordinate descent).

.. math:: \\min_{w, c} F(Xw + c) + \\sum_j a_j|w_j| + \\tfrac{b_j}{2} w_j^2

with ``F`` the row-averaged datafit of code ``kind`` (:mod:`._kernels_datafit`): at each outer
step the datafit is replaced by its quadratic model, minimized by a few CD passes over the
non-zeros and the worst KKT violators (skglm's working sets), and a backtracking line search
on the true objective sets the step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _kernels_datafit as KD
from ._kernels_cd import _grow
from ._kernels_common import JIT, col_axpy, copy, dot, fill, vsum, xt_vec
from ._kernels_penalty import prox_coord, sep_terms, sep_value

# Gram-form model for working sets of at most 80 columns: forming the block (n m^2 / 2) costs
# no more than the 20 data-space passes (2 n m each) it replaces; its passes cost O(m^2)
_GRAM_MAX_COLS = 80
_GRAM_PASSES = 10_000  # cap of CD passes on the Gram-form model


@njit(**JIT)
def _glm_cert(y, w, eta, g, grad, a, b, kind, gap, fit_intercept):
    """Certificate from ``g = F'(eta)`` and ``grad = X^T g`` (already computed).

    Gap: dual point ``theta = -s g`` with ``s`` the dual scaling of :func:`sep_terms`.
    """
    pen, s, conj, kkt = sep_terms(w, grad, a, b)
    if gap:
        return KD.gap(kind, y, eta, g, s, pen, conj)
    if fit_intercept:
        gs = 0.0
        for i in range(g.shape[0]):
            gs += g[i]
        kkt = max(kkt, abs(gs))
    return kkt


@njit(**JIT)
def _pn_inner(X, h, grad, gc, w, ws, a, b, d, Xd, fit_intercept, inner_tol, max_passes):
    """CD on the quadratic model ``grad.d + gc dc + ||diag(h)^{1/2} Xd||^2 / 2 + g(w + d)``
    over the working set, in data space as skglm does: ``Xd = X_ws d + dc`` is kept up to date,
    so a pass costs ``O(n m)`` (the ``m x m`` Hessian block cost ``O(n m^2)`` to form, the
    whole cost of a step for m in the hundreds). ``d`` (length ``m``) is the step on
    ``w[ws]``; returns the intercept step ``dc``."""
    n = X.shape[0]
    m = ws.shape[0]
    fill(Xd, 0.0)
    Ls = np.empty(m)
    for k in range(m):
        j = ws[k]
        acc = 0.0
        for i in range(n):
            acc += h[i] * X[i, j] * X[i, j]
        Ls[k] = acc
    hsum = max(vsum(h), 1e-300)
    dc = 0.0
    for _ in range(max_passes):
        worst = 0.0
        for k in range(m):
            L = Ls[k]
            if L <= 1e-300:
                continue
            j = ws[k]
            acc = 0.0
            for i in range(n):
                acc += X[i, j] * h[i] * Xd[i]
            cur = w[j] + d[k]
            new = prox_coord(cur - (grad[j] + acc) / L, a[j], b[j], L)
            if new != cur:
                delta = new - cur
                d[k] += delta
                col_axpy(X, j, delta, Xd)
                worst = max(worst, L * delta * delta)
        if fit_intercept:
            delta = -(gc + dot(h, Xd)) / hsum
            dc += delta
            for i in range(n):
                Xd[i] += delta
            worst = max(worst, hsum * delta * delta)
        if worst <= inner_tol:
            break
    return dc


@njit(**JIT)
def _weighted_gram(X, h, ws):
    """``(H, hx)``: ``H = X_ws^T diag(h) X_ws`` (``m x m``, flattened row-major) and
    ``hx = X_ws^T h``, in ``O(n m^2)``."""
    n = X.shape[0]
    m = ws.shape[0]
    H = np.empty(m * m)
    hx = np.empty(m)
    hX = np.empty(n)
    for k in range(m):
        jk = ws[k]
        acc = 0.0
        for i in range(n):
            hX[i] = h[i] * X[i, jk]
            acc += hX[i]
        hx[k] = acc
        for l in range(k + 1):
            jl = ws[l]
            acc = 0.0
            for i in range(n):
                acc += hX[i] * X[i, jl]
            H[k * m + l] = acc
            H[l * m + k] = acc
    return H, hx


@njit(**JIT)
def pn_glm(X, y, w, eta, c, a, b, kind, tol, max_iter, gap, fit_intercept):
    """Prox-Newton for GLMs (glmnet's IRLS + CD): the quadratic model of the datafit at the
    current point is minimized by CD (data space) over a capped working set, then a
    backtracking line search on the true objective. ``eta = Xw + c`` is kept in sync.
    Returns ``(n_iter, cert, c)``.
    """
    n, p = X.shape
    g = np.empty(n)
    h = np.empty(n)
    grad = np.empty(p)
    Xd = np.empty(n)
    eta_new = np.empty(n)
    w_new = np.empty(p)
    score = np.empty(p)
    ws_buf = np.empty(p, dtype=np.int64)
    cert = np.inf
    it = 0
    while it < max_iter:
        KD.derivatives(kind, y, eta, n, g, h)
        xt_vec(X, g, grad)
        cert = _glm_cert(y, w, eta, g, grad, a, b, kind, gap, fit_intercept)
        if cert <= tol:
            break
        it += 1
        # working set: non-zeros and the worst KKT violators at zero, capped at twice the
        # non-zeros (skglm): the Hessian block costs O(n m^2), so m = every violator (often
        # > 1000 early on) made the first steps the whole cost
        m = _grow(w, grad, a, score, ws_buf)
        ws = ws_buf[:m]
        gc = vsum(g)
        d = fill(np.empty(m), 0.0)
        if m <= _GRAM_MAX_COLS:
            # few columns (glmnet's covariance mode): the block X_ws^T diag(h) X_ws costs
            # n m^2 / 2 once and a pass O(m^2), so the model is solved tightly (collinear
            # columns need thousands of passes; an inexact step cost hundreds of outer steps)
            H, hx = _weighted_gram(X, h, ws)
            inner_tol = min(1e-4 * tol, 1e-3 * cert * cert)
            dc = pn_inner_gram(
                H, hx, max(vsum(h), 1e-300), grad, gc, w, ws, a, b, d, fit_intercept, inner_tol,
                _GRAM_PASSES,
            )  # fmt: skip
        else:
            # a few passes give an inexact Newton step (skglm caps them at 20); the line search
            # below keeps every step a descent step
            inner_tol = max(1e-4 * tol, 1e-3 * cert * cert)
            dc = _pn_inner(X, h, grad, gc, w, ws, a, b, d, Xd, fit_intercept, inner_tol, 20)
        # Xd afresh from d (the incremental one carries the rounding of every update)
        fill(Xd, dc)
        decrease = gc * dc
        for k in range(m):
            col_axpy(X, ws[k], d[k], Xd)
            decrease += grad[ws[k]] * d[k]
        # backtracking line search (Armijo on the composite objective)
        pen0 = sep_value(w, a, b)
        f0 = KD.value(kind, y, eta, n) + pen0
        copy(w_new, w)
        for k in range(m):
            w_new[ws[k]] += d[k]
        decrease += sep_value(w_new, a, b) - pen0
        # below rounding level of f the values cannot rank steps: trust the full Newton step
        rounding = -1e-12 * max(1.0, abs(f0))
        t = 1.0
        for _ls in range(60):
            for i in range(n):
                eta_new[i] = eta[i] + t * Xd[i]
            copy(w_new, w)
            for k in range(m):
                w_new[ws[k]] += t * d[k]
            if decrease > rounding:
                break
            f1 = KD.value(kind, y, eta_new, n) + sep_value(w_new, a, b)
            if f1 <= f0 + 1e-4 * t * decrease:
                break
            t *= 0.5
        copy(w, w_new)
        c += t * dc
        copy(eta, eta_new)
    return it, cert, c


@njit(**JIT)
def pn_inner_gram(H, hx, hsum, grad, gc, w, ws, a, b, d, fit_intercept, inner_tol, max_passes):
    """Gram form, for IRLS on weighted Gram passes (:mod:`..irls`). CD on the quadratic model ``grad.d + gc dc + [d, dc]^T H~ [d, dc] / 2 + g(w + d)``
    over the working set, in Gram form (a pass costs ``O(m^2)``, not ``O(n m)``).
    ``d`` (length ``m``) is the step on ``w[ws]``; returns the intercept step ``dc``."""
    m = ws.shape[0]
    Hd = fill(np.empty(m), 0.0)
    hd = 0.0  # hx . d + hsum * dc
    dc = 0.0
    for _ in range(max_passes):
        worst = 0.0
        for k in range(m):
            L = H[k * m + k]
            if L <= 1e-300:
                continue
            j = ws[k]
            cur = w[j] + d[k]
            new = prox_coord(cur - (grad[j] + Hd[k]) / L, a[j], b[j], L)
            if new != cur:
                delta = new - cur
                d[k] += delta
                for l in range(m):
                    Hd[l] += delta * H[l * m + k]
                hd += delta * hx[k]
                worst = max(worst, L * delta * delta)
        if fit_intercept:
            delta = -(gc + hd) / hsum
            dc += delta
            for l in range(m):
                Hd[l] += delta * hx[l]
            hd += delta * hsum
            worst = max(worst, hsum * delta * delta)
        if worst <= inner_tol:
            break
    return dc
