"""Predictive performance of submodels: PSIS-LOO (ArviZ) or K-fold pointwise elpd."""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr
from scipy.special import logsumexp

__all__ = ["loo_pointwise", "lpd_pointwise", "relative_eff"]


def relative_eff(beta: np.ndarray) -> float:
    """ArviZ's ``r_eff``: mean bulk ESS (``method="mean"``) of the draws ``beta`` (chains, draws,
    p) over the features, divided by the number of draws (1 for a single chain)."""
    from arviz_stats import ess

    chains, draws = beta.shape[:2]
    if chains == 1:
        return 1.0
    da = xr.DataArray(beta, dims=("chain", "draw", "feature"))
    values = ess(da, sample_dims=["chain", "draw"], method="mean").values
    return float(np.mean(values) / (chains * draws))


def loo_pointwise(log_lik: np.ndarray, reff: float) -> tuple[np.ndarray, float]:
    """PSIS-LOO pointwise elpd (n,) and the largest Pareto k from ``log_lik`` (chains, draws, n).

    ArviZ's PSIS smoothing (``arviz_stats`` array layer, ``psislw``: normalized log weights
    from the log-likelihood) and ``elpd_i = log sum_s w_is p(y_i | theta_s)``, the sum ArviZ's
    ``loo`` takes per observation, done here for all observations at once. Pareto-k warnings
    are silenced; the caller reports the largest k.
    """
    from arviz_stats.base import array_stats

    chains, draws, n = log_lik.shape
    ll = np.moveaxis(log_lik, -1, 0).reshape(n, chains * draws)
    # a row that is the same in every draw (e.g. a model with nothing to draw) needs no
    # weights: its elpd is that value (ArviZ refuses a constant tail)
    elpd, varies = ll[:, 0].copy(), np.ptp(ll, axis=1) > 0
    if not varies.any():
        return elpd, float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log_w, khat = array_stats.psislw(ll[varies], r_eff=reff, axis=-1)
    elpd[varies] = logsumexp(log_w + ll[varies], axis=-1)
    return elpd, float(np.max(khat))


def lpd_pointwise(log_lik: np.ndarray) -> np.ndarray:
    """Log pointwise predictive density ``log (1/S) sum_s p(y_i | theta_s)`` from (n, S)."""
    return logsumexp(log_lik, axis=1) - np.log(log_lik.shape[1])
