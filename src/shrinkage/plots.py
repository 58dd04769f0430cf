"""Figures of a fitted model: forest plots, zero mass, shrinkage factors, paths, geometry.

The public home of :mod:`shrinkage.report.figures` (same functions).
"""

from shrinkage.report.figures import (
    plot_coefficient_paths,
    plot_forest,
    plot_lasso_geometry,
    plot_near_zero,
    plot_shrinkage_factors,
    plot_zero_mass,
    report_figures,
)

__all__ = [
    "plot_coefficient_paths",
    "plot_forest",
    "plot_lasso_geometry",
    "plot_near_zero",
    "plot_shrinkage_factors",
    "plot_zero_mass",
    "report_figures",
]
