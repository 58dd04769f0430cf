"""The collapsed (beta-marginalized) NUTS form of the horseshoe family."""

import math
from fractions import Fraction

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from scipy.stats import multivariate_normal

from shrinkage import priors as P
from shrinkage.families import Gaussian, StudentT
from shrinkage.inference import sample
from shrinkage.inference.marginal.flat import flat_columns, nspace_split_logp_grad
from shrinkage.inference.marginal.kernels import _nspace_plain, pspace_logp_grad
from shrinkage.inference.marginal.op import MarginalGaussian, _Data, marginal_logp_grad
from shrinkage.inference.marginal.sampler import build_marginal_model, draw_beta
from shrinkage.model import build_model, get_spec


def _xy(n, p, seed=0, shift=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, 0] - 0.5 * X[:, 1] + rng.normal(size=n) + shift
    return X, y


@pytest.mark.parametrize(("n", "p"), [(30, 50), (50, 20)])
@pytest.mark.parametrize("method", ["nspace", "pspace"])
def test_op_value_and_gradient(n, p, method):
    X, y = _xy(n, p)
    rng = np.random.default_rng(1)
    d = np.exp(2 * rng.normal(size=p) - 2)  # prior variances over several orders of magnitude
    s2, a = 0.7, 0.2
    data = _Data(X, y, method)
    logp, gd, gs2, ga = marginal_logp_grad(data, d, s2, a)
    ref = multivariate_normal(np.full(n, a), s2 * np.eye(n) + (X * d) @ X.T).logpdf(y)
    # two exact factorizations of the same n x n Gaussian: float rounding only
    np.testing.assert_allclose(logp, ref, rtol=1e-10)

    def f(dd=d, ss=s2, aa=a):
        return marginal_logp_grad(data, dd, ss, aa)[0]

    e = 1e-6
    fd = [(f(dd=d + e * u) - f(dd=d - e * u)) / (2 * e) for u in np.eye(p)]
    # central differences: truncation O(e^2 f''') plus rounding O(eps |f| / e) ~ 1e-8
    np.testing.assert_allclose(gd, fd, atol=1e-6)
    np.testing.assert_allclose(gs2, (f(ss=s2 + e) - f(ss=s2 - e)) / (2 * e), atol=1e-6)
    np.testing.assert_allclose(ga, (f(aa=a + e) - f(aa=a - e)) / (2 * e), atol=1e-6)


def _mvnormal_reference(spec):
    """The collapsed model written with pm.MvNormal (the naive form) for comparison."""
    collapsed = build_marginal_model(spec)
    design = spec.design
    with pm.Model(coords=collapsed.coords) as ref:
        sigma = spec.family.build_sigma(design.y)
        ctx = P.BuildContext(("feature",), design.n_obs, design.n_features, None,
                             design.groups, sigma, sigma)  # fmt: skip
        sd = spec.prior.build_scale(ctx)
        mean, scale = spec.family.intercept_prior(design.y)
        a = pm.Normal("intercept", mean, scale)
        cov = sigma**2 * pt.eye(design.n_obs) + pt.dot(design.X * sd**2, design.X.T)
        pm.MvNormal("y", a * pt.ones(design.n_obs), cov, observed=design.y)
    return collapsed, ref


@pytest.mark.parametrize(
    ("prior", "n", "p", "groups"),
    [
        (P.Horseshoe(), 12, 20, None),
        (P.RegularizedHorseshoe(expected_nonzero=2), 20, 8, None),
        (P.GroupHorseshoe(), 15, 6, [0, 0, 1, 1, 2, 2]),
    ],
)
@pytest.mark.parametrize("mode", ["FAST_COMPILE", "NUMBA"])
def test_collapsed_model_equals_mvnormal(prior, n, p, groups, mode):
    """logp and dlogp of the collapsed model equal the pm.MvNormal form (C/Python and numba)."""
    X, y = _xy(n, p)
    spec = get_spec(build_model(X, y, prior=prior, groups=groups))
    collapsed, ref = _mvnormal_reference(spec)
    with pytensor.config.change_flags(mode=mode):
        f, g = collapsed.compile_logp(), collapsed.compile_dlogp()
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        fr, gr = ref.compile_logp(), ref.compile_dlogp()
    rng = np.random.default_rng(2)
    start = ref.initial_point()
    assert set(start) == set(collapsed.initial_point())
    for _ in range(4):
        point = {k: v + rng.normal(scale=0.7, size=np.shape(v)) for k, v in start.items()}
        # same density by two Cholesky routes: float rounding only
        np.testing.assert_allclose(f(point), fr(point), rtol=1e-10)
        np.testing.assert_allclose(g(point), gr(point), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("n", "p"), [(40, 10), (10, 40)])
def test_draw_beta_moments(n, p):
    """Draws of beta | sd, sigma, a, y have the Gaussian conditional's mean and variance."""
    X, y = _xy(n, p)
    rng = np.random.default_rng(3)
    sd, sigma, a = np.exp(rng.normal(size=p) - 1), 0.8, 0.3
    m = 4000
    draws = draw_beta(X, y, np.tile(sd, (m, 1)), np.full(m, sigma), np.full(m, a), rng)
    A = X.T @ X + np.diag(sigma**2 / sd**2)
    cov = sigma**2 * np.linalg.inv(A)
    mean = np.linalg.solve(A, X.T @ (y - a))
    se = np.sqrt(np.diag(cov) / m)
    # independent exact draws: each mean within 4.5 SE (p tests, family-wise ~1e-4 per test)
    assert np.all(np.abs(draws.mean(0) - mean) < 4.5 * se)
    # sample variance: relative SE sqrt(2/(m-1)) ~ 0.022, allow 5 of them
    np.testing.assert_allclose(draws.var(0), np.diag(cov), rtol=5 * np.sqrt(2 / (m - 1)))


def test_forms_and_layout():
    X, y = _xy(30, 8)
    model = build_model(X, y, prior=P.Horseshoe())
    kw = {"draws": 30, "tune": 30, "chains": 2, "random_seed": 1, "progressbar": False}
    dm = sample(model, sampler="pymc", **kw)
    dn = sample(model, sampler="pymc", form="noncentred", **kw)
    assert dm["posterior"].attrs["shrinkage_form"] == "marginal"
    assert set(dm["posterior"].data_vars) == set(dn["posterior"].data_vars)
    for var in dn["posterior"].data_vars:
        assert dm["posterior"][var].dims == dn["posterior"][var].dims, var
    assert set(dm.children) == set(dn.children)
    assert dm["log_likelihood"]["y"].dims == ("chain", "draw", "obs")
    np.testing.assert_array_equal(dm["constant_data"]["x_scale"], dn["constant_data"]["x_scale"])
    # beta = beta_z * prior sd, as in the model
    post = dm["posterior"]
    np.testing.assert_allclose(post["beta"], post["beta_z"] * post["tau"] * post["lam"])


def test_marginal_form_asks_nutpie_for_the_draw_based_mass_matrix(monkeypatch):
    """nutpie gets adaptation="draw_diag" for the marginal form (and one extra doubling when
    p > n); the caller's ``nuts=`` wins."""

    class Stop(Exception):
        pass

    seen = []

    def fake_sample(**kwargs):
        seen.append(kwargs.get("nuts", {}))
        raise Stop

    monkeypatch.setattr(pm, "sample", fake_sample)
    model = build_model(*_xy(20, 30), prior=P.Horseshoe())
    for extra, expected in [({}, "draw_diag"), ({"nuts": {"adaptation": "diag"}}, "diag")]:
        with pytest.raises(Stop):
            sample(model, sampler="nutpie", **extra)
        assert seen[-1].get("adaptation") == expected
        assert seen[-1].get("extra_doublings") == 1  # p > n: one doubling past the U-turn
    with pytest.raises(Stop):
        sample(build_model(*_xy(30, 20), prior=P.Horseshoe()), sampler="nutpie")
    assert "extra_doublings" not in seen[-1]  # p <= n: no noise ridge, plain NUTS trees
    with pytest.raises(Stop):
        sample(model, sampler="pymc")  # PyMC's NUTS adapts from the draws already
    assert "adaptation" not in seen[-1]


def test_fixed_sigma_without_intercept():
    """A fixed noise scale and no intercept: the collapsed model has only the scales."""
    X, y = _xy(30, 5, shift=0.0)
    model = build_model(X, y, prior=P.Horseshoe(), family=Gaussian(sigma=0.5), intercept=False)
    collapsed = build_marginal_model(get_spec(model))
    assert {v.name for v in collapsed.free_RVs} == {"lam", "tau"}
    dt = sample(model, sampler="pymc", draws=20, tune=20, chains=1, random_seed=2,
                progressbar=False)  # fmt: skip
    post = dt["posterior"]
    assert "sigma" not in post and "intercept" not in post
    assert post["beta"].shape == (1, 20, 5) and np.all(np.isfinite(post["beta"]))
    design = get_spec(model).design
    w = post["beta"].values / design.x_scale
    expected = design.y_center - design.y_scale * (w @ design.x_center)
    np.testing.assert_allclose(post["intercept_original"], expected)


def test_form_errors():
    X, y = _xy(30, 4)
    with pytest.raises(ValueError, match="form must be"):
        sample(build_model(X, y, prior=P.Horseshoe()), form="collapsed")
    for model in (
        build_model(X, y, prior=P.Laplace()),
        build_model(X, y, prior=P.Horseshoe(), family=StudentT()),
    ):
        with pytest.raises(ValueError, match="form='marginal' needs"):
            sample(model, form="marginal")
    with pytest.raises(ValueError, match="marginal form needs"):
        build_marginal_model(get_spec(build_model(X, y, prior=P.Laplace())))
    with pytest.raises(ValueError, match="method must be"):
        MarginalGaussian(X, y, method="dense")


def _summ(dt, var):
    import arviz as az

    x = dt["posterior"][var]
    ess = az.ess(dt, var_names=[var], method="mean")[var].values
    return x.mean(("chain", "draw")).values, x.std(("chain", "draw")).values / np.sqrt(ess)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("prior", "n", "p", "family"),
    [
        (P.Horseshoe(), 40, 60, Gaussian()),
        (P.RegularizedHorseshoe(expected_nonzero=3), 60, 30, Gaussian(sigma_prior="jeffreys")),
    ],
)
def test_marginal_matches_gibbs(prior, n, p, family):
    X, y = _xy(n, p, seed=4)
    model = build_model(X, y, prior=prior, family=family)
    # measured 54 s (horseshoe) and 32 s on the shared 2-core machine
    kw = {"draws": 600, "tune": 400, "chains": 2, "progressbar": False}
    dm = sample(model, sampler="nutpie", form="marginal", random_seed=5, **kw)
    dg = sample(model, sampler="gibbs", random_seed=6, **kw)
    assert int(dm["sample_stats"]["diverging"].sum()) == 0
    for var in ("beta", "intercept", "sigma", "tau"):
        (mm, em), (mg, eg) = _summ(dm, var), _summ(dg, var)
        # independent samplers: difference of posterior means within 4 combined MCSE
        assert np.all(np.abs(mm - mg) <= 4 * np.hypot(em, eg)), (var, mm, mg)


def _exact_logp(X, y, d, s2, a):
    """The collapsed log-likelihood in exact rational arithmetic (then one rounding): the
    float inputs are exact fractions, ``K`` is formed exactly and eliminated exactly, so
    ``log det K`` and ``r'K^{-1}r`` carry no cancellation however extreme ``d`` is."""
    n, p = X.shape
    Xf = [[Fraction(float(v)) for v in row] for row in X]
    df = [Fraction(float(v)) for v in d]
    K = [[sum(Xf[i][j] * df[j] * Xf[m][j] for j in range(p)) for m in range(n)] for i in range(n)]
    for i in range(n):
        K[i][i] += Fraction(float(s2))
    b = [Fraction(float(v)) - Fraction(float(a)) for v in y]
    logdet, quad = 0.0, Fraction(0)
    for c in range(n):  # Gaussian elimination: det K = prod pivots, r'K^{-1}r = sum b_c^2 / piv
        piv = K[c][c]
        logdet += math.log(piv.numerator) - math.log(piv.denominator)
        quad += b[c] * b[c] / piv
        for i in range(c + 1, n):
            m = K[i][c] / piv
            K[i] = [K[i][k] - m * K[c][k] for k in range(n)]
            b[i] -= m * b[c]
    return -0.5 * n * math.log(2 * math.pi) - 0.5 * logdet - 0.5 * float(quad)


def _extreme_d(p, seed):
    rng = np.random.default_rng(seed)
    d = np.exp(rng.uniform(np.log(1e-6), 0.0, size=p))  # the ordinary columns: 1e-6 .. 1
    d[[1, 2, 4]] = [1e12, 1e20, 1e100]  # numerically flat: X D X' swamps s2 I in rounding
    return d


@pytest.mark.parametrize(("n", "p", "method"), [(6, 10, "nspace"), (7, 5, "pspace")])
def test_flat_prior_variances_are_evaluated_exactly(n, p, method):
    """Huge prior variances (NUTS reaches them in the horseshoe's Cauchy tails) used to make
    the Cholesky fail and the point be rejected (logp = -inf, a false divergence)."""
    X, y = _xy(n, p, seed=3)
    d, s2, a = _extreme_d(p, seed=4), 0.3, 0.1
    data = _Data(X, y, method)
    if method == "nspace":  # the plain Cholesky form really fails here
        assert _nspace_plain(X, y, d, s2, a)[0] == -np.inf
    logp, gd, gs2, ga = marginal_logp_grad(data, d, s2, a)
    # |logp| ~ 1e2 evaluated by backward-stable factorizations of well-conditioned matrices
    np.testing.assert_allclose(logp, _exact_logp(X, y, d, s2, a), rtol=1e-12)

    def f(j=None, e=0.0, ds2=0.0, da=0.0):
        dd = d.copy()
        if j is not None:
            dd[j] *= math.exp(e)
        return _exact_logp(X, y, dd, s2 * math.exp(ds2), a + da)

    h = 1e-5
    fd = np.array([(f(j, h) - f(j, -h)) / (2 * h) for j in range(p)])
    # central differences of the exact logp in log d: truncation O(h^2) ~ 1e-10 plus the
    # final rounding of logp, eps |logp| / h ~ 2e-14 * 1e2 / 1e-5 ~ 2e-7 at worst
    np.testing.assert_allclose(gd * d, fd, atol=1e-6)
    if method == "pspace":  # the plain p-space form gets logp right but these gradients wrong
        G, Xty, x1, y1, yty = data.G, data.Xty, data.x1, data.y1, data.yty
        plain = pspace_logp_grad(G, Xty, x1, y1, yty, n, d, s2, a)[1] * d
        assert np.abs(plain - fd).max() > 1.0
    np.testing.assert_allclose(gs2 * s2, (f(ds2=h) - f(ds2=-h)) / (2 * h), atol=1e-6)
    np.testing.assert_allclose(ga, (f(da=h) - f(da=-h)) / (2 * h), atol=1e-6)
    # a flat column's log-d gradient tends to -1/2: the likelihood falls like -0.5 log d_j
    np.testing.assert_allclose((gd * d)[[2, 4]], -0.5, atol=1e-6)


def test_flat_split_is_exact_not_an_approximation():
    """With ordinary ``d``, splitting any columns off by Woodbury gives the plain result."""
    X, y = _xy(12, 20, seed=5)
    d = np.exp(np.random.default_rng(6).normal(size=20))
    plain = _nspace_plain(X, y, d, 0.5, 0.2)
    split = nspace_split_logp_grad(X, y, np.ones(12), d, 0.5, 0.2, np.array([0, 3, 7]))
    # two exact factorizations of the same well-conditioned K: float rounding only
    for u, v in zip(plain, split, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-12)


def test_flat_columns_are_capped_at_n_minus_one_largest():
    d = np.array([1.0, 1e9, 1e30, 1e20, 1e12, 1e-3])
    assert sorted(flat_columns(np.ones(6), d, 1.0, 3)) == [2, 3, 4]  # the 3 largest of 4
    # the ratio d_j ||x_j||^2 / s2 decides: 1e12 / 1e5 = 1e7 is below FLAT_RATIO = 1e8
    assert sorted(flat_columns(np.ones(6), d, 1e5, 5)) == [2, 3]
