"""The sampler contract: one request, one small backend protocol, one record of raw draws.

:func:`shrinkage.inference.sample` (the funnel) validates its arguments, resolves the model's
:class:`~shrinkage.model.ModelSpec` once, picks a backend and calls
``backend.run(spec, model, request)``; :func:`shrinkage.inference._idata.assemble` turns the
returned :class:`Draws` into the DataTree. The backends are siblings that never import the
funnel:

* :class:`~shrinkage.inference.nuts.Nuts`: NUTS by nutpie or PyMC on the model as built
  (``name`` = ``"nutpie"`` or ``"pymc"``);
* :class:`~shrinkage.inference.marginal.sampler.Marginal`: NUTS on the collapsed model, then
  exact ``beta`` draws (``name`` = ``"marginal"``);
* :class:`~shrinkage.inference.gibbs.adapter.Gibbs`: the exact Gibbs sampler
  (``name`` = ``"gibbs"``).

The keyword set is closed: every option ``sample`` accepts is a field of
:class:`SampleRequest` (frozen), ``None`` meaning "the backend's default", and what only one
backend understands travels in ``options`` (``sample``'s ``**kwargs``, passed on to
``pymc.sample`` or ``gibbs_sample`` unchanged). A new backend is one class with ``name`` and
``run``, plus one branch in the funnel's backend choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pymc as pm
    import xarray as xr

    from shrinkage.model import ModelSpec

__all__ = ["Backend", "Draws", "SampleRequest"]


@dataclass(frozen=True, kw_only=True)
class SampleRequest:
    """What the caller of ``sample`` asked for; ``None`` leaves the choice to the backend.

    ``tune``: NUTS warm-up steps (default 1000) or Gibbs burn-in sweeps (default per prior).
    ``cores``: parallel chains (NUTS default ``min(chains, os.cpu_count())``).
    ``target_accept``: NUTS only (default per prior, or the marginal form's own).
    ``log_likelihood``: store the pointwise log-likelihood.
    ``options``: backend-specific keywords (``pymc.sample``'s or ``gibbs_sample``'s).
    """

    draws: int
    tune: int | None
    chains: int
    cores: int | None
    random_seed: int | None
    progressbar: bool
    target_accept: float | None
    log_likelihood: bool
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Draws:
    """A backend's raw output, in the model's variable names, dims and coords.

    ``groups``: at least ``posterior`` and ``sample_stats``, plus any group the sampling
    library wrote itself (PyMC's ``observed_data``, ``constant_data``, ``log_likelihood``);
    kept in this order. ``log_likelihood``: pointwise values ``(chain, draw, obs)`` when the
    backend computed them (kept whatever the request says), else ``None``.
    ``attrs``: added to the ``posterior`` and ``sample_stats`` attrs (``inference_library``,
    ``sampling_time``, ``tuning_steps``, ``thinning``, ``shrinkage_form``).
    """

    groups: Mapping[str, xr.Dataset]
    log_likelihood: np.ndarray | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)


class Backend(Protocol):
    """A sampler behind ``sample``: ``run`` draws from the posterior of ``model``."""

    name: str

    def run(self, spec: ModelSpec, model: pm.Model, request: SampleRequest) -> Draws: ...
