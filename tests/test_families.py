import numpy as np
import pytensor
import pytest
from scipy import stats

from shrinkage import families as F
from shrinkage.model import build_model
from shrinkage.priors import Gaussian


@pytest.fixture(autouse=True)
def _fast_compile():
    """Structure and log-density checks do not need the numba backend's slow compile."""
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


@pytest.fixture
def data(rng):
    X = rng.normal(size=(30, 3))
    return X, X[:, 0] + rng.normal(size=30)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("gaussian", F.Gaussian),
        ("student_t", F.StudentT),
        ("laplace", F.Laplace),
        ("bernoulli", F.Bernoulli),
        ("poisson", F.Poisson),
        ("multi_gaussian", F.MultiGaussian),
        ("Logistic", F.Bernoulli),
    ],
)
def test_get_family_by_name(name, cls):
    assert type(F.get_family(name)) is cls


def test_get_family_passes_objects_and_refuses_unknown():
    fam = F.StudentT(nu=4.0)
    assert F.get_family(fam) is fam
    with pytest.raises(ValueError, match="unknown family 'tweedie'"):
        F.get_family("tweedie")
    with pytest.raises(TypeError, match="string or a Family"):
        F.get_family(3)


def test_non_binary_logistic_target_raises(data):
    X, y = data
    with pytest.raises(ValueError, match="must be binary"):
        build_model(X, y, prior=Gaussian(), family="bernoulli")


def test_single_class_logistic_target_raises(data):
    X, _ = data
    with pytest.raises(ValueError, match="single class"):
        build_model(X, np.ones(30), prior=Gaussian(), family="bernoulli")


def test_non_count_poisson_target_raises(data):
    X, y = data
    with pytest.raises(ValueError, match="non-negative integer counts"):
        build_model(X, np.abs(y), prior=Gaussian(), family="poisson")


def test_two_d_target_needs_multi_output_family(data, rng):
    X, _ = data
    with pytest.raises(ValueError, match="multi_gaussian"):
        build_model(X, rng.normal(size=(30, 2)), prior=Gaussian())
    with pytest.raises(ValueError, match=r"shape \(n, k\)"):
        build_model(X, rng.normal(size=30), prior=Gaussian(), family="multi_gaussian")


def test_bad_family_options():
    with pytest.raises(ValueError, match="sigma must be"):
        F.Gaussian(sigma=-1.0)
    with pytest.raises(ValueError, match="sigma_prior"):
        F.Gaussian(sigma_prior="flat")
    with pytest.raises(ValueError, match="nu must be"):
        F.StudentT(nu=-2.0)


def _loglik(model, point):
    return float(model.compile_logp(vars=[model["y"]], jacobian=False)(point))


# Likelihoods against scipy at the initial point moved to a random place; 1e-8: two double
# precision evaluations of one density.


def _point_and_mu(model, rng):
    pt = {k: rng.normal(scale=0.3, size=v.shape) for k, v in model.initial_point().items()}
    beta, a = pt["beta"], pt["intercept"]
    return pt, model["X"].get_value() @ beta + a


@pytest.mark.parametrize("fam", ["gaussian", "student_t", "laplace"])
def test_gaussian_type_loglik(fam, data, rng):
    X, y = data
    model = build_model(X, y, prior=Gaussian(), family=fam)
    pt, mu = _point_and_mu(model, rng)
    ys, sigma = model["y_data"].get_value(), np.exp(pt["sigma_log__"])
    if fam == "gaussian":
        expected = stats.norm(mu, sigma).logpdf(ys).sum()
    elif fam == "laplace":
        expected = stats.laplace(mu, sigma).logpdf(ys).sum()
    else:
        expected = stats.t(np.exp(pt["nu_log__"]), mu, sigma).logpdf(ys).sum()
    assert _loglik(model, pt) == pytest.approx(expected, rel=1e-8)


def test_bernoulli_and_poisson_loglik(data, rng):
    X, y = data
    yb = (y > 0).astype(float)
    model = build_model(X, yb, prior=Gaussian(), family="bernoulli")
    pt, mu = _point_and_mu(model, rng)
    expected = stats.bernoulli(1 / (1 + np.exp(-mu))).logpmf(yb).sum()
    assert _loglik(model, pt) == pytest.approx(expected, rel=1e-8)
    yc = rng.poisson(3.0, size=30).astype(float)
    model = build_model(X, yc, prior=Gaussian(), family="poisson")
    pt, mu = _point_and_mu(model, rng)
    assert _loglik(model, pt) == pytest.approx(stats.poisson(np.exp(mu)).logpmf(yc).sum())


def test_gaussian_noise_prior_scaled_to_sd_y(data):
    X, y = data
    model = build_model(X, 100 * y, prior=Gaussian(), family="gaussian", standardize=False)
    pt = model.initial_point()
    pt["sigma_log__"] = np.log(50.0)
    logp = float(model.compile_logp(vars=[model["sigma"]], jacobian=False)(pt))
    assert logp == pytest.approx(stats.halfnorm(scale=np.std(100 * y)).logpdf(50.0), rel=1e-8)


def test_jeffreys_sigma_prior(data):
    # p(sigma) ∝ 1/sigma: the model logp (no Jacobian) changes by -log(s2/s1) between two sigmas
    X, y = data
    model = build_model(X, y, prior=Gaussian(), family=F.Gaussian(sigma_prior="jeffreys"))
    logp = model.compile_logp(vars=[model["sigma"]], jacobian=False)
    pot = model.compile_fn(
        model.replace_rvs_by_values(model.potentials)[0],
        inputs=model.value_vars,
        on_unused_input="ignore",
    )
    pt = model.initial_point()
    vals = []
    for s in (0.5, 2.0):
        pt["sigma_log__"] = np.log(s)
        vals.append(float(logp(pt)) + float(pot(pt)))
    assert vals[1] - vals[0] == pytest.approx(-np.log(4.0), rel=1e-10)


def test_fixed_sigma_has_no_sigma_variable(data):
    X, y = data
    model = build_model(X, y, prior=Gaussian(), family=F.Gaussian(sigma=0.5))
    assert "sigma" not in model.named_vars


def test_multi_output_sigma_per_output(data, rng):
    X, _ = data
    model = build_model(X, rng.normal(size=(30, 3)), prior=Gaussian(), family="multi_gaussian")
    assert model.named_vars_to_dims["sigma"] == ("output",)
    assert model.named_vars_to_dims["y"] == ("obs", "output")
