"""Our solvers against scikit-learn at tight tolerances.

Tolerance source, used throughout: scikit-learn runs with tol=1e-14..1e-12 and a large max_iter;
we run with a duality gap / KKT tolerance of 1e-13 (or 1e-12 relative to ||y||^2/n). For a
mu-strongly convex objective gap >= mu/2 ||w - w*||^2, and the CD/Newton iterates land well inside
that bound; coefficients must agree to 1e-6 (relative to max(1, |w|_inf) for the unscaled
diabetes response, whose coefficients are in the hundreds).
"""

import numpy as np
import pytest
from sklearn import linear_model as sk

from shrinkage.solvers import (
    L1,
    L2,
    L21,
    ElasticNet,
    Logistic,
    MultiTaskQuadratic,
    Poisson,
    Quadratic,
    solve,
)

ATOL = 1e-6  # coefficient tolerance; why the certified solutions meet it: module docstring


def _close(ours, theirs, atol=ATOL):
    scale = max(1.0, float(np.max(np.abs(theirs))))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=atol * scale)


def _rel_tol(y):
    # gap tolerance 1e-13 relative to the objective's scale ||y - mean(y)||^2 / n
    return 1e-13 * max(1.0, float(np.mean((y - y.mean()) ** 2)))


DATA = ["diabetes", "prostate", "synthetic"]  # session fixtures <name>_xy in conftest.py


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lasso(data, fit_intercept, request):
    X, y = request.getfixturevalue(f"{data}_xy")
    alpha = 0.05 * np.max(np.abs(X.T @ (y - y.mean()))) / len(y)
    ours = solve(X, y, Quadratic(), L1(alpha), fit_intercept=fit_intercept, tol=_rel_tol(y))
    ref = sk.Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-14, max_iter=10**6).fit(X, y)
    assert ours.certificate_kind == "duality_gap" and ours.converged
    _close(ours.coef, ref.coef_)
    _close(ours.intercept, ref.intercept_)
    assert np.any(ours.coef == 0) or data == "prostate"  # lasso gives exact zeros


@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_elastic_net(l1_ratio, fit_intercept, diabetes_xy, prostate_xy):
    for X, y in (diabetes_xy, prostate_xy):
        alpha = 0.02 * np.max(np.abs(X.T @ (y - y.mean()))) / len(y)
        pen = ElasticNet(alpha, l1_ratio)
        ours = solve(X, y, Quadratic(), pen, fit_intercept=fit_intercept, tol=_rel_tol(y))
        ref = sk.ElasticNet(
            alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-14, max_iter=10**6
        ).fit(X, y)
        _close(ours.coef, ref.coef_)
        _close(ours.intercept, ref.intercept_)


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_alpha_mapping(data, fit_intercept, request):
    # our (1/2n)||r||^2 + (alpha/2)||w||^2  ==  sklearn Ridge ||r||^2 + (alpha n)||w||^2, / (2n)
    X, y = request.getfixturevalue(f"{data}_xy")
    alpha = 0.01
    ours = solve(X, y, Quadratic(), L2(alpha), fit_intercept=fit_intercept, tol=_rel_tol(y))
    ref = sk.Ridge(alpha=alpha * len(y), fit_intercept=fit_intercept, solver="cholesky").fit(X, y)
    _close(ours.coef, ref.coef_)
    _close(ours.intercept, ref.intercept_)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_l2_C_mapping(fit_intercept, breast_cancer_xy):
    # sklearn: C sum(logloss) + ||w||^2/2; divide by n C: alpha = 1/(n C)
    X, y = breast_cancer_xy
    alpha = 0.01
    ours = solve(X, y, Logistic(), L2(alpha), fit_intercept=fit_intercept, tol=1e-13)
    ref = sk.LogisticRegression(
        C=1 / (len(y) * alpha), fit_intercept=fit_intercept, solver="newton-cholesky", tol=1e-14,
        max_iter=1000,
    ).fit(X, y)  # fmt: skip
    _close(ours.coef, ref.coef_[0])
    _close(ours.intercept, ref.intercept_[0] if fit_intercept else 0.0)


def test_logistic_l1_no_intercept_liblinear(breast_cancer_xy):
    # liblinear penalizes its intercept, so compare it without one (its primal is exact then)
    X, y = breast_cancer_xy
    alpha = 0.01
    ours = solve(X, y, Logistic(), L1(alpha), fit_intercept=False, tol=1e-13)
    assert ours.certificate_kind == "duality_gap"
    ref = sk.LogisticRegression(
        C=1 / (len(y) * alpha), l1_ratio=1.0, solver="liblinear", fit_intercept=False, tol=1e-12,
        max_iter=10**5,
    ).fit(X, y)  # fmt: skip
    # liblinear's own stopping rule (tol 1e-12 on its dual) limits agreement to ~1e-7 here
    _close(ours.coef, ref.coef_[0])


def test_logistic_l1_intercept_saga(prostate_xy):
    X, y = prostate_xy
    yb = (y > np.median(y)).astype(float)
    alpha = 0.02
    ours = solve(X, yb, Logistic(), L1(alpha), tol=1e-12)
    assert ours.certificate_kind == "kkt"
    ref = sk.LogisticRegression(
        C=1 / (len(yb) * alpha), l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=10**6
    ).fit(X, yb)
    _close(ours.coef, ref.coef_[0])
    _close(ours.intercept, ref.intercept_[0])


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_poisson_l2(fit_intercept):
    # sklearn: (1/2n) sum deviance + alpha/2 ||w||^2
    #        = (1/n) sum(mu - y eta) + const + alpha/2 ||w||^2,
    # so PoissonRegressor(alpha) == Poisson() + L2(alpha) with no rescaling.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 6))
    y = rng.poisson(np.exp(0.4 * X[:, 0] - 0.3 * X[:, 1] + 0.5)).astype(float)
    ours = solve(X, y, Poisson(), L2(0.01), fit_intercept=fit_intercept, tol=1e-12)
    assert ours.certificate_kind == "kkt"
    ref = sk.PoissonRegressor(
        alpha=0.01, fit_intercept=fit_intercept, solver="newton-cholesky", tol=1e-14, max_iter=1000
    ).fit(X, y)
    _close(ours.coef, ref.coef_)
    _close(ours.intercept, ref.intercept_)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multitask_lasso(fit_intercept):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((60, 15))
    W = np.zeros((15, 3))
    W[:4] = rng.standard_normal((4, 3))
    Y = X @ W + 1.0 + 0.5 * rng.standard_normal((60, 3))
    ours = solve(X, Y, MultiTaskQuadratic(), L21(0.1), fit_intercept=fit_intercept, tol=1e-13)
    ref = sk.MultiTaskLasso(alpha=0.1, fit_intercept=fit_intercept, tol=1e-14, max_iter=10**6).fit(
        X, Y
    )
    _close(ours.coef, ref.coef_.T)
    _close(ours.intercept, ref.intercept_)
    assert np.any(np.all(ours.coef == 0, axis=1))  # whole rows are zero
