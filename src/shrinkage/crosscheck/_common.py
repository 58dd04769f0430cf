"""What both cross-checks share (in memory: :mod:`.check`; out of core: :mod:`.outofcore`):
the verdict, the comparison table, the reasons a check does not apply and the names shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shrinkage.crosscheck.result import REFERENCES

#: penalty class -> column name used by ``to_frame`` (and shown in report tables)
_REFERENCE_NAMES = {
    "L1": "lasso",
    "L2": "ridge",
    "ElasticNet": "elastic_net",
    "GroupLasso": "group_lasso",
    "L21": "multitask_lasso",
}


def compare(columns: dict, intercepts: dict, tol: float) -> tuple[float, dict, bool | None]:
    """``(max |reference - find_map|, zero sets agree per reference, passed)``; ``passed`` is
    None when no reference ran."""
    beta, icpt = columns["find_map"], intercepts["find_map"]
    refs = [r for r in REFERENCES if r in columns]
    diffs = [
        np.max(np.abs(np.r_[np.ravel(columns[r] - beta), np.ravel(intercepts[r] - icpt)]))
        for r in refs
    ]
    zeros = {r: bool(np.array_equal(columns[r] == 0, beta == 0)) for r in refs}
    max_diff = float(max(diffs)) if diffs else float("nan")
    passed = (max_diff <= tol and all(zeros.values())) if diffs else None
    return max_diff, zeros, passed


#: Relative tolerance on ``datafit + penalty`` under which two solutions count as equally good.
#: At a minimizer the objective is flat to second order, so an optimizer whose coefficients
#: are within ``tol = 1e-6`` of a minimum has an objective within ~``1e-12`` relative of it;
#: 1e-9 leaves room for the solvers' own stopping rules and stays far below the gaps of a
#: wrong solution (>= 1e-6 relative in every failing case we have seen).
OBJECTIVE_RTOL = 1e-9


def objectives_equal(objectives: dict[str, float], references: list[str]) -> bool:
    """Every reference reaches ``find_map``'s ``datafit + penalty`` (within OBJECTIVE_RTOL).

    A convex but not strictly convex problem (duplicated or collinear columns under an L1
    penalty) has a set of minimizers with one objective value: coefficients can then differ
    while both are exact solutions.
    """
    best = objectives["find_map"]
    if not references or not np.isfinite(best):
        return False
    bound = OBJECTIVE_RTOL * max(1.0, abs(best))
    return all(abs(objectives[r] - best) <= bound for r in references)


NORMAL_INTERCEPT = (
    "the intercept has a Normal prior, while the solvers and scikit-learn leave it "
    "unpenalized; build the model with intercept='flat' (or False) to cross-check"
)


def no_penalty_reason(prior) -> str:
    """Why a prior without a convex penalty cannot be cross-checked."""
    return (
        f"{type(prior).__name__} has no convex penalty equivalent: its log-density is not "
        "a convex function of beta (the horseshoe family's density is unbounded at "
        "beta = 0), so there is no lasso/ridge-type problem to compare the MAP with"
    )


def tables(design, columns, intercepts, multi: bool):
    if multi:
        index = pd.MultiIndex.from_product(
            [design.feature_names, design.output_names], names=["feature", "output"]
        )
    else:
        index = pd.Index(design.feature_names, name="feature")
    table = pd.DataFrame({k: np.ravel(v) for k, v in columns.items()}, index=index)
    icpt = pd.DataFrame(
        {k: np.atleast_1d(v).astype(float) for k, v in intercepts.items()},
        index=pd.Index(design.output_names if multi else ["intercept"], name="output"),
    )
    for frame in (table, icpt):
        for col in ("solvers", "sklearn", "pm_find_MAP"):
            if col not in frame:
                frame[col] = np.nan
        for col in ("solvers", "sklearn", "pm_find_MAP"):
            frame[f"{col}_diff"] = (frame[col] - frame["find_map"]).abs()
    order = ["find_map", "solvers", "sklearn", "pm_find_MAP"]
    order += [f"{c}_diff" for c in order[1:]]
    return table[order], icpt[order]


def penalty_repr(kind: str, args: dict) -> str:
    shown = {k: (f"{v:.6g}" if isinstance(v, float) else "...") for k, v in args.items()}
    return f"{kind}(" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")"


def reference_name(family: str, kind: str) -> str:
    name = _REFERENCE_NAMES.get(kind, kind.lower())
    return f"median_{name}" if family == "laplace" else name
