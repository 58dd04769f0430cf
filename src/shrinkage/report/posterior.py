"""Read the DataTree contract of ``docs/conventions.md`` into numpy arrays and feature names."""

from __future__ import annotations

import numpy as np
import xarray as xr

SAMPLE_DIMS = ("chain", "draw")


def group(idata: xr.DataTree, name: str) -> xr.Dataset | None:
    """Return group ``name`` of ``idata`` as a Dataset, or None when it is absent."""
    if not isinstance(idata, xr.DataTree):
        raise TypeError(f"expected an xarray.DataTree (ArviZ 1.x); got {type(idata).__name__}")
    return idata[name].to_dataset() if name in idata.children else None


def posterior(idata: xr.DataTree) -> xr.Dataset:
    """The ``posterior`` group as a Dataset; raises ValueError when it is absent."""
    post = group(idata, "posterior")
    if post is None:
        raise ValueError("the DataTree has no 'posterior' group")
    return post


def draws(idata: xr.DataTree, var: str, dim: str | None = None) -> np.ndarray:
    """Draws of posterior variable ``var`` as ``(chain, draw)`` or ``(chain, draw, dim)``."""
    post = posterior(idata)
    if var not in post:
        raise ValueError(f"posterior has no variable {var!r} (has: {sorted(post.data_vars)})")
    da = post[var]
    extra = [d for d in da.dims if d not in SAMPLE_DIMS]
    wanted = [] if dim is None else [dim]
    if extra != wanted:
        raise ValueError(f"posterior variable {var!r} has dims {extra}; expected {wanted}")
    return da.transpose(*SAMPLE_DIMS, *wanted).to_numpy()


def beta_dim(idata: xr.DataTree) -> str:
    """The coefficient dim of ``beta`` (``feature``); multi-output fits are not supported here."""
    da = posterior(idata).get("beta")
    if da is None:
        raise ValueError("posterior has no variable 'beta' (see docs/conventions.md)")
    extra = [d for d in da.dims if d not in SAMPLE_DIMS]
    if extra != ["feature"]:
        raise ValueError(f"'beta' must have the single dim 'feature'; got {extra}")
    return "feature"


def feature_names(idata: xr.DataTree) -> list[str]:
    """Feature names from the ``feature`` coordinate of ``beta``."""
    beta_dim(idata)
    return [str(v) for v in posterior(idata)["feature"].to_numpy()]


def n_obs(idata: xr.DataTree) -> int:
    """Number of observations: attrs ``n_obs``, else the size of ``observed_data``'s ``y``."""
    if "n_obs" in idata.attrs:
        return int(idata.attrs["n_obs"])
    obs = group(idata, "observed_data")
    if obs is not None and "y" in obs:
        return int(obs["y"].sizes.get("obs", obs["y"].size))
    raise ValueError("cannot find the number of observations: no attrs['n_obs'] or observed y")


def original_beta(idata: xr.DataTree) -> np.ndarray | None:
    """Draws of ``beta_original``, or ``beta * y_scale / x_scale`` from ``constant_data``."""
    post = posterior(idata)
    if "beta_original" in post:
        return draws(idata, "beta_original", "feature")
    const = group(idata, "constant_data")
    if const is None or "x_scale" not in const:
        return None
    y_scale = float(const["y_scale"]) if "y_scale" in const else 1.0
    return draws(idata, "beta", "feature") * y_scale / const["x_scale"].to_numpy()


def eps_original(idata: xr.DataTree, eps: np.ndarray) -> np.ndarray | None:
    """The standardized threshold in original units: ``eps_j sd(y) / sd(x_j)``."""
    const = group(idata, "constant_data")
    if const is None or "x_scale" not in const:
        return None
    y_scale = float(const["y_scale"]) if "y_scale" in const else 1.0
    return eps * y_scale / const["x_scale"].to_numpy()
