"""Figures of the selection results (matplotlib; each returns its Figure)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_dss", "plot_projection", "plot_savs"]


def _axes(ax, size=(6.0, 3.8)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        return fig, ax
    return ax.figure, ax


def plot_projection(result, ax=None):
    """elpd difference to the reference with +-1 SE against submodel size."""
    fig, ax = _axes(ax)
    t = result.sizes
    ax.errorbar(t.index, t["elpd_diff"], yerr=t["diff_se"], fmt="o-", capsize=3, ms=4)
    ax.axhline(0.0, color="grey", ls="--", lw=1, label="reference")
    ax.axvline(result.suggested_size, color="C3", ls=":", lw=1.5,
               label=f"suggested size {result.suggested_size}")  # fmt: skip
    ax.set_xlabel("submodel size")
    ax.set_ylabel("elpd difference to reference")
    ax.set_title(f"Projection predictive selection ({result.search} search)")
    labels = [str(f) for f in t["feature"].iloc[1:]]
    ax.set_xticks(t.index[1:], labels, rotation=60, ha="right", fontsize=8, minor=False)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_dss(result, ax=None):
    """Loss gap (mean and interval) of each DSS summary against its size."""
    fig, ax = _axes(ax)
    t = result.sizes
    err = np.vstack([t["gap_mean"] - t["gap_lower"], t["gap_upper"] - t["gap_mean"]])
    ax.errorbar(t.index, t["gap_mean"], yerr=err, fmt="o", capsize=3, ms=4)
    ax.axhline(0.0, color="grey", ls="--", lw=1)
    ax.axvline(result.chosen_size, color="C3", ls=":", lw=1.5,
               label=f"chosen size {result.chosen_size}")  # fmt: skip
    ax.set_xlabel("summary size (non-zero coefficients)")
    ax.set_ylabel("loss gap to dense summary")
    ax.set_title(f"DSS loss gap ({100 * result.prob:g}% intervals)")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_savs(result, ax=None):
    """Inclusion frequency per feature (sorted), with the median-probability line."""
    freq = result.inclusion.to_pandas().sort_values()
    fig, ax = _axes(ax, size=(6.0, 0.25 * len(freq) + 1.2))
    ax.barh([str(f) for f in freq.index], freq.to_numpy(), color="C0")
    ax.axvline(0.5, color="C3", ls=":", lw=1.5, label="median-probability rule")
    ax.set_xlim(0, 1)
    ax.set_xlabel("SAVS inclusion frequency")
    ax.set_title("SAVS: share of draws with a non-zero coefficient")
    ax.legend(loc="lower right", fontsize=8)
    return fig
