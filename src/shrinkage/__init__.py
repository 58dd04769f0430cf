"""shrinkage: Bayesian regression with shrinkage priors in PyMC.

L2 and L1 penalties are Gaussian and Laplace priors; horseshoe and group variants complete the
family. MAP estimates are cross-checked against the proximal solvers in :mod:`shrinkage.solvers`
(numpy + numba only) and against scikit-learn.

The PyMC half is imported lazily so that ``import shrinkage.solvers`` never imports PyMC.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (resolved on first attribute access)
_LAZY = {
    "Design": "shrinkage.design",
    "lagged": "shrinkage.design",
    "build_model": "shrinkage.model",
    "sample": "shrinkage.inference",
    "find_map": "shrinkage.inference",
    "cross_check": "shrinkage.crosscheck",
    "report": "shrinkage.report",
    "BayesianRegression": "shrinkage.estimators",
    "BayesianLogisticRegression": "shrinkage.estimators",
    "GaussianPriorRegression": "shrinkage.estimators",
    "LaplacePriorRegression": "shrinkage.estimators",
    "BayesianLassoRegression": "shrinkage.estimators",
    "HorseshoeRegression": "shrinkage.estimators",
    "GroupLassoRegression": "shrinkage.estimators",
    "datasets": "shrinkage.datasets",
    "priors": "shrinkage.priors",
    "families": "shrinkage.families",
    "solvers": "shrinkage.solvers",
    "select": "shrinkage.select",
    "save": "shrinkage.saved",
    "load": "shrinkage.saved",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'shrinkage' has no attribute {name!r}")
    module = import_module(_LAZY[name])
    return module if module.__name__.endswith(name) else getattr(module, name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
