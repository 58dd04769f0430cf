import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytest
import xarray as xr

from shrinkage import priors as P
from shrinkage.model import build_model, get_spec, set_predictors


@pytest.fixture(autouse=True)
def _fast_compile():
    """Structure and log-density checks do not need the numba backend's slow compile."""
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


N, PF = 30, 6
GROUPS = ["g0", "g0", "g1", "g1", "g2", "g2"]
PRIORS = [
    P.Gaussian(1.0),
    P.Laplace(0.5),
    P.BayesianLasso(),
    P.BayesianLasso(lam=0.5),
    P.ElasticNet(1.0, 1.0),
    P.Horseshoe(),
    P.RegularizedHorseshoe(2),
    P.GroupLasso(1.0),
    P.GroupHorseshoe(),
]
FAMILIES = ["gaussian", "student_t", "laplace", "bernoulli", "poisson", "multi_gaussian"]
MULTI_OK = (P.Gaussian, P.Laplace, P.ElasticNet, P.GroupLasso, P.GroupHorseshoe)


def _data(family, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(N, PF)), columns=[f"f{j}" for j in range(PF)])
    y = X["f0"].to_numpy() + rng.normal(size=N)
    y = {
        "bernoulli": (y > 0).astype(float),
        "poisson": rng.poisson(np.exp(0.5 * y.clip(-2, 2))).astype(float),
        "multi_gaussian": pd.DataFrame({"u": y, "v": -y + rng.normal(size=N)}),
    }.get(family, y)
    return X, y


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_every_combination_builds(prior, family):
    X, y = _data(family)
    multi = family == "multi_gaussian"
    groups = GROUPS if prior.needs_groups else None
    if multi and not isinstance(prior, MULTI_OK):
        with pytest.raises(ValueError, match="not supported with the multi-output family"):
            build_model(X, y, prior=prior, family=family, groups=groups)
        return
    model = build_model(X, y, prior=prior, family=family, groups=groups)
    assert list(model.coords["feature"]) == list(X.columns)
    assert len(model.coords["obs"]) == N
    beta_dims = ("feature", "output") if multi else ("feature",)
    for name in ("beta", "beta_original"):
        assert model.named_vars_to_dims[name] == beta_dims
    ip = model.initial_point()
    fn = model.compile_fn(
        model.replace_rvs_by_values([model["beta"], model["beta_original"]]),
        inputs=model.value_vars,
        on_unused_input="ignore",
    )
    beta, beta_orig = fn(ip)
    assert beta.shape == beta_orig.shape == ((PF, 2) if multi else (PF,))
    if multi:
        assert list(model.coords["output"]) == ["u", "v"]
    if prior.needs_groups:
        expected = ["g0", "g1", "g2"] if not multi or groups else list(X.columns)
        assert list(model.coords["group"]) == expected
    assert np.isfinite(model.compile_logp()(ip))
    assert get_spec(model).prior is prior


def test_group_prior_without_groups_raises():
    X, y = _data("gaussian")
    for prior in (P.GroupLasso(), P.GroupHorseshoe()):
        with pytest.raises(ValueError, match="needs groups"):
            build_model(X, y, prior=prior)


def test_multi_output_group_prior_defaults_to_rows():
    X, y = _data("multi_gaussian")
    model = build_model(X, y, prior=P.GroupHorseshoe(), family="multi_gaussian")
    assert list(model.coords["group"]) == list(X.columns)


def test_bad_prior_and_intercept_options():
    X, y = _data("gaussian")
    with pytest.raises(TypeError, match="Prior"):
        build_model(X, y, prior="laplace")
    with pytest.raises(ValueError, match="intercept must be"):
        build_model(X, y, prior=P.Laplace(), intercept="yes")


def test_get_spec_refuses_foreign_model():
    with pytest.raises(ValueError, match="not built by shrinkage"):
        get_spec(pm.Model())


def test_beta_original_matches_design():
    X, y = _data("gaussian")
    model = build_model(X, 10 * y + 3, prior=P.Gaussian())
    design = get_spec(model).design
    rng = np.random.default_rng(3)
    pt = model.initial_point()
    pt["beta"], pt["intercept"] = rng.normal(size=PF), np.array(0.4)
    outs = model.replace_rvs_by_values([model["beta_original"], model["intercept_original"]])
    fn = model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")
    b_orig, a_orig = fn(pt)
    exp_b, exp_a = design.to_original(pt["beta"], 0.4)
    np.testing.assert_allclose(b_orig, exp_b, rtol=1e-10)  # same formula, rounding only
    np.testing.assert_allclose(a_orig, exp_a, rtol=1e-10)


def test_flat_intercept_and_no_intercept():
    X, y = _data("gaussian")
    m = build_model(X, y, prior=P.Gaussian(), intercept="flat")
    assert type(m["intercept"].owner.op).__name__.startswith("Flat")
    m = build_model(X, y, prior=P.Gaussian(), intercept=False)
    assert "intercept" not in m.named_vars


@pytest.mark.parametrize("family", ["gaussian", "multi_gaussian"])
def test_prediction_with_new_rows(family):
    """pm.set_data + sample_posterior_predictive at new X of another length."""
    X, y = _data(family)
    model = build_model(X, y, prior=P.Laplace(), family=family)
    prior = pm.sample_prior_predictive(draws=50, model=model, random_seed=1)
    idata = xr.DataTree.from_dict({"posterior": prior["prior"].to_dataset()})
    X_new = pd.DataFrame(np.random.default_rng(2).normal(size=(7, PF)), columns=X.columns)
    set_predictors(model, X_new)
    pp = pm.sample_posterior_predictive(
        idata, model=model, predictions=True, random_seed=3, progressbar=False
    )
    ypred = pp["predictions"]["y"]
    assert ypred.shape[:3] == (1, 50, 7)
    if family == "multi_gaussian":
        assert ypred.shape[3] == 2
    # the predictive mean follows the new rows: with sigma tiny it equals intercept + Z beta
    post = idata["posterior"]
    Z = get_spec(model).design.transform(X_new)
    mu = np.einsum("np,cdp...->cdn...", Z, post["beta"].values)
    mu = mu + (
        post["intercept"].values[:, :, None]
        if family == "gaussian"
        else post["intercept"].values[:, :, None, :]
    )
    sigma = (
        post["sigma"].values[:, :, None]
        if family == "gaussian"
        else post["sigma"].values[:, :, None, :]
    )
    # standardized residuals of the draws are N(0, 1): mean within 4 SE of 0
    r = ((ypred.values - mu) / sigma).ravel()
    assert abs(r.mean()) < 4 / np.sqrt(r.size)
