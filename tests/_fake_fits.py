"""Hand-written PyMC fits that follow the DataTree contract of docs/conventions.md.

Built by hand so that the report and plot tests rest on the DataTree contract alone, not on
``shrinkage.build_model`` / ``shrinkage.sample``: ``beta`` (dim ``feature``),
``beta_original``, ``intercept``, ``sigma`` and, for the regularized horseshoe, ``tau``, ``lam``,
``c2``; ``constant_data`` holds ``x_center``, ``x_scale``, ``y_center``, ``y_scale``; attrs hold
``shrinkage_prior``, ``shrinkage_family``, ``n_obs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

N_OBS, N_FEATURES = 100, 50
SIGNAL_POSITIONS = (3, 11, 22, 37, 44)
SIGNAL_VALUES = (2.0, -1.5, 1.0, -1.0, 0.75)  # original scale, x ~ N(0, 1), noise sd 1


@dataclass(frozen=True)
class Synthetic:
    X: pd.DataFrame
    y: pd.Series
    beta: np.ndarray  # true coefficients on the original scale
    signals: list[str]
    nulls: list[str]


def synthetic(seed: int = 20261126) -> Synthetic:
    """n=100, p=50, 5 signals, noise sd 1; columns named ``gene_00`` .. ``gene_49``."""
    rng = np.random.default_rng(seed)
    names = [f"gene_{j:02d}" for j in range(N_FEATURES)]
    X = rng.normal(size=(N_OBS, N_FEATURES))
    beta = np.zeros(N_FEATURES)
    beta[list(SIGNAL_POSITIONS)] = SIGNAL_VALUES
    y = 0.5 + X @ beta + rng.normal(size=N_OBS)
    signals = [names[j] for j in SIGNAL_POSITIONS]
    nulls = [n for n in names if n not in signals]
    return Synthetic(pd.DataFrame(X, columns=names), pd.Series(y, name="y"), beta, signals, nulls)


def fit(
    data: Synthetic,
    prior: str,
    *,
    chains: int = 2,
    draws: int = 600,
    tune: int = 1000,
    seed: int = 1,
    laplace_scale: float = 0.1,
    global_scale: float | None = None,
):
    """Sample a standardized Gaussian regression with ``prior`` in {"rhs", "laplace"}.

    Regularized horseshoe (Piironen & Vehtari 2017), non-centred:
    ``beta_j = z_j tau lam_tilde_j``, ``lam_tilde_j^2 = c2 lam_j^2 / (c2 + tau^2 lam_j^2)``,
    ``tau ~ HalfCauchy(tau0 sigma)``, ``tau0 = p0/(p-p0)/sqrt(n)`` with p0 = 5,
    ``lam_j ~ HalfCauchy(1)``, ``c2 ~ InvGamma(2, 2)`` (slab df 4, slab scale 1).
    Laplace: ``beta_j ~ Laplace(0, b)``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    X = data.X.to_numpy()
    y = data.y.to_numpy()
    n, p = X.shape
    x_center, x_scale = X.mean(0), X.std(0)  # divisor n, as in conventions.md
    y_center, y_scale = y.mean(), y.std()
    Xs = (X - x_center) / x_scale
    ys = (y - y_center) / y_scale
    coords = {"feature": list(data.X.columns), "obs": np.arange(n)}
    with pm.Model(coords=coords):
        Xd = pm.Data("X", Xs, dims=("obs", "feature"))
        sigma = pm.HalfNormal("sigma", 1.0)
        intercept = pm.Normal("intercept", 0.0, 1.0)
        if prior == "rhs":
            p0 = 5
            tau0 = global_scale if global_scale is not None else p0 / (p - p0) / np.sqrt(n)
            # tau = tau0 * sigma * tau_raw: the global scale is relative to the noise (P&V 2017)
            tau_raw = pm.HalfCauchy("tau_raw", 1.0)
            tau = pm.Deterministic("tau", tau0 * sigma * tau_raw)
            lam = pm.HalfCauchy("lam", 1.0, dims="feature")
            c2 = pm.InverseGamma("c2", 2.0, 2.0)
            z = pm.Normal("z", 0.0, 1.0, dims="feature")
            lam_t = pt.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
            beta = pm.Deterministic("beta", z * tau * lam_t, dims="feature")
        elif prior == "laplace":
            beta = pm.Laplace("beta", 0.0, laplace_scale, dims="feature")
        else:
            raise ValueError(prior)
        pm.Deterministic("beta_original", beta * y_scale / x_scale, dims="feature")
        pm.Normal("y", intercept + Xd @ beta, sigma, observed=ys, dims="obs")
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=1,
            random_seed=seed,
            target_accept=0.99 if prior == "rhs" else 0.9,
            nuts_sampler="nutpie",
            progressbar=False,
        )
        pm.compute_log_likelihood(idata, progressbar=False)
    import xarray as xr

    const = xr.Dataset(
        {
            "x_center": ("feature", x_center),
            "x_scale": ("feature", x_scale),
            "y_center": y_center,
            "y_scale": y_scale,
        },
        coords={"feature": coords["feature"]},
    )
    idata["constant_data"] = xr.DataTree(const)
    idata.attrs.update(shrinkage_prior=prior, shrinkage_family="gaussian", n_obs=int(n))
    return idata
