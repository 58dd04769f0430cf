"""Posterior reports for shrinkage regressions: clustering at zero, retained features, intervals.

Continuous shrinkage priors put no posterior mass exactly at zero, so "zero" is defined by a
practical threshold on the standardized scale (``docs/conventions.md``):

* zero mass ``P(|beta_j| < eps_j | y)`` with default ``eps_j = 0.1`` (units of sd(y) per sd(x_j),
  i.e. ``0.1 sd(y) / sd(x_j)`` on the original scale), with its Monte Carlo standard error;
* shrinkage factors ``kappa_j = 1 / (1 + n sigma^-2 s_j^2 tau^2 lam_j^2)`` for scale-mixture
  priors and the effective number of non-zeros ``m_eff = sum_j (1 - kappa_j)``
  (Piironen & Vehtari 2017);
* retention rules (see :func:`retained`), default ``"zero_mass"``.

Input is the ``xarray.DataTree`` returned by ``shrinkage.sample`` (ArviZ 1.x); output is pandas.
The numpy core lives in :mod:`shrinkage.report.stats`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from shrinkage.report import posterior as _posterior
from shrinkage.report.document import Report
from shrinkage.report.health import Health, LooSummary, loo_summary, sampling_health
from shrinkage.report.stats import (
    DEFAULT_EPS,
    broadcast_eps,
    kappa_draws,
    summary_stats,
    zero_mass_draws,
)

__all__ = [
    "DEFAULT_EPS",
    "DEFAULT_RULE",
    "RULES",
    "Health",
    "LooSummary",
    "NoLocalScalesError",
    "Report",
    "compare",
    "credible_intervals",
    "report",
    "retained",
    "retention_table",
    "shrinkage_factors",
    "zero_mass",
]

#: Retention rules, see :func:`retained`.
RULES = ("interval", "zero_mass", "kappa")
#: Default rule: defined for every prior and decision-theoretic (see :func:`retained`).
DEFAULT_RULE = "zero_mass"


class NoLocalScalesError(ValueError):
    """The prior has no local scales ``lam`` (e.g. Laplace, Gaussian): kappa is undefined."""


def ci_settings(prob: float | None = None, kind: str | None = None) -> tuple[float, str, str]:
    """Interval probability and kind, falling back to ArviZ ``rcParams``; plus where from."""
    from arviz_base import rcParams

    source = "passed" if prob is not None and kind is not None else "ArviZ rcParams"
    prob = float(rcParams["stats.ci_prob"] if prob is None else prob)
    kind = str(rcParams["stats.ci_kind"] if kind is None else kind).lower()
    if not 0 < prob < 1:
        raise ValueError(f"prob must be in (0, 1); got {prob}")
    if kind not in ("eti", "hdi"):
        raise ValueError(f"kind must be 'eti' or 'hdi'; got {kind!r}")
    return prob, kind, source


def _eps_vector(idata: xr.DataTree, eps) -> np.ndarray:
    names = _posterior.feature_names(idata)
    if isinstance(eps, Mapping | pd.Series):
        eps = pd.Series(eps, dtype=float)
        unknown = sorted(set(eps.index) - set(names))
        if unknown:
            raise ValueError(f"eps has unknown feature labels: {unknown}")
        eps = eps.reindex(names, fill_value=DEFAULT_EPS).to_numpy()
    return broadcast_eps(eps, len(names))


def zero_mass(idata: xr.DataTree, eps=None) -> pd.DataFrame:
    """Posterior mass near zero per coefficient, ``P(|beta_j| < eps_j | y)``, with its MCSE.

    Parameters
    ----------
    idata : DataTree with posterior ``beta`` (dim ``feature``, standardized scale).
    eps : float, array (one per feature), or mapping feature -> eps, optional
        Threshold on the standardized scale; default :data:`DEFAULT_EPS` = 0.1, i.e. a one-sd
        change of x_j moving the prediction by less than 0.1 sd(y) counts as "zero".
        Features missing from a mapping get the default.

    Returns
    -------
    DataFrame indexed by feature: ``zero_mass``, ``zero_mass_mcse`` (``sd(I)/sqrt(ESS(I))`` of the
    indicator ``I = 1{|beta_j| < eps_j}``), ``eps`` and ``eps_original`` (``eps sd(y)/sd(x_j)``).
    """
    names = _posterior.feature_names(idata)
    eps_vec = _eps_vector(idata, eps)
    mass, mcse = zero_mass_draws(_posterior.draws(idata, "beta", "feature"), eps_vec)
    out = pd.DataFrame(
        {"zero_mass": mass, "zero_mass_mcse": mcse, "eps": eps_vec},
        index=pd.Index(names, name="feature"),
    )
    eps_orig = _posterior.eps_original(idata, eps_vec)
    if eps_orig is not None:
        out["eps_original"] = eps_orig
    return out


def shrinkage_factors(idata: xr.DataTree) -> xr.Dataset:
    """Posterior draws of the shrinkage factors and the effective number of non-zeros.

    ``kappa_j = 1 / (1 + n sigma^-2 s_j^2 tau^2 lam_j^2)`` with ``s_j^2 = 1`` (the prior acts on
    standardized columns); for the regularized horseshoe (posterior has ``c2``) ``lam_j`` is
    replaced by ``lam_tilde_j = sqrt(c2 lam_j^2 / (c2 + tau^2 lam_j^2))``.
    ``m_eff = sum_j (1 - kappa_j)`` (Piironen & Vehtari 2017). With group local scales
    (``lam`` over ``group``) kappa is per group and ``m_eff`` counts groups.

    Returns
    -------
    Dataset with ``kappa`` (chain, draw, feature|group) and ``m_eff`` (chain, draw).

    Raises
    ------
    NoLocalScalesError
        When the posterior has no ``lam`` / ``tau`` (Laplace, Gaussian priors), or no ``sigma``
        (kappa is defined here for Gaussian-type likelihoods only).
    """
    post = _posterior.posterior(idata)
    missing = [v for v in ("lam", "tau", "sigma") if v not in post]
    if missing:
        prior = idata.attrs.get("shrinkage_prior", "this prior")
        raise NoLocalScalesError(
            f"shrinkage factors need posterior variables lam, tau and sigma; {prior} has no "
            f"{', '.join(missing)} (kappa is defined for scale mixtures with Gaussian noise)"
        )
    lam_dims = [d for d in post["lam"].dims if d not in _posterior.SAMPLE_DIMS]
    if len(lam_dims) != 1:
        raise ValueError(f"'lam' must have one dim (feature or group); got {lam_dims}")
    dim = lam_dims[0]
    c2 = _posterior.draws(idata, "c2") if "c2" in post else None
    kappa = kappa_draws(
        _posterior.n_obs(idata),
        _posterior.draws(idata, "sigma"),
        _posterior.draws(idata, "tau"),
        _posterior.draws(idata, "lam", dim),
        c2,
    )
    coords = {"chain": post["chain"], "draw": post["draw"], dim: post[dim]}
    kappa_da = xr.DataArray(kappa, dims=("chain", "draw", dim), coords=coords)
    return xr.Dataset({"kappa": kappa_da, "m_eff": (1.0 - kappa_da).sum(dim)})


def _kappa_mean(idata: xr.DataTree) -> pd.Series | None:
    """Posterior mean kappa per feature, or None when kappa is undefined or per group."""
    try:
        kappa = shrinkage_factors(idata)["kappa"]
    except NoLocalScalesError:
        return None
    if "feature" not in kappa.dims:
        return None
    return kappa.mean(("chain", "draw")).to_series().rename("kappa_mean")


def retention_table(idata: xr.DataTree, *, eps=None, prob=None, kind=None) -> pd.DataFrame:
    """Boolean table (feature x rule) of which features each available rule retains."""
    prob, kind, _ = ci_settings(prob, kind)
    beta = _posterior.draws(idata, "beta", "feature")
    stats = summary_stats(beta, prob, kind)
    out = pd.DataFrame(index=pd.Index(_posterior.feature_names(idata), name="feature"))
    out["interval"] = (stats["lower"] > 0) | (stats["upper"] < 0)
    out["zero_mass"] = 1.0 - zero_mass(idata, eps)["zero_mass"] >= 0.5
    kappa = _kappa_mean(idata)
    if kappa is not None:
        out["kappa"] = kappa.reindex(out.index) < 0.5
    return out


def retained(
    idata: xr.DataTree, rule: str = DEFAULT_RULE, *, eps=None, prob=None, kind=None
) -> list[str]:
    """Names of the features a rule retains, in feature order.

    Rules
    -----
    ``"zero_mass"`` (default)
        ``P(|beta_j| >= eps_j | y) >= 0.5``: the effect is more likely than not to be
        practically non-zero. This is the median-probability-model rule (Barbieri & Berger 2004)
        with "included" read as "outside the zero region"; it is defined for every prior.
    ``"interval"``
        the central ``prob`` credible interval (``kind`` eti/hdi, ArviZ rcParams by default)
        excludes zero. Stricter for small effects; ignores the size of the effect.
    ``"kappa"``
        posterior mean shrinkage factor ``E[kappa_j | y] < 0.5`` (Carvalho et al. 2010);
        scale-mixture priors only (raises :class:`NoLocalScalesError` otherwise).
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose from {RULES}")
    table = retention_table(idata, eps=eps, prob=prob, kind=kind)
    if rule not in table:
        shrinkage_factors(idata)  # raises the informative error
        raise NoLocalScalesError("kappa is defined per group here, not per feature")
    return list(table.index[table[rule].to_numpy()])


def credible_intervals(
    idata: xr.DataTree,
    prob: float | None = None,
    kind: str | None = None,
    retained_only: bool = True,
    *,
    rule: str = DEFAULT_RULE,
    eps=None,
) -> pd.DataFrame:
    """Posterior summaries of ``beta`` per (retained) feature on both scales.

    Columns: ``mean, median, sd, lower, upper`` (standardized scale), the same with suffix
    ``_original`` (original scale, ``beta_original`` or ``beta sd(y)/sd(x_j)``), and ``ess_bulk``,
    ``ess_tail`` (5%/95% quantiles), ``r_hat`` (rank-normalized split r_hat); ESS and r_hat are
    invariant under the positive rescaling between the two scales. ``ci`` says which interval
    was used (e.g. ``"89% eti"``); ``DataFrame.attrs`` holds ``ci_prob``, ``ci_kind``,
    ``ci_source``. ``prob`` / ``kind`` default to ArviZ ``rcParams["stats.ci_prob"]`` /
    ``rcParams["stats.ci_kind"]``.
    """
    prob, kind, source = ci_settings(prob, kind)
    names = _posterior.feature_names(idata)
    std = summary_stats(_posterior.draws(idata, "beta", "feature"), prob, kind)
    out = pd.DataFrame(index=pd.Index(names, name="feature"))
    for key in ("mean", "median", "sd", "lower", "upper"):
        out[key] = std[key]
    orig = _posterior.original_beta(idata)
    if orig is not None:
        ostats = summary_stats(orig, prob, kind)
        for key in ("mean", "median", "sd", "lower", "upper"):
            out[f"{key}_original"] = ostats[key]
    for key in ("ess_bulk", "ess_tail", "r_hat"):
        out[key] = std[key]
    out["ci"] = f"{100 * prob:g}% {kind}"
    if retained_only:
        out = out.loc[retained(idata, rule, eps=eps, prob=prob, kind=kind)]
    out.attrs.update(ci_prob=prob, ci_kind=kind, ci_source=source)
    return out


def _join_cross_check(table: pd.DataFrame, cross_check: pd.DataFrame | None) -> pd.DataFrame:
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
    rule: str = DEFAULT_RULE,
) -> Report:
    """Gather per-feature summaries, zero mass, kappa, retention, sampling health and PSIS-LOO.

    Parameters
    ----------
    idata : DataTree following ``docs/conventions.md``.
    model : pymc.Model, optional
        Used only to compute the pointwise log-likelihood when ``idata`` lacks it.
    cross_check : DataFrame indexed by feature, optional
        Point estimates to show next to the posterior (e.g. columns ``map``, ``lasso``).
    prob, kind : interval settings (ArviZ rcParams by default).
    eps : zero-region threshold(s) on the standardized scale (default 0.1).
    rule : retention rule used for the ``retained`` column (see :func:`retained`).
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose from {RULES}")
    table = credible_intervals(idata, prob, kind, retained_only=False)
    prob, kind, source = table.attrs["ci_prob"], table.attrs["ci_kind"], table.attrs["ci_source"]
    table = table.join(zero_mass(idata, eps))
    kappa = _kappa_mean(idata)
    if kappa is not None:
        table["kappa_mean"] = kappa
    rules = retention_table(idata, eps=eps, prob=prob, kind=kind)
    if rule not in rules:
        raise NoLocalScalesError(f"rule {rule!r} needs per-feature shrinkage factors")
    for r in rules:
        table[f"retained_{r}"] = rules[r]
    table["retained"] = rules[rule]
    table = _join_cross_check(table, cross_check)
    table.attrs.update(ci_prob=prob, ci_kind=kind, ci_source=source, rule=rule)
    table.attrs["cross_check_columns"] = [] if cross_check is None else list(cross_check.columns)
    m_eff = None
    if kappa is not None:
        m_eff = shrinkage_factors(idata)["m_eff"].to_numpy().ravel()
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
