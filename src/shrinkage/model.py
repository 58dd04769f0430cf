"""``build_model``: Design + Prior + Family -> an ordinary ``pymc.Model``.

The model is

.. math::

    \\mu = a + Z \\beta, \\qquad y \\sim \\text{family}(\\mu, \\ldots), \\qquad
    \\beta \\sim \\text{prior}

with ``Z`` the (standardized) design held in ``pm.Data("X")``, ``beta`` on that scale and
``beta_original`` / ``intercept_original`` deterministic on the original scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from shrinkage.design import Design
from shrinkage.families import Family, get_family
from shrinkage.priors import BuildContext, Prior

__all__ = ["ModelSpec", "build_model", "get_spec", "set_predictors"]

_SPEC_ATTR = "_shrinkage_spec"


@dataclass(frozen=True)
class ModelSpec:
    """What a model was built from: the design, prior, family and intercept option."""

    design: Design
    prior: Prior
    family: Family
    intercept: bool | str


def get_spec(model: pm.Model) -> ModelSpec:
    """The :class:`ModelSpec` of a model made by :func:`build_model`."""
    spec = getattr(model, _SPEC_ATTR, None)
    if spec is None:
        raise ValueError("this model was not built by shrinkage.build_model (no spec attached)")
    return spec


def _check_combination(prior: Prior, family: Family, design: Design) -> None:
    if not isinstance(prior, Prior):
        raise TypeError(f"prior must be a shrinkage.priors.Prior; got {type(prior).__name__}")
    if family.multi_output and not prior.multi_output:
        raise ValueError(
            f"{type(prior).__name__} is not supported with the multi-output family; use "
            "Gaussian, Laplace, ElasticNet, GroupLasso or GroupHorseshoe"
        )
    if prior.needs_groups and design.groups is None and not family.multi_output:
        raise ValueError(
            f"{type(prior).__name__} needs groups=: a label per column or {{group: [columns]}}"
        )


def build_model(
    X: Any,
    y: Any,
    *,
    prior: Prior,
    family: str | Family = "gaussian",
    groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
    standardize: bool = True,
    intercept: bool | str = True,
) -> pm.Model:
    """Build a shrinkage regression as a ``pymc.Model``.

    Parameters
    ----------
    X : array-like or DataFrame, shape (n, p)
    y : array-like, shape (n,) or (n, k) for ``family="multi_gaussian"``
    prior : shrinkage.priors.Prior
        Prior on the coefficients of the (standardized) design.
    family : str or shrinkage.families.Family
        ``"gaussian"``, ``"student_t"``, ``"laplace"``, ``"bernoulli"``, ``"poisson"``,
        ``"multi_gaussian"``, or a family object.
    groups : sequence or mapping, optional
        Group label per column or ``{group: [columns]}``; required by group priors (for the
        multi-output family each feature is its own group by default).
    standardize : bool
        Centre and scale the columns (divisor-n sd), and ``y`` for Gaussian-type families.
    intercept : bool or "flat"
        ``True``: ``intercept ~ Normal(mean, 2.5 sd)`` of the response on the model's scale
        (logit / log scale: ``Normal(0 or log mean(y), 2.5)``); ``"flat"``: improper flat prior;
        ``False``: no intercept.

    Returns
    -------
    pymc.Model
        Coords ``feature``, ``obs`` (and ``group``, ``output``); data ``X``, ``y_data``;
        observed ``y``; ``beta``, ``beta_original``, ``intercept``, ``intercept_original``.
        :func:`get_spec` returns what it was built from.

    Raises
    ------
    ValueError
        For invalid combinations: group priors without groups (single output); priors other
        than Gaussian, Laplace, ElasticNet, GroupLasso, GroupHorseshoe with the multi-output
        family; a 2-D ``y`` with a single-output family and vice versa.
    """
    if intercept not in (True, False, "flat"):
        raise ValueError(f"intercept must be True, False or 'flat'; got {intercept!r}")
    family = get_family(family)
    design = Design(
        X, y, groups=groups, standardize=standardize, standardize_y=family.standardize_y
    )
    family.validate_y(design.y_raw)
    _check_combination(prior, family, design)

    multi = family.multi_output
    group_codes, group_names = design.groups, design.group_names
    if multi and group_codes is None:
        group_codes, group_names = np.arange(design.n_features), list(design.feature_names)
    coords: dict[str, Any] = {"feature": design.feature_names, "obs": design.obs_names}
    if group_names is not None:
        coords["group"] = group_names
    if multi:
        coords["output"] = design.output_names
    beta_dims = ("feature", "output") if multi else ("feature",)
    out_dims = "output" if multi else None
    y_dims = ("obs", "output") if multi else ("obs",)

    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", design.X, dims=("obs", "feature"))
        y_data = pm.Data("y_data", design.y, dims=y_dims)
        stats = _packed_data(_data_stats(design, family, intercept))
        sigma = (
            family.build_sigma(design.y, dims=out_dims, scale=stats.get("sigma_scale"))
            if family.has_sigma
            else None
        )
        ctx = BuildContext(
            dims=beta_dims,
            n_obs=design.n_obs,
            n_features=design.n_features,
            n_outputs=design.n_outputs,
            groups=group_codes,
            sigma=sigma if sigma is not None else family.pseudo_sigma(design.y),
            noise_sigma=sigma,
        )
        beta = prior.build(ctx)
        a = _build_intercept(intercept, family, design, out_dims, stats)
        family.build_linear_likelihood(
            X_data,
            beta,
            a,
            y_data,
            sigma,
            y_dims,
            design.X,
            design.y,
            stats=stats.get("suffstats"),
        )
        _original_scale(design, beta, a, beta_dims, out_dims, stats)
    setattr(model, _SPEC_ATTR, ModelSpec(design, prior, family, intercept))
    return model


def _data_stats(design: Design, family: Family, intercept: bool | str) -> dict[str, Any]:
    """Every number the model takes from the data, by name (see :func:`_packed_data`)."""
    parts: dict[str, Any] = {
        "x_center": design.x_center,
        "x_scale": design.x_scale,
        "y_center": design.y_center,
        "y_scale": design.y_scale,
    }
    if intercept is True:
        parts["intercept_mu"], parts["intercept_sd"] = family.intercept_prior(design.y)
    if family.has_sigma and family.sigma_prior_scale(design.y) is not None:
        parts["sigma_scale"] = family.sigma_prior_scale(design.y)
    if family.uses_sufficient_stats(design.n_obs, design.n_features):
        from shrinkage.families.suffstats import suffstat_vector

        parts["suffstats"] = suffstat_vector(design.X, design.y)
    return parts


def _packed_data(parts: dict[str, Any]) -> dict[str, Any]:
    """``parts`` as views of one ``pm.Data`` vector ``_stats``, each in its own shape.

    Data, not graph constants: a refit on new rows of the same width reuses the compiled model
    (:mod:`shrinkage.inference.compile_cache`). One vector, because nutpie's compile time
    grows with each data variable (about 1.4 s each on 2 busy cores).
    """
    values = {name: np.asarray(value, dtype=np.float64) for name, value in parts.items()}
    flat = np.concatenate([v.ravel() for v in values.values()])
    data = pm.Data("_stats", flat)
    views, start = {}, 0
    for name, value in values.items():
        views[name] = data[start : start + value.size].reshape(value.shape)
        start += value.size
    return views


def _build_intercept(intercept, family: Family, design: Design, dims, stats=None):
    """The intercept; its Normal prior's mean and sd from ``stats`` (model data) if given."""
    if intercept is False:
        return 0.0
    if intercept == "flat":
        return pm.Flat("intercept", dims=dims)
    if stats is None:
        mean, sd = family.intercept_prior(design.y)
    else:
        mean, sd = stats["intercept_mu"], stats["intercept_sd"]
    return pm.Normal("intercept", mean, sd, dims=dims)


def _original_scale(design: Design, beta, a, beta_dims, out_dims, stats: dict[str, Any]) -> None:
    """beta_orig = s_y beta / s_x; a_orig = c_y + s_y (a - sum_j beta_j c_j / s_j)."""
    x_scale = stats["x_scale"] if design.n_outputs is None else stats["x_scale"][:, None]
    w = beta / x_scale
    shift = pt.dot(stats["x_center"], w)
    y_center, y_scale = stats["y_center"], stats["y_scale"]
    pm.Deterministic("beta_original", y_scale * w, dims=beta_dims)
    pm.Deterministic("intercept_original", y_center + y_scale * (a - shift), dims=out_dims)


def set_predictors(model: pm.Model, X_new: Any) -> None:
    """Replace the design of ``model`` by new rows (standardized with the stored scaling).

    After this, ``pm.sample_posterior_predictive(idata, model=model, predictions=True)`` draws
    the response at the new rows (on the model's scale: multiply by ``y_scale`` and add
    ``y_center`` for Gaussian-type families with ``standardize=True``).
    """
    spec = get_spec(model)
    Z = spec.design.transform(X_new)
    k = spec.design.n_outputs
    y_dummy = np.zeros(Z.shape[0]) if k is None else np.zeros((Z.shape[0], k))
    with model:
        pm.set_data({"X": Z, "y_data": y_dummy}, coords={"obs": np.arange(Z.shape[0])})
