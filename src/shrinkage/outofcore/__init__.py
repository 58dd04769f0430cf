"""Out-of-core data on Dask: one-pass sufficient statistics and the helpers built on them.

Dask is an optional dependency (``pip install shrinkage[dask]``): this package imports without
it, and imports ``dask`` only inside the functions that receive a Dask collection.
"""

from __future__ import annotations

from shrinkage.outofcore.glm import GLMMapResult, glm_map
from shrinkage.outofcore.stats import GramStats, gram_stats, is_dask

__all__ = ["GLMMapResult", "GramStats", "glm_map", "gram_stats", "is_dask"]
