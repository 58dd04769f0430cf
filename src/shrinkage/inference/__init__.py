"""Inference for models made by :func:`shrinkage.build_model` (and other PyMC models).

* :func:`sample` — posterior draws as an ``xarray.DataTree``: one funnel
  (:mod:`.sampling`) in front of sibling backends behind one contract (:mod:`.backend`):
  NUTS by nutpie or PyMC (:mod:`.nuts`), the marginal NUTS form (:mod:`.marginal`) and the
  exact Gibbs sampler (:mod:`.gibbs`); :mod:`._idata` assembles every DataTree.
* :func:`find_map` — the exact MAP, non-smooth Laplace / group-Laplace terms handled by their prox.
* :func:`set_compile_cache`, :func:`clear_compile_cache`, :func:`compile_cache_info` — the
  process-level cache that lets a fit of an already compiled model structure skip compiling
  (:mod:`.compile_cache`).

Imported lazily: the Gibbs sampler's worker processes import ``shrinkage.inference.gibbs.core``,
which needs neither PyMC nor scikit-learn.
"""

from importlib import import_module
from typing import Any

# public name -> module that defines it (resolved on first attribute access)
_LAZY = {
    "MapResult": "shrinkage.inference.map",
    "clear_compile_cache": "shrinkage.inference.compile_cache",
    "compile_cache_info": "shrinkage.inference.compile_cache",
    "set_compile_cache": "shrinkage.inference.compile_cache",
    "find_map": "shrinkage.inference.map",
    "group_l2_potential": "shrinkage.inference.map",
    "l1_potential": "shrinkage.inference.map",
    "sample": "shrinkage.inference.sampling",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'shrinkage.inference' has no attribute {name!r}")
    return getattr(import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
