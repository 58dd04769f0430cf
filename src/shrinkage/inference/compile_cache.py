"""Compiled NUTS models reused across fits of the same structure.

nutpie compiles a model's ``logp``, its gradient and the draw expansion (deterministics,
back-transforms) to machine code; that takes seconds, longer than sampling a small model. The
code depends on the model's *structure* only: its data (``pm.Data``: the design ``X``, the
response, the scaling, the prior constants and sufficient statistics computed from the data)
are inputs read at every call. So a fit of the same structure on new data (a second ``fit``,
cross-validation folds, a grid search over data of the same width) takes the compiled model
from this process-level cache and swaps the data in (``with_data``) instead of compiling again.

The key is the exact structure of what nutpie compiles: every node of the joint ``logp`` graph
and of the traced variables' graphs (ops with their parameters, how they connect, each
variable's type), every constant by its bytes, every data variable by name and type (not its
values), the free variables' names, order and shapes, the names of the traced variables, ``floatX``,
``check_bounds``, nutpie's backend and version. The default PyTensor mode is not part of the
key (PyMC changes the global config for a moment, seen by every thread): after changing
``pytensor.config.mode`` in a session, call :func:`clear_compile_cache`. Two models with equal keys
compute the same function of their data, so a hit gives the draws a fresh compile gives
(tested bit for bit); a different prior parameter, prior, family, number of features, group
layout or dtype is a different key. Models whose graphs cannot be keyed (an op without
``__props__``, which equals only itself, such as the marginal form's; an unhashable constant)
are compiled every time and not stored. The initial point, coords and
dims are always taken from the model being fitted.

The cache holds at most :func:`compile_cache_info` ``["maxsize"]`` models (least recently used
first out; 8 by default). Fits in several threads may use it: the keying, compiling and
adapting of :func:`compiled_nutpie_model` run one thread at a time (PyTensor's global config is
not thread-safe; PyMC changes it for moments while it compiles), the sampling in parallel.
Other PyTensor compiles (``find_map``, ``sampler="pymc"``) are not serialized: run parallel
fits of those in processes (joblib's default backend does). Switch it off with the environment
variable ``SHRINKAGE_COMPILE_CACHE=0`` or :func:`set_compile_cache` (``enabled=False``): then
every fit compiles, as before this cache existed (``benchmarks/compile_reuse.py`` measures
both side by side). Only nutpie's numba backend is cached (the JAX backend freezes the data
into the compiled code).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pymc as pm

__all__ = [
    "clear_compile_cache",
    "compile_cache_info",
    "compiled_nutpie_model",
    "lookup",
    "model_key",
    "set_compile_cache",
    "store",
    "structure_key",
]

_ENV = "SHRINKAGE_COMPILE_CACHE"
_lock = threading.Lock()
_entries: OrderedDict[tuple, Any] = OrderedDict()
_state: dict[str, Any] = {"enabled": None, "maxsize": 8, "hits": 0, "misses": 0, "unkeyed": 0}
# PyMC changes PyTensor's process-global config for moments while it builds and compiles
# (``change_flags``), restoring what it saw on entry; two threads doing that at once leave the
# other's value behind for good (pytensor.config.mode became the Python VM after three
# concurrent fits; "PyTensor compilation isn't thread safe", pymc-devs/pymc#7819). Keying,
# compiling and adapting are serialized; sampling itself still runs in parallel.
_compile_lock = threading.RLock()


def set_compile_cache(*, enabled: bool | None = None, maxsize: int | None = None) -> None:
    """Switch the cache on or off (``None``: the environment decides) and bound its size.

    Parameters
    ----------
    enabled : bool, optional
        ``False``: every fit compiles. ``None`` (the default state): on unless the environment
        variable ``SHRINKAGE_COMPILE_CACHE`` is ``"0"``.
    maxsize : int, optional
        Most compiled models kept (an integer >= 1); the least recently used go first.
    """
    if maxsize is not None:
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError(f"maxsize must be an integer >= 1; got {maxsize!r}")
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"enabled must be True, False or None; got {enabled!r}")
    with _lock:
        _state["enabled"] = enabled
        if maxsize is not None:
            _state["maxsize"] = maxsize
            while len(_entries) > maxsize:
                _entries.popitem(last=False)


def clear_compile_cache() -> None:
    """Drop every cached model and reset the hit and miss counts."""
    with _lock:
        _entries.clear()
        _state.update(hits=0, misses=0, unkeyed=0)


def compile_cache_info() -> dict[str, Any]:
    """``enabled``, ``size``, ``maxsize`` and the counts ``hits``, ``misses``, ``unkeyed``."""
    with _lock:
        info = {k: _state[k] for k in ("maxsize", "hits", "misses", "unkeyed")}
        return {"enabled": _enabled(), "size": len(_entries), **info}


def _enabled() -> bool:
    if _state["enabled"] is not None:
        return _state["enabled"]
    return os.environ.get(_ENV, "1").strip() != "0"


def lookup(key: tuple) -> Any:
    """The cached object under ``key`` (counted as a hit), or None (a miss; also when off)."""
    if not _enabled():
        return None
    with _lock:
        cached = _entries.get(key)
        if cached is not None:
            _entries.move_to_end(key)
        _state["hits" if cached is not None else "misses"] += 1
    return cached


def store(key: tuple, value: Any) -> None:
    """Keep ``value`` under ``key`` (nothing when off); the least recently used go first."""
    if not _enabled():
        return
    with _lock:
        _entries[key] = value
        while len(_entries) > _state["maxsize"]:
            _entries.popitem(last=False)


def compiled_nutpie_model(model: pm.Model) -> tuple[Any, bool]:
    """nutpie's compiled model for ``model`` and whether it came from the cache.

    A hit is the cached compiled code with ``model``'s data, initial point, coords and dims;
    a miss compiles (``nutpie.compile_pymc_model``, PyMC's default backend) and stores it.
    """
    with _compile_lock:  # PyTensor's config is process-global: one compile at a time
        return _compiled_nutpie_model(model)


def _compiled_nutpie_model(model: pm.Model) -> tuple[Any, bool]:
    import nutpie

    backend = _nutpie_backend()
    key, data = _keyed(model, backend) if _enabled() and backend == "numba" else (None, {})
    if key is None:
        with _lock:
            _state["unkeyed"] += 1
        return nutpie.compile_pymc_model(model, backend=backend), False
    cached = lookup(key)
    if cached is not None:
        return _adapt(cached, model, data), True
    compiled = nutpie.compile_pymc_model(model, backend=backend)
    store(key, compiled)
    return compiled, False


def _nutpie_backend() -> str:
    """``"jax"`` when PyTensor's default mode links to JAX, else ``"numba"`` (as pm.sample)."""
    from pytensor.compile.mode import get_mode
    from pytensor.link.jax.linker import JAXLinker

    return "jax" if isinstance(get_mode(None).linker, JAXLinker) else "numba"


def structure_key(model: pm.Model, backend: str = "numba") -> tuple | None:
    """The key of ``model``'s nutpie compile (module docstring), or None when unkeyable."""
    return _keyed(model, backend)[0]


def model_key(model: pm.Model) -> tuple | None:
    """The structure of ``model`` without nutpie's part (shapes, backend, version)."""
    return _model_key(model)[0]


def _keyed(model: pm.Model, backend: str) -> tuple[tuple | None, dict[str, Any]]:
    """The nutpie key of ``model`` and its data variables by name (what a hit swaps in)."""
    import nutpie
    from nutpie.compile_pymc import _compute_shapes

    key, data = _model_key(model)
    if key is None:
        return None, data
    shapes = tuple(
        sorted((k, tuple(int(s) for s in v)) for k, v in _compute_shapes(model).items())
    )
    return ("nutpie", key, shapes, backend, nutpie.__version__), data


_MEMO_ATTR = "_shrinkage_structure_key"


def _model_key(model: pm.Model) -> tuple[tuple | None, dict[str, Any]]:
    """Graph, free variables, traced names and settings; the model's data by name.

    Computed once per model (before anything compiles it: PyMC's compile rewrites parts of
    the model's graph in place, which would change the key of a model already sampled) and
    kept on the model while its variables stay the same.
    """
    from pytensor.compile.sharedvalue import SharedVariable

    data = {v.name: v for v in model.data_vars}
    data.update({k: v for k, v in model.dim_lengths.items() if isinstance(v, SharedVariable)})
    names = tuple(model.named_vars)
    memo = getattr(model, _MEMO_ATTR, None)
    if memo is not None and memo[0] == names:
        return memo[1], data
    key = _fresh_model_key(model)
    setattr(model, _MEMO_ATTR, (names, key))
    return key, data


def _fresh_model_key(model: pm.Model) -> tuple | None:
    import pytensor

    traced = list(model.unobserved_value_vars)
    outputs = [model.logp(), *traced]
    free = tuple((rv.name, model.rvs_to_values[rv].name) for rv in model.free_RVs)
    # not pytensor.config.mode: PyMC changes PyTensor's global config for a moment (e.g.
    # change_flags(cxx="") to fold constants), which other threads see as another mode; nutpie
    # compiles with mode="NUMBA" whatever it says
    settings = (pytensor.config.floatX, model.check_bounds)
    try:
        key = (_graph_key(outputs), free, tuple(v.name for v in traced), settings)
        hash(key)
    except (TypeError, ValueError):  # an unhashable op or constant: no reuse, never a wrong one
        return None
    return key


def _graph_key(outputs: list) -> tuple:
    """Nodes in topological order as ``(op, input positions, output types)``, then outputs."""
    from pytensor.graph.traversal import graph_inputs, io_toposort

    index: dict[Any, Any] = {}
    parts: list[tuple] = []

    def position(var: Any) -> Any:
        if var not in index:
            index[var] = len(parts)
            parts.append(_root_key(var))
        return index[var]

    for node in io_toposort(list(graph_inputs(outputs)), outputs):
        if getattr(type(node.op), "__props__", None) is None:
            # equal only to itself (e.g. the marginal form's op holding the data): every
            # model would miss and push useful entries out
            raise TypeError(f"{type(node.op).__name__} has no __props__")
        inputs = tuple(position(v) for v in node.inputs)
        parts.append((node.op, inputs, tuple(o.type for o in node.outputs)))
        for j, out in enumerate(node.outputs):
            index[out] = (len(parts) - 1, j)
    return (tuple(parts), tuple(position(v) for v in outputs))


def _root_key(var: Any) -> tuple:
    """A graph input: data by name and type, a constant by type and exact bytes."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant

    if isinstance(var, SharedVariable):
        return ("data", var.name, var.type)
    if isinstance(var, Constant):
        data = var.data
        if isinstance(data, np.ndarray | np.generic):
            arr = np.asarray(data)
            return ("constant", var.type, arr.dtype.str, arr.shape, arr.tobytes())
        return ("constant", var.type, data)
    return ("input", var.name, var.type)


def _adapt(compiled: Any, model: pm.Model, data: dict[str, Any]) -> Any:
    """The cached ``compiled`` with ``model``'s ``data``, initial point, coords and dims."""
    from nutpie.compile_pymc import (
        _prepare_dims_and_coords,
        _rv_dict_to_flat_array_wrapper,
        _wrap_with_lock,
    )
    from pymc.initial_point import make_initial_point_fn

    names = {var.name for var in compiled.shared_var_keys}
    compiled = compiled.with_data(**{name: data[name].get_value(borrow=True) for name in names})
    point_fn = make_initial_point_fn(
        model=model,
        default_strategy="support_point",
        jitter_rvs=set(model.free_RVs),
        return_transformed=True,
    )
    n_free = len(model.free_RVs)
    all_names, _, all_shapes = compiled.shape_info
    initial = _rv_dict_to_flat_array_wrapper(
        _wrap_with_lock(point_fn), names=all_names[:n_free], shapes=all_shapes[:n_free]
    )
    dims, coords = _prepare_dims_and_coords(
        model, compiled.shape_info, compiled.reparameterized_names
    )
    return dataclasses.replace(compiled, initial_point_func=initial, dims=dims, _coords=coords)
