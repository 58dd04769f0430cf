"""Parsed partitions kept in the Dask workers' memory: the files are read once per fit.

A GLM MAP out of core makes several passes over the same rows (the statistics, then one per
Newton step). :class:`PartitionCache` parses and checks every partition once into float64
arrays ``(X_k, y_k)`` and ``persist``-s them on the workers of the active
``distributed.Client``; the statistics (:meth:`PartitionCache.stats`) and every later pass
(:func:`shrinkage.outofcore.glm.distributed_pass`) then run on those arrays, each task on the
worker that holds its partition. A worker lost with its arrays: Dask recomputes them from the
files, the same arrays. They are released when the cache is garbage-collected.

The arrays are those the uncached passes compute from the files, so the cached passes give
the same bits: the same float arrays through the same arithmetic and the same reduction tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from shrinkage.outofcore.stats import (
    GramStats,
    _as_block,
    _blocks,
    _check_finite,
    _partition_stats,
    _tree,
    _where,
    summaries_to_stats,
)

__all__ = ["PartitionCache", "cache_for", "use_cache"]

_CACHE_SHARE = 0.5  # "auto" caches data up to this share of the workers' total memory limit


def _checked_block(xb, yb, k, source, spec, names, datafit, check):
    """One partition as float ``(X, y)`` (possibly read-only views of the partition's data).

    ``check``: refuse non-finite values and a response outside the family's support, naming
    the partition (and its file)."""
    where = _where(k, source)
    X = _as_block(xb, spec, where, "X")
    X = X[:, None] if X.ndim == 1 else X
    y = _as_block(yb, None, where, "y").reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{where}: X has {X.shape[0]} rows but y has {y.shape[0]}")
    if check:
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            _check_finite(np.column_stack([X, y]), [*names, "y"], where)  # names the first
        try:
            datafit.validate_y(y)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
    return X, y


def _on_parsed(block_fn, parsed, _, *args):
    """``block_fn`` on a cached partition ``parsed = (X_k, y_k)``."""
    return block_fn(parsed[0], parsed[1], *args)


def _nbytes(parsed) -> int:
    return int(parsed[0].nbytes + parsed[1].nbytes)


class PartitionCache:
    """The parsed, checked partitions of Dask ``X``, ``y``, persisted in the workers' memory.

    Parameters
    ----------
    X, y : Dask array / dataframe and array / series, split at the same rows
    datafit : Logistic or Poisson
        Its ``validate_y`` checks each partition's response (the error names the partition).
    sources : sequence of str, optional
        The file of each partition, named in errors.
    head : int, optional
        Persist only the first ``head`` partitions now (:meth:`complete` persists the rest).

    Attributes
    ----------
    parts : list of dask.delayed.Delayed
        One persisted ``(X_k, y_k)`` per partition (the first ``head`` until :meth:`complete`).
    where : list of str or None
        The file of each partition.
    names : list of str
        The feature names.

    Raises
    ------
    ValueError
        Without an active ``distributed.Client`` (persisting with the local scheduler would
        load the data into this process). A partition's errors (NaN / inf, non-numeric values,
        a response outside the family's support) surface at the first computation on it.
    """

    def __init__(self, X: Any, y: Any, datafit, sources: Sequence[str] | None = None, *,
                 head: int | None = None) -> None:  # fmt: skip
        from dask import delayed

        _require_client()
        xs, ys, spec, names = _blocks(X, y)
        if ys is None:
            raise TypeError("a GLM pass needs y")
        if sources is not None and len(sources) != len(xs):
            raise ValueError(f"{len(sources)} sources for {len(xs)} partitions")
        self.where = [None] * len(xs) if sources is None else list(sources)
        self.names = names
        parse = delayed(_checked_block, pure=True)
        self._todo = [parse(xb, ys[k], k, self.where[k], spec, names, datafit, True)
                      for k, xb in enumerate(xs)]  # fmt: skip
        self.parts: list = []
        self._persist(len(xs) if head is None else min(head, len(xs)))

    def _persist(self, upto: int) -> None:
        from dask import persist

        new = self._todo[len(self.parts) : upto]
        if new:
            self.parts += list(persist(*new))

    def complete(self) -> PartitionCache:
        """Persist the partitions not persisted yet; returns ``self``."""
        self._persist(len(self._todo))
        return self

    def __len__(self) -> int:
        return len(self._todo)

    def estimated_nbytes(self) -> float:
        """The data's float64 size, extrapolated from the persisted partitions' mean size."""
        from dask import compute, delayed

        sizes = compute(*[delayed(_nbytes, pure=True)(part) for part in self.parts])
        return float(np.mean(sizes)) * len(self)

    def stats(self) -> GramStats:
        """:func:`~shrinkage.outofcore.stats.gram_stats` of the cached ``X``, ``y``: the same
        per-partition summaries and merge tree, on the cached arrays (the same numbers)."""
        from dask import compute, delayed

        self.complete()
        cols = [*self.names, "y"]
        part = delayed(partial(_on_parsed, _partition_stats), pure=True)
        summaries = [part(pk, None, k, self.where[k], None, cols)
                     for k, pk in enumerate(self.parts)]  # fmt: skip
        return summaries_to_stats(compute(_tree(summaries))[0], self.names, True)


def _active_client():
    """The ``distributed.Client`` that ``dask.compute`` would use now, or None."""
    try:
        from dask.base import get_scheduler
        from distributed import Client
    except ImportError:
        return None
    client = getattr(get_scheduler(), "__self__", None)
    return client if isinstance(client, Client) else None


def _require_client() -> None:
    if _active_client() is None:
        raise ValueError(
            "cache=True needs a distributed.Client: with the local scheduler the cached "
            "partitions would be loaded into this process"
        )


def _check_switch(cache) -> None:
    if cache not in (True, False, "auto"):
        raise ValueError(f"cache must be True, False or 'auto'; got {cache!r}")


def _fits(nbytes: float, client) -> bool:
    """Whether ``nbytes`` take at most ``_CACHE_SHARE`` of the workers' total memory limit."""
    limits = [w.get("memory_limit") or 0 for w in client.scheduler_info()["workers"].values()]
    if not limits or min(limits) <= 0:  # no limit known: do not guess
        return False
    return nbytes <= _CACHE_SHARE * sum(limits)


def use_cache(cache: bool | str, stats: GramStats) -> bool:
    """Whether :func:`~shrinkage.outofcore.glm.glm_map` keeps the parsed partitions in the
    workers' memory, the statistics known.

    ``"auto"``: when a ``distributed.Client`` is active and the float64 data,
    ``8 n (p + 1)`` bytes, take at most half the sum of its workers' memory limits (the rest
    is left for each pass's working copy of a partition and Dask's spill thresholds). ``True``
    insists (a ``ValueError`` without a client: persisting with the local scheduler would load
    the data into this process); ``False`` re-reads the files at every pass."""
    _check_switch(cache)
    if cache is False:
        return False
    if cache is True:
        _require_client()
        return True
    client = _active_client()
    return client is not None and _fits(8.0 * stats.n * (stats.n_features + 1), client)


def cache_for(cache: bool | str, X, y, datafit, sources=None) -> PartitionCache | None:
    """The :class:`PartitionCache` of a fit whose statistics are not known yet, or None.

    ``cache`` as :func:`use_cache`; ``"auto"`` judges the size by the first partitions, one
    per worker, parsed and persisted first: their mean size times the number of partitions
    (when the data do not fit, those are released: they were read once more)."""
    _check_switch(cache)
    if cache is False:
        return None
    if cache is True:
        return PartitionCache(X, y, datafit, sources)
    client = _active_client()
    if client is None:
        return None
    head = PartitionCache(X, y, datafit, sources, head=len(client.scheduler_info()["workers"]))
    return head.complete() if _fits(head.estimated_nbytes(), client) else None
