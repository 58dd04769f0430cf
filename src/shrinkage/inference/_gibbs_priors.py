"""Scale-mixture priors for the Gibbs sampler: state, conditional updates, recorded variables.

Each prior writes the prior variance of ``beta_j`` as ``sigma^2 * v_j`` (``sigma_scaled``) or
``v_j`` (not sigma-scaled) with ``v`` a function of its scales, and provides

* ``factor(data, sigma2_fixed, rng)`` (sigma-scaled priors): update the global scale(s) from
  their marginal with ``beta`` (and ``sigma^2`` unless fixed) integrated out, and return the
  :class:`~shrinkage.inference._gibbs_draws.Factor` of the current variances, from which
  ``sigma^2`` and ``beta`` are then drawn exactly;
* ``variances()`` (``v``), ``update(beta, sigma2, rng)`` (local scales and hyper-parameters
  given ``beta``), ``record()`` (the variables named in docs/conventions.md).

Log-target of the global-scale update (Johndrow, Orenstein & Bhattacharya 2020), with
``M = I + X diag(v) X'`` and ``Q = y'M^{-1}y`` on data rotated onto ``1``-perp (the flat
intercept integrated out: ``n - 1`` rows), Jeffreys ``p(sigma^2) ∝ 1/sigma^2``::

    log p(tau | lam, y) = -log det(M)/2 - (n - 1)/2 log Q + log p(tau) + const,

or ``-log det(M)/2 - Q/(2 sigma^2) + log p(tau)`` when ``sigma`` is fixed.
"""

from __future__ import annotations

import numpy as np

from shrinkage.inference._gibbs_draws import Factor, LinearGaussian
from shrinkage.inference._gibbs_updates import (
    collapsed_local_sweep,
    halfcauchy_precision_slice,
    slice_sample,
)


def _marginal_loglik(fac: Factor, n_eff: int, sigma2_fixed: float | None) -> float:
    if sigma2_fixed is None:
        return -0.5 * fac.logdet - 0.5 * n_eff * np.log(fac.quad)
    return -0.5 * fac.logdet - 0.5 * fac.quad / sigma2_fixed


def _log_halfcauchy(x: float, scale: float) -> float:
    return -np.log1p((x / scale) ** 2)


def _wald_precision(norm_beta, sigma2, lam2, rng):
    """``1/t ~ InvGaussian(sqrt(lam^2 sigma^2 / ||beta||^2), lam^2)``: the lasso mixing update."""
    norm_beta = np.maximum(norm_beta, 1e-150)  # exact zeros have probability 0
    return rng.wald(np.sqrt(lam2 * sigma2) / norm_beta, lam2)


def _init_lambda2(params, rng):
    lam = params["lasso_lambda"]
    return lam**2 if lam is not None else rng.gamma(params["r"]) / params["delta"]


def _record_lambda(params, lam2):
    return {} if params["lasso_lambda"] is not None else {"lasso_lambda": np.sqrt(lam2)}


class Prior:
    """Base class: fixed-variance behaviour shared by all priors."""

    sigma_scaled = True
    tau_width = 1.0  # slice width on log tau

    def __init__(self, p: int, groups: np.ndarray | None, params: dict) -> None:
        self.p, self.groups = p, groups
        self.params = params

    def init(self, rng: np.random.Generator) -> None:
        """Draw a dispersed starting state."""

    def variances(self) -> np.ndarray:
        raise NotImplementedError

    def factor(self, data: LinearGaussian, sigma2_fixed, rng) -> Factor:
        return data.kernel(self.variances()).factor(1.0)

    def update(
        self, data: LinearGaussian, beta: np.ndarray, sigma2: float, rng: np.random.Generator
    ) -> np.ndarray:
        """Update local scales and hyper-parameters given ``beta`` and ``sigma^2``.

        Returns ``beta``, which priors with a collapsed (lam_j, beta_j) sweep redraw.
        """
        return beta

    def record(self) -> dict[str, np.ndarray | float]:
        return {}

    def stats(self) -> dict[str, float]:
        return {}


class Gaussian(Prior):
    """``beta_j ~ N(0, scale^2)``, or ``N(0, sigma^2 scale^2)`` with ``sigma_scaled=True``."""

    def __init__(self, p, groups, params):
        super().__init__(p, groups, params)
        self.sigma_scaled = bool(params["sigma_scaled"])

    def variances(self):
        return np.full(self.p, self.params["scale"] ** 2)


class Laplace(Prior):
    """``beta_j ~ Laplace(0, b)``, not sigma-scaled: ``N(0, s_j)``, ``s_j ~ Exp(rate 1/(2b^2))``.

    Conditional: ``1/s_j | beta_j ~ InvGaussian(1/(b |beta_j|), 1/b^2)``.
    """

    sigma_scaled = False

    def init(self, rng):
        self.s = rng.exponential(2.0 * self.params["b"] ** 2, size=self.p)

    def variances(self):
        return self.s

    def update(self, data, beta, sigma2, rng):
        lam2 = 1.0 / self.params["b"] ** 2
        self.s = 1.0 / _wald_precision(np.abs(beta), 1.0, lam2, rng)
        return beta


class BayesianLasso(Prior):
    """Park & Casella (2008): ``beta_j | sigma, t_j ~ N(0, sigma^2 t_j)``, ``t_j ~ Exp(lam^2/2)``.

    Marginally ``beta_j | sigma ~ Laplace(0, sigma/lambda)``. ``lambda`` fixed
    (``lasso_lambda``) or ``lambda^2 ~ Gamma(r, rate delta)``, whose conditional is
    ``Gamma(r + p, delta + sum t_j / 2)``.
    """

    def init(self, rng):
        self.lam2 = _init_lambda2(self.params, rng)
        self.t = rng.exponential(2.0 / self.lam2, size=self.p)

    def variances(self):
        return self.t

    def update(self, data, beta, sigma2, rng):
        self.t = 1.0 / _wald_precision(np.abs(beta), sigma2, self.lam2, rng)
        if self.params["lasso_lambda"] is None:
            rate = self.params["delta"] + 0.5 * self.t.sum()
            self.lam2 = rng.gamma(self.params["r"] + self.p) / rate
        return beta

    def record(self):
        return _record_lambda(self.params, self.lam2)


class GroupLasso(Prior):
    """Kyung, Gill, Ghosh & Casella (2010) Bayesian group lasso.

    ``beta_g | sigma, t_g ~ N(0, sigma^2 t_g I)``, ``t_g ~ Gamma((m_g + 1)/2, rate lambda_g^2/2)``
    with ``lambda_g = lambda w_g`` (default ``w_g = sqrt(m_g)``), so that marginally
    ``p(beta | sigma) ∝ exp(-(lambda/sigma) sum_g w_g ||beta_g||_2)``. Conditional
    ``1/t_g ~ InvGaussian(lambda_g sigma / ||beta_g||, lambda_g^2)``; with
    ``lambda^2 ~ Gamma(r, rate delta)``, ``lambda^2 | t ~ Gamma(r + sum (m_g+1)/2,
    delta + sum w_g^2 t_g / 2)``.
    """

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

    def update(self, data, beta, sigma2, rng):
        norms = np.sqrt(np.bincount(self.groups, weights=beta**2, minlength=self.sizes.size))
        self.t = 1.0 / _wald_precision(norms, sigma2, self.lam2 * self.w2, rng)
        if self.params["lasso_lambda"] is None:
            shape = self.params["r"] + 0.5 * np.sum(self.sizes + 1)
            rate = self.params["delta"] + 0.5 * np.sum(self.w2 * self.t)
            self.lam2 = rng.gamma(shape) / rate
        return beta

    def record(self):
        return _record_lambda(self.params, self.lam2)


class Horseshoe(Prior):
    """``beta_j ~ N(0, sigma^2 tau^2 lam_j^2)``, ``lam_j ~ C+(0, 1)``, ``tau ~ C+(0, tau0)``.

    ``tau0`` is ``global_scale``.

    ``tau``: slice sampling of ``log tau`` on its marginal with ``beta`` and ``sigma^2``
    integrated out (the kernel ``X diag(lam^2) X'`` is built once per sweep, each evaluation is
    one small Cholesky). ``(lam_j, beta_j)``: a single-site collapsed sweep (``log lam_j``
    slice-sampled with ``beta_j`` integrated out, then ``beta_j``), which replaces Makalic &
    Schmidt's auxiliary inverse-gamma layer and breaks the ``beta_j``-``lam_j`` coupling near
    zero. ``tau`` is also moved with ``tau lam_j`` held fixed (:meth:`interweave_tau`).
    """

    def init(self, rng):
        self.tau = self.params["global_scale"] * np.exp(rng.normal())
        self.lam = np.abs(rng.standard_cauchy(self._n_local()))

    def _n_local(self):
        return self.p

    def _local_var(self):
        return self.lam**2

    def variances(self):
        return self.tau**2 * self._local_var()

    def factor(self, data, sigma2_fixed, rng):
        kern = data.kernel(self._local_var())
        n_eff, scale = data.n, self.params["global_scale"]

        def logp(x):
            fac = kern.factor(np.exp(2.0 * x))
            lp = _marginal_loglik(fac, n_eff, sigma2_fixed)
            return lp + _log_halfcauchy(np.exp(x), scale) + x, fac

        x, fac, self.n_evals = slice_sample(logp, np.log(self.tau), self.tau_width, rng)
        self.tau = float(np.exp(x))
        return fac

    def update(self, data, beta, sigma2, rng):
        beta, self.lam = collapsed_local_sweep(
            data.Xf, data.y, beta, self.lam, sigma2, self.tau**2, rng
        )
        self.interweave_tau(rng)
        return beta

    def interweave_tau(self, rng):
        """Update ``tau`` holding the products ``tau lam`` fixed (an ASIS-style move).

        In the parametrization ``lt = tau lam`` the likelihood does not involve ``tau``, so
        ``p(tau | lt) ∝ p(tau) prod_k tau^{-1} p_lam(lt_k / tau)``; slice-sampled on log tau
        (O(K) per evaluation). It complements the marginal update, which holds ``lam`` fixed;
        measured on n=100, p=200 it raised the ESS of tau several-fold at no visible cost.
        """
        lt2 = (self.tau * self.lam) ** 2
        k, scale = lt2.size, self.params["global_scale"]

        def logp(x):
            lp = _log_halfcauchy(np.exp(x), scale) + (1 - k) * x
            return lp - np.sum(np.log1p(lt2 * np.exp(-2.0 * x))), None

        x, _, _ = slice_sample(logp, np.log(self.tau), self.tau_width, rng)
        tau = float(np.exp(x))
        self.lam = self.lam * (self.tau / tau)
        self.tau = tau

    def record(self):
        return {"tau": self.tau, "lam": self.lam}

    def stats(self):
        return {"slice_evals": self.n_evals}


class GroupHorseshoe(Horseshoe):
    """``beta_j ~ N(0, sigma^2 tau^2 lam_g^2)`` for ``j`` in group ``g``; ``lam_g``, ``tau`` C+.

    Conditional of ``eta_g = 1/lam_g^2``: ``∝ eta^{(m_g+1)/2 - 1} exp(-eta ||beta_g||^2 /
    (2 sigma^2 tau^2)) / (1 + eta)``, updated by the same exact slice step.
    """

    def __init__(self, p, groups, params):
        super().__init__(p, groups, params)
        self.sizes = np.bincount(groups).astype(float)

    def _n_local(self):
        return self.sizes.size

    def _local_var(self):
        return self.lam[self.groups] ** 2

    def update(self, data, beta, sigma2, rng):
        ss = np.bincount(self.groups, weights=beta**2, minlength=self.sizes.size)
        rate = ss / (2.0 * sigma2 * self.tau**2)
        shape = 0.5 * (self.sizes + 1.0)
        self.lam = 1.0 / np.sqrt(halfcauchy_precision_slice(1.0 / self.lam**2, shape, rate, rng))
        self.interweave_tau(rng)
        return beta


class RegularizedHorseshoe(Horseshoe):
    """Piironen & Vehtari (2017), sigma-scaled: ``beta_j ~ N(0, sigma^2 tau^2 lt_j^2)``.

    ``lt_j^2 = c^2 lam_j^2 / (c^2 + tau^2 lam_j^2)``, ``lam_j ~ C+(0, 1)``,
    ``tau ~ C+(0, global_scale)``, ``c^2 ~ InvGamma(slab_df/2, slab_df slab_scale^2 / 2)``; the
    slab ``c`` is in units of ``sigma`` like ``tau``. ``tau``: slice on its marginal (beta,
    sigma^2 integrated out, one kernel per evaluation); ``(lam_j, beta_j)``: the collapsed sweep of
    :class:`Horseshoe`; ``log c^2``: slice sampling of its conditional given ``beta``.
    """

    def init(self, rng):
        super().init(rng)
        a, b = self._slab()
        self.c2 = b / rng.gamma(a)

    def _slab(self):
        df, s = self.params["slab_df"], self.params["slab_scale"]
        return 0.5 * df, 0.5 * df * s**2

    def _v(self, tau):
        lam2 = self.lam**2
        return 1.0 / (1.0 / (tau**2 * lam2) + 1.0 / self.c2)

    def variances(self):
        return self._v(self.tau)

    def factor(self, data, sigma2_fixed, rng):
        n_eff, scale = data.n, self.params["global_scale"]

        def logp(x):
            fac = data.kernel(self._v(np.exp(x))).factor(1.0)
            lp = _marginal_loglik(fac, n_eff, sigma2_fixed)
            return lp + _log_halfcauchy(np.exp(x), scale) + x, fac

        x, fac, self.n_evals = slice_sample(logp, np.log(self.tau), self.tau_width, rng)
        self.tau = float(np.exp(x))
        return fac

    def update(self, data, beta, sigma2, rng):
        beta, self.lam = collapsed_local_sweep(
            data.Xf, data.y, beta, self.lam, sigma2, self.tau**2, rng, c2=self.c2
        )
        b2 = beta**2 / sigma2
        a, b = self._slab()
        inv_tl2 = 1.0 / (self.tau**2 * self.lam**2)

        def logp(x):
            t = inv_tl2 + np.exp(-x)
            lp = np.sum(0.5 * np.log(t) - 0.5 * b2 * t)
            return lp - a * x - b * np.exp(-x), None  # InvGamma(a, b) on exp(x), with Jacobian

        x, _, _ = slice_sample(logp, np.log(self.c2), 2.0, rng)
        self.c2 = float(np.exp(x))
        self.interweave_tau(rng)
        return beta

    def record(self):
        return {"tau": self.tau, "lam": self.lam, "c2": self.c2}


PRIORS: dict[str, type[Prior]] = {
    "gaussian": Gaussian,
    "laplace": Laplace,
    "bayesian_lasso": BayesianLasso,
    "horseshoe": Horseshoe,
    "regularized_horseshoe": RegularizedHorseshoe,
    "group_lasso": GroupLasso,
    "group_horseshoe": GroupHorseshoe,
}

# default parameters; None means "estimated" (lasso_lambda) or "default weights"
DEFAULTS: dict[str, dict] = {
    "gaussian": {"scale": 1.0, "sigma_scaled": False},
    "laplace": {"b": 1.0},
    "bayesian_lasso": {"lasso_lambda": None, "r": 1.0, "delta": 1.78},
    "horseshoe": {"global_scale": 1.0},
    "regularized_horseshoe": {"global_scale": 1.0, "slab_scale": 2.0, "slab_df": 4.0},
    "group_lasso": {"lasso_lambda": None, "r": 1.0, "delta": 1.78, "weights": None},
    "group_horseshoe": {"global_scale": 1.0},
}
GROUP_PRIORS = ("group_lasso", "group_horseshoe")
