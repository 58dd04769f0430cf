"""Tests of the Gibbs backend's numeric core (shrinkage.inference.gibbs.core)."""

import time

import numpy as np
import pytest
from arviz_stats.base import array_stats

from shrinkage.inference.gibbs.core import gibbs_sample
from shrinkage.inference.linear_gaussian import LinearGaussian, draw_bhattacharya, draw_rue


def _standardized(rng, n, p):
    X = rng.standard_normal((n, p))
    return (X - X.mean(0)) / X.std(0)


def _assert_gaussian(draws, mean, cov, z_mean=4.0, z_cov=4.5):
    """Sample mean / covariance of iid draws vs N(mean, cov), in Monte Carlo standard errors.

    SE of a mean: sqrt(cov_jj / N); SE of a covariance entry: sqrt((S_ii S_jj + S_ij^2) / N)
    (Gaussian fourth moments). z_cov is 4.5 because up to p^2 = 900 entries are compared.
    """
    N = draws.shape[0]
    se_mean = np.sqrt(np.diag(cov) / N)
    assert np.all(np.abs(draws.mean(0) - mean) < z_mean * se_mean)
    d = np.diag(cov)
    se_cov = np.sqrt((np.outer(d, d) + cov**2) / N)
    assert np.all(np.abs(np.cov(draws.T) - cov) < z_cov * se_cov)


def _posterior(X, y, d, sigma):
    A = X.T @ X + np.diag(1.0 / d)
    cov = sigma**2 * np.linalg.inv(A)
    return np.linalg.solve(A, X.T @ y), cov


@pytest.mark.parametrize("n, p", [(40, 6), (12, 30)])
def test_linear_algebra_draws_match_analytic(rng, n, p):
    X, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    d, sigma = rng.exponential(size=p), 0.7
    mean, cov = _posterior(X, y, d, sigma)
    N = 20000
    rue = np.array([draw_rue(X.T @ X, X.T @ y, d, sigma, rng) for _ in range(N)])
    bha = np.array([draw_bhattacharya(X, y, d, sigma, rng) for _ in range(N)])
    _assert_gaussian(rue, mean, cov)
    _assert_gaussian(bha, mean, cov)


@pytest.mark.parametrize("method", ["rue", "bhattacharya"])
def test_marginal_terms_exact(rng, method):
    # log det M and Q = y'M^{-1}y against dense numpy; 1e-9 is floating-point error only
    n, p = 15, 25
    X, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    d0, g = rng.exponential(size=p), 0.3
    fac = LinearGaussian(X, y, method=method).kernel(d0).factor(g)
    M = np.eye(n) + g * (X * d0) @ X.T
    assert fac.logdet == pytest.approx(np.linalg.slogdet(M)[1], rel=1e-9)
    assert fac.quad == pytest.approx(y @ np.linalg.solve(M, y), rel=1e-9)


def test_nearly_flat_columns_take_the_woodbury_path(rng):
    # 3 of 25 prior variances 1e7 (g d0 = 3e6 > FLAT_RATIO): kept out of the kernel
    n, p = 15, 25
    X, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    d0, g = rng.exponential(size=p), 0.3
    d0[[2, 9, 20]] = 1e7
    fac = LinearGaussian(X, y).kernel(d0, g_hint=g).factor(g)
    assert sorted(fac.kernel.flat) == [2, 9, 20]
    M = np.eye(n) + g * (X * d0) @ X.T
    # dense reference: solve / slogdet of M with condition ~1e8, relative error ~1e8 * 1e-16
    assert fac.logdet == pytest.approx(np.linalg.slogdet(M)[1], rel=1e-7)
    assert fac.quad == pytest.approx(y @ np.linalg.solve(M, y), rel=1e-7)
    sigma, N = 0.7, 20000
    draws = np.array([fac.draw(sigma, rng) for _ in range(N)])
    _assert_gaussian(draws, *_posterior(X, y, g * d0, sigma))


def test_flat_limit_where_plain_cholesky_fails(rng):
    # g d0 = 1e17 on two columns: I + g X D0 X' is numerically singular (plain Cholesky fails),
    # the Woodbury form gives the flat-prior limit, which is off by O(1/(g d0)) = 1e-17
    n, p = 15, 25
    X, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    d0 = rng.exponential(size=p)
    d0[[4, 11]] = 1e17
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(np.eye(n) + (X * d0) @ X.T)
    fac = LinearGaussian(X, y).kernel(d0).factor(1.0)
    bulk = np.setdiff1d(np.arange(p), [4, 11])
    Ms = np.eye(n) + (X[:, bulk] * d0[bulk]) @ X[:, bulk].T
    Xb = X[:, [4, 11]]
    Mi = np.linalg.inv(Ms)
    proj = Mi - Mi @ Xb @ np.linalg.solve(Xb.T @ Mi @ Xb, Xb.T @ Mi)
    # well-conditioned dense reference (condition ~1e2): float rounding only
    assert fac.quad == pytest.approx(y @ proj @ y, rel=1e-9)
    logdet = np.linalg.slogdet(Ms)[1] + np.linalg.slogdet(Xb.T @ Mi @ Xb)[1] + 2 * np.log(1e17)
    assert fac.logdet == pytest.approx(logdet, rel=1e-9)
    beta = fac.draw(0.5, rng)
    # the flat columns' posterior is N(O(1) mean, sd ~ sigma / ||x_j|| ~ 0.1): 1e3 is far out;
    # the plain form's u_B ~ sigma sqrt(g d0) ~ 1.6e8 would leave a residue of that size
    assert np.all(np.isfinite(beta)) and np.abs(beta).max() < 1e3


@pytest.mark.parametrize("n, p", [(50, 5), (15, 30)])
def test_gaussian_prior_fixed_sigma_matches_conjugate_posterior(rng, n, p):
    X = _standardized(rng, n, p)
    y = X[:, 0] - 0.5 * X[:, 1] + rng.standard_normal(n) + 3.0
    scale, sigma = 0.6, 0.8
    res = gibbs_sample(X, y, "gaussian", draws=3000, tune=10, chains=2, random_seed=1,
                       prior_params={"scale": scale}, fixed_sigma=sigma, n_jobs=1)  # fmt: skip
    mean, cov = _posterior(X, y - y.mean(), np.full(p, scale**2 / sigma**2), sigma)
    # with sigma and the scales fixed every sweep is an independent exact draw
    _assert_gaussian(res["beta"].reshape(-1, p), mean, cov)
    icpt = res["intercept"].ravel()
    se = sigma / np.sqrt(n) / np.sqrt(icpt.size)  # intercept ~ N(mean(y), sigma^2/n) here
    assert abs(icpt.mean() - y.mean()) < 4 * se
    assert np.allclose(res["sigma"], sigma)


def _reference_bayesian_lasso(X, y, lam, draws, rng):
    """Park & Casella's original three-block Gibbs sampler (centred X and y)."""
    n, p = X.shape
    XtX, Xty = X.T @ X, X.T @ y
    beta, t, sigma2 = np.zeros(p), np.ones(p), float(np.var(y))
    out = []
    for it in range(2 * draws):
        A = XtX + np.diag(1.0 / t)
        L = np.linalg.cholesky(A)
        mean = np.linalg.solve(A, Xty)
        beta = mean + np.sqrt(sigma2) * np.linalg.solve(L.T, rng.standard_normal(p))
        resid = y - X @ beta
        rate = 0.5 * (resid @ resid + beta @ (beta / t))
        sigma2 = rate / rng.gamma(0.5 * (n - 1 + p))
        t = 1.0 / rng.wald(np.sqrt(lam**2 * sigma2) / np.abs(beta), lam**2)
        if it >= draws:
            out.append(beta)
    return np.array(out)


def test_bayesian_lasso_diabetes_matches_reference_gibbs(rng):
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)  # as shipped: centred, unit-norm columns
    lam = 0.237  # Park & Casella (2008), marginal maximum likelihood
    res = gibbs_sample(X, y, "bayesian_lasso", draws=2000, tune=300, chains=2, random_seed=3,
                       prior_params={"lasso_lambda": lam}, n_jobs=1)  # fmt: skip
    ours = res["beta"]
    ref = _reference_bayesian_lasso(X - X.mean(0), y - y.mean(), lam, 4000, rng)
    ess_ours = array_stats.ess(np.moveaxis(ours, -1, 0), method="bulk")
    ess_ref = array_stats.ess(np.moveaxis(ref[None], -1, 0), method="bulk")
    sd = ref.std(0)
    # SE of a median ~ 1.2533 sd / sqrt(ESS); compare at 4 combined standard errors
    se = 1.2533 * sd * np.sqrt(1 / ess_ours + 1 / ess_ref)
    med_ours = np.median(ours.reshape(-1, X.shape[1]), 0)
    assert np.all(np.abs(med_ours - np.median(ref, 0)) < 4 * se)
    # the published picture: bmi (2) and ltg (8) are the largest positive effects, and the
    # lasso shrinks every coefficient towards zero relative to least squares
    assert np.argsort(med_ours)[-2:].tolist() in ([2, 8], [8, 2])
    ols = np.linalg.lstsq(X - X.mean(0), y - y.mean(), rcond=None)[0]
    assert np.sum(np.abs(med_ours)) < np.sum(np.abs(ols))
    assert res["intercept"].mean() == pytest.approx(y.mean(), abs=4 * 55 / np.sqrt(442 * 4000))


def _quadrature_horseshoe_mean(X, y, grid):
    """Posterior mean of beta (p=2) and of log tau under the horseshoe with Jeffreys sigma^2.

    Integrates beta and sigma^2 out in closed form (log p(y|scales) = -log det M / 2
    - (n-1)/2 log Q) and sums over a grid of (log lam_1, log lam_2, log tau).
    """
    n = len(y)
    a, b, c = np.meshgrid(grid, grid, grid, indexing="ij")
    v1, v2 = np.exp(2 * (a + c)), np.exp(2 * (b + c))
    XtX, Xty = X.T @ X, X.T @ y
    # A = X'X + diag(1/v): explicit 2x2 inverse
    a11, a22, a12 = XtX[0, 0] + 1 / v1, XtX[1, 1] + 1 / v2, XtX[0, 1]
    det = a11 * a22 - a12**2
    m1 = (a22 * Xty[0] - a12 * Xty[1]) / det
    m2 = (a11 * Xty[1] - a12 * Xty[0]) / det
    quad = y @ y - (Xty[0] * m1 + Xty[1] * m2)
    logdet_M = np.log(det) + np.log(v1) + np.log(v2)  # det(I + X V X') = det(A) det(V)

    def log_hc(x):  # C+(0, 1) density of exp(x) times the Jacobian exp(x)
        return x - np.log1p(np.exp(2 * x))

    lw = -0.5 * logdet_M - 0.5 * (n - 1) * np.log(quad) + log_hc(a) + log_hc(b) + log_hc(c)
    w = np.exp(lw - lw.max())
    w /= w.sum()
    return np.array([np.sum(w * m1), np.sum(w * m2)]), np.sum(w * c)


def test_horseshoe_matches_quadrature(rng):
    n = 12
    X = _standardized(rng, n, 2)
    y = 0.8 * X[:, 0] + rng.standard_normal(n)
    beta_mean, logtau_mean = _quadrature_horseshoe_mean(X, y - y.mean(), np.linspace(-14, 10, 161))
    res = gibbs_sample(X, y, "horseshoe", draws=2500, tune=200, chains=2, random_seed=5, n_jobs=1)
    logtau = np.log(res["tau"])
    for draws, target in [(res["beta"][..., 0], beta_mean[0]), (res["beta"][..., 1], beta_mean[1]),
                          (logtau, logtau_mean)]:  # fmt: skip
        # Monte Carlo SE of a mean: sd / sqrt(bulk ESS)
        se = draws.std() / np.sqrt(array_stats.ess(draws, method="mean"))
        assert abs(draws.mean() - target) < 4 * se


PRIOR_KEYS = {
    "gaussian": set(),
    "laplace": set(),
    "elastic_net": set(),
    "bayesian_lasso": {"lasso_lambda"},
    "horseshoe": {"tau", "lam", "slice_evals"},
    "regularized_horseshoe": {"tau", "lam", "c2", "slice_evals"},
    "group_lasso": {"lasso_lambda"},
    "group_horseshoe": {"tau", "lam", "slice_evals"},
    "horseshoe_plus": {"tau", "lam", "slice_evals"},
}


@pytest.mark.parametrize("prior", sorted(PRIOR_KEYS))
@pytest.mark.parametrize("n, p", [(30, 8), (10, 16)])
def test_every_prior_returns_documented_arrays(rng, prior, n, p):
    X = _standardized(rng, n, p)
    y = X[:, 0] + rng.standard_normal(n)
    groups = np.arange(p) // 4 if prior.startswith("group") else None
    res = gibbs_sample(X, y, prior, draws=15, tune=5, chains=2, random_seed=0, groups=groups,
                       n_jobs=1)  # fmt: skip
    assert set(res) == {"beta", "intercept", "sigma", "log_likelihood"} | PRIOR_KEYS[prior]
    assert res["beta"].shape == (2, 15, p)
    assert res["log_likelihood"].shape == (2, 15, n)
    for key in ("intercept", "sigma", "tau", "c2", "lasso_lambda", "slice_evals"):
        if key in res:
            assert res[key].shape == (2, 15)
    if "lam" in res:
        assert res["lam"].shape == (2, 15, p // 4 if prior == "group_horseshoe" else p)
    assert all(np.all(np.isfinite(v)) for v in res.values())
    assert np.all(res["sigma"] > 0)


def test_log_likelihood_is_pointwise_gaussian(rng):
    X = _standardized(rng, 20, 3)
    y = rng.standard_normal(20)
    res = gibbs_sample(X, y, "gaussian", draws=3, tune=0, chains=1, random_seed=0)
    c, b, s = res["intercept"][0, 1], res["beta"][0, 1], res["sigma"][0, 1]
    from scipy.stats import norm

    expected = norm.logpdf(y, loc=c + X @ b, scale=s)
    assert np.allclose(res["log_likelihood"][0, 1], expected, rtol=1e-12)


def test_reproducible_and_parallel_equals_sequential(rng):
    X = _standardized(rng, 25, 10)
    y = X[:, 0] + rng.standard_normal(25)
    a = gibbs_sample(X, y, "horseshoe", draws=20, tune=5, chains=2, random_seed=7, n_jobs=1)
    b = gibbs_sample(X, y, "horseshoe", draws=20, tune=5, chains=2, random_seed=7, n_jobs=2)
    assert np.array_equal(a["beta"], b["beta"]) and np.array_equal(a["tau"], b["tau"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"prior": "ridge"}, "unknown prior"),
        ({"prior": "group_lasso"}, "needs `groups`"),
        ({"prior": "group_horseshoe", "groups": [0, 1]}, "one label per column"),
        ({"prior": "horseshoe", "prior_params": {"global_scale": -1.0}}, "global_scale"),
        ({"prior": "laplace", "prior_params": {"b": 0.0}}, "b must be > 0"),
        ({"prior": "bayesian_lasso", "prior_params": {"lasso_lambda": -0.2}}, "lasso_lambda"),
        ({"prior": "horseshoe", "prior_params": {"slab_df": 4}}, "unknown prior_params"),
        ({"prior": "horseshoe", "prior_params": {"local_sweeps": 0}}, "local_sweeps"),
        ({"prior": "gaussian", "fixed_sigma": -1.0}, "fixed_sigma"),
        ({"prior": "gaussian", "draws": 0}, "draws"),
        ({"prior": "horseshoe", "groups": [0, 0, 1, 1]}, "takes no groups"),
    ],
)
def test_bad_inputs_raise(rng, kwargs, match):
    X = _standardized(rng, 10, 4)
    with pytest.raises(ValueError, match=match):
        gibbs_sample(X, rng.standard_normal(10), **kwargs)


def test_bad_data_raise(rng):
    X = _standardized(rng, 10, 4)
    with pytest.raises(ValueError, match="shape mismatch"):
        gibbs_sample(X, np.zeros(9), "gaussian")
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gibbs_sample(X, np.zeros(10), "gaussian")


@pytest.mark.slow
def test_horseshoe_sparse_mixes_and_recovers_signals():
    rng = np.random.default_rng(0)
    n, p = 100, 200
    X = _standardized(rng, n, p)
    truth = np.zeros(p)
    truth[:5] = [3.0, -2.5, 2.0, -1.5, 1.5]
    y = X @ truth + rng.standard_normal(n)
    start = time.perf_counter()
    res = gibbs_sample(X, y, "horseshoe", draws=1000, tune=1000, chains=4, random_seed=0,
                       sigma_prior="halfnormal")  # fmt: skip
    wall = time.perf_counter() - start
    ary = np.moveaxis(np.concatenate([res["beta"], res["tau"][..., None]], -1), -1, 0)
    rhat = array_stats.rhat(ary)
    ess = array_stats.ess(ary, method="bulk")
    print(f"wall {wall:.1f} s, max rhat {rhat.max():.4f}, min ESS {ess.min():.0f}, "
          f"ESS tau {ess[-1]:.0f}")  # fmt: skip
    assert rhat.max() <= 1.01  # the convergence threshold of Vehtari et al. (2021)
    lo, med, hi = np.quantile(res["beta"].reshape(-1, p), [0.025, 0.5, 0.975], axis=0)
    # signals: 95% intervals exclude 0 and cover the truth; OLS-oracle SE is ~0.1, so a
    # median within 0.5 (5 SE) of the truth is "recovered"
    assert np.all((lo[:5] > 0) | (hi[:5] < 0))
    assert np.all((lo[:5] < truth[:5]) & (truth[:5] < hi[:5]))
    assert np.all(np.abs(med[:5] - truth[:5]) < 0.5)
    assert np.max(np.abs(med[5:])) < 0.3  # noise coefficients shrunk (5 SE of ~0.06 at most)


def _log_hc(x):  # C+(0, 1) density of exp(x) times the Jacobian exp(x)
    return x - np.log1p(np.exp(2 * x))


def _log_hsp(x):  # horseshoe+ density of exp(x), 4 x / (pi^2 (e^{2x} - 1)), times exp(x)
    safe = np.where(x == 0, 1.0, x)  # the removable singularity at lam = 1: the limit is 1/2
    return np.log(np.where(x == 0, 0.5, safe / np.expm1(2 * safe))) + x


def _scale_grid(prior, g):
    """(v1, v2, log prior weight) on a grid of log-scales for p = 2, fixed sigma = 1.

    v_j is the prior variance of beta_j (sigma = 1, so sigma-scaling is immaterial).
    """
    if prior == "laplace":  # t_j ~ Exp(rate 1/(2 b^2)), b = 0.5
        a, b = np.meshgrid(g, g, indexing="ij")
        rate = 1 / (2 * 0.5**2)
        return np.exp(a), np.exp(b), a + b - rate * (np.exp(a) + np.exp(b))
    if prior == "bayesian_lasso":  # t_j ~ Exp(rate lambda^2 / 2), lambda = 2
        a, b = np.meshgrid(g, g, indexing="ij")
        return np.exp(a), np.exp(b), a + b - 2.0 * (np.exp(a) + np.exp(b))
    if prior == "group_lasso":  # one group of 2: t ~ Gamma(3/2, rate lambda^2 w^2 / 2)
        rate = 1.5**2 * 2 / 2  # lambda = 1.5, w^2 = group size 2
        return np.exp(g), np.exp(g), 1.5 * g - rate * np.exp(g)
    if prior == "group_horseshoe":  # one group: v = tau^2 lam^2
        a, c = np.meshgrid(g, g, indexing="ij")
        v = np.exp(2 * (a + c))
        return v, v, _log_hc(a) + _log_hc(c)
    if prior == "horseshoe_plus":  # v_j = tau^2 lam_j^2, over (log lam1, log lam2, log tau)
        a, b, c = np.meshgrid(g, g, g, indexing="ij", sparse=True)
        return np.exp(2 * (a + c)), np.exp(2 * (b + c)), _log_hsp(a) + _log_hsp(b) + _log_hc(c)
    # regularized horseshoe: grid over (log lam1, log lam2, log tau, log c2), slab_df = 4,
    # slab_scale = 1: c2 ~ InvGamma(2, 2)
    a, b, c, d = np.meshgrid(g, g, g, g, indexing="ij", sparse=True)
    v1 = 1 / (np.exp(-2 * (a + c)) + np.exp(-d))
    v2 = 1 / (np.exp(-2 * (b + c)) + np.exp(-d))
    return v1, v2, _log_hc(a) + _log_hc(b) + _log_hc(c) - 2 * d - 2 * np.exp(-d)


QUAD_CASES = {
    "laplace": ({"b": 0.5}, None),
    "bayesian_lasso": ({"lasso_lambda": 2.0}, None),
    "group_lasso": ({"lasso_lambda": 1.5}, [0, 0]),
    "group_horseshoe": ({}, [0, 0]),
    "regularized_horseshoe": ({"slab_scale": 1.0}, None),
    "horseshoe_plus": ({}, None),
}


@pytest.mark.parametrize("prior", sorted(QUAD_CASES))
def test_fixed_sigma_posterior_mean_matches_quadrature(rng, prior):
    n = 12
    X = _standardized(rng, n, 2)
    y = 0.8 * X[:, 0] + rng.standard_normal(n)
    yc = y - y.mean()
    coarse = prior in ("regularized_horseshoe", "horseshoe_plus")  # 4-D, 3-D grids
    grid = np.linspace(-12, 6, 37 if coarse else 241)
    v1, v2, lprior = _scale_grid(prior, grid)
    XtX, Xty = X.T @ X, X.T @ yc
    a11, a22, a12 = XtX[0, 0] + 1 / v1, XtX[1, 1] + 1 / v2, XtX[0, 1]
    det = a11 * a22 - a12**2
    m1 = (a22 * Xty[0] - a12 * Xty[1]) / det
    m2 = (a11 * Xty[1] - a12 * Xty[0]) / det
    quad = yc @ yc - (Xty[0] * m1 + Xty[1] * m2)
    lw = -0.5 * (np.log(det) + np.log(v1) + np.log(v2)) - 0.5 * quad + lprior  # sigma = 1
    w = np.exp(lw - lw.max())
    w /= w.sum()
    expected = [np.sum(w * m1), np.sum(w * m2)]
    params, groups = QUAD_CASES[prior]
    res = gibbs_sample(X, y, prior, draws=2500, tune=200, chains=2, random_seed=5, n_jobs=1,
                       fixed_sigma=1.0, prior_params=params, groups=groups)  # fmt: skip
    for j in range(2):
        draws = res["beta"][..., j]
        # Monte Carlo SE of a mean: sd / sqrt(ESS)
        se = draws.std() / np.sqrt(array_stats.ess(draws, method="mean"))
        assert abs(draws.mean() - expected[j]) < 4 * se, (draws.mean(), expected[j], se)


def test_elastic_net_posterior_mean_matches_quadrature_over_beta(rng):
    """The elastic-net mixture (Laplace mixture times a Gaussian factor) has the right target.

    Independent of the mixture: quadrature over (beta_1, beta_2) of
    ``exp(-|y - X beta|^2/2 - |beta|_1/b - |beta|^2/(2 t^2))`` at fixed sigma = 1.
    """
    n, b, t = 12, 0.4, 0.7
    X = _standardized(rng, n, 2)
    y = 0.8 * X[:, 0] + rng.standard_normal(n)
    yc = y - y.mean()
    g = np.linspace(-3, 3, 601)  # posterior sd ~0.25: the grid spans > 10 sd, step 0.01
    b1, b2 = np.meshgrid(g, g, indexing="ij")
    r = yc[:, None, None] - X[:, 0, None, None] * b1 - X[:, 1, None, None] * b2
    lp = -0.5 * np.sum(r**2, axis=0) - (abs(b1) + abs(b2)) / b - (b1**2 + b2**2) / (2 * t**2)
    w = np.exp(lp - lp.max())
    w /= w.sum()
    expected = [np.sum(w * b1), np.sum(w * b2)]
    res = gibbs_sample(X, y, "elastic_net", draws=2500, tune=200, chains=2, random_seed=5,
                       n_jobs=1, fixed_sigma=1.0, prior_params={"b": b, "t": t})  # fmt: skip
    for j in range(2):
        draws = res["beta"][..., j]
        # Monte Carlo SE of a mean: sd / sqrt(ESS); the grid error is far below it
        se = draws.std() / np.sqrt(array_stats.ess(draws, method="mean"))
        assert abs(draws.mean() - expected[j]) < 4 * se, (draws.mean(), expected[j], se)


def _scale_block_chain(prior, data, sig, sweeps, rng):
    """Iterate only the global-scale step (tau | sigma, sigma | tau, the joint line move)."""
    out = []
    for _ in range(sweeps):
        prior.step(data, sig, rng)
        out.append((np.log(prior.tau), np.log(sig.sigma2)))
    return np.array(out)


@pytest.mark.parametrize("sigma_scaled", [False, True])
def test_tau_sigma_block_matches_quadrature(rng, sigma_scaled):
    """With lam fixed, the tau / sigma updates target p(tau, sigma^2 | lam, y) exactly.

    Reference: 2-D quadrature over (log tau, log sigma^2) of -N w/2 - log det M/2 - Q e^{-w}/2
    + log p(w) + log p(log tau | sigma) with M = I + tau^2 e^{-w} X diag(lam^2) X'
    (HalfNormal sigma, so sigma does not integrate out and the line move is used). Checked to
    fail: dropping the Jacobian log tau from the line move's target gives z ~ 10 on log tau.
    """
    from shrinkage.inference.gibbs.core import _drop_intercept
    from shrinkage.inference.gibbs.horseshoe import HorseshoeUpdates, _log_halfcauchy
    from shrinkage.inference.gibbs.sigma import Sigma

    n, p = 15, 25
    X = _standardized(rng, n, p)
    y = 0.8 * X[:, 0] + rng.standard_normal(n)
    data = LinearGaussian(*_drop_intercept(X, y - y.mean()))
    lam = np.abs(rng.standard_cauchy(p))
    params = {"global_scale": 1.0, "sigma_scaled": sigma_scaled}

    # quadrature on a (log tau, log sigma^2) grid
    kern = data.kernel(lam**2)
    lt, w = np.meshgrid(np.linspace(-12, 5, 171), np.linspace(-6, 3, 91), indexing="ij")
    logpost = np.empty(lt.shape)
    for idx in np.ndindex(lt.shape):
        fac = kern.factor(np.exp(2 * lt[idx] - w[idx]))
        s2 = np.exp(w[idx])
        scale = np.sqrt(s2) if sigma_scaled else 1.0
        logpost[idx] = (-0.5 * data.n * w[idx] - 0.5 * fac.logdet - 0.5 * fac.quad / s2
                        - s2 / 2 + 0.5 * w[idx]  # HalfNormal(1) on sigma, in log sigma^2
                        + _log_halfcauchy(np.exp(lt[idx]), scale) + lt[idx])  # fmt: skip
    wts = np.exp(logpost - logpost.max())
    wts /= wts.sum()
    ref = np.array([np.sum(wts * lt), np.sum(wts * w)])

    prior = HorseshoeUpdates(p, None, params)
    prior.init(rng)
    prior.lam = lam
    sig = Sigma(data.n, "halfnormal", 1.0, None)
    sig.sigma2 = 1.0
    chains = np.stack([_scale_block_chain(prior, data, sig, 3000, rng)[200:] for _ in range(2)])
    for k in range(2):
        draws = chains[..., k]
        # Monte Carlo SE of a mean: sd / sqrt(bulk ESS); 4 SE
        se = draws.std() / np.sqrt(array_stats.ess(draws, method="mean"))
        assert abs(draws.mean() - ref[k]) < 4 * se, (k, draws.mean(), ref[k], se)


def test_regularized_tau_slab_moves_match_quadrature(rng):
    """The (tau, c^2) line move targets p(tau, c^2 | lam, sigma, y).

    Fixed sigma and lam, beta integrated out; reference: 2-D quadrature over (log tau, log c^2)
    of -log det M/2 - Q/(2 sigma^2) + log p(log tau | sigma) + log p(log c^2). The line move
    is paired with a c^2-alone slice step written out here from that formula (the sampler
    moves c^2 given beta instead). Checked to fail: leaving the slab prior out of the line
    move's target gives z > 100 on log tau.
    """
    from shrinkage.inference.gibbs.core import _drop_intercept
    from shrinkage.inference.gibbs.horseshoe import RegularizedHorseshoeUpdates
    from shrinkage.inference.gibbs.sigma import Sigma
    from shrinkage.inference.gibbs.updates import slice_sample

    n, p, sigma2 = 15, 25, 0.5
    X = _standardized(rng, n, p)
    y = 2.0 * X[:, 0] + np.sqrt(sigma2) * rng.standard_normal(n)
    data = LinearGaussian(*_drop_intercept(X, y - y.mean()))
    lam = np.abs(rng.standard_cauchy(p))
    params = {"global_scale": 0.5, "slab_scale": 1.0, "slab_df": 4.0, "sigma_scaled": True,
              "slab_sigma_scaled": False, "local_sweeps": 1}  # fmt: skip
    prior = RegularizedHorseshoeUpdates(p, None, params)
    a, b = prior._slab(sigma2)

    def c2_alone(x):
        fac = data.kernel(1 / (1 / (prior.tau**2 * lam**2) + np.exp(-x)) / sigma2).factor(1.0)
        return -0.5 * fac.logdet - 0.5 * fac.quad / sigma2 - a * x - b * np.exp(-x), None

    lt, lc = np.meshgrid(np.linspace(-9, 16, 251), np.linspace(-6, 12, 181), indexing="ij")
    logpost = np.empty(lt.shape)
    for idx in np.ndindex(lt.shape):
        tau2, c2 = np.exp(2 * lt[idx]), np.exp(lc[idx])
        fac = data.kernel(1 / (1 / (tau2 * lam**2) + 1 / c2) / sigma2).factor(1.0)
        scale = 0.5 * np.sqrt(sigma2)
        logpost[idx] = (-0.5 * fac.logdet - 0.5 * fac.quad / sigma2
                        - np.log1p(tau2 / scale**2) + lt[idx]  # C+(0, scale), log coords
                        - a * lc[idx] - b / c2)  # InvGamma(a, b), log coords  # fmt: skip
    wts = np.exp(logpost - logpost.max())
    wts /= wts.sum()
    ref = np.array([np.sum(wts * lt), np.sum(wts * lc)])

    chains = []
    for _ in range(2):
        prior.init(rng)
        prior.lam = lam
        sig = Sigma(data.n, "halfnormal", 1.0, sigma2)
        out = []
        for _ in range(3000):
            prior.c2 = float(np.exp(slice_sample(c2_alone, np.log(prior.c2), 1.0, rng)[0]))
            prior._kern = data.kernel(prior._sweep_d0())
            prior._tau_step(sig, rng)  # the (tau, c^2) line
            out.append((np.log(prior.tau), np.log(prior.c2)))
        chains.append(np.array(out)[200:])
    chains = np.stack(chains)
    for k in range(2):
        draws = chains[..., k]
        # Monte Carlo SE of a mean: sd / sqrt(bulk ESS); 4 SE
        se = draws.std() / np.sqrt(array_stats.ess(draws, method="mean"))
        assert abs(draws.mean() - ref[k]) < 4 * se, (k, draws.mean(), ref[k], se)


def test_noise_scale_move_target_matches_brute_force(rng):
    """The move's 1-D target against the extended density written out along its path.

    Path: ``tau e^{a/2}``, ``lam_L e^{-a/2}``, ``beta_S e^{a/2}``; target = log p(tau, lam_L,
    beta, y) (``log tau`` and ``log lam`` coordinates) with ``sigma`` integrated by adaptive
    quadrature, times the selection probability of ``L``, plus the Jacobian ``|S| a/2`` of the
    map on ``beta_S``.
    """
    from scipy import integrate, stats

    from shrinkage.inference.gibbs.horseshoe import HorseshoeUpdates
    from shrinkage.inference.gibbs.sigma import Sigma

    n, p = 8, 30
    X, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    prior = HorseshoeUpdates(p, None, HorseshoeUpdates.defaults | {"sigma_scaled": False})
    prior.init(rng)
    beta = 0.3 * rng.standard_normal(p)
    sig = Sigma(n + 1, "halfnormal", 1.5, None)  # the extra row: Normal intercept's residual
    sig.sigma2, sig.e2 = 0.5, 0.2
    held = np.zeros(p, dtype=bool)
    held[[1, 7, 8, 20]] = True
    logp, in_s, _ = prior.noise_scale_target(LinearGaussian(X, y), beta, sig, held)
    assert np.array_equal(in_s, ~held)
    m = p
    k = min(20, m / 2)
    c = np.tan(np.pi / 2 * (1 - k / m))  # the C+(0, 1) quantile 1 - k/m

    def brute(a):
        tau = prior.tau * np.exp(a / 2)
        lam = np.where(held, prior.lam * np.exp(-a / 2), prior.lam)
        b = np.where(held, beta, beta * np.exp(a / 2))
        resid = np.append(y - X @ b, np.sqrt(sig.e2))

        def lik(s):
            return np.exp(
                stats.norm.logpdf(resid, scale=s).sum() + stats.halfnorm.logpdf(s, 0, 1.5)
            )

        log_m = np.log(integrate.quad(lik, 0, np.inf, epsabs=0, epsrel=1e-12, limit=200)[0])
        lp = stats.halfcauchy.logpdf(tau, scale=prior.params["global_scale"]) + np.log(tau)
        lp += np.sum(stats.halfcauchy.logpdf(lam) + np.log(lam))
        lp += stats.norm.logpdf(b, scale=tau * lam).sum()
        pi = lam**2 / (lam**2 + c**2)
        lp += np.sum(np.where(held, np.log(pi), np.log1p(-pi)))
        return lp + log_m + in_s.sum() * a / 2

    for a in (-1.0, -0.3, 0.4, 1.2):
        # quad to 1e-12 relative; the move's 81-point trapezoid on a smooth integrand is
        # accurate to far below 1e-8 (spacing ~1/4 of the integrand's width)
        assert logp(a)[0] - logp(0.0)[0] == pytest.approx(brute(a) - brute(0.0), abs=1e-8)


@pytest.mark.parametrize("n_rows, b, scale", [(200, 40.0, 1.0), (5, 2.0, 0.5), (3, 3.0, 0.7)])
def test_halfnormal_sigma_draw_is_the_gig(n_rows, b, scale):
    # the rejection draw against scipy's GIG(lambda=(1-N)/2, a=1/s^2, b), 20000 draws each,
    # two-sample KS p-value > 1e-3 (false alarm rate 1e-3 per case). Checked to fail without
    # the tilt (accepting every proposal) on the last two cases, where x / s^2 is large
    from scipy import stats

    from shrinkage.inference.gibbs.sigma import _draw_gig_halfnormal

    rng = np.random.default_rng(4)
    draws = [_draw_gig_halfnormal(n_rows, b, scale, rng) for _ in range(20000)]
    lam, a = 0.5 * (1 - n_rows), 1 / scale**2
    gig = stats.geninvgauss(lam, np.sqrt(a * b), scale=np.sqrt(b / a))
    assert stats.ks_2samp(draws, gig.rvs(size=20000, random_state=rng)).pvalue > 1e-3
