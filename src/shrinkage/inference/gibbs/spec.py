"""Translate a model of :func:`shrinkage.build_model` into the Gibbs core's arguments, and back.

The Gibbs core (:mod:`.core`) is told the exact model that ``build_model`` wrote in PyMC. The
prior says how, once, on its class (:class:`shrinkage.priors.Prior`): ``gibbs_updates`` names
its update set and ``gibbs_params(p, n)`` gives that set's parameters, e.g.
``RegularizedHorseshoe(p0, s, nu)`` -> ``"regularized_horseshoe"`` with ``tau ~ C+(0, tau0)``,
``tau0 = p0/(p - p0) sigma/sqrt(n)`` (sigma-scaled, global scale ``p0/(p - p0)/sqrt(n)``) and
the slab ``c^2 ~ InvGamma(nu/2, nu s^2/2)`` on beta's own scale. The family gives the rest:

==================================  ==========================================================
PyMC model                           Gibbs core
==================================  ==========================================================
Gaussian family ``sigma``            fixed, ``sigma_prior="jeffreys"``, or ``HalfNormal(s)``
                                     with ``s = sigma_scale`` or ``sd(y)`` on the model's scale
intercept ``True`` / ``"flat"`` /    ``Normal(mean(y), 2.5 sd(y))`` / flat / none
``False``
==================================  ==========================================================

Priors without Gibbs updates (``gibbs_updates = None``) and other families raise
``ValueError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shrinkage.families import Gaussian as GaussianFamily
from shrinkage.inference.gibbs.core import UPDATES
from shrinkage.model import ModelSpec
from shrinkage.priors import PRIOR_NAMES, Prior

__all__ = ["AUTO_MAX_P_CONVEX", "gibbs_arguments", "model_variables", "prefer_gibbs"]


def _unsupported(what: str) -> ValueError:
    names = sorted({c.__name__ for c in PRIOR_NAMES.values() if c.gibbs_updates is not None})
    return ValueError(
        f"sampler='gibbs' supports the {', '.join(names)} priors with the Gaussian family; "
        f"got {what}. Use sampler='nutpie' or 'pymc'"
    )


def _prior_arguments(prior: Prior, p: int, n: int) -> tuple[str, dict[str, Any]]:
    """Gibbs update-set name and parameters the prior declares (``gibbs_updates``)."""
    if prior.gibbs_updates is None:
        raise _unsupported(f"prior {type(prior).__name__}")
    return prior.gibbs_updates, prior.gibbs_params(p, n)


def gibbs_arguments(spec: ModelSpec) -> dict[str, Any]:
    """Keyword arguments of :func:`~shrinkage.inference.gibbs.core.gibbs_sample` for a model spec."""
    family, design = spec.family, spec.design
    if type(family) is not GaussianFamily:
        raise _unsupported(f"family {family.name!r}")
    prior, params = _prior_arguments(spec.prior, design.n_features, design.n_obs)
    out_of_core = getattr(design, "out_of_core", False)
    y = design.y_moments if out_of_core else design.y  # out of core: its mean and sd only
    if spec.intercept is True:
        intercept: Any = tuple(float(v) for v in family.intercept_prior(y))
    else:
        intercept = "flat" if spec.intercept == "flat" else None
    scale = family.sigma_scale if family.sigma_scale is not None else float(y.std())
    return {
        "X": design.stats if out_of_core else design.X,
        "y": None if out_of_core else y,
        "prior": prior,
        "prior_params": params,
        "groups": design.groups if spec.prior.needs_groups else None,
        "fixed_sigma": family.sigma,
        "sigma_prior": family.sigma_prior,
        "sigma_scale": scale,
        "intercept": intercept,
    }


def model_variables(res: dict[str, np.ndarray], args: dict[str, Any], spec: ModelSpec):
    """The PyMC model's free and deterministic variables computed from the Gibbs draws."""
    design = spec.design
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
    if "r2" in res:  # R2D2: tau = sigma sqrt(W), lam = sqrt(phi); phi_g the gammas phi normalizes
        tau = res["sigma"] * np.sqrt(res["r2"] / (1.0 - res["r2"]))
        out["r2"], out["phi"], out["tau"], out["lam"] = (
            res["r2"],
            res["phi"],
            tau,
            np.sqrt(res["phi"]),
        )
        out["phi_g"] = res["phi_g"]
        out["beta_z"] = beta / (tau[..., None] * out["lam"])
        return out
    if "tau" not in res:
        return out
    lam, tau, params = res["lam"], res["tau"], args["prior_params"]
    if params.get("sigma_scaled"):  # the core records tau / sigma; the model has tau_z, tau
        out["tau_z"] = tau / params["global_scale"]
        tau = tau * res["sigma"]
    if "c2" in res:  # regularized horseshoe: slab on beta's own scale, c2 = slab_scale^2 c2_z
        c2 = res["c2"]
        out["c2"], out["c2_z"] = c2, c2 / params["slab_scale"] ** 2
        local = np.sqrt(c2[..., None] * lam**2 / (c2[..., None] + tau[..., None] ** 2 * lam**2))
    else:
        local = lam[..., args["groups"]] if args["groups"] is not None else lam
    out["tau"], out["lam"] = tau, lam
    out["beta_z"] = beta / (tau[..., None] * local)
    return out


#: the largest ``p`` at which ``sampler="auto"`` picks Gibbs for a log-concave prior
#: (one ``p x p`` Cholesky per sweep; measured: ``docs/sampling.md``)
AUTO_MAX_P_CONVEX = 500


def prefer_gibbs(spec: ModelSpec) -> bool:
    """The ``sampler="auto"`` rule: Gibbs where it is the faster exact choice.

    Gaussian family, a prior with Gibbs updates that ``sampler="auto"`` may pick (the update
    set's ``auto``; not the group lasso, which was not measured), and

    * out-of-core data (a :class:`~shrinkage.outofcore.GramDesign`): always. Every Gibbs
      update then runs from ``X'X``, ``X'y``, ``y'y`` (O(p^3) per sweep, seconds at
      ``p = 50``), while NUTS on the sufficient statistics spends minutes compiling and
      sampling, also independent of ``n``;
    * the horseshoe family, horseshoe+ and R2D2 (``local_scales`` and ``has_tau``):
      ``p > n``. For ``p <= n``
      NUTS on the horseshoe is cheap and the choice stays with NUTS;
    * the log-concave priors (Gaussian, Laplace, elastic net, Bayesian lasso):
      ``p <= n`` and ``p <= AUTO_MAX_P_CONVEX``. Their Gibbs sweep draws ``beta`` in one
      block from its Gaussian conditional, so collinear columns do not slow it, while NUTS's
      diagonal mass matrix mixes slowly along them (diabetes, n = 442, p = 10: 5-30x the
      ESS/s of NUTS). For ``p > n`` or large ``p`` the choice stays with NUTS.

    Measurements: ``docs/sampling.md`` ("The sampler="auto" rule").
    """
    try:
        gibbs_arguments(spec)
    except ValueError:
        return False
    prior, design = spec.prior, spec.design
    if not UPDATES[prior.gibbs_updates].auto:  # the group lasso (not measured)
        return False
    if getattr(design, "out_of_core", False):
        return True
    p, n = design.n_features, design.n_obs
    if prior.local_scales is not None and prior.has_tau:
        return p > n
    return p <= min(n, AUTO_MAX_P_CONVEX)
