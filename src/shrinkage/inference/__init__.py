"""Inference for models made by :func:`shrinkage.build_model` (and other PyMC models).

* :func:`sample` — posterior draws as an ``xarray.DataTree`` (NUTS via nutpie or PyMC).
* :func:`find_map` — the exact MAP, non-smooth Laplace / group-Laplace terms handled by their prox.
"""

from shrinkage.inference.map import MapResult, find_map, group_l2_potential, l1_potential
from shrinkage.inference.sampling import sample

__all__ = ["MapResult", "find_map", "group_l2_potential", "l1_potential", "sample"]
