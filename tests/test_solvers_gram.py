"""The solvers' covariance mode equals the row solvers (numpy only, no Dask needed)."""

import numpy as np
import pytest

from shrinkage.solvers import (
    L1,
    L2,
    ElasticNet,
    GroupLasso,
    Quadratic,
    gram_rows,
    solve,
    solve_gram,
)

PENALTIES = {
    "l1": L1(0.05),
    "l2": L2(0.3),
    "enet": ElasticNet(0.05, 0.5),
    "group": GroupLasso(0.1, [0, 0, 1, 1, 1, 2, 2, 3]),
}


def _centred(X, y):
    Xc, yc = X - X.mean(0), y - y.mean()
    return Xc.T @ Xc, Xc.T @ yc, float(yc @ yc)


@pytest.mark.parametrize("name", list(PENALTIES))
def test_solve_gram_equals_solve(synthetic_xy, name):
    X, y = synthetic_xy
    X = X[:, :8] * [1, 2, 3, 1, 1, 0.5, 1, 1] + 4.0  # offsets: the intercept must come back
    pen = PENALTIES[name]
    ref = solve(X, y, Quadratic(), pen, tol=1e-14)
    got = solve_gram(*_centred(X, y), len(y), pen, x_mean=X.mean(0), y_mean=y.mean(), tol=1e-14)
    assert got.converged and got.certificate_kind == "duality_gap"
    # both certified to a gap of 1e-14: ||w - w*||^2 <= 2 gap / mu (mu >= the ridge part or the
    # smallest eigenvalue of X'X/n, ~0.1 here) gives coefficients within ~5e-7; measured <= 5e-9
    np.testing.assert_allclose(got.coef, ref.coef, atol=1e-6)
    np.testing.assert_allclose(got.intercept, ref.intercept, atol=1e-5)


def test_gram_rows_carry_the_objective(synthetic_xy):
    X, y = synthetic_xy
    xtx, xty, yty = _centred(X, y)
    Xr, yr = gram_rows(xtx, xty, yty, len(y))
    assert Xr.shape == (X.shape[1] + 2, X.shape[1])
    np.testing.assert_allclose(Xr.sum(0), 0, atol=1e-12)  # centred rows: the intercept is 0
    w = np.random.default_rng(1).standard_normal(X.shape[1])
    rows = 0.5 * np.sum((yr - Xr @ w) ** 2) / Xr.shape[0]
    full = 0.5 * (yty - 2 * w @ xty + w @ xtx @ w) / len(y)
    assert abs(rows / full - 1) < 1e-12  # eigendecomposition rounding ~1e-15 relative


def test_solve_gram_refuses_bad_statistics():
    with pytest.raises(ValueError, match="xtx must be"):
        solve_gram(np.eye(3), np.zeros(2), 1.0, 10, L1(0.1))
    with pytest.raises(ValueError, match="NaN or inf"):
        solve_gram(np.full((2, 2), np.nan), np.zeros(2), 1.0, 10, L1(0.1))
