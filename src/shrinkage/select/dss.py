r"""Decoupled shrinkage and selection (Hahn & Carvalho 2015).

Summary path. With the posterior mean coefficients :math:`\bar\beta` and the mean prediction
:math:`\bar\mu = \frac1S\sum_s g^{-1}(\eta_s)`, the sparse summaries are the adaptive lasso

.. math:: \gamma_\lambda = \arg\min_{c, \gamma} F_{\bar\mu}(c + X\gamma)
          + \lambda \sum_j \frac{|\gamma_j|}{|\bar\beta_j|}

(:class:`shrinkage.solvers.WeightedL1`; ``F`` the family's row-averaged datafit, least squares
for the Gaussian family), along :func:`shrinkage.solvers.path`. This equals the lasso on the
rescaled columns :math:`X_j |\bar\beta_j|`.

Loss gap. For each draw ``s`` and summary :math:`\gamma`, the predictive loss is
:math:`\psi_s(\gamma) = \sqrt{\sigma_s^2 + \frac1n\|\eta_s - c - X\gamma\|^2}` (Gaussian: the
root mean squared prediction error of a new response, in sd(y) units) or
:math:`\psi_s(\gamma) = F_{\mu_s}(c + X\gamma) - F_{\mu_s}(\eta_s)` (GLMs: the mean KL
divergence). The loss gap of the size-``k`` summary is
:math:`\delta_s(k) = \psi_s(\gamma_k) - \psi_s(\bar\eta)`, the excess loss over the
posterior mean fit :math:`\bar\eta = \frac1S \sum_s \eta_s` (the dense summary, the
``lambda -> 0`` end of the path); its posterior over draws is the DSS plot. The summary of
size ``k`` is the path's first (largest ``lambda``) solution with ``k`` non-zeros. The chosen size is the smallest whose central ``prob`` interval of the gap contains 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from shrinkage.families import Gaussian
from shrinkage.select._common import Reference, SelectionResult, joined, mean_datafit, reference
from shrinkage.solvers import WeightedL1, path

__all__ = ["DSSResult", "dss"]


@dataclass(repr=False)
class DSSResult(SelectionResult):
    """Result of :func:`dss`.

    Attributes
    ----------
    alphas : (n_alphas,) decreasing ``lambda`` grid; weights : (p,) ``1 / |mean beta_j|``.
    coefs : DataFrame (n_alphas x features) the summary path (standardized scale);
    intercepts : (n_alphas,).
    sizes : DataFrame, one row per distinct support size: ``alpha`` (largest ``lambda`` giving
        it), ``features``, ``gap_mean``, ``gap_lower``, ``gap_upper``.
    gap : DataArray (sample, size) of loss-gap draws.
    chosen_size : int; prob : interval probability used.

    ``plot()`` draws the loss gap (mean and ``prob`` interval) against size.
    """

    _figure: ClassVar[str] = "plot_dss"

    alphas: np.ndarray
    weights: np.ndarray
    coefs: pd.DataFrame
    intercepts: np.ndarray
    sizes: pd.DataFrame
    gap: xr.DataArray
    chosen_size: int
    prob: float

    @property
    def selected(self) -> list[str]:
        """Features of the chosen summary."""
        return list(self.sizes.loc[self.chosen_size, "features"])

    def summary(self, size: int | None = None) -> pd.Series:
        """The sparse summary coefficients (standardized scale) of a size (default: chosen)."""
        size = self.chosen_size if size is None else size
        if size not in self.sizes.index:
            raise ValueError(f"no summary of size {size}; sizes: {list(self.sizes.index)}")
        alpha = self.sizes.loc[size, "alpha"]
        return self.coefs.loc[alpha].rename(f"dss_{size}")

    def to_frame(self) -> pd.DataFrame:
        """Per feature: ``dss_coef`` (the chosen summary) and ``dss_selected``."""
        coef = self.summary()
        return pd.DataFrame({"dss_coef": coef, "dss_selected": coef != 0})

    def table(self) -> pd.DataFrame:
        """The size table (features joined by commas), for reports."""
        out = self.sizes.copy()
        out["features"] = out["features"].map(", ".join)
        return out

    def headline(self) -> str:
        return (
            f"decoupled shrinkage and selection: chosen size {self.chosen_size} "
            f"({100 * self.prob:g}% interval of the loss gap contains 0): "
            f"{joined(self.selected)}"
        )


def _loss(ref: Reference, eta_summary: np.ndarray) -> np.ndarray:
    """``psi_s`` of a summary's linear predictor (n,) for every draw: (S,)."""
    eta = ref.eta
    if isinstance(ref.family, Gaussian):
        return np.sqrt(ref.sigma**2 + np.mean((eta - eta_summary[:, None]) ** 2, axis=0))
    datafit, mu = mean_datafit(ref.family), ref.mu
    return np.array(
        [datafit.value(mu[:, s], eta_summary) - datafit.value(mu[:, s], eta[:, s])
         for s in range(mu.shape[1])]
    )  # fmt: skip


def _distinct_sizes(coefs: np.ndarray) -> dict[int, int]:
    """Support size -> index of the first (largest alpha) path point with that size."""
    first: dict[int, int] = {}
    for i, k in enumerate(np.count_nonzero(coefs, axis=1)):
        first.setdefault(int(k), i)
    return first


def dss(
    idata: xr.DataTree,
    model,
    *,
    n_alphas: int = 100,
    eps: float = 1e-3,
    prob: float = 0.9,
    tol: float = 1e-10,
) -> DSSResult:
    """Decoupled shrinkage and selection: adaptive-lasso summary path and the loss-gap posterior.

    Parameters
    ----------
    idata, model : the fit (as for :func:`~shrinkage.select.projection`).
    n_alphas, eps : the path's grid (``n_alphas`` values from ``alpha_max`` to ``eps alpha_max``).
    prob : probability of the central interval of the loss gap used to choose the size.
    tol : solver certificate tolerance.

    Returns
    -------
    DSSResult
    """
    if not 0 < prob < 1:
        raise ValueError(f"prob must lie in (0, 1); got {prob}")
    ref = reference(idata, model)
    bbar = ref.beta.mean(axis=0)
    weights = 1.0 / np.maximum(np.abs(bbar), np.finfo(float).tiny)
    res = path(ref.X, ref.mu.mean(axis=1), mean_datafit(ref.family), WeightedL1(1.0, weights),
               n_alphas=n_alphas, eps=eps, fit_intercept=ref.fit_intercept, tol=tol)  # fmt: skip
    etas = ref.X @ res.coefs.T + res.intercepts
    dense = _loss(ref, ref.eta.mean(axis=1))
    first = _distinct_sizes(res.coefs)
    gaps = np.stack([_loss(ref, etas[:, i]) - dense for i in first.values()], axis=1)
    lo, hi = np.quantile(gaps, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    names = np.array(ref.names)
    sizes = pd.DataFrame(
        {
            "alpha": res.alphas[list(first.values())],
            "features": [list(names[res.coefs[i] != 0]) for i in first.values()],
            "gap_mean": gaps.mean(axis=0),
            "gap_lower": lo,
            "gap_upper": hi,
        },
        index=pd.Index(list(first), name="size"),
    )
    ok = sizes.index[sizes["gap_lower"].to_numpy() <= 0]
    chosen = int(ok[0]) if len(ok) else int(sizes.index[-1])
    coefs = pd.DataFrame(res.coefs, index=pd.Index(res.alphas, name="alpha"),
                         columns=pd.Index(ref.names, name="feature"))  # fmt: skip
    gap = xr.DataArray(gaps, dims=("sample", "size"), coords={"size": list(first)}, name="gap")
    return DSSResult(res.alphas, weights, coefs, res.intercepts, sizes, gap, chosen, prob)
