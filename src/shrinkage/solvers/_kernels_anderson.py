"""Anderson acceleration of the block coordinate descent iterates (skglm's scheme).

Every ``K + 1`` passes over a working set, the last ``K + 1`` iterates
:math:`w^{(0)}, \\dots, w^{(K)}` (restricted to the working set's columns) give the differences
:math:`U = [w^{(1)} - w^{(0)}, \\dots, w^{(K)} - w^{(K-1)}]` and the extrapolated point

.. math:: w_{acc} = \\sum_{k=1}^{K} c_k w^{(k)}, \\qquad c = \\frac{z}{1^T z}, \\quad
          (U^T U) z = 1,

the combination of the iterates whose differences have the smallest norm with weights summing
to one (Bertrand & Massias 2021, "Anderson acceleration of coordinate descent"). It is a
candidate only: BCD keeps it when the primal objective there is lower than at the current
iterate, so the method stays a descent method and every certificate is unchanged.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _kernels_datafit as KD
from ._kernels_common import JIT, JIT_REDUCE

K_ANDERSON = 5  # iterates combined per extrapolation (skglm's default)
# a Cholesky pivot below this fraction of the largest diagonal entry of U^T U: the differences
# are (numerically) linearly dependent and the weights meaningless, so no extrapolation
_PIVOT_FLOOR = 1e-14


@njit(**JIT_REDUCE)
def _diff_gram(hist, G):
    """``G = U^T U`` for the differences of consecutive rows of ``hist`` (``(K + 1) x m``)."""
    K = hist.shape[0] - 1
    for a in range(K):
        for b in range(a + 1):
            acc = 0.0
            for i in range(hist.shape[1]):
                acc += (hist[a + 1, i] - hist[a, i]) * (hist[b + 1, i] - hist[b, i])
            G[a, b] = acc
            G[b, a] = acc


@njit(**JIT)
def anderson_weights(hist, coef):
    """Weights ``c`` (into ``coef``, length ``K``) of the extrapolation from the iterates in the
    rows of ``hist``, by a Cholesky solve of ``U^T U z = 1``; returns ``False`` (no
    extrapolation) when a pivot falls below ``_PIVOT_FLOOR`` of the largest diagonal entry."""
    K = hist.shape[0] - 1
    G = np.empty((K, K))
    _diff_gram(hist, G)
    top = 0.0
    for a in range(K):
        top = max(top, G[a, a])
    if not top > 0.0:  # also catches NaN
        return False
    # in-place Cholesky G = L L^T (lower triangle)
    for a in range(K):
        for b in range(a + 1):
            acc = G[a, b]
            for m in range(b):
                acc -= G[a, m] * G[b, m]
            if a == b:
                if acc <= _PIVOT_FLOOR * top:
                    return False
                G[a, a] = np.sqrt(acc)
            else:
                G[a, b] = acc / G[b, b]
    # forward then backward substitution of L L^T z = 1
    for a in range(K):
        acc = 1.0
        for m in range(a):
            acc -= G[a, m] * coef[m]
        coef[a] = acc / G[a, a]
    for a in range(K - 1, -1, -1):
        acc = coef[a]
        for m in range(a + 1, K):
            acc -= G[m, a] * coef[m]
        coef[a] = acc / G[a, a]
    total = 0.0
    for a in range(K):
        total += coef[a]
    if total == 0.0 or not np.isfinite(total):
        return False
    for a in range(K):
        coef[a] /= total
    return True


@njit(**JIT)
def ws_penalty(v, ptr, gw, ws):
    """:math:`\\sum_q t_{k_q} \\|v_q\\|` where ``v`` holds the working set ``ws``'s columns
    group after group (the layout of :func:`ws_columns`)."""
    pen = 0.0
    pos = 0
    for q in range(ws.shape[0]):
        k = ws[q]
        acc = 0.0
        for _ in range(ptr[k], ptr[k + 1]):
            acc += v[pos] * v[pos]
            pos += 1
        pen += gw[k] * np.sqrt(acc)
    return pen


@njit(**JIT)
def ws_columns(order, ptr, ws):
    """Column indices of the groups ``ws``, group after group."""
    m = 0
    for q in range(ws.shape[0]):
        m += ptr[ws[q] + 1] - ptr[ws[q]]
    cols = np.empty(m, dtype=np.int64)
    pos = 0
    for q in range(ws.shape[0]):
        for t in range(ptr[ws[q]], ptr[ws[q] + 1]):
            cols[pos] = order[t]
            pos += 1
    return cols


@njit(**JIT)
def try_extrapolation(X, y, w, eta, c, kind, cols, ptr, gw, ws, hist, stats):
    """Extrapolate from the iterates in ``hist`` (the last row is the current ``w[cols]``) and
    keep the candidate when its objective is lower: ``w`` and ``eta = c + X w`` are then
    updated in place, ``eta`` recomputed from the columns (no drift from combining the
    iterates' predictors). ``stats[0]`` counts the attempts, ``stats[1]`` the accepted ones."""
    K = hist.shape[0] - 1
    coef = np.empty(K)
    stats[0] += 1
    if not anderson_weights(hist, coef):
        return
    m = cols.shape[0]
    w_acc = np.zeros(m)
    for a in range(K):
        for i in range(m):
            w_acc[i] += coef[a] * hist[a + 1, i]
    n = y.shape[0]
    eta_acc = np.full(n, c)
    for i in range(m):
        if w_acc[i] != 0.0:
            j = cols[i]
            for r in range(n):
                eta_acc[r] += w_acc[i] * X[r, j]
    current = KD.value(kind, y, eta, n) + ws_penalty(hist[K], ptr, gw, ws)
    candidate = KD.value(kind, y, eta_acc, n) + ws_penalty(w_acc, ptr, gw, ws)
    if candidate < current:
        stats[1] += 1
        for i in range(m):
            w[cols[i]] = w_acc[i]
        for r in range(n):
            eta[r] = eta_acc[r]
