"""Numpy core of the report: arrays of draws in, arrays out (no xarray, no PyMC).

Every function takes draws shaped ``(chain, draw, k)`` (``k`` coefficients) and reduces over the
first two axes. The xarray / DataTree layer in :mod:`shrinkage.report` extracts those arrays by
the names fixed in ``docs/conventions.md`` and labels the results with the feature names.
"""

from __future__ import annotations

import numpy as np
from arviz_stats.base import array_stats

#: Default half-width of the "practically zero" region on the standardized scale, in units of
#: sd(y) per sd(x_j). ``|beta_j| < 0.1`` means a one-sd change of x_j moves the prediction by
#: less than a tenth of sd(y); for uncorrelated features the feature explains < 1% of var(y).
#: This is Kruschke's (2018) negligible standardized effect (half of Cohen's "small" 0.2).
DEFAULT_EPS = 0.1

#: Tail ESS is the smaller ESS of the 5% and 95% quantile indicators (Vehtari et al. 2021).
TAIL_PROBS = (0.05, 0.95)


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
