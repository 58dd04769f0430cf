"""Logistic and Poisson penalized MAP on Dask data: one distributed pass per Newton step.

:func:`glm_map` minimizes, over ``w`` and an unpenalized intercept ``c``,

.. math:: \\frac1n \\sum_i f(y_i, z_i^T w + c) + g(w), \\qquad z_i = (x_i - \\bar x) / s

(``f`` the logistic or Poisson loss, ``g`` an L1 / L2 / elastic-net / group-lasso penalty, ``z``
the rows standardized with the :class:`~shrinkage.outofcore.stats.GramStats` means and divisor-n
standard deviations, as the in-memory design does) by the proximal Newton method of
:func:`shrinkage.solvers.irls.irls`. Each outer step is one pass over the partitions: every
worker reads its rows, standardizes them and returns the ``p x p`` weighted Gram ``Z'WZ``, the
gradient ``Z'f'`` and the loss (:func:`shrinkage.solvers.irls.block_pass`); the client sums them
in a tree and solves the quadratic model on those numbers (with ``cache``, the parsed
partitions stay in the workers' memory after their first read). The certificate (largest KKT
violation) comes from the pass at the final point. The client holds ``O(p^2)`` floats; ``X`` is
never materialized.

Posterior sampling for these families needs the log-likelihood of every row at every gradient
evaluation: :func:`refuse_sampling` says so and names the alternatives.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from shrinkage.outofcore.cache import (
    PartitionCache,
    _checked_block,
    _on_parsed,
    cache_for,
    use_cache,
)
from shrinkage.outofcore.stats import CHUNK_ROWS, GramStats, _blocks, gram_stats, is_dask
from shrinkage.solvers.datafits import Logistic, Poisson
from shrinkage.solvers.irls import GLMPass, IRLSResult, block_pass, irls

__all__ = [
    "GLMMapResult",
    "distributed_pass",
    "glm_map",
    "glm_pass",
    "refuse_sampling",
    "use_cache",
]

_FANIN = 8  # partitions summed per reduction task (a tree of depth log_8(partitions))


def refuse_sampling(family: str) -> None:
    """Raise the error for posterior sampling of a ``family`` likelihood on Dask data."""
    raise NotImplementedError(
        f"posterior sampling of the {family} likelihood out of core is not supported: every "
        "gradient of the log-posterior would be a pass over all rows. Alternatives: the exact "
        "penalized MAP out of core (shrinkage.outofcore.glm_map, or find_map / cross_check on "
        "a convex prior), or sample on a random sample of rows that fits in memory, e.g. "
        "X.sample(frac=0.01, random_state=0).compute()"
    )


def standardized_block(xb, yb, k, source, spec, names, mean, std, datafit, check=True):
    """One partition as ``(Z, y)``, ``Z = (X - mean) / std`` a float copy (runs on a worker);
    ``check`` as :func:`_checked_block`."""
    X, y = _checked_block(xb, yb, k, source, spec, names, datafit, check)
    Z = np.empty(X.shape, order="F")
    np.subtract(X, mean, out=Z)  # one write of our own buffer, then scaled in place
    Z /= std
    return Z, y


def _block(xb, yb, k, source, spec, names, mean, std, w, c, datafit, check=True) -> GLMPass:
    """One partition's :class:`GLMPass` at ``(w, c)`` on the standardized scale (runs on a
    worker), fused: ``CHUNK_ROWS`` rows at a time are centred into one small buffer of ours
    (never scaled: the ``1 / std`` goes into ``w`` and the ``p``-sized results), then
    :func:`~shrinkage.solvers.irls.block_pass` computes ``eta``, the loss, ``X'f'``, ``X'f''``
    and ``X'WX`` by BLAS on the ``sqrt(f'')``-scaled rows, in place; the chunks' passes add."""
    X, y = _checked_block(xb, yb, k, source, spec, names, datafit, check)
    n = X.shape[0]
    buf = np.empty((min(n, CHUNK_ROWS), X.shape[1]), order="F")
    out = None
    for start in range(0, max(n, 1), CHUNK_ROWS):
        Xc = buf[: min(CHUNK_ROWS, n - start)]
        rows = slice(start, start + Xc.shape[0])
        np.subtract(X[rows], mean, out=Xc)
        part = block_pass(Xc, y[rows], w, c, datafit.kind, overwrite=True, scale=std)
        out = part if out is None else out + part
    return out


def _sum_all(*parts: GLMPass) -> GLMPass:
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def glm_pass(
    X: Any,
    y: Any,
    datafit,
    stats: GramStats,
    *,
    sources: Sequence[str] | None = None,
    cache: bool | PartitionCache = False,
) -> Callable[[np.ndarray, float], GLMPass]:
    """``pass_fn(w, c)`` for :func:`~shrinkage.solvers.irls.irls` over Dask ``X``, ``y``.

    Each call computes one Dask graph: a :class:`GLMPass` per partition (rows standardized with
    ``stats.mean`` and ``stats.std``), summed ``_FANIN`` at a time up to the client. ``cache``:
    see :func:`distributed_pass`.
    """
    return distributed_pass(X, y, datafit, stats, _block, sources=sources, cache=cache)


def distributed_pass(
    X: Any,
    y: Any,
    datafit,
    stats: GramStats,
    block_fn,
    *,
    sources: Sequence[str] | None = None,
    cache: bool | PartitionCache = False,
) -> Callable:
    """``pass_fn(*point)``: one Dask graph running ``block_fn(xb, yb, k, source, spec, names,
    mean, std, *point, datafit, check)`` on every partition and summing the results (``+``)
    ``_FANIN`` at a time up to the client. The data are checked in the first pass only (they do
    not change between passes).

    ``cache``: a :class:`~shrinkage.outofcore.cache.PartitionCache` of ``X``, ``y`` (checked
    when parsed), or ``True`` for a new one (needs a ``distributed.Client``; persisting
    starts now, in the background): every pass runs on the parsed partitions in the workers'
    memory instead of re-reading the files. They are released when ``pass_fn`` and the cache
    are garbage-collected.
    """
    from dask import compute, delayed

    if cache is True:
        cache = PartitionCache(X, y, datafit, sources)
    if isinstance(cache, PartitionCache):
        cache.complete()
        # one task per cached partition taking the persisted (X_k, y_k) whole: a separate
        # task unpacking it could run on another worker and pull the partition over
        block = delayed(partial(_on_parsed, block_fn), pure=True)
        xs, where, names = cache.parts, cache.where, cache.names
        ys, spec = [None] * len(xs), None
    else:
        xs, ys, spec, names = _blocks(X, y)
        if ys is None:
            raise TypeError("a GLM pass needs y")
        if sources is not None and len(sources) != len(xs):
            raise ValueError(f"{len(sources)} sources for {len(xs)} partitions")
        where = [None] * len(xs) if sources is None else list(sources)
        block = delayed(block_fn, pure=True)
    add = delayed(_sum_all, pure=True)
    checked: list[bool] = [True] if isinstance(cache, PartitionCache) else []

    def pass_fn(*point):
        fixed = (spec, names, stats.mean, stats.std, *point, datafit, not checked)
        parts = [block(xb, ys[k], k, where[k], *fixed) for k, xb in enumerate(xs)]
        while len(parts) > 1:
            parts = [add(*parts[i : i + _FANIN]) for i in range(0, len(parts), _FANIN)]
        out = compute(parts[0])[0]
        checked.append(True)
        return out

    return pass_fn


@dataclass
class GLMMapResult:
    """Penalized MAP of :func:`glm_map`.

    Attributes
    ----------
    coef, intercept : standardized scale (the scale the penalty acts on).
    coef_original, intercept_original : original scale,
        ``coef / std`` and ``intercept - mean . (coef / std)`` (also without a fitted
        intercept: the model centres the columns).
    feature_names : list of str
    solver : IRLSResult
        Newton steps, data passes, certificate (KKT), objective.
    stats : GramStats
        The statistics pass (means and sds used to standardize).
    cached : bool
        Whether the passes ran on the parsed partitions kept in the workers' memory.
    """

    coef: np.ndarray
    intercept: float
    coef_original: np.ndarray
    intercept_original: float
    feature_names: list[str]
    solver: IRLSResult
    stats: GramStats
    cached: bool = False


_FAMILIES = {"logistic": Logistic, "bernoulli": Logistic, "poisson": Poisson}


def _datafit(family) -> Logistic | Poisson:
    if isinstance(family, (Logistic, Poisson)):
        return family
    key = str(family).lower()
    if key not in _FAMILIES:
        raise ValueError(
            f"glm_map fits the logistic and Poisson families; got {family!r} (the Gaussian "
            "family out of core works from the Gram statistics)"
        )
    return _FAMILIES[key]()


def _start_pass(stats: GramStats, datafit, fit_intercept: bool) -> tuple[GLMPass, float]:
    """The pass at ``w = 0`` from the statistics alone, and its intercept ``c``.

    At ``w = 0`` the predictor is the constant ``c`` (the link of ``mean(y)``, or 0 without an
    intercept), so with ``mu = h = e^c`` (Poisson) or ``mu = sigma(c)``, ``h = mu (1 - mu)``
    (logistic) and the centred standardized columns ``Z``:
    ``Z'f' = -Z'(y - ybar) = -S_xy / s``, ``sum f' = n (mu - ybar)``,
    ``Z'WZ = h S_xx / (s s')``, ``Z'W1 = 0``, ``sum f'' = n h``, loss ``n (A(c) - ybar c)``
    with ``A = log(1 + e^c)`` or ``e^c``. So the statistics pass is also the first Newton pass.
    """
    n, ybar = stats.n, stats.y_mean
    c = datafit.intercept_at_zero(np.array([ybar])) if fit_intercept else 0.0
    if isinstance(datafit, Logistic):
        mu = 1.0 / (1.0 + np.exp(-c))
        h, A = mu * (1.0 - mu), float(np.logaddexp(0.0, c))
    else:
        mu = h = float(np.exp(c))
        A = mu
    s = stats.std
    first = GLMPass(
        n, n * (A - ybar * c), -stats.xty / s, n * (mu - ybar),
        h * stats.xtx / np.outer(s, s), np.zeros(s.shape[0]), n * h,
    )  # fmt: skip
    return first, c


def _penalty_of(penalty, n: int, groups) -> Any:
    """A solvers penalty as given, or the one a prior's MAP solves (no noise scale: ``c = 1``).

    Priors are recognized by their ``penalty`` method (this layer sits below ``priors``)."""
    if not callable(getattr(penalty, "penalty", None)):
        return penalty
    kwargs = {"loss_scale": 1.0} if groups is None else {"loss_scale": 1.0, "groups": groups}
    out = penalty.penalty(1.0, n, **kwargs)
    if out is None:
        raise ValueError(
            f"{penalty!r} has no convex penalty, so no exact MAP: out of core the logistic and "
            "Poisson families support the Gaussian, Laplace, elastic-net and group-lasso priors"
        )
    return out


def _check_mean(datafit, ybar: float, fit_intercept: bool) -> None:
    """The intercept at ``w = 0`` must be finite: not all y equal 0 (or all 1, logistic)."""
    if not fit_intercept:
        return
    if isinstance(datafit, Logistic) and not 0.0 < ybar < 1.0:
        raise ValueError(f"y is constant ({ybar:g}): the logistic intercept is infinite")
    if isinstance(datafit, Poisson) and ybar <= 0.0:
        raise ValueError("y is all zeros: the Poisson intercept is -inf (no finite MLE)")


def _require_dask(X, y, caller: str) -> None:
    if not (is_dask(X) and is_dask(y)):
        raise TypeError(f"{caller} needs Dask X and y (in memory, use shrinkage.solvers.solve)")


def prepare(X, y, family, penalty, stats, sources, groups, fit_intercept: bool, caller: str,
            cached: PartitionCache | None = None):  # fmt: skip
    """Checked ``(datafit, stats, penalty)`` of a GLM MAP on Dask data (the statistics pass
    when ``stats`` is None: on the ``cached`` partitions if given, else on the files);
    ``caller`` names the function in the errors."""
    _require_dask(X, y, caller)
    datafit = _datafit(family)
    if stats is None:
        stats = gram_stats(X, y, sources=sources) if cached is None else cached.stats()
    flat = np.flatnonzero(stats.std == 0)
    if flat.size:
        names = [stats.feature_names[j] for j in flat[:5]]
        raise ValueError(f"X has {flat.size} constant column(s) {names}: drop them")
    penalty = _penalty_of(penalty, stats.n, groups)
    _check_mean(datafit, stats.y_mean, fit_intercept)
    return datafit, stats, penalty


def _progress(step: int, cert: float) -> None:
    print(f"glm_map: Newton step {step}, KKT violation {cert:.3e}", file=sys.stderr, flush=True)


def glm_map(
    X: Any,
    y: Any,
    family,
    penalty,
    *,
    stats: GramStats | None = None,
    sources: Sequence[str] | None = None,
    groups: Sequence[int] | None = None,
    fit_intercept: bool = True,
    tol: float = 1e-8,
    max_iter: int = 100,
    progress: bool | Callable[[int, float], None] = False,
    cache: bool | str = "auto",
) -> GLMMapResult:
    """Exact penalized MAP of a logistic / Poisson regression on Dask data.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame, shape (n, p)
    y : dask.array.Array or dask.dataframe.Series, shape (n,)
        Split at the same rows as ``X``; ``{0, 1}`` (logistic) or counts (Poisson).
    family : {"logistic", "bernoulli", "poisson"} or a Logistic / Poisson datafit
    penalty : a prior with a convex penalty, or L1, L2, ElasticNet, WeightedL1 or GroupLasso
        On the standardized coefficients. A prior (``shrinkage.priors.Laplace(scale=b)``,
        ``Gaussian``, ``ElasticNet``, ``GroupLasso``) stands for its penalty
        ``prior.penalty(1, n, loss_scale=1)`` (``Laplace(0, b)`` is ``L1(1 / (n b))``), so the
        result is that prior's exact MAP, as :func:`shrinkage.find_map` computes in memory.
    stats : GramStats, optional
        From :func:`~shrinkage.outofcore.gram_stats`. When not given, ``glm_map`` computes
        them itself, with the cache (``cache`` below) from the cached partitions: the files
        are then read once in all. Given, they cost a pass of their own before the fit.
    sources : sequence of str, optional
        The file of each partition, named in errors.
    groups : sequence of int, optional
        Group label per feature, for a group prior.
    fit_intercept, tol, max_iter
        As :func:`shrinkage.solvers.irls.irls` (``tol`` on the largest KKT violation).
    progress : bool or callable
        Print one line per Newton step to stderr; a callable is called as
        ``progress(step, kkt_violation)`` after each step instead.
    cache : {"auto", True, False}
        Keep the parsed partitions (float64 ``X`` and ``y``, ``8 n (p + 1)`` bytes in all) in
        the workers' memory (:class:`~shrinkage.outofcore.cache.PartitionCache`): they are
        parsed first, then the statistics (if not given) and every Newton pass run on them,
        so the files are read once. ``"auto"`` does so when a ``distributed.Client`` is active
        and the data take at most half its workers' total memory limit (with ``stats`` given:
        ``8 n (p + 1)`` bytes; without: the first partitions' size, one per worker, times the
        number of partitions); ``True`` insists (needs a client); ``False`` re-reads the files
        at every pass. Nothing is ever loaded on the client. The result is the same to the
        bit either way (the same arrays through the same arithmetic and reduction trees).

    Returns
    -------
    GLMMapResult

    Raises
    ------
    ValueError
        A constant column (no standardization), a partition with NaN / inf / non-numeric
        values or a response outside the family's support (naming the partition).
    """
    _require_dask(X, y, "glm_map")
    datafit = _datafit(family)
    if stats is None:  # the statistics from the cached partitions: the files read once
        cached = cache_for(cache, X, y, datafit, sources)
    else:
        cached = PartitionCache(X, y, datafit, sources) if use_cache(cache, stats) else None
    datafit, stats, penalty = prepare(X, y, datafit, penalty, stats, sources, groups,
                                      fit_intercept, "glm_map", cached)  # fmt: skip
    first, c0 = _start_pass(stats, datafit, fit_intercept)
    res = irls(
        glm_pass(X, y, datafit, stats, sources=sources, cache=False if cached is None else cached),
        datafit,
        penalty,
        stats.n_features,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=max_iter,
        intercept_init=c0,
        callback=progress if callable(progress) else (_progress if progress else None),
        first=first,
    )
    out = map_result(res, stats)
    out.cached = cached is not None
    return out


def map_result(res: IRLSResult, stats: GramStats) -> GLMMapResult:
    """A solver's result on the standardized scale as a :class:`GLMMapResult`."""
    coef_orig = res.coef / stats.std
    b0 = float(res.intercept) - float(stats.mean @ coef_orig)  # eta = c + (x - mean) . w / s
    return GLMMapResult(
        res.coef, float(res.intercept), coef_orig, b0, list(stats.feature_names), res, stats
    )
