"""Block coordinate descent for group penalties.

:func:`bcd_group`: :math:`\\min_{w, c} F(Xw + c) + \\sum_k t_k\\|w_k\\|_2` for datafits with a
curvature bound (least squares, logistic); :func:`bcd_multitask`:
:math:`\\min_W \\frac{1}{2n}\\|Y - XW\\|_F^2 + \\alpha\\sum_j\\|W_{j\\cdot}\\|_2`. Each block takes a
proximal gradient step ``1/L_k``; the certificate is a duality gap or the largest KKT violation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _kernels_datafit as KD
from ._kernels_common import JIT, col_axpy, col_dot, copy, dot, vsum, xt_vec
from ._kernels_penalty import block_scale, group_terms


@njit(**JIT)
def group_certificate(X, y, w, eta, c, order, ptr, gw, kind, gap, fit_intercept):
    """Duality gap or KKT violation for :math:`\\sum_k t_k \\|w_k\\|_2` (``gw`` holds ``t_k``)."""
    n = y.shape[0]
    g = np.empty(n)
    h = np.empty(n)
    KD.derivatives(kind, y, eta, n, g, h)
    grad = np.empty(X.shape[1])
    xt_vec(X, g, grad)
    pen, s, kkt = group_terms(w, grad, order, ptr, gw)
    if gap:
        return KD.gap(kind, y, eta, g, s, pen, 0.0)
    if fit_intercept:
        kkt = max(kkt, abs(vsum(g)))
    return kkt


@njit(**JIT)
def bcd_group(X, y, w, eta, c, order, ptr, gw, lips, kind, tol, max_iter, gap, fit_intercept):
    """Block CD (proximal gradient per group with step ``1/L_g``) for quadratic (0) and
    logistic (1) datafits plus a group lasso. Returns ``(n_iter, cert, c)``."""
    n = y.shape[0]
    n_groups = ptr.shape[0] - 1
    g = np.empty(n)
    h = np.empty(n)
    cert = np.inf
    it = 0
    while it < max_iter:
        it += 1
        for k in range(n_groups):
            L = lips[k]
            if L == 0.0:
                continue
            KD.derivatives(kind, y, eta, n, g, h)
            size = ptr[k + 1] - ptr[k]
            v = np.empty(size)
            norm = 0.0
            for m in range(size):
                j = order[ptr[k] + m]
                v[m] = w[j] - col_dot(X, j, g) / L
                norm += v[m] * v[m]
            norm = np.sqrt(norm)
            scale = block_scale(norm, gw[k], L)
            for m in range(size):
                j = order[ptr[k] + m]
                delta = scale * v[m] - w[j]
                if delta != 0.0:
                    w[j] += delta
                    col_axpy(X, j, delta, eta)
        if fit_intercept:
            # 1 / sup f'' is a safe (majorize-minimize) intercept step: 4 for the logistic loss
            KD.derivatives(kind, y, eta, n, g, h)
            delta = -vsum(g) / KD.CURVATURE[kind]
            c += delta
            for i in range(n):
                eta[i] += delta
        cert = group_certificate(X, y, w, eta, c, order, ptr, gw, kind, gap, fit_intercept)
        if cert <= tol:
            break
    return it, cert, c


@njit(**JIT)
def bcd_multitask(X, W, R, alpha, lips, tol, max_iter):
    """Block CD over rows of ``W`` for :math:`\\frac{1}{2n}\\|Y - XW\\|_F^2 + \\alpha\\sum_j
    \\|W_j\\|_2`, residual ``R = Y - XW``. Certificate: duality gap."""
    n, p = X.shape
    k = W.shape[1]
    cert = np.inf
    it = 0
    v = np.empty(k)
    while it < max_iter:
        it += 1
        for j in range(p):
            L = lips[j]
            if L == 0.0:
                continue
            copy(v, W[j])
            for i in range(n):
                for t in range(k):
                    v[t] += X[i, j] * R[i, t] / (n * L)
            norm = np.sqrt(dot(v, v))
            scale = block_scale(norm, alpha, L)
            for t in range(k):
                delta = scale * v[t] - W[j, t]
                if delta != 0.0:
                    W[j, t] += delta
                    for i in range(n):
                        R[i, t] -= delta * X[i, j]
        cert = multitask_gap(X, W, R, alpha)
        if cert <= tol:
            break
    return it, cert


@njit(**JIT)
def multitask_gap(X, W, R, alpha):
    """Duality gap of the multi-task lasso at ``W`` with residual ``R`` (``Y = R + XW``)."""
    n, p = X.shape
    XtR = X.T @ R
    s = 1.0
    pen = 0.0
    for j in range(p):
        rn = np.sqrt(XtR[j] @ XtR[j]) / n
        if rn > alpha:
            s = min(s, alpha / rn)
        pen += alpha * np.sqrt(W[j] @ W[j])
    rr = np.sum(R * R)
    # Y = R + XW, theta = s R / n: dual = <theta, Y> - n/2 ||theta||^2
    XW = X @ W
    ry = rr + np.sum(R * XW)
    return KD.ls_value(rr, n) + pen - KD.ls_dual(s, ry, rr, n)


@njit(**JIT)
def bcd_gram_model(H, hx, hsum, grad, gc, w, order, ptr, gw, lips, d, fit_intercept, tol, passes):
    """Block CD on a quadratic model in Gram form (the inner problem of out-of-core IRLS):

    .. math:: \\min_{d, d_c} \\nabla^T d + g_c d_c + \\tfrac12 [d; d_c]^T
              \\begin{pmatrix} H & h_x \\\\ h_x^T & h_\\Sigma \\end{pmatrix} [d; d_c]
              + \\sum_k t_k \\|w_k + d_k\\|_2

    ``H`` is ``p x p`` (C-ordered), ``lips[k]`` the largest eigenvalue of ``H``'s block ``k``;
    each block takes a proximal gradient step ``1/L_k``, the intercept an exact step. ``d``
    (length ``p``) is updated in place; returns the intercept step ``d_c``."""
    p = w.shape[0]
    Hd = np.empty(p)
    for j in range(p):
        Hd[j] = 0.0
    dc = 0.0
    for _ in range(passes):
        worst = 0.0
        for k in range(ptr.shape[0] - 1):
            L = lips[k]
            if L <= 1e-300:
                continue
            size = ptr[k + 1] - ptr[k]
            v = np.empty(size)
            norm = 0.0
            for m in range(size):
                j = order[ptr[k] + m]
                v[m] = w[j] + d[j] - (grad[j] + Hd[j]) / L
                norm += v[m] * v[m]
            scale = block_scale(np.sqrt(norm), gw[k], L)
            for m in range(size):
                j = order[ptr[k] + m]
                delta = scale * v[m] - w[j] - d[j]
                if delta != 0.0:
                    d[j] += delta
                    for i in range(p):
                        Hd[i] += delta * H[i, j]
                    worst = max(worst, L * delta * delta)
        if fit_intercept and hsum > 1e-300:
            hd = dc * hsum
            for j in range(p):
                hd += hx[j] * d[j]
            delta = -(gc + hd) / hsum
            dc += delta
            for j in range(p):
                Hd[j] += delta * hx[j]
            worst = max(worst, hsum * delta * delta)
        if worst <= tol:
            break
    return dc
