"""SciPy's BLAS/LAPACK inside numba kernels, without the GIL (see :mod:`.kernels`).

Storage convention: BLAS is column-major, so a C-ordered ``(r, c)`` array is the
column-major ``c x r`` matrix (its transpose). Each call says which matrix it means.
"""

from __future__ import annotations

import math

import llvmlite.binding as llvm
import numba
import numpy as np
from numba.core import types
from numba.extending import get_cython_function_address

LOG_2PI = math.log(2.0 * math.pi)


def _fortran(module: str, name: str, n_args: int):
    """SciPy's BLAS/LAPACK routine as a numba external function (every argument by
    reference). Linked by symbol name, not by a pointer constant, so callers can be cached."""
    symbol = f"shrinkage_{name}"
    llvm.add_symbol(symbol, get_cython_function_address(f"scipy.linalg.cython_{module}", name))
    return types.ExternalFunction(symbol, types.void(*([types.voidptr] * n_args)))


# dsyrk(uplo, trans, n, k, alpha, a, lda, beta, c, ldc)
_dsyrk = _fortran("blas", "dsyrk", 10)
# dtrsm(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb)
_dtrsm = _fortran("blas", "dtrsm", 11)
# dpotrf(uplo, n, a, lda, info)
_dpotrf = _fortran("lapack", "dpotrf", 5)
# dpotri(uplo, n, a, lda, info)
_dpotri = _fortran("lapack", "dpotri", 5)

_L, _R, _N, _T = ord("L"), ord("R"), ord("N"), ord("T")


@numba.njit(nogil=True, cache=True)
def _pack(dtype, values):
    """The scalars ``values`` (a tuple) as a 1-D array of ``dtype``: LAPACK's by-reference
    arguments."""
    out = np.empty(len(values), dtype)
    for i, v in enumerate(values):
        out[i] = v
    return out


@numba.njit(nogil=True, cache=True)
def _chars(*codes):
    return _pack(np.uint8, codes)


@numba.njit(nogil=True, cache=True)
def _ints(*values):
    return _pack(np.int32, values)


@numba.njit(nogil=True, cache=True)
def _floats(*values):
    return _pack(np.float64, values)


@numba.njit(nogil=True, cache=True)
def _cholesky_lower(A):
    """In place: column-major lower factor of the symmetric ``A`` (``A = L L'``); info."""
    n = A.shape[0]
    c, i = _chars(_L), _ints(n, 0)
    _dpotrf(c.ctypes, i[0:].ctypes, A.ctypes, i[0:].ctypes, i[1:].ctypes)
    return i[1]


@numba.njit(nogil=True, cache=True)
def _solve_lower(L, B, trans):
    """In place ``B := op(L)^{-1} B``; ``L`` a column-major lower factor (n x n), ``B``
    column-major ``n x m`` (a C-ordered ``(m, n)`` array); ``op`` = transpose if ``trans``."""
    n, m = L.shape[0], B.size // L.shape[0]
    c = _chars(_L, _L, _T if trans else _N, _N)
    i, one = _ints(n, m), _floats(1.0)
    _dtrsm(c[0:].ctypes, c[1:].ctypes, c[2:].ctypes, c[3:].ctypes, i[0:].ctypes,
           i[1:].ctypes, one.ctypes, L.ctypes, i[0:].ctypes, B.ctypes, i[0:].ctypes)  # fmt: skip


@numba.njit(nogil=True, cache=True)
def _half_logdet(L):
    out = 0.0
    for i in range(L.shape[0]):
        out += math.log(L[i, i])
    return out


@numba.njit(nogil=True, cache=True)
def _failed(p):
    # a covariance that is not positive definite numerically: reject the point
    return -np.inf, np.zeros(p), 0.0, 0.0


@numba.njit(nogil=True, cache=True)
def whitened_design(X, d, s2, flat):
    """``(info, L, W)`` for ``K_B = s2 I + X_B D_B X_B' = L L'``, ``B`` all columns but
    ``flat``: ``L`` column-major lower (a C-ordered array holding ``L'``), ``W = L^{-1} X`` as a
    C-ordered ``(n, p)`` array; ``info != 0`` (and ``W = X``) if ``K_B`` is not numerically
    positive definite."""
    n, p = X.shape
    xs = np.empty((n, p))  # column-major (X_B D_B^{1/2})', flat columns zeroed
    for i in range(n):
        for j in range(p):
            xs[i, j] = X[i, j] * math.sqrt(d[j])
        for j in flat:
            xs[i, j] = 0.0
    K = np.zeros((n, n))
    c, ints, f = _chars(_L, _T), _ints(n, p), _floats(1.0, 0.0)
    _dsyrk(c[0:].ctypes, c[1:].ctypes, ints[0:].ctypes, ints[1:].ctypes, f[0:].ctypes,
           xs.ctypes, ints[1:].ctypes, f[1:].ctypes, K.ctypes, ints[0:].ctypes)  # fmt: skip
    for i in range(n):
        K[i, i] += s2
    info = _cholesky_lower(K)
    # W' = X' L^{-T} by a right-sided solve on the column-major p x n matrix X' (in xs)
    xs[:, :] = X
    c2, i2, one = _chars(_R, _L, _T, _N), _ints(p, n), _floats(1.0)
    if info == 0:
        _dtrsm(c2[0:].ctypes, c2[1:].ctypes, c2[2:].ctypes, c2[3:].ctypes, i2[0:].ctypes,
               i2[1:].ctypes, one.ctypes, K.ctypes, i2[1:].ctypes, xs.ctypes, i2[0:].ctypes)  # fmt: skip
    return info, K, xs
