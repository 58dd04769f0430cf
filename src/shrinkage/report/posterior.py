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


def flatten_outputs(idata: xr.DataTree) -> xr.DataTree:
    """A multi-output fit (``beta`` over ``feature, output``) with one row per feature and output.

    ``beta`` and ``beta_original`` are stacked into a single ``feature`` dim labelled
    ``feature[output]``, so every per-feature statistic and figure works per output (as
    ``docs/conventions.md`` promises). The stacked ``constant_data`` has ``x_scale`` divided by
    the output's ``y_scale`` and ``y_scale = 1``, so ``eps sd(y_k) / sd(x_j)`` stays right.
    Local scales ``lam`` are renamed ``lam_group``: shrinkage factors assume one noise scale,
    and a multi-output fit has one per output. Single-output fits are returned unchanged.
    """
    post = posterior(idata)
    if "beta" not in post or set(post["beta"].dims) != {*SAMPLE_DIMS, "feature", "output"}:
        return idata
    feats = [str(f) for f in post["feature"].to_numpy()]
    outs = [str(o) for o in post["output"].to_numpy()]
    labels = [f"{f}[{o}]" for f in feats for o in outs]

    def stacked(da: xr.DataArray) -> xr.DataArray:
        arr = da.transpose(*SAMPLE_DIMS, "feature", "output").to_numpy()
        arr = arr.reshape(arr.shape[0], arr.shape[1], -1)
        coords = {"chain": da["chain"], "draw": da["draw"], "feature": labels}
        return xr.DataArray(arr, dims=(*SAMPLE_DIMS, "feature"), coords=coords)

    new_post = post.drop_vars(["beta", "beta_original", "feature"], errors="ignore")
    if "lam" in new_post:
        new_post = new_post.rename({"lam": "lam_group"})
    new_post = new_post.assign(beta=stacked(post["beta"]))
    if "beta_original" in post:
        new_post = new_post.assign(beta_original=stacked(post["beta_original"]))
    children = {"/" + k: v.to_dataset() for k, v in idata.children.items()}
    children["/posterior"] = new_post.assign_attrs(post.attrs)
    const = group(idata, "constant_data")
    if const is not None and "x_scale" in const and "y_scale" in const:
        ratio = const["x_scale"].to_numpy()[:, None] / np.atleast_1d(const["y_scale"])[None, :]
        children["/constant_data"] = xr.Dataset(
            {"x_scale": ("feature", ratio.ravel()), "y_scale": 1.0}, {"feature": labels}
        )
    out = xr.DataTree.from_dict(children)
    out.attrs.update(idata.attrs)
    return out
