"""Anderson acceleration of the (block) coordinate descent iterates (skglm's scheme).

Every ``K + 1`` passes over a working set, the last ``K + 1`` iterates
:math:`w^{(0)}, \\dots, w^{(K)}` (restricted to the working set's columns) give the differences
:math:`U = [w^{(1)} - w^{(0)}, \\dots, w^{(K)} - w^{(K-1)}]` and the extrapolated point

.. math:: w_{acc} = \\sum_{k=1}^{K} c_k w^{(k)}, \\qquad c = \\frac{z}{1^T z}, \\quad
          (U^T U) z = 1,

the combination of the iterates whose differences have the smallest norm with weights summing
to one (Bertrand & Massias 2021, "Anderson acceleration of coordinate descent"). It is a
candidate only: CD and BCD keep it when the primal objective there is lower than at the current
iterate, so the methods stay descent methods and every certificate is unchanged. The history
is flat: iterate ``k`` occupies ``hist[k m : (k + 1) m]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _kernels_datafit as KD
from ._kernels_common import JIT, JIT_INLINE, col_axpy, copy, fill, vsum

K_ANDERSON = 5  # iterates combined per extrapolation (skglm's default)


@njit(**JIT)
def anderson_combine(hist, m, K, w_acc):
    """``w_acc = sum_k c_k w^(k+1)`` (length ``m``) with ``c`` minimizing
    ``||sum_k c_k (w^(k+1) - w^(k))||`` under ``sum c = 1``; returns ``False`` (``w_acc``
    untouched) when ``U^T U`` is numerically singular."""
    C = np.empty(K * K)
    for k in range(K):
        for l in range(k, K):
            acc = 0.0
            for i in range(m):
                uk = hist[(k + 1) * m + i] - hist[k * m + i]
                ul = hist[(l + 1) * m + i] - hist[l * m + i]
                acc += uk * ul
            C[k * K + l] = acc
            C[l * K + k] = acc
    # solve C z = 1 by Gaussian elimination with partial pivoting (K is tiny)
    z = fill(np.empty(K), 1.0)
    for col in range(K):
        piv = col
        for row in range(col + 1, K):
            if abs(C[row * K + col]) > abs(C[piv * K + col]):
                piv = row
        if abs(C[piv * K + col]) <= 1e-300:
            return False
        if piv != col:
            for l in range(K):
                tmp = C[col * K + l]
                C[col * K + l] = C[piv * K + l]
                C[piv * K + l] = tmp
            tmp = z[col]
            z[col] = z[piv]
            z[piv] = tmp
        for row in range(col + 1, K):
            f = C[row * K + col] / C[col * K + col]
            for l in range(col, K):
                C[row * K + l] -= f * C[col * K + l]
            z[row] -= f * z[col]
    for col in range(K - 1, -1, -1):
        acc = z[col]
        for l in range(col + 1, K):
            acc -= C[col * K + l] * z[l]
        z[col] = acc / C[col * K + col]
    zsum = vsum(z)
    if not np.isfinite(zsum) or zsum == 0.0:
        return False
    for i in range(m):
        acc = 0.0
        for k in range(K):
            acc += z[k] * hist[(k + 1) * m + i]
        w_acc[i] = acc / zsum
    return True


@njit(**JIT_INLINE)
def ws_penalty(v, off, ptr, gw, ws):
    """:math:`\\sum_q t_{k_q} \\|v_q\\|` where ``v[off:]`` holds the working set ``ws``'s
    columns group after group (the layout of :func:`ws_columns`)."""
    pen = 0.0
    pos = off
    for q in range(ws.shape[0]):
        k = ws[q]
        acc = 0.0
        for _ in range(ptr[k], ptr[k + 1]):
            acc += v[pos] * v[pos]
            pos += 1
        pen += gw[k] * np.sqrt(acc)
    return pen


@njit(**JIT_INLINE)
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


@njit(**JIT_INLINE)
def try_extrapolation(X, y, w, eta, c, kind, cols, ptr, gw, ws, hist, stats):
    """Extrapolate from the ``K_ANDERSON + 1`` iterates in ``hist`` (the last is the current
    ``w[cols]``) and keep the candidate when its objective is lower: ``w`` and
    ``eta = c + X w`` are then updated in place, ``eta`` recomputed from the columns (no drift
    from combining the iterates' predictors). ``stats[0]`` counts the attempts, ``stats[1]``
    the accepted ones."""
    m = cols.shape[0]
    w_acc = np.empty(m)
    stats[0] += 1
    if not anderson_combine(hist, m, K_ANDERSON, w_acc):
        return
    n = y.shape[0]
    eta_acc = fill(np.empty(n), c)
    for i in range(m):
        if w_acc[i] != 0.0:
            col_axpy(X, cols[i], w_acc[i], eta_acc)
    current = KD.value(kind, y, eta, n) + ws_penalty(hist, K_ANDERSON * m, ptr, gw, ws)
    candidate = KD.value(kind, y, eta_acc, n) + ws_penalty(w_acc, 0, ptr, gw, ws)
    if candidate < current:
        stats[1] += 1
        for i in range(m):
            w[cols[i]] = w_acc[i]
        copy(eta, eta_acc)
