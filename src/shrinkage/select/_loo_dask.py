"""PSIS-LOO of the reference and of every submodel on Dask rows: one pass, summaries back.

PSIS-LOO is a computation per row: row ``i``'s elpd needs ``log p(y_i | theta_s)`` for every
evaluation draw ``s`` and nothing of the other rows. So each partition (on its worker, in
chunks of rows that bound the ``rows x draws`` log-likelihood matrices) standardizes its rows
with the model's scaling, computes the reference's pointwise elpd ``r_i`` and, for every size
``k``, the submodel's ``e_ki`` (the projected draws are sent to every task: ``O(S k)`` numbers)
exactly as :func:`shrinkage.select._elpd.loo_pointwise` does in memory, and returns only the
count, the mean and the centred co-moments of ``v_i = (r_i, e_1i - r_i, ..., e_Ki - r_i)`` and
the largest Pareto ``k`` per size. Partitions merge with Chan et al.'s exact update
(:func:`shrinkage.outofcore.stats._merge`), so the sums, standard deviations and maxima the size
table needs equal the in-memory ones to rounding; nothing of size ``n`` reaches the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from shrinkage.families import Gaussian
from shrinkage.outofcore.glm import standardized_block
from shrinkage.outofcore.stats import _blocks, _merge
from shrinkage.select._common import log_likelihood
from shrinkage.select._elpd import loo_pointwise
from shrinkage.solvers.datafits import Quadratic

__all__ = ["ElpdSummary", "elpd_summary_dask"]

#: most log-likelihood values held at once per task (rows x draws): 32 MB of float64
_CHUNK_VALUES = 1 << 22


@dataclass(frozen=True)
class ElpdSummary:
    """What the size table needs from the pointwise elpd of the reference and of each size.

    Attributes
    ----------
    n : int
    ref_sum, ref_sd : float
        Sum and standard deviation (ddof 1) over rows of the reference's pointwise elpd.
    elpd_sum, diff_sum, diff_sd : ndarray (K+1,)
        Per size: sum of the elpd, sum and sd (ddof 1) of its difference to the reference.
    kmax : ndarray (K+1,)
        Largest Pareto k per size (NaN where not computed, e.g. K-fold).
    """

    n: int
    ref_sum: float
    ref_sd: float
    elpd_sum: np.ndarray
    diff_sum: np.ndarray
    diff_sd: np.ndarray
    kmax: np.ndarray

    @classmethod
    def from_pointwise(cls, ref_i: np.ndarray, elpd: np.ndarray, kmax) -> ElpdSummary:
        """From the reference's (n,) and the sizes' (K+1, n) pointwise elpd."""
        diff = elpd - ref_i[None, :]
        return cls(
            ref_i.shape[0], float(ref_i.sum()), float(ref_i.std(ddof=1)), elpd.sum(axis=1),
            diff.sum(axis=1), diff.std(axis=1, ddof=1), np.asarray(kmax, dtype=float),
        )  # fmt: skip

    @classmethod
    def from_moments(cls, n: int, mean: np.ndarray, M: np.ndarray, kmax) -> ElpdSummary:
        """From the count, mean and centred co-moments of ``(r_i, d_1i, ..., d_Ki)``."""
        sd = np.sqrt(np.diag(M) / (n - 1))
        return cls(
            n, float(n * mean[0]), float(sd[0]), n * (mean[0] + mean[1:]), n * mean[1:], sd[1:],
            np.asarray(kmax, dtype=float),
        )  # fmt: skip


def _chunk_values(Z, y, ref, projections, reff, chains) -> tuple[np.ndarray, np.ndarray]:
    """``v`` (rows, K+2) and the Pareto k per size (K+1,) of one chunk of rows."""
    beta, intercept, sigma = ref
    fam = Gaussian()

    def elpd(eta, s):
        ll = log_likelihood(fam, y, eta, s)  # (rows, S)
        return loo_pointwise(ll.T.reshape(chains, -1, ll.shape[0]), reff)

    r, _ = elpd(Z @ beta.T + intercept, sigma)
    cols, kmax = [r], []
    for idx, coef, b0, s in projections:
        e, k = elpd(Z[:, idx] @ coef.T + b0, s)
        cols.append(e - r)
        kmax.append(k)
    return np.column_stack(cols), np.array(kmax, dtype=float)


def _partition(xb, yb, k, spec, names, scaling, ref, projections, reff, chains):
    """``((n, mean, M), kmax)`` of one partition's rows (runs on a worker)."""
    xc, xs, yc, ys = scaling
    Z, y = standardized_block(xb, yb, k, None, spec, names, xc, xs, Quadratic())
    y = (y - yc) / ys
    width = len(projections) + 2
    acc = (0, np.zeros(width), np.zeros((width, width)))
    kmax = np.full(len(projections), np.nan)
    step = max(1, _CHUNK_VALUES // ref[0].shape[0])
    for start in range(0, Z.shape[0], step):
        v, kk = _chunk_values(Z[start : start + step], y[start : start + step], ref,
                              projections, reff, chains)  # fmt: skip
        m = v.mean(axis=0)
        acc = _merge(acc, (v.shape[0], m, (v - m).T @ (v - m)))
        kmax = np.fmax(kmax, kk)
    return acc, kmax


def _combine(a, b):
    return _merge(a[0], b[0]), np.fmax(a[1], b[1])


def elpd_summary_dask(
    data: tuple[Any, Any], design, ref: tuple, projections: list, reff: float, chains: int
) -> ElpdSummary:
    """PSIS-LOO summary of the reference and the submodels over the Dask rows ``data``.

    Parameters
    ----------
    data : (X, y)
        The Dask collections the model was built from (the same columns).
    design : the model's :class:`~shrinkage.outofcore.design.GramDesign` (its scaling).
    ref : (beta (S, p), intercept (S,), sigma (S,)) of the evaluation draws.
    projections : list of (cols, coef (S, k), intercept (S,), sigma (S,)), sizes 0..K.
    reff, chains : ArviZ's relative efficiency and the number of chains of the draws.
    """
    from dask import compute, delayed

    X, y = data
    xs, ys, spec, names = _blocks(X, y)
    if names != list(design.feature_names):
        raise ValueError(
            "data's columns do not match the model's features: pass the (X, y) the model was "
            f"built from (got {names[:5]}..., expected {list(design.feature_names)[:5]}...)"
        )
    scaling = (design.x_center, design.x_scale, design.y_center, design.y_scale)
    task = delayed(_partition, pure=True)
    fixed = (spec, names, scaling, ref, projections, reff, chains)
    parts = [task(xb, ys[k], k, *fixed) for k, xb in enumerate(xs)]
    merge = delayed(_combine, pure=True)
    while len(parts) > 1:
        nxt = [merge(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        parts = nxt + ([parts[-1]] if len(parts) % 2 else [])
    (n, mean, M), kmax = compute(parts[0])[0]
    if n != design.n_obs:
        raise ValueError(f"data has {n} rows but the model was built on {design.n_obs}")
    return ElpdSummary.from_moments(int(n), mean, M, kmax)
