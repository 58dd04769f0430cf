"""Assembly of the posterior report: :func:`report` for one fit, :func:`compare` for several.

:func:`report` joins the per-feature statistics of :mod:`shrinkage.report.stats` (summaries on
both scales, zero mass ``P(|beta_j| < eps_j | y)``, ``E[kappa_j | y]``, retention under every
rule) with the sampling health and PSIS-LOO of :mod:`shrinkage.report.health` into a
:class:`~shrinkage.report.document.Report`. Input is the ``xarray.DataTree`` returned by
``shrinkage.sample`` (ArviZ 1.x, names of ``docs/conventions.md``); output is pandas.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import xarray as xr

from shrinkage.report import posterior as _posterior
from shrinkage.report import stats
from shrinkage.report.document import Report
from shrinkage.report.health import loo_summary, sampling_health
from shrinkage.report.notes import (
    VIF_MAX,
    collinearity_note,
    feature_vif,
    model_notes,
    zero_region_note,
)

__all__ = ["compare", "report"]


def _join_cross_check(table: pd.DataFrame, cross_check: pd.DataFrame | None) -> pd.DataFrame:
    """``table`` joined with the cross-check columns; refuses unknown features and clashes."""
    if cross_check is None:
        return table
    if not isinstance(cross_check, pd.DataFrame):
        raise TypeError("cross_check must be a DataFrame indexed by feature")
    unknown = sorted(set(map(str, cross_check.index)) - set(table.index))
    if unknown:
        raise ValueError(f"cross_check has unknown feature labels: {unknown[:5]}")
    clash = sorted(set(cross_check.columns) & set(table.columns))
    if clash:
        raise ValueError(f"cross_check columns clash with report columns: {clash}")
    cc = cross_check.copy()
    cc.index = cc.index.map(str)
    return table.join(cc)


def report(
    idata: xr.DataTree,
    model=None,
    *,
    cross_check: pd.DataFrame | None = None,
    prob: float | None = None,
    kind: str | None = None,
    eps=None,
    rule: str = stats.DEFAULT_RULE,
    selection=None,
) -> Report:
    """Gather per-feature summaries, zero mass, kappa, retention, sampling health and PSIS-LOO.

    The table has one row per feature: the columns of
    :func:`~shrinkage.report.stats.credible_intervals` (all features), those of
    :func:`~shrinkage.report.stats.zero_mass` and :func:`~shrinkage.report.stats.side_mass`
    (``p_positive``, ``p_negative``), ``kappa_mean`` ``E[kappa_j | y]`` when the prior has
    per-feature local scales, ``retained_<rule>`` for every available rule, ``retained`` under
    ``rule``, ``undetermined`` (mass outside the zero region split between the signs),
    ``collinear`` (VIF > 10) and the ``cross_check`` columns. ``m_eff`` draws are kept when kappa is
    defined; PSIS-LOO is left out (with the reason) when no log-likelihood can be had.

    Parameters
    ----------
    idata : DataTree following ``docs/conventions.md``.
    model : pymc.Model, optional
        Used only to compute the pointwise log-likelihood when ``idata`` lacks it.
    cross_check : DataFrame indexed by feature, optional
        Point estimates to show next to the posterior (e.g. columns ``map``, ``lasso``).
    prob, kind : interval settings (ArviZ rcParams by default).
    eps : zero-region threshold(s) on the standardized scale (default
        :func:`~shrinkage.report.stats.default_eps`: 0.1 in the family's unit).
    rule : retention rule of the ``retained`` column (see :func:`~shrinkage.report.stats.retained`).
    selection : optional
        A selection result (e.g. of :mod:`shrinkage.select`): any object with ``headline()``
        (one line) and ``table()`` (a DataFrame); the report shows both.

    Raises
    ------
    ValueError
        For an unknown ``rule``, or ``cross_check`` with unknown features or clashing columns.
    NoLocalScalesError
        For ``rule="kappa"`` when kappa is not defined per feature.
    """
    if rule not in stats.RULES:
        raise ValueError(f"unknown rule {rule!r}; choose from {stats.RULES}")
    if selection is not None and not (
        callable(getattr(selection, "table", None))
        and callable(getattr(selection, "headline", None))
    ):
        raise TypeError("selection must have table() and headline() (a shrinkage.select result)")
    idata = _posterior.flatten_outputs(idata)  # multi-output: one row per feature and output
    table = stats.credible_intervals(idata, prob, kind, retained_only=False)
    prob, kind, source = table.attrs["ci_prob"], table.attrs["ci_kind"], table.attrs["ci_source"]
    table = table.join(stats.zero_mass(idata, eps)).join(stats.side_mass(idata, eps))
    kappa = stats.kappa_mean(idata)
    if kappa is not None:
        table["kappa_mean"] = kappa
    rules = stats.retention_table(idata, eps=eps, prob=prob, kind=kind)
    if rule not in rules:
        raise stats.NoLocalScalesError(f"rule {rule!r} needs per-feature shrinkage factors")
    for r in rules:
        table[f"retained_{r}"] = rules[r]
    table["retained"] = rules[rule]
    table["undetermined"] = stats.undetermined(idata, eps)  # mass outside zero, sign unknown
    vifs = feature_vif(idata)
    if vifs is not None:  # flags verdicts the data cannot settle (docs/zero-clustering.md)
        table["collinear"] = vifs.reindex(table.index) > VIF_MAX
    table = _join_cross_check(table, cross_check)
    table.attrs.update(ci_prob=prob, ci_kind=kind, ci_source=source, rule=rule)
    table.attrs["cross_check_columns"] = [] if cross_check is None else list(cross_check.columns)
    m_eff = None
    if kappa is not None:
        m_eff = stats.shrinkage_factors(idata)["m_eff"].to_numpy().ravel()
    try:
        loo, loo_error = loo_summary(idata, model), None
    except ValueError as err:
        loo, loo_error = None, str(err)
    return Report(
        table=table,
        health=sampling_health(idata),
        loo=loo,
        loo_error=loo_error,
        m_eff=m_eff,
        idata=idata,
        selection=selection,
        notes=[
            *model_notes(model),
            *(zero_region_note(idata) if eps is None else []),
            *collinearity_note(vifs),
        ],
    )


def compare(fits: Mapping[str, xr.DataTree]) -> pd.DataFrame:
    """PSIS-LOO comparison of several fits of the same data (ArviZ ``compare``).

    Returns ArviZ's table: one row per fit ranked by ``elpd_loo`` (higher is better), with
    ``elpd_diff`` and its standard error ``dse`` relative to the best fit, ``p`` (p_loo) and
    stacking ``weight``.
    """
    import arviz as az

    if not isinstance(fits, Mapping) or len(fits) < 2:
        raise ValueError("compare needs a dict of at least two named fits")
    for name, dt in fits.items():
        if not isinstance(dt, xr.DataTree):
            raise TypeError(f"fit {name!r} is not an xarray.DataTree")
        if "log_likelihood" not in dt.children:
            raise ValueError(f"fit {name!r} has no log_likelihood group")
    return az.compare(dict(fits))
