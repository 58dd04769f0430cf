"""Run the Gibbs sampler on a model made by :func:`shrinkage.build_model`; NUTS-shaped output.

:mod:`.spec` translates the model's prior and family into the Gibbs core's arguments and back.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pymc as pm
import xarray as xr

from shrinkage.inference.gibbs.core import gibbs_sample, resolve_thin, resolve_tune
from shrinkage.inference.gibbs.spec import gibbs_arguments, model_variables
from shrinkage.model import get_spec

__all__ = ["sample_gibbs"]


def sample_gibbs(
    model: pm.Model,
    *,
    draws: int = 1000,
    tune: int | None = None,
    chains: int = 4,
    cores: int | None = None,
    random_seed: int | None = None,
    progressbar: bool = False,
    **kwargs: Any,
) -> xr.DataTree:
    """Gibbs draws from a Gaussian-family model of :func:`shrinkage.build_model`.

    Same posterior as the PyMC model (module table), returned in the layout of
    :func:`shrinkage.sample` with NUTS: ``posterior`` (the model's free and deterministic
    variables with its dims and coords), ``sample_stats`` (``diverging``, all False: Gibbs has
    no divergences; ``slice_evals`` for the horseshoe family), ``log_likelihood`` (``y``),
    ``observed_data``, ``constant_data``. ``kwargs`` go to
    :func:`~shrinkage.inference.gibbs.core.gibbs_sample` (``method``, ``thin``); the sweeps per
    kept draw are recorded as the ``thinning`` attribute of ``posterior`` and ``sample_stats``.
    """
    from shrinkage.inference.sampling import add_shrinkage_metadata

    spec = get_spec(model)
    args = gibbs_arguments(spec)
    start = time.perf_counter()
    res = gibbs_sample(
        **args,
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        n_jobs=cores,
        progressbar=progressbar,
        **kwargs,
    )
    elapsed = time.perf_counter() - start
    dt = _datatree(model, spec, args, res)
    thin = resolve_thin(args["prior"], kwargs.get("thin"))
    tune = resolve_tune(args["prior"], tune)
    for group in ("posterior", "sample_stats"):
        dt[group].attrs.update(
            {
                "inference_library": "shrinkage.gibbs",
                "sampling_time": elapsed,
                "tuning_steps": tune,
                "thinning": thin,  # sweeps per kept draw
            }
        )
    return add_shrinkage_metadata(dt, model)


def _datatree(model, spec, args, res) -> xr.DataTree:
    design = spec.design
    chains, draws = res["beta"].shape[:2]
    sample = {"chain": np.arange(chains), "draw": np.arange(draws)}
    model_dims = model.named_vars_to_dims
    coords = {k: np.asarray(v) for k, v in model.coords.items()}
    names = [v.name for v in model.free_RVs] + [v.name for v in model.deterministics]
    values = model_variables(res, args, spec)
    post = {}
    for name in names:
        if name in values:  # auxiliary variables of another parametrization are skipped
            dims = ("chain", "draw", *model_dims.get(name, ()))
            post[name] = xr.DataArray(values[name], dims=dims)
    obs = {"obs": coords["obs"]}
    stats = {"diverging": (("chain", "draw"), np.zeros((chains, draws), dtype=bool))}
    if "slice_evals" in res:
        stats["slice_evals"] = (("chain", "draw"), res["slice_evals"])
    used = {d for da in post.values() for d in da.dims}
    children = {
        "posterior": xr.Dataset(post, coords=sample | {k: coords[k] for k in used & set(coords)}),
        "sample_stats": xr.Dataset(stats, coords=sample),
        "log_likelihood": xr.Dataset(
            {"y": (("chain", "draw", "obs"), res["log_likelihood"])}, coords=sample | obs
        ),
        "observed_data": xr.Dataset({"y": ("obs", design.y)}, coords=obs),
        "constant_data": xr.Dataset(
            {"X": (("obs", "feature"), design.X)}, coords=obs | {"feature": coords["feature"]}
        ),
    }
    return xr.DataTree.from_dict({k: v for k, v in children.items()})
