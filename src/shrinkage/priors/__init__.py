"""Shrinkage priors on standardized coefficients, each knowing its PyMC variables and penalty.

:mod:`.base` holds the contract (:class:`Prior`, whose class attributes say what a prior is:
penalty, exact MAP, Gibbs updates, local / global scales) and :class:`BuildContext`;
:mod:`.convex` the log-concave priors, :mod:`.horseshoe` the horseshoe family (with the
horseshoe+), :mod:`.r2d2` the R2D2 prior,
:mod:`.registry` the names accepted as strings, :mod:`.potentials` the non-smooth terms that
``find_map`` handles exactly. This module only re-exports.
"""

from shrinkage.priors.base import BuildContext, Prior
from shrinkage.priors.convex import (
    BayesianLasso,
    ElasticNet,
    Gaussian,
    GroupLasso,
    Laplace,
    multivariate_laplace_logp_numpy,
)
from shrinkage.priors.horseshoe import (
    GroupHorseshoe,
    Horseshoe,
    HorseshoePlus,
    RegularizedHorseshoe,
)
from shrinkage.priors.r2d2 import R2D2
from shrinkage.priors.registry import PRIOR_NAMES, make_prior

__all__ = [
    "PRIOR_NAMES",
    "R2D2",
    "BayesianLasso",
    "BuildContext",
    "ElasticNet",
    "Gaussian",
    "GroupHorseshoe",
    "GroupLasso",
    "Horseshoe",
    "HorseshoePlus",
    "Laplace",
    "Prior",
    "RegularizedHorseshoe",
    "make_prior",
    "multivariate_laplace_logp_numpy",
]
