"""Prior names accepted as strings (``prior="laplace"``) and the lookup :func:`make_prior`."""

from __future__ import annotations

from typing import Any

from shrinkage.priors.base import Prior
from shrinkage.priors.convex import BayesianLasso, ElasticNet, Gaussian, GroupLasso, Laplace
from shrinkage.priors.horseshoe import (
    GroupHorseshoe,
    Horseshoe,
    HorseshoePlus,
    RegularizedHorseshoe,
)
from shrinkage.priors.r2d2 import R2D2

__all__ = ["PRIOR_NAMES", "make_prior"]

#: prior names accepted as strings (``prior="laplace"``) -> prior class
PRIOR_NAMES: dict[str, type[Prior]] = {
    "gaussian": Gaussian,
    "normal": Gaussian,
    "ridge": Gaussian,
    "laplace": Laplace,
    "lasso": Laplace,
    "bayesian_lasso": BayesianLasso,
    "elastic_net": ElasticNet,
    "horseshoe": Horseshoe,
    "regularized_horseshoe": RegularizedHorseshoe,
    "horseshoe_plus": HorseshoePlus,
    "r2d2": R2D2,
    "group_lasso": GroupLasso,
    "group_horseshoe": GroupHorseshoe,
}


def make_prior(prior: str | Prior | None = None, **kwargs: Any) -> Prior:
    """A prior object from a name in :data:`PRIOR_NAMES` (with keyword arguments) or as is.

    ``None`` gives ``Gaussian(scale=1.0)``: ``beta_j ~ N(0, 1)`` on the standardized scale.
    """
    if prior is None:
        prior = "gaussian"
    if isinstance(prior, Prior):
        if kwargs:
            raise TypeError("keyword arguments are only accepted with a prior name")
        return prior
    if not isinstance(prior, str):
        raise TypeError(
            f"prior must be a shrinkage.priors.Prior, a name or None; got {type(prior).__name__}"
        )
    key = prior.lower().replace("-", "_")
    if key not in PRIOR_NAMES:
        raise ValueError(f"unknown prior {prior!r}; choose one of {sorted(PRIOR_NAMES)}")
    return PRIOR_NAMES[key](**kwargs)
