"""Gibbs updates of the R2D2 prior (Zhang, Naughton, Bondell & Reich 2022), normal kernel.

``R^2 ~ Beta(a, b)``, ``W = R^2/(1 - R^2) ~ BetaPrime(a, b)``, ``phi ~ Dirichlet(alpha)``,
``beta_j | sigma ~ N(0, sigma^2 W phi_j)``, for any concentration ``alpha`` (brms's default
0.5 per coefficient among them). The Dirichlet is written as normalized gammas,
``phi_j = g_j / T`` with ``g_j ~ Gamma(alpha_j, 1)`` independent and ``T = sum(g)``, and the
state is ``(t, g)`` with ``t^2 = W / T``, so that ``beta_j | sigma ~ N(0, sigma^2 t^2 g_j)``: the
horseshoe's layout with ``tau = sigma t`` and ``lam_j = sqrt(g_j)``. The prior of that state is

    p(t, g) = BetaPrime(t^2 T; a, b) * 2 t T * prod_j Gamma(g_j; alpha_j, 1),

(``2 t T = dW/dt``), and every move of
:class:`~shrinkage.inference.gibbs.horseshoe.HorseshoeUpdates` applies with two changes:

* the collapsed ``(lam_j, beta_j)`` sweep uses ``log p(g_j | g_{-j}, t)``, whose coupling
  through ``T`` is O(1) per coordinate (:class:`~.updates.R2D2Local`);
* the move with ``tau lam`` fixed is exact: in the coordinates ``(W, phi, T)`` the prior
  factorizes and ``T ~ Gamma(sum(alpha), 1)`` does not enter the likelihood, so ``T`` is
  redrawn from that law with ``W`` and ``phi`` held.

Each ``g_j`` is kept at or above ``R2D2_G_MIN = 1e-300`` (the prior is truncated there: with a
tiny concentration ``log g_j`` reaches below double precision's range; the prior mass cut off,
``<= 1e-300^alpha / Gamma(1 + alpha)``, is below 1e-14 for ``alpha >= 0.05``, and such a
``beta_j`` has prior sd below ``1e-150 sigma t`` either way).

``t`` is slice-sampled on its marginal with ``beta`` (and ``sigma^2``) integrated out, as the
horseshoe's ``tau``. With Zhang et al.'s ``sum(alpha) = a`` the old closed-form conditionals
(GIG) would apply too; this set does not need them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaincc, gammainccinv

from shrinkage.inference.gibbs.horseshoe import HorseshoeUpdates
from shrinkage.inference.gibbs.updates import R2D2_G_MIN, R2D2Local

__all__ = ["R2D2Updates"]

# the moves that set g directly keep it strictly inside the support, so that rounding never puts
# the slice step's starting point at log density -inf (where it could not move)
_G_INSIDE = R2D2_G_MIN * (1.0 + 1e-9)


class R2D2Updates(HorseshoeUpdates):
    """R2D2 prior: state ``tau = sigma t`` and ``lam = sqrt(g)`` (module docstring).

    Records ``r2 = W / (1 + W)``, ``phi = g / T`` and ``phi_g = g`` (the gammas the model
    normalizes into ``phi``: ``(t, g)`` and ``(r2, phi_g)`` are one-to-one, so these are
    draws of the model's free variables). Burn-in and thinning are the horseshoe's (``default_tune``,
    ``default_thin``); docs/sampling.md has their check on benchmark cases (a) and (b).
    """

    name = "r2d2"
    defaults: ClassVar[dict[str, Any]] = {
        "concentration": 0.5,
        "a": 1.0,
        "b": 1.0,
        "global_scale": 1.0,  # t's own scale is set by (a, b, T): the horseshoe moves read 1
        "sigma_scaled": True,
        "local_sweeps": 1,
    }

    def __init__(self, p: int, groups: np.ndarray | None, params: dict) -> None:
        super().__init__(p, groups, params)
        conc = np.broadcast_to(np.asarray(params["concentration"], dtype=float), (p,))
        if np.any(~np.isfinite(conc)) or np.any(conc <= 0):
            raise ValueError("concentration must be positive and finite, one per coefficient")
        self.alpha = np.array(conc)
        self.a, self.b = float(params["a"]), float(params["b"])
        if not (self.a > 0 and self.b > 0 and self.sigma_scaled):
            raise ValueError("R2D2 needs a, b > 0 and sigma_scaled=True (W is over sigma^2)")

    def init(self, rng):
        # g = G U^(1/alpha), G ~ Gamma(alpha + 1): in logs, as tiny shapes underflow
        log_g = np.log(rng.gamma(self.alpha + 1.0)) + np.log(rng.uniform(size=self.p)) / self.alpha
        g = np.exp(np.maximum(log_g, np.log(_G_INSIDE)))
        w = rng.gamma(self.a) / rng.gamma(self.b)
        self.lam = np.sqrt(g)
        self.tau = float(np.sqrt(w / g.sum()))
        self.c2 = np.inf
        self.n_evals = 0

    def _local_prior(self) -> R2D2Local:
        return R2D2Local(self.a, self.b, self.alpha)

    def _log_tau_prior(self, tau: float, sigma2: float) -> float:
        """``log p(tau | sigma, g) = log BetaPrime(W) + log(t T) - log(sigma)``, ``t = tau/sigma``,
        ``W = t^2 T`` (the constant ``log 2`` dropped)."""
        log_s = 0.5 * np.log(sigma2)
        log_t = np.log(tau) - log_s
        log_total = np.log(np.sum(self.lam**2))
        log_w = 2.0 * log_t + log_total
        return (
            (self.a - 1.0) * log_w
            - (self.a + self.b) * np.logaddexp(0.0, log_w)
            + (log_t + log_total - log_s)
        )

    def interweave_tau(self, scale, rng):
        """Redraw ``T ~ Gamma(sum(alpha), 1)`` with ``W`` and ``phi`` (so ``tau lam``) held.

        On the support ``g_j = T phi_j >= R2D2_G_MIN`` the law is truncated to
        ``T >= R2D2_G_MIN / min(phi)``: drawn exactly by inverting its upper tail.
        """
        g = self.lam**2
        total = g.sum()
        shape = self.alpha.sum()
        lower = _G_INSIDE * total / g.min()
        new = gammainccinv(shape, rng.uniform() * gammaincc(shape, lower))
        self.lam = self.lam * np.sqrt(new / total)
        self.tau = float(self.tau * np.sqrt(total / new))

    def record(self, sig):
        g = self.lam**2
        w = float((self.tau**2 / sig.sigma2) * g.sum())
        return {"r2": w / (1.0 + w), "phi": g / g.sum(), "phi_g": g}
