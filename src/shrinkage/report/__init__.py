"""Posterior reports of shrinkage fits: zero clustering, shrinkage factors, retention, intervals.

Reads the posterior ``xarray.DataTree`` only (never the inference code). The statistics live in
:mod:`.stats`, :func:`report` and :func:`compare` in :mod:`.build`, the rendered
:class:`Report` in :mod:`.document`, sampling health and PSIS-LOO in :mod:`.health` and the
figures in :mod:`.figures` (public as :mod:`shrinkage.plots`).
"""

from shrinkage.report.build import compare, report
from shrinkage.report.document import Report
from shrinkage.report.health import Health, LooSummary
from shrinkage.report.stats import (
    DEFAULT_EPS,
    DEFAULT_RULE,
    RULES,
    NoLocalScalesError,
    ci_settings,
    credible_intervals,
    retained,
    retention_table,
    shrinkage_factors,
    side_mass,
    undetermined,
    zero_mass,
)

__all__ = [
    "DEFAULT_EPS",
    "DEFAULT_RULE",
    "RULES",
    "Health",
    "LooSummary",
    "NoLocalScalesError",
    "Report",
    "ci_settings",
    "compare",
    "credible_intervals",
    "report",
    "retained",
    "retention_table",
    "shrinkage_factors",
    "side_mass",
    "undetermined",
    "zero_mass",
]
