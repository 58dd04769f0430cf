"""Exact Gaussian draws for the coefficients of a Gaussian linear model (numpy + LAPACK).

Model, with the flat intercept already integrated out (``X`` and ``y`` centred)::

    y | beta, sigma ~ N(X beta, sigma^2 I_n),      beta | sigma ~ N(0, sigma^2 g D0),

with ``D0 = diag(d0)`` (relative prior variances) and ``g > 0`` a global factor. Then

    beta | y, sigma ~ N(A^{-1} X'y, sigma^2 A^{-1}),   A = X'X + (g D0)^{-1},
    y | sigma       ~ N(0, sigma^2 M),                 M = I_n + g X D0 X'.

Two exact draws of ``beta``:

* Rue (2001), O(p^3), used when ``p <= n``: Cholesky of the well-conditioned
  ``B = I_p + g S X'X S`` with ``S = D0^{1/2}`` (``A = S^{-1} B S^{-1} / g``), so tiny prior
  variances never produce huge diagonal entries.
* Bhattacharya, Chakraborty & Mallick (2016), O(n^2 p), used when ``p > n``:
  ``u ~ N(0, sigma^2 g D0)``, ``v = X u + sigma z``, ``w = M^{-1}(y - v)``,
  ``beta = u + g D0 X'w``.

Both factorizations also give ``log det M`` and ``Q = y'M^{-1}y`` (by Sylvester and Woodbury
in the Rue form), which is all the marginal likelihood of the scales needs once ``beta`` and
``sigma^2`` are integrated out (Johndrow, Orenstein & Bhattacharya 2020). A :class:`Kernel`
keeps ``g``-free work (``X D0 X'``; Rue: ``X'X`` and ``S``) so the global scale can be
re-evaluated at the cost of one small Cholesky (Rue: one compiled call that forms
``I + g S X'X S``, factors it and solves).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numba
import numpy as np
from scipy.linalg.blas import dsyrk
from scipy.linalg.lapack import dpotrf, dpotrs, dtrtrs


class LinearGaussian:
    """Sufficient statistics of a centred Gaussian linear model, computed once.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Centred design.
    y : ndarray, shape (n,)
        Centred response.
    method : {"auto", "rue", "bhattacharya"}
        ``"auto"`` uses Rue when ``p <= n`` and Bhattacharya et al. otherwise.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, method: str = "auto") -> None:
        if method not in ("auto", "rue", "bhattacharya"):
            raise ValueError(f"unknown draw method {method!r}")
        self.n, self.p = X.shape
        self.X = np.ascontiguousarray(X)
        self.y = np.ascontiguousarray(y)
        self.use_rue = self.p <= self.n if method == "auto" else method == "rue"
        self.yty = float(y @ y)
        self.Xty = X.T @ y
        self.XtX = X.T @ X if self.use_rue else None
        self.Xf = np.asfortranarray(X)  # column access for single-site sweeps
        self.col_sq = np.einsum("ij,ij->j", X, X)

    @classmethod
    def from_gram(cls, XtX: np.ndarray, Xty: np.ndarray, yty: float = 0.0) -> LinearGaussian:
        """Rue-form statistics from ``X'X`` and ``X'y`` alone (no design needed)."""
        obj = cls.__new__(cls)
        obj.n = obj.p = len(Xty)
        obj.X = obj.y = obj.Xf = obj.col_sq = None
        obj.use_rue, obj.XtX, obj.Xty, obj.yty = True, XtX, Xty, float(yty)
        return obj

    def with_response(self, y: np.ndarray) -> LinearGaussian:
        """The same design with another response (design arrays shared, not copied)."""
        obj = copy.copy(self)
        obj.y = np.ascontiguousarray(y, dtype=np.float64)
        obj.yty, obj.Xty = float(obj.y @ obj.y), self.X.T @ obj.y
        return obj

    def kernel(self, d0: np.ndarray, g_hint: float = 1.0) -> Kernel:
        """Precompute the ``g``-free matrix for relative prior variances ``d0`` (length p).

        Bhattacharya form: columns with ``g_hint d0_j > FLAT_RATIO`` (nearly flat priors,
        at most ``n // 2`` of them) are kept out of ``X D0 X'`` and enter each factor by
        Woodbury (:class:`Kernel`); ``g_hint`` is the ``g`` the caller expects to use.
        """
        d0 = np.asarray(d0, dtype=np.float64)
        if self.use_rue:  # S X'X S is formed inside each (compiled) factorization
            return Kernel(self, d0, self.XtX, np.sqrt(d0))
        flat = _flat_columns(g_hint * d0, self.n // 2)
        d0_bulk = d0.copy()
        d0_bulk[flat] = 0.0
        # X D0 X' as a symmetric rank-p update: only the lower triangle, which is all the
        # Cholesky reads (timings: docs/sampling.md)
        xs_t = (self.X * np.sqrt(d0_bulk)).T  # (p, n), Fortran-ordered view for BLAS
        return Kernel(self, d0, dsyrk(1.0, xs_t, trans=1, lower=1), None, flat)


# prior variance over sigma^2 beyond which a column counts as nearly flat: kept out of
# I + g X D0 X', whose condition number grows as g d0 ||x||^2 (Cholesky fails near 1e16)
FLAT_RATIO = 1e6


def _flat_columns(gd: np.ndarray, max_count: int) -> np.ndarray:
    """Indices of the (at most ``max_count`` largest) entries of ``gd`` above ``FLAT_RATIO``."""
    flat = np.flatnonzero(gd > FLAT_RATIO)
    if flat.size > max_count:
        flat = flat[np.argsort(gd[flat])[-max_count:]]
    return flat


@dataclass
class Kernel:
    """The ``g``-free part of ``M`` for fixed ``d0``: ``X D0 X'`` (Bhattacharya, lower
    triangle only) or, Rue, ``X'X`` and ``s = sqrt(d0)`` (``S X'X S`` is formed in the compiled
    factorization, which at small ``p`` costs less than a second pass over it).

    ``flat`` (Bhattacharya only): columns ``B`` left out of ``K = X_S D0_S X_S'``, so that
    ``M = M_S + g X_B D0_B X_B'`` with a well-conditioned ``M_S = I + g K``.
    """

    data: LinearGaussian
    d0: np.ndarray
    K: np.ndarray  # X D0 X' (Bhattacharya) or X'X (Rue)
    s: np.ndarray | None  # sqrt(d0) (Rue only)
    flat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))

    def factor(self, g: float = 1.0) -> Factor:
        """Cholesky of ``I + g K`` with ``log det M`` and ``Q = y'M^{-1}y``."""
        if self.data.use_rue:
            return self._rue_factor(g)
        m = g * self.K
        m.flat[:: m.shape[0] + 1] += 1.0
        L, info = dpotrf(m, lower=1, clean=1, overwrite_a=1)  # raw LAPACK: tiny matrices
        if info != 0:
            # an eigenvalue of g K beyond ~1e16 swamps the others in rounding: a local scale
            # has run off to a numerically flat prior (seen when sigma -> 0 with p > n)
            raise np.linalg.LinAlgError(
                f"I + g K is not numerically positive definite (info={info}, largest prior "
                f"variance ratio {g * float(np.max(self.d0)):.3g}); with p >= n use a proper "
                "noise prior (sigma_prior='halfnormal'), which keeps sigma away from 0"
            )
        logdet = 2.0 * float(np.sum(np.log(np.diag(L))))
        h = dtrtrs(L, self.data.y, lower=1)[0]
        if self.flat.size:
            return FlatFactor.build(self, g, L, h, logdet)
        return Factor(self, g, L, h, logdet, max(float(h @ h), 1e-300))

    def _rue_factor(self, g: float) -> Factor:
        """``B = I + g S X'X S = L L'``, ``h = L^{-1} sqrt(g) S X'y``, ``log det M = log det B``
        (Sylvester) and ``Q = y'y - h'h`` (Woodbury), in one compiled call."""
        try:
            L, h, logdet, quad = _rue_cholesky(self.K, self.s, self.data.Xty, self.data.yty, g)
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError(
                f"I + g S X'X S is not numerically positive definite (largest prior variance "
                f"ratio {g * float(np.max(self.d0)):.3g})"
            ) from None
        # Q >= 0 mathematically; rounding can make the Woodbury difference slightly negative
        return Factor(self, g, L, h, logdet, max(quad, 1e-300))


@numba.njit(cache=True)
def _rue_cholesky(G, s, r, yty, g):
    """``(L, h, log det B, yty - h'h)`` of ``B = I + g S G S``, ``h = L^{-1} sqrt(g) S r``.

    One call per evaluation of the global scales' marginal: at ``p ~ 50`` the Python-level
    work around LAPACK (forming ``B``, the solve, the log-determinant) cost more than the
    Cholesky itself (docs/sampling.md).
    """
    p = s.size
    B = np.empty((p, p))
    for i in range(p):
        for j in range(p):
            B[i, j] = g * (s[i] * G[i, j] * s[j])
        B[i, i] += 1.0
    L = np.linalg.cholesky(B)
    sg = np.sqrt(g)
    h = np.empty(p)
    logdet = 0.0
    for i in range(p):
        logdet += np.log(L[i, i])
        acc = sg * s[i] * r[i]
        for k in range(i):
            acc -= L[i, k] * h[k]
        h[i] = acc / L[i, i]
    return L, h, 2.0 * logdet, yty - h @ h


@dataclass
class Factor:
    """A factorized ``M = I + g X D0 X'``; ``draw`` gives ``N(A^{-1}X'y, sigma^2 A^{-1})``."""

    kernel: Kernel
    g: float
    L: np.ndarray
    h: np.ndarray
    logdet: float
    quad: float

    def draw(self, sigma: float, rng: np.random.Generator) -> np.ndarray:
        data, d0 = self.kernel.data, self.kernel.d0
        if data.use_rue:
            z = rng.standard_normal(data.p)
            gamma = dtrtrs(self.L, self.h + sigma * z, lower=1, trans=1)[0]
            return np.sqrt(self.g * d0) * gamma
        gd = self.g * d0
        u = sigma * np.sqrt(gd) * rng.standard_normal(data.p)
        v = data.X @ u + sigma * rng.standard_normal(data.n)
        w = dpotrs(self.L, data.y - v, lower=1)[0]
        return u + gd * (data.X.T @ w)


@dataclass
class FlatFactor(Factor):
    """``M = M_S + X_B G_B X_B'`` with nearly flat columns ``B`` handled by Woodbury.

    With ``W = L_S^{-1} X_B`` (``M_S = L_S L_S'``) and ``C = G_B^{-1} + W'W`` (k x k)::

        log det M = log det M_S + log det G_B + log det C,
        Q = ||r||^2 + gamma' G_B^{-1} gamma,   C gamma = W'h_S,  r = h_S - W gamma,

    with ``h_S = L_S^{-1} y``: both terms of ``Q`` are non-negative, so no cancellation.
    ``draw`` is Bhattacharya et al.'s with ``beta_B`` solved first (derived from the same
    Woodbury identity)::

        beta_B = C^{-1} (W' L_S^{-1} e + sigma G_B^{-1/2} z_B),   e = y - X_S u_S - sigma z,
        beta_S = u_S + G_S X_S' M_S^{-1} (e - X_B beta_B),

    so the huge ``u_B`` never meets a tiny ``X_B' M^{-1}(.)`` (which cancels in the plain form).
    """

    Xb: np.ndarray | None = None
    W: np.ndarray | None = None
    LC: np.ndarray | None = None
    inv_gb: np.ndarray | None = None

    @classmethod
    def build(cls, kernel: Kernel, g: float, L: np.ndarray, h: np.ndarray, logdet_s: float):
        flat = kernel.flat
        inv_gb = 1.0 / (g * kernel.d0[flat])
        Xb = np.asfortranarray(kernel.data.X[:, flat])
        W = dtrtrs(L, Xb, lower=1)[0]
        C = W.T @ W
        C.flat[:: C.shape[0] + 1] += inv_gb
        LC, info = dpotrf(C, lower=1, clean=1, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"the nearly flat columns are collinear (info={info})")
        gamma = dpotrs(LC, W.T @ h, lower=1)[0]
        r = h - W @ gamma
        quad = float(r @ r) + float(gamma @ (inv_gb * gamma))
        logdet = (
            logdet_s - float(np.sum(np.log(inv_gb))) + 2.0 * float(np.sum(np.log(np.diag(LC))))
        )
        return cls(kernel, g, L, h, logdet, max(quad, 1e-300), Xb, W, LC, inv_gb)

    def draw(self, sigma: float, rng: np.random.Generator) -> np.ndarray:
        data, flat = self.kernel.data, self.kernel.flat
        gd = self.g * self.kernel.d0
        gd[flat] = 0.0  # G_S: the flat columns are drawn separately below
        u = sigma * np.sqrt(gd) * rng.standard_normal(data.p)
        e = data.y - data.X @ u - sigma * rng.standard_normal(data.n)
        t = dtrtrs(self.L, e, lower=1)[0]
        rhs = self.W.T @ t + sigma * np.sqrt(self.inv_gb) * rng.standard_normal(flat.size)
        beta_b = dpotrs(self.LC, rhs, lower=1)[0]
        w = dpotrs(self.L, e - self.Xb @ beta_b, lower=1)[0]
        beta = u + gd * (data.X.T @ w)
        beta[flat] = beta_b
        return beta


def draw_rue(XtX, Xty, d, sigma, rng):
    """One draw of ``N(A^{-1} X'y, sigma^2 A^{-1})``, ``A = X'X + diag(1/d)``, by Rue (2001).

    ``d`` holds the prior variances divided by ``sigma^2``; only ``X'X`` and ``X'y`` are needed.
    """
    data = LinearGaussian.from_gram(np.asarray(XtX, float), np.asarray(Xty, float))
    return data.kernel(d).factor(1.0).draw(sigma, rng)


def draw_bhattacharya(X, y, d, sigma, rng):
    """One draw of the same distribution by Bhattacharya, Chakraborty & Mallick (2016)."""
    return LinearGaussian(X, y, method="bhattacharya").kernel(d).factor(1.0).draw(sigma, rng)
