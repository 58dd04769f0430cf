"""ArviZ-based reports: zero clustering, shrinkage factors, retained features, intervals.

Reads the posterior ``xarray.DataTree`` only (never the inference code).
:func:`report` and :func:`compare` live in :mod:`.build`, the statistics in :mod:`.stats`,
the rendered document in :mod:`.document` and the figures in :mod:`.figures`
(re-exported as :mod:`shrinkage.plots`).
"""

from shrinkage.report.build import (
    DEFAULT_EPS,
    DEFAULT_RULE,
    RULES,
    Health,
    LooSummary,
    NoLocalScalesError,
    Report,
    ci_settings,
    compare,
    credible_intervals,
    report,
    retained,
    retention_table,
    shrinkage_factors,
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
    "zero_mass",
]
