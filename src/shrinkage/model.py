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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from shrinkage.design import Design
from shrinkage.families import Family, get_family
from shrinkage.formula import FormulaDesign, formula_design
from shrinkage.priors import BuildContext, Prior

__all__ = ["ModelSpec", "build_model", "get_spec", "set_predictors", "with_formula"]

_SPEC_ATTR = "_shrinkage_spec"


@dataclass(frozen=True)
class ModelSpec:
    """What a model was built from: the design, prior, family, intercept option and formula.

    ``formula`` (a :class:`shrinkage.formula.FormulaDesign`) is None for a matrix fit.
    """

    design: Design
    prior: Prior
    family: Family
    intercept: bool | str
    formula: FormulaDesign | None = None


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
    y: Any = None,
    *,
    prior: Prior,
    family: str | Family = "gaussian",
    groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
    standardize: bool = True,
    intercept: bool | str = True,
    data: Any = None,
) -> pm.Model:
    """Build a shrinkage regression as a ``pymc.Model``.

    Parameters
    ----------
    X : array-like, DataFrame (n, p), or a formula string
        The predictors, or a formula such as ``"y ~ x1 + C(g) + x2:x3"`` read from ``data``
        (:mod:`shrinkage.formula`: readable column names, categorical terms become groups).
    y : array-like, shape (n,) or (n, k) for ``family="multi_gaussian"``
        Required unless ``X`` is a formula with a left-hand side.
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
    data : DataFrame, optional
        The data a formula ``X`` reads (only with a formula).

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
        family; a 2-D ``y`` with a single-output family and vice versa; formula problems
        (see :func:`shrinkage.formula.formula_design`).
    TypeError
        ``data=`` without a formula, or no ``y`` without a formula.
    """
    formula = None
    if isinstance(X, str):
        X, y, groups, formula = formula_design(X, data, y, groups)
    elif data is not None:
        raise TypeError("data= goes with a formula: build_model('y ~ x1 + x2', data=df, ...)")
    elif y is None and not getattr(X, "out_of_core", False):  # a GramDesign carries its y
        raise TypeError("build_model needs y, or a formula 'y ~ ...' with data=")
    if intercept not in (True, False, "flat"):
        raise ValueError(f"intercept must be True, False or 'flat'; got {intercept!r}")
    family = get_family(family)
    design = _design(X, y, family, groups, standardize)
    y_ref = getattr(design, "y_moments", design.y)  # out of core: mean and sd only
    family.validate_y(design.y_raw if y_ref is design.y else y_ref)
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
        data = (design.stats, None) if y_ref is not design.y else (design.X, design.y)
        stats = _packed_data(_data_stats(design, family, intercept, y_ref, data))
        sigma = (
            family.build_sigma(y_ref, dims=out_dims, scale=stats.get("sigma_scale"))
            if family.has_sigma
            else None
        )
        ctx = BuildContext(
            dims=beta_dims,
            n_obs=design.n_obs,
            n_features=design.n_features,
            n_outputs=design.n_outputs,
            groups=group_codes,
            sigma=sigma if sigma is not None else family.pseudo_sigma(y_ref),
            noise_sigma=sigma,
        )
        beta = prior.build(ctx)
        a = _build_intercept(intercept, family, y_ref, out_dims, stats)
        family.build_linear_likelihood(
            X_data, beta, a, y_data, sigma, y_dims, *data, stats=stats.get("suffstats")
        )
        _original_scale(design, beta, a, beta_dims, out_dims, stats)
    setattr(model, _SPEC_ATTR, ModelSpec(design, prior, family, intercept, formula))
    return model


def with_formula(model: pm.Model, formula: FormulaDesign | None) -> pm.Model:
    """Attach a fitted formula to a model built from its design frame; return the model."""
    setattr(model, _SPEC_ATTR, replace(get_spec(model), formula=formula))
    return model


def _design(X: Any, y: Any, family: Family, groups, standardize: bool) -> Design:
    """The in-memory :class:`Design`, or a :class:`GramDesign` for Dask inputs (one pass).

    A :class:`GramDesign` passed as ``X`` (``y=None``; an out-of-core fit being rebuilt after
    unpickling) is reused as it is: its statistics are all the data there is.
    """
    from shrinkage.outofcore import is_dask

    if getattr(X, "out_of_core", False) and y is None:
        return X
    if not (is_dask(X) or is_dask(y)):
        return Design(
            X, y, groups=groups, standardize=standardize, standardize_y=family.standardize_y
        )
    from shrinkage.outofcore.design import GramDesign

    if not family.supports_out_of_core:
        raise ValueError(
            f"family {family.name!r} cannot be built on out-of-core (Dask) data: only the "
            "Gaussian likelihood reduces to X'X, X'y, y'y. Alternatives: the penalized MAP "
            "out of core (shrinkage.outofcore.glm_map for logistic / Poisson; "
            "docs/big-data.md), or sample on a sample of rows "
            "(X.sample(frac=...).compute())"
        )
    return GramDesign(
        X, y, groups=groups, standardize=standardize, standardize_y=family.standardize_y
    )


def _data_stats(
    design: Design, family: Family, intercept: bool | str, y_ref: np.ndarray, data: tuple
) -> dict[str, Any]:
    """Every number the model takes from the data, by name (see :func:`_packed_data`).

    ``y_ref`` is the response the priors read (out of core: its two moments); ``data`` the
    likelihood's ``(X, y)``, or ``(GramStats, None)`` out of core, whose centred sufficient
    statistics (:func:`~shrinkage.families.suffstats.suffstat_vector`) are packed too when
    the likelihood uses them.
    """
    parts: dict[str, Any] = {
        "x_center": design.x_center,
        "x_scale": design.x_scale,
        "y_center": design.y_center,
        "y_scale": design.y_scale,
    }
    if intercept is True:
        parts["intercept_mu"], parts["intercept_sd"] = family.intercept_prior(y_ref)
    if family.has_sigma and family.sigma_prior_scale(y_ref) is not None:
        parts["sigma_scale"] = family.sigma_prior_scale(y_ref)
    out_of_core = y_ref is not design.y
    if out_of_core or family.uses_sufficient_stats(design.n_obs, design.n_features):
        from shrinkage.families.suffstats import suffstat_vector

        parts["suffstats"] = suffstat_vector(*data)
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


def _build_intercept(intercept, family: Family, y: np.ndarray, dims, stats=None):
    """The intercept; its Normal prior's mean and sd from ``stats`` (model data) if given,
    else from ``y`` (out of core: its two moments, ``y_moments``)."""
    if intercept is False:
        return 0.0
    if intercept == "flat":
        return pm.Flat("intercept", dims=dims)
    if stats is None:
        mean, sd = family.intercept_prior(y)
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
    if spec.formula is not None:  # a formula model reads new data through its formula
        X_new = spec.formula.transform(X_new)
    Z = spec.design.transform(X_new)
    k = spec.design.n_outputs
    y_dummy = np.zeros(Z.shape[0]) if k is None else np.zeros((Z.shape[0], k))
    with model:
        pm.set_data({"X": Z, "y_data": y_dummy}, coords={"obs": np.arange(Z.shape[0])})
