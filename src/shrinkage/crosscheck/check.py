"""Cross-check the exact MAP of a PyMC model against proximal solvers and scikit-learn.

For a model from :func:`shrinkage.build_model` whose prior has a convex penalty, the MAP
``(beta_hat, sigma_hat)`` of ``-log p(beta, sigma | y)`` (``jacobian=False``) satisfies a
fixed-point property: multiplying ``-log p`` by ``c / n`` gives

.. math::

    \\text{datafit}(\\beta) + \\text{penalty}(\\beta), \\qquad
    \\text{penalty} = \\frac{c}{n} (-\\log p(\\beta \\mid \\hat\\sigma))

with the family's loss scale ``c = family.loss_scale(sigma)`` and datafit
``family.datafit_value`` (:mod:`shrinkage.families`: ``c = sigma^2`` for the Gaussian and
``(1/2n)||y - a - X beta||^2``, ``c = sigma`` for the Laplace likelihood and
``(1/n) sum |y - a - X beta|``, ``c = 1`` for logistic and Poisson: ``(1/n)`` times the negative
log-likelihood). So at the MAP's own sigma, ``beta_hat`` must equal the penalized estimate with
the penalty ``prior.penalty(sigma_hat, n, loss_scale=c)`` (the mapping lives on the priors). :func:`cross_check` computes that estimate with :mod:`shrinkage.solvers` and with
the matching scikit-learn estimator, and shows ``pm.find_MAP`` (a gradient optimizer, no exact
zeros) for contrast. Everything is on the standardized scale of the model.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from shrinkage.crosscheck._common import (
    NORMAL_INTERCEPT,
    compare,
    no_penalty_reason,
    objectives_equal,
    penalty_repr,
    reference_name,
    tables,
)
from shrinkage.crosscheck.result import CrossCheckResult
from shrinkage.families import Gaussian

__all__ = ["cross_check"]


def cross_check(
    model,
    y: Any = None,
    *,
    prior=None,
    family=None,
    groups=None,
    intercept: bool | str = "flat",
    tol: float = 1e-6,
    fixed: dict | None = None,
    include_find_MAP: bool = True,
    max_passes: int = 1000,
) -> CrossCheckResult:
    """Check the exact MAP of ``model`` against solvers and scikit-learn, feature by feature.

    Parameters
    ----------
    model : pymc.Model, or X (array-like, DataFrame, Dask array / dataframe)
        Built by :func:`shrinkage.build_model`; or the predictors, with ``y``, ``prior`` (and
        ``family``, ``groups``, ``intercept``): the model is then built here. Logistic and
        Poisson data on Dask have no PyMC model (their likelihood needs the rows): they are
        cross-checked out of core by :func:`shrinkage.crosscheck.outofcore.glm_cross_check`
        (the MAP by distributed proximal Newton against an independent distributed FISTA).
    y : array-like or Dask collection, only with data.
    prior, family, groups, intercept : as :func:`shrinkage.build_model`, only with data
        (``family`` defaults to ``"gaussian"``, ``intercept`` to ``"flat"``: the solvers and
        scikit-learn leave the intercept unpenalized).
    tol : float
        Largest accepted ``|reference - find_map|`` on the standardized scale.
    fixed : dict, optional
        Variables held fixed in the MAP (e.g. ``{"sigma": 0.7}``), passed to ``find_map``.
    include_find_MAP : bool
        Also run ``pm.find_MAP`` (shown, never required to agree).
    max_passes : int
        Out-of-core logistic / Poisson only: the most data passes of the FISTA side.

    Returns
    -------
    CrossCheckResult
        ``passed`` is None (with ``applicable=False`` and a ``reason``) for priors with no
        convex penalty (horseshoe family) and for settings no reference can express.
    """
    import pymc as pm

    if not isinstance(model, pm.Model):
        return _from_data(model, y, prior, family, groups, intercept, tol=tol, fixed=fixed,
                          include_find_MAP=include_find_MAP, max_passes=max_passes)  # fmt: skip
    given = {"y": y, "prior": prior, "family": family, "groups": groups}
    extra = [k for k, v in given.items() if v is not None] + (
        ["intercept"] * (intercept != "flat")
    )
    if extra:
        raise TypeError(f"cross_check(model) takes {extra} from the model: pass them with data")
    from shrinkage.model import get_spec

    if not (isinstance(tol, int | float) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a finite number > 0; got {tol!r}")
    spec = get_spec(model)
    design, prior, family = spec.design, spec.prior, spec.family
    header = (
        f"Cross-check of {prior!r} with family {family.name!r}: n = {design.n_obs}, "
        f"p = {design.n_features}"
    )
    reason = _not_applicable(spec)
    if reason is not None:
        return CrossCheckResult(
            False, None, float("nan"), pd.DataFrame(), tol, reason, header=header
        )

    from shrinkage.inference import find_map

    fixed = dict(fixed or {})
    res = find_map(model, fixed=fixed or None)
    beta = np.asarray(res["beta"], dtype=float)
    icpt = np.asarray(res.values.get("intercept", np.zeros(beta.shape[1:])), dtype=float)
    sigma = _sigma_hat(family, fixed, res)
    fit_intercept = spec.intercept is not False
    fam = family  # the likelihood of the problem the references solve
    if np.ndim(sigma) and np.ptp(sigma) > 0:  # per-output noise scales
        if not design.standardize:
            reason = "per-output noise scales need the centred (standardize=True) design"
            return CrossCheckResult(
                False, None, float("nan"), pd.DataFrame(), tol, reason, header=header
            )
        problem, fam = _stacked(design, np.asarray(sigma, dtype=float)), Gaussian()
        kwargs = {"groups": np.tile(np.arange(design.n_features), design.n_outputs)}
        kwargs = kwargs if prior.needs_groups else {}
        # sigma is absorbed in the stacked design: datafit (1/2N)||y~ - X~ w||^2, c = 1
        args = prior.penalty_alpha(1.0, problem.n_obs, loss_scale=1.0, **kwargs)
        kind = prior.penalty_name_for(**kwargs)
    else:
        problem = _GramRows(design) if getattr(design, "out_of_core", False) else _Plain(design)
        sigma = float(np.max(sigma))
        loss_scale = family.loss_scale(sigma)
        kwargs = _penalty_kwargs(spec, res)
        args = prior.penalty_alpha(sigma, design.n_obs, loss_scale=loss_scale, **kwargs)
        kind = prior.penalty_name_for(**kwargs)
    columns = {"find_map": beta}
    intercepts = {"find_map": icpt}
    notes: list[str] = []
    certs: dict[str, Any] = {"find_map": f"{res.certificate:.2g} (KKT, grad of -logp)"}

    sol = _run_solvers(problem, fam, kind, args, fit_intercept, notes)
    if sol is not None:
        coef, b0 = problem.unstack(sol.coef, sol.intercept)
        columns["solvers"], intercepts["solvers"] = _shape_like(coef, beta), b0
        certs["solvers"] = f"{sol.certificate:.2g} ({sol.certificate_kind})"
    est = _sklearn_estimator(fam.name, kind, args, problem.n_obs, fit_intercept)
    if isinstance(est, str):
        notes.append(f"scikit-learn: {est}")
        est_repr = "none"
    else:
        est_repr = repr(est)
        coef, b0, n_iter = _fit_sklearn(est, problem)
        coef, b0 = problem.unstack(coef, b0)
        columns["sklearn"], intercepts["sklearn"] = _shape_like(coef, beta), b0
        certs["sklearn"] = f"n_iter={n_iter}"
    if include_find_MAP:
        pm_beta, pm_b0 = _run_pm_find_map(model, res, fixed, notes)
        if pm_beta is not None:
            columns["pm_find_MAP"], intercepts["pm_find_MAP"] = pm_beta, pm_b0

    table, intercept = tables(design, columns, intercepts, beta.ndim == 2)
    max_diff, zeros, passed = compare(columns, intercepts, tol)
    objectives = {
        name: _objective(fam, problem, *problem.stack(columns[name], intercepts[name]), kind, args)
        for name in columns
    }
    non_unique = bool(passed is False and objectives_equal(objectives, list(zeros)))
    passed = True if non_unique else passed
    objectives["find_map_logp"] = float(res.objective)
    where = "fixed" if (family.has_sigma and _sigma_fixed(family, fixed)) else "MAP estimate"
    return CrossCheckResult(
        applicable=True,
        passed=passed,
        max_abs_diff=max_diff,
        table=table,
        tol=tol,
        intercept=intercept,
        zero_sets_agree=zeros,
        objectives=objectives,
        certificates=certs,
        sigma=sigma if np.ndim(sigma) == 0 else np.asarray(sigma).tolist(),
        penalty=penalty_repr(kind, args) + problem.note,
        estimator=est_repr,
        reference_name=reference_name(family.name, kind),
        notes=notes,
        header=header + (f", sigma {where}" if family.has_sigma else ""),
        map_result=res,
        non_unique=non_unique,
    )


def _from_data(X, y, prior, family, groups, intercept, **options) -> CrossCheckResult:
    """Cross-check of the model of ``X``, ``y``: built here, or out of core for a GLM."""
    from shrinkage.families import get_family
    from shrinkage.model import build_model
    from shrinkage.outofcore import is_dask

    if prior is None:
        raise TypeError("cross_check(X, y, ...) needs prior= (or pass a model)")
    family = get_family("gaussian" if family is None else family)
    if (is_dask(X) or is_dask(y)) and family.name in ("bernoulli", "poisson"):
        from shrinkage.crosscheck.outofcore import glm_cross_check

        return glm_cross_check(X, y, prior, family, groups=groups, intercept=intercept, **options)
    del options["max_passes"]  # the out-of-core GLM check's only
    model = build_model(X, y, prior=prior, family=family, groups=groups, intercept=intercept)
    return cross_check(model, **options)


class _Stacked:
    """Multi-output Gaussian with per-output ``sigma_k`` as one single-output problem.

    ``sum_k ||Y_k - X W_k||^2 / (2 sigma_k^2)`` is ``(1/2)||y~ - X~ w||^2`` with
    ``y~ = (Y_1/sigma_1, ..., Y_k/sigma_k)``, ``X~ = blockdiag(X/sigma_1, ..., X/sigma_k)`` and
    ``w = vec(W)`` (output-major); a row group ``W_j`` becomes the group of feature ``j`` across
    the blocks. Exact; the centred design makes every intercept 0 (one stacked intercept).
    """

    note = " on the output-stacked design (per-output sigma)"

    def __init__(self, design, sigma: np.ndarray) -> None:
        from scipy.linalg import block_diag

        self.sigma, self.p, self.k = sigma, design.n_features, design.n_outputs
        self.X = block_diag(*[design.X / s for s in sigma])
        self.y = (design.y / sigma).T.ravel()
        self.n_obs, self.n_outputs = self.X.shape[0], None

    def unstack(self, coef, intercept):
        W = np.asarray(coef, dtype=float).reshape(self.k, self.p).T
        return W, float(np.ravel(intercept)[0]) * self.sigma

    def stack(self, W, intercept):
        return np.asarray(W).T.ravel(), float(np.mean(np.asarray(intercept) / self.sigma))


class _Plain:
    """The design as it is (identity stacking)."""

    note = ""

    def __init__(self, design) -> None:
        self.X, self.y, self.n_obs, self.n_outputs = (
            design.X,
            design.y,
            design.n_obs,
            design.n_outputs,
        )

    @staticmethod
    def unstack(coef, intercept):
        return coef, intercept

    @staticmethod
    def stack(coef, intercept):
        return coef, intercept


class _GramRows:
    """Out-of-core data as ``p + 2`` square-root rows of its centred statistics.

    :func:`shrinkage.solvers.gram_rows` gives centred rows whose ``(1/2m)||y~ - X~ w||^2`` is
    the ``n`` rows' centred objective: scikit-learn and the objectives run on them; the
    solvers' column comes from :func:`shrinkage.solvers.solve_gram` on the statistics. The
    intercept of the rows is ``c~ = c - (ybar - xbar'w)`` (the model-scale means).
    """

    note = " (out of core: from X'X, X'y, y'y)"

    def __init__(self, design) -> None:
        from shrinkage.solvers import gram_rows

        self.stats = s = design.stats
        self.X, self.y = gram_rows(s.xtx, s.xty, s.yty, s.n)
        self.n_obs, self.n_outputs = self.X.shape[0], None

    def _shift(self, coef) -> float:
        return self.stats.y_mean - float(self.stats.mean @ np.asarray(coef, dtype=float))

    def unstack(self, coef, intercept):
        return coef, float(intercept) + self._shift(coef)

    def stack(self, coef, intercept):
        return coef, float(intercept) - self._shift(coef)


def _stacked(design, sigma: np.ndarray) -> _Stacked:
    return _Stacked(design, sigma)


# ---------------------------------------------------------------------- applicability
def _not_applicable(spec) -> str | None:
    prior, family, design = spec.prior, spec.family, spec.design
    if prior.penalty_name is None:
        return no_penalty_reason(prior)
    if family.loss_scale_power is None:
        return (
            f"family {family.name!r} has no matching penalized solver or scikit-learn "
            "estimator: its -log p(y | beta) is not (n / c) times a convex datafit"
        )
    if spec.intercept is True and not (design.standardize and family.standardize_y):
        return NORMAL_INTERCEPT
    if spec.intercept is False and getattr(design, "out_of_core", False):
        if not design.standardize:
            return "out of core the references need an intercept or the standardized design"
    if prior.needs_groups and family.multi_output and design.groups is not None:
        if len(np.unique(design.groups)) != design.n_features:
            return "multi-output group prior with blocks of features: no solvers penalty"
    return None


def _sigma_fixed(family, fixed: dict) -> bool:
    return getattr(family, "sigma", None) is not None or "sigma" in fixed


def _sigma_hat(family, fixed: dict, res):
    if not family.has_sigma:
        return 1.0  # families without a noise scale: c = 1 (docs/conventions.md)
    if getattr(family, "sigma", None) is not None:
        return float(family.sigma)
    if "sigma" in fixed:
        return np.asarray(fixed["sigma"], dtype=float)
    return np.asarray(res["sigma"], dtype=float)


def _penalty_kwargs(spec, res) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if spec.prior.needs_groups:
        groups = spec.design.groups
        if spec.family.multi_output:
            kwargs["n_outputs"] = spec.design.n_outputs
        else:
            kwargs["groups"] = groups
    elif spec.design.n_outputs is not None:
        kwargs["n_outputs"] = spec.design.n_outputs
    if "lasso_lambda" in res.values:  # Park & Casella with lambda estimated: its MAP value
        kwargs["lam"] = float(res["lasso_lambda"])
    return kwargs


# ---------------------------------------------------------------------- references
#: certificate asked of shrinkage.solvers: near the float64 floor of a gap on O(1) objectives
_SOLVER_TOL = 1e-15


def _run_solvers(design, family, kind, args, fit_intercept, notes):
    from shrinkage.solvers import penalties, solve

    datafit = family.datafit()
    if datafit is None:
        notes.append(f"solvers: no datafit for the {family.name!r} likelihood")
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            if isinstance(design, _GramRows):
                return _solve_gram(design, getattr(penalties, kind)(**args), fit_intercept)
            return solve(
                design.X,
                design.y,
                datafit,
                getattr(penalties, kind)(**args),
                fit_intercept=fit_intercept,
                # The certificate bounds the objective, not the coefficients: on collinear
                # designs (diabetes ridge) a gap of 1e-12 still leaves 1e-6 in beta (1e-15: 4e-8), since
                # ||beta - beta*||^2 <= 2 gap / mu. Ask for a gap near the float64 floor.
                tol=_SOLVER_TOL,
            )
    except (AttributeError, TypeError, ValueError, NotImplementedError) as err:
        notes.append(f"solvers: {family.solvers_datafit} + {kind} failed ({err})")
        return None


def _solve_gram(problem: _GramRows, penalty, fit_intercept: bool):
    """The solvers' covariance mode; its intercept is put back on the square-root rows."""
    from shrinkage.solvers import solve_gram

    del fit_intercept  # without an intercept the design is standardized: both means are 0
    s = problem.stats
    res = solve_gram(
        s.xtx, s.xty, s.yty, s.n, penalty, x_mean=s.mean, y_mean=s.y_mean, tol=_SOLVER_TOL
    )
    res.intercept = float(res.intercept) - problem._shift(res.coef)
    return res


def _sklearn_estimator(family: str, kind: str, args: dict, n: int, fit_intercept: bool):
    """The scikit-learn estimator solving ``datafit + penalty``, or a string saying why none.

    Scale conversions (each derived from the estimator's documented objective):
    ``Ridge`` minimizes ``||r||^2 + a ||w||^2``, so ``a = n alpha``;
    ``LogisticRegression`` minimizes ``C sum logloss + penalty(w)``, so ``C = 1/(n alpha)``;
    ``PoissonRegressor`` minimizes ``(1/2n) deviance + (alpha/2)||w||^2`` and
    ``(1/2n) deviance = (1/n) sum(exp(eta) - y eta) + const``, so ``alpha`` is unchanged;
    ``QuantileRegressor(quantile=0.5)`` minimizes ``(1/n) sum pinball + alpha ||w||_1`` with
    ``pinball_0.5(r) = |r| / 2``, i.e. half our ``(1/n) sum |r|`` datafit: ``alpha / 2``.
    """
    from sklearn import linear_model as lm

    cd = {"tol": 1e-12, "max_iter": 10**6, "fit_intercept": fit_intercept}
    alpha = args.get("alpha")
    if family in ("gaussian", "multi_gaussian"):
        if kind == "L1":
            return lm.Lasso(alpha=alpha, **cd)
        if kind == "L2":
            return lm.Ridge(alpha=n * alpha, solver="cholesky", fit_intercept=fit_intercept)
        if kind == "ElasticNet":
            return lm.ElasticNet(alpha=alpha, l1_ratio=args["l1_ratio"], **cd)
        if kind == "L21":
            return lm.MultiTaskLasso(alpha=alpha, **cd)
        return "scikit-learn has no group lasso"
    if family == "bernoulli":
        common = {"C": 1.0 / (n * alpha), "tol": 1e-12, "fit_intercept": fit_intercept}
        if kind == "L2":
            return lm.LogisticRegression(solver="newton-cholesky", max_iter=10**4, **common)
        if kind in ("L1", "ElasticNet"):
            ratio = 1.0 if kind == "L1" else args["l1_ratio"]
            return lm.LogisticRegression(l1_ratio=ratio, solver="saga", max_iter=10**5, **common)
        return "scikit-learn has no group-lasso logistic regression"
    if family == "poisson":
        if kind == "L2":
            return lm.PoissonRegressor(
                alpha=alpha, solver="newton-cholesky", tol=1e-12, max_iter=10**4,
                fit_intercept=fit_intercept,
            )  # fmt: skip
        return "PoissonRegressor has an L2 penalty only"
    if family == "laplace" and kind == "L1":
        return lm.QuantileRegressor(
            quantile=0.5, alpha=alpha / 2, solver="highs", fit_intercept=fit_intercept
        )
    return f"no scikit-learn estimator for the {family!r} likelihood with {kind}"


def _fit_sklearn(est, design):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is judged by the comparison itself
        est.fit(design.X, design.y)
    coef = np.asarray(est.coef_, dtype=float)
    if coef.ndim == 2 and coef.shape[0] == 1 and design.n_outputs is None:
        coef = coef[0]  # LogisticRegression: (1, p)
    elif coef.ndim == 2:
        coef = coef.T  # multi-output: (k, p) -> (p, k)
    b0 = np.asarray(est.intercept_, dtype=float)
    b0 = b0.reshape(-1)[0] if design.n_outputs is None else b0.reshape(-1)
    return coef, b0, getattr(est, "n_iter_", None)


def _shape_like(coef, beta: np.ndarray) -> np.ndarray:
    coef = np.asarray(coef, dtype=float)
    if coef.shape != beta.shape and coef.T.shape == beta.shape:
        coef = coef.T
    return coef.reshape(beta.shape)


def _run_pm_find_map(model, res, fixed, notes):
    import pymc as pm

    names = set(fixed)
    free = [rv for rv in model.free_RVs if rv.name not in names]
    start = {k: v for k, v in model.initial_point().items()}
    start.update({k: v for k, v in res.unconstrained.items() if k.split("_log__")[0] in names})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            point = pm.find_MAP(
                start=start, vars=free, model=model, progressbar=False, jitter=False
            )
    except Exception as err:  # shown for contrast only: never fail the check on it
        notes.append(f"pm.find_MAP failed: {type(err).__name__}: {err}")
        return None, None
    beta = np.asarray(point["beta"], dtype=float)
    b0 = np.asarray(point.get("intercept", np.zeros(beta.shape[1:])), dtype=float)
    return beta, b0


# ---------------------------------------------------------------------- tables, objectives
def _objective(family, design, coef, b0, kind: str, args: dict) -> float:
    """``datafit + penalty`` on the solvers' scale (docs/conventions.md)."""
    fit = family.datafit_value(design.y, design.X @ coef + b0)
    a = args["alpha"]
    if kind == "L1":
        pen = a * np.sum(np.abs(coef))
    elif kind == "L2":
        pen = 0.5 * a * np.sum(coef**2)
    elif kind == "ElasticNet":
        r = args["l1_ratio"]
        pen = a * (r * np.sum(np.abs(coef)) + 0.5 * (1 - r) * np.sum(coef**2))
    elif kind == "L21":
        pen = a * np.sum(np.linalg.norm(coef, axis=1))
    else:  # GroupLasso, weights sqrt(group size)
        g = np.asarray(args["groups"])
        pen = a * sum(np.sqrt(np.sum(g == k)) * np.linalg.norm(coef[g == k]) for k in np.unique(g))
    return float(fit + pen)
