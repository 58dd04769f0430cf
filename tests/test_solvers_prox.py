"""Property tests of every proximal operator (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shrinkage.solvers import L1, L2, L21, ElasticNet, GroupLasso, WeightedL1

finite = st.floats(-1e3, 1e3, allow_nan=False)
alphas = st.floats(0, 10, allow_nan=False)
steps = st.floats(1e-3, 10, allow_nan=False)
P = 7
GROUPS = np.array([0, 0, 1, 1, 1, 2, 3])
vectors = arrays(np.float64, P, elements=finite)
EPS = 1e-9  # float rounding on values up to 1e3


def _penalties(alpha, ratio, weights):
    return [
        L1(alpha),
        L2(alpha),
        ElasticNet(alpha, ratio),
        WeightedL1(alpha, weights),
        GroupLasso(alpha, GROUPS),
    ]


pen_args = (alphas, st.floats(0, 1), arrays(np.float64, P, elements=st.floats(0, 3)))


@settings(max_examples=60, deadline=None)
@given(vectors, alphas, steps)
def test_l1_prox_is_soft_thresholding(v, alpha, step):
    expected = np.sign(v) * np.maximum(np.abs(v) - step * alpha, 0.0)
    np.testing.assert_allclose(L1(alpha).prox(v, step), expected, atol=EPS)
    for j in range(P):
        assert abs(L1(alpha).prox_1d(v[j], step, j) - expected[j]) <= EPS


@settings(max_examples=60, deadline=None)
@given(vectors, vectors, *pen_args, steps)
def test_every_prox_is_nonexpansive(u, v, alpha, ratio, weights, step):
    for pen in _penalties(alpha, ratio, weights):
        d_out = np.linalg.norm(pen.prox(u, step) - pen.prox(v, step))
        assert d_out <= np.linalg.norm(u - v) * (1 + 1e-12) + EPS, pen
    U, V = u[:6].reshape(3, 2), v[:6].reshape(3, 2)
    pen = L21(alpha)
    assert np.linalg.norm(pen.prox(U, step) - pen.prox(V, step)) <= np.linalg.norm(U - V) + EPS


@settings(max_examples=60, deadline=None)
@given(vectors, *pen_args, steps)
def test_prox_minimizes_its_objective(v, alpha, ratio, weights, step):
    # prox(v) minimizes 1/(2 step)||u - v||^2 + g(u): no random perturbation does better
    rng = np.random.default_rng(0)
    for pen in _penalties(alpha, ratio, weights):
        u = pen.prox(v, step)
        best = np.sum((u - v) ** 2) / (2 * step) + pen.value(u)
        for _ in range(5):
            z = u + 1e-3 * rng.standard_normal(P)
            assert best <= np.sum((z - v) ** 2) / (2 * step) + pen.value(z) + 1e-9 * (1 + best)


@settings(max_examples=100, deadline=None)
@given(vectors, alphas, steps)
def test_group_prox_zeroes_group_iff_norm_below_threshold(v, alpha, step):
    pen = GroupLasso(alpha, GROUPS)
    out = pen.prox(v, step)
    for g, idx in pen.blocks():
        threshold = step * alpha * pen.weights[g]
        zeroed = np.all(out[idx] == 0)
        assert zeroed == (np.linalg.norm(v[idx]) <= threshold)


def test_group_prox_at_exact_threshold_is_zero():
    pen = GroupLasso(1.0, np.array([0, 0]), weights=[1.0])
    assert np.all(pen.prox(np.array([0.6, 0.8]), 1.0) == 0)  # norm exactly 1 = threshold


@settings(max_examples=40, deadline=None)
@given(vectors, *pen_args)
def test_subdiff_distance_zero_at_prox_fixed_point(v, alpha, ratio, weights):
    # u = prox(v, 1) satisfies v - u in dg(u), i.e. dist(-(u - v), dg(u)) = 0
    for pen in _penalties(alpha, ratio, weights):
        u = pen.prox(v, 1.0)
        assert np.max(pen.subdiff_distance(u, u - v)) <= 1e-8 * (1 + np.abs(v).max())


def test_alpha_max_gives_zero_solution():
    from shrinkage.solvers import Quadratic, solve

    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 7))
    y = X[:, 0] + rng.standard_normal(40)
    Xc = X - X.mean(0)
    grad0 = -Xc.T @ (y - y.mean()) / 40
    for pen in (L1(1.0), ElasticNet(1.0, 0.5), GroupLasso(1.0, GROUPS)):
        amax = pen.alpha_max(grad0)
        # 1 + 1e-9: at alpha_max exactly the zero test is a tie decided by rounding
        at = solve(X, y, Quadratic(), pen.with_alpha(amax * (1 + 1e-9)), tol=1e-12).coef
        below = solve(X, y, Quadratic(), pen.with_alpha(0.99 * amax), tol=1e-12).coef
        assert np.all(at == 0) and np.any(below != 0)
