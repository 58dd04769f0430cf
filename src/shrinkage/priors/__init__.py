"""Shrinkage priors on standardized coefficients, each knowing its PyMC variables and penalty.

:mod:`.base` holds the contract (:class:`Prior`, whose class attributes say what a prior is:
penalty, exact MAP, Gibbs updates, local / global scales) and :class:`BuildContext`;
:mod:`.convex` the log-concave priors, :mod:`.horseshoe` the horseshoe family,
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
from shrinkage.priors.horseshoe import GroupHorseshoe, Horseshoe, RegularizedHorseshoe
from shrinkage.priors.registry import PRIOR_NAMES, make_prior

__all__ = [
    "PRIOR_NAMES",
    "BayesianLasso",
    "BuildContext",
    "ElasticNet",
    "Gaussian",
    "GroupHorseshoe",
    "GroupLasso",
    "Horseshoe",
    "Laplace",
    "Prior",
    "RegularizedHorseshoe",
    "make_prior",
    "multivariate_laplace_logp_numpy",
]
