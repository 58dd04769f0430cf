"""Group lasso certificates, singleton groups = lasso, FISTA vs coordinate descent."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from shrinkage.solvers import (
    L1,
    L2,
    L21,
    ElasticNet,
    GroupLasso,
    Logistic,
    MultiTaskQuadratic,
    Poisson,
    Quadratic,
    WeightedL1,
    certificate,
    solve,
)

GROUPS = np.repeat([7, 3, 11, 5, 2, 9], [1, 3, 6, 2, 10, 8])  # 30 columns, unequal sizes, labels
# arbitrary integers


def test_group_lasso_certificate_and_zero_group(synthetic_xy):
    X, y = synthetic_xy
    pen = GroupLasso(0.1, GROUPS)
    res = solve(X, y, Quadratic(), pen, tol=1e-10)
    assert res.certificate_kind == "duality_gap"
    assert res.certificate <= 1e-8  # asked for 1e-10: certified below the default tol 1e-8
    norms = [np.linalg.norm(res.coef[idx]) for _, idx in pen.blocks()]
    assert min(norms) == 0.0 and max(norms) > 0  # at least one whole group is exactly zero
    # independent check of the certificate from the public function
    gap, kind = certificate(X, y, Quadratic(), pen, res.coef, res.intercept)
    assert kind == "duality_gap" and gap <= 1e-8


def test_group_lasso_logistic_kkt(breast_cancer_xy):
    X, y = breast_cancer_xy
    groups = np.arange(X.shape[1]) // 7  # groups of 7, 7, 7, 7, 2
    res = solve(X, y, Logistic(), GroupLasso(0.02, groups), tol=1e-9)
    assert res.certificate_kind == "kkt" and res.certificate <= 1e-9


def test_singleton_groups_equal_lasso(synthetic_xy):
    X, y = synthetic_xy
    p = X.shape[1]
    a = solve(X, y, Quadratic(), GroupLasso(0.1, np.arange(p)), tol=1e-13)
    b = solve(X, y, Quadratic(), L1(0.1), tol=1e-13)
    # both certified to gap 1e-13; same problem, 1e-6 is the acceptance tolerance
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-6)
    np.testing.assert_allclose(a.intercept, b.intercept, atol=1e-6)


CASES = [
    ("quad-l1", "synthetic", Quadratic(), L1(0.1), True),
    ("quad-enet", "prostate", Quadratic(), ElasticNet(0.05, 0.5), True),
    ("quad-l2-noint", "synthetic", Quadratic(), L2(0.5), False),
    ("quad-wl1", "synthetic", Quadratic(), WeightedL1(0.1, np.r_[0.0, np.ones(29)]), True),
    ("quad-group", "synthetic", Quadratic(), GroupLasso(0.1, GROUPS), True),
    ("logit-l1", "breast_cancer", Logistic(), L1(0.01), True),
    ("logit-l1-noint", "breast_cancer", Logistic(), L1(0.01), False),
    ("logit-group", "breast_cancer", Logistic(), GroupLasso(0.01, np.arange(30) // 5), True),
]


@pytest.mark.parametrize(
    ("name", "data", "datafit", "penalty", "fi"), CASES, ids=[c[0] for c in CASES]
)
def test_fista_matches_cd(name, data, datafit, penalty, fi, request):
    X, y = request.getfixturevalue(f"{data}_xy")
    if isinstance(datafit, Logistic) and data != "breast_cancer":
        y = (y > np.median(y)).astype(float)
    tol = 1e-12
    cd = solve(X, y, datafit, penalty, fit_intercept=fi, tol=tol)
    fista = solve(
        X, y, datafit, penalty, fit_intercept=fi, tol=tol, solver="fista", max_iter=10**5
    )
    assert cd.converged and fista.converged
    # both certified at 1e-12 (gap or KKT), far inside the 1e-6 coefficient tolerance of the
    # solver comparisons (a certified gap bounds the distance to the solution)
    np.testing.assert_allclose(fista.coef, cd.coef, atol=1e-6)
    np.testing.assert_allclose(fista.intercept, cd.intercept, atol=1e-6)


def test_fista_matches_bcd_multitask_and_poisson():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((50, 8))
    Y = X[:, :2] @ rng.standard_normal((2, 3)) + rng.standard_normal((50, 3))
    a = solve(X, Y, MultiTaskQuadratic(), L21(0.1), tol=1e-12)
    b = solve(X, Y, MultiTaskQuadratic(), L21(0.1), tol=1e-12, solver="fista")
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-6)  # both certified to gap 1e-12
    y = rng.poisson(np.exp(0.5 * X[:, 0])).astype(float)
    c = solve(X, y, Poisson(), L1(0.02), tol=1e-11)
    d = solve(X, y, Poisson(), L1(0.02), tol=1e-11, solver="fista")
    np.testing.assert_allclose(c.coef, d.coef, atol=1e-6)  # both KKT <= 1e-11


def test_weighted_l1_zero_weight_is_unpenalized(synthetic_xy):
    X, y = synthetic_xy
    weights = np.ones(X.shape[1])
    weights[3] = 0.0
    big = 10 * np.max(np.abs(X.T @ (y - y.mean()))) / len(y)  # kills every penalized coef
    res = solve(X, y, Quadratic(), WeightedL1(big, weights), tol=1e-12)
    assert res.certificate_kind == "kkt"
    assert np.count_nonzero(res.coef) == 1 and res.coef[3] != 0
    # the unpenalized coefficient is the simple regression slope
    xc = X[:, 3] - X[:, 3].mean()
    np.testing.assert_allclose(res.coef[3], xc @ (y - y.mean()) / (xc @ xc), atol=1e-10)


def test_convergence_warning_names_certificate_and_tol(breast_cancer_xy):
    X, y = breast_cancer_xy
    with pytest.warns(ConvergenceWarning, match=r"duality gap .* > tol 1\.0e-12"):
        res = solve(X, y, Logistic(), L1(0.001), fit_intercept=False, tol=1e-12, max_iter=1)
    assert not res.converged


def test_warm_start_is_immediate(synthetic_xy):
    X, y = synthetic_xy
    res = solve(X, y, Quadratic(), L1(0.1), tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = solve(X, y, Quadratic(), L1(0.1), tol=1e-10, coef_init=res.coef)
    assert again.n_iter == 0  # certified before any pass
