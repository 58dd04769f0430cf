"""The Gibbs backend of ``sample``: a model of :func:`shrinkage.build_model`, exact Gibbs draws.

:mod:`.spec` translates the model's prior and family into the Gibbs core's arguments and back;
:class:`Gibbs` follows the sampler contract of :mod:`shrinkage.inference.backend`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from shrinkage.inference.backend import Draws, SampleRequest
from shrinkage.inference.gibbs.core import gibbs_sample, resolve_thin, resolve_tune
from shrinkage.inference.gibbs.spec import gibbs_arguments, model_variables

if TYPE_CHECKING:
    import pymc as pm

    from shrinkage.model import ModelSpec

__all__ = ["Gibbs"]


class Gibbs:
    """Gibbs draws from a Gaussian-family model; the same posterior as the PyMC model.

    The ``posterior`` holds the model's free and deterministic variables with its dims and
    coords (auxiliary variables of the other parametrization skipped); ``sample_stats`` holds
    ``diverging`` (all False: Gibbs has no divergences) and, for the horseshoe family,
    ``slice_evals``. The pointwise log-likelihood comes from the draws (``log_likelihood``).
    ``request.options`` go to :func:`~shrinkage.inference.gibbs.core.gibbs_sample`
    (``method``, ``thin``, ...); ``target_accept`` does not apply. Attrs: ``tuning_steps``
    (burn-in sweeps) and ``thinning`` (sweeps per kept draw).
    """

    name = "gibbs"

    def run(self, spec: ModelSpec, model: pm.Model, request: SampleRequest) -> Draws:
        args = gibbs_arguments(spec)
        start = time.perf_counter()
        res = gibbs_sample(
            **args,
            draws=request.draws,
            tune=request.tune,
            chains=request.chains,
            random_seed=request.random_seed,
            n_jobs=request.cores,
            progressbar=request.progressbar,
            log_likelihood=request.log_likelihood,
            **request.options,
        )
        elapsed = time.perf_counter() - start
        attrs = {
            "inference_library": "shrinkage.gibbs",
            "sampling_time": elapsed,
            "tuning_steps": resolve_tune(args["prior"], request.tune),
            "thinning": resolve_thin(args["prior"], request.options.get("thin")),
        }
        groups = {"posterior": _posterior(model, spec, args, res), "sample_stats": _stats(res)}
        return Draws(groups=groups, log_likelihood=res.get("log_likelihood"), attrs=attrs)


def _posterior(model: pm.Model, spec: ModelSpec, args: dict[str, Any], res) -> xr.Dataset:
    chains, draws = res["beta"].shape[:2]
    model_dims = model.named_vars_to_dims
    coords = {k: np.asarray(v) for k, v in model.coords.items()}
    names = [v.name for v in model.free_RVs] + [v.name for v in model.deterministics]
    values = model_variables(res, args, spec)
    post = {}
    for name in names:
        if name in values:  # auxiliary variables of another parametrization are skipped
            dims = ("chain", "draw", *model_dims.get(name, ()))
            post[name] = xr.DataArray(values[name], dims=dims)
    used = {d for da in post.values() for d in da.dims}
    sample = {"chain": np.arange(chains), "draw": np.arange(draws)}
    return xr.Dataset(post, coords=sample | {k: coords[k] for k in used & set(coords)})


def _stats(res) -> xr.Dataset:
    chains, draws = res["beta"].shape[:2]
    stats = {"diverging": (("chain", "draw"), np.zeros((chains, draws), dtype=bool))}
    if "slice_evals" in res:
        stats["slice_evals"] = (("chain", "draw"), res["slice_evals"])
    return xr.Dataset(stats, coords={"chain": np.arange(chains), "draw": np.arange(draws)})
