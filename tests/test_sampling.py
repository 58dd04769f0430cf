import arviz as az
import numpy as np
import pytest
from sklearn.datasets import load_diabetes

from shrinkage import priors as P
from shrinkage.families import Gaussian as GaussianFamily
from shrinkage.inference import sample
from shrinkage.inference.sampling import _resolve_sampler
from shrinkage.model import build_model


def _tiny_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    return build_model(X, X[:, 0] + rng.normal(size=20), prior=P.Gaussian())


def test_unknown_sampler():
    with pytest.raises(ValueError, match="sampler must be"):
        sample(_tiny_model(), sampler="metropolis")


def test_auto_prefers_nutpie_when_installed():
    import importlib.util

    expected = "nutpie" if importlib.util.find_spec("nutpie") else "pymc"
    assert _resolve_sampler("auto") == expected


def test_backends_share_one_contract_and_never_import_the_funnel():
    """Each backend has a ``name`` and ``run(spec, model, request)``; the request is frozen."""
    import dataclasses
    import subprocess
    import sys

    from shrinkage.inference.backend import SampleRequest
    from shrinkage.inference.gibbs.adapter import Gibbs
    from shrinkage.inference.marginal.sampler import Marginal
    from shrinkage.inference.nuts import Nuts

    backends = [Nuts("nutpie"), Nuts("pymc"), Marginal("pymc"), Gibbs()]
    assert [b.name for b in backends] == ["nutpie", "pymc", "marginal", "gibbs"]
    assert all(callable(b.run) for b in backends)
    request = SampleRequest(
        draws=1, tune=None, chains=1, cores=None, random_seed=None, progressbar=False,
        target_accept=None, log_likelihood=True,
    )  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.draws = 2
    code = (
        "import sys, shrinkage.inference.nuts, shrinkage.inference.gibbs.adapter, "
        "shrinkage.inference.marginal.sampler, shrinkage.inference._idata; "
        "assert 'shrinkage.inference.sampling' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _mcse_close(a, b, mcse_a, mcse_b, k=4.0):
    """|a - b| <= k * combined Monte Carlo standard error, elementwise."""
    bound = k * np.sqrt(np.asarray(mcse_a) ** 2 + np.asarray(mcse_b) ** 2)
    assert np.all(np.abs(np.asarray(a) - np.asarray(b)) <= bound), (a, b, bound)


@pytest.mark.slow
def test_conjugate_gaussian_posterior_and_datatree():
    """Gaussian prior, Gaussian likelihood with sigma known: beta | y ~ N(m, S) exactly.

    S = (X'X / sigma^2 + I / s^2)^-1, m = S X'y / sigma^2 (no intercept, raw scale).
    """
    rng = np.random.default_rng(42)
    n, p, sigma, s = 50, 3, 1.5, 0.8
    X = rng.normal(size=(n, p))
    y = X @ np.array([1.0, -0.5, 0.0]) + sigma * rng.normal(size=n)
    model = build_model(
        X,
        y,
        prior=P.Gaussian(s),
        family=GaussianFamily(sigma=sigma),
        standardize=False,
        intercept=False,
    )
    dt = sample(
        model, draws=1000, tune=1000, chains=2, random_seed=1, sampler="pymc", progressbar=False
    )
    S = np.linalg.inv(X.T @ X / sigma**2 + np.eye(p) / s**2)
    m = S @ X.T @ y / sigma**2

    beta = dt["posterior"]["beta"].values  # (chain, draw, p)
    # means: MCSE = sd / sqrt(ESS) from ArviZ
    mcse = np.array([az.mcse(beta[:, :, j]) for j in range(p)])
    _mcse_close(beta.mean(axis=(0, 1)), m, mcse, 0.0)
    # covariances: entry (i, j) is the mean of (b_i - m_i)(b_j - m_j); its MCSE likewise
    for i in range(p):
        for j in range(i, p):
            prod = (beta[:, :, i] - m[i]) * (beta[:, :, j] - m[j])
            _mcse_close(prod.mean(), S[i, j], az.mcse(prod), 0.0)

    # the DataTree contract (docs/conventions.md)
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data", "constant_data"):
        assert group in dt.children
    assert dt["log_likelihood"]["y"].shape == (2, 1000, n)
    cd = dt["constant_data"]
    for name in ("x_center", "x_scale", "y_center", "y_scale"):
        assert name in cd
    assert dt.attrs["shrinkage_prior"] == "Gaussian(scale=0.8)"
    assert dt.attrs["shrinkage_family"] == "gaussian" and dt.attrs["n_obs"] == n
    assert list(dt["posterior"]["beta"].coords["feature"].values) == ["x0", "x1", "x2"]


def park_casella_gibbs(X, y, lam, n_iter, burn, rng):
    """Park & Casella (2008) Gibbs: flat intercept (integrated out), p(sigma^2) ∝ 1/sigma^2.

    beta | . ~ N(A^-1 X'y~, sigma^2 A^-1), A = X'X + D^-1;
    sigma^2 | . ~ InvGamma((n-1)/2 + p/2, ||y~ - X beta||^2/2 + beta' D^-1 beta / 2);
    1/tau_j^2 | . ~ InvGaussian(sqrt(lam^2 sigma^2 / beta_j^2), lam^2).
    """
    n, p = X.shape
    Xc = X - X.mean(axis=0)
    yt = y - y.mean()
    XtX, Xty = Xc.T @ Xc, Xc.T @ yt
    beta, sigma2, inv_tau2 = np.zeros(p), yt.var(), np.ones(p)
    out = np.empty((n_iter - burn, p))
    for it in range(n_iter):
        A = XtX + np.diag(inv_tau2)
        L = np.linalg.cholesky(A)
        mean = np.linalg.solve(A, Xty)
        beta = mean + np.sqrt(sigma2) * np.linalg.solve(L.T, rng.normal(size=p))
        resid = yt - Xc @ beta
        shape = (n - 1) / 2 + p / 2
        rate = resid @ resid / 2 + beta @ (inv_tau2 * beta) / 2
        sigma2 = rate / rng.gamma(shape)
        mu_ig = np.sqrt(lam**2 * sigma2 / beta**2)
        inv_tau2 = rng.wald(mu_ig, lam**2)
        if it >= burn:
            out[it - burn] = beta
    return out


@pytest.mark.slow
def test_park_casella_diabetes_matches_gibbs():
    X, y = load_diabetes(return_X_y=True)
    lam = 0.237
    model = build_model(
        X,
        y,
        prior=P.BayesianLasso(lam=lam),
        family=GaussianFamily(sigma_prior="jeffreys"),
        standardize=False,
        intercept="flat",
    )
    dt = sample(
        model, draws=1000, tune=1000, chains=2, random_seed=3, sampler="pymc", progressbar=False
    )
    nuts = dt["posterior"]["beta"].values  # (2, 1000, 10)
    rng = np.random.default_rng(7)
    gibbs = np.stack([park_casella_gibbs(X, y, lam, 3500, 500, rng) for _ in range(2)])
    for q in (0.025, 0.5, 0.975):
        for j in range(X.shape[1]):
            a, b = np.quantile(nuts[:, :, j], q), np.quantile(gibbs[:, :, j], q)
            ma = az.mcse(nuts[:, :, j], method="quantile", prob=q)
            mb = az.mcse(gibbs[:, :, j], method="quantile", prob=q)
            _mcse_close(a, b, ma, mb)
