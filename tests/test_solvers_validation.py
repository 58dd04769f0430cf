"""Bad input raises clear errors."""

import numpy as np
import pytest

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
    solve,
)

rng = np.random.default_rng(0)
X = rng.standard_normal((20, 4))
y = rng.standard_normal(20)


def test_nan_and_inf():
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 non-finite value.*NaN"):
        solve(Xn, y, Quadratic(), L1(0.1))
    yn = y.copy()
    yn[0] = np.inf
    with pytest.raises(ValueError, match=r"y contains .* inf"):
        solve(X, yn, Quadratic(), L1(0.1))


def test_shape_mismatch():
    with pytest.raises(ValueError, match="shape mismatch"):
        solve(X, y[:-1], Quadratic(), L1(0.1))
    with pytest.raises(ValueError, match="2-dimensional"):
        solve(X[:, 0], y, Quadratic(), L1(0.1))
    with pytest.raises(ValueError, match="coef_init has shape"):
        solve(X, y, Quadratic(), L1(0.1), coef_init=np.zeros(3))


def test_non_numeric():
    with pytest.raises(TypeError, match="numeric"):
        solve(X.astype(str), y, Quadratic(), L1(0.1))


@pytest.mark.parametrize(
    "make",
    [
        lambda: L1(-1),
        lambda: L2(-0.1),
        lambda: ElasticNet(-1, 0.5),
        lambda: WeightedL1(-1, np.ones(4)),
        lambda: GroupLasso(-1, [0, 0, 1, 1]),
        lambda: L21(-2),
    ],
)
def test_negative_alpha(make):
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        make()


def test_l1_ratio_outside_unit_interval():
    with pytest.raises(ValueError, match="l1_ratio must lie in"):
        ElasticNet(1.0, 1.5)
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet(1.0, -0.1)


def test_weights():
    with pytest.raises(ValueError, match="weights must be >= 0"):
        WeightedL1(1.0, [1, -1, 1, 1])
    with pytest.raises(ValueError, match="weights has length 3 but there are 4 features"):
        solve(X, y, Quadratic(), WeightedL1(1.0, [1, 1, 1]))


def test_bad_groups():
    with pytest.raises(ValueError, match="groups has length 3 but there are 4 features"):
        solve(X, y, Quadratic(), GroupLasso(0.1, [0, 0, 1]))
    with pytest.raises(TypeError, match="integer labels"):
        GroupLasso(0.1, ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="weights has length 3 but there are 2 groups"):
        GroupLasso(0.1, [0, 0, 1, 1], weights=[1, 1, 1])
    with pytest.raises(ValueError, match="unknown group labels: \\[5\\]"):
        GroupLasso(0.1, [0, 0, 1, 1], weights={0: 1.0, 1: 1.0, 5: 2.0})
    with pytest.raises(ValueError, match="group weights must be >= 0"):
        GroupLasso(0.1, [0, 0, 1, 1], weights=[1.0, -1.0])


def test_logistic_needs_binary_y():
    with pytest.raises(ValueError, match="binary"):
        solve(X, y, Logistic(), L1(0.1))
    with pytest.raises(ValueError, match="single class"):
        solve(X, np.ones(20), Logistic(), L1(0.1))


def test_poisson_needs_counts():
    with pytest.raises(ValueError, match="non-negative integer counts"):
        solve(X, y, Poisson(), L2(0.1))


def test_datafit_penalty_pairing_and_solver_names():
    with pytest.raises(TypeError, match="L21"):
        solve(X, y, Quadratic(), L21(0.1))
    with pytest.raises(TypeError, match="L21"):
        solve(X, np.c_[y, y], MultiTaskQuadratic(), L1(0.1))
    with pytest.raises(ValueError, match="solver must be one of"):
        solve(X, y, Quadratic(), L1(0.1), solver="newton")
    with pytest.raises(ValueError, match="separable"):
        solve(X, y, Quadratic(), GroupLasso(0.1, [0, 0, 1, 1]), solver="cd")
    with pytest.raises(ValueError, match="tol must be"):
        solve(X, y, Quadratic(), L1(0.1), tol=-1)
    with pytest.raises(TypeError, match="datafit"):
        solve(X, y, "quadratic", L1(0.1))
