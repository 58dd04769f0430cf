"""The horseshoe family: normal scale mixtures with half-Cauchy local and global scales.

Each is written non-centred, ``beta = z * build_scale(ctx)`` with ``z ~ N(0, 1)``, so that the
marginal NUTS form can integrate ``beta`` out; none has a convex penalty equivalent (the
density is unbounded at ``beta = 0``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from shrinkage._validation import check_positive
from shrinkage.priors.base import BuildContext, Prior, _group_matrix

__all__ = ["GroupHorseshoe", "Horseshoe", "HorseshoePlus", "RegularizedHorseshoe"]


def _noncentred_beta(prior: Prior, ctx: BuildContext):
    """``beta = z * prior.build_scale(ctx)`` with ``z ~ N(0, 1)`` (variable ``beta_z``)."""
    import pymc as pm

    z = pm.Normal("beta_z", 0.0, 1.0, dims=ctx.dims)
    return pm.Deterministic("beta", z * prior.build_scale(ctx), dims=ctx.dims)


class ScaleMixture(Prior):
    """A normal scale mixture with local scales per feature and a global scale ``tau``, written
    non-centred: ``beta = z * build_scale(ctx)``, ``z ~ N(0, 1)`` (variable ``beta_z``).

    Subclasses provide ``build_scale(ctx)`` (create the scales, return beta's prior sd). The
    funnel between ``beta`` and its scales is why NUTS on this form targets acceptance 0.99;
    the Gaussian family samples the marginal form instead (``docs/sampling.md``).
    """

    local_scales: ClassVar[str] = "feature"
    has_tau: ClassVar[bool] = True
    target_accept: ClassVar[float] = 0.99

    def build(self, ctx: BuildContext):
        return _noncentred_beta(self, ctx)

    def build_scale(self, ctx: BuildContext):
        raise NotImplementedError


@dataclass(frozen=True)
class Horseshoe(ScaleMixture):
    """Horseshoe prior (Carvalho, Polson & Scott 2010), non-centred.

    .. math::

        \\beta_j = z_j\\, \\tau \\lambda_j, \\quad z_j \\sim N(0, 1), \\quad
        \\lambda_j \\sim C^+(0, 1), \\quad \\tau \\sim C^+(0, \\text{global\\_scale})

    Variables: ``beta_z``, ``lam`` (dim ``feature``), ``tau``; ``beta`` is deterministic.
    No convex penalty equivalent (``penalty`` returns None).

    Sampling forms: with the Gaussian family ``shrinkage.sample`` uses the *marginal* form by
    default (``form="auto"``): ``beta`` integrated out exactly, NUTS on ``lam``, ``tau``,
    ``sigma``, ``intercept`` with ``y ~ N(a, sigma^2 I + X D X')``, then exact draws of
    ``beta`` (:mod:`shrinkage.inference.marginal.sampler`); the same holds for
    :class:`RegularizedHorseshoe` and :class:`GroupHorseshoe`. ``form="noncentred"``, and
    every other likelihood family, samples this parametrization with NUTS at
    ``target_accept=0.99``. Why (measured): ``docs/sampling.md``, "Why the priors' sampler
    defaults are what they are".
    """

    global_scale: float = 1.0
    gibbs_updates: ClassVar[str] = "horseshoe"

    def __post_init__(self) -> None:
        object.__setattr__(self, "global_scale", check_positive(self.global_scale, "global_scale"))

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        return {"global_scale": self.global_scale, "sigma_scaled": False}

    def build_scale(self, ctx: BuildContext):
        """Create ``lam`` and ``tau``; return beta's prior sd ``tau lam_j`` (length p)."""
        import pymc as pm

        lam = pm.HalfCauchy("lam", beta=1.0, dims="feature")
        tau = pm.HalfCauchy("tau", beta=self.global_scale)
        return tau * lam


@dataclass(frozen=True)
class RegularizedHorseshoe(ScaleMixture):
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
    gibbs_updates: ClassVar[str] = "regularized_horseshoe"

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

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        # tau ~ C+(0, tau0) with tau0 = sigma x (tau0 per unit sigma): a sigma-scaled global
        # scale; the slab c^2 is on beta's own scale
        return {
            "global_scale": self.tau0(p, n, 1.0),
            "sigma_scaled": True,
            "slab_scale": self.slab_scale,
            "slab_df": self.slab_df,
            "slab_sigma_scaled": False,
        }

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
    gibbs_updates: ClassVar[str] = "group_horseshoe"
    local_scales: ClassVar[str] = "group"
    has_tau: ClassVar[bool] = True
    multi_output: ClassVar[bool] = True
    needs_groups: ClassVar[bool] = True
    target_accept: ClassVar[float] = 0.99

    def __post_init__(self) -> None:
        object.__setattr__(self, "global_scale", check_positive(self.global_scale, "global_scale"))

    def build(self, ctx: BuildContext):
        _group_matrix(ctx)  # validates groups
        return _noncentred_beta(self, ctx)

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        return {"global_scale": self.global_scale, "sigma_scaled": False}

    def build_scale(self, ctx: BuildContext):
        """Create ``lam`` (dim ``group``) and ``tau``; return beta's prior sd
        ``tau lam_g(j)`` (length p, or (p, 1) for multi-output)."""
        import pymc as pm

        lam = pm.HalfCauchy("lam", beta=1.0, dims="group")
        tau = pm.HalfCauchy("tau", beta=self.global_scale)
        scale = lam[ctx.groups] if ctx.n_outputs is None else lam[ctx.groups][:, None]
        return tau * scale


def horseshoe_plus_local_logp(lam):
    """``log p(lambda)`` of the horseshoe+ local scale, ``4 log(lambda) / (pi^2 (lambda^2 - 1))``.

    With ``u = log(lambda)``: ``log(4/pi^2) + log|u| - |u| - log(1 - e^{-2|u|}) - u``, and
    ``log(4/pi^2) - log 2 - u`` within ``1e-6`` of ``u = 0`` (the removable singularity at
    ``lambda = 1``, where the density is ``2/pi^2``). Works on pytensor tensors.
    """
    import pytensor.tensor as pt

    u = pt.log(lam)
    a = pt.abs(u)
    near = a < 1e-6
    safe = pt.switch(near, 1.0, a)
    body = pt.log(safe) - safe - pt.log1mexp(-2.0 * safe) - u
    return math.log(4.0 / math.pi**2) + pt.switch(near, -math.log(2.0) - u, body)


def _horseshoe_plus_local_draws(rng=None, size=None):
    """``lambda = eta nu``, ``eta, nu ~ C+(0, 1)``: the two half-Cauchy layers."""
    return np.abs(rng.standard_cauchy(size) * rng.standard_cauchy(size))


@dataclass(frozen=True)
class HorseshoePlus(ScaleMixture):
    """Horseshoe+ prior (Bhadra, Datta, Polson & Willard 2017), non-centred.

    .. math::

        \\beta_j = z_j\\, \\tau \\lambda_j, \\quad \\lambda_j = \\eta_j \\nu_j, \\quad
        z_j \\sim N(0, 1), \\quad \\eta_j, \\nu_j \\sim C^+(0, 1), \\quad
        \\tau \\sim C^+(0, \\text{global\\_scale})

    so that ``lambda_j | eta_j ~ C+(0, eta_j)``, two half-Cauchy layers. The model holds
    ``lambda_j`` itself with ``eta_j`` integrated out exactly (Bhadra et al. 2017):

    .. math::

        p(\\lambda) = \\frac{4 \\log \\lambda}{\\pi^2 (\\lambda^2 - 1)},

    with more mass near 0 and a heavier tail than the horseshoe's half-Cauchy (for
    ultra-sparse signals); prior draws use the two layers. One variable, not two: with
    ``eta`` and ``nu`` as free variables NUTS diverges, with ``lambda`` it does not
    (measured: ``docs/prior-to-penalty.md``). ``global_scale`` defaults to 1 as for
    :class:`Horseshoe` (bayesreg's ``tau ~ C+(0, 1)``), on beta's own (standardized) scale,
    not multiplied by ``sigma``.

    Variables: ``beta_z``, ``lam`` (dim ``feature``), ``tau``; ``beta`` deterministic. No
    convex penalty equivalent. Sampling: as :class:`Horseshoe` (the marginal form for the
    Gaussian family, and the Gibbs updates of
    :mod:`shrinkage.inference.gibbs.horseshoe_plus`, which keep ``eta`` as a state variable
    and record ``lam`` and ``tau``; ``tau`` not sigma-scaled).
    """

    global_scale: float = 1.0
    gibbs_updates: ClassVar[str] = "horseshoe_plus"

    def __post_init__(self) -> None:
        object.__setattr__(self, "global_scale", check_positive(self.global_scale, "global_scale"))

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        return {"global_scale": self.global_scale, "sigma_scaled": False}

    def build_scale(self, ctx: BuildContext):
        """Create ``lam`` (density :func:`horseshoe_plus_local_logp`) and ``tau``; return
        beta's prior sd ``tau lam_j`` (length p)."""
        import pymc as pm
        import pytensor.tensor as pt

        lam = pm.CustomDist(
            "lam",
            logp=lambda value: horseshoe_plus_local_logp(value),
            random=_horseshoe_plus_local_draws,
            transform=pm.distributions.transforms.log,
            support_point=lambda rv, size: pt.ones_like(rv),
            dims="feature",
        )
        tau = pm.HalfCauchy("tau", beta=self.global_scale)
        return tau * lam
