"""NUTS by nutpie or PyMC on the model as built: the :class:`Nuts` backend.

:func:`run_pymc_sample` is the one call of ``pymc.sample`` behind ``sample`` (this backend and
the marginal form's): it fills in the NUTS defaults a request leaves open (``tune`` = 1000,
``cores`` = ``min(chains, os.cpu_count())``), merges the backend's nutpie defaults under
the caller's ``nuts={...}`` and gives PyMC's progress bar a speed column that is right at the
end of a run (:mod:`shrinkage.inference._progress`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pymc as pm
import xarray as xr

from shrinkage.inference._progress import rate_progress_bar
from shrinkage.inference.backend import Draws, SampleRequest
from shrinkage.model import ModelSpec

__all__ = ["NUTS_TUNE", "Nuts", "run_pymc_sample"]

#: NUTS tuning steps when the caller does not say (PyMC's default)
NUTS_TUNE = 1000


def run_pymc_sample(
    model: pm.Model,
    request: SampleRequest,
    *,
    library: str,
    target_accept: float,
    nutpie_defaults: Mapping[str, Any] | None = None,
) -> xr.DataTree:
    """``pymc.sample`` of ``model`` with ``nuts_sampler=library`` and the request's options.

    ``target_accept`` applies when the request leaves it open; ``nutpie_defaults`` (nutpie
    only) sit under the caller's ``nuts={...}``, which wins key by key.
    """
    options = dict(request.options)
    if library == "nutpie" and nutpie_defaults:
        options["nuts"] = dict(nutpie_defaults) | options.get("nuts", {})
    cores = request.cores
    if cores is None:
        cores = min(request.chains, os.cpu_count() or 1)
    with rate_progress_bar():  # PyMC's bar shows 0.00 draws/s at the end otherwise
        return _pm_sample(model, request, library, target_accept, cores, options)


def _pm_sample(model, request, library, target_accept, cores, options) -> xr.DataTree:
    return pm.sample(
        draws=request.draws,
        tune=NUTS_TUNE if request.tune is None else request.tune,
        chains=request.chains,
        cores=cores,
        random_seed=request.random_seed,
        nuts_sampler=library,
        target_accept=target_accept if request.target_accept is None else request.target_accept,
        progressbar=request.progressbar,
        model=model,
        **options,
    )


@dataclass(frozen=True)
class Nuts:
    """NUTS on the model as built; ``name`` is the library, ``"nutpie"`` or ``"pymc"``.

    Defaults from the prior: ``target_accept`` (``prior.target_accept``) and nutpie's
    mass-matrix adaptation (``prior.nutpie_adaptation``). The pointwise log-likelihood comes
    from PyMC (``pymc.compute_log_likelihood``), except for the sufficient-statistics
    Gaussian form, whose observed term is one number: the assembler computes it from the
    draws (:mod:`shrinkage.inference._idata`).
    """

    name: str

    def run(self, spec: ModelSpec, model: pm.Model, request: SampleRequest) -> Draws:
        adaptation = spec.prior.nutpie_adaptation
        idata = run_pymc_sample(
            model,
            request,
            library=self.name,
            target_accept=spec.prior.target_accept,
            nutpie_defaults=None if adaptation == "diag" else {"adaptation": adaptation},
        )
        design = spec.design
        suffstats = spec.family.uses_sufficient_stats(design.n_obs, design.n_features)
        if request.log_likelihood and not suffstats and "log_likelihood" not in idata.children:
            idata = pm.compute_log_likelihood(idata, model=model, progressbar=False)
        groups = {name: node.to_dataset() for name, node in idata.children.items()}
        if request.log_likelihood and suffstats:
            groups.pop("log_likelihood", None)  # pointwise from the draws instead
        return Draws(groups=groups)
