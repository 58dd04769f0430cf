"""Exact one-dimensional updates used by the Gibbs sampler (slice samplers, numpy + numba).

All updates leave their target invariant exactly (no approximation, no tuning during draws):

* :func:`slice_sample` -- Neal (2003) stepping-out slice sampler for a scalar log-density.
* :func:`halfcauchy_precision_slice` -- the Johndrow, Orenstein & Bhattacharya (2020) slice
  update of ``eta = 1/lam^2`` for half-Cauchy local scales, whose conditional is
  ``p(eta | .) ∝ eta^{a-1} exp(-m eta) / (1 + eta)``: draw ``u ~ U(0, 1/(1+eta))``, then
  ``eta ~ Gamma(a, rate m)`` truncated to ``eta < (1-u)/u`` (exact inverse CDF).
* :func:`collapsed_local_sweep` -- single-site (numba) update of each ``(lam_j, beta_j)``:
  ``log lam_j`` slice-sampled with ``beta_j`` integrated out, then ``beta_j`` exactly
  (horseshoe family, horseshoe+, R2D2); :func:`collapsed_gram_sweep` is the same update from
  ``X'X``, ``X'y``, ``y'y`` (out of core).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numba
import numpy as np
from scipy.special import gammainc, gammaincinv


def slice_sample(
    logp: Callable[[float], tuple[float, Any]],
    x0: float,
    width: float,
    rng: np.random.Generator,
    max_steps: int = 20,
) -> tuple[float, Any, int]:
    """One stepping-out slice-sampling step (Neal 2003, fig. 3 and 5) on a scalar.

    ``logp(x)`` returns ``(log density, aux)``; the ``aux`` of the accepted point is returned so
    callers can reuse work done at it (a Cholesky factor). Returns ``(x, aux, n_evals)``.
    """
    lp0, aux0 = logp(x0)
    level = lp0 - rng.exponential()
    left = x0 - width * rng.uniform()
    right = left + width
    j = int(max_steps * rng.uniform())
    k = max_steps - 1 - j
    n_evals = 1
    while j > 0 and logp(left)[0] > level:
        left -= width
        j -= 1
        n_evals += 1
    while k > 0 and logp(right)[0] > level:
        right += width
        k -= 1
        n_evals += 1
    n_evals += (j > 0) + (k > 0)  # the evaluations that ended each loop
    for _ in range(200):
        x1 = left + (right - left) * rng.uniform()
        lp1, aux1 = logp(x1)
        n_evals += 1
        if lp1 > level:
            return x1, aux1, n_evals
        if x1 < x0:
            left = x1
        else:
            right = x1
    return x0, aux0, n_evals  # interval shrank onto x0: staying is still a valid move


def halfcauchy_precision_slice(
    eta: np.ndarray, shape: np.ndarray | float, rate: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Exact slice update of ``eta`` with ``p(eta) ∝ eta^(shape-1) exp(-rate eta) / (1 + eta)``.

    With ``eta = 1/lam^2``, ``lam ~ C+(0, 1)`` and ``m`` Gaussian coordinates of variance
    ``v / eta`` this is the local-scale conditional, ``shape = (m + 1)/2``,
    ``rate = sum(beta^2) / (2 v)``.
    """
    u = rng.uniform(size=eta.shape) / (1.0 + eta)
    upper = (1.0 - u) / u
    rate = np.maximum(rate, 1e-300)
    shape = np.broadcast_to(np.asarray(shape, dtype=np.float64), eta.shape)
    v = rng.uniform(size=eta.shape)
    if np.all(shape == 1.0):  # exponential: closed-form inverse CDF
        return -np.log1p(-v * -np.expm1(-rate * upper)) / rate
    cdf_upper = gammainc(shape, rate * upper)
    out = gammaincinv(shape, v * cdf_upper) / rate
    # when the truncation point is far in the left tail, the density there is ∝ eta^(shape-1)
    tiny = cdf_upper < 1e-250
    out[tiny] = upper[tiny] * v[tiny] ** (1.0 / shape[tiny])
    return out


# numba only supports the legacy np.random API inside jitted code (seeded from our Generator)
# ruff: noqa: NPY002


@numba.njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


#: ``kind`` of the local prior in ``prm = (kind, alpha_j, T_rest, a, b)`` of the numba sweeps
HALF_CAUCHY, R2D2_GAMMA = 0.0, 1.0
#: smallest R2D2 local variance ``g_j`` (double precision's range: ``log g`` of a Gamma with a
#: tiny shape reaches below -745, where ``g`` underflows to 0); the support is truncated there
R2D2_G_MIN = 1e-300
_R2D2_X_MIN = 0.5 * np.log(R2D2_G_MIN)


@numba.njit(cache=True)
def _local_log_prior(x, lam2, tau2, prm):
    """Log density of ``x = log lam_j`` given the other local scales (up to constants).

    ``lam_j ~ C+(0, 1)``: ``-log(1 + lam^2) + x``. R2D2 (``g_j = lam_j^2 ~ Gamma(alpha_j, 1)``
    on ``g_j >= R2D2_G_MIN``, ``W = tau^2 T``, ``T = T_rest + g_j``, ``W ~ BetaPrime(a, b)``,
    Jacobian ``T`` of ``W <-> tau^2``):
    ``2 alpha_j x - g_j + (a - 1) log W - (a + b) log(1 + W) + log T``.
    """
    if prm[0] == HALF_CAUCHY:
        return -np.log1p(lam2) + x
    if x < _R2D2_X_MIN:
        return -np.inf
    total = prm[2] + lam2
    w = tau2 * total
    return (
        2.0 * prm[1] * x
        - lam2
        + (prm[3] - 1.0) * np.log(w)
        - (prm[3] + prm[4]) * np.log1p(w)
        + np.log(total)
    )


@numba.njit(cache=True, error_model="numpy")  # w = 1/(1/0 + c) = 0, not an exception
def _collapsed_logp(x, s2, q, sigma2, tau2, inv_c2, prm):
    lam2 = np.exp(2.0 * x)
    w = 1.0 / (1.0 / (tau2 * lam2) + inv_c2)  # prior variance of beta_j / sigma^2
    lik = -0.5 * np.log1p(w * q) + 0.5 * s2 * w / (sigma2 * (1.0 + w * q))
    return lik + _local_log_prior(x, lam2, tau2, prm)


@numba.njit(cache=True, fastmath={"reassoc", "contract"})
def _dot_col(Xf, j, r):
    # reassociation lets LLVM vectorize the reduction; no nan/inf assumptions are made
    s = 0.0
    for i in range(Xf.shape[0]):
        s += Xf[i, j] * r[i]
    return s


@numba.njit(cache=True, fastmath={"reassoc", "contract"})
def _axpy_col(Xf, j, a, r):
    for i in range(Xf.shape[0]):
        r[i] += a * Xf[i, j]


@numba.njit(cache=True, error_model="numpy")
def _collapsed_pair(s, q, x0, sigma2, tau2, inv_c2, width, max_steps, prm):
    """New ``(log lam_j, beta_j)`` from ``s = x_j'(y - X_{-j} beta_{-j})``, ``q = ||x_j||^2``."""
    s2 = s * s
    new_x = x0
    level = _collapsed_logp(x0, s2, q, sigma2, tau2, inv_c2, prm) - np.random.exponential()
    left = x0 - width * np.random.uniform()
    right = left + width
    jl = int(max_steps * np.random.uniform())
    kr = max_steps - 1 - jl
    while jl > 0 and _collapsed_logp(left, s2, q, sigma2, tau2, inv_c2, prm) > level:
        left -= width
        jl -= 1
    while kr > 0 and _collapsed_logp(right, s2, q, sigma2, tau2, inv_c2, prm) > level:
        right += width
        kr -= 1
    for _ in range(200):
        x1 = left + (right - left) * np.random.uniform()
        if _collapsed_logp(x1, s2, q, sigma2, tau2, inv_c2, prm) > level:
            new_x = x1
            break
        if x1 < x0:
            left = x1
        else:
            right = x1
    w = 1.0 / (1.0 / (tau2 * np.exp(2.0 * new_x)) + inv_c2)
    prec = q + 1.0 / w
    return new_x, s / prec + np.sqrt(sigma2 / prec) * np.random.standard_normal()


@numba.njit(cache=True)
def _local_pair(s, q, j, log_lam, sigma2, tau2, inv_c2, width, max_steps, local, state):
    """New ``(log lam_j, beta_j)``; ``local = (kind, a, b, alpha_1..p)``, ``state[0] = T``."""
    prm = np.empty(5)
    prm[0], prm[3], prm[4] = local[0], local[1], local[2]
    if local[0] != HALF_CAUCHY:
        prm[1] = local[3 + j]
        prm[2] = max(state[0] - np.exp(2.0 * log_lam[j]), 0.0)  # T_rest; rounding kept >= 0
    x, new = _collapsed_pair(s, q, log_lam[j], sigma2, tau2, inv_c2, width, max_steps, prm)
    if local[0] != HALF_CAUCHY:
        state[0] = prm[2] + np.exp(2.0 * x)
    log_lam[j] = x
    return new


@numba.njit(cache=True)
def _collapsed_sweep(
    Xf, resid, beta, log_lam, col_sq, sigma2, tau2, inv_c2, width, max_steps, local, state
):
    p = Xf.shape[1]
    for j in range(p):
        q = col_sq[j]
        s = _dot_col(Xf, j, resid) + q * beta[j]  # x_j'(resid + x_j beta_j)
        new = _local_pair(s, q, j, log_lam, sigma2, tau2, inv_c2, width, max_steps, local, state)
        _axpy_col(Xf, j, beta[j] - new, resid)
        beta[j] = new


@numba.njit(cache=True)
def _collapsed_sweep_gram(
    XtX, xtr, beta, log_lam, sigma2, tau2, inv_c2, width, max_steps, local, state
):
    p = XtX.shape[0]
    for j in range(p):
        q = XtX[j, j]
        s = xtr[j] + q * beta[j]  # x_j'(resid + x_j beta_j), resid's X' image kept in xtr
        new = _local_pair(s, q, j, log_lam, sigma2, tau2, inv_c2, width, max_steps, local, state)
        d = beta[j] - new
        for i in range(p):
            xtr[i] += d * XtX[i, j]
        beta[j] = new


class R2D2Local(NamedTuple):
    """R2D2 local prior of the collapsed sweep: ``lam_j^2 = g_j ~ Gamma(alpha_j, 1)`` with
    ``W = tau^2 sum(g) ~ BetaPrime(a, b)`` (``tau`` relative to ``sigma``)."""

    a: float
    b: float
    alpha: np.ndarray


def _local_arrays(local_prior: R2D2Local | None, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The numba sweeps' ``local`` vector and running ``state`` (``T = sum lam^2``)."""
    if local_prior is None:
        return np.array([HALF_CAUCHY, 0.0, 0.0]), np.zeros(1)
    a, b, alpha = local_prior
    local = np.concatenate(([R2D2_GAMMA, a, b], np.asarray(alpha, dtype=np.float64)))
    return local, np.array([float(np.sum(lam**2))])


def collapsed_local_sweep(
    Xf: np.ndarray,
    y: np.ndarray,
    beta: np.ndarray,
    lam: np.ndarray,
    sigma2: float,
    tau2: float,
    rng: np.random.Generator,
    c2: float = np.inf,
    width: float = 2.0,
    col_sq: np.ndarray | None = None,
    local_prior: R2D2Local | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Single-site collapsed update of each pair ``(lam_j, beta_j)`` given ``beta_{-j}``.

    With ``r = y - X_{-j} beta_{-j}``, ``s = x_j'r``, ``q = ||x_j||^2`` and prior
    ``beta_j / sigma ~ N(0, w_j)``, ``w_j = 1/(1/(tau^2 lam_j^2) + 1/c^2)`` (``c = inf``: plain
    horseshoe), ``beta_j`` integrates out to ``log p(lam_j | .) = -log(1 + w q)/2
    + s^2 w / (2 sigma^2 (1 + w q)) - log(1 + lam_j^2) + log lam_j`` (on ``log lam_j``), which
    is slice-sampled; then ``beta_j ~ N(s/(q + 1/w), sigma^2/(q + 1/w))``. Drawing ``lam_j``
    with ``beta_j`` integrated out breaks the ``beta_j``-``lam_j`` coupling that makes
    coefficients near zero mix slowly. O(n p) per sweep. ``col_sq``: the ``q_j`` if already
    known. ``local_prior``: None for ``lam_j ~ C+(0, 1)``; an :class:`R2D2Local` replaces the
    ``-log(1 + lam_j^2)`` term by R2D2's (:func:`_local_log_prior`). Returns new
    ``(beta, lam)`` and the residual ``y - X beta``.
    """
    beta = beta.copy()
    log_lam = np.log(lam)
    resid = y - Xf @ beta
    if col_sq is None:
        col_sq = np.einsum("ij,ij->j", Xf, Xf)
    inv_c2 = 0.0 if np.isinf(c2) else 1.0 / c2
    _seed(int(rng.integers(2**31 - 1)))
    local, state = _local_arrays(local_prior, lam)
    _collapsed_sweep(
        Xf, resid, beta, log_lam, col_sq, sigma2, tau2, inv_c2, width, 20, local, state
    )
    return beta, np.exp(log_lam), resid


def collapsed_gram_sweep(
    data: Any, beta: np.ndarray, lam: np.ndarray, sigma2: float, tau2: float,
    rng: np.random.Generator, c2: float = np.inf, width: float = 2.0,
    local_prior: R2D2Local | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:  # fmt: skip
    """:func:`collapsed_local_sweep` from the centred statistics of ``data``.

    ``data``: a :class:`~shrinkage.inference.linear_gaussian.LinearGaussian` holding ``X'X``,
    ``X'y``, ``y'y`` (``XtX``, ``Xty``, ``yty``). The sweep reads the rows only through
    ``s = x_j'r`` and ``q = ||x_j||^2``; it keeps ``X'r = X'y - X'X beta`` instead of ``r``
    (after ``beta_j -> beta_j'``, ``X'r += (beta_j - beta_j') X'x_j``), so ``q = (X'X)_jj``
    and ``s = (X'r)_j + q beta_j``: the same conditionals, O(p^2) per sweep whatever ``n``.
    Returns new ``(beta, lam)`` and the residual sum of squares (:func:`gram_rss`).
    """
    beta = np.array(beta, dtype=np.float64)
    log_lam = np.log(lam)
    XtX = np.ascontiguousarray(data.XtX, dtype=np.float64)
    xtr = data.Xty - XtX @ beta
    inv_c2 = 0.0 if np.isinf(c2) else 1.0 / c2
    _seed(int(rng.integers(2**31 - 1)))
    local, state = _local_arrays(local_prior, lam)
    _collapsed_sweep_gram(XtX, xtr, beta, log_lam, sigma2, tau2, inv_c2, width, 20, local, state)
    return beta, np.exp(log_lam), gram_rss(XtX, data.Xty, data.yty, beta)


def gram_rss(XtX: np.ndarray, Xty: np.ndarray, yty: float, beta: np.ndarray) -> float:
    """``||y - X beta||^2 = y'y - 2 beta'X'y + beta'X'X beta`` from the statistics (>= 1e-300)."""
    return max(float(yty - 2.0 * beta @ Xty + beta @ XtX @ beta), 1e-300)
