"""Translate a model of :func:`shrinkage.build_model` into the Gibbs core's arguments, and back.

The Gibbs core (:mod:`.gibbs`) is told the exact model that ``build_model`` wrote in PyMC:

==================================  ==========================================================
PyMC model (``priors.py``)           Gibbs core
==================================  ==========================================================
``Gaussian(scale)``                  ``"gaussian"``, ``scale``, not sigma-scaled
``Laplace(scale)``                   ``"laplace"``, ``b = scale``
``BayesianLasso(lam, r, delta)``     ``"bayesian_lasso"`` (sigma-scaled in both)
``Horseshoe(global_scale)``          ``"horseshoe"``, ``tau ~ C+(0, global_scale)``, not
                                     sigma-scaled
``RegularizedHorseshoe(p0, s, nu)``  ``"regularized_horseshoe"``, ``tau ~ C+(0, tau0)`` with
                                     ``tau0 = p0/(p - p0) sigma/sqrt(n)`` (sigma-scaled, global
                                     scale ``p0/(p - p0)/sqrt(n)``), slab ``c^2 ~ InvGamma(nu/2,
                                     nu s^2/2)`` on beta's own scale
``GroupLasso(scale)``                ``"group_lasso"``, ``lambda = 1/scale``, weights
                                     ``sqrt(m_g)``, not sigma-scaled
``GroupHorseshoe(global_scale)``     ``"group_horseshoe"``, not sigma-scaled
Gaussian family ``sigma``            fixed, ``sigma_prior="jeffreys"``, or ``HalfNormal(s)``
                                     with ``s = sigma_scale`` or ``sd(y)`` on the model's scale
intercept ``True`` / ``"flat"`` /    ``Normal(mean(y), 2.5 sd(y))`` / flat / none
``False``
==================================  ==========================================================

Other priors (``ElasticNet``) and families raise ``ValueError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shrinkage import priors
from shrinkage.families import Gaussian as GaussianFamily
from shrinkage.model import ModelSpec

__all__ = ["gibbs_arguments", "model_variables", "prefer_gibbs"]

_SUPPORTED = (
    "Gaussian, Laplace, BayesianLasso, Horseshoe, RegularizedHorseshoe, GroupLasso and "
    "GroupHorseshoe priors with the Gaussian family"
)


def _unsupported(what: str) -> ValueError:
    return ValueError(
        f"sampler='gibbs' supports the {_SUPPORTED}; got {what}. Use sampler='nutpie' or 'pymc'"
    )


def _prior_arguments(prior: priors.Prior, p: int, n: int) -> tuple[str, dict[str, Any]]:
    """Gibbs prior name and parameters for a :mod:`shrinkage.priors` object (module table)."""
    kind = type(prior)
    if kind is priors.Gaussian:
        return "gaussian", {"scale": prior.scale, "sigma_scaled": False}
    if kind is priors.Laplace:
        return "laplace", {"b": prior.scale}
    if kind is priors.BayesianLasso:
        return "bayesian_lasso", {"lasso_lambda": prior.lam, "r": prior.r, "delta": prior.delta}
    if kind is priors.Horseshoe:
        return "horseshoe", {"global_scale": prior.global_scale, "sigma_scaled": False}
    if kind is priors.GroupHorseshoe:
        return "group_horseshoe", {"global_scale": prior.global_scale, "sigma_scaled": False}
    if kind is priors.RegularizedHorseshoe:
        return "regularized_horseshoe", {
            "global_scale": prior.tau0(p, n, 1.0),  # tau0 per unit sigma
            "sigma_scaled": True,
            "slab_scale": prior.slab_scale,
            "slab_df": prior.slab_df,
            "slab_sigma_scaled": False,
        }
    if kind is priors.GroupLasso:
        return "group_lasso", {"lasso_lambda": 1.0 / prior.scale, "sigma_scaled": False}
    raise _unsupported(f"prior {kind.__name__}")


def gibbs_arguments(spec: ModelSpec) -> dict[str, Any]:
    """Keyword arguments of :func:`~shrinkage.inference.gibbs.core.gibbs_sample` for a model spec."""
    family, design = spec.family, spec.design
    if type(family) is not GaussianFamily:
        raise _unsupported(f"family {family.name!r}")
    prior, params = _prior_arguments(spec.prior, design.n_features, design.n_obs)
    y = design.y
    if spec.intercept is True:
        intercept: Any = tuple(float(v) for v in family.intercept_prior(y))
    else:
        intercept = "flat" if spec.intercept == "flat" else None
    scale = family.sigma_scale if family.sigma_scale is not None else float(y.std())
    return {
        "X": design.X,
        "y": y,
        "prior": prior,
        "prior_params": params,
        "groups": design.groups if prior.startswith("group") else None,
        "fixed_sigma": family.sigma,
        "sigma_prior": family.sigma_prior,
        "sigma_scale": scale,
        "intercept": intercept,
    }


def model_variables(res: dict[str, np.ndarray], args: dict[str, Any], spec: ModelSpec):
    """The PyMC model's free and deterministic variables computed from the Gibbs draws."""
    design, prior = spec.design, spec.prior
    beta = res["beta"]
    sigma = res["sigma"] if args["fixed_sigma"] is None else None
    out: dict[str, np.ndarray] = {"beta": beta}
    if sigma is not None:
        out["sigma"] = sigma
    a = res.get("intercept", np.zeros(beta.shape[:2]))
    if "intercept" in res:
        out["intercept"] = a
    w = beta / design.x_scale
    out["beta_original"] = design.y_scale * w
    out["intercept_original"] = design.y_center + design.y_scale * (a - w @ design.x_center)
    if "lasso_lambda" in res:
        out["lasso_lambda"] = res["lasso_lambda"]
        out["lasso_lambda2"] = res["lasso_lambda"] ** 2
    if "tau" not in res:
        return out
    lam, tau = res["lam"], res["tau"]
    if isinstance(prior, priors.RegularizedHorseshoe):
        s = res["sigma"]  # the core records tau / sigma (sigma-scaled global scale)
        out["tau_z"] = tau / args["prior_params"]["global_scale"]
        tau = tau * s
        c2 = res["c2"]
        out["c2"], out["c2_z"] = c2, c2 / prior.slab_scale**2
        local = np.sqrt(c2[..., None] * lam**2 / (c2[..., None] + tau[..., None] ** 2 * lam**2))
    else:
        local = lam[..., args["groups"]] if args["groups"] is not None else lam
    out["tau"], out["lam"] = tau, lam
    out["beta_z"] = beta / (tau[..., None] * local)
    return out


def prefer_gibbs(spec: ModelSpec) -> bool:
    """The ``sampler="auto"`` rule: Gibbs where it is the faster exact choice (measured).

    Gaussian family, a horseshoe-family prior (horseshoe, regularized, group horseshoe) and
    ``p > n``. Measured (4 chains x 1000, shared 2-core machine): horseshoe n=100, p=200,
    5 signals: Gibbs 0 divergences, max r_hat 1.005, min bulk ESS 601 in 38 s (15.8 ESS/s);
    textbook non-centred NUTS 201 divergences, 15.7 ESS/s. For ``p <= n`` NUTS on the
    horseshoe is cheap and the choice stays with NUTS.
    """
    try:
        gibbs_arguments(spec)
    except ValueError:
        return False
    horseshoes = (priors.Horseshoe, priors.RegularizedHorseshoe, priors.GroupHorseshoe)
    design = spec.design
    return type(spec.prior) in horseshoes and design.n_features > design.n_obs
