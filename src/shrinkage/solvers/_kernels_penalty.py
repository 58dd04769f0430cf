"""Penalty quantities for the numba kernels, written once.

Separable penalties arrive as two arrays ``a, b``:
:math:`g(w) = \\sum_j a_j|w_j| + \\tfrac{b_j}{2} w_j^2` (see :meth:`SeparablePenalty.l1_l2`);
group penalties as ``order, ptr, t``: group ``k`` owns the columns ``order[ptr[k]:ptr[k+1]]``
and its term is :math:`t_k \\|w_k\\|_2`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernels_common import JIT, JIT_INLINE


@njit(**JIT_INLINE)
def soft_threshold(z, t):
    """:math:`\\operatorname{sign}(z)\\max(|z| - t, 0)`."""
    if z > t:
        return z - t
    if z < -t:
        return z + t
    return 0.0


@njit(**JIT_INLINE)
def prox_coord(z, a, b, L):
    """Prox of :math:`(a|u| + \\tfrac b2 u^2)/L` at ``z``: the coordinate update of every CD."""
    return soft_threshold(z, a / L) / (1.0 + b / L)


@njit(**JIT_INLINE)
def coord_value(a, b, x):
    """:math:`a|x| + \\tfrac b2 x^2`."""
    return a * abs(x) + 0.5 * b * x * x


@njit(**JIT)
def sep_value(w, a, b):
    """:math:`g(w)` for a separable penalty."""
    out = 0.0
    for j in range(w.shape[0]):
        out += coord_value(a[j], b[j], w[j])
    return out


@njit(**JIT)
def sep_terms(w, grad, a, b):
    """Penalty value, dual scaling ``s`` (largest ``s <= 1`` with ``|s grad_j| <= a_j`` where
    ``b_j = 0``), sum of the conjugates at ``s grad`` (only ``|grad_j|`` matters) and largest
    KKT violation, in one function: one compile, not three."""
    s = 1.0
    for j in range(grad.shape[0]):
        if b[j] == 0.0 and abs(grad[j]) > a[j]:
            s = min(s, a[j] / abs(grad[j]))
    pen = 0.0
    conj = 0.0
    kkt = 0.0
    for j in range(w.shape[0]):
        wj = w[j]
        pen += coord_value(a[j], b[j], wj)
        if b[j] > 0.0:
            excess = max(s * abs(grad[j]) - a[j], 0.0)
            conj += excess * excess / (2.0 * b[j])
        if wj != 0.0:
            d = abs(grad[j] + a[j] * np.sign(wj) + b[j] * wj)
        else:
            d = max(abs(grad[j]) - a[j], 0.0)
        kkt = max(kkt, d)
    return pen, s, conj, kkt


@njit(**JIT)
def group_terms(w, grad, order, ptr, t, groups):
    """Over the groups ``groups`` (indices into ``ptr``): group lasso value
    :math:`\\sum_k t_k\\|w_k\\|`, dual scaling ``s`` (largest ``s <= 1`` with
    ``s ||grad_k|| <= t_k``) and largest KKT violation. Only the entries of ``w`` and ``grad``
    in these groups are read (BCD certifies a working set from its columns' gradients)."""
    pen = 0.0
    s = 1.0
    kkt = 0.0
    for q in range(groups.shape[0]):
        k = groups[q]
        wn = 0.0
        gn = 0.0
        for m in range(ptr[k], ptr[k + 1]):
            j = order[m]
            wn += w[j] * w[j]
            gn += grad[j] * grad[j]
        wn = np.sqrt(wn)
        gn = np.sqrt(gn)
        pen += t[k] * wn
        if gn > t[k]:
            s = min(s, t[k] / gn)
        if wn == 0.0:
            kkt = max(kkt, gn - t[k])
        else:
            dist = 0.0
            for m in range(ptr[k], ptr[k + 1]):
                j = order[m]
                v = grad[j] + t[k] * w[j] / wn
                dist += v * v
            kkt = max(kkt, np.sqrt(dist))
    return pen, s, kkt


@njit(**JIT_INLINE)
def block_scale(norm, t, L):
    """Block soft-thresholding factor: prox of :math:`(t/L)\\|\\cdot\\|` at ``v`` is
    ``block_scale(||v||, t, L) * v``."""
    return 0.0 if norm <= t / L else 1.0 - t / (L * norm)
