"""Paths (vs scikit-learn's lasso_path / enet_path) and cross-validation."""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.linear_model import enet_path, lasso_path

from shrinkage.solvers import (
    L1,
    L2,
    ElasticNet,
    GroupLasso,
    Logistic,
    Quadratic,
    alpha_max,
    cv_path,
    path,
    solve,
)
from shrinkage.solvers.cv import one_se_rule


def test_lasso_path_matches_sklearn(diabetes_xy):
    X, y = diabetes_xy
    ours = path(X, y, Quadratic(), L1(1.0), n_alphas=30, tol=1e-13 * np.var(y))
    Xc, yc = X - X.mean(0), y - y.mean()  # lasso_path fits no intercept: centre by hand
    alphas, coefs, _ = lasso_path(Xc, yc, alphas=ours.alphas, tol=1e-14, max_iter=10**6)
    np.testing.assert_allclose(alphas, ours.alphas)
    # gap <= 1e-13 var(y) on both sides; 1e-6 relative to the largest coefficient (~ 700)
    scale = np.abs(coefs).max()
    np.testing.assert_allclose(ours.coefs, coefs.T, atol=1e-6 * scale, rtol=0)
    np.testing.assert_allclose(ours.intercepts, y.mean() - ours.coefs @ X.mean(0), atol=1e-9)
    # alpha_max gives the null model (up to the rounding of the tie |X_j^T y|/n = alpha_max)
    assert np.abs(ours.coefs[0]).max() <= 1e-12 * scale
    assert np.any(ours.coefs[1] != 0)


def test_enet_path_matches_sklearn_and_grid(prostate_xy):
    X, y = prostate_xy
    ours = path(X, y, Quadratic(), ElasticNet(1.0, 0.5), n_alphas=20, eps=1e-2, tol=1e-14)
    amax = alpha_max(X, y, Quadratic(), ElasticNet(1.0, 0.5))
    np.testing.assert_allclose(ours.alphas[[0, -1]], [amax, 1e-2 * amax], rtol=1e-12)
    Xc, yc = X - X.mean(0), y - y.mean()
    _, coefs, _ = enet_path(Xc, yc, l1_ratio=0.5, alphas=ours.alphas, tol=1e-14, max_iter=10**6)
    np.testing.assert_allclose(ours.coefs, coefs.T, atol=1e-6)  # gap 1e-14, |w| ~ 1
    assert np.all(ours.certificates <= 1e-14)


def test_path_equals_independent_solves_logistic_and_group(breast_cancer_xy):
    X, y = breast_cancer_xy
    res = path(X, y, Logistic(), L1(1.0), n_alphas=8, eps=1e-2, tol=1e-11)
    for k in (2, 7):
        single = solve(X, y, Logistic(), L1(res.alphas[k]), tol=1e-11)
        # both KKT <= 1e-11 on a strongly convex-on-support problem: 1e-6 is generous
        np.testing.assert_allclose(res.coefs[k], single.coef, atol=1e-6)
    groups = np.arange(30) // 6
    res = path(X, y, Logistic(), GroupLasso(1.0, groups), n_alphas=5, eps=0.05, tol=1e-9)
    assert res.coefs.shape == (5, 30) and np.all(res.certificates <= 1e-9)


def test_logistic_l1_path_collinear_takes_newton_steps(breast_cancer_xy):
    """Collinear columns (breast cancer's radius / perimeter / area): the prox-Newton model is
    solved in Gram form to convergence, so each alpha takes a few outer steps; the former
    20-pass inexact steps took up to 2222 at the tail of this grid (issue 22)."""
    X, y = breast_cancer_xy
    res = path(X, y, Logistic(), L1(1.0), n_alphas=30, eps=1e-4, fit_intercept=False, tol=1e-9)
    assert np.all(res.certificates <= 1e-9)
    # Newton converges in a handful of steps (4-14 measured here); 30 leaves room for rounding
    assert res.n_iters.max() <= 30
    single = solve(X, y, Logistic(), L1(res.alphas[-1]), fit_intercept=False, tol=1e-12)
    # gaps 1e-9 / 1e-12 on a flat (near-separable) objective: measured 5e-7 apart, 1e-5 of the
    # largest coefficient (~ 13) leaves room for the conditioning
    np.testing.assert_allclose(res.coefs[-1], single.coef, atol=1e-5 * np.abs(single.coef).max())


def test_ridge_path_needs_alphas(prostate_xy):
    X, y = prostate_xy
    with pytest.raises(ValueError, match="alpha_max"):
        path(X, y, Quadratic(), L2(1.0))
    res = path(X, y, Quadratic(), L2(1.0), alphas=[0.01, 1.0, 0.1])
    np.testing.assert_array_equal(res.alphas, [1.0, 0.1, 0.01])  # sorted decreasing


def test_cv_lasso_one_se_rule(diabetes_xy):
    X, y = diabetes_xy
    cv = cv_path(X, y, Quadratic(), L1(1.0), n_alphas=30, n_folds=5, tol=1e-6, n_jobs=1)
    assert cv.alpha_1se >= cv.alpha_min
    assert cv.fold_errors.shape == (5, 30)
    assert cv.mean[cv.index_min] == cv.mean.min()
    assert cv.mean[cv.index_1se] <= cv.mean.min() + cv.se[cv.index_min]
    # no larger alpha satisfies the rule
    bigger = cv.alphas > cv.alpha_1se
    assert np.all(cv.mean[bigger] > cv.mean.min() + cv.se[cv.index_min])
    # the diabetes CV error of the best lasso is near the known ~ 2900-3000 MSE
    assert 2500 < cv.mean.min() < 3500


def test_cv_logistic_parallel_matches_serial(breast_cancer_xy):
    X, y = breast_cancer_xy
    kw = {"n_alphas": 10, "eps": 1e-2, "n_folds": 3, "tol": 1e-8}
    a = cv_path(X, y, Logistic(), L1(1.0), n_jobs=1, **kw)
    # threads: the kernels release the GIL, and a process pool would spend ~15 s starting here
    with parallel_config(backend="threading"):
        b = cv_path(X, y, Logistic(), L1(1.0), n_jobs=2, **kw)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-12)  # same folds, same deterministic solver
    assert a.alpha_1se >= a.alpha_min


def test_one_se_rule_by_hand():
    alphas = np.array([4.0, 2.0, 1.0, 0.5])
    mean = np.array([10.0, 5.0, 4.0, 4.5])
    se = np.array([1.0, 1.0, 1.5, 1.0])
    assert one_se_rule(alphas, mean, se) == (2, 1)  # 5.0 <= 4.0 + 1.5, 10 is not
