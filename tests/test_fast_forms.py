"""Fast forms: the sufficient-statistics Gaussian likelihood and the horseshoe NUTS defaults."""

import numpy as np
import pymc as pm
import pytensor
import pytest
import xarray as xr

from shrinkage import priors as P
from shrinkage.families import SUFFSTAT_RATIO, Gaussian
from shrinkage.inference import sample
from shrinkage.model import build_model, set_predictors


def _data(n=60, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, 0] - 0.5 * X[:, 1] + rng.normal(size=n)
    return X, y


def _pair(X, y, prior, **family_kw):
    suff = build_model(X, y, prior=prior, family=Gaussian(likelihood="sufficient", **family_kw))
    plain = build_model(X, y, prior=prior, family=Gaussian(likelihood="pointwise", **family_kw))
    return suff, plain


@pytest.mark.parametrize(
    ("prior", "family_kw", "model_kw"),
    [
        (P.Horseshoe(), {}, {}),
        (P.Laplace(0.3), {"sigma": 0.7}, {}),
        (P.BayesianLasso(), {"sigma_prior": "jeffreys"}, {"intercept": "flat"}),
        (P.Gaussian(), {}, {"intercept": False, "standardize": False}),
    ],
)
def test_sufficient_stats_logp_equals_pointwise(prior, family_kw, model_kw):
    """Total logp and its gradient agree at random points (float rounding only)."""
    X, y = _data()
    fam_s = Gaussian(likelihood="sufficient", **family_kw)
    fam_p = Gaussian(likelihood="pointwise", **family_kw)
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        ms = build_model(X, y, prior=prior, family=fam_s, **model_kw)
        mp = build_model(X, y, prior=prior, family=fam_p, **model_kw)
        fs, fp = ms.compile_logp(), mp.compile_logp()
        gs, gp = ms.compile_dlogp(), mp.compile_dlogp()
    rng = np.random.default_rng(1)
    start = mp.initial_point()
    for _ in range(5):
        point = {k: v + rng.normal(scale=0.7, size=np.shape(v)) for k, v in start.items()}
        # the two forms sum the same n squares in a different order: relative error ~ n * eps
        np.testing.assert_allclose(fs(point), fp(point), rtol=1e-11)
        np.testing.assert_allclose(gs(point), gp(point), rtol=1e-9, atol=1e-9)


def test_auto_rule_and_other_families():
    assert Gaussian().uses_sufficient_stats(SUFFSTAT_RATIO * 10, 10)
    assert not Gaussian().uses_sufficient_stats(SUFFSTAT_RATIO * 10 - 1, 10)
    assert Gaussian(likelihood="sufficient").uses_sufficient_stats(5, 10)
    assert not Gaussian(likelihood="pointwise").uses_sufficient_stats(10_000, 10)
    from shrinkage.families import StudentT

    assert not StudentT(likelihood="sufficient").uses_sufficient_stats(10_000, 10)
    with pytest.raises(ValueError, match="likelihood must be"):
        Gaussian(likelihood="exact")


def test_sufficient_stats_model_has_no_rowwise_product():
    """The compiled logp graph of the sufficient form never touches the n x p design."""
    X, y = _data(n=500, p=3)
    model, _ = _pair(X, y, P.Gaussian())
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        fn = model.compile_logp()
    shapes = {
        tuple(getattr(c.data, "shape", ()))
        for c in pytensor.graph.traversal.ancestors(fn.f.maker.fgraph.outputs)
        if hasattr(c, "data")
    }
    assert (500, 3) not in shapes


def test_prediction_with_sufficient_stats():
    """set_predictors + sample_posterior_predictive draw N(a + Z beta, sigma) at new rows."""
    X, y = _data()
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        model, _ = _pair(X, y, P.Laplace())
        prior = pm.sample_prior_predictive(draws=200, model=model, random_seed=1)
        idata = xr.DataTree.from_dict({"posterior": prior["prior"].to_dataset()})
        X_new = np.random.default_rng(2).normal(size=(9, X.shape[1]))
        set_predictors(model, X_new)
        pp = pm.sample_posterior_predictive(
            idata, model=model, predictions=True, random_seed=3, progressbar=False
        )
    post = prior["prior"]
    Z = (X_new - X.mean(0)) / X.std(0)
    mu = np.einsum("np,cdp->cdn", Z, post["beta"].values) + post["intercept"].values[..., None]
    r = ((pp["predictions"]["y"].values - mu) / post["sigma"].values[..., None]).ravel()
    # standardized residuals are iid N(0, 1): mean within 4 SE, sd within 4 SE (~1/sqrt(2m))
    assert abs(r.mean()) < 4 / np.sqrt(r.size)
    assert abs(r.std() - 1) < 4 / np.sqrt(2 * r.size)
    assert np.std(r.reshape(200, 9), axis=1).min() > 0  # rows get independent noise


def _summ(dt, var):
    """Posterior mean and its MCSE (sd / sqrt(ESS_mean))."""
    import arviz as az

    x = dt["posterior"][var]
    ess = az.ess(dt, var_names=[var], method="mean")[var].values
    return x.mean(("chain", "draw")).values, x.std(("chain", "draw")).values / np.sqrt(ess)


@pytest.mark.slow
def test_sufficient_stats_posterior_and_loo_match_pointwise():
    X, y = _data(n=200, p=5, seed=3)
    suff, plain = _pair(X, y, P.BayesianLasso())
    # NUTS: the sufficient-statistics likelihood is what it runs on (sampler="auto" would
    # pick the Gibbs backend here, p <= n, which never evaluates the PyMC likelihood)
    kw = {"draws": 500, "tune": 400, "chains": 2, "progressbar": False, "sampler": "nutpie"}
    ds = sample(suff, random_seed=11, **kw)
    dp = sample(plain, random_seed=12, **kw)
    for var in ("beta", "intercept", "sigma", "lasso_lambda"):
        (ms, es), (mp, ep) = _summ(ds, var), _summ(dp, var)
        # independent chains: difference of means within 4 combined MCSE
        assert np.all(np.abs(ms - mp) <= 4 * np.hypot(es, ep)), (var, ms, mp)
    # same layout and values as PyMC's pointwise log-likelihood at the same draws
    ref = pm.compute_log_likelihood(ds.copy(), model=plain, progressbar=False)
    got = ds["log_likelihood"]["y"]
    assert got.dims == ref["log_likelihood"]["y"].dims == ("chain", "draw", "obs")
    np.testing.assert_allclose(got.values, ref["log_likelihood"]["y"].values, rtol=1e-10)
    np.testing.assert_array_equal(ds["observed_data"]["y"].values, suff["y_data"].get_value())


@pytest.mark.slow
def test_horseshoe_default_form_has_no_divergences():
    rng = np.random.default_rng(2)
    n, p = 50, 100
    X = rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[:3] = [2.5, -2.0, 1.5]
    y = X @ beta + rng.normal(size=n)
    dt = sample(
        build_model(X, y, prior=P.Horseshoe()),
        # the default NUTS form (marginal; the non-centred form gave 2 and 11 divergences at
        # seeds 1, 2); sampler="auto" would pick the Gibbs backend here (p > n)
        sampler="nutpie",
        draws=500,
        tune=500,
        chains=2,
        random_seed=2,
        progressbar=False,
        log_likelihood=False,
    )
    assert dt["posterior"].attrs["shrinkage_form"] == "marginal"
    assert int(dt["sample_stats"]["diverging"].sum()) == 0


@pytest.mark.slow
def test_bayesian_lasso_nutpie_mixes_on_diabetes():
    """L1-kinked priors use nutpie's draw-based mass matrix; the default gradient-based one
    gave min bulk ESS 502 and r_hat 1.014 here (4 x 1000, seed 1), draw_diag 1715 and 1.003.

    Thresholds: ESS > 1000 sits between the two measurements (ESS varies by ~10-20% across
    seeds); r_hat <= 1.01 is the usual convergence bar.
    """
    import arviz as az
    from sklearn.datasets import load_diabetes

    pytest.importorskip("nutpie")
    X, y = load_diabetes(return_X_y=True)
    dt = sample(
        build_model(X, y, prior=P.BayesianLasso()),
        sampler="nutpie",
        draws=1000,
        tune=1000,
        chains=4,
        random_seed=1,
        progressbar=False,
        log_likelihood=False,
    )
    names = ["beta", "lasso_lambda"]
    ess = az.ess(dt, var_names=names, method="bulk")
    rhat = az.rhat(dt, var_names=names)
    assert min(float(ess[v].min()) for v in names) > 1000
    assert max(float(rhat[v].max()) for v in names) <= 1.01
    assert int(dt["sample_stats"]["diverging"].sum()) == 0
