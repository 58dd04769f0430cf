"""Coordinate descent for least squares plus a separable penalty, with working sets.

.. math:: \\min_w \\frac{1}{2n}\\|y - Xw\\|^2 + \\sum_j a_j|w_j| + \\tfrac{b_j}{2} w_j^2

:func:`cd_ls` works on ``X`` and the residual ``r = y - Xw``; :func:`cd_gram` on the Gram
matrix ``G = X^T X`` (each update O(p), not O(n): for n >> p). Both run the same outer loop
(:func:`_next_working_set`): certify the full problem, stop if certified, else grow the working
set and run CD passes on it. Kernels update their arrays in place and return
``(n_iter, certificate)``: a duality gap when ``gap`` is true, else the largest KKT violation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _kernels_datafit as KD
from ._kernels_anderson import anderson_combine
from ._kernels_common import JIT, JIT_INLINE, col_axpy, copy, dot, gather
from ._kernels_penalty import coord_value, prox_coord, sep_terms

_AA_K = 5  # Anderson acceleration memory (skglm's default)
_WS_P0 = 10  # smallest working set (skglm's p0)


@njit(**JIT)
def _ls_cert(grad, w, rr, ry, n, a, b, gap):
    """Certificate from ``grad = -X^T r / n``, ``rr = r.r``, ``ry = r.y``.

    Gap: ``theta = s r / n`` with ``s`` the dual scaling; ``D = s ry/n - s^2 rr/(2n) - conj``.
    """
    pen, s, conj, kkt = sep_terms(w, grad, a, b)
    if gap:
        return KD.ls_value(rr, n) + pen - (KD.ls_dual(s, ry, rr, n) - conj)
    return kkt


@njit(**JIT)
def _grow(w, grad, a, score, ws_buf):
    """Working set of capped size (skglm's / celer's rule): every non-zero and every
    unpenalized-by-L1 coordinate, then the zero coordinates ranked by KKT violation
    ``|grad_j| - a_j`` (those within 10% of the boundary, ``|grad_j| >= 0.9 a_j``, the
    sequential strong rule for a 5% step down the path), up to ``max(P0, 2 * kept)`` in all.
    A subproblem on a few hundred columns of a p >> n design converges in few passes where one
    on every near-boundary column (often > n of them) does not. Fills ``ws_buf``, returns its
    used length."""
    p = w.shape[0]
    m = 0
    for j in range(p):
        if w[j] != 0.0 or a[j] == 0.0:
            ws_buf[m] = j
            m += 1
            score[j] = np.inf
        else:
            score[j] = a[j] - abs(grad[j])  # ascending: largest violation first
    return take_ranked(score, a, m, ws_buf)


@njit(**JIT)
def take_ranked(score, bound, m, ws_buf):
    """Append to ``ws_buf[:m]`` the entries of smallest ``score`` (the kept ones carry
    ``inf``) while ``score <= 0.1 bound``, up to ``max(P0, 2 m)`` entries in all; returns the
    new length."""
    p = score.shape[0]
    size = min(p, max(_WS_P0, 2 * m))
    order = np.argsort(score)
    for k in range(p):
        j = order[k]
        if m >= size or score[j] > 0.1 * bound[j]:
            break
        ws_buf[m] = j
        m += 1
    return m


@njit(**JIT_INLINE)
def _ws_buffers(p):
    """State of the working-set loop: ranking scores and the set's indices."""
    return np.empty(p), np.empty(p, dtype=np.int64)


@njit(**JIT_INLINE)
def _next_working_set(grad, w, rr, ry, n, a, b, gap, tol, it, max_iter, score, ws_buf):
    """The outer step of both CD kernels: ``(cert, m)`` with ``m = -1`` when the full problem
    is certified (``cert <= tol``) or the iterations are spent, else the size of the new
    working set ``ws_buf[:m]``."""
    cert = _ls_cert(grad, w, rr, ry, n, a, b, gap)
    if cert <= tol or it >= max_iter:
        return cert, -1
    return cert, _grow(w, grad, a, score, ws_buf)


@njit(**JIT)
def _cd_pass(X, w, r, a, b, lips, ws, n):
    """One cyclic CD pass over ``ws``; returns max ``L_j dw_j^2``."""
    worst = 0.0
    for k in range(ws.shape[0]):
        j = ws[k]
        L = lips[j]
        if L == 0.0:
            continue
        old = w[j]
        new = prox_coord(old - KD.ls_coord_grad(X, j, r, n) / L, a[j], b[j], L)
        if new != old:
            delta = new - old
            w[j] = new
            col_axpy(X, j, -delta, r)
            worst = max(worst, L * delta * delta)
    return worst


@njit(**JIT)
def _anderson(X, w, r, ws, a_ws, b_ws, hist, w_acc, n):
    """Anderson extrapolation of the last ``K + 1`` CD iterates on ``ws`` (Bertrand & Massias
    2021, as in skglm/celer): ``w_acc = sum_k c_k w^(k+1)`` with ``c`` minimizing
    ``||sum_k c_k (w^(k+1) - w^(k))||`` under ``sum c = 1``. Kept only if it lowers the
    objective, so convergence guarantees are those of plain CD."""
    m = ws.shape[0]
    if not anderson_combine(hist, m, _AA_K, w_acc):
        return
    # objective on ws (coordinates outside ws are fixed): r_acc = r + X_ws (w - w_acc)
    r_acc = np.empty(r.shape[0])
    copy(r_acc, r)
    pen_cur = 0.0
    pen_acc = 0.0
    for k in range(m):
        j = ws[k]
        col_axpy(X, j, w[j] - w_acc[k], r_acc)
        pen_cur += coord_value(a_ws[k], b_ws[k], w[j])
        pen_acc += coord_value(a_ws[k], b_ws[k], w_acc[k])
    if KD.ls_value(dot(r_acc, r_acc), n) + pen_acc < KD.ls_value(dot(r, r), n) + pen_cur:
        for k in range(m):
            w[ws[k]] = w_acc[k]
        copy(r, r_acc)


@njit(**JIT)
def cd_ls(X, y, w, r, a, b, lips, tol, max_iter, gap, grad, grad_ok):
    """Cyclic CD with working sets for :math:`\\frac{1}{2n}\\|y - Xw\\|^2 + g(w)`, ``r = y - Xw``.

    Loop: global gradient ``grad = -X^T r / n`` and certificate; stop if certified; else grow
    the working set and run CD passes on it until its updates are negligible. ``grad_ok``:
    ``grad`` already holds the gradient at ``w`` (a path: the last one of the previous
    ``alpha``, which does not depend on ``alpha``); on return it holds the one at the new ``w``.
    """
    n, p = X.shape
    score, ws_buf = _ws_buffers(p)
    cert = np.inf
    it = 0
    fresh = grad_ok
    while True:
        if not fresh:
            for j in range(p):
                grad[j] = KD.ls_coord_grad(X, j, r, n)
        fresh = False
        cert, m = _next_working_set(
            grad, w, dot(r, r), dot(r, y), n, a, b, gap, tol, it, max_iter, score, ws_buf
        )
        if m < 0:
            break
        ws = ws_buf[:m]
        a_ws = gather(a, ws, np.empty(m))
        b_ws = gather(b, ws, np.empty(m))
        w_ws = np.empty(m)
        sub_grad = np.empty(m)
        hist = np.empty((_AA_K + 1) * m)
        n_hist = 0
        while it < max_iter:
            worst = _cd_pass(X, w, r, a, b, lips, ws, n)
            it += 1
            for k in range(m):
                hist[n_hist * m + k] = w[ws[k]]
            n_hist += 1
            if n_hist == _AA_K + 1:
                n_hist = 0
                _anderson(X, w, r, ws, a_ws, b_ws, hist, w_ws, n)
            if worst <= tol:
                # certificate of the subproblem on ws: O(n |ws|), not O(n p)
                for k in range(m):
                    sub_grad[k] = KD.ls_coord_grad(X, ws[k], r, n)
                gather(w, ws, w_ws)
                sub = _ls_cert(sub_grad, w_ws, dot(r, r), dot(r, y), n, a_ws, b_ws, gap)
                # solved to the final tolerance: celer's looser 0.3 * cert meant more outer
                # steps (each a full O(n p) gradient), 1.3-1.5x slower on paths and p >> n
                if sub <= 0.5 * tol or worst == 0.0:
                    break
    return it, cert


@njit(**JIT)
def _gram_pass(G, Xty, w, Gw, a, b, ws, n):
    """One cyclic CD pass over ``ws`` in Gram form (``Gw = G w`` kept up to date)."""
    worst = 0.0
    for k in range(ws.shape[0]):
        j = ws[k]
        L = G[j, j] / n
        if L == 0.0:
            continue
        old = w[j]
        grad = KD.ls_gram_coord_grad(Gw, Xty, j, n)
        new = prox_coord(old - grad / L, a[j], b[j], L)
        if new != old:
            delta = new - old
            w[j] = new
            for m in range(Gw.shape[0]):
                Gw[m] += delta * G[j, m]
            worst = max(worst, L * delta * delta)
    return worst


@njit(**JIT)
def cd_gram(G, Xty, yy, n, w, a, b, tol, max_iter, gap):
    """CD on the Gram matrix ``G = X^T X`` (n >> p): each update costs O(p), not O(n).

    ``r.r = y.y - 2 w.X^T y + w.G w`` and ``r.y = y.y - w.X^T y`` give the certificate.
    """
    p = G.shape[0]
    Gw = np.empty(p)
    for j in range(p):
        Gw[j] = dot(G[j], w)  # G is symmetric and C-ordered: row j = column j
    score, ws_buf = _ws_buffers(p)
    grad = np.empty(p)
    cert = np.inf
    it = 0
    while True:
        for j in range(p):
            grad[j] = KD.ls_gram_coord_grad(Gw, Xty, j, n)
        wXty = dot(w, Xty)
        rr = yy - 2 * wXty + dot(w, Gw)
        cert, m = _next_working_set(
            grad, w, rr, yy - wXty, n, a, b, gap, tol, it, max_iter, score, ws_buf
        )
        if m < 0:
            break
        ws = ws_buf[:m]
        while it < max_iter:
            worst = _gram_pass(G, Xty, w, Gw, a, b, ws, n)
            it += 1
            if worst <= 0.1 * tol:
                break
    return it, cert
