"""The one DataTree assembler: every backend's :class:`~.backend.Draws` become one layout.

Groups, in this order: the backend's (``posterior``, ``sample_stats`` and whatever its library
wrote), ``log_likelihood`` when the backend computed it, ``observed_data`` (``y``) and
``constant_data`` (``X``) when the backend wrote none, ``log_likelihood`` from the family when
asked for and still missing. ``constant_data`` always gains the design's scaling
(``x_center``, ``x_scale``, ``y_center``, ``y_scale``) and loses the model's internal data
(names starting with ``_``: prior constants and sufficient statistics); the root attrs say
``shrinkage_prior``, ``shrinkage_family``, ``n_obs``. Nothing here samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    import pymc as pm

    from shrinkage.inference.backend import Draws
    from shrinkage.model import ModelSpec

__all__ = ["assemble"]


def assemble(
    spec: ModelSpec, model: pm.Model, draws: Draws, *, log_likelihood: bool
) -> xr.DataTree:
    """The DataTree of ``draws`` (module docstring); ``log_likelihood`` as requested."""
    design = spec.design
    children = dict(draws.groups)
    post = children["posterior"]
    if getattr(design, "out_of_core", False):
        return _out_of_core(spec, children, draws)
    if draws.log_likelihood is not None:
        children["log_likelihood"] = _pointwise(draws.log_likelihood, post, model, design.n_obs)
    if "observed_data" not in children:
        obs = {"obs": _training_rows(model, design.n_obs)}
        y_dims = ("obs",) if design.n_outputs is None else ("obs", "output")
        children["observed_data"] = xr.Dataset({"y": (y_dims, design.y)}, coords=obs)
    if "constant_data" not in children:
        coords = {"obs": _training_rows(model, design.n_obs)}
        coords["feature"] = np.asarray(model.coords["feature"])
        children["constant_data"] = xr.Dataset({"X": (("obs", "feature"), design.X)}, coords)
    if log_likelihood and "log_likelihood" not in children:
        ll = spec.family.pointwise_log_likelihood(
            design.X,
            design.y,
            post["beta"].transpose("chain", "draw", "feature").values,
            post["intercept"].values if "intercept" in post else 0.0,
            post["sigma"].values if "sigma" in post else spec.family.sigma,
        )
        children["log_likelihood"] = _pointwise(ll, post, model, design.n_obs)
    const = children["constant_data"]
    internal = [name for name in const.variables if str(name).startswith("_")]  # model stats
    children["constant_data"] = const.drop_vars(internal).assign(_scaling(spec).data_vars)
    for group in ("posterior", "sample_stats"):
        children[group] = children[group].assign_attrs(draws.attrs)
    dt = xr.DataTree.from_dict(children)
    dt.attrs["shrinkage_prior"] = repr(spec.prior)
    dt.attrs["shrinkage_family"] = spec.family.name
    dt.attrs["n_obs"] = design.n_obs
    return dt


#: Root attribute of an out-of-core fit saying why it has no pointwise log-likelihood.
LOO_UNAVAILABLE = (
    "PSIS-LOO is not available out of core: it needs log p(y_i | draw) for every row i and "
    "draw, chains x draws x n numbers computed from the rows, which stay in the Dask "
    "collection; the fit keeps only the sufficient statistics (X'X, X'y, y'y)"
)


def _out_of_core(spec: ModelSpec, children: dict, draws: Draws):
    """The layout without the rows: no ``observed_data``, ``X`` or pointwise log-likelihood."""
    for group in ("observed_data", "constant_data", "log_likelihood"):
        children.pop(group, None)
    children["constant_data"] = _scaling(spec)
    for group in ("posterior", "sample_stats"):
        children[group] = children[group].assign_attrs(draws.attrs)
    dt = xr.DataTree.from_dict(children)
    dt.attrs["shrinkage_prior"] = repr(spec.prior)
    dt.attrs["shrinkage_family"] = spec.family.name
    dt.attrs["n_obs"] = spec.design.n_obs
    dt.attrs["out_of_core"] = 1
    dt.attrs["loo_unavailable"] = LOO_UNAVAILABLE  # whatever log_likelihood asked
    return dt


def _training_rows(model: pm.Model, n_obs: int) -> np.ndarray:
    """The ``obs`` coordinate of the ``n_obs`` rows the model was built with."""
    obs = np.asarray(model.coords.get("obs", np.arange(n_obs)))
    if len(obs) != n_obs:
        raise ValueError(
            "the model's rows were replaced (set_predictors / pm.set_data); the pointwise "
            "log-likelihood needs the training rows: rebuild the model with build_model"
        )
    return obs


def _pointwise(ll: np.ndarray, post: xr.Dataset, model: pm.Model, n_obs: int) -> xr.Dataset:
    """``log p(y_i | draw)``, ``(chain, draw, obs)``, as the ``log_likelihood`` group."""
    coords = {"chain": post["chain"].values, "draw": post["draw"].values}
    coords["obs"] = _training_rows(model, n_obs)
    return xr.Dataset({"y": (("chain", "draw", "obs"), ll)}, coords=coords)


def _scaling(spec: ModelSpec) -> xr.Dataset:
    """The design's centring and scaling, for the original-scale summaries of the report."""
    design = spec.design
    out_dims = () if design.n_outputs is None else ("output",)
    coords: dict[str, Any] = {"feature": design.feature_names}
    if design.n_outputs is not None:
        coords["output"] = design.output_names
    return xr.Dataset(
        {
            "x_center": ("feature", design.x_center),
            "x_scale": ("feature", design.x_scale),
            "y_center": (out_dims, np.asarray(design.y_center)),
            "y_scale": (out_dims, np.asarray(design.y_scale)),
        },
        coords=coords,
    )
