"""Cross-check of the logistic / Poisson MAP on Dask data: two independent distributed solvers.

Out of core these families have no PyMC model (every evaluation of their likelihood is a pass
over the rows), so :func:`~shrinkage.crosscheck.cross_check` compares two computations that
share nothing but the data and the statistics pass (the means and sds that standardize the
columns, as the in-memory design does):

* ``find_map``: the prior's exact MAP by :func:`shrinkage.outofcore.glm_map`, proximal Newton
  (one pass per Newton step returning ``X'WX`` and ``X'Wz``, coordinate descent on that Gram);
* ``solvers``: :func:`shrinkage.outofcore.fista.fista_map`, accelerated proximal gradient on the
  exact objective with one pass per iteration, started from ``w = 0`` (never from the first
  side's answer), capped at ``max_passes``;

each certified by the largest KKT violation at its final point, from a full pass. The penalty
is the prior's (``prior.penalty_alpha(1, n, loss_scale=1)``: ``c = 1`` for these families, as
in memory), so both sides share that mapping; the mapping itself is checked at the first side's
point by the KKT violation of ``-log p(beta | y)`` with the prior's own PyMC density and the
likelihood's gradient from one more pass (:mod:`._prior_kkt`), as ``find_map``'s certificate
is in memory. The check passes when both sides certify, the posterior is stationary there, and
the sides agree within ``tol`` with the same zeros (or reach the same objective: several
minimizers). scikit-learn and ``pm.find_MAP`` need
the rows in memory: their columns are empty and the notes say so.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from shrinkage.crosscheck import _common
from shrinkage.crosscheck.result import CrossCheckResult

__all__ = ["glm_cross_check"]

#: KKT tolerance asked of both sides (row-averaged scale). Near the optimum the coefficients'
#: error is about KKT / (smallest curvature of the objective on the support), ~1e-9 here for
#: standardized columns: far inside any ``tol`` of the comparison (default 1e-6).
KKT_TOL = 1e-10
#: Largest accepted KKT violation of ``-log p(beta | y)`` (prior's density, row-averaged) at
#: the first side's MAP: with a right prior -> penalty mapping it equals that side's own KKT
#: (<= KKT_TOL) up to rounding of the n-row sums; 100 x KKT_TOL leaves room for that rounding
#: while a wrong mapping shows at the size of the penalty's alpha (>= 1e-6 in practice).
POSTERIOR_TOL = 1e-8
#: Newton steps allowed to the first side (it needs ~5-10 on well-posed problems)
MAX_NEWTON = 100


def _not_applicable(prior, intercept) -> str | None:
    if prior.penalty_name is None:
        return _common.no_penalty_reason(prior)
    if intercept is True:
        return _common.NORMAL_INTERCEPT
    if intercept not in ("flat", False):
        raise ValueError(f"intercept must be True, 'flat' or False; got {intercept!r}")
    return None


def _groups(X, prior, groups, names: list[str]) -> dict[str, Any]:
    if not prior.needs_groups:
        return {}
    from shrinkage.design import _group_codes
    from shrinkage.outofcore.design import _origin

    coded = _group_codes(groups, names, _origin(X, names)[2])
    return {"groups": None if coded is None else coded[0]}


def _failure(side: str, res, solver: str, cap: str) -> str | None:
    if res.solver.converged:
        return None
    return (
        f"{side}: the distributed {solver} stopped at {cap} with KKT violation "
        f"{res.solver.certificate:.2g} > {KKT_TOL:g}: not converged, so the sides cannot be "
        "compared"
    )


def glm_cross_check(
    X: Any,
    y: Any,
    prior,
    family,
    *,
    groups=None,
    intercept: bool | str = "flat",
    tol: float = 1e-6,
    fixed: dict | None = None,
    include_find_MAP: bool = True,
    max_passes: int = 1000,
) -> CrossCheckResult:
    """Cross-check a logistic / Poisson prior's MAP on Dask ``X``, ``y`` (module docstring).

    Parameters are those of :func:`shrinkage.crosscheck.cross_check` with data; ``family`` is
    a bernoulli or Poisson family object. ``fixed`` must be empty (these families have no
    noise scale to hold fixed).

    Returns
    -------
    CrossCheckResult
        Columns ``find_map`` (proximal Newton) and ``solvers`` (FISTA); ``sklearn`` and
        ``pm_find_MAP`` are NaN. ``failure`` says which side did not converge, if one did not.
    """
    from shrinkage.outofcore import glm_map, gram_stats
    from shrinkage.outofcore.fista import fista_map
    from shrinkage.solvers import penalties

    if not (isinstance(tol, int | float) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a finite number > 0; got {tol!r}")
    if fixed:
        raise ValueError(
            f"fixed={fixed!r}: the {family.name} MAP out of core has only beta and the intercept"
        )
    header = f"Cross-check of {prior!r} with family {family.name!r}, out of core"
    reason = _not_applicable(prior, intercept)
    if reason is not None:
        return CrossCheckResult(False, None, np.nan, pd.DataFrame(), tol, reason, header=header)
    stats = gram_stats(X, y)
    header += f": n = {stats.n}, p = {stats.n_features}"
    kwargs = _groups(X, prior, groups, stats.feature_names)
    args = prior.penalty_alpha(1.0, stats.n, loss_scale=1.0, **kwargs)
    if args is None:
        reason = (
            f"{prior!r} has no fixed penalty: its scale is estimated jointly with beta, which "
            "the out-of-core MAP does not do; fix it (e.g. BayesianLasso(lam=...))"
        )
        return CrossCheckResult(False, None, np.nan, pd.DataFrame(), tol, reason, header=header)
    kind = prior.penalty_name_for(**kwargs)
    fit_intercept = intercept is not False
    common = {"stats": stats, "fit_intercept": fit_intercept, "tol": KKT_TOL}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-convergence is judged by the verdict itself
        side1 = glm_map(X, y, family.name, prior, groups=kwargs.get("groups"),
                        max_iter=MAX_NEWTON, **common)  # fmt: skip
        penalty = getattr(penalties, kind)(**args)
        side2 = fista_map(X, y, family.name, penalty, max_passes=max_passes, **common)
    post = _posterior_certificate(X, y, prior, family, side1, kwargs.get("groups"), fit_intercept)
    columns = {"find_map": side1.coef, "solvers": side2.coef}
    intercepts = {"find_map": np.float64(side1.intercept), "solvers": np.float64(side2.intercept)}
    max_diff, zeros, passed = _common.compare(columns, intercepts, tol)
    objectives = {"find_map": side1.solver.objective, "solvers": side2.solver.objective}
    failures = [
        f
        for f in (
            _failure("find_map", side1, "proximal Newton", f"max_iter={MAX_NEWTON} Newton steps"),
            _failure("solvers", side2, "FISTA", f"max_passes={max_passes}"),
            _posterior_failure(post),
        )
        if f is not None
    ]
    non_unique = bool(
        passed is False and not failures and _common.objectives_equal(objectives, ["solvers"])
    )
    passed = False if failures else (True if non_unique else passed)
    table, icpt = _common.tables(SimpleNamespace(feature_names=stats.feature_names), columns,
                          intercepts, False)  # fmt: skip
    return CrossCheckResult(
        applicable=True,
        passed=passed,
        max_abs_diff=max_diff,
        table=table,
        tol=tol,
        intercept=icpt,
        zero_sets_agree=zeros,
        objectives=objectives,
        certificates={
            "find_map": f"{side1.solver.certificate:.2g} (KKT from a pass, proximal Newton); "
            f"posterior {post:.2g} (KKT of -log p(beta | y) with the prior's PyMC density)",
            "solvers": f"{side2.solver.certificate:.2g} (KKT from a pass, FISTA)",
        },
        sigma=1.0,
        penalty=_common.penalty_repr(kind, args) + " (out of core: distributed passes)",
        estimator="none (out of core)",
        reference_name=_common.reference_name(family.name, kind),
        notes=_notes(side1, side2, include_find_MAP),
        header=header,
        map_result=side1,
        non_unique=non_unique,
        failure="; ".join(failures) or None,
    )


def _posterior_certificate(X, y, prior, family, side1, groups, fit_intercept: bool) -> float:
    """KKT violation of ``-log p(beta | y)`` at the first side's MAP (:mod:`._prior_kkt`):
    the likelihood's gradient from one more pass, the prior's from its PyMC density."""
    from shrinkage.crosscheck._prior_kkt import posterior_kkt, prior_gradient
    from shrinkage.outofcore.fista import grad_pass
    from shrinkage.outofcore.glm import _datafit

    stats = side1.stats
    sigma = family.pseudo_sigma(np.array([stats.y_mean]))  # the model's, as build_model sets it
    grad_fn = prior_gradient(prior, stats.feature_names, groups, sigma, stats.n)
    if grad_fn is None:
        return float("nan")
    st = grad_pass(X, y, _datafit(family.name), stats)(side1.coef[:, None],
                                                         np.array([side1.intercept]))  # fmt: skip
    kkt = posterior_kkt(grad_fn, side1.coef, st.grad[:, 0], groups, stats.n)
    return max(kkt, abs(float(st.gsum[0])) / stats.n) if fit_intercept else kkt


def _posterior_failure(post: float) -> str | None:
    if post <= POSTERIOR_TOL:
        return None
    return (
        f"find_map: -log p(beta | y) with the prior's own density is not stationary there (KKT "
        f"violation {post:.2g} > {POSTERIOR_TOL:g}): the prior's penalty mapping disagrees "
        "with its density"
    )


def _notes(side1, side2, include_find_MAP: bool) -> list[str]:
    s1, s2 = side1.solver, side2.solver
    notes = [
        f"out of core: find_map is the prior's exact MAP by proximal Newton on distributed "
        f"X'WX passes (glm_map: {s1.n_iter} Newton steps, {s1.n_passes} passes); solvers is "
        f"an independent distributed FISTA from w = 0 (fista_map: {s2.n_iter} steps, "
        f"{s2.n_passes} passes); both standardize with the statistics pass's means and sds",
        "scikit-learn: unavailable out of core (its estimators need the rows in memory)",
    ]
    if include_find_MAP:
        notes.append("pm.find_MAP: unavailable out of core (no PyMC model: the likelihood "
                     "needs the rows)")  # fmt: skip
    return notes
