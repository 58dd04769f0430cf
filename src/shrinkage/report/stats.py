"""Statistics of a shrinkage posterior: zero mass, shrinkage factors, retention, intervals.

Continuous shrinkage priors put no posterior mass exactly at zero, so "zero" is a practical
region on the standardized scale (``docs/conventions.md``, ``docs/zero-clustering.md``):

* zero mass ``P(|beta_j| < eps_j | y)``, default ``eps_j = 0.1`` (units of sd(y) per sd(x_j),
  i.e. ``0.1 sd(y) / sd(x_j)`` on the original scale) for Gaussian-type families and
  ``0.1 sd(y) / (dmu/deta)`` on the logit / log scale for logistic and Poisson fits
  (:func:`default_eps`), with its Monte Carlo standard error;
* shrinkage factors ``kappa_j = 1 / (1 + n sigma^-2 s_j^2 tau^2 lam_j^2)`` of scale-mixture
  priors and the effective number of non-zeros ``m_eff = sum_j (1 - kappa_j)``
  (Piironen & Vehtari 2017);
* retention rules (:func:`retained`, default ``"one_sided"``: the posterior median outside the
  zero region), features of unknown sign (:func:`undetermined`) and credible intervals on both
  scales (:func:`credible_intervals`).

Two levels: the draw-level helpers (``*_draws``, :func:`interval`, :func:`summary_stats`,
:func:`diagnostics`) take numpy draws shaped ``(chain, draw, k)`` and reduce over the first two
axes; the DataTree-level functions read the posterior by the names fixed in
``docs/conventions.md`` (through :mod:`shrinkage.report.posterior`) and return pandas / xarray
objects labelled with the feature names.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats.base import array_stats

from shrinkage.report import posterior as _posterior

__all__ = [
    "DEFAULT_EPS",
    "DEFAULT_RULE",
    "RULES",
    "NoLocalScalesError",
    "ci_settings",
    "credible_intervals",
    "retained",
    "retention_table",
    "shrinkage_factors",
    "side_mass",
    "undetermined",
    "zero_mass",
]

#: Default half-width of the "practically zero" region on the standardized scale, in units of
#: sd(y) per sd(x_j). ``|beta_j| < 0.1`` means a one-sd change of x_j moves the prediction by
#: less than a tenth of sd(y); for uncorrelated features the feature explains < 1% of var(y).
#: This is Kruschke's (2018) negligible standardized effect (half of Cohen's "small" 0.2).
DEFAULT_EPS = 0.1

#: Retention rules, see :func:`retained`.
RULES = ("interval", "zero_mass", "one_sided", "kappa")
#: Default rule: defined for every prior and family, and it needs the sign to be known
#: (see :func:`retained` and docs/zero-clustering.md for why it replaced ``"zero_mass"``).
DEFAULT_RULE = "one_sided"

#: Tail ESS is the smaller ESS of the 5% and 95% quantile indicators (Vehtari et al. 2021).
TAIL_PROBS = (0.05, 0.95)


# ---------------------------------------------------------------- draw level (numpy)
def check_draws(draws: np.ndarray, name: str = "draws") -> np.ndarray:
    """Return ``draws`` as a float ``(chain, draw, k)`` array, refusing NaN/inf and bad shapes."""
    arr = np.asarray(draws, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise ValueError(f"{name} must have shape (chain, draw, k); got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 4:
        raise ValueError(f"{name} needs at least 1 chain and 4 draws; got shape {arr.shape[:2]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values")
    return arr


def broadcast_eps(eps: float | np.ndarray | None, k: int) -> np.ndarray:
    """Return a length-``k`` vector of positive thresholds (``None`` -> :data:`DEFAULT_EPS`)."""
    eps_arr = np.full(k, DEFAULT_EPS) if eps is None else np.asarray(eps, dtype=np.float64)
    if eps_arr.ndim == 0:
        eps_arr = np.full(k, float(eps_arr))
    if eps_arr.shape != (k,):
        raise ValueError(f"eps must be a scalar or have one value per coefficient ({k})")
    if not np.all(np.isfinite(eps_arr)) or np.any(eps_arr <= 0):
        raise ValueError("eps must be finite and > 0")
    return eps_arr


def mcse_of_mean(values: np.ndarray) -> np.ndarray:
    """Monte Carlo standard error of the mean of each column: ``sd / sqrt(ESS_mean)``.

    ``ESS_mean`` is the split-chain, non-rank-normalized ESS (Vehtari et al. 2021, eq. 10-11),
    which is the right ESS for the mean of a bounded function such as an indicator. Constant
    columns have sd 0 and thus MCSE 0.
    """
    return np.asarray(array_stats.mcse(values, chain_axis=0, draw_axis=1, method="mean"))


def zero_mass_draws(draws: np.ndarray, eps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mass near zero ``P(|beta_j| < eps_j)`` and its Monte Carlo standard error.

    The estimate is the share of draws with ``|beta_j| < eps_j``; its MCSE is
    ``sd(I) / sqrt(ESS_mean(I))`` for the indicator ``I = 1{|beta_j| < eps_j}``, i.e.
    ``sqrt(p (1 - p) / ESS)`` up to the ``S/(S-1)`` factor of the sample variance.
    """
    draws = check_draws(draws, "beta")
    indicator = (np.abs(draws) < eps).astype(np.float64)
    return indicator.mean(axis=(0, 1)), mcse_of_mean(indicator)


def kappa_draws(
    n_obs: int,
    sigma: np.ndarray,
    tau: np.ndarray,
    lam: np.ndarray,
    c2: np.ndarray | None = None,
    x_var: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Shrinkage factors ``kappa_j = 1 / (1 + n sigma^-2 s_j^2 tau^2 lam_j^2)`` per draw.

    Piironen & Vehtari (2017, eq. 3) for ``beta_j ~ N(0, tau^2 lam_j^2)`` with Gaussian noise
    ``sigma`` and column variance ``s_j^2`` (1 on the standardized scale). With a slab ``c2``
    (regularized horseshoe) the local scale becomes
    ``lam_tilde_j^2 = c2 lam_j^2 / (c2 + tau^2 lam_j^2)``.
    ``kappa_j`` near 0: no shrinkage (signal); near 1: shrunk to zero.

    Parameters
    ----------
    sigma, tau, c2 : arrays ``(chain, draw)``; lam : ``(chain, draw, k)``.
    """
    if n_obs < 1:
        raise ValueError(f"n_obs must be a positive integer; got {n_obs}")
    sigma, tau = np.asarray(sigma)[..., None], np.asarray(tau)[..., None]
    lam2 = np.asarray(lam) ** 2
    if c2 is not None:
        c2 = np.asarray(c2)[..., None]
        lam2 = c2 * lam2 / (c2 + tau**2 * lam2)
    return 1.0 / (1.0 + n_obs * x_var * tau**2 * lam2 / sigma**2)


def interval(draws: np.ndarray, prob: float, kind: str) -> np.ndarray:
    """Credible interval per column, shape ``(k, 2)``.

    ``kind="eti"``: the ``(1-prob)/2`` and ``(1+prob)/2`` sample quantiles (numpy "linear").
    ``kind="hdi"``: the narrowest window of ``floor(prob S)+1`` sorted draws (ArviZ "nearest").
    """
    if not 0 < prob < 1:
        raise ValueError(f"prob must be in (0, 1); got {prob}")
    flat = draws.reshape(-1, draws.shape[-1])
    if kind == "eti":
        return array_stats.eti(flat, prob, axis=0)
    if kind == "hdi":
        return array_stats.hdi(flat.T, prob, axis=-1)
    raise ValueError(f"kind must be 'eti' or 'hdi'; got {kind!r}")


def summary_stats(draws: np.ndarray, prob: float, kind: str) -> dict[str, np.ndarray]:
    """Mean, median, sd (divisor S-1), interval, bulk/tail ESS and rank r_hat per column."""
    draws = check_draws(draws)
    flat = draws.reshape(-1, draws.shape[-1])
    ci = interval(draws, prob, kind)
    return {
        "mean": flat.mean(axis=0),
        "median": np.median(flat, axis=0),
        "sd": flat.std(axis=0, ddof=1),
        "lower": ci[:, 0],
        "upper": ci[:, 1],
        **diagnostics(draws),
    }


def diagnostics(draws: np.ndarray) -> dict[str, np.ndarray]:
    """Bulk ESS, tail ESS (5%/95% quantiles) and rank-normalized split r_hat per column."""
    kw = {"chain_axis": 0, "draw_axis": 1}
    return {
        "ess_bulk": np.asarray(array_stats.ess(draws, method="bulk", **kw)),
        "ess_tail": np.asarray(array_stats.ess(draws, method="tail", prob=TAIL_PROBS, **kw)),
        "r_hat": np.asarray(array_stats.rhat(draws, method="rank", **kw)),
    }


# ---------------------------------------------------------------- DataTree level


class NoLocalScalesError(ValueError):
    """The prior has no local scales ``lam`` (e.g. Laplace, Gaussian): kappa is undefined."""


def ci_settings(prob: float | None = None, kind: str | None = None) -> tuple[float, str, str]:
    """Interval probability and kind, falling back to ArviZ ``rcParams``; plus where from.

    Returns
    -------
    ``(prob, kind, source)``: ``prob`` in (0, 1) (default ``rcParams["stats.ci_prob"]``),
    ``kind`` ``"eti"`` or ``"hdi"`` (default ``rcParams["stats.ci_kind"]``), and ``source``,
    ``"passed"`` when both were given, else ``"ArviZ rcParams"``.
    """
    from arviz_base import rcParams

    source = "passed" if prob is not None and kind is not None else "ArviZ rcParams"
    prob = float(rcParams["stats.ci_prob"] if prob is None else prob)
    kind = str(rcParams["stats.ci_kind"] if kind is None else kind).lower()
    if not 0 < prob < 1:
        raise ValueError(f"prob must be in (0, 1); got {prob}")
    if kind not in ("eti", "hdi"):
        raise ValueError(f"kind must be 'eti' or 'hdi'; got {kind!r}")
    return prob, kind, source


def default_eps(idata: xr.DataTree) -> float:
    """:data:`DEFAULT_EPS` in the fit's family unit (``Family.zero_region_scale``).

    1 for Gaussian-type families (standardized ``y``: sd(y) units); for logistic and Poisson
    fits ``sd(y) / (dmu/deta)`` at the mean of ``y`` on the logit / log scale: ``1/sqrt(p(1-p))``
    and ``max(sd(y), sqrt(mean(y))) / mean(y)`` (``docs/zero-clustering.md``). Falls back to
    1 when the family or ``y`` is unknown.
    """
    from shrinkage.families import get_family

    name = idata.attrs.get("shrinkage_family")
    obs = _posterior.group(idata, "observed_data")
    if not isinstance(name, str) or obs is None or "y" not in obs:
        return DEFAULT_EPS
    try:
        family = get_family(name)
    except ValueError:
        return DEFAULT_EPS
    return DEFAULT_EPS * family.zero_region_scale(obs["y"].to_numpy())


def _eps_vector(idata: xr.DataTree, eps) -> np.ndarray:
    names = _posterior.feature_names(idata)
    if eps is None:
        eps = default_eps(idata)
    if isinstance(eps, Mapping | pd.Series):
        eps = pd.Series(eps, dtype=float)
        unknown = sorted(set(eps.index) - set(names))
        if unknown:
            raise ValueError(f"eps has unknown feature labels: {unknown}")
        eps = eps.reindex(names, fill_value=default_eps(idata)).to_numpy()
    return broadcast_eps(eps, len(names))


def zero_mass(idata: xr.DataTree, eps=None) -> pd.DataFrame:
    """Posterior mass near zero per coefficient, ``P(|beta_j| < eps_j | y)``, with its MCSE.

    Parameters
    ----------
    idata : DataTree with posterior ``beta`` (dim ``feature``, standardized scale).
    eps : float, array (one per feature), or mapping feature -> eps, optional
        Threshold on the standardized scale; default :func:`default_eps` (0.1 for
        Gaussian-type families), i.e. a one-sd change of x_j moving the mean response by less
        than 0.1 sd(y) counts as "zero".
        Features missing from a mapping get the default.

    Returns
    -------
    DataFrame indexed by feature: ``zero_mass``, ``zero_mass_mcse`` (``sd(I)/sqrt(ESS(I))`` of the
    indicator ``I = 1{|beta_j| < eps_j}``), ``eps`` and ``eps_original`` (``eps sd(y)/sd(x_j)``).
    """
    idata = _posterior.flatten_outputs(idata)
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


def side_mass(idata: xr.DataTree, eps=None) -> pd.DataFrame:
    """Posterior mass on each side of the zero region, per coefficient.

    Returns
    -------
    DataFrame indexed by feature: ``p_positive`` ``P(beta_j >= eps_j | y)`` and ``p_negative``
    ``P(beta_j <= -eps_j | y)``, the shares of draws; ``1 - p_positive - p_negative`` is the
    zero mass of :func:`zero_mass`. ``eps`` as in :func:`zero_mass`.
    """
    idata = _posterior.flatten_outputs(idata)
    eps_vec = _eps_vector(idata, eps)
    beta = _posterior.draws(idata, "beta", "feature")
    return pd.DataFrame(
        {
            "p_positive": (beta >= eps_vec).mean(axis=(0, 1)),
            "p_negative": (beta <= -eps_vec).mean(axis=(0, 1)),
        },
        index=pd.Index(_posterior.feature_names(idata), name="feature"),
    )


def _one_sided(sides: pd.DataFrame) -> pd.Series:
    return sides[["p_positive", "p_negative"]].max(axis=1) >= 0.5


def undetermined(idata: xr.DataTree, eps=None) -> pd.Series:
    """Features outside the zero region in probability but of unknown sign.

    True when ``P(|beta_j| >= eps_j | y) >= 0.5`` (retained by the ``"zero_mass"`` rule) while
    neither ``P(beta_j >= eps_j | y)`` nor ``P(beta_j <= -eps_j | y)`` reaches 0.5 (so the
    default ``"one_sided"`` rule does not retain them): the posterior median lies inside the
    zero region and the mass outside it is split between the two signs. That is a wide
    posterior around zero — data that cannot tell (near-separable logistic fits, collinear
    columns) — not evidence of an effect.
    """
    sides = side_mass(idata, eps)
    outside = sides["p_positive"] + sides["p_negative"]
    return ((outside >= 0.5) & ~_one_sided(sides)).rename("undetermined")


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


def kappa_mean(idata: xr.DataTree) -> pd.Series | None:
    """Posterior mean ``E[kappa_j | y]`` per feature, or None when kappa is undefined or per
    group (see :func:`shrinkage_factors`)."""
    try:
        kappa = shrinkage_factors(idata)["kappa"]
    except NoLocalScalesError:
        return None
    if "feature" not in kappa.dims:
        return None
    return kappa.mean(("chain", "draw")).to_series().rename("kappa_mean")


def retention_table(idata: xr.DataTree, *, eps=None, prob=None, kind=None) -> pd.DataFrame:
    """Boolean table (feature x rule) of which features each available rule retains.

    Columns ``interval``, ``zero_mass`` and ``one_sided`` always, ``kappa`` when per-feature
    shrinkage factors exist; the rules are those of :func:`retained`.
    """
    idata = _posterior.flatten_outputs(idata)
    prob, kind, _ = ci_settings(prob, kind)
    beta = _posterior.draws(idata, "beta", "feature")
    stats = summary_stats(beta, prob, kind)
    out = pd.DataFrame(index=pd.Index(_posterior.feature_names(idata), name="feature"))
    out["interval"] = (stats["lower"] > 0) | (stats["upper"] < 0)
    out["zero_mass"] = 1.0 - zero_mass(idata, eps)["zero_mass"] >= 0.5
    out["one_sided"] = _one_sided(side_mass(idata, eps))
    kappa = kappa_mean(idata)
    if kappa is not None:
        out["kappa"] = kappa.reindex(out.index) < 0.5
    return out


def retained(
    idata: xr.DataTree, rule: str = DEFAULT_RULE, *, eps=None, prob=None, kind=None
) -> list[str]:
    """Names of the features a rule retains, in feature order.

    Rules
    -----
    ``"one_sided"`` (default)
        ``max(P(beta_j >= eps_j | y), P(beta_j <= -eps_j | y)) >= 0.5``: the effect is more
        likely than not to be practically non-zero *with a known sign*; equivalently the
        posterior median lies outside the zero region. The median-probability-model rule
        (Barbieri & Berger 2004) with "included" read as "beyond the zero region on one side".
        Defined for every prior and family.
    ``"zero_mass"``
        ``P(|beta_j| >= eps_j | y) >= 0.5``, both sides pooled. It also retains wide
        posteriors centred at zero (:func:`undetermined`): on nearly separable logistic data
        (scikit-learn's wine and breast cancer) it retains every feature while the exact MAP
        zeroes about half of them (docs/zero-clustering.md).
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
    idata = _posterior.flatten_outputs(idata)
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
