"""Capped working sets (issue 22) on p >> n designs, against scikit-learn.

The data have many more KKT violators at ``w = 0`` than the first working set holds (10
coordinates or groups), so these solves go through several grown working sets. Tolerances: as
tests/test_solvers_sklearn.py (scikit-learn at tol 1e-12..1e-14, ours certified at gap or KKT
1e-13..1e-12; a certified gap bounds the distance to the unique solution far inside the 1e-6
coefficient tolerance).
"""

import numpy as np
import pytest
from sklearn import linear_model as sk

from shrinkage.solvers import L1, GroupLasso, Logistic, Quadratic, solve

ATOL = 1e-6  # coefficient tolerance (module docstring)


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(22)
    n, p = 60, 300
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:8] = rng.choice([-1, 1], 8) * rng.uniform(0.5, 2, 8)
    eta = X @ w
    y = eta + 0.5 * rng.standard_normal(n)
    labels = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, labels


def _violators(X, r, alpha):
    return int(np.sum(np.abs(X.T @ r) / len(r) > alpha))


def test_lasso_wide_matches_sklearn(wide):
    X, y, _ = wide
    yc = y - y.mean()
    alpha = 0.05 * np.max(np.abs(X.T @ yc)) / len(y)
    assert _violators(X - X.mean(0), yc, alpha) > 20  # the first working set (10) is too small
    ours = solve(X, y, Quadratic(), L1(alpha), tol=1e-13)
    ref = sk.Lasso(alpha=alpha, tol=1e-14, max_iter=10**6).fit(X, y)
    assert ours.converged and ours.certificate_kind == "duality_gap"
    np.testing.assert_allclose(ours.coef, ref.coef_, atol=ATOL)
    np.testing.assert_allclose(ours.intercept, ref.intercept_, atol=ATOL)


def test_logistic_wide_matches_liblinear(wide):
    X, _, labels = wide
    alpha = 0.05 * np.max(np.abs(X.T @ (labels - 0.5))) / len(labels)
    assert _violators(X, labels - 0.5, alpha) > 20
    ours = solve(X, labels, Logistic(), L1(alpha), fit_intercept=False, tol=1e-13)
    assert ours.converged and ours.certificate_kind == "duality_gap"
    ref = sk.LogisticRegression(
        C=1 / (len(labels) * alpha), l1_ratio=1.0, solver="liblinear", fit_intercept=False,
        tol=1e-12, max_iter=10**5,
    ).fit(X, labels)  # fmt: skip
    np.testing.assert_allclose(ours.coef, ref.coef_[0], atol=ATOL)


def test_logistic_wide_intercept_matches_fista(wide):
    # with an intercept the certificate is KKT (no sklearn L1 solver leaves it unpenalized
    # except saga, too slow at 1e-12 on p >> n): our FISTA is the independent reference
    X, _, labels = wide
    alpha = 0.05 * np.max(np.abs(X.T @ (labels - labels.mean()))) / len(labels)
    cd = solve(X, labels, Logistic(), L1(alpha), tol=1e-12)
    fista = solve(X, labels, Logistic(), L1(alpha), tol=1e-12, solver="fista", max_iter=10**5)
    assert cd.converged and cd.certificate_kind == "kkt" and fista.converged
    np.testing.assert_allclose(cd.coef, fista.coef, atol=ATOL)
    np.testing.assert_allclose(cd.intercept, fista.intercept, atol=ATOL)


def test_singleton_group_lasso_wide_matches_sklearn(wide):
    # unit-weight singleton groups are the lasso: block CD with group working sets vs sklearn
    X, y, _ = wide
    p = X.shape[1]
    yc = y - y.mean()
    alpha = 0.05 * np.max(np.abs(X.T @ yc)) / len(y)
    pen = GroupLasso(alpha, np.arange(p), weights=np.ones(p))
    ours = solve(X, y, Quadratic(), pen, tol=1e-13)
    ref = sk.Lasso(alpha=alpha, tol=1e-14, max_iter=10**6).fit(X, y)
    assert ours.converged and ours.solver == "bcd"
    np.testing.assert_allclose(ours.coef, ref.coef_, atol=ATOL)


@pytest.mark.parametrize("logistic", [False, True])
def test_group_lasso_wide_matches_fista(wide, logistic):
    X, y, labels = wide
    target, datafit = (labels, Logistic()) if logistic else (y, Quadratic())
    groups = np.arange(X.shape[1]) // 5
    r = target - target.mean()
    norms = np.linalg.norm((X.T @ r).reshape(-1, 5), axis=1) / len(r)
    alpha = 0.05 * norms.max() / np.sqrt(5)
    assert np.sum(norms > alpha * np.sqrt(5)) > 20  # violating groups at 0: more than 10
    pen = GroupLasso(alpha, groups)
    bcd = solve(X, target, datafit, pen, tol=1e-12)
    fista = solve(X, target, datafit, pen, tol=1e-12, solver="fista", max_iter=10**5)
    assert bcd.converged and fista.converged and bcd.solver == "bcd"
    # both certified at 1e-12 (module docstring)
    np.testing.assert_allclose(bcd.coef, fista.coef, atol=ATOL)
    np.testing.assert_allclose(bcd.intercept, fista.intercept, atol=ATOL)
