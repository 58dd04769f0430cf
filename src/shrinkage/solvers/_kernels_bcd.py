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
from ._kernels_anderson import K_ANDERSON, try_extrapolation, ws_columns
from ._kernels_cd import take_ranked
from ._kernels_common import JIT, JIT_INLINE, col_axpy, col_dot, copy, dot, vsum, xt_vec
from ._kernels_lipschitz import group_lipschitz
from ._kernels_penalty import block_scale, group_terms


@njit(**JIT)
def _group_grad(X, y, eta, kind, g, h, grad):
    """``g = F'(eta)``, ``h = F''(eta)`` and ``grad = X^T g`` (in place)."""
    n = y.shape[0]
    KD.derivatives(kind, y, eta, n, g, h)
    xt_vec(X, g, grad)


@njit(**JIT)
def _group_cert(y, w, eta, g, grad, order, ptr, gw, kind, gap, fit_intercept, groups):
    """Duality gap or KKT violation from ``g`` and ``grad = X^T g`` over the groups ``groups``
    (all groups: the full problem's certificate; a working set holding every non-zero group:
    its subproblem's)."""
    pen, s, kkt = group_terms(w, grad, order, ptr, gw, groups)
    if gap:
        return KD.gap(kind, y, eta, g, s, pen, 0.0)
    if fit_intercept:
        kkt = max(kkt, abs(vsum(g)))
    return kkt


@njit(**JIT_INLINE)
def _ws_grad(X, y, eta, kind, g, h, grad, order, ptr, ws):
    """``g = F'(eta)``, ``h = F''(eta)`` and the entries of ``grad = X^T g`` in the groups
    ``ws`` (in place)."""
    KD.derivatives(kind, y, eta, y.shape[0], g, h)
    for q in range(ws.shape[0]):
        for m in range(ptr[ws[q]], ptr[ws[q] + 1]):
            grad[order[m]] = col_dot(X, order[m], g)


@njit(**JIT)
def _group_ws(w, grad, order, ptr, gw, score, ws_buf):
    """Working set of groups (the rule of ``_kernels_cd._grow`` by blocks): non-zero and
    unpenalized groups, then the zero groups ranked by ``||grad_k|| - t_k`` (within 10% of the
    boundary), up to ``max(P0, 2 * kept)`` groups. Returns the used length of ``ws_buf``."""
    n_groups = ptr.shape[0] - 1
    m = 0
    for k in range(n_groups):
        wn = 0.0
        gn = 0.0
        for q in range(ptr[k], ptr[k + 1]):
            wn += w[order[q]] * w[order[q]]
            gn += grad[order[q]] * grad[order[q]]
        if wn != 0.0 or gw[k] == 0.0:
            ws_buf[m] = k
            m += 1
            score[k] = np.inf
        else:
            score[k] = gw[k] - np.sqrt(gn)
    return take_ranked(score, gw, m, ws_buf)


@njit(**JIT)
def _bcd_pass(X, y, w, eta, order, ptr, gw, lips, kind, ws, g, h):
    """One pass of block proximal-gradient steps over the groups ``ws``. ``g = F'(eta)`` is
    recomputed only after a group moved ``eta`` (most of a working set's groups stay at zero:
    for the logistic an ``exp`` per sample and group saved)."""
    n = y.shape[0]
    v = np.empty(ptr[ptr.shape[0] - 1])
    stale = True
    for q in range(ws.shape[0]):
        k = ws[q]
        L = lips[k]
        if L == 0.0:
            continue
        if stale:
            KD.derivatives(kind, y, eta, n, g, h)
            stale = False
        size = ptr[k + 1] - ptr[k]
        norm = 0.0
        for m in range(size):
            j = order[ptr[k] + m]
            v[m] = w[j] - col_dot(X, j, g) / L
            norm += v[m] * v[m]
        scale = block_scale(np.sqrt(norm), gw[k], L)
        for m in range(size):
            j = order[ptr[k] + m]
            delta = scale * v[m] - w[j]
            if delta != 0.0:
                w[j] += delta
                col_axpy(X, j, delta, eta)
                stale = True


@njit(**JIT_INLINE)
def _fill_lipschitz(X, order, ptr, lips, ws, curvature):
    """Compute the constants still marked ``< 0`` (not yet computed) of the groups ``ws``."""
    for q in range(ws.shape[0]):
        k = ws[q]
        if lips[k] < 0.0:
            lips[k] = group_lipschitz(X, order, ptr, k, curvature)


# the working set's subproblem is solved until its own certificate (checked after every pass,
# O(n |ws|)) is below INNER_RHO times the full problem's (celer's rule: 0.3; smaller means fewer
# O(np) full gradients, more passes; docs/api/solvers.md) or below INNER_TOL_RHO * tol
INNER_RHO = 0.01
INNER_TOL_RHO = 0.3


@njit(**JIT_INLINE)
def _intercept_step(y, eta, c, kind, g, h):
    """One majorize-minimize step on the intercept (step ``1 / sup f''``: 4 for the logistic);
    returns the new ``c``."""
    n = y.shape[0]
    KD.derivatives(kind, y, eta, n, g, h)
    delta = -vsum(g) / KD.CURVATURE[kind]
    for i in range(n):
        eta[i] += delta
    return c + delta


@njit(**JIT_INLINE)
def _solve_ws(X, y, w, eta, c, order, ptr, gw, lips, kind, ws, inner_tol, it, max_iter, flags):
    """Passes over the working set ``ws`` until its subproblem's certificate is below
    ``inner_tol`` or ``it`` reaches ``max_iter``. ``flags = (gap, fit_intercept, anderson,
    stats)``: with ``anderson``, every ``K_ANDERSON + 1`` passes an extrapolation is tried and
    ``stats`` (2 ints) counts the attempts and acceptances (see :func:`try_extrapolation`).
    Returns ``(it, c)``."""
    g = np.empty(y.shape[0])
    h = np.empty(y.shape[0])
    grad = np.empty(X.shape[1])
    cols = ws_columns(order, ptr, ws)
    m = cols.shape[0]
    hist = np.empty((K_ANDERSON + 1) * m)
    stored = 0
    while it < max_iter:
        it += 1
        _bcd_pass(X, y, w, eta, order, ptr, gw, lips, kind, ws, g, h)
        if flags[1]:
            c = _intercept_step(y, eta, c, kind, g, h)
        if flags[2]:
            for i in range(m):
                hist[stored * m + i] = w[cols[i]]
            stored += 1
            if stored == K_ANDERSON + 1:
                try_extrapolation(X, y, w, eta, c, kind, cols, ptr, gw, ws, hist, flags[3])
                stored = 0
        _ws_grad(X, y, eta, kind, g, h, grad, order, ptr, ws)
        sub = _group_cert(y, w, eta, g, grad, order, ptr, gw, kind, flags[0], flags[1], ws)
        if sub <= inner_tol:
            break
    return it, c


@njit(**JIT)
def bcd_group(
    X, y, w, eta, c, order, ptr, gw, lips, kind, tol, max_iter, gap, fit_intercept, stats, anderson
):
    """Block CD (proximal gradient per group with step ``1/L_g``) for quadratic (0) and
    logistic (1) datafits plus a group lasso, with working sets of groups: certify the full
    problem (one ``X^T g``), stop if certified, else solve the subproblem on the non-zero groups
    and the worst violators until its own certificate (gap or KKT over the working set, from
    its columns' gradients only) falls below a fraction of the full one (celer's inner
    tolerance), with Anderson extrapolation (skglm's; ``anderson=False``: plain BCD; ``stats``
    (2 ints) counts attempted and accepted extrapolations). ``lips[k] < 0`` marks a constant
    to compute when group ``k`` first enters a working set (filled in place). Returns
    ``(n_iter, cert, c)``; ``n_iter`` counts passes."""
    n = y.shape[0]
    n_groups = ptr.shape[0] - 1
    g = np.empty(n)
    h = np.empty(n)
    grad = np.empty(X.shape[1])
    score = np.empty(n_groups)
    ws_buf = np.empty(n_groups, dtype=np.int64)
    every = np.arange(n_groups)
    cert = np.inf
    it = 0
    while True:
        _group_grad(X, y, eta, kind, g, h, grad)
        cert = _group_cert(y, w, eta, g, grad, order, ptr, gw, kind, gap, fit_intercept, every)
        if cert <= tol or it >= max_iter:
            break
        ws = ws_buf[: _group_ws(w, grad, order, ptr, gw, score, ws_buf)]
        _fill_lipschitz(X, order, ptr, lips, ws, KD.CURVATURE[kind])
        inner_tol = max(INNER_TOL_RHO * tol, INNER_RHO * cert)
        it, c = _solve_ws(
            X, y, w, eta, c, order, ptr, gw, lips, kind, ws, inner_tol, it, max_iter,
            (gap, fit_intercept, anderson, stats),
        )  # fmt: skip
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
