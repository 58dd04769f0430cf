"""Block Lipschitz constants for BCD: :math:`\\sup f'' \\, \\|X_k\\|_2^2 / n` of a group from the
largest eigenvalue of its Gram block, by cyclic Jacobi sweeps in plain loops (no LAPACK
specializations to compile; the blocks are small: larger groups get an SVD up front)."""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernels_common import JIT, JIT_INLINE


@njit(**JIT_INLINE)
def _gram_block(X, order, ptr, k, G):
    """``G = X_k^T X_k`` for the columns of group ``k`` (``G`` is ``size x size``)."""
    size = ptr[k + 1] - ptr[k]
    for a in range(size):
        ja = order[ptr[k] + a]
        for b in range(a + 1):
            jb = order[ptr[k] + b]
            acc = 0.0
            for i in range(X.shape[0]):
                acc += X[i, ja] * X[i, jb]
            G[a, b] = acc
            G[b, a] = acc


@njit(**JIT_INLINE)
def _jacobi_rotate(A, p, q):
    """One Jacobi rotation zeroing ``A[p, q]`` of the symmetric ``A`` (in place)."""
    apq = A[p, q]
    theta = (A[q, q] - A[p, p]) / (2.0 * apq)
    t = (1.0 if theta >= 0.0 else -1.0) / (abs(theta) + np.sqrt(theta * theta + 1.0))
    cs = 1.0 / np.sqrt(t * t + 1.0)
    sn = t * cs
    for r in range(A.shape[0]):
        if r != p and r != q:
            arp = A[r, p]
            arq = A[r, q]
            A[r, p] = A[p, r] = cs * arp - sn * arq
            A[r, q] = A[q, r] = sn * arp + cs * arq
    A[p, p] -= t * apq
    A[q, q] += t * apq
    A[p, q] = A[q, p] = 0.0


@njit(**JIT)
def sym_max_eig_bound(A):
    """Upper bound on the largest eigenvalue of the symmetric ``A`` (destroyed): cyclic Jacobi
    sweeps until the off-diagonal part ``E`` is below ``1e-15`` of the diagonal, then
    ``max diag + ||E||_F`` (Weyl: the eigenvalues move by at most ``||E||_2 <= ||E||_F``)."""
    m = A.shape[0]
    diag = 0.0
    off = 0.0
    for _ in range(100):
        diag = 0.0
        off = 0.0
        for p in range(m):
            diag += A[p, p] * A[p, p]
            for q in range(p):
                off += 2.0 * A[p, q] * A[p, q]
        if off <= 1e-30 * diag:
            break
        for p in range(m):
            for q in range(p + 1, m):
                if A[p, q] != 0.0:
                    _jacobi_rotate(A, p, q)
    top = -np.inf
    for p in range(m):
        top = max(top, A[p, p])
    return top + np.sqrt(off)


@njit(**JIT_INLINE)
def group_lipschitz(X, order, ptr, k, curvature):
    """:math:`\\sup f'' \\, \\|X_k\\|_2^2 / n` of group ``k`` from its Gram block (BCD computes it
    only for the groups that enter a working set)."""
    size = ptr[k + 1] - ptr[k]
    G = np.empty((size, size))
    _gram_block(X, order, ptr, k, G)
    return curvature * sym_max_eig_bound(G) / X.shape[0]
