"""Proximal solvers for penalized GLMs (numpy + numba only; never imports PyMC).

Objective: :math:`\\min_{w, c} F(Xw + c) + g(w)` with a row-averaged datafit ``F`` and a
penalty ``g`` (see ``docs/conventions.md``).
"""

from .datafits import Logistic, MultiTaskQuadratic, Poisson, Quadratic
from .penalties import L1, L2, L21, ElasticNet, GroupLasso, WeightedL1
from .solve import SolverResult, certificate, solve

__all__ = [
    "L1",
    "L2",
    "L21",
    "ElasticNet",
    "GroupLasso",
    "Logistic",
    "MultiTaskQuadratic",
    "Poisson",
    "Quadratic",
    "SolverResult",
    "WeightedL1",
    "certificate",
    "solve",
]
