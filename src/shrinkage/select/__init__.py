"""From posterior to a sparse model: projection predictive selection, DSS and SAVS.

* :func:`projection`: search + projection of the posterior onto submodels, sized by elpd
  (Piironen, Paasiniemi & Vehtari 2020).
* :func:`dss`: decoupled shrinkage and selection, an adaptive-lasso summary path of the
  posterior mean fit with the posterior of the loss gap (Hahn & Carvalho 2015).
* :func:`savs`: per-draw sparsification and inclusion frequencies (Ray & Bhattacharya 2018).

Every result has ``selected`` (feature names), ``to_frame()`` (per feature), ``table()``
(for ``shrinkage.report.report(..., selection=...)``), ``headline()`` and ``plot()``.
"""

from shrinkage.select.dss import DSSResult, dss
from shrinkage.select.projection import ProjectionResult, projection
from shrinkage.select.savs import SAVSResult, savs

__all__ = ["DSSResult", "ProjectionResult", "SAVSResult", "dss", "projection", "savs"]
