"""Out-of-core IRLS (``shrinkage.solvers.irls``) against the in-memory solver and scikit-learn.

Tolerance source: both solvers certify a KKT violation <= 1e-12 (``solve`` a duality gap where it
defines one); on these strongly convex / well-conditioned problems that puts the coefficients
within ~1e-9 of each other, so agreement to 1e-6 (the issue's acceptance) has ample margin.
"""

import numpy as np
import pytest
from sklearn import linear_model as sk

from shrinkage.solvers import L1, L2, ElasticNet, GroupLasso, Logistic, Poisson, solve
from shrinkage.solvers.irls import GLMPass, block_pass, irls, memory_pass

ATOL = 1e-6  # coefficient tolerance, see the module docstring
TOL = 1e-12  # KKT tolerance of both solvers


@pytest.fixture(scope="module")
def glm_data():
    rng = np.random.default_rng(18)
    n, p = 600, 9
    X = rng.standard_normal((n, p))
    X[:, 1] += 0.6 * X[:, 0]  # correlated columns: the inner CD has work to do
    X = (X - X.mean(0)) / X.std(0)
    beta = np.r_[1.0, -0.8, 0.5, np.zeros(p - 3)]
    yl = (rng.random(n) < 1 / (1 + np.exp(-(X @ beta + 0.3)))).astype(float)
    yp = rng.poisson(np.exp(0.5 * X @ beta + 0.2)).astype(float)
    return X, {"logistic": (Logistic(), yl), "poisson": (Poisson(), yp)}


PENALTIES = {
    "l1": L1(0.02),
    "l2": L2(0.05),
    "enet": ElasticNet(0.03, 0.5),
    "group": GroupLasso(0.03, np.repeat(np.arange(3), 3)),
}


@pytest.mark.parametrize("family", ["logistic", "poisson"])
@pytest.mark.parametrize("penalty", list(PENALTIES))
def test_irls_equals_in_memory_solver(glm_data, family, penalty):
    X, data = glm_data
    datafit, y = data[family]
    pen = PENALTIES[penalty]
    ref = solve(X, y, datafit, pen, tol=TOL)
    ours = irls(memory_pass(X, y, datafit), datafit, pen, X.shape[1], tol=TOL, y_mean=y.mean())
    assert ours.converged and ours.certificate <= TOL and ours.certificate_kind == "kkt"
    np.testing.assert_allclose(ours.coef, ref.coef, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ours.intercept, ref.intercept, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ours.objective, ref.objective, rtol=1e-10)  # same optimum
    # one pass per accepted or rejected trial step, plus the starting pass
    assert ours.n_passes >= ours.n_iter + 1
    if penalty in ("l1", "group"):
        assert np.any(ours.coef == 0.0)  # exact zeros, not tiny numbers


def test_irls_logistic_l1_no_intercept_liblinear(breast_cancer_xy):
    X, y = breast_cancer_xy
    alpha = 0.01
    ours = irls(memory_pass(X, y, Logistic()), Logistic(), L1(alpha), X.shape[1],
                fit_intercept=False, tol=TOL)  # fmt: skip
    ref = sk.LogisticRegression(
        C=1 / (len(y) * alpha), l1_ratio=1.0, solver="liblinear", fit_intercept=False, tol=1e-12,
        max_iter=10**5,
    ).fit(X, y)  # fmt: skip
    # liblinear's own stopping rule (tol 1e-12 on its dual) limits agreement to ~1e-7 here
    np.testing.assert_allclose(ours.coef, ref.coef_[0], rtol=0, atol=ATOL)


def test_irls_poisson_l2_sklearn(glm_data):
    X, data = glm_data
    datafit, y = data["poisson"]
    ours = irls(memory_pass(X, y, datafit), datafit, L2(0.01), X.shape[1], tol=TOL)
    # PoissonRegressor(alpha) == Poisson() + L2(alpha) (tests/test_solvers_sklearn.py)
    ref = sk.PoissonRegressor(alpha=0.01, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    ref.fit(X, y)
    np.testing.assert_allclose(ours.coef, ref.coef_, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ours.intercept, ref.intercept_, rtol=0, atol=ATOL)


def test_block_pass_adds_up(glm_data):
    X, data = glm_data
    datafit, y = data["logistic"]
    w, c = np.linspace(-0.5, 0.5, X.shape[1]), 0.2
    whole = block_pass(X, y, w, c, datafit.kind)
    parts = block_pass(X[:250], y[:250], w, c, datafit.kind)
    parts = parts + block_pass(X[250:], y[250:], w, c, datafit.kind)
    assert isinstance(parts, GLMPass) and parts.n == whole.n == X.shape[0]
    eta = X @ w + c
    prob = 1 / (1 + np.exp(-eta))
    # numpy reference of the sums; 1e-12 relative: rounding of sums over 600 rows
    np.testing.assert_allclose(whole.grad, X.T @ (prob - y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(whole.hess, X.T @ (X * (prob * (1 - prob))[:, None]), rtol=1e-12)
    np.testing.assert_allclose(parts.hess, whole.hess, rtol=1e-12)
    np.testing.assert_allclose(parts.loss, whole.loss, rtol=1e-12)


def test_irls_overflowing_step_backtracks():
    # Poisson from a far start: a full Newton step overflows exp(eta); the line search rejects it
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 4))
    y = rng.poisson(np.exp(X[:, 0] + 1.0)).astype(float)
    ours = irls(memory_pass(X, y, Poisson()), Poisson(), L1(0.01), 4, tol=TOL,
                coef_init=[8.0, -8.0, 8.0, -8.0])  # fmt: skip
    ref = solve(X, y, Poisson(), L1(0.01), tol=TOL)
    np.testing.assert_allclose(ours.coef, ref.coef, rtol=0, atol=ATOL)


def test_irls_rejects_bad_input(glm_data):
    X, data = glm_data
    datafit, y = data["logistic"]
    fn = memory_pass(X, y, datafit)
    with pytest.raises(TypeError, match="penalties"):
        irls(fn, datafit, "l1", X.shape[1])
    with pytest.raises(ValueError, match="groups has length"):
        irls(fn, datafit, GroupLasso(0.1, [0, 1]), X.shape[1])
    with pytest.raises(ValueError, match="coef_init"):
        irls(fn, datafit, L1(0.1), X.shape[1], coef_init=[1.0])


def test_irls_warns_when_not_converged(glm_data):
    from sklearn.exceptions import ConvergenceWarning

    X, data = glm_data
    datafit, y = data["poisson"]
    with pytest.warns(ConvergenceWarning, match="KKT violation"):
        res = irls(memory_pass(X, y, datafit), datafit, L1(0.01), X.shape[1], max_iter=1)
    assert not res.converged and res.n_iter == 1
