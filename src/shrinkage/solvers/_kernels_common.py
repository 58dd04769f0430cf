"""Numba building blocks shared by every solver kernel: column dot products, axpy, fills.

``X`` is Fortran-ordered so that a column is contiguous. Kernels avoid ``@``, fancy indexing,
slice assignment and array expressions: each pulls in numba implementations that cost seconds
to compile cold. Every function is compiled with ``cache=True`` (the cache lives next to the file).
"""

from __future__ import annotations

from numba import njit

JIT = {"cache": True, "nogil": True, "fastmath": False}

# Reductions may be reassociated so LLVM vectorizes them, as BLAS does (rounding of the same
# order as a sequential sum; timings in docs/api/solvers.md).
JIT_REDUCE = dict(JIT, fastmath={"reassoc"})

# Tiny helpers are inlined into their callers at numba-IR level: each separately compiled
# function adds to the cold-cache compile time.
JIT_INLINE = dict(JIT, inline="always")


@njit(**JIT_REDUCE)
def col_dot(X, j, v):
    """``X[:, j] @ v`` as a loop: a column slice has layout 'A' in numba, and np.dot on it
    copies."""
    acc = 0.0
    for i in range(X.shape[0]):
        acc += X[i, j] * v[i]
    return acc


@njit(**JIT_REDUCE)
def dot(u, v):
    """``u @ v`` as a loop (see the module docstring)."""
    acc = 0.0
    for i in range(u.shape[0]):
        acc += u[i] * v[i]
    return acc


@njit(**JIT)
def col_axpy(X, j, delta, v):
    """``v += delta * X[:, j]``."""
    for i in range(X.shape[0]):
        v[i] += delta * X[i, j]


@njit(**JIT)
def xt_vec(X, v, out):
    """``out = X^T v`` column by column (a loop: no BLAS/matmul specializations to compile)."""
    for j in range(X.shape[1]):
        out[j] = col_dot(X, j, v)


@njit(**JIT)
def fill(v, value):
    """``v[:] = value`` (np.zeros and bool arrays cost extra compiled specializations)."""
    for i in range(v.shape[0]):
        v[i] = value
    return v


@njit(**JIT)
def copy(dst, src):
    """``dst[:] = src``."""
    for i in range(src.shape[0]):
        dst[i] = src[i]


@njit(**JIT_REDUCE)
def vsum(v):
    """``v.sum()`` (reassociated, as :func:`dot`)."""
    acc = 0.0
    for i in range(v.shape[0]):
        acc += v[i]
    return acc


@njit(**JIT)
def gather(src, idx, out):
    """``out[:] = src[idx]``; returns ``out``."""
    for k in range(idx.shape[0]):
        out[k] = src[idx[k]]
    return out
