"""Figures for shrinkage fits (matplotlib; ArviZ's forest plot where it has one).

Every function returns a :class:`matplotlib.figure.Figure` labelled with the feature names.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from shrinkage.report import posterior as _posterior
from shrinkage.report import stats
from shrinkage.report.geometry import plot_lasso_geometry

SIGNAL_COLOR, NULL_COLOR, UNSURE_COLOR = "C0", "0.6", "C1"
#: path colours for labelled features (the default cycle without its grey C7)
PATH_COLORS = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9", "k"]


def _path_color(j: int, top: list[int]) -> str:
    return PATH_COLORS[top.index(j) % len(PATH_COLORS)] if j in top else NULL_COLOR


def plot_forest(
    idata: xr.DataTree,
    features: Sequence[str] | None = None,
    *,
    prob: float | None = None,
    kind: str | None = None,
    original_scale: bool = False,
    eps=None,
) -> Figure:
    """Forest plot (ArviZ ``plot_forest``) of the retained features (or ``features``).

    Thick line: 50% interval; thin line: the ``prob`` interval (ArviZ rcParams by default);
    dot: posterior median. The shaded band is the zero region ``|beta| < eps`` (standardized).
    """
    import arviz as az

    idata = _posterior.flatten_outputs(idata)  # multi-output: a row per feature and output
    prob, kind, _ = stats.ci_settings(prob, kind)
    if features is None:
        features = stats.retained(idata, eps=eps, prob=prob, kind=kind)
    features = list(features) or _posterior.feature_names(idata)[:1]
    var = "beta_original" if original_scale else "beta"
    if original_scale and var not in _posterior.posterior(idata):
        raise ValueError("posterior has no beta_original")
    pc = az.plot_forest(
        idata,
        var_names=[var],
        coords={"feature": features},
        combined=True,
        ci_kind=kind,
        ci_probs=[0.5, prob],
        point_estimate="median",
        backend="matplotlib",
    )
    fig = pc.viz["figure"].item()
    ax = fig.axes[-1]
    ax.axvline(0, color="k", lw=0.8)
    if not original_scale:
        half = float(np.max(stats.zero_mass(idata, eps)["eps"]))
        ax.axvspan(-half, half, color="0.85", zorder=0, label=f"|beta| < {half:g}")
    scale = "original scale" if original_scale else "standardized scale"
    ax.set_xlabel(f"coefficient ({scale}); {100 * prob:g}% {kind.upper()} and 50%")
    fig.suptitle(f"Retained features: {', '.join(features)}", fontsize=9)
    return fig


def plot_zero_mass(idata: xr.DataTree, eps=None, *, sort: bool = True) -> Figure:
    """Horizontal bars of ``P(|beta_j| < eps_j)`` per feature with +-2 MCSE error bars.

    Bars of features the default rule retains (``"one_sided"``: more than half the mass beyond
    the zero region on one side) are blue, undetermined ones (the mass outside split between
    the signs, :func:`~shrinkage.report.stats.undetermined`) orange; the dashed line is 0.5.
    """
    idata = _posterior.flatten_outputs(idata)
    zm = stats.zero_mass(idata, eps)
    zm["kept"] = stats.retention_table(idata, eps=eps)["one_sided"]
    zm["unsure"] = stats.undetermined(idata, eps)
    if sort:
        zm = zm.sort_values("zero_mass", ascending=False)
    kept, unsure = zm["kept"].to_numpy(), zm["unsure"].to_numpy()
    fig, ax = plt.subplots(figsize=(6, 1.0 + 0.18 * len(zm)))
    y = np.arange(len(zm))
    ax.barh(
        y,
        zm["zero_mass"],
        xerr=2 * zm["zero_mass_mcse"],
        color=np.where(kept, SIGNAL_COLOR, np.where(unsure, UNSURE_COLOR, NULL_COLOR)),
        error_kw={"lw": 0.8},
    )
    ax.set_yticks(y, zm.index, fontsize=7)
    for label, keep in zip(ax.get_yticklabels(), kept, strict=True):
        if keep:  # retained bars can be too short to see: colour their names too
            label.set_color(SIGNAL_COLOR)
            label.set_fontweight("bold")
    ax.invert_yaxis()
    ax.axvline(0.5, color="k", ls="--", lw=0.8)
    ax.set_xlim(0, 1.02)
    eps_text = f"{zm['eps'].iloc[0]:g}" if zm["eps"].nunique() == 1 else "eps_j"
    ax.set_xlabel(f"P(|beta_j| < {eps_text}) (standardized); bars: ±2 MCSE")
    title = f"Posterior mass near zero; retained (blue): {kept.sum()} of {len(zm)}"
    if unsure.any():
        title += f"; undetermined sign (orange): {unsure.sum()}"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_near_zero(
    idata: xr.DataTree, features: Sequence[str], eps=None, *, bins: int = 60
) -> Figure:
    """Posterior histograms of chosen coefficients with the zero region shaded.

    Each panel shows the draws of ``beta_j`` (standardized), the zero region ``(-eps_j, eps_j)``
    and ``P(|beta_j| < eps_j)`` in the title.
    """
    idata = _posterior.flatten_outputs(idata)
    names = _posterior.feature_names(idata)
    unknown = [f for f in features if f not in names]
    if unknown or not features:
        raise ValueError(f"features must be non-empty names from the fit; unknown: {unknown}")
    zm = stats.zero_mass(idata, eps)
    beta = _posterior.draws(idata, "beta", "feature")
    ncol = min(3, len(features))
    nrow = int(np.ceil(len(features) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 2.4 * nrow), squeeze=False)
    for ax, name in zip(axes.ravel(), features, strict=False):
        x = beta[..., names.index(name)].ravel()
        e = zm.loc[name, "eps"]
        lo, hi = min(x.min(), -2 * e), max(x.max(), 2 * e)
        ax.hist(x, bins=np.linspace(lo, hi, bins), color=SIGNAL_COLOR, alpha=0.8)
        ax.axvspan(-e, e, color="C3", alpha=0.15)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(f"{name}: P(|b|<{e:g}) = {zm.loc[name, 'zero_mass']:.2f}", fontsize=9)
        ax.set_xlabel(f"beta[{name}] (standardized)", fontsize=8)
        ax.set_yticks([])
    for ax in axes.ravel()[len(features) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_shrinkage_factors(idata: xr.DataTree) -> Figure:
    """Histogram of posterior mean ``kappa_j`` across features and the posterior of ``m_eff``.

    ``kappa_j`` near 0: not shrunk (signal); near 1: shrunk to zero. Features with
    ``E[kappa_j] < 0.5`` are named on the left panel.
    """
    sf = stats.shrinkage_factors(idata)
    dim = next(d for d in sf["kappa"].dims if d not in ("chain", "draw"))
    kmean = sf["kappa"].mean(("chain", "draw")).to_series()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.hist(kmean, bins=np.linspace(0, 1, 21), color=NULL_COLOR, edgecolor="k")
    ax1.axvline(0.5, color="k", ls="--", lw=0.8)
    ax1.set_xlabel(f"posterior mean kappa per {dim}")
    ax1.set_ylabel(f"number of {dim}s")
    small = kmean[kmean < 0.5].sort_values()
    text = "kappa < 0.5:\n" + "\n".join(f"{k} ({v:.2f})" for k, v in small.items())
    ax1.text(0.35, 0.95, text, transform=ax1.transAxes, va="top", fontsize=8)
    ax1.set_title("shrinkage factors 1/(1 + n tau^2 lam_j^2 / sigma^2)", fontsize=9)
    m_eff = sf["m_eff"].to_numpy().ravel()
    ax2.hist(m_eff, bins=40, color=SIGNAL_COLOR)
    ax2.set_xlabel("m_eff = sum_j (1 - kappa_j)")
    ax2.set_title(f"effective number of non-zeros: mean {m_eff.mean():.2f}", fontsize=9)
    ax2.set_yticks([])
    fig.tight_layout()
    return fig


def plot_coefficient_paths(
    alphas: np.ndarray,
    coefs: np.ndarray,
    feature_names: Sequence[str],
    bayes_fits: Sequence[tuple[float, xr.DataTree]] = (),
    *,
    prob: float | None = None,
    kind: str | None = None,
    label_top: int = 8,
    scale_label: str = "prior scale",
) -> Figure:
    """Lasso path next to the Bayesian path as the prior scale varies.

    Left: lasso coefficients ``coefs`` (n_alphas x p) against ``log10(alpha)`` (alpha decreasing
    to the right, as in glmnet). Right: posterior medians and ``prob`` intervals of ``beta`` for
    each ``(scale, DataTree)`` in ``bayes_fits`` against ``log10(scale)``. The ``label_top``
    features with the largest final |coefficient| are named at the path ends.
    """
    alphas, coefs = np.asarray(alphas, float), np.asarray(coefs, float)
    names = list(feature_names)
    if coefs.shape != (alphas.size, len(names)):
        raise ValueError(f"coefs must be (n_alphas, p) = ({alphas.size}, {len(names)})")
    ncols = 2 if bayes_fits else 1
    fig, axes = plt.subplots(1, ncols, figsize=(6 * ncols, 4.2), squeeze=False)
    x = np.log10(alphas)
    ax = axes[0, 0]
    top = [int(j) for j in np.argsort(-np.abs(coefs[np.argmin(alphas)]))[:label_top]]
    for j in range(len(names)):
        ax.plot(x, coefs[:, j], color=_path_color(j, top), lw=1)
    for j in top:
        ax.annotate(names[j], (x.min(), coefs[np.argmin(alphas), j]), fontsize=7, xytext=(2, 0),
                    textcoords="offset points")  # fmt: skip
    ax.invert_xaxis()
    ax.set_xlabel("log10(alpha)  (less penalty ->)")
    ax.set_ylabel("coefficient")
    ax.set_title("lasso path")
    if bayes_fits:
        _bayes_path(axes[0, 1], bayes_fits, names, top, prob, kind, scale_label)
    fig.tight_layout()
    return fig


def _bayes_path(ax, fits, names, top, prob, kind, scale_label) -> None:
    prob, kind, _ = stats.ci_settings(prob, kind)
    fits = sorted(fits, key=lambda sf: sf[0])
    scales = np.log10([s for s, _ in fits])
    med, lo, hi = [], [], []
    for _, dt in fits:
        if _posterior.feature_names(dt) != names:
            raise ValueError("every Bayesian fit must have the lasso path's feature names")
        beta = _posterior.draws(dt, "beta", "feature")
        med.append(np.median(beta.reshape(-1, len(names)), axis=0))
        ci = stats.interval(beta, prob, kind)
        lo.append(ci[:, 0])
        hi.append(ci[:, 1])
    med, lo, hi = map(np.array, (med, lo, hi))
    for j in range(len(names)):
        color = _path_color(j, top)
        ax.plot(scales, med[:, j], color=color, lw=1, marker="o", ms=2)
        if j in top:
            ax.fill_between(scales, lo[:, j], hi[:, j], color=color, alpha=0.15)
            ax.annotate(names[j], (scales[-1], med[-1, j]), fontsize=7, xytext=(2, 0),
                        textcoords="offset points")  # fmt: skip
    ax.set_xlabel(f"log10({scale_label})  (less shrinkage ->)")
    ax.set_ylabel("posterior median (standardized)")
    ax.set_title(f"Bayesian path: medians and {100 * prob:g}% {kind.upper()}")


def report_figures(rep) -> dict[str, Figure]:
    """The figures :meth:`shrinkage.report.Report.save` writes, by file stem."""
    idata = rep.idata
    eps = rep.table["eps"].to_numpy()
    figs = {
        "forest": plot_forest(idata, rep.retained or None, eps=eps),
        "zero_mass": plot_zero_mass(idata, eps),
    }
    zm = rep.table["zero_mass"].sort_values()
    chosen = list(zm.index[:4]) + list(zm.index[-2:])  # least and most mass near zero
    figs["near_zero"] = plot_near_zero(idata, chosen, eps)
    if rep.m_eff is not None:
        figs["shrinkage_factors"] = plot_shrinkage_factors(idata)
    return figs


__all__ = [
    "plot_coefficient_paths",
    "plot_forest",
    "plot_lasso_geometry",
    "plot_near_zero",
    "plot_shrinkage_factors",
    "plot_zero_mass",
    "report_figures",
]
