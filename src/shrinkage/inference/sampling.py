"""``sample``: NUTS (nutpie or PyMC) with the pointwise log-likelihood and scaling stored."""

from __future__ import annotations

import importlib.util
import os
from typing import Any, Literal

import numpy as np
import pymc as pm
import xarray as xr

from shrinkage.model import get_spec

__all__ = ["sample"]

Sampler = Literal["auto", "nutpie", "pymc", "gibbs"]
Form = Literal["auto", "marginal", "noncentred"]


def _resolve_sampler(sampler: str, model: pm.Model | None = None) -> str:
    if sampler == "auto":
        from shrinkage.inference.gibbs.spec import prefer_gibbs

        if model is not None and prefer_gibbs(get_spec(model)):
            return "gibbs"
        return "nutpie" if importlib.util.find_spec("nutpie") is not None else "pymc"
    if sampler == "gibbs":
        return sampler
    if sampler not in ("nutpie", "pymc"):
        raise ValueError(f"sampler must be 'auto', 'nutpie', 'pymc' or 'gibbs'; got {sampler!r}")
    return sampler


def sample(
    model: pm.Model,
    *,
    draws: int = 1000,
    tune: int | None = None,
    chains: int = 4,
    cores: int | None = None,
    random_seed: int | None = None,
    sampler: Sampler = "auto",
    target_accept: float | None = None,
    progressbar: bool = True,
    log_likelihood: bool = True,
    form: Form = "auto",
    **kwargs: Any,
) -> xr.DataTree:
    """Draw from the posterior of a model built by :func:`shrinkage.build_model`.

    Parameters
    ----------
    model : pymc.Model
    draws, chains : int
    tune : int, optional
        NUTS tuning steps (default 1000), or the Gibbs sampler's discarded warm-up sweeps
        (default per prior: 150 for the horseshoe family, 1000 otherwise; Gibbs adapts
        nothing, and these chains are stationary within ~50 sweeps of their dispersed starts).
    cores : int, optional
        Chains run in parallel on ``min(chains, os.cpu_count())`` cores by default.
    random_seed : int, optional
    sampler : {"auto", "nutpie", "pymc", "gibbs"}
        ``"gibbs"``: the exact Gibbs sampler (Gaussian family; Gaussian, Laplace,
        BayesianLasso, Horseshoe, RegularizedHorseshoe, GroupLasso, GroupHorseshoe priors),
        same posterior and layout. ``"auto"``: Gibbs for the Gaussian family with a
        horseshoe-family prior and more features than rows (``p > n``), where NUTS is slow
        and divergent (measured: see ``gibbs.spec.prefer_gibbs``); otherwise nutpie when
        installed, else PyMC's NUTS.
    target_accept : float, optional
        NUTS target acceptance; default per prior (0.99 for the horseshoe family, 0.9 otherwise).
    progressbar : bool
    log_likelihood : bool
        Store the pointwise log-likelihood (for LOO). It holds ``chains x draws x n`` numbers
        (3.2 GB for 4 x 1000 draws at n = 100000): turn it off for large ``n``.
    form : {"auto", "marginal", "noncentred"}
        How NUTS explores the model. ``"marginal"``: ``beta`` integrated out exactly
        (``y ~ N(a 1, sigma^2 I + X D X')``, ``D`` = beta's prior variances), NUTS on the
        scales, ``sigma`` and the intercept, then one exact draw of ``beta`` from its Gaussian
        conditional per draw (:mod:`shrinkage.inference.marginal.sampler`); same posterior and
        layout. Gaussian family with a Horseshoe, RegularizedHorseshoe or GroupHorseshoe
        prior only. ``"noncentred"``: the model as built. ``"auto"``: ``"marginal"`` where it
        applies, else the model as built. Ignored by the Gibbs sampler. A marginal gradient
        costs O(n^2 p) for ``p > n`` and O(p^3) for ``p <= n`` (measured 0.46 ms at n=100,
        p=200 and 3.7 ms at n=200, p=1000, one core) against O(n p) or O(p^2) non-centred, but
        NUTS needs far fewer of them (15 vs 212 leapfrog steps per draw at n=100, p=200) and
        has no divergences; for ``min(n, p)`` in the thousands ``"noncentred"`` (or the Gibbs
        sampler) can be much faster per effective draw. With nutpie the marginal form adapts
        the mass matrix from the draws (``adaptation="draw_diag"``) and, when ``p > n``, runs
        one tree doubling past the U-turn (``extra_doublings=1``); ``nuts={...}`` overrides.
    **kwargs
        Passed to ``pymc.sample`` (e.g. ``nuts={"max_treedepth": 12}``; with nutpie,
        ``nuts={"adaptation": "low_rank"}``), or to ``gibbs_sample`` for Gibbs (e.g. ``method``).

    Returns
    -------
    xarray.DataTree
        Groups ``posterior``, ``sample_stats``, ``log_likelihood`` (``y``), ``observed_data``,
        ``constant_data`` (with ``x_center``, ``x_scale``, ``y_center``, ``y_scale``); attrs
        ``shrinkage_prior``, ``shrinkage_family``, ``n_obs``.
    """
    spec = get_spec(model)
    nuts_sampler = _resolve_sampler(sampler, model)
    if nuts_sampler == "gibbs":
        from shrinkage.inference.gibbs.adapter import sample_gibbs

        return sample_gibbs(
            model, draws=draws, tune=tune, chains=chains, cores=cores,
            random_seed=random_seed, progressbar=progressbar, **kwargs,
        )  # fmt: skip
    if cores is None:
        cores = min(chains, os.cpu_count() or 1)
    if tune is None:
        tune = NUTS_TUNE
    if _resolve_form(form, spec) == "marginal":
        from shrinkage.inference.marginal.sampler import sample_marginal

        if nuts_sampler == "nutpie":
            kwargs["nuts"] = _marginal_nutpie_defaults(spec) | kwargs.get("nuts", {})
        return sample_marginal(
            model, draws=draws, tune=tune, chains=chains, cores=cores,
            random_seed=random_seed, nuts_sampler=nuts_sampler,
            target_accept=MARGINAL_TARGET_ACCEPT if target_accept is None else target_accept,
            progressbar=progressbar, log_likelihood=log_likelihood, **kwargs,
        )  # fmt: skip
    if target_accept is None:
        target_accept = spec.prior.target_accept
    if nuts_sampler == "nutpie" and spec.prior.nutpie_adaptation != "diag":
        kwargs["nuts"] = {"adaptation": spec.prior.nutpie_adaptation} | kwargs.get("nuts", {})
    idata = pm.sample(
        draws=draws,
        tune=tune,
        chains=chains,
        cores=cores,
        random_seed=random_seed,
        nuts_sampler=nuts_sampler,
        target_accept=target_accept,
        progressbar=progressbar,
        model=model,
        **kwargs,
    )
    if log_likelihood:
        idata = add_log_likelihood(idata, model)
    return add_shrinkage_metadata(idata, model)


#: NUTS target acceptance of the marginal form: no funnel is left, and on the horseshoe
#: benchmark (n=100, p=200, seeds 1, 2, 4 x 1000) 0.8 gave 0 divergences, 15 leapfrog steps
#: and min bulk ESS 1511 / 1424 against 854 / 859 at 0.9 (same steps; larger step size)
MARGINAL_TARGET_ACCEPT = 0.8

#: nutpie's mass-matrix adaptation for the marginal form: from the draws' variances (as Stan
#: and PyMC do). nutpie's default also uses the gradients' variances, and so gave sigma and
#: tau too little momentum along the ridge of the noise scale and the many small prior
#: variances when p > n: regularized horseshoe n=200, p=1000, seed 1, 2 chains x 250 after
#: 1000 tuning steps, bulk ESS of sigma / tau / min over beta 19 / 25 / 44 ("diag", 15
#: leapfrog steps) against 105 / 84 / 135 ("draw_diag", 17 steps)
MARGINAL_NUTPIE_ADAPTATION = "draw_diag"

#: nutpie's extra tree doublings after the U-turn for the marginal form when p > n. There the
#: U-turn of the many fast local scales stops each trajectory after 15-31 steps, before
#: sigma, tau and the local scales of the borderline coefficients (posterior mass both near
#: zero and in the slab) have moved far. Same case, seed 4, 2 chains x 500: one extra
#: doubling took 44 instead of 19 steps per draw (2.2x the time) and raised the bulk ESS of
#: sigma / tau / min over beta from 155 / 272 / 172 to 366 / 605 / 270 (max r_hat 1.043 ->
#: 1.008): about the same ESS per second, more per draw.
MARGINAL_EXTRA_DOUBLINGS_P_GT_N = 1


def _marginal_nutpie_defaults(spec) -> dict[str, Any]:
    nuts: dict[str, Any] = {"adaptation": MARGINAL_NUTPIE_ADAPTATION}
    if spec.design.n_features > spec.design.n_obs:
        nuts["extra_doublings"] = MARGINAL_EXTRA_DOUBLINGS_P_GT_N
    return nuts


#: NUTS tuning steps when the caller does not say (PyMC's default)
NUTS_TUNE = 1000


def _resolve_form(form: str, spec) -> str:
    from shrinkage.inference.marginal.sampler import marginal_supported

    if form not in ("auto", "marginal", "noncentred"):
        raise ValueError(f"form must be 'auto', 'marginal' or 'noncentred'; got {form!r}")
    if form == "marginal" and not marginal_supported(spec):
        raise ValueError(
            "form='marginal' needs the single-output Gaussian family and a Horseshoe, "
            "RegularizedHorseshoe or GroupHorseshoe prior"
        )
    if form == "auto":
        return "marginal" if marginal_supported(spec) else "noncentred"
    return form


def add_log_likelihood(idata: xr.DataTree, model: pm.Model) -> xr.DataTree:
    """Add the pointwise log-likelihood ``y`` (dims chain, draw, obs) to ``idata``.

    PyMC computes it from the model, except for the sufficient-statistics Gaussian form whose
    observed term is a single number: there ``log N(y_i | a + x_i'beta, sigma)`` is computed
    with numpy from the draws of ``beta``, ``intercept``, ``sigma`` and the design the model was
    built with (the same layout and values as the pointwise form would give).
    """
    spec = get_spec(model)
    design = spec.design
    if not spec.family.uses_sufficient_stats(design.n_obs, design.n_features):
        if "log_likelihood" not in idata.children:
            idata = pm.compute_log_likelihood(idata, model=model, progressbar=False)
        return idata
    post = idata["posterior"]
    beta = post["beta"].transpose("chain", "draw", "feature").values
    a = post["intercept"].values if "intercept" in post else 0.0
    sigma = post["sigma"].values if "sigma" in post else spec.family.sigma
    ll = spec.family.pointwise_log_likelihood(design.X, design.y, beta, a, sigma)
    obs = model.coords.get("obs", np.arange(design.n_obs))
    if len(obs) != design.n_obs:
        raise ValueError(
            "the model's rows were replaced (set_predictors / pm.set_data); the pointwise "
            "log-likelihood needs the training rows: rebuild the model with build_model"
        )
    ds = xr.Dataset(
        {"y": (("chain", "draw", "obs"), ll)},
        coords={"chain": post["chain"].values, "draw": post["draw"].values, "obs": list(obs)},
    )
    idata["log_likelihood"] = xr.DataTree(ds)
    if "observed_data" not in idata.children:
        obs_ds = xr.Dataset({"y": (("obs",), design.y)}, coords={"obs": list(obs)})
        idata["observed_data"] = xr.DataTree(obs_ds)
    return idata


def add_shrinkage_metadata(idata: xr.DataTree, model: pm.Model) -> xr.DataTree:
    """Add the design's scaling to ``constant_data`` and the spec to ``attrs`` (in place)."""
    spec = get_spec(model)
    design = spec.design
    out_dims = () if design.n_outputs is None else ("output",)
    coords: dict[str, Any] = {"feature": design.feature_names}
    if design.n_outputs is not None:
        coords["output"] = design.output_names
    scaling = xr.Dataset(
        {
            "x_center": ("feature", design.x_center),
            "x_scale": ("feature", design.x_scale),
            "y_center": (out_dims, np.asarray(design.y_center)),
            "y_scale": (out_dims, np.asarray(design.y_scale)),
        },
        coords=coords,
    )
    if "constant_data" in idata.children:
        merged = idata["constant_data"].to_dataset().assign(scaling.data_vars)
        idata["constant_data"] = xr.DataTree(merged)
    else:
        idata["constant_data"] = xr.DataTree(scaling)
    idata.attrs["shrinkage_prior"] = repr(spec.prior)
    idata.attrs["shrinkage_family"] = spec.family.name
    idata.attrs["n_obs"] = design.n_obs
    return idata
