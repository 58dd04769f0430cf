"""Gibbs updates of the horseshoe+ prior (Bhadra, Datta, Polson & Willard 2017).

``beta_j ~ N(0, tau^2 lam_j^2)``, ``lam_j = eta_j nu_j`` with ``eta_j, nu_j ~ C+(0, 1)``
independent (so ``lam_j | eta_j ~ C+(0, eta_j)``), ``tau ~ C+(0, A)``. Given ``eta`` this is
a horseshoe whose ``j``-th local scale is ``nu_j ~ C+(0, 1)`` on a column scaled by ``eta_j``
(``x_j beta_j = (eta_j x_j) (beta_j / eta_j)``), so every move of
:class:`~shrinkage.inference.gibbs.horseshoe.HorseshoeUpdates` applies to ``nu``; and
``eta_j`` given ``lam_j`` (the only thing ``beta`` depends on) has a closed-form law
(:func:`eta_given_lam`). Instead of Makalic & Schmidt's auxiliary inverse-gamma layers (as in
bayesreg), the horseshoe's collapsed ``(nu_j, beta_j)`` sweep, its ``tau`` slice step on the
marginal with ``beta`` integrated out and its interweaving moves are reused.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

from shrinkage.inference.gibbs.horseshoe import HorseshoeUpdates
from shrinkage.inference.gibbs.updates import collapsed_gram_sweep, collapsed_local_sweep

__all__ = ["HorseshoePlusUpdates", "eta_given_lam"]


def _log_abs_expm1(x: np.ndarray) -> np.ndarray:
    """``log |e^x - 1|`` without overflow: ``max(x, 0) + log(1 - e^{-|x|})``."""
    return np.maximum(x, 0.0) + np.log(-np.expm1(-np.abs(x)))


def eta_given_lam(lam: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exact draw of ``eta_j | lam_j`` for ``eta_j ~ C+(0, 1)``, ``lam_j | eta_j ~ C+(0, eta_j)``.

    ``p(eta | lam) ∝ eta / ((1 + eta^2)(eta^2 + lam^2))``; with ``t = eta^2`` and
    ``L = lam^2``, ``p(t) ∝ 1/((1 + t)(t + L))``, whose CDF is
    ``F(t) = log(L (1 + t)/(t + L)) / log L``. Inverting at ``u ~ U(0, 1)`` with
    ``l = log L``: ``t = L (e^{u l} - 1) / (e^{u l} (e^{(1-u) l} - 1))`` (the limit
    ``u / (1 - u)`` at ``L = 1``), evaluated in logs so that no ``lam`` overflows.
    """
    u = rng.uniform(size=lam.shape)
    ell = 2.0 * np.log(lam)
    near = np.abs(ell) < 1e-12  # L = 1: t = u / (1 - u) (the ratio of expm1's is u/(1-u))
    ell_safe = np.where(near, 1.0, ell)
    log_t = (
        ell_safe
        + _log_abs_expm1(u * ell_safe)
        - u * ell_safe
        - _log_abs_expm1((1.0 - u) * ell_safe)
    )
    log_t = np.where(near, np.log(u) - np.log1p(-u), log_t)
    return np.exp(0.5 * log_t)


class HorseshoePlusUpdates(HorseshoeUpdates):
    """``beta_j ~ N(0, tau^2 eta_j^2 nu_j^2)``, ``eta_j, nu_j ~ C+(0, 1)``, ``tau ~ C+(0, A)``.

    ``A`` as for :class:`~shrinkage.inference.gibbs.horseshoe.HorseshoeUpdates`
    (``sigma_scaled``). State: ``tau``, ``lam = eta nu`` (what the horseshoe's global steps
    read: prior variances ``tau^2 lam^2``) and ``eta``. One sweep, after the horseshoe's
    ``tau`` (and ``sigma``) steps with ``beta`` integrated out:

    1. the collapsed ``(nu_j, beta_j)`` sweep given ``eta`` on the columns ``eta_j x_j``
       (:func:`~shrinkage.inference.gibbs.updates.collapsed_local_sweep`), then
       ``eta_j | lam_j`` exactly (:func:`eta_given_lam`; ``beta`` does not involve ``eta``
       given ``lam``), then ``sigma^2 | beta`` if sampled;
    2. ``tau`` with ``tau nu`` fixed, then with ``tau eta`` fixed (the horseshoe's
       :meth:`interweave_tau` with ``nu``, resp. ``eta``, as its ``C+(0, 1)`` local scale);
    3. the horseshoe's :meth:`noise_scale_move` with ``nu`` as its local scale.

    Each step leaves the posterior invariant exactly. Records ``tau`` (over ``sigma`` when
    sigma-scaled) and ``lam``, the model's variables (``eta`` is integrated out there).
    """

    name = "horseshoe_plus"
    defaults: ClassVar[dict[str, Any]] = {
        "global_scale": 1.0,
        "sigma_scaled": True,
        "local_sweeps": 1,
    }

    def init(self, rng):
        super().init(rng)  # lam ~ C+(0, 1): read as nu
        self.eta = np.abs(rng.standard_cauchy(self.p))
        self.lam = self.eta * self.lam

    def _as_horseshoe(self, local: str, move: Callable[[], Any]) -> Any:
        """Run a horseshoe move with ``nu`` or ``eta`` (``local``) as its ``C+(0, 1)`` scale.

        The other factor is held fixed; it enters the move only through ``tau lam``, which
        the move keeps or scales with ``tau`` as it would the horseshoe's ``tau lam``.
        """
        other = self.eta if local == "nu" else self.lam / self.eta
        self.lam = self.lam / other
        try:
            return move()
        finally:
            if local == "eta":
                self.eta = self.lam
            self.lam = self.lam * other

    def update(self, data, beta, sig, rng):
        fit = None
        for _ in range(int(self.params.get("local_sweeps", 1))):
            b, nu, rss, fit = self._sweep_given_eta(data, beta, sig.sigma2, rng)
            beta, self.lam = b * self.eta, nu * self.eta
            self.eta = eta_given_lam(self.lam, rng)
            if sig.sampled:
                self._sigma_given_beta(rss, sig, rng)
        scale = self._tau_scale(sig.sigma2)
        for local in ("nu", "eta"):
            self._as_horseshoe(local, lambda: self.interweave_tau(scale, rng))
        return self._as_horseshoe(
            "nu", lambda: self.noise_scale_move(data, beta, sig, rng, fit=fit)
        )

    def _sweep_given_eta(self, data, beta, s2, rng):
        """The collapsed ``(nu_j, beta_j / eta_j)`` sweep on the columns ``eta_j x_j``.

        Returns the new ``beta / eta`` and ``nu``, the residual sum of squares and ``X beta``
        (None out of core, where the sweep runs from ``diag(eta) X'X diag(eta)`` and
        ``diag(eta) X'y``: the same conditionals).
        """
        eta, tau2 = self.eta, self.tau**2 / s2
        if data.X is None:
            scaled = SimpleNamespace(XtX=data.XtX * np.outer(eta, eta), Xty=data.Xty * eta,
                                     yty=data.yty)  # fmt: skip
            b, nu, rss = collapsed_gram_sweep(scaled, beta / eta, self.lam / eta, s2, tau2, rng)
            return b, nu, rss, None
        b, nu, resid = collapsed_local_sweep(
            data.Xf * eta, data.y, beta / eta, self.lam / eta, s2, tau2, rng,
            col_sq=data.col_sq * eta**2,
        )  # fmt: skip
        return b, nu, float(resid @ resid), data.y - resid
