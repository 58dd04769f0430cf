"""The datafits' maths, written once: every solver kernel and the numpy classes of
:mod:`.datafits` call these functions.

A datafit is a row average :math:`F(\\eta) = \\frac1n \\sum_i f(y_i, \\eta_i)` of the linear
predictor; ``kind`` selects ``f``:

=====  ===============  ==============================================  ==========================
kind   datafit          :math:`f(y, \\eta)`                              :math:`\\sup f''`
=====  ===============  ==============================================  ==========================
0      least squares    :math:`\\tfrac12 (y - \\eta)^2`                   1
1      logistic         :math:`\\log(1 + e^{\\eta}) - y\\eta`             1/4
2      Poisson          :math:`e^{\\eta} - y\\eta`                        unbounded
3      multi-task LS    as 0, on the flattened ``n x k`` arrays         1
=====  ===============  ==============================================  ==========================

Arrays are flat; ``n`` is the number of rows the average divides by (``n * k`` entries for
the multi-task datafit). The dual (conjugate) value exists for kinds 0, 1 and 3:
:math:`-F^*(-\\theta) = \\langle\\theta, y\\rangle - \\frac n2\\|\\theta\\|^2` (least squares) and
:math:`-\\frac1n\\sum_i q_i\\log q_i + (1 - q_i)\\log(1 - q_i)`, :math:`q_i = y_i - n\\theta_i`
(logistic).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernels_common import JIT, JIT_INLINE, col_dot

LEAST_SQUARES, LOGISTIC, POISSON, MULTITASK = 0, 1, 2, 3

# sup of f'' by kind: the Lipschitz constant of f' (inf: none, so no fixed step is safe)
CURVATURE = (1.0, 0.25, np.inf, 1.0)


@njit(**JIT)
def _xlogx(q):
    return q * np.log(q) if q > 0.0 else 0.0


@njit(**JIT)
def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    ez = np.exp(z)
    return ez / (1.0 + ez)


@njit(**JIT)
def value(kind, y, eta, n):
    """:math:`F(\\eta) = \\frac1n \\sum_i f(y_i, \\eta_i)`."""
    out = 0.0
    for i in range(y.shape[0]):
        e = eta[i]
        if kind == LOGISTIC:
            out += (max(e, 0.0) + np.log1p(np.exp(-abs(e)))) - y[i] * e
        elif kind == POISSON:
            out += np.exp(e) - y[i] * e
        else:
            out += 0.5 * (y[i] - e) ** 2
    return out / n


@njit(**JIT)
def derivatives(kind, y, eta, n, g, h):
    """Derivatives in ``eta``: ``g = f'(y, eta) / n``, ``h = f''(y, eta) / n`` (in place)."""
    for i in range(y.shape[0]):
        if kind == LOGISTIC:
            p = _sigmoid(eta[i])
            g[i] = (p - y[i]) / n
            h[i] = p * (1.0 - p) / n
        elif kind == POISSON:
            mu = np.exp(eta[i])
            g[i] = (mu - y[i]) / n
            h[i] = mu / n
        else:
            g[i] = (eta[i] - y[i]) / n
            h[i] = 1.0 / n


@njit(**JIT)
def dual_value(kind, y, theta, n):
    """:math:`-F^*(-\\theta)` for least squares (0, 3) and logistic (1)."""
    out = 0.0
    if kind != LOGISTIC:
        for i in range(y.shape[0]):
            out += theta[i] * y[i] - 0.5 * n * theta[i] * theta[i]
        return out
    for i in range(y.shape[0]):
        q = min(max(y[i] - n * theta[i], 0.0), 1.0)
        out -= _xlogx(q) + _xlogx(1.0 - q)
    return out / n


@njit(**JIT_INLINE)
def gap(kind, y, eta, g, s, primal_penalty, conj):
    """Duality gap at the dual point ``theta = -s g`` (``g = F'(eta)``, ``s`` the penalty's
    dual scaling, ``conj`` the penalty's conjugate there)."""
    n = y.shape[0]
    theta = np.empty(n)
    for i in range(n):
        theta[i] = -s * g[i]
    return value(kind, y, eta, n) + primal_penalty - (dual_value(kind, y, theta, n) - conj)


# Least squares in residual form (r = y - Xw): CD keeps r (or G w in Gram form) up to date and
# never forms eta, so value, coordinate gradient and dual come from r.r, r.y and X_j.r.


@njit(**JIT_INLINE)
def ls_value(rr, n):
    """:math:`\\frac{1}{2n}\\|r\\|^2` from ``rr = r.r``."""
    return rr / (2 * n)


@njit(**JIT_INLINE)
def ls_dual(s, ry, rr, n):
    """Dual value at ``theta = s r / n``: :math:`s\\,r^Ty/n - s^2 r^Tr/(2n)`."""
    return s * ry / n - 0.5 * s * s * rr / n


@njit(**JIT_INLINE)
def ls_coord_grad(X, j, r, n):
    """:math:`\\partial_j F = -X_j^T r / n`."""
    return -col_dot(X, j, r) / n


@njit(**JIT_INLINE)
def ls_gram_coord_grad(Gw, Xty, j, n):
    """:math:`\\partial_j F = (G w - X^T y)_j / n` in Gram form."""
    return (Gw[j] - Xty[j]) / n
