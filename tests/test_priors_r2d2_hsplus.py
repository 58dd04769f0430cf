"""R2D2 and horseshoe+ priors: validation, names, log-densities against scipy, prior
predictive laws, and (slow) every sampling path: NUTS forms, estimators by name, reports."""

import math

import numpy as np
import pymc as pm
import pytensor
import pytest
from scipy import integrate, special, stats

from shrinkage import priors as P
from shrinkage.families import Gaussian as GaussianFamily
from shrinkage.model import build_model, get_spec

N, PF = 25, 4


@pytest.fixture(autouse=True)
def _fast_compile():
    """Structure and log-density checks do not need the numba backend's slow compile."""
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


def _model(prior, sigma=1.0, p=PF, family=None, standardize=False, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, p))
    y = rng.normal(size=N)
    family = GaussianFamily(sigma=sigma) if family is None else family
    return build_model(X, y, prior=prior, family=family, standardize=standardize, intercept=False)


# -- validation and names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: P.R2D2(mean_r2=1.0), "mean_r2 must be in"),
        (lambda: P.R2D2(mean_r2=0.0), "mean_r2 must be"),
        (lambda: P.R2D2(precision_r2=-1), "precision_r2 must be"),
        (lambda: P.R2D2(concentration=0.0), "concentration must be"),
        (lambda: P.R2D2(concentration=[1.0, -2.0]), "concentration must be"),
        (lambda: P.R2D2(concentration=[[1.0]]), "1-D sequence"),
        (lambda: P.HorseshoePlus(global_scale=0), "global_scale must be"),
    ],
)
def test_bad_parameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_concentration_length_must_match_features():
    with pytest.raises(ValueError, match="concentration has 3 values but the design has 4"):
        _model(P.R2D2(concentration=(1.0, 1.0, 1.0)))


def test_names_defaults_and_repr():
    r = P.make_prior("r2d2", mean_r2=0.3)
    assert isinstance(r, P.R2D2) and r.beta_shapes() == pytest.approx((0.6, 1.4))
    # brms's default cons_D2 = 0.5 per coefficient (brms >= 2.20)
    np.testing.assert_array_equal(P.R2D2().concentration_vector(3), [0.5, 0.5, 0.5])
    assert P.R2D2(concentration=[1, 2]).concentration == (1.0, 2.0)
    assert isinstance(P.make_prior("horseshoe-plus"), P.HorseshoePlus)
    assert "global_scale=0.5" in repr(P.HorseshoePlus(0.5))
    for prior in (P.R2D2(), P.HorseshoePlus()):
        assert prior.penalty(1.0, 10) is None and not prior.exact_map


def test_multi_output_family_is_refused():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    for prior in (P.R2D2(), P.HorseshoePlus()):
        with pytest.raises(ValueError, match="not supported with the multi-output family"):
            build_model(X, Y, prior=prior, family="multi_gaussian")


@pytest.mark.parametrize("family", ["gaussian", "student_t", "laplace", "bernoulli", "poisson"])
@pytest.mark.parametrize("prior", [P.R2D2(), P.HorseshoePlus()], ids=["r2d2", "hsplus"])
def test_every_family_builds_with_finite_logp(prior, family):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    y = {"bernoulli": rng.integers(0, 2, 20), "poisson": rng.poisson(2.0, 20)}.get(
        family, rng.normal(size=20)
    )
    m = build_model(X, y.astype(float), prior=prior, family=family)
    assert np.isfinite(m.compile_logp()(m.initial_point()))
    assert {"beta", "beta_z", "tau", "lam"} <= set(m.named_vars)


def test_marginal_form_applies_to_the_gaussian_family_only():
    from shrinkage.inference.marginal.sampler import build_marginal_model, marginal_supported

    for prior in (P.R2D2(), P.HorseshoePlus()):
        spec = get_spec(_model(prior))
        assert marginal_supported(spec)
        collapsed = build_marginal_model(spec)
        assert "beta" not in collapsed.named_vars and "tau" in collapsed.named_vars
        assert np.isfinite(collapsed.compile_logp()(collapsed.initial_point()))
        student = get_spec(_model(prior, family="student_t"))
        assert not marginal_supported(student)


def test_one_feature_r2d2_has_no_dirichlet():
    m = _model(P.R2D2(), p=1)
    assert "phi_g" not in m.named_vars
    assert float(pm.draw(m["phi"])[0]) == 1.0


def _at_values(model, names):
    """A function of the free variables' (transformed) values computing the named variables."""
    outs = model.replace_rvs_by_values([model[v] for v in names])
    return model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")


# -- log-densities against scipy ----------------------------------------------------------------
# Tolerances 1e-8: the same density evaluated two ways in double precision.


def test_r2d2_logp_and_scales_match_scipy():
    prior = P.R2D2(mean_r2=0.3, precision_r2=5.0, concentration=(0.2, 0.5, 1.0, 3.0))
    sigma = 1.7
    m = _model(prior, sigma=sigma)
    rng = np.random.default_rng(3)
    r2, g, z = 0.37, rng.gamma(1.0, size=PF), rng.normal(size=PF)
    point = {"r2_logodds__": special.logit(r2), "phi_g_log__": np.log(g), "beta_z": z}
    logp = m.compile_logp(vars=m.free_RVs, jacobian=False)(point)
    a, b = 0.3 * 5.0, 0.7 * 5.0
    expected = (
        stats.beta(a, b).logpdf(r2)
        + stats.gamma(np.array(prior.concentration)).logpdf(g).sum()
        + stats.norm.logpdf(z).sum()
    )
    assert logp == pytest.approx(expected, rel=1e-8)
    tau, lam, beta = _at_values(m, ["tau", "lam", "beta"])(point)
    w = r2 / (1 - r2)
    assert tau == pytest.approx(sigma * math.sqrt(w), rel=1e-8)
    np.testing.assert_allclose(lam, np.sqrt(g / g.sum()), rtol=1e-8)
    np.testing.assert_allclose(beta, z * sigma * np.sqrt(w * g / g.sum()), rtol=1e-8)


def _two_layer_density(lam):
    """p(lambda) = int C+(lambda; 0, eta) C+(eta; 0, 1) d eta, by quadrature (the definition)."""
    return integrate.quad(
        lambda e: stats.halfcauchy(scale=e).pdf(lam) * stats.halfcauchy.pdf(e),
        0,
        np.inf,
        limit=200,
    )[0]


def test_horseshoe_plus_logp_matches_the_two_layer_integral():
    m = _model(P.HorseshoePlus(global_scale=0.3))
    rng = np.random.default_rng(4)
    # lambda = 1 is the density's removable singularity; 1 - 1e-7 takes the series branch
    lam, tau, z = np.array([0.01, 1.0, 1 - 1e-7, 7.0]), 0.2, rng.normal(size=PF)
    point = {"lam_log__": np.log(lam), "tau_log__": np.log(tau), "beta_z": z}
    logp = m.compile_logp(vars=m.free_RVs, jacobian=False)(point)
    expected = (
        sum(math.log(_two_layer_density(v)) for v in lam)
        + stats.halfcauchy(scale=0.3).logpdf(tau)
        + stats.norm.logpdf(z).sum()
    )
    assert logp == pytest.approx(expected, rel=1e-7)  # quad's relative accuracy ~1e-10
    (beta,) = _at_values(m, ["beta"])(point)
    np.testing.assert_allclose(beta, z * tau * lam, rtol=1e-8)


# -- prior predictive laws (slow: many prior draws) ----------------------------------------------
# KS tests at the 1e-3 level: a false alarm once in a thousand runs (seeds are fixed anyway).
# An empirical CDF at a sample quantile q has sd sqrt(q (1 - q) / draws) <= 0.5 / sqrt(4000)
# = 0.008; 4 sd ~ 0.03.

DRAWS = 4000


def _prior(model, names, seed=11):
    dt = pm.sample_prior_predictive(draws=DRAWS, model=model, random_seed=seed)
    return [dt["prior"][v].values.reshape(DRAWS, -1) for v in names]


@pytest.mark.slow
def test_r2d2_prior_r2_matches_beta_law():
    """The R^2 implied by the draws on a standardized design: the prior variance of x'beta is
    sum_j var(x_j) sd_j^2 with sd_j = beta_j / beta_z_j (the draws' own scale) and var(x_j)
    the standardized design's column variances; R^2 = that / (that + sigma^2)."""
    mean, prec, sigma = 0.3, 5.0, 1.3
    prior = P.R2D2(mean_r2=mean, precision_r2=prec, concentration=0.5)
    m = _model(prior, sigma=sigma, standardize=True)
    beta, z, phi = _prior(m, ["beta", "beta_z", "phi"])
    x_var = get_spec(m).design.X.var(axis=0)  # 1 up to rounding: columns standardized
    signal = ((beta / z) ** 2 * x_var).sum(axis=1)
    r2 = signal / (signal + sigma**2)
    assert stats.kstest(r2, stats.beta(mean * prec, (1 - mean) * prec).cdf).pvalue > 1e-3
    # Dirichlet(0.5, ..., 0.5) marginal: phi_1 ~ Beta(0.5, 0.5 (p - 1))
    assert stats.kstest(phi[:, 0], stats.beta(0.5, 0.5 * (PF - 1)).cdf).pvalue > 1e-3


def _log_halfcauchy_density(u):
    """Density of log|C| for a standard Cauchy C: sech(u) / pi."""
    return 1 / (np.pi * np.cosh(u))


def _hsplus_lam_cdf(x):
    """CDF of the local scale, p(lambda) = 4 log(lambda) / (pi^2 (lambda^2 - 1)), by quadrature."""
    grid = np.geomspace(1e-8, 1e8, 20001)
    dens = np.where(
        np.abs(grid - 1) < 1e-9, 2 / np.pi**2, 4 * np.log(grid) / (np.pi**2 * (grid**2 - 1))
    )
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    return np.interp(x, grid, cdf)


def _hsplus_abs_beta_cdf(g):
    """CDF of |beta_j| with tau ~ C+(0, g), by quadrature: |beta| = |z| tau eta nu, in log scale
    u = log(tau eta nu) = log g + the sum of three log|C|."""
    u = np.linspace(-40, 40, 8001)
    du = u[1] - u[0]
    d1 = _log_halfcauchy_density(u)
    conv = np.convolve(np.convolve(d1, d1, mode="same") * du, d1, mode="same") * du
    scales, w = g * np.exp(u), conv * du

    def beta_cdf(x):
        x = np.asarray(x, dtype=float)
        return np.array([np.sum(w * (2 * stats.norm.cdf(xi / scales) - 1)) for xi in x.ravel()])

    return beta_cdf


@pytest.mark.slow
def test_horseshoe_plus_marginals_match_quadrature():
    g = 0.5
    lam, beta = _prior(_model(P.HorseshoePlus(global_scale=g)), ["lam", "beta"])
    assert stats.kstest(lam[:, 0], _hsplus_lam_cdf).pvalue > 1e-3
    beta_cdf = _hsplus_abs_beta_cdf(g)
    qs = [0.1, 0.25, 0.5, 0.75, 0.9]
    np.testing.assert_allclose(beta_cdf(np.quantile(np.abs(beta[:, 0]), qs)), qs, atol=0.03)


# -- Gibbs updates of R2D2 -----------------------------------------------------------------------


def test_r2d2_gibbs_params_take_any_concentration():
    from shrinkage.inference.gibbs.core import _check_prior
    from shrinkage.inference.gibbs.spec import gibbs_arguments, prefer_gibbs

    args = gibbs_arguments(get_spec(_model(P.R2D2())))  # brms's 0.5 each
    assert args["prior"] == "r2d2"
    assert args["prior_params"] == {"concentration": 0.5, "a": 1.0, "b": 1.0}
    prior = P.R2D2(mean_r2=0.3, precision_r2=5.0, concentration=(0.2, 0.5, 1.0, 3.0))
    params = gibbs_arguments(get_spec(_model(prior)))["prior_params"]
    assert params == {"concentration": (0.2, 0.5, 1.0, 3.0), "a": 1.5, "b": 3.5}
    _check_prior("r2d2", PF, None, params)  # the core accepts them
    # "auto": Gibbs when p > n, as for the horseshoe; NUTS's marginal form when p <= n
    assert not prefer_gibbs(get_spec(_model(P.R2D2())))
    assert prefer_gibbs(get_spec(_model(P.R2D2(), p=30)))


def test_r2d2_gibbs_runs_at_tiny_concentrations():
    """Zhang et al.'s ``a/p``: ``log g_j`` of a Gamma(0.002) reaches below -745, where ``g_j``
    underflows to 0 (a ZeroDivisionError in the sweep before the support was truncated at
    ``R2D2_G_MIN``). The chain runs and every ``g_j`` stays on the support."""
    from shrinkage.inference.gibbs.core import gibbs_sample
    from shrinkage.inference.gibbs.updates import R2D2_G_MIN

    X, y = _sparse(30, 500, 1)
    params = {"concentration": 0.002, "a": 1.0, "b": 1.0}
    res = gibbs_sample(X, y, "r2d2", draws=20, tune=20, chains=1, random_seed=0,
                       prior_params=params, n_jobs=1)  # fmt: skip
    assert np.all(np.isfinite(res["beta"])) and np.all(np.isfinite(res["r2"]))
    assert res["phi_g"].min() >= R2D2_G_MIN
    # the region near the truncation is really visited: a priori P(g < 1e-200) =
    # ~(1e-200)^0.002 = 0.40 under Gamma(0.002), and the 498 null coefficients follow the prior
    assert (res["phi_g"] < 1e-200).mean() > 0.1


def _r2d2_state_logp(t, g, alpha, a, b):
    """log p(t, g) = log BetaPrime(t^2 T; a, b) + log(2 t T) + sum log Gamma(g_j; alpha_j),
    T = sum(g): the Gibbs state's prior, from scipy (W = t^2 T, phi = g / T)."""
    total = g.sum()
    return (
        stats.betaprime(a, b).logpdf(t**2 * total)
        + math.log(2 * t * total)
        + stats.gamma(alpha).logpdf(g).sum()
    )


def test_r2d2_gibbs_densities_match_scipy():
    """The two log densities the R2D2 Gibbs moves evaluate, as differences of the state's
    prior (constants drop out of slice sampling): ``t`` given ``g`` and ``sigma``, and
    ``x = log lam_j`` given the rest (Jacobian ``dg/dx = 2 g``)."""
    from shrinkage.inference.gibbs.r2d2 import R2D2Updates
    from shrinkage.inference.gibbs.updates import R2D2_GAMMA, _local_log_prior

    alpha, a, b = np.array([0.2, 0.5, 1.0, 3.0]), 1.5, 3.5
    ups = R2D2Updates(4, None, {"concentration": alpha, "a": a, "b": b})
    rng = np.random.default_rng(8)
    g = rng.gamma(1.0, size=4)
    ups.lam = np.sqrt(g)
    t1, t2, s = 0.3, 1.7, 1.3
    got = ups._log_tau_prior(t1 * s, s**2) - ups._log_tau_prior(t2 * s, s**2)
    ref = _r2d2_state_logp(t1, g, alpha, a, b) - _r2d2_state_logp(t2, g, alpha, a, b)
    assert got == pytest.approx(ref, rel=1e-10)  # one density two ways, double precision
    # tau | sigma has density p_t(tau / sigma) / sigma
    got = ups._log_tau_prior(0.9, 0.5**2) - ups._log_tau_prior(0.9, 2.0**2)
    ref = (_r2d2_state_logp(0.9 / 0.5, g, alpha, a, b) - math.log(0.5)) - (
        _r2d2_state_logp(0.9 / 2.0, g, alpha, a, b) - math.log(2.0)
    )
    assert got == pytest.approx(ref, rel=1e-10)
    t, j = 0.8, 2
    prm = np.array([R2D2_GAMMA, alpha[j], g.sum() - g[j], a, b])
    lp = {}
    for x in (-1.2, 0.7):
        gx = g.copy()
        gx[j] = math.exp(2 * x)
        ref = _r2d2_state_logp(t, gx, alpha, a, b) + math.log(2 * gx[j])
        lp[x] = (_local_log_prior(x, gx[j], t**2, prm), ref)
    assert lp[-1.2][0] - lp[0.7][0] == pytest.approx(lp[-1.2][1] - lp[0.7][1], rel=1e-10)


# -- every sampling path (slow: sampling) ----------------------------------------------------------


def _sparse(n, p, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[:2] = [1.5, -1.0]
    return X, X @ beta + rng.normal(size=n)


def _combined_mcse_gap(a, b, names):
    """Largest |mean_a - mean_b| / sqrt(mcse_a^2 + mcse_b^2) over the named variables."""
    import arviz as az

    worst = 0.0
    for v in names:
        ma, mb = (
            a["posterior"][v].mean(("chain", "draw")),
            b["posterior"][v].mean(("chain", "draw")),
        )
        sa = az.mcse(a, var_names=[v])[v]
        sb = az.mcse(b, var_names=[v])[v]
        worst = max(worst, float((abs(ma - mb) / np.sqrt(sa**2 + sb**2)).max()))
    return worst


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n", "p", "concentration", "sigma_prior"),
    [
        (50, 6, None, "halfnormal"),
        (50, 6, None, "jeffreys"),  # sigma^2 integrated out in the t step
        (50, 6, 1.0 / 6, "halfnormal"),
        (20, 30, None, "halfnormal"),
    ],
    ids=["brms-default", "jeffreys", "zhang-a-over-p", "p>n"],
)
def test_r2d2_gibbs_matches_nuts(n, p, concentration, sigma_prior):
    from shrinkage.inference import sample

    X, y = _sparse(n, p, 3)
    prior = P.R2D2(concentration=concentration)  # None: brms's 0.5 per coefficient
    family = GaussianFamily(sigma_prior=sigma_prior)
    model = build_model(X, y, prior=prior, family=family)
    kw = {"draws": 1000, "chains": 2, "random_seed": 2, "progressbar": False}
    gibbs = sample(model, sampler="gibbs", **kw)
    nuts = sample(model, sampler="nutpie", **kw)
    assert int(nuts["sample_stats"]["diverging"].sum()) == 0
    assert set(gibbs["posterior"].data_vars) == set(nuts["posterior"].data_vars)
    # posterior means within 4 combined Monte Carlo standard errors (MCSE from each run's ESS)
    assert _combined_mcse_gap(gibbs, nuts, ["beta", "r2", "sigma", "tau", "phi"]) < 4


@pytest.mark.slow
@pytest.mark.parametrize("name", ["r2d2", "horseshoe_plus"])
def test_estimator_by_name_reports_kappa(name):
    from shrinkage.estimators import BayesianRegression
    from shrinkage.report.stats import shrinkage_factors

    X, y = _sparse(60, 8, 4)
    est = BayesianRegression(prior=name, draws=300, chains=2, random_state=0).fit(X, y)
    idata = est.idata_
    assert idata["posterior"].attrs.get("shrinkage_form") == "marginal"  # the default form
    assert int(idata["sample_stats"]["diverging"].sum()) == 0
    sf = shrinkage_factors(idata)
    post = idata["posterior"]
    # kappa_j = 1 / (1 + n tau^2 lam_j^2 / sigma^2): for R2D2 tau^2 lam_j^2 = sigma^2 W phi_j
    expected = 1 / (1 + 60 * post["tau"] ** 2 * post["lam"] ** 2 / post["sigma"] ** 2)
    np.testing.assert_allclose(sf["kappa"].values, expected.values, rtol=1e-10)
    table = est.report().table
    assert "kappa_mean" in table and table["kappa_mean"].between(0, 1).all()
    assert table["kappa_mean"].iloc[:2].max() < 0.5  # the two signals are kept


@pytest.mark.slow
@pytest.mark.parametrize("prior", [P.R2D2(), P.HorseshoePlus()], ids=["r2d2", "hsplus"])
def test_logistic_noncentred_nuts_runs(prior):
    from shrinkage.inference import sample

    X, y = _sparse(80, 5, 6)
    model = build_model(X, (y > 0).astype(float), prior=prior, family="bernoulli")
    idata = sample(model, draws=200, tune=300, chains=2, random_seed=1, progressbar=False)
    post = idata["posterior"]
    assert {"beta", "tau", "lam"} <= set(post.data_vars)
    assert float(post["beta"].sel(feature="x0").mean()) > 0  # the strongest signal's sign


# -- Gibbs updates of the horseshoe+ -------------------------------------------------------------


def _eta_given_lam_cdf(lam):
    """CDF of eta | lam, p(eta | lam) ∝ C+(eta; 0, 1) C+(lam; 0, eta) (the definition), by the
    trapezoid rule in log eta on 1e-14..1e14 (4e4 nodes: relative error ~1e-7)."""
    log_e = np.linspace(-14, 14, 40001) * np.log(10)
    e = np.exp(log_e)
    dens = stats.halfcauchy.pdf(e) * stats.halfcauchy(scale=e).pdf(lam) * e  # d eta = e d log eta
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(log_e))])
    return lambda x: np.interp(np.log(x), log_e, cdf / cdf[-1])


@pytest.mark.parametrize("lam", [1e-6, 0.3, 1.0, 1 + 1e-13, 7.0, 1e6])
def test_eta_given_lam_matches_quadrature(lam):
    from shrinkage.inference.gibbs.horseshoe_plus import eta_given_lam

    eta = eta_given_lam(np.full(4000, lam), np.random.default_rng(2))
    assert np.all(np.isfinite(eta)) and np.all(eta > 0)
    # independent exact draws: a KS test at the 1e-3 level
    assert stats.kstest(eta, _eta_given_lam_cdf(lam)).pvalue > 1e-3


def test_eta_given_lam_is_finite_at_extreme_scales():
    from shrinkage.inference.gibbs.horseshoe_plus import eta_given_lam

    eta = eta_given_lam(np.array([1e-200, 1e-30, 1e30, 1e200]), np.random.default_rng(0))
    assert np.all(np.isfinite(eta)) and np.all(eta > 0)


@pytest.mark.slow
def test_horseshoe_plus_gibbs_without_data_targets_the_prior():
    """X = 0: the likelihood is flat in beta, so the Gibbs chain (eta | lam, the collapsed
    sweep on nu, the tau and interweaving moves) must reproduce the prior's marginals of
    lam_j and |beta_j| (quadrature). For each, the indicator that a draw lies below the q-th
    prior quantile has mean q; |z| <= 4 with z's MCSE from ArviZ (sd/sqrt(ESS)), over
    2 x 2 x 5 = 20 comparisons a false alarm ~20 x 6e-5 ~ 1e-3."""
    import arviz as az

    from shrinkage.inference.gibbs.core import gibbs_sample

    g = 0.5
    res = gibbs_sample(
        np.zeros((5, 10)), np.zeros(5), "horseshoe_plus", draws=1000, tune=100, thin=1,
        chains=4, random_seed=3, prior_params={"global_scale": g, "sigma_scaled": False},
        fixed_sigma=1.0, intercept=None, n_jobs=1, log_likelihood=False,
    )  # fmt: skip
    x = np.geomspace(1e-12, 1e12, 2401)
    beta_cdf = _hsplus_abs_beta_cdf(g)(x)
    cdfs = {"lam": _hsplus_lam_cdf, "beta": lambda v: np.interp(np.log(v), np.log(x), beta_cdf)}
    bad = []
    for name, cdf in cdfs.items():
        for j in (0, 1):
            u = cdf(np.abs(res[name][..., j]))
            for q in (0.1, 0.25, 0.5, 0.75, 0.9):
                hit = (u < q).astype(float)
                z = (hit.mean() - q) / az.mcse(hit, method="mean")
                if abs(z) > 4:
                    bad.append((name, j, q, float(hit.mean()), float(z)))
    assert not bad, bad
