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


# -- each family's facts agree with its likelihood ------------------------------------------------
# Every fact is checked against the PyMC likelihood the family builds (``build_likelihood``),
# evaluated at a few linear predictors; 1e-8 relative: two double precision evaluations.
ETA = np.array([-2.0, -0.4, 0.0, 0.3, 1.5])
SIGMA = 0.7
FAMILIES = [
    F.Gaussian(),
    F.StudentT(nu=5.0),
    F.Laplace(),
    F.Bernoulli(),
    F.Poisson(),
    F.MultiGaussian(),
]


def _neg_loglik(family, eta, y):
    """``-log p(y | eta, sigma = SIGMA)`` summed over rows, from the family's likelihood."""
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model():
        sigma = SIGMA if family.has_sigma else None
        rv = family.build_likelihood(pt.as_tensor(eta), y, sigma, None)
    return -float(pm.logp(rv, y).sum().eval())


def _grid_moments(family, eta):
    """``E[y | eta]`` and ``Var[y | eta]`` by summing ``y p(y | eta)`` over the support."""
    import pymc as pm
    import pytensor.tensor as pt

    if family.name == "bernoulli":
        support, step = np.array([0.0, 1.0]), 1.0
    elif family.name == "poisson":
        support, step = np.arange(0.0, 200.0), 1.0
    else:  # wide, fine grid: the Student-t(5) tail beyond +-300 sigma is ~1e-11 of its variance
        support = eta + np.linspace(-300.0, 300.0, 600_001)
        step = support[1] - support[0]
    with pm.Model():
        sigma = SIGMA if family.has_sigma else None
        rv = family.build_likelihood(
            pt.as_tensor(np.full(support.shape, eta)), support, sigma, None
        )
    p = np.exp(pm.logp(rv, support).eval()) * step
    mean = np.sum(support * p)
    return mean, np.sum((support - mean) ** 2 * p)


@pytest.mark.parametrize("family", FAMILIES[:5], ids=lambda f: f.name)
def test_inverse_link_and_noise_variance_are_the_likelihood_moments(family):
    for eta in ETA[[0, 2, 4]]:
        mean, var = _grid_moments(family, eta)
        assert family.inverse_link(np.array([eta]))[0] == pytest.approx(mean, rel=1e-6, abs=1e-9)
        m = family.inverse_link(np.array([[eta]]))
        expected_var = family.noise_variance(m, SIGMA, getattr(family, "nu", None))[0, 0]
        assert expected_var == pytest.approx(var, rel=1e-4)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_loss_scale_and_datafit_are_the_likelihood(family, rng):
    """``-log p(y | eta1) + log p(y | eta2) = (n / c) (F(eta1) - F(eta2))`` at fixed sigma."""
    n = ETA.size
    shape = (n, 3) if family.multi_output else (n,)
    eta1, eta2 = rng.normal(size=shape), rng.normal(size=shape)
    if family.name == "bernoulli":
        y = (rng.random(shape) < 0.5).astype(float)
    elif family.name == "poisson":
        y = rng.poisson(2.0, size=shape).astype(float)
    else:
        y = rng.normal(size=shape)
    if family.loss_scale_power is None:  # Student-t: no convex datafit, no loss scale
        with pytest.raises(NotImplementedError):
            family.loss_scale(SIGMA)
        with pytest.raises(NotImplementedError):
            family.datafit_value(y, eta1)
        assert family.solvers_datafit is None and family.datafit() is None
        return
    c = family.loss_scale(SIGMA if family.has_sigma else 1.0)
    expected = (n / c) * (family.datafit_value(y, eta1) - family.datafit_value(y, eta2))
    got = _neg_loglik(family, eta1, y) - _neg_loglik(family, eta2, y)
    assert got == pytest.approx(expected, rel=1e-8)
    # the solvers datafit computes the same F (Laplace's L1 loss has none: linear programming)
    datafit = family.datafit()
    if family.name == "laplace":
        assert datafit is None
    else:
        assert type(datafit).__name__ == family.solvers_datafit
        assert datafit.value(y, eta1) == pytest.approx(family.datafit_value(y, eta1), rel=1e-12)


def test_loss_scale_powers():
    assert [f.loss_scale(SIGMA) for f in FAMILIES if f.loss_scale_power is not None] == [
        pytest.approx(SIGMA**2),
        pytest.approx(SIGMA),
        1.0,
        1.0,
        pytest.approx(SIGMA**2),
    ]


def test_pseudo_sigma_is_one_over_the_sd_at_the_mean():
    # Piironen & Vehtari (2017): sigma~ = 1 / sqrt(Var[y | mean]) at the mean of y
    y = np.array([0.0, 1.0, 3.0, 4.0])
    for family, mean in [(F.Bernoulli(), 0.5), (F.Poisson(), y.mean())]:
        var = family.noise_variance(np.array([[mean]]))[0, 0]
        assert family.pseudo_sigma(y) == pytest.approx(1.0 / np.sqrt(var), rel=1e-12)


def test_sample_response_has_the_family_moments():
    # one draw per entry of a 1 x 200000 mean: sample mean / variance within 5 Monte Carlo sd
    rng = np.random.default_rng(0)
    size = 200_000
    for family in FAMILIES[:5]:
        m = family.inverse_link(np.full((1, size), 0.3))
        nu = getattr(family, "nu", None)
        draws = family.sample_response(rng, m, SIGMA, nu)
        var = family.noise_variance(m, SIGMA, nu)[0, 0]
        assert abs(draws.mean() - m[0, 0]) < 5 * np.sqrt(var / size), family.name
