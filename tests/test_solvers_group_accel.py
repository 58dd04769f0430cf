"""Group BCD's accelerations (issue 22): Anderson extrapolation, working-set inner
certificates and lazily computed block Lipschitz constants reach the plain solver's optimum."""

import numpy as np
import pytest

from shrinkage.solvers import GroupLasso, Quadratic, certificate, solve
from shrinkage.solvers._kernels_bcd import bcd_group
from shrinkage.solvers._kernels_lipschitz import group_lipschitz, sym_max_eig_bound

SIZE = 5
TOL = 1e-8  # duality-gap tolerance of every solve below


def _ar1_groups(n, p, rho, seed):
    """Centred AR(1) design (corr(X_j, X_k) = rho^|j-k|), 4 active groups, unit noise."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, p))
    X = Z.copy()
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    w = np.zeros(p)
    w[: 4 * SIZE] = rng.standard_normal(4 * SIZE)
    y = X @ w + rng.standard_normal(n)
    return np.asfortranarray(X - X.mean(0)), y - y.mean()


def _alpha(X, y, fraction):
    norms = np.linalg.norm((X.T @ y).reshape(-1, SIZE), axis=1)
    return fraction * norms.max() / X.shape[0]


def _bcd(X, y, alpha, anderson):
    """Our group BCD kernel with or without Anderson extrapolation; ``(w, cert, stats)``."""
    n, p = X.shape
    w, stats = np.zeros(p), np.zeros(2, np.int64)
    _, cert, _ = bcd_group(
        X, y, w, np.zeros(n), 0.0, np.arange(p), np.arange(0, p + 1, SIZE),
        np.full(p // SIZE, alpha), -np.ones(p // SIZE), 0, TOL, 100_000, True, False, stats, anderson,
    )  # fmt: skip
    return w, cert, stats


def _objective(X, y, w, alpha):
    r = y - X @ w
    return 0.5 * r @ r / len(y) + alpha * np.linalg.norm(w.reshape(-1, SIZE), axis=1).sum()


def _independent_gap(X, y, w, alpha):
    pen = GroupLasso(alpha, np.arange(X.shape[1]) // SIZE, weights=np.ones(X.shape[1] // SIZE))
    value, kind = certificate(X, y, Quadratic(), pen, w, fit_intercept=False)
    assert kind == "duality_gap"
    return value


@pytest.mark.parametrize(
    ("n", "p", "rho", "fraction"),
    [(60, 400, 0.5, 0.05), (300, 60, 0.999, 0.01)],
    ids=["p>>n", "ill-conditioned"],
)
def test_anderson_reaches_the_plain_optimum(n, p, rho, fraction):
    X, y = _ar1_groups(n, p, rho, seed=0)
    alpha = _alpha(X, y, fraction)
    w_acc, cert_acc, stats = _bcd(X, y, alpha, anderson=True)
    w_plain, cert_plain, plain_stats = _bcd(X, y, alpha, anderson=False)
    assert plain_stats.tolist() == [0, 0]
    assert stats[1] > 0  # some extrapolation was kept: the accelerated path really ran
    if rho > 0.99:
        # the point of this case: candidates that would raise the objective are rejected
        # (8 of 19 here), and the solve still reaches the plain optimum
        assert stats[1] < stats[0]
    # both certified; the gap bounds the objective excess, so the objectives agree to 2 TOL,
    # and an independent recomputation of the gap (our public certificate) agrees up to
    # rounding of O(n p) sums (1e-12 relative to the objective, far below TOL)
    assert cert_acc <= TOL and cert_plain <= TOL
    f_acc, f_plain = _objective(X, y, w_acc, alpha), _objective(X, y, w_plain, alpha)
    assert abs(f_acc - f_plain) <= 2 * TOL
    assert _independent_gap(X, y, w_acc, alpha) <= TOL + 1e-12 * f_acc


def test_bcd_matches_fista_on_a_wide_design():
    # the public solver (Anderson on, lazy constants) against our FISTA at the same gap
    # tolerance: both objectives are within TOL of the optimum, so within 2 TOL of each other
    X, y = _ar1_groups(60, 400, 0.5, seed=1)
    alpha = _alpha(X, y, 0.05)
    pen = GroupLasso(alpha, np.arange(400) // SIZE, weights=np.ones(400 // SIZE))
    bcd = solve(X, y, Quadratic(), pen, fit_intercept=False, tol=TOL, solver="bcd")
    fista = solve(X, y, Quadratic(), pen, fit_intercept=False, tol=TOL, solver="fista")
    assert bcd.converged and fista.converged
    assert abs(bcd.objective - fista.objective) <= 2 * TOL
    assert np.count_nonzero(np.linalg.norm(bcd.coef.reshape(-1, SIZE), axis=1)) > 0


@pytest.mark.parametrize("cond", [1.0, 1e6])
def test_jacobi_bound_is_the_largest_eigenvalue(cond):
    rng = np.random.default_rng(2)
    B = rng.standard_normal((40, 7))
    B[:, 0] *= cond
    B[:, 1] = B[:, 2] + 1e-7 * B[:, 1]  # a near-duplicate column
    A = B.T @ B
    exact = np.linalg.eigvalsh(A)[-1]
    bound = sym_max_eig_bound(A.copy())
    # Jacobi and LAPACK both carry rounding of order m * eps * ||A|| (m = 7): 1e-13 relative
    assert exact * (1 - 1e-13) <= bound <= exact * (1 + 1e-13)


def test_lazy_group_constant_equals_the_svd_one():
    rng = np.random.default_rng(3)
    X = np.asfortranarray(rng.standard_normal((50, 12)))
    order = np.array([3, 7, 0, 11, 1, 2, 4, 5, 6, 8, 9, 10])  # groups of 1, 3 and 8 columns
    ptr = np.array([0, 1, 4, 12])
    for k in range(3):
        cols = order[ptr[k] : ptr[k + 1]]
        svd = 0.25 * np.linalg.norm(X[:, cols], 2) ** 2 / 50  # the logistic curvature bound
        # rounding of the Gram block and of the SVD: 1e-13 relative
        assert group_lipschitz(X, order, ptr, k, 0.25) == pytest.approx(svd, rel=1e-13)
