"""Gibbs updates of the R2D2 prior (Zhang, Naughton, Bondell & Reich 2022), normal kernel.

``R^2 ~ Beta(a, b)``, ``W = R^2/(1 - R^2)``, ``phi ~ Dirichlet(alpha)``,
``beta_j | sigma ~ N(0, sigma^2 W phi_j)``. When ``sum(alpha) = a`` (Zhang et al.'s choice
``alpha_j = a / p``) the local variances are independent: ``W ~ BetaPrime(a, b)`` is
``G / xi`` with ``G ~ Gamma(a, 1)``, ``xi ~ Gamma(b, 1)``, and ``g_j = G phi_j ~ Gamma(alpha_j,
1)`` independently of each other and of ``xi``, so ``W phi_j = g_j / xi`` and

* ``xi | g, beta, sigma ~ Gamma(b + p/2, rate 1 + sum_j beta_j^2 / (2 sigma^2 g_j))``,
* ``g_j | xi, beta_j, sigma ~ GIG(alpha_j - 1/2, psi = 2, chi = xi beta_j^2 / sigma^2)``,
  density ``∝ g^(alpha_j - 3/2) exp(-g - chi / (2 g))``.

The GIG draw is an exact two-variable slice step (:func:`gig_slice`). Other concentrations
have no standard conditionals: the prior's ``gibbs_params`` refuses them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from shrinkage.inference.gibbs.priors import Updates

__all__ = ["R2D2Updates", "gig_slice"]


def gig_slice(
    g: np.ndarray, lam: np.ndarray, chi: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Exact slice update of ``g`` with ``p(g) ∝ g^(lam - 1) exp(-g - chi / (2 g))``.

    Auxiliary ``u1 ~ U(0, exp(-chi/(2g)))`` and ``u2 ~ U(0, exp(-g))`` restrict ``g`` to
    ``(L, U) = (chi / (2 (-log u1)), -log u2)``, on which the rest, ``g^(lam - 1)``, has a
    closed-form inverse CDF (log-uniform when ``lam = 0``). Vectorized over coordinates.
    """
    chi = np.maximum(chi, 1e-300)  # exact zeros of beta have probability 0
    e1 = rng.exponential(size=g.shape)  # -log u1 - chi/(2g) ~ Exp(1)
    e2 = rng.exponential(size=g.shape)
    log_lo = np.log(chi) - np.log(2.0) - np.log(chi / (2.0 * g) + e1)
    log_hi = np.log(g + e2)
    v = rng.uniform(size=g.shape)
    log_lo = np.minimum(log_lo, log_hi)  # L < g < U holds exactly; guards rounding
    out = np.empty_like(g)
    zero = np.abs(lam) < 1e-12
    out[zero] = log_lo[zero] + v[zero] * (log_hi[zero] - log_lo[zero])
    nz = ~zero
    lz, lo, hi, vz = lam[nz], log_lo[nz], log_hi[nz], v[nz]
    # g^lam = (1 - v) L^lam + v U^lam, in logs (either term may dominate)
    out[nz] = np.logaddexp(lz * lo + np.log1p(-vz), lz * hi + np.log(vz)) / lz
    return np.clip(np.exp(out), np.exp(log_lo), np.exp(log_hi))


class R2D2Updates(Updates):
    """R2D2 with ``sum(concentration) = a``: state ``g`` (p), ``xi``; variances ``g / xi``
    relative to ``sigma^2``. Records ``r2 = W / (1 + W)`` and ``phi = g / sum(g)``,
    ``W = sum(g) / xi``. Exact, but it mixes well only when the concentrations are not tiny
    (few features): ``sampler="auto"`` never picks it (:attr:`auto`)."""

    name = "r2d2"
    defaults: ClassVar[dict[str, Any]] = {"concentration": None, "b": 1.0}
    sigma_scaled = True
    auto = False  # it mixes badly when p > n (measured: docs/prior-to-penalty.md)

    def __init__(self, p: int, groups: np.ndarray | None, params: dict) -> None:
        super().__init__(p, groups, params)
        conc = np.broadcast_to(np.asarray(params["concentration"], dtype=float), (p,))
        if conc.shape != (p,) or np.any(~np.isfinite(conc)) or np.any(conc <= 0):
            raise ValueError("concentration must be positive and finite, one per coefficient")
        self.alpha = np.array(conc)

    def init(self, rng):
        self.g = rng.gamma(self.alpha)
        self.xi = rng.gamma(self.params["b"])

    def variances(self):
        return self.g / self.xi

    def update(self, data, beta, sig, rng):
        b2 = beta**2 / sig.sigma2
        self.g = gig_slice(self.g, self.alpha - 0.5, self.xi * b2, rng)
        self.g = np.maximum(self.g, 1e-300)
        self.xi = rng.gamma(self.params["b"] + 0.5 * self.p) / (1.0 + 0.5 * np.sum(b2 / self.g))
        return beta

    def record(self, sig):
        w = self.g.sum() / self.xi
        return {"r2": w / (1.0 + w), "phi": self.g / self.g.sum()}
