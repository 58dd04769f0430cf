"""The result of :func:`shrinkage.crosscheck.cross_check` and its printout.

:class:`CrossCheckResult` holds the comparison table (one column per method: ``find_map``,
``solvers``, ``sklearn``, ``pm_find_MAP``, and ``|column - find_map|``), the verdict, the
objectives and certificates, and renders them as text (``str``, ``repr``), HTML for Jupyter
and, through :meth:`CrossCheckResult.to_frame`, the two columns ``report(cross_check=)`` shows.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["REFERENCES", "CrossCheckResult"]

#: the references compared with ``find_map`` (``pm_find_MAP`` is shown, never compared)
REFERENCES = ("solvers", "sklearn")


@dataclass(repr=False)
class CrossCheckResult:
    """Result of :func:`cross_check`.

    Attributes
    ----------
    applicable : bool
        False when the model has no convex penalized equivalent (``reason`` says why).
    passed : bool or None
        Every available reference agrees with ``find_map`` within ``tol`` (coefficients and
        intercept) and has the same zero set, or reaches the same objective (``non_unique``);
        None when not applicable or no reference ran.
    max_abs_diff : float
        Largest ``|reference - find_map|`` over coefficients and intercept (NaN if none).
    table : pandas.DataFrame
        Indexed by feature (``(feature, output)`` for multi-output): columns ``find_map``,
        ``solvers``, ``sklearn``, ``pm_find_MAP`` and ``<column>_diff = |column - find_map|``.
    intercept : pandas.DataFrame
        Intercepts in the same columns (rows: outputs).
    zero_sets_agree : dict
        Reference -> whether its exact zeros are those of ``find_map``.
    objectives : dict
        ``datafit + penalty`` (solvers' scale) at each column's coefficients, and
        ``find_map_logp``: ``-logp`` at the MAP.
    certificates : dict
        ``find_map``: KKT certificate (gradient of ``-logp``); ``solvers``: its certificate and
        kind; ``sklearn``: iterations used.
    tol : float
    sigma : float or None
        The noise scale at which the penalty was mapped (the MAP's own, or the fixed value).
    penalty, estimator : str
        The mapped penalty and scikit-learn estimator (reprs).
    reason : str or None
    notes : list of str
        References that could not be computed, and why.
    non_unique : bool
        The coefficients differ beyond ``tol`` but every reference reaches the same
        ``datafit + penalty`` as ``find_map``: the penalized problem has several minimizers
        (duplicated or collinear columns), so each is an exact MAP; ``passed`` is then True
        and the verdict says "objectives equal; solution not unique".
    failure : str or None
        Why the check failed beyond the differences themselves (e.g. a solver that stopped
        before its certificate met its tolerance); printed with the verdict.
    """

    applicable: bool
    passed: bool | None
    max_abs_diff: float
    table: pd.DataFrame
    tol: float
    reason: str | None = None
    intercept: pd.DataFrame | None = None
    zero_sets_agree: dict[str, bool] = field(default_factory=dict)
    objectives: dict[str, float] = field(default_factory=dict)
    certificates: dict[str, Any] = field(default_factory=dict)
    sigma: float | None = None
    penalty: str | None = None
    estimator: str | None = None
    reference_name: str | None = None
    notes: list[str] = field(default_factory=list)
    header: str = ""
    map_result: Any = field(default=None, repr=False)
    non_unique: bool = False
    failure: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """``map`` and the reference (e.g. ``lasso``) per feature, for ``report(cross_check=)``.

        Multi-output rows are labelled ``feature[output]``.
        """
        if not self.applicable or self.table.empty:
            return pd.DataFrame(index=pd.Index([], name="feature"))
        ref = next(
            (c for c in REFERENCES if self.table[c].notna().all()), "solvers"
        )  # solvers first, else scikit-learn
        out = pd.DataFrame(
            {"map": self.table["find_map"], self.reference_name or "reference": self.table[ref]}
        )
        if isinstance(out.index, pd.MultiIndex):
            out.index = [f"{f}[{o}]" for f, o in out.index]
        out.index.name = "feature"
        return out

    def _summary_lines(self) -> list[str]:
        lines = [self.header]
        if not self.applicable:
            return [*lines, f"not applicable: {self.reason}"]
        verdict = {True: "PASSED", False: "FAILED", None: "no reference"}[self.passed]
        if self.non_unique:
            verdict = "PASSED (objectives equal; solution not unique)"
        if self.failure and self.passed is False:
            verdict = f"FAILED ({self.failure})"
        lines.append(
            f"{verdict}: max |diff| = {self.max_abs_diff:.3g} (tol {self.tol:g}, standardized "
            "scale); zero sets agree: "
            + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in self.zero_sets_agree.items())
        )
        sig = self.sigma
        sig = f"{sig:.6g}" if isinstance(sig, float) else str(np.round(sig, 6).tolist())
        lines.append(f"penalty at sigma = {sig}: {self.penalty}")
        lines.append(f"scikit-learn: {self.estimator}")
        lines.append(
            "objective (datafit + penalty): "
            + ", ".join(f"{k} {v:.12g}" for k, v in self.objectives.items())
        )
        lines.append(
            "certificates: " + ", ".join(f"{k} {v}" for k, v in self.certificates.items())
        )
        lines += [f"note: {n}" for n in self.notes]
        return lines

    def __repr__(self) -> str:
        # the readable printout, also as Jupyter's plain-text display (not a dataclass dump)
        return str(self)

    def __str__(self) -> str:
        lines = self._summary_lines()
        if self.applicable:
            with pd.option_context("display.float_format", "{:.6g}".format):
                lines += ["", self.table.to_string()]
                if self.intercept is not None:
                    lines += ["", "intercept:", self.intercept.to_string()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "<br>".join(html.escape(line) for line in self._summary_lines())
        if self.applicable:
            body += self.table.to_html(float_format="{:.6g}".format)
        return f"<div>{body}</div>"
