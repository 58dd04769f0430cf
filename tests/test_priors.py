import math

import numpy as np
import pymc as pm
import pytensor
import pytest
from scipy import integrate, stats
from scipy.special import erfcx

from shrinkage import priors as P
from shrinkage.families import Gaussian as GaussianFamily
from shrinkage.model import build_model


@pytest.fixture(autouse=True)
def _fast_compile():
    """Structure and log-density checks do not need the numba backend's slow compile."""
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


N, PF = 25, 4
GROUPS = [0, 0, 1, 1]


def _model(prior, sigma=1.0, p=PF, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, p))
    y = rng.normal(size=N)
    groups = GROUPS if prior.needs_groups else None
    return build_model(
        X,
        y,
        prior=prior,
        family=GaussianFamily(sigma=sigma),
        groups=groups,
        standardize=False,
        intercept=False,
    )


def _prior_logp_at_random_point(model, seed=1):
    """Model's prior log-density (no Jacobian) at a random point and the constrained values.

    The prior is the free variables' densities plus the potentials: the non-smooth priors put
    their density in tagged potentials that find_map treats exactly (docs/conventions.md).
    """
    rng = np.random.default_rng(seed)
    point, values = {}, {}
    for rv in model.free_RVs:
        val = model.rvs_to_values[rv]
        shape = model.initial_point()[val.name].shape
        raw = rng.normal(scale=0.7, size=shape)
        point[val.name] = raw
        values[rv.name] = np.exp(raw) if val.name.endswith("_log__") else raw
    logp = model.compile_logp(vars=model.free_RVs + model.potentials, jacobian=False)(point)
    return float(logp), values


# -- repr and validation ---------------------------------------------------------------------


def test_repr_is_readable():
    assert repr(P.Laplace(0.5)) == "Laplace(scale=0.5)"
    assert "expected_nonzero=3.0" in repr(P.RegularizedHorseshoe(3))


@pytest.mark.parametrize(
    "make",
    [
        lambda: P.Gaussian(-1),
        lambda: P.Laplace(-0.1),
        lambda: P.BayesianLasso(lam=-1),
        lambda: P.BayesianLasso(delta=-1),
        lambda: P.ElasticNet(-1, 1),
        lambda: P.ElasticNet(1, -1),
        lambda: P.Horseshoe(global_scale=-1),
        lambda: P.RegularizedHorseshoe(-2),
        lambda: P.RegularizedHorseshoe(2, slab_scale=-1),
        lambda: P.GroupLasso(-1),
        lambda: P.GroupHorseshoe(global_scale=-1),
    ],
)
def test_negative_scale_raises(make):
    with pytest.raises(ValueError, match="must be"):
        make()


def test_non_numeric_scale_raises():
    with pytest.raises(TypeError, match="real number"):
        P.Laplace("1")


def test_regularized_horseshoe_needs_p0_below_p():
    with pytest.raises(ValueError, match="smaller than the number of features"):
        _model(P.RegularizedHorseshoe(expected_nonzero=PF))


# -- log densities against scipy / closed forms ------------------------------------------------
# Tolerances 1e-8: the same density evaluated two ways in double precision.


def test_gaussian_logp():
    logp, v = _prior_logp_at_random_point(_model(P.Gaussian(0.7)))
    assert logp == pytest.approx(stats.norm(0, 0.7).logpdf(v["beta"]).sum(), rel=1e-8)


def test_laplace_logp():
    logp, v = _prior_logp_at_random_point(_model(P.Laplace(0.4)))
    assert logp == pytest.approx(stats.laplace(0, 0.4).logpdf(v["beta"]).sum(), rel=1e-8)


def test_bayesian_lasso_fixed_lambda_logp():
    sigma, lam = 1.7, 0.5
    logp, v = _prior_logp_at_random_point(_model(P.BayesianLasso(lam=lam), sigma=sigma))
    expected = stats.laplace(0, sigma / lam).logpdf(v["beta"]).sum()
    assert logp == pytest.approx(expected, rel=1e-8)


def test_bayesian_lasso_random_lambda_logp():
    sigma, r, delta = 1.3, 1.5, 1.78
    logp, v = _prior_logp_at_random_point(_model(P.BayesianLasso(r=r, delta=delta), sigma=sigma))
    lam2 = v["lasso_lambda2"]
    expected = stats.gamma(r, scale=1 / delta).logpdf(lam2)
    expected += stats.laplace(0, sigma / math.sqrt(lam2)).logpdf(v["beta"]).sum()
    assert logp == pytest.approx(expected, rel=1e-8)


def _elastic_net_density(x, b, t):
    return np.exp(-abs(x) / b - x**2 / (2 * t**2))


@pytest.mark.parametrize(("b", "t"), [(1.0, 1.0), (0.1, 3.0), (5.0, 0.2)])
def test_elastic_net_logp_is_normalized(b, t):
    logp, v = _prior_logp_at_random_point(_model(P.ElasticNet(b, t)))
    z, _ = integrate.quad(_elastic_net_density, -np.inf, np.inf, args=(b, t), epsabs=1e-13)
    expected = np.sum(np.log(_elastic_net_density(v["beta"], b, t)) - np.log(z))
    assert logp == pytest.approx(expected, rel=1e-7)  # quad accuracy ~1e-10 relative


def test_horseshoe_logp():
    logp, v = _prior_logp_at_random_point(_model(P.Horseshoe(global_scale=0.3)))
    expected = (
        stats.norm.logpdf(v["beta_z"]).sum()
        + stats.halfcauchy.logpdf(v["lam"]).sum()
        + stats.halfcauchy(scale=0.3).logpdf(v["tau"])
    )
    assert logp == pytest.approx(expected, rel=1e-8)


def test_regularized_horseshoe_logp_and_tau0():
    prior = P.RegularizedHorseshoe(expected_nonzero=1, slab_scale=2, slab_df=4)
    sigma = 1.5
    # tau0 = p0 / (p - p0) * sigma / sqrt(n)
    assert prior.tau0(PF, N, sigma) == pytest.approx(1 / 3 * 1.5 / 5)
    logp, v = _prior_logp_at_random_point(_model(prior, sigma=sigma))
    expected = (
        stats.norm.logpdf(v["beta_z"]).sum()
        + stats.halfcauchy.logpdf(v["lam"]).sum()
        + stats.halfcauchy.logpdf(v["tau_z"])
        + stats.invgamma(2.0, scale=2.0).logpdf(v["c2_z"])
    )
    assert logp == pytest.approx(expected, rel=1e-8)


def test_group_lasso_logp_closed_form():
    scale = 0.8
    logp, v = _prior_logp_at_random_point(_model(P.GroupLasso(scale)))
    beta, b = v["beta"], scale / math.sqrt(2)
    expected = sum(
        P.multivariate_laplace_logp_numpy(beta[[2 * g, 2 * g + 1]], b) for g in range(2)
    )
    assert logp == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_multivariate_laplace_normalizing_constant(m):
    # integrate exp(-r/b) over R^m in polar form: surface(m) * int r^(m-1) exp(-r/b) dr
    b = 0.6
    surface = 2 * math.pi ** (m / 2) / math.gamma(m / 2)
    z, _ = integrate.quad(lambda r: surface * r ** (m - 1) * math.exp(-r / b), 0, np.inf)
    assert -P.multivariate_laplace_logp_numpy(np.zeros(m), b) == pytest.approx(
        math.log(z), rel=1e-9
    )  # quad accuracy
    if m == 1:  # the m = 1 case is the scalar Laplace
        assert P.multivariate_laplace_logp_numpy(np.array([0.3]), b) == pytest.approx(
            stats.laplace(0, b).logpdf(0.3), rel=1e-12
        )


def test_group_horseshoe_logp():
    logp, v = _prior_logp_at_random_point(_model(P.GroupHorseshoe(global_scale=0.5)))
    assert v["lam"].shape == (2,)
    expected = (
        stats.norm.logpdf(v["beta_z"]).sum()
        + stats.halfcauchy.logpdf(v["lam"]).sum()
        + stats.halfcauchy(scale=0.5).logpdf(v["tau"])
    )
    assert logp == pytest.approx(expected, rel=1e-8)


def test_group_horseshoe_shares_scale_within_group():
    m = _model(P.GroupHorseshoe())
    beta_of_values = m.replace_rvs_by_values([m["beta"]])[0]
    fn = m.compile_fn(beta_of_values, inputs=m.value_vars, on_unused_input="ignore")
    pt = m.initial_point()
    pt["beta_z"] = np.ones(PF)
    pt["lam_log__"] = np.log([0.5, 3.0])
    beta = fn(pt)
    assert beta[0] == beta[1] and beta[2] == beta[3] and beta[2] == pytest.approx(6 * beta[0])


# -- prior -> penalty mapping (numbers only; the solver check belongs to the cross-check) -------


def test_penalty_alpha_numbers():
    sigma, n = 2.0, 50
    assert P.Gaussian(0.5).penalty_alpha(sigma, n) == {"alpha": pytest.approx(4 / (50 * 0.25))}
    assert P.Laplace(0.5).penalty_alpha(sigma, n) == {"alpha": pytest.approx(4 / 25)}
    assert P.BayesianLasso(lam=3.0).penalty_alpha(sigma, n) == {"alpha": pytest.approx(6 / 50)}
    assert P.BayesianLasso().penalty_alpha(sigma, n) is None
    assert P.BayesianLasso().penalty_alpha(sigma, n, lam=3.0) == {"alpha": pytest.approx(0.12)}
    en = P.ElasticNet(l1_scale=0.5, l2_scale=2.0).penalty_alpha(sigma, n)
    a1, a2 = 4 / (50 * 0.5), 4 / (50 * 4.0)
    assert en["alpha"] * en["l1_ratio"] == pytest.approx(a1)
    assert en["alpha"] * (1 - en["l1_ratio"]) == pytest.approx(a2)
    gl = P.GroupLasso(0.5).penalty_alpha(sigma, n, groups=[3, 3, 7])
    # alpha * sqrt(m_g) = sigma^2 / (n b_g) with b_g = scale / sqrt(m_g)
    assert gl["alpha"] == pytest.approx(4 / 25)
    np.testing.assert_array_equal(gl["groups"], [0, 0, 1])
    l21 = P.GroupLasso(0.5).penalty_alpha(sigma, n, n_outputs=4)
    assert l21["alpha"] == pytest.approx(4 * 2 / 25)
    assert P.GroupLasso(0.5).penalty_name_for(n_outputs=4) == "L21"
    for prior in (P.Horseshoe(), P.RegularizedHorseshoe(2), P.GroupHorseshoe()):
        assert prior.penalty_alpha(sigma, n) is None
        assert prior.penalty(sigma, n) is None


def test_penalty_alpha_validates():
    with pytest.raises(ValueError, match="sigma must be"):
        P.Laplace().penalty_alpha(-1.0, 10)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        P.Laplace().penalty_alpha(1.0, 0)
    with pytest.raises(ValueError, match="needs groups"):
        P.GroupLasso().penalty_alpha(1.0, 10)


# -- prior predictive marginals (slow: many prior draws) --------------------------------------
# Draws are independent, so the standard error of a mean is sd / sqrt(draws); we allow 4 SE.
# KS tests use a 1e-3 level: a false alarm once in a thousand runs (seeds are fixed anyway).

DRAWS = 4000


def _prior_draws(prior, var="beta", sigma=1.0, p=PF):
    model = _model(prior, sigma=sigma, p=p)
    dt = pm.sample_prior_predictive(draws=DRAWS, model=model, random_seed=11)
    return dt["prior"][var].values.reshape(DRAWS, -1)


def _assert_mean(x, expected):
    se = x.std() / math.sqrt(x.size)
    assert abs(x.mean() - expected) < 4 * se, (x.mean(), expected, se)


@pytest.mark.slow
def test_prior_predictive_gaussian_and_laplace():
    _assert_mean(np.abs(_prior_draws(P.Gaussian(0.7))), 0.7 * math.sqrt(2 / math.pi))
    _assert_mean(np.abs(_prior_draws(P.Laplace(0.4))), 0.4)  # E|beta| = b


@pytest.mark.slow
def test_prior_predictive_bayesian_lasso():
    # E|beta| = sigma / lambda given fixed sigma and lambda
    _assert_mean(np.abs(_prior_draws(P.BayesianLasso(lam=2.0), sigma=3.0)), 1.5)
    # lambda^2 ~ Gamma(r, rate delta): E lambda^2 = r / delta
    lam = _prior_draws(P.BayesianLasso(r=2.0, delta=4.0), var="lasso_lambda")
    _assert_mean(lam**2, 0.5)


@pytest.mark.slow
@pytest.mark.parametrize(("b", "t"), [(1.0, 1.0), (0.2, 2.0)])
def test_prior_predictive_elastic_net_matches_density(b, t):
    draws = _prior_draws(P.ElasticNet(b, t)).ravel()
    z, _ = integrate.quad(_elastic_net_density, -np.inf, np.inf, args=(b, t))

    def cdf(x):
        x = np.atleast_1d(x)
        out = [integrate.quad(_elastic_net_density, -np.inf, xi, args=(b, t))[0] for xi in x]
        return np.array(out) / z

    grid = np.linspace(draws.min(), draws.max(), 400)
    cdf_grid = cdf(grid)  # CDF by quadrature of the stated density, then interpolate
    assert stats.kstest(draws, lambda x: np.interp(x, grid, cdf_grid)).pvalue > 1e-3
    # closed-form E|beta|: mean of Normal(-t^2/b, t) truncated to > 0
    mu = -(t**2) / b
    e_abs = mu + t / erfcx(-mu / (t * math.sqrt(2))) * math.sqrt(2 / math.pi)
    _assert_mean(np.abs(draws), e_abs)


@pytest.mark.slow
def test_prior_predictive_horseshoe_matches_marginal():
    g = 0.5
    draws = np.abs(_prior_draws(P.Horseshoe(global_scale=g))[:, 0])
    # P(|beta| < x) = E[2 Phi(x / (tau lam)) - 1], tau ~ C+(0, g), lam ~ C+(0, 1): in log scale
    # u = log(tau lam) = log g + log(c1) + log(c2) with density of log|Cauchy| = sech(u) / pi
    u = np.linspace(-25, 25, 4001)
    dens = 1 / (np.pi * np.cosh(u))
    conv = np.convolve(dens, dens, mode="same") * (u[1] - u[0])  # density of log(c1 c2)
    scales = g * np.exp(u)
    w = conv * (u[1] - u[0])

    def cdf(x):
        return np.array([np.sum(w * (2 * stats.norm.cdf(xi / scales) - 1)) for xi in x])

    qs = np.quantile(draws, [0.1, 0.25, 0.5, 0.75, 0.9])
    # the empirical CDF at a sample quantile has sd sqrt(q(1-q)/n) <= 0.008; 4 sd ~ 0.03
    np.testing.assert_allclose(cdf(qs), [0.1, 0.25, 0.5, 0.75, 0.9], atol=0.03)


def _independent_rhs(rng, n_draws, tau0, slab_scale, slab_df):
    lam = np.abs(rng.standard_cauchy(n_draws))
    tau = tau0 * np.abs(rng.standard_cauchy(n_draws))
    c2 = slab_scale**2 * stats.invgamma(slab_df / 2, scale=slab_df / 2).rvs(
        n_draws, random_state=rng
    )
    lt = np.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
    return rng.normal(size=n_draws) * tau * lt


@pytest.mark.slow
def test_prior_predictive_regularized_horseshoe():
    prior = P.RegularizedHorseshoe(expected_nonzero=1, slab_scale=2, slab_df=4)
    sigma = 2.0
    beta = _prior_draws(prior, sigma=sigma)[:, 0]
    tau = _prior_draws(prior, var="tau", sigma=sigma).ravel()
    c2 = _prior_draws(prior, var="c2", sigma=sigma).ravel()
    tau0 = prior.tau0(PF, N, sigma)
    assert stats.kstest(tau, stats.halfcauchy(scale=tau0).cdf).pvalue > 1e-3
    assert stats.kstest(c2, stats.invgamma(2.0, scale=2.0 * 4).cdf).pvalue > 1e-3
    ref = _independent_rhs(np.random.default_rng(5), 20000, tau0, 2.0, 4.0)
    assert stats.ks_2samp(beta, ref).pvalue > 1e-3


@pytest.mark.slow
def test_prior_predictive_group_lasso():
    scale = 0.9
    beta = _prior_draws(P.GroupLasso(scale))
    # ||beta_g|| ~ Gamma(m_g, scale b_g), b_g = scale / sqrt(m_g): E = m_g b_g = scale sqrt(2)
    norms = np.hypot(beta[:, 0], beta[:, 1])
    _assert_mean(norms, scale * math.sqrt(2))
    # marginal of one coordinate for m = 2: uniform direction, so E|beta_1| = E r * 2/pi
    _assert_mean(np.abs(beta[:, 2]), scale * math.sqrt(2) * 2 / math.pi)


@pytest.mark.slow
def test_prior_predictive_group_horseshoe():
    beta = _prior_draws(P.GroupHorseshoe(global_scale=0.5))
    rng = np.random.default_rng(8)
    ref = rng.normal(size=20000) * 0.5 * np.abs(rng.standard_cauchy(20000))
    ref *= np.abs(rng.standard_cauchy(20000))
    assert stats.ks_2samp(beta[:, 0], ref).pvalue > 1e-3
    # within a group the ratio beta_0 / beta_1 = z_0 / z_1 is standard Cauchy
    assert stats.kstest(beta[:, 0] / beta[:, 1], stats.cauchy.cdf).pvalue > 1e-3


# ---------------------------------------------------------------- what each prior declares
def _prior_classes():
    found = [getattr(P, name) for name in P.__all__]
    return [
        c for c in found if isinstance(c, type) and issubclass(c, P.Prior) and c is not P.Prior
    ]


def test_every_prior_declares_what_it_is():
    from shrinkage.inference.gibbs.core import UPDATES
    from shrinkage.solvers import penalties

    classes = _prior_classes()
    assert set(classes) == set(P.PRIOR_NAMES.values())  # every prior has a name, and only priors
    for cls in classes:
        assert cls.penalty_name is None or hasattr(penalties, cls.penalty_name), cls
        assert cls.exact_map in (True, False) and cls.noise_scaled in (True, False), cls
        assert cls.exact_map == (cls.penalty_name is not None), cls  # exact MAP <=> convex
        assert cls.local_scales in (None, "feature", "group"), cls
        assert cls.has_tau in (True, False), cls
        assert cls.marginal_target_accept is None or 0 < cls.marginal_target_accept < 1, cls
        if cls.local_scales is not None:  # a normal scale mixture: the marginal form's builder
            assert callable(getattr(cls, "build_scale", None)), cls
        assert cls.gibbs_updates is None or cls.gibbs_updates in UPDATES, cls
        if cls.gibbs_updates is not None:
            assert UPDATES[cls.gibbs_updates].needs_groups == cls.needs_groups, cls
    # the update sets are exactly the ones the priors name, under names no prior class uses
    assert set(UPDATES) == {c.gibbs_updates for c in classes} - {None}
    assert not {u.__name__ for u in UPDATES.values()} & {c.__name__ for c in classes}


# the Gibbs translation of each prior (the table of shrinkage.inference.gibbs.spec), p=4, n=25
GIBBS = [
    (P.Gaussian(0.5), "gaussian", {"scale": 0.5, "sigma_scaled": False}),
    (P.Laplace(0.3), "laplace", {"b": 0.3}),
    (P.ElasticNet(0.3, 0.5), "elastic_net", {"b": 0.3, "t": 0.5}),
    (P.BayesianLasso(), "bayesian_lasso", {"lasso_lambda": None, "r": 1.0, "delta": 1.78}),
    (P.BayesianLasso(lam=2.0), "bayesian_lasso", {"lasso_lambda": 2.0, "r": 1.0, "delta": 1.78}),
    (P.Horseshoe(0.5), "horseshoe", {"global_scale": 0.5, "sigma_scaled": False}),
    (P.HorseshoePlus(0.5), "horseshoe_plus", {"global_scale": 0.5, "sigma_scaled": False}),
    (P.GroupHorseshoe(), "group_horseshoe", {"global_scale": 1.0, "sigma_scaled": False}),
    (P.GroupLasso(0.5), "group_lasso", {"lasso_lambda": 2.0, "sigma_scaled": False}),
    (
        P.RegularizedHorseshoe(expected_nonzero=2.0),
        "regularized_horseshoe",
        {
            "global_scale": 2.0 / (PF - 2.0) / math.sqrt(N),  # tau0 per unit sigma
            "sigma_scaled": True,
            "slab_scale": 2.0,
            "slab_df": 4.0,
            "slab_sigma_scaled": False,
        },
    ),
    (  # the Beta shapes of R^2: a = b = 0.5 x 2 = 1
        P.R2D2(concentration=0.25),
        "r2d2",
        {"concentration": 0.25, "a": 1.0, "b": 1.0},
    ),
]


@pytest.mark.parametrize(("prior", "name", "params"), GIBBS, ids=lambda v: repr(v)[:30])
def test_gibbs_arguments_come_from_the_prior(prior, name, params):
    from shrinkage.inference.gibbs.core import _check_prior
    from shrinkage.inference.gibbs.spec import gibbs_arguments
    from shrinkage.model import get_spec

    args = gibbs_arguments(get_spec(_model(prior)))
    assert args["prior"] == name == prior.gibbs_updates
    assert args["prior_params"] == pytest.approx(params)
    assert (args["groups"] is not None) == prior.needs_groups
    _check_prior(name, PF, args["groups"], args["prior_params"])  # the core accepts them


def test_every_prior_with_gibbs_updates_has_a_translation(monkeypatch):
    covered = {type(prior) for prior, _, _ in GIBBS}
    assert covered == {c for c in _prior_classes() if c.gibbs_updates is not None}
    from shrinkage.inference.gibbs.spec import gibbs_arguments
    from shrinkage.model import get_spec

    # every shipped prior has Gibbs updates since the horseshoe+'s: take one away
    monkeypatch.setattr(P.Horseshoe, "gibbs_updates", None)
    with pytest.raises(ValueError, match="sampler='gibbs' supports the"):
        gibbs_arguments(get_spec(_model(P.Horseshoe())))
