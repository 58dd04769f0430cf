"""Proximal solvers for penalized GLMs (numpy + numba only; never imports PyMC).

Objective: :math:`\\min_{w, c} F(Xw + c) + g(w)` with a row-averaged datafit ``F`` and a
penalty ``g`` (see ``docs/conventions.md``).
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, imported on first use (numba kernels take a while)
    from .cv import CVResult, cv_path
    from .datafits import Logistic, MultiTaskQuadratic, Poisson, Quadratic
    from .gram import gram_rows, solve_gram
    from .path import PathResult, alpha_max, path
    from .penalties import L1, L2, L21, ElasticNet, GroupLasso, WeightedL1
    from .solve import SolverResult, certificate, solve

_LAZY = {
    **dict.fromkeys(["CVResult", "cv_path"], ".cv"),
    **dict.fromkeys(["Logistic", "MultiTaskQuadratic", "Poisson", "Quadratic"], ".datafits"),
    **dict.fromkeys(["gram_rows", "solve_gram"], ".gram"),
    **dict.fromkeys(["PathResult", "alpha_max", "path"], ".path"),
    **dict.fromkeys(["L1", "L2", "L21", "ElasticNet", "GroupLasso", "WeightedL1"], ".penalties"),
    **dict.fromkeys(["SolverResult", "certificate", "solve"], ".solve"),
}


def __getattr__(name: str) -> Any:
    """``import shrinkage.solvers.penalties`` (the priors need it) loads no numba kernel."""
    if name not in _LAZY:
        raise AttributeError(f"module 'shrinkage.solvers' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


class _Package(ModuleType):
    """Importing the submodule ``.solve`` (or ``.path``) binds it on the package under its
    name, over the function ``solve`` (``path``) it defines; bind the function instead, so
    ``from shrinkage.solvers import solve`` is the function whatever was imported before (as
    when the package imported its submodules eagerly)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and value.__name__ == f"{__name__}.{name}":
            value = getattr(value, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
