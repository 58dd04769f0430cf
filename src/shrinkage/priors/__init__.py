"""Shrinkage priors on standardized coefficients, each knowing its PyMC variables and penalty.

Every prior is a small frozen specification object. ``build(ctx)`` creates its PyMC variables
inside the current model context (``beta`` with dims ``feature`` or ``(feature, output)``, plus
scales named as in ``docs/conventions.md``) and returns ``beta``. ``penalty(sigma, n)`` returns the
:mod:`shrinkage.solvers` penalty whose penalized MAP equals the prior's MAP at noise scale
``sigma`` and ``n`` rows (Gaussian likelihood; ``sigma=1`` for families without a noise scale),
or ``None`` where no convex equivalent exists. ``penalty_alpha`` returns the same numbers as a
plain dict, so the mapping is testable without the solvers.

With ``standardize=True`` the Gaussian likelihood is on the standardized response, so ``sigma``
in ``penalty(sigma, n)`` is the noise scale in units of ``sd(y)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import erfcx

from shrinkage._validation import check_positive

__all__ = [
    "BayesianLasso",
    "BuildContext",
    "ElasticNet",
    "Gaussian",
    "GroupHorseshoe",
    "GroupLasso",
    "Horseshoe",
    "Laplace",
    "Prior",
    "RegularizedHorseshoe",
]


@dataclass
class BuildContext:
    """What a prior needs to know to create its variables.

    Attributes
    ----------
    dims : tuple of str
        ``("feature",)`` or ``("feature", "output")``.
    n_obs, n_features : int
    n_outputs : int or None
    groups : numpy.ndarray of int or None
        Group code per feature (dim ``group`` holds the names).
    sigma : tensor or float
        Noise scale of the likelihood (scalar), or a pseudo-sigma for families without one.
    noise_sigma : tensor, float or None
        The likelihood's own noise scale; None for families without one.
    """

    dims: tuple[str, ...]
    n_obs: int
    n_features: int
    n_outputs: int | None = None
    groups: np.ndarray | None = None
    sigma: Any = 1.0
    noise_sigma: Any = None

    @property
    def n_groups(self) -> int | None:
        return None if self.groups is None else int(self.groups.max()) + 1


class Prior:
    """Base class: a prior on the coefficient vector (or matrix) ``beta``."""

    #: whether the prior can act on a multi-output ``(feature, output)`` coefficient matrix
    multi_output: ClassVar[bool] = False
    #: whether ``build`` needs a group per feature
    needs_groups: ClassVar[bool] = False
    #: NUTS target acceptance rate used by ``shrinkage.sample`` when none is given
    target_accept: ClassVar[float] = 0.9
    #: nutpie's mass-matrix adaptation used by ``shrinkage.sample``. Priors with a kink at zero
    #: (L1 / group-L2) use ``"draw_diag"`` (variances of the draws): the default ``"diag"``
    #: also uses gradient variances, which the jump of ``sign(beta_j)`` inflates. Measured on
    #: the Bayesian lasso, diabetes, 4 x 1000, seed 1: min bulk ESS 502 and r_hat 1.014
    #: ("diag") against 1715 and 1.003 ("draw_diag")
    nutpie_adaptation: ClassVar[str] = "diag"
    #: name of the shrinkage.solvers penalty class the MAP solves (None: no convex equivalent)
    penalty_name: ClassVar[str | None] = None

    def build(self, ctx: BuildContext):
        """Create the prior's PyMC variables in the current model; return ``beta``."""
        raise NotImplementedError

    def penalty_alpha(self, sigma: float, n: int, **kwargs: Any) -> dict[str, Any] | None:
        """Constructor arguments of the equivalent solvers penalty at ``sigma`` and ``n``.

        ``loss_scale=c`` (keyword) sets the likelihood's factor (``-log p(y | beta) =
        (n / c) datafit + const``): ``sigma^2`` by default (Gaussian likelihood,
        ``(1/2n)||r||^2``), ``sigma`` for the Laplace likelihood with ``(1/n) sum |r|``,
        ``1`` for logistic / Poisson. The penalty is then ``(c / n) * (-log prior)``.
        """
        return None

    def penalty(self, sigma: float, n: int, **kwargs: Any):
        """The :mod:`shrinkage.solvers` penalty whose MAP equals this prior's, or None.

        Group priors take ``groups=`` (integer label per column) and, for multi-output,
        ``n_outputs=``.
        """
        args = self.penalty_alpha(sigma, n, **kwargs)
        if args is None:
            return None
        from shrinkage.solvers import penalties  # lazy: solvers are written in parallel

        return getattr(penalties, self.penalty_name_for(**kwargs))(**args)

    def penalty_name_for(self, **kwargs: Any) -> str:
        assert self.penalty_name is not None
        return self.penalty_name


def _check_sigma_n(sigma: float, n: int) -> tuple[float, int]:
    sigma = check_positive(sigma, "sigma")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")
    return sigma, int(n)


def _loss_factor(sigma: float, n: int, loss_scale: float | None) -> float:
    """``c / n``: the factor turning ``-log p(y | beta)`` into the datafit's row average.

    ``-log p(y|beta) = (n / c) * datafit + const`` with ``c = sigma^2`` for the Gaussian
    likelihood and datafit ``(1/2n)||r||^2`` (the default), ``c = sigma`` for the Laplace
    likelihood and datafit ``(1/n) sum |r_i|``, ``c = 1`` for logistic / Poisson. Multiplying
    ``-log posterior`` by ``c / n`` gives ``datafit + (c / n) * (-log prior)``: the penalty.
    """
    c = sigma**2 if loss_scale is None else check_positive(loss_scale, "loss_scale")
    return c / n


@dataclass(frozen=True)
class Gaussian(Prior):
    """Ridge prior: ``beta_j ~ Normal(0, scale)``.

    .. math:: p(\\beta_j) = \\frac{1}{\\sqrt{2\\pi}\\,s} \\exp\\!\\big(-\\beta_j^2 / (2 s^2)\\big)

    MAP at noise ``sigma`` = ridge, ``L2(alpha)`` with ``alpha = sigma^2 / (n s^2)``.
    """

    scale: float = 1.0
    multi_output: ClassVar[bool] = True
    penalty_name: ClassVar[str] = "L2"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_positive(self.scale, "scale"))

    def build(self, ctx: BuildContext):
        import pymc as pm

        return pm.Normal("beta", 0.0, self.scale, dims=ctx.dims)

    def penalty_alpha(self, sigma: float, n: int, **kwargs: Any) -> dict[str, Any]:
        sigma, n = _check_sigma_n(sigma, n)
        return {"alpha": _loss_factor(sigma, n, kwargs.get("loss_scale")) / self.scale**2}


@dataclass(frozen=True)
class Laplace(Prior):
    """Lasso prior: ``beta_j ~ Laplace(0, scale)``.

    .. math:: p(\\beta_j) = \\frac{1}{2b} \\exp(-|\\beta_j| / b)

    MAP at noise ``sigma`` = lasso, ``L1(alpha)`` with ``alpha = sigma^2 / (n b)``.
    """

    nutpie_adaptation: ClassVar[str] = "draw_diag"

    scale: float = 1.0
    multi_output: ClassVar[bool] = True
    penalty_name: ClassVar[str] = "L1"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_positive(self.scale, "scale"))

    def build(self, ctx: BuildContext):
        import pymc as pm

        return pm.Laplace("beta", 0.0, self.scale, dims=ctx.dims)

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

    nutpie_adaptation: ClassVar[str] = "draw_diag"

    lam: float | None = None
    r: float = 1.0
    delta: float = 1.78
    penalty_name: ClassVar[str] = "L1"

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


def _flat_with_sampler(name: str, random, params: tuple, dims, signature: str | None = None):
    """A free variable with log-density 0 (like ``pm.Flat``) that still has a sampler.

    The prior's density is added as potentials (``l1_potential`` / ``group_l2_potential``,
    which ``find_map`` treats exactly); ``random`` draws from the full prior so that prior
    predictive sampling stays right (PyMC ignores potentials there).
    """
    import pymc as pm
    import pytensor.tensor as pt

    core = 0 if signature is None else signature.split("->")[1].count(",") + 1

    def logp(value, *_params):
        zeros = pt.zeros_like(value)
        return zeros.sum(axis=tuple(range(-core, 0))) if core else zeros

    return pm.CustomDist(
        name,
        *params,
        logp=logp,
        random=random,
        signature=signature,
        support_point=lambda rv, size, *_p: pm.math.zeros_like(rv),
        dims=dims,
    )


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

    nutpie_adaptation: ClassVar[str] = "draw_diag"

    l1_scale: float = 1.0
    l2_scale: float = 1.0
    multi_output: ClassVar[bool] = True
    penalty_name: ClassVar[str] = "ElasticNet"

    def __post_init__(self) -> None:
        object.__setattr__(self, "l1_scale", check_positive(self.l1_scale, "l1_scale"))
        object.__setattr__(self, "l2_scale", check_positive(self.l2_scale, "l2_scale"))

    def build(self, ctx: BuildContext):
        import pymc as pm
        import pytensor.tensor as pt

        from shrinkage.priors.potentials import l1_potential

        b, t = self.l1_scale, self.l2_scale
        beta = _flat_with_sampler("beta", _elastic_net_random, (b, t), ctx.dims)
        # the exact MAP needs the L1 half as a marked term and the ridge half as a smooth one;
        # the normalizer log Z sits with the ridge half, so the sum is the density above
        l1_potential("beta_l1", beta, b, normalize=False)
        log_z = math.log(t) + 0.5 * math.log(2 * math.pi) + math.log(erfcx(t / (math.sqrt(2) * b)))
        pm.Potential("beta_ridge", -pt.sum(beta**2) / (2 * t**2) - beta.size * log_z)
        return beta

    def penalty_alpha(self, sigma: float, n: int, **kwargs: Any) -> dict[str, Any]:
        sigma, n = _check_sigma_n(sigma, n)
        factor = _loss_factor(sigma, n, kwargs.get("loss_scale"))
        a1 = factor / self.l1_scale
        a2 = factor / self.l2_scale**2
        return {"alpha": a1 + a2, "l1_ratio": a1 / (a1 + a2)}


@dataclass(frozen=True)
class Horseshoe(Prior):
    """Horseshoe prior (Carvalho, Polson & Scott 2010), non-centred.

    .. math::

        \\beta_j = z_j\\, \\tau \\lambda_j, \\quad z_j \\sim N(0, 1), \\quad
        \\lambda_j \\sim C^+(0, 1), \\quad \\tau \\sim C^+(0, \\text{global\\_scale})

    Variables: ``beta_z``, ``lam`` (dim ``feature``), ``tau``; ``beta`` is deterministic.
    No convex penalty equivalent (``penalty`` returns None).

    Sampling forms. With the Gaussian family ``shrinkage.sample`` uses the *marginal* form by
    default (``form="auto"``): ``beta`` integrated out exactly, NUTS on ``lam``, ``tau``,
    ``sigma``, ``intercept`` with ``y ~ N(a, sigma^2 I + X D X')``, then exact draws of
    ``beta`` (:mod:`shrinkage.inference.marginal.sampler`); the same holds for
    :class:`RegularizedHorseshoe` and :class:`GroupHorseshoe`. Measured on n=100, p=200,
    5 signals, seed 1, 4 chains x 1000, nutpie, 2 shared cores: marginal form (target 0.8,
    its default) 0 divergences, max r_hat 1.002, min bulk ESS (beta, tau) 1511 in 85 s
    (17.9 ESS/s; seed 2: 0 divergences, 16.4 ESS/s; 15 leapfrog steps per draw, 0.46 ms per
    gradient; at target 0.9: ESS 854-898, 0 divergences); this non-centred form
    (``form="noncentred"``, ``target_accept=0.99``, the ``target_accept`` below) 23
    divergences, r_hat 1.012, ESS 158 in 41 s (3.9 ESS/s; 18-23 divergences over seeds; the
    textbook PyMC model: 1.22 ESS/s, 276 divergences). Tried and not kept for the non-centred
    form: half-Cauchy as ``HalfNormal / sqrt(Gamma(1/2, 1/2))`` (31 divergences); nutpie's
    low-rank mass matrix (maximal trees). Other families keep the non-centred form.
    Re-measured with the GIL-free kernel, nutpie's draw-based mass matrix and one extra tree
    doubling (the marginal form's nutpie defaults since then), seeds 1-4: 0 divergences, max
    r_hat 1.002-1.003, min bulk ESS 2688-3019 in 50-56 s.
    """

    global_scale: float = 1.0
    target_accept: ClassVar[float] = 0.99

    def __post_init__(self) -> None:
        object.__setattr__(self, "global_scale", check_positive(self.global_scale, "global_scale"))

    def build(self, ctx: BuildContext):
        import pymc as pm

        z = pm.Normal("beta_z", 0.0, 1.0, dims=ctx.dims)
        return pm.Deterministic("beta", z * self.build_scale(ctx), dims=ctx.dims)

    def build_scale(self, ctx: BuildContext):
        """Create ``lam`` and ``tau``; return beta's prior sd ``tau lam_j`` (length p)."""
        import pymc as pm

        lam = pm.HalfCauchy("lam", beta=1.0, dims="feature")
        tau = pm.HalfCauchy("tau", beta=self.global_scale)
        return tau * lam


@dataclass(frozen=True)
class RegularizedHorseshoe(Prior):
    """Regularized ("Finnish") horseshoe of Piironen & Vehtari (2017), non-centred.

    .. math::

        \\beta_j = z_j\\, \\tau \\tilde\\lambda_j, \\quad
        \\tilde\\lambda_j^2 = \\frac{c^2 \\lambda_j^2}{c^2 + \\tau^2 \\lambda_j^2}, \\quad
        z_j \\sim N(0,1), \\quad \\lambda_j \\sim C^+(0,1), \\quad
        \\tau \\sim C^+(0, \\tau_0), \\quad
        c^2 \\sim \\mathrm{InvGamma}(\\nu/2, \\nu s^2/2)

    with ``tau0 = p0 / (p - p0) * sigma / sqrt(n)``, ``p0 = expected_nonzero``,
    ``s = slab_scale``, ``nu = slab_df``. Variables: ``beta_z``, ``lam``, ``tau_z``
    (``tau = tau0 tau_z``, ``tau_z ~ C+(0, 1)``), ``c2_z`` (``c2 = s^2 c2_z``), deterministic
    ``tau``, ``c2`` and ``beta``. For families without a noise scale ``sigma`` is the family's
    pseudo-sigma (Piironen & Vehtari sec. 3.2). No convex penalty equivalent.
    """

    expected_nonzero: float = 1.0
    slab_scale: float = 2.0
    slab_df: float = 4.0
    target_accept: ClassVar[float] = 0.99

    def __post_init__(self) -> None:
        for name in ("expected_nonzero", "slab_scale", "slab_df"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))

    def tau0(self, p: int, n: int, sigma=1.0):
        """Global scale ``p0 / (p - p0) * sigma / sqrt(n)``."""
        if not self.expected_nonzero < p:
            raise ValueError(
                f"expected_nonzero={self.expected_nonzero} must be smaller than the number of "
                f"features p={p}"
            )
        return self.expected_nonzero / (p - self.expected_nonzero) * sigma / math.sqrt(n)

    def build(self, ctx: BuildContext):
        import pymc as pm

        z = pm.Normal("beta_z", 0.0, 1.0, dims=ctx.dims)
        return pm.Deterministic("beta", z * self.build_scale(ctx), dims=ctx.dims)

    def build_scale(self, ctx: BuildContext):
        """Create ``lam``, ``tau_z``, ``c2_z`` (and deterministic ``tau``, ``c2``); return
        beta's prior sd ``tau lam_tilde_j`` (length p)."""
        import pymc as pm

        tau0 = self.tau0(ctx.n_features, ctx.n_obs, ctx.sigma)
        lam = pm.HalfCauchy("lam", beta=1.0, dims="feature")
        tau = pm.Deterministic("tau", tau0 * pm.HalfCauchy("tau_z", beta=1.0))
        half = 0.5 * self.slab_df
        c2 = pm.Deterministic("c2", self.slab_scale**2 * pm.InverseGamma("c2_z", half, half))
        return tau * pm.math.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))


def _group_matrix(ctx: BuildContext) -> tuple[np.ndarray, np.ndarray]:
    """One-hot (G, p) membership matrix and group sizes in coefficients (features x outputs)."""
    if ctx.groups is None:
        raise ValueError("a group prior needs groups=: a label per column or {group: [columns]}")
    onehot = (ctx.groups[None, :] == np.arange(ctx.n_groups)[:, None]).astype(float)
    sizes = onehot.sum(axis=1) * (ctx.n_outputs or 1)
    return onehot, sizes


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

    nutpie_adaptation: ClassVar[str] = "draw_diag"

    scale: float = 1.0
    multi_output: ClassVar[bool] = True
    needs_groups: ClassVar[bool] = True
    penalty_name: ClassVar[str] = "GroupLasso"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_positive(self.scale, "scale"))

    def group_scales(self, sizes: np.ndarray) -> np.ndarray:
        """``b_g = scale / sqrt(m_g)``."""
        return self.scale / np.sqrt(np.asarray(sizes, float))

    def build(self, ctx: BuildContext):
        from shrinkage.priors.potentials import group_l2_potential

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


@dataclass(frozen=True)
class GroupHorseshoe(Prior):
    """Group horseshoe: one local scale per group, non-centred.

    .. math::

        \\beta_j = z_j\\, \\tau \\lambda_{g(j)}, \\quad z_j \\sim N(0,1), \\quad
        \\lambda_g \\sim C^+(0, 1), \\quad \\tau \\sim C^+(0, \\text{global\\_scale})

    Variables: ``beta_z``, ``lam`` (dim ``group``), ``tau``; ``beta`` deterministic. With the
    multi-output family a feature's row shares its group's scale. No convex penalty equivalent.
    """

    global_scale: float = 1.0
    multi_output: ClassVar[bool] = True
    needs_groups: ClassVar[bool] = True
    target_accept: ClassVar[float] = 0.99

    def __post_init__(self) -> None:
        object.__setattr__(self, "global_scale", check_positive(self.global_scale, "global_scale"))

    def build(self, ctx: BuildContext):
        import pymc as pm

        _group_matrix(ctx)  # validates groups
        z = pm.Normal("beta_z", 0.0, 1.0, dims=ctx.dims)
        return pm.Deterministic("beta", z * self.build_scale(ctx), dims=ctx.dims)

    def build_scale(self, ctx: BuildContext):
        """Create ``lam`` (dim ``group``) and ``tau``; return beta's prior sd
        ``tau lam_g(j)`` (length p, or (p, 1) for multi-output)."""
        import pymc as pm

        lam = pm.HalfCauchy("lam", beta=1.0, dims="group")
        tau = pm.HalfCauchy("tau", beta=self.global_scale)
        scale = lam[ctx.groups] if ctx.n_outputs is None else lam[ctx.groups][:, None]
        return tau * scale
