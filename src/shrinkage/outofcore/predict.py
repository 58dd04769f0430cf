"""Lazy predictions at out-of-core rows: Dask in, Dask out, nothing gathered on the client."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["linear_predict", "transform_dask"]


def _blocks(X: Any) -> list:
    """Row blocks of a Dask frame / array as delayed objects (columns in one block)."""
    if hasattr(X, "columns"):
        return list(X.to_delayed())
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional; got {X.ndim} dimensions")
    return list(X.rechunk({1: X.shape[1]}).to_delayed().ravel())


def transform_dask(design, X: Any):
    """``(x - c) / s`` per row block, as a Dask array of shape (n, p) (rows lazily known)."""
    import dask.array as da
    from dask import delayed

    from shrinkage.design import Design

    p = design.n_features
    # the in-memory transform (pinned levels, stored scaling), run on each block by a worker
    make = delayed(lambda b: Design.transform(design, b), pure=True)
    parts = [da.from_delayed(make(b), shape=(np.nan, p), dtype=float) for b in _blocks(X)]
    return da.concatenate(parts, axis=0)


def linear_predict(design, X: Any, coef: np.ndarray, intercept: float, center=0.0, scale=1.0):
    """``center + scale * (a + Z beta)`` at the rows of ``X`` (Dask array, shape (n,))."""
    Z = transform_dask(design, X)
    coef = np.asarray(coef, dtype=float)
    return Z.map_blocks(
        lambda b: center + scale * (intercept + b @ coef), drop_axis=1, dtype=float
    )
