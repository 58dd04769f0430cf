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
def _chars(*codes):
    out = np.empty(len(codes), np.uint8)
    for i, c in enumerate(codes):
        out[i] = c
    return out


@numba.njit(nogil=True, cache=True)
def _ints(*values):
    out = np.empty(len(values), np.int32)
    for i, v in enumerate(values):
        out[i] = v
    return out


@numba.njit(nogil=True, cache=True)
def _floats(*values):
    out = np.empty(len(values), np.float64)
    for i, v in enumerate(values):
        out[i] = v
    return out


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
