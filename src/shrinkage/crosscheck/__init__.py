"""Cross-check the exact MAP of a PyMC model against proximal solvers and scikit-learn.

:func:`cross_check` (in :mod:`shrinkage.crosscheck.check`) runs the comparison;
:class:`CrossCheckResult` (in :mod:`shrinkage.crosscheck.result`) holds and prints it.
"""

from shrinkage.crosscheck.check import cross_check
from shrinkage.crosscheck.result import CrossCheckResult

__all__ = ["CrossCheckResult", "cross_check"]
