"""One-pass centred second moments of a Dask array / dataframe (Chan et al.'s pairwise update).

For the augmented rows ``z_i = (x_i, y_i)`` each partition ``k`` yields its count ``n_k``, mean
``m_k`` and centred co-moment matrix ``M_k = sum_i (z_i - m_k)(z_i - m_k)'``. Two summaries merge
exactly (Chan, Golub & LeVeque 1979):

.. math::

    n = n_a + n_b,\\quad \\delta = m_b - m_a,\\quad m = m_a + \\delta\\, n_b / n,\\quad
    M = M_a + M_b + \\delta\\delta'\\, n_a n_b / n.

Merging is a balanced binary tree over the partitions; no raw uncentred sum ``sum z z'`` is ever
formed, so the result keeps full precision even when the column means dwarf their spread.
``X'X``, ``X'y`` and ``y'y`` are then the blocks of ``M``; the means and divisor-n standard
deviations follow from ``m`` and ``diag(M) / n``.

Whatever Dask scheduler is active is used (``dask.compute``): a ``distributed.Client`` if one
exists, else the local threaded scheduler. Only the ``(p+1) x (p+1)`` summaries travel to the
client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["GramStats", "feature_names", "gram_stats", "is_dask"]


def is_dask(obj: Any) -> bool:
    """True if ``obj`` is a Dask collection (array, dataframe, series); never imports dask."""
    return type(obj).__module__.split(".")[0] == "dask"


@dataclass(frozen=True)
class GramStats:
    """Sufficient statistics of a linear-Gaussian regression, centred.

    Attributes
    ----------
    n : int
        Number of rows.
    mean, std : numpy.ndarray, shape (p,)
        Column means and divisor-n standard deviations of ``X``.
    y_mean, y_std : float
        Mean and divisor-n standard deviation of ``y`` (0.0 when no ``y`` was given).
    xtx : numpy.ndarray, shape (p, p)
        Centred co-moment sum ``(X - 1 mean')'(X - 1 mean')``.
    xty : numpy.ndarray, shape (p,)
        ``(X - 1 mean')'(y - y_mean)`` (zeros when no ``y``).
    yty : float
        ``(y - y_mean)'(y - y_mean)`` (0.0 when no ``y``).
    feature_names : list of str
        Column names (dummy columns ``col[level]`` for categoricals; ``x0..`` for arrays).
    """

    n: int
    mean: np.ndarray
    std: np.ndarray
    y_mean: float
    y_std: float
    xtx: np.ndarray
    xty: np.ndarray
    yty: float
    feature_names: list[str]

    @property
    def n_features(self) -> int:
        return int(self.mean.shape[0])


# -- the per-partition work (runs on the workers) -------------------------------------------------
def _where(k: int, source: str | None) -> str:
    return f"partition {k}" + (f" (file {source!r})" if source else "")


def _frame_block(df, spec, where: str) -> np.ndarray:
    """A pandas partition as a float matrix: numeric columns, then drop-first dummies."""
    import pandas as pd

    cols = []
    for name, levels in spec:
        s = df[name]
        if levels is not None:
            if s.isna().any():
                raise ValueError(f"{where}: categorical column {name!r} contains missing values")
            values = s.astype(object)
            cols += [(values == lev).to_numpy(dtype=float) for lev in levels[1:]]
            continue
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna()
            if bad.any():
                raise ValueError(
                    f"{where}: column {name!r} holds a non-numeric value "
                    f"{s[bad].iloc[0]!r}; convert it, or make it a known categorical "
                    "(ddf.categorize())"
                )
            s = num
        cols.append(s.to_numpy(dtype=float, na_value=np.nan))
    return np.column_stack(cols) if cols else np.empty((len(df), 0))


def _all_numeric(frame, spec) -> bool:
    import pandas as pd

    return all(levels is None for _, levels in spec) and all(
        pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t) for t in frame.dtypes
    )


def _as_block(obj, spec, where: str, what: str) -> np.ndarray:
    """A partition as a float matrix (may be a read-only view of the partition's data)."""
    if spec is not None:
        if _all_numeric(obj, spec):  # one conversion of the whole frame, not one per column
            return obj.to_numpy(dtype=float, na_value=np.nan)
        return _frame_block(obj, spec, where)
    if hasattr(obj, "to_numpy"):  # a pandas Series partition of y
        import pandas as pd

        if not (pd.api.types.is_numeric_dtype(obj) or pd.api.types.is_bool_dtype(obj)):
            raise ValueError(f"{where}: {what} holds a non-numeric dtype {obj.dtype}")
        obj = obj.to_numpy(dtype=float, na_value=np.nan)
    arr = np.asarray(obj)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{where}: {what} holds non-numeric values (dtype {arr.dtype})")
    return arr.astype(float, copy=False)


def _check_finite(Z: np.ndarray, names: list[str], where: str) -> None:
    bad = ~np.isfinite(Z)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(Z[i, j]) else "inf"
        raise ValueError(
            f"{where} holds {int(bad.sum())} non-finite value(s): first {kind} in column "
            f"{names[j]!r} at row {i} of the partition; drop or impute them before fitting"
        )


#: rows centred at a time into one small buffer of ours, reused across the partition: a
#: partition-sized buffer would be a fresh ``mmap`` per task in a Dask worker (whose allocator
#: hands large blocks back to the system at once), paying a page fault per 4 kB written
#: (measured: docs/big-data.md, "Scale benchmark")
CHUNK_ROWS = 8192


def _partition_stats(xb, yb, k, source, spec, names):
    """``(n_k, m_k, M_k)`` of one partition's augmented rows ``[x, y]``.

    The partition's data (a view of the frame's float block when it is all float64, no copy)
    are read once: ``CHUNK_ROWS`` rows at a time are centred into one Fortran buffer of ours
    (:func:`_centred_comoments`), whose co-moments are added by a symmetric rank-k BLAS
    update. Non-finite values show up in the result (NaN and inf propagate); only then is the
    partition scanned value by value to name the first one.
    """
    where = _where(k, source)
    X = _as_block(xb, spec, where, "X")
    if X.ndim == 1:
        X = X[:, None]
    n, p = X.shape
    y = None
    if yb is not None:
        y = _as_block(yb, None, where, "y").reshape(-1)
        if y.shape[0] != n:
            raise ValueError(f"{where}: X has {n} rows but y has {y.shape[0]}")
    q = p + (y is not None)
    if n == 0:
        return 0, np.zeros(q), np.zeros((q, q))
    m, M = _centred_comoments(X, y)
    if not (np.isfinite(m).all() and np.isfinite(M).all()):
        _refuse_non_finite(X, y, names, where)
    return n, m, M


def _centred_comoments(X: np.ndarray, y: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``m`` and ``sum_i (z_i - m)(z_i - m)'`` of the rows ``z_i = [x_i, y_i]``.

    One read: the rows are centred chunk by chunk at ``c``, the first chunk's mean, giving
    ``S = sum (z - c)(z - c)'`` and ``s = sum (z - c)``; then ``m = c + d``, ``d = s / n``, and
    ``M = S - n d d'``. That subtraction loses at most a factor ``1 + n d_j^2 / M_jj`` of
    precision, 2 when every ``|d_j|`` is within a standard deviation (a first chunk of 8,192
    rows is, unless the rows are sorted along a trend); otherwise the partition is centred
    again at ``m`` itself (a second read), so the co-moments are always of centred data.
    """
    n, p = X.shape
    q = p + (y is not None)
    first = slice(0, min(n, CHUNK_ROWS))
    c = np.empty(q)
    c[:p] = X[first].mean(axis=0)
    if y is not None:
        c[p] = y[first].mean()
    M, s = _shifted_comoments(X, y, c)
    d = s / n
    if np.any(2.0 * n * d**2 > np.diag(M)):  # n d^2 > M_jj: the first chunk's mean is far off
        c = c + d
        M, s = _shifted_comoments(X, y, c)
        d = s / n
    return c + d, M - n * np.outer(d, d)


def _shifted_comoments(X, y, c) -> tuple[np.ndarray, np.ndarray]:
    """``(sum (z - c)(z - c)', sum (z - c))`` over the rows, ``CHUNK_ROWS`` at a time.

    The buffer's last column holds ones, so the one rank-k update per chunk also gives the
    sums (cheaper than a separate pass over the buffer).
    """
    n, p = X.shape
    q = c.shape[0]
    Z = np.empty((min(n, CHUNK_ROWS), q + 1), order="F")
    Z[:, q] = 1.0
    A = np.zeros((q + 1, q + 1))
    for start in range(0, n, CHUNK_ROWS):
        Zb = Z[: min(CHUNK_ROWS, n - start)]
        rows = slice(start, start + Zb.shape[0])
        np.subtract(X[rows], c[:p], out=Zb[:, :p])
        if y is not None:
            np.subtract(y[rows], c[p], out=Zb[:, p])
        A += Zb.T @ Zb
    return A[:q, :q], A[:q, q].copy()


def _refuse_non_finite(X: np.ndarray, y: np.ndarray | None, names: list[str], where: str):
    """Name the first NaN / inf of a partition, or say that its finite values overflow."""
    _check_finite(X, names, where)
    if y is not None:
        _check_finite(y[:, None], names[X.shape[1] :], where)
    raise ValueError(
        f"{where}: the squares of its values overflow float64 (values beyond ~1e154): "
        "rescale the columns before fitting"
    )


def _merge(a, b):
    """Chan et al.'s exact merge of two ``(n, mean, M)`` summaries."""
    na, ma, Ma = a
    nb, mb, Mb = b
    if na == 0:
        return b
    if nb == 0:
        return a
    n = na + nb
    d = mb - ma
    return n, ma + d * (nb / n), Ma + Mb + np.outer(d, d) * (na * nb / n)


# -- the client side -------------------------------------------------------------------------------
def _frame_spec(X) -> tuple[list[tuple[str, list | None]], list[str]]:
    """Per column ``(name, levels or None)`` and the expanded feature names, from the metadata."""
    import pandas as pd

    names = [str(c) for c in X.columns]
    if len(set(names)) != len(names):
        raise ValueError("X has duplicate column names")
    spec, features = [], []
    for col in X.columns:
        dtype, name = X[col].dtype, str(col)
        if isinstance(dtype, pd.CategoricalDtype):
            if not X[col].cat.known:
                raise ValueError(
                    f"categorical column {name!r} has unknown categories: out of core the levels "
                    "must be known before the pass; call ddf.categorize() (one extra pass) or "
                    "set them with .cat.set_categories(...)"
                )
            levels = list(dtype.categories)
            if len(levels) < 2:
                raise ValueError(f"categorical column {name!r} has a single level: constant")
            spec.append((col, levels))
            features += [f"{name}[{lev}]" for lev in levels[1:]]
        else:
            spec.append((col, None))
            features.append(name)
    return spec, features


def feature_names(X) -> list[str]:
    """The feature names a statistics pass over the Dask ``X`` gives (a frame's categorical
    columns expanded with their known categories; ``x0, x1, ...`` for an array), read from
    the metadata: no pass over the data."""
    if hasattr(X, "columns"):
        return _frame_spec(X)[1]
    return [f"x{j}" for j in range(X.shape[1])]


def _blocks(X, y):
    """Delayed row blocks of X and y (aligned), the column spec and the feature names."""
    if hasattr(X, "columns"):  # Dask DataFrame
        spec, names = _frame_spec(X)
        # unoptimized graphs: X and y taken from one frame then share their read tasks (one read
        # per partition), and Dask cannot fuse the partitions of a narrow projection (y alone)
        # into fewer than X's, which would misalign the rows
        xs = list(X.to_delayed(optimize_graph=False))
    else:
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional; got {X.ndim} dimensions")
        spec, names = None, feature_names(X)
        X = X.rechunk({1: X.shape[1]}) if not np.isnan(X.shape[1]) else X
        xs = list(X.to_delayed(optimize_graph=False).ravel())
    ys = None
    if y is not None:
        if is_dask(y) and hasattr(y, "chunks") and hasattr(X, "chunks") and _known(X, y):
            y = y.rechunk((X.chunks[0], *y.chunks[1:]))
        if not is_dask(y):
            raise TypeError("y must be a Dask collection when X is one (rows must align)")
        ys = y.to_delayed(optimize_graph=False)
        ys = list(ys.ravel()) if hasattr(y, "chunks") else list(ys)
        if len(ys) != len(xs):
            raise ValueError(
                f"X has {len(xs)} partitions but y has {len(ys)}: they must be split at the "
                "same rows (take y from the same frame, or rechunk)"
            )
    return xs, ys, spec, names


def _known(X, y) -> bool:
    return not any(np.isnan(c) for c in X.chunks[0]) and not any(np.isnan(c) for c in y.chunks[0])


def _tree(parts: list) -> Any:
    from dask import delayed

    merge = delayed(_merge, pure=True)
    while len(parts) > 1:
        nxt = [merge(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0]


def gram_stats(X: Any, y: Any = None, *, sources: Sequence[str] | None = None) -> GramStats:
    """Centred ``X'X``, ``X'y``, ``y'y``, means and sds of Dask data in one pass.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame, shape (n, p)
        Predictors. Frame columns may be numeric, boolean or categorical with known categories
        (expanded to drop-first dummies ``col[level]``, the first category the reference).
    y : dask.array.Array or dask.dataframe.Series, shape (n,), optional
        Response, split at the same rows as ``X``.
    sources : sequence of str, optional
        The file each partition came from, named in the errors.

    Returns
    -------
    GramStats

    Raises
    ------
    ValueError
        A partition holding NaN / inf or a non-numeric value (naming the partition and, if
        ``sources`` is given, its file); unknown categories; misaligned ``X`` and ``y``.
    """
    from dask import compute, delayed

    if not is_dask(X):
        raise TypeError(f"gram_stats needs a Dask array or dataframe; got {type(X).__name__}")
    xs, ys, spec, names = _blocks(X, y)
    if sources is not None and len(sources) != len(xs):
        raise ValueError(f"{len(sources)} sources for {len(xs)} partitions")
    cols = names + (["y"] if y is not None else [])
    part = delayed(_partition_stats, pure=True)
    parts = [
        part(
            xb,
            None if ys is None else ys[k],
            k,
            None if sources is None else sources[k],
            spec,
            cols,
        )
        for k, xb in enumerate(xs)
    ]
    return summaries_to_stats(compute(_tree(parts))[0], names, y is not None)


def summaries_to_stats(summary, names: list[str], has_y: bool) -> GramStats:
    """The :class:`GramStats` of the merged ``(n, m, M)`` of the augmented rows ``[x, y]``
    (``[x]`` when not ``has_y``)."""
    n, m, M = summary
    if n == 0:
        raise ValueError("X has no rows")
    p = len(names)
    var = np.diag(M) / n
    return GramStats(
        n=int(n),
        mean=m[:p].copy(),
        std=np.sqrt(var[:p]),
        y_mean=float(m[p]) if has_y else 0.0,
        y_std=float(np.sqrt(var[p])) if has_y else 0.0,
        xtx=M[:p, :p].copy(),
        xty=M[:p, p].copy() if has_y else np.zeros(p),
        yty=float(M[p, p]) if has_y else 0.0,
        feature_names=names,
    )
