"""Gibbs update sets: state, conditional updates and recorded variables of each prior.

An update set (a subclass of :class:`Updates`) samples the prior of the
:mod:`shrinkage.priors` class whose ``gibbs_updates`` equals its ``name``. This module holds the
base class and the conjugate sets (Gaussian, Laplace, elastic net, Bayesian lasso, group lasso);
:mod:`.horseshoe` holds the horseshoe family. Each prior writes the prior variance of ``beta_j`` as ``sigma^2 * v_j`` (``sigma_scaled``) or
``v_j`` (not sigma-scaled) with ``v`` a function of its scales, and provides

* ``step(data, sig, rng)``: update the global scale(s) from their marginal with ``beta``
  integrated out and, where that is exact, ``sigma^2`` (a :class:`~.sigma.Sigma`) too;
  return the :class:`~shrinkage.inference.linear_gaussian.Factor` of the current variances
  relative to ``sigma^2``, from which ``beta`` is then drawn exactly;
* ``sigma_done``: whether ``step`` updated ``sigma^2`` (otherwise the sampler draws it given
  ``beta`` after ``update``);
* ``update(data, beta, sig, rng)`` (local scales and hyper-parameters given ``beta``),
  ``record()`` (the variables named in the module doc of :mod:`.gibbs`).

Log-target of the global-scale update (Johndrow, Orenstein & Bhattacharya 2020), with
``M = I + X diag(v / sigma^2) X'`` and ``Q = y'M^{-1}y`` on data rotated onto ``1``-perp::

    log p(tau | lam, y) = -log det(M)/2 - N/2 log(Q + e2) + log p(tau) + const

when every scale is sigma-scaled and ``p(sigma^2) ∝ 1/sigma^2`` (``sigma^2`` integrated out),
otherwise ``-log det(M)/2 - Q/(2 sigma^2) + log p(tau | sigma)`` at the current ``sigma``,
followed by a slice update of ``log sigma^2`` on ``p(sigma^2 | tau, lam, y)`` (``beta``
integrated out; one Cholesky per evaluation). ``N``, ``e2``: see :mod:`.sigma`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from shrinkage.inference.gibbs.sigma import Sigma
from shrinkage.inference.linear_gaussian import Factor, LinearGaussian


def _wald_precision(norm_beta, sigma2, lam2, rng):
    """``1/t ~ InvGaussian(sqrt(lam^2 sigma^2 / ||beta||^2), lam^2)``: the lasso mixing update."""
    norm_beta = np.maximum(norm_beta, 1e-150)  # exact zeros have probability 0
    return rng.wald(np.sqrt(lam2 * sigma2) / norm_beta, lam2)


def _init_lambda2(params, rng):
    lam = params["lasso_lambda"]
    return lam**2 if lam is not None else rng.gamma(params["r"]) / params["delta"]


def _record_lambda(params, lam2):
    return {} if params["lasso_lambda"] is not None else {"lasso_lambda": np.sqrt(lam2)}


class Updates:
    """Base class of an update set; as is, priors without a global scale.

    ``name`` is the key of :func:`~shrinkage.inference.gibbs.core.gibbs_sample`'s ``prior``
    argument and equals the ``gibbs_updates`` attribute of the :mod:`shrinkage.priors` class
    it samples; ``defaults`` are its ``prior_params`` (None: estimated or default weights);
    ``needs_groups``: whether it takes a group label per column.
    """

    name: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]
    needs_groups: ClassVar[bool] = False
    sigma_scaled = True
    tau_width = 1.0  # slice width on log tau
    default_thin = 1  # sweeps per kept draw when the caller does not say
    default_tune = 1000  # discarded warm-up sweeps when the caller does not say
    auto = True  # whether sampler="auto" may pick this set (prefer_gibbs)

    def __init__(self, p: int, groups: np.ndarray | None, params: dict) -> None:
        self.p, self.groups = p, groups
        self.params = params
        if "sigma_scaled" in params:
            self.sigma_scaled = bool(params["sigma_scaled"])

    @property
    def sigma_done(self) -> bool:
        return self.sigma_scaled

    def init(self, rng: np.random.Generator) -> None:
        """Draw a dispersed starting state."""

    def variances(self) -> np.ndarray:
        """``v``: prior variances of ``beta`` (relative to ``sigma^2`` if sigma-scaled)."""
        raise NotImplementedError

    def step(self, data: LinearGaussian, sig: Sigma, rng: np.random.Generator) -> Factor:
        if self.sigma_scaled:  # sigma^2 | scales with beta integrated out, then beta
            fac = data.kernel(self.variances()).factor(1.0)
            sig.draw(fac.quad, rng)
            return fac
        return data.kernel(self.variances() / sig.sigma2).factor(1.0)

    def update(
        self, data: LinearGaussian, beta: np.ndarray, sig: Sigma, rng: np.random.Generator
    ) -> np.ndarray:
        """Update local scales and hyper-parameters given ``beta`` and ``sigma^2``.

        Returns ``beta``, which priors with a collapsed (lam_j, beta_j) sweep redraw.
        """
        return beta

    def _s2(self, sig: Sigma) -> float:
        """``sigma^2`` in the mixing updates (1 when the prior is not sigma-scaled)."""
        return sig.sigma2 if self.sigma_scaled else 1.0

    def record(self, sig: Sigma) -> dict[str, np.ndarray | float]:
        return {}

    def stats(self) -> dict[str, float]:
        return {}


class GaussianUpdates(Updates):
    """``beta_j ~ N(0, scale^2)``, or ``N(0, sigma^2 scale^2)`` with ``sigma_scaled=True``."""

    name = "gaussian"
    defaults: ClassVar[dict[str, Any]] = {"scale": 1.0, "sigma_scaled": False}

    def variances(self):
        return np.full(self.p, self.params["scale"] ** 2)


class LaplaceUpdates(Updates):
    """``beta_j ~ Laplace(0, b)``, not sigma-scaled: ``N(0, s_j)``, ``s_j ~ Exp(rate 1/(2b^2))``.

    Conditional: ``1/s_j | beta_j ~ InvGaussian(1/(b |beta_j|), 1/b^2)``.
    """

    name = "laplace"
    defaults: ClassVar[dict[str, Any]] = {"b": 1.0}
    sigma_scaled = False

    def init(self, rng):
        self.s = rng.exponential(2.0 * self.params["b"] ** 2, size=self.p)

    def variances(self):
        return self.s

    def update(self, data, beta, sig, rng):
        lam2 = 1.0 / self.params["b"] ** 2
        self.s = 1.0 / _wald_precision(np.abs(beta), 1.0, lam2, rng)
        return beta


class ElasticNetUpdates(Updates):
    """``p(beta_j) ∝ exp(-|beta_j|/b - beta_j^2/(2 t^2))``, not sigma-scaled.

    The Laplace mixture times the Gaussian factor: ``beta_j | s_j ~ N(0, 1/(1/s_j + 1/t^2))``
    with ``s_j ~ Exp(rate 1/(2b^2))``. Integrating ``s_j`` out of
    ``N(beta_j; 0, s_j) Exp(s_j) exp(-beta_j^2/(2t^2))`` gives ``Laplace(beta_j; b)`` times
    ``exp(-beta_j^2/(2t^2))``, the prior. The factor ``exp(-beta_j^2/(2t^2))`` does not
    involve ``s_j``, so ``1/s_j | beta_j ~ InvGaussian(1/(b |beta_j|), 1/b^2)`` as for the
    Laplace prior.
    """

    name = "elastic_net"
    defaults: ClassVar[dict[str, Any]] = {"b": 1.0, "t": 1.0}
    sigma_scaled = False

    def init(self, rng):
        self.s = rng.exponential(2.0 * self.params["b"] ** 2, size=self.p)

    def variances(self):
        return 1.0 / (1.0 / self.s + 1.0 / self.params["t"] ** 2)

    def update(self, data, beta, sig, rng):
        self.s = 1.0 / _wald_precision(np.abs(beta), 1.0, 1.0 / self.params["b"] ** 2, rng)
        return beta


class BayesianLassoUpdates(Updates):
    """Park & Casella (2008): ``beta_j | sigma, t_j ~ N(0, sigma^2 t_j)``, ``t_j ~ Exp(lam^2/2)``.

    Marginally ``beta_j | sigma ~ Laplace(0, sigma/lambda)``. ``lambda`` fixed
    (``lasso_lambda``) or ``lambda^2 ~ Gamma(r, rate delta)``, whose conditional is
    ``Gamma(r + p, delta + sum t_j / 2)``.
    """

    name = "bayesian_lasso"
    defaults: ClassVar[dict[str, Any]] = {"lasso_lambda": None, "r": 1.0, "delta": 1.78}

    def init(self, rng):
        self.lam2 = _init_lambda2(self.params, rng)
        self.t = rng.exponential(2.0 / self.lam2, size=self.p)

    def variances(self):
        return self.t

    def update(self, data, beta, sig, rng):
        self.t = 1.0 / _wald_precision(np.abs(beta), sig.sigma2, self.lam2, rng)
        if self.params["lasso_lambda"] is None:
            rate = self.params["delta"] + 0.5 * self.t.sum()
            self.lam2 = rng.gamma(self.params["r"] + self.p) / rate
        return beta

    def record(self, sig):
        return _record_lambda(self.params, self.lam2)


class GroupLassoUpdates(Updates):
    """Kyung, Gill, Ghosh & Casella (2010) Bayesian group lasso.

    ``beta_g | sigma, t_g ~ N(0, sigma^2 t_g I)``, ``t_g ~ Gamma((m_g + 1)/2, rate lambda_g^2/2)``
    with ``lambda_g = lambda w_g`` (default ``w_g = sqrt(m_g)``), so that marginally
    ``p(beta | sigma) ∝ exp(-(lambda/sigma) sum_g w_g ||beta_g||_2)``. Conditional
    ``1/t_g ~ InvGaussian(lambda_g sigma / ||beta_g||, lambda_g^2)``; with
    ``lambda^2 ~ Gamma(r, rate delta)``, ``lambda^2 | t ~ Gamma(r + sum (m_g+1)/2,
    delta + sum w_g^2 t_g / 2)``. With ``sigma_scaled=False`` read ``sigma = 1`` throughout.
    """

    name = "group_lasso"
    defaults: ClassVar[dict[str, Any]] = {
        "lasso_lambda": None,
        "r": 1.0,
        "delta": 1.78,
        "weights": None,
        "sigma_scaled": True,
    }
    needs_groups = True
    auto = False  # sampler="auto" keeps NUTS: Gibbs vs NUTS not measured for groups yet

    def __init__(self, p, groups, params):
        super().__init__(p, groups, params)
        self.sizes = np.bincount(groups).astype(float)
        w = params["weights"]
        self.w2 = self.sizes if w is None else np.asarray(w, dtype=float) ** 2

    def init(self, rng):
        self.lam2 = _init_lambda2(self.params, rng)
        self.t = rng.gamma(0.5 * (self.sizes + 1)) * 2.0 / (self.lam2 * self.w2)

    def variances(self):
        return self.t[self.groups]

    def update(self, data, beta, sig, rng):
        norms = np.sqrt(np.bincount(self.groups, weights=beta**2, minlength=self.sizes.size))
        self.t = 1.0 / _wald_precision(norms, self._s2(sig), self.lam2 * self.w2, rng)
        if self.params["lasso_lambda"] is None:
            shape = self.params["r"] + 0.5 * np.sum(self.sizes + 1)
            rate = self.params["delta"] + 0.5 * np.sum(self.w2 * self.t)
            self.lam2 = rng.gamma(shape) / rate
        return beta

    def record(self, sig):
        return _record_lambda(self.params, self.lam2)
