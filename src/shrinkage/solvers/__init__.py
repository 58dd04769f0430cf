"""Proximal solvers for penalized GLMs (numpy + numba only; never imports PyMC).

Objective: :math:`\\min_{w, c} F(Xw + c) + g(w)` with a row-averaged datafit ``F`` and a
penalty ``g`` (see ``docs/conventions.md``).
"""

from .cv import CVResult, cv_path
from .datafits import Logistic, MultiTaskQuadratic, Poisson, Quadratic
from .gram import gram_rows, solve_gram
from .path import PathResult, alpha_max, path
from .penalties import L1, L2, L21, ElasticNet, GroupLasso, WeightedL1
from .solve import SolverResult, certificate, solve

__all__ = [
    "L1",
    "L2",
    "L21",
    "CVResult",
    "ElasticNet",
    "GroupLasso",
    "Logistic",
    "MultiTaskQuadratic",
    "PathResult",
    "Poisson",
    "Quadratic",
    "SolverResult",
    "WeightedL1",
    "alpha_max",
    "certificate",
    "cv_path",
    "gram_rows",
    "path",
    "solve",
    "solve_gram",
]
