"""Log-concave priors: Gaussian (ridge), Laplace (lasso), Bayesian lasso, elastic net, group lasso.

Each has a convex penalty equivalent (:meth:`~shrinkage.priors.base.Prior.penalty`) and an exact
MAP (:func:`~shrinkage.inference.find_map`) and Gibbs updates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import erfcx

from shrinkage._validation import check_positive
from shrinkage.priors.base import (
    BuildContext,
    Prior,
    _check_sigma_n,
    _flat_with_sampler,
    _group_matrix,
    _loss_factor,
)

__all__ = [
    "BayesianLasso",
    "ElasticNet",
    "Gaussian",
    "GroupLasso",
    "Laplace",
    "multivariate_laplace_logp_numpy",
]


@dataclass(frozen=True)
class Gaussian(Prior):
    """Ridge prior: ``beta_j ~ Normal(0, scale)``.

    .. math:: p(\\beta_j) = \\frac{1}{\\sqrt{2\\pi}\\,s} \\exp\\!\\big(-\\beta_j^2 / (2 s^2)\\big)

    MAP at noise ``sigma`` = ridge, ``L2(alpha)`` with ``alpha = sigma^2 / (n s^2)``.
    """

    scale: float = 1.0
    penalty_name: ClassVar[str] = "L2"
    exact_map: ClassVar[bool] = True
    gibbs_updates: ClassVar[str] = "gaussian"
    multi_output: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_positive(self.scale, "scale"))

    def build(self, ctx: BuildContext):
        import pymc as pm

        return pm.Normal("beta", 0.0, self.scale, dims=ctx.dims)

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        return {"scale": self.scale, "sigma_scaled": False}

    def penalty_alpha(self, sigma: float, n: int, **kwargs: Any) -> dict[str, Any]:
        sigma, n = _check_sigma_n(sigma, n)
        return {"alpha": _loss_factor(sigma, n, kwargs.get("loss_scale")) / self.scale**2}


@dataclass(frozen=True)
class Laplace(Prior):
    """Lasso prior: ``beta_j ~ Laplace(0, scale)``.

    .. math:: p(\\beta_j) = \\frac{1}{2b} \\exp(-|\\beta_j| / b)

    MAP at noise ``sigma`` = lasso, ``L1(alpha)`` with ``alpha = sigma^2 / (n b)``.
    """

    scale: float = 1.0
    penalty_name: ClassVar[str] = "L1"
    exact_map: ClassVar[bool] = True
    gibbs_updates: ClassVar[str] = "laplace"
    multi_output: ClassVar[bool] = True
    nutpie_adaptation: ClassVar[str] = "draw_diag"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_positive(self.scale, "scale"))

    def build(self, ctx: BuildContext):
        import pymc as pm

        return pm.Laplace("beta", 0.0, self.scale, dims=ctx.dims)

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        return {"b": self.scale}

    def penalty_alpha(self, sigma: float, n: int, **kwargs: Any) -> dict[str, Any]:
        sigma, n = _check_sigma_n(sigma, n)
        return {"alpha": _loss_factor(sigma, n, kwargs.get("loss_scale")) / self.scale}


@dataclass(frozen=True)
class BayesianLasso(Prior):
    """Park & Casella (2008) Bayesian lasso, conditional on the noise scale.

    .. math::

        p(\\beta_j \\mid \\sigma, \\lambda) = \\frac{\\lambda}{2\\sigma}
            \\exp(-\\lambda |\\beta_j| / \\sigma), \\qquad
        \\lambda^2 \\sim \\mathrm{Gamma}(r, \\text{rate}=\\delta)

    or ``lambda`` fixed when ``lam`` is given. The free variable is ``lasso_lambda2``
    (``lambda^2``) with ``lasso_lambda`` its deterministic square root. For families without a
    noise scale ``sigma = 1``. MAP at ``sigma``: ``L1(alpha)`` with ``alpha = sigma lambda / n``
    (``lam`` must be fixed or passed as ``lam=``).
    """

    lam: float | None = None
    r: float = 1.0
    delta: float = 1.78
    penalty_name: ClassVar[str] = "L1"
    exact_map: ClassVar[bool] = True
    noise_scaled: ClassVar[bool] = True
    gibbs_updates: ClassVar[str] = "bayesian_lasso"
    nutpie_adaptation: ClassVar[str] = "draw_diag"

    def __post_init__(self) -> None:
        if self.lam is not None:
            object.__setattr__(self, "lam", check_positive(self.lam, "lam"))
        object.__setattr__(self, "r", check_positive(self.r, "r"))
        object.__setattr__(self, "delta", check_positive(self.delta, "delta"))

    def build(self, ctx: BuildContext):
        import pymc as pm

        if self.lam is None:
            lam2 = pm.Gamma("lasso_lambda2", alpha=self.r, beta=self.delta)
            lam = pm.Deterministic("lasso_lambda", pm.math.sqrt(lam2))
        else:
            lam = self.lam
        sigma = 1.0 if ctx.noise_sigma is None else ctx.noise_sigma  # documented: 1 without one
        return pm.Laplace("beta", 0.0, sigma / lam, dims=ctx.dims)

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        # sigma-scaled in both; lasso_lambda None: lambda^2 ~ Gamma(r, rate delta) is sampled
        return {"lasso_lambda": self.lam, "r": self.r, "delta": self.delta}

    def penalty_alpha(
        self, sigma: float, n: int, *, lam: float | None = None, **kwargs: Any
    ) -> dict[str, Any] | None:
        sigma, n = _check_sigma_n(sigma, n)
        lam = self.lam if lam is None else check_positive(lam, "lam")
        if lam is None:
            return None
        # -log prior = (lam / sigma) ||beta||_1: alpha = (c / n) lam / sigma (= sigma lam / n)
        return {"alpha": _loss_factor(sigma, n, kwargs.get("loss_scale")) * lam / sigma}


def _elastic_net_random(b, t, rng=None, size=None):
    """|x| is Normal(-t^2/b, t) truncated to x > 0 (complete the square); the sign is fair."""
    from scipy.stats import truncnorm

    b, t = np.asarray(b, float), np.asarray(t, float)
    mu = -(t**2) / b
    mag = truncnorm.rvs((0 - mu) / t, np.inf, loc=mu, scale=t, size=size, random_state=rng)
    sign = rng.choice(np.array([-1.0, 1.0]), size=np.shape(mag))
    return sign * mag


@dataclass(frozen=True)
class ElasticNet(Prior):
    """Elastic-net prior with L1 scale ``b`` and L2 scale ``t``.

    .. math::

        p(\\beta_j) = \\frac{1}{Z} \\exp\\!\\Big(-\\frac{|\\beta_j|}{b}
            - \\frac{\\beta_j^2}{2 t^2}\\Big), \\qquad
        Z = t \\sqrt{2\\pi}\\, \\mathrm{erfcx}\\!\\big(t / (\\sqrt{2}\\, b)\\big)

    (exactly normalized; ``erfcx(a) = exp(a^2) erfc(a)``). MAP at ``sigma``:
    ``ElasticNet(alpha, l1_ratio)`` with ``alpha l1_ratio = sigma^2/(n b)`` and
    ``alpha (1 - l1_ratio) = sigma^2/(n t^2)``.
    """

    l1_scale: float = 1.0
    l2_scale: float = 1.0
    penalty_name: ClassVar[str] = "ElasticNet"
    exact_map: ClassVar[bool] = True
    gibbs_updates: ClassVar[str] = "elastic_net"
    multi_output: ClassVar[bool] = True
    nutpie_adaptation: ClassVar[str] = "draw_diag"

    def __post_init__(self) -> None:
        object.__setattr__(self, "l1_scale", check_positive(self.l1_scale, "l1_scale"))
        object.__setattr__(self, "l2_scale", check_positive(self.l2_scale, "l2_scale"))

    def build(self, ctx: BuildContext):
        import pymc as pm
        import pytensor.tensor as pt

        from shrinkage.priors.potentials import l1_potential  # imports PyMC

        b, t = self.l1_scale, self.l2_scale
        beta = _flat_with_sampler("beta", _elastic_net_random, (b, t), ctx.dims)
        # the exact MAP needs the L1 half as a marked term and the ridge half as a smooth one;
        # the normalizer log Z sits with the ridge half, so the sum is the density above
        l1_potential("beta_l1", beta, b, normalize=False)
        log_z = math.log(t) + 0.5 * math.log(2 * math.pi) + math.log(erfcx(t / (math.sqrt(2) * b)))
        pm.Potential("beta_ridge", -pt.sum(beta**2) / (2 * t**2) - beta.size * log_z)
        return beta

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        return {"b": self.l1_scale, "t": self.l2_scale}

    def penalty_alpha(self, sigma: float, n: int, **kwargs: Any) -> dict[str, Any]:
        sigma, n = _check_sigma_n(sigma, n)
        factor = _loss_factor(sigma, n, kwargs.get("loss_scale"))
        a1 = factor / self.l1_scale
        a2 = factor / self.l2_scale**2
        return {"alpha": a1 + a2, "l1_ratio": a1 / (a1 + a2)}


def multivariate_laplace_logp_numpy(x: np.ndarray, b: float) -> float:
    """log density of ``exp(-||x||_2 / b)`` on R^m, normalized.

    ``Z = 2 pi^{m/2} Gamma(m) b^m / Gamma(m/2)`` (the radius is Gamma(m, scale=b)).
    """
    from scipy.special import gammaln

    x = np.asarray(x, float).ravel()
    m = x.size
    log_z = np.log(2) + 0.5 * m * np.log(np.pi) + gammaln(m) + m * np.log(b) - gammaln(m / 2)
    return float(-np.linalg.norm(x) / b - log_z)


@dataclass(frozen=True)
class GroupLasso(Prior):
    """Group lasso prior: a multivariate Laplace per group (Kyung et al. 2010).

    .. math::

        p(\\beta_g) = \\frac{\\Gamma(m_g/2)}{2 \\pi^{m_g/2} \\Gamma(m_g)\\, b_g^{m_g}}
            \\exp(-\\lVert \\beta_g \\rVert_2 / b_g), \\qquad b_g = \\text{scale} / \\sqrt{m_g}

    (``||beta_g||_2 ~ Gamma(m_g, scale=b_g)``; ``m_g`` = number of coefficients in the group).
    With the multi-output family a group is a feature's row of coefficients across outputs
    (times the features of a given group), the Bayesian ``MultiTaskLasso``.
    MAP at ``sigma``: ``GroupLasso(alpha, groups)`` with default weights ``sqrt(m_g)`` and
    ``alpha = sigma^2 / (n scale)``; multi-output with one feature per group:
    ``L21(alpha)`` with ``alpha = sigma^2 sqrt(k) / (n scale)``.
    """

    scale: float = 1.0
    penalty_name: ClassVar[str] = "GroupLasso"
    exact_map: ClassVar[bool] = True
    gibbs_updates: ClassVar[str] = "group_lasso"
    multi_output: ClassVar[bool] = True
    needs_groups: ClassVar[bool] = True
    nutpie_adaptation: ClassVar[str] = "draw_diag"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_positive(self.scale, "scale"))

    def group_scales(self, sizes: np.ndarray) -> np.ndarray:
        """``b_g = scale / sqrt(m_g)``."""
        return self.scale / np.sqrt(np.asarray(sizes, float))

    def build(self, ctx: BuildContext):
        from shrinkage.priors.potentials import group_l2_potential  # imports PyMC

        onehot, sizes = _group_matrix(ctx)
        b = self.group_scales(sizes)
        multi = ctx.n_outputs is not None

        def random(_template, rng=None, size=None):
            shape = (ctx.n_features, ctx.n_outputs) if multi else (ctx.n_features,)
            lead = () if size is None else tuple(np.atleast_1d(size))
            lead = lead[: len(lead) - len(shape)] if len(lead) >= len(shape) else lead
            z = rng.normal(size=(*lead, *shape))
            sq = z**2 if not multi else (z**2).sum(axis=-1)
            norm_g = np.sqrt(sq @ onehot.T)  # (..., G): length of each group's direction
            radius = rng.gamma(sizes, b, size=(*lead, len(sizes)))
            factor = (radius / norm_g)[..., ctx.groups]
            return z * (factor[..., None] if multi else factor)

        # the (unused) template parameter carries the support shape for the signature
        template = np.zeros((ctx.n_features, ctx.n_outputs) if multi else (ctx.n_features,))
        signature = "(p,k)->(p,k)" if multi else "(p)->(p)"
        beta = _flat_with_sampler("beta", random, (template,), ctx.dims, signature)
        # one label per coefficient: a multi-output row belongs to its feature's group
        labels = np.repeat(ctx.groups[:, None], ctx.n_outputs, axis=1) if multi else ctx.groups
        # normalized multivariate Laplace per group, a term find_map handles exactly
        group_l2_potential("beta_group_l2", beta, labels, b)
        return beta

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        # Kyung et al.'s lambda = 1 / scale with weights sqrt(m_g), not sigma-scaled
        return {"lasso_lambda": 1.0 / self.scale, "sigma_scaled": False}

    def penalty_name_for(self, *, n_outputs: int | None = None, **kwargs: Any) -> str:
        return "L21" if n_outputs else "GroupLasso"

    def penalty_alpha(
        self,
        sigma: float,
        n: int,
        *,
        groups: Any = None,
        n_outputs: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        sigma, n = _check_sigma_n(sigma, n)
        factor = _loss_factor(sigma, n, kwargs.get("loss_scale"))
        if n_outputs:
            if groups is not None and len(np.unique(groups)) != len(groups):
                return None  # blocks of rows: no solvers penalty
            return {"alpha": factor * math.sqrt(n_outputs) / self.scale}
        if groups is None:
            raise ValueError("GroupLasso.penalty needs groups= (an integer label per column)")
        groups = np.unique(np.asarray(groups), return_inverse=True)[1]
        return {"alpha": factor / self.scale, "groups": groups}
