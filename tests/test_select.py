"""shrinkage.select: projection predictive selection, DSS and SAVS.

The exactness checks use synthetic posterior draws (a DataTree built by hand around a real
``build_model`` model) so they run in seconds; the recovery check samples (slow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from shrinkage.model import build_model, get_spec
from shrinkage.priors import Gaussian as GaussianPrior
from shrinkage.select import dss, projection, savs
from shrinkage.select._project import project_glm
from shrinkage.solvers import L1, L2, Quadratic, WeightedL1, path, solve


def fake_idata(model, chains: int = 2, draws: int = 50, seed: int = 0) -> xr.DataTree:
    """Draws around the maximum-likelihood fit (a stand-in posterior with the right names)."""
    spec = get_spec(model)
    X, y = spec.design.X, spec.design.y
    rng = np.random.default_rng(seed)
    n, p = X.shape
    Z = np.hstack([np.ones((n, 1)), X])
    if spec.family.name == "gaussian":
        theta = np.linalg.lstsq(Z, y, rcond=None)[0]
    else:  # a few Newton steps of the unpenalized GLM
        theta = np.zeros(p + 1)
        for _ in range(25):
            m = spec.family.inverse_link(Z @ theta)
            H = (Z * spec.family.noise_variance(m)[:, None]).T @ Z + 1e-6 * np.eye(p + 1)
            theta -= np.linalg.solve(H, Z.T @ (m - y))
    cov = np.linalg.inv(Z.T @ Z) * (0.5 if spec.family.name == "gaussian" else 4.0)
    draws_ = rng.multivariate_normal(theta, cov, size=(chains, draws))
    post = {
        "beta": (("chain", "draw", "feature"), draws_[..., 1:]),
        "intercept": (("chain", "draw"), draws_[..., 0]),
    }
    if spec.family.has_sigma:
        post["sigma"] = (("chain", "draw"), 0.7 + 0.02 * rng.standard_normal((chains, draws)))
    coords = {"feature": spec.design.feature_names}
    return xr.DataTree.from_dict({"posterior": xr.Dataset(post, coords=coords)})


@pytest.fixture(scope="module")
def gaussian_fit():
    from shrinkage.datasets import load_diabetes

    X, y = load_diabetes()
    model = build_model(X, y, prior=GaussianPrior(1.0))
    return model, fake_idata(model)


@pytest.fixture(scope="module")
def logistic_fit():
    from shrinkage.datasets import load_saheart

    X, y = load_saheart()
    model = build_model(X, y, prior=GaussianPrior(1.0), family="bernoulli")
    return model, fake_idata(model, draws=25)


@pytest.fixture(scope="module")
def poisson_fit():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.standard_normal((150, 6)), columns=[f"c{j}" for j in range(6)])
    y = rng.poisson(np.exp(0.5 + 0.6 * X["c0"] - 0.4 * X["c3"]))
    model = build_model(X, y, prior=GaussianPrior(1.0), family="poisson")
    return model, fake_idata(model, draws=25)


def _draws(idata, name):
    da = idata["posterior"][name]
    return np.asarray(da.values).reshape(da.sizes["chain"] * da.sizes["draw"], -1)


# ------------------------------------------------------------------ projection: exactness
def test_gaussian_projection_equals_closed_form(gaussian_fit):
    model, idata = gaussian_fit
    res = projection(idata, model, max_size=4)
    spec = get_spec(model)
    X, n = spec.design.X, spec.design.X.shape[0]
    beta, a = _draws(idata, "beta"), _draws(idata, "intercept").ravel()
    sigma = _draws(idata, "sigma").ravel()
    mu = X @ beta.T + a  # (n, S): each draw's fit
    cols = [spec.design.feature_names.index(f) for f in res.path[:3]]
    Z = np.hstack([np.ones((n, 1)), X[:, cols]])
    theta = np.linalg.solve(Z.T @ Z, Z.T @ mu)  # normal equations, intercept first
    sigma_perp = np.sqrt(sigma**2 + np.mean((mu - Z @ theta) ** 2, axis=0))
    proj = res.project(3)
    assert list(proj["posterior"]["beta"]["feature"].values) == res.path[:3]
    # 1e-10: both are direct solves of a well-conditioned 4x4 system (cond ~ 10), round-off only
    np.testing.assert_allclose(_draws(proj, "beta"), theta[1:].T, atol=1e-10)
    np.testing.assert_allclose(_draws(proj, "intercept").ravel(), theta[0], atol=1e-10)
    np.testing.assert_allclose(_draws(proj, "sigma").ravel(), sigma_perp, atol=1e-10)
    # original scale follows the design's stored scaling
    full = np.zeros((len(sigma), X.shape[1]))
    full[:, cols] = theta[1:].T
    b_orig, a_orig = spec.design.to_original(full, theta[0])
    np.testing.assert_allclose(_draws(proj, "beta_original"), b_orig[:, cols], rtol=1e-10)
    np.testing.assert_allclose(_draws(proj, "intercept_original").ravel(), a_orig, rtol=1e-10)


def _sklearn_logistic(X, m):
    """Unpenalized logistic fit to targets m in [0, 1]: each row twice, as y = 1 with weight
    m_i and y = 0 with weight 1 - m_i (the same log-likelihood)."""
    from sklearn.linear_model import LogisticRegression

    Xd = np.vstack([X, X])
    yd = np.r_[np.ones(len(m)), np.zeros(len(m))]
    est = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    est.fit(Xd, yd, sample_weight=np.r_[m, 1 - m])
    return est.intercept_[0], est.coef_.ravel()


def _sklearn_poisson(X, m):
    from sklearn.linear_model import PoissonRegressor

    est = PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    est.fit(X, m)
    return est.intercept_, est.coef_


@pytest.mark.parametrize(
    ("fixture", "reference"),
    [("logistic_fit", _sklearn_logistic), ("poisson_fit", _sklearn_poisson)],
)
def test_glm_projection_equals_sklearn_and_solvers(fixture, reference, request):
    model, idata = request.getfixturevalue(fixture)
    spec = get_spec(model)
    X = spec.design.X
    beta, a = _draws(idata, "beta")[:3], _draws(idata, "intercept")[:3].ravel()
    mu = spec.family.inverse_link(X @ beta.T + a)
    cols = [0, 2, 4]
    proj = project_glm(spec.family, X, mu, cols, tol=1e-12)
    from shrinkage.select._common import mean_datafit

    for s in range(3):
        c_ref, w_ref = reference(X[:, cols], mu[:, s])
        # 1e-6: sklearn's Newton stops at tol 1e-12 on its gradient; ours at 1e-12 (KKT)
        np.testing.assert_allclose(proj.coef[s], w_ref, atol=1e-6)
        np.testing.assert_allclose(proj.intercept[s], c_ref, atol=1e-6)
        ours = solve(X[:, cols], mu[:, s], mean_datafit(spec.family), L2(0.0), tol=1e-12)
        np.testing.assert_allclose(proj.coef[s], ours.coef, atol=1e-6)


def _entry_order(coefs):
    """First path index with a non-zero coefficient; ties by larger |coef| there."""
    keys = []
    for j in range(coefs.shape[1]):
        nz = np.flatnonzero(coefs[:, j])
        if nz.size:
            keys.append((nz[0], -abs(coefs[nz[0], j]), j))
    return [j for _, _, j in sorted(keys)]


def test_l1_search_order_is_the_solver_path_entry_order(gaussian_fit, logistic_fit):
    from shrinkage.select._common import mean_datafit

    for model, idata in (gaussian_fit, logistic_fit):
        spec = get_spec(model)
        X = spec.design.X
        mu_bar = spec.family.inverse_link(
            X @ _draws(idata, "beta").T + _draws(idata, "intercept").ravel()
        ).mean(axis=1)
        ref = path(X, mu_bar, mean_datafit(spec.family), L1(1.0), n_alphas=100, eps=1e-3,
                   tol=1e-8)  # fmt: skip
        expected = [spec.design.feature_names[j] for j in _entry_order(ref.coefs)]
        res = projection(idata, model, max_size=5, validate="loo", n_draws=40)
        assert res.path == expected[:5]


def test_projection_table_and_suggested_size(gaussian_fit):
    model, idata = gaussian_fit
    res = projection(idata, model, max_size=6, n_draws=40)
    t = res.sizes
    assert list(t.index) == list(range(7))
    assert t["feature"].iloc[0] == "(intercept only)"
    assert list(t["feature"].iloc[1:]) == res.path
    ok = t["elpd_diff"] + t["diff_se"] >= 0
    expected = int(np.flatnonzero(ok)[0]) if ok.any() else 6
    assert res.suggested_size == expected
    assert res.selected == res.path[:expected]
    frame = res.to_frame()
    assert frame.index.tolist() == get_spec(model).design.feature_names
    assert frame["projection_selected"].sum() == expected
    # the reference's elpd is ArviZ's PSIS-LOO on the same draws (sum of the pointwise values)
    assert np.isfinite(res.reference_elpd) and res.reference_se > 0


def test_forward_search_and_kfold(gaussian_fit, poisson_fit):
    model, idata = gaussian_fit
    res = projection(idata, model, search="forward", max_size=3, validate=3, n_draws=40)
    assert len(res.path) == 3 and len(res.fold_paths) == 3
    assert np.isnan(res.sizes["pareto_k_max"]).all()
    # forward step 1 on the Gaussian family: the single column whose projection fits best
    spec = get_spec(model)
    X = spec.design.X
    mu = X @ _draws(idata, "beta").T + _draws(idata, "intercept").ravel()
    resid = [np.sum((mu - mu.mean(0) - np.outer(X[:, j], X[:, j] @ (mu - mu.mean(0)) / (X[:, j] @ X[:, j]))) ** 2) for j in range(X.shape[1])]  # fmt: skip
    assert res.path[0] == spec.design.feature_names[int(np.argmin(resid))]
    model, idata = poisson_fit
    res = projection(idata, model, max_size=3, n_draws=40)
    assert res.path[:2] == ["c0", "c3"]


# ------------------------------------------------------------------ DSS
def test_dss_path_is_the_weighted_lasso(gaussian_fit):
    from sklearn.linear_model import Lasso

    model, idata = gaussian_fit
    res = dss(idata, model, n_alphas=30, tol=1e-14)
    spec = get_spec(model)
    X = spec.design.X
    beta, a = _draws(idata, "beta"), _draws(idata, "intercept").ravel()
    bbar = beta.mean(axis=0)
    np.testing.assert_allclose(res.weights, 1 / np.abs(bbar), rtol=1e-12)
    target = (X @ beta.T + a).mean(axis=1)
    for i in (3, 12, 25):
        alpha = res.alphas[i]
        ours = solve(X, target, Quadratic(), WeightedL1(alpha, res.weights), tol=1e-16)
        lasso = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X * np.abs(bbar), target)
        # 1e-8: all three stop at duality gaps <= 1e-13 (sklearn: tol * ||y||^2 / n ~ 2e-14);
        # with the strong convexity of the active columns that puts coefficients within 1e-8
        np.testing.assert_allclose(res.coefs.iloc[i].to_numpy(), ours.coef, atol=1e-8)
        np.testing.assert_allclose(res.coefs.iloc[i].to_numpy(), lasso.coef_ * np.abs(bbar),
                                   atol=1e-8)  # fmt: skip


def test_dss_gap_and_chosen_size(gaussian_fit):
    model, idata = gaussian_fit
    res = dss(idata, model, prob=0.8)
    t = res.sizes
    assert (t.index.to_numpy() == [len(f) for f in t["features"]]).all()
    # the gap recomputed for size 3: psi_s(summary) - psi_s(posterior mean fit)
    spec = get_spec(model)
    X = spec.design.X
    beta, a = _draws(idata, "beta"), _draws(idata, "intercept").ravel()
    sigma = _draws(idata, "sigma").ravel()
    eta = X @ beta.T + a
    alpha = t.loc[3, "alpha"]
    i = int(np.flatnonzero(res.alphas == alpha)[0])
    summary = X @ res.coefs.iloc[i].to_numpy() + res.intercepts[i]
    psi = lambda e: np.sqrt(sigma**2 + np.mean((eta - e[:, None]) ** 2, axis=0))  # noqa: E731
    np.testing.assert_allclose(
        res.gap.sel(size=3).values, psi(summary) - psi(eta.mean(axis=1)), rtol=1e-10
    )
    lo = res.gap.quantile(0.1, dim="sample").values
    np.testing.assert_allclose(t["gap_lower"].to_numpy(), lo, rtol=1e-12)
    expected = int(t.index[np.flatnonzero(t["gap_lower"].to_numpy() <= 0)[0]])
    assert res.chosen_size == expected
    assert res.selected == t.loc[expected, "features"]
    assert res.to_frame()["dss_selected"].sum() == expected


# ------------------------------------------------------------------ SAVS
def test_savs_closed_form_and_median_model(gaussian_fit):
    model, idata = gaussian_fit
    res = savs(idata, model)
    X = get_spec(model).design.X
    n = np.sum(X**2, axis=0)  # ||X_j||^2 (= n up to round-off for standardized columns)
    beta = idata["posterior"]["beta"].values
    expected = np.sign(beta) * np.maximum(np.abs(beta) * n - 1 / beta**2, 0) / n
    np.testing.assert_allclose(res.coef.values, expected, rtol=1e-12)
    freq = (expected != 0).mean(axis=(0, 1))
    np.testing.assert_allclose(res.inclusion.values, freq)
    assert list(res.inclusion["feature"].values) == get_spec(model).design.feature_names
    names = np.array(get_spec(model).design.feature_names)
    assert res.selected == list(names[freq >= 0.5])


# ------------------------------------------------------------------ errors, plots, report
def test_bad_input_is_refused(gaussian_fit):
    model, idata = gaussian_fit
    with pytest.raises(ValueError, match="search"):
        projection(idata, model, search="lasso")
    with pytest.raises(ValueError, match="max_size"):
        projection(idata, model, max_size=11)
    with pytest.raises(ValueError, match="validate"):
        projection(idata, model, validate=1)
    with pytest.raises(TypeError, match="DataTree"):
        savs(idata["posterior"].to_dataset(), model)
    with pytest.raises(ValueError, match="prob"):
        dss(idata, model, prob=1.5)
    res = projection(idata, model, max_size=2, n_draws=40)
    with pytest.raises(ValueError, match="size"):
        res.project(3)
    renamed = idata.copy()
    renamed["posterior"] = (
        renamed["posterior"].to_dataset().assign_coords(feature=[f"z{j}" for j in range(10)])
    )
    with pytest.raises(ValueError, match="feature"):
        dss(renamed, model)
    from shrinkage.datasets import load_diabetes

    X, y = load_diabetes()
    robust = build_model(X, y, prior=GaussianPrior(1.0), family="student_t")
    with pytest.raises(NotImplementedError, match="student_t"):
        savs(idata, robust)


def test_plots_return_figures(gaussian_fit):
    import matplotlib.pyplot as plt

    model, idata = gaussian_fit
    for res in (projection(idata, model, max_size=3, n_draws=40), dss(idata, model),
                savs(idata, model)):  # fmt: skip
        fig = res.plot()
        assert isinstance(fig, plt.Figure) and fig.axes
        plt.close(fig)


def test_report_shows_the_selection(fits, synth):
    from shrinkage.report import report

    class Selection:  # duck-typed: what report needs of a selection result
        def headline(self):
            return "projection: gene_03, gene_11"

        def table(self):
            return pd.DataFrame({"elpd": [-10.0, -5.0]}, index=pd.Index([0, 1], name="size"))

    rep = report(fits["rhs"], selection=Selection())
    for text in (str(rep), rep.to_markdown(), rep.to_html()):
        assert "Selection" in text and "gene_03, gene_11" in text
    with pytest.raises(TypeError, match="selection"):
        report(fits["rhs"], selection=pd.DataFrame())


# ------------------------------------------------------------------ recovery (slow)
@pytest.mark.slow
def test_recovery_with_regularized_horseshoe():
    """Reduced version of benchmarks/selection.py: 2 data sets, n=200, p=50, 5 signals."""
    from shrinkage.inference import sample
    from shrinkage.priors import RegularizedHorseshoe

    hits = []
    for rep in range(2):
        rng = np.random.default_rng(100 + rep)
        X = pd.DataFrame(rng.standard_normal((200, 50)), columns=[f"x{j:02d}" for j in range(50)])
        beta = np.zeros(50)
        beta[:5] = [1.0, -0.8, 0.7, 0.6, -0.5]
        y = X.to_numpy() @ beta + rng.standard_normal(200)
        model = build_model(X, y, prior=RegularizedHorseshoe(expected_nonzero=5))
        idata = sample(model, draws=300, tune=300, chains=2, random_seed=rep, progressbar=False)
        for res in (projection(idata, model, max_size=10), dss(idata, model)):
            sel = set(res.selected)
            hits.append(
                (
                    len(sel & {f"x{j:02d}" for j in range(5)}),
                    len(sel) - len(sel & {f"x{j:02d}" for j in range(5)}),
                )
            )
    true, false = np.array(hits).T
    # signals of size >= 0.5 sd with n = 200 are found by every method; allow 2 false per fit
    assert true.min() == 5 and false.max() <= 2


def test_loo_pointwise_matches_arviz_loo(rng):
    from arviz_stats import loo

    from shrinkage.select._elpd import loo_pointwise

    ll = rng.normal(-1.0, 0.4, size=(2, 60, 30))
    dt = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"a": (("chain", "draw"), rng.normal(size=(2, 60)))}),
            "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), ll)}),
        }
    )
    ref = loo(dt, pointwise=True, var_name="y", reff=0.8)
    elpd_i, kmax = loo_pointwise(ll, 0.8)
    # same PSIS weights, same log-sum-exp: equal up to round-off
    np.testing.assert_allclose(elpd_i, ref.elpd_i.values, rtol=1e-12)
    assert kmax == pytest.approx(float(ref.pareto_k.max()), rel=1e-12)


def test_model_without_intercept(poisson_fit):
    """intercept=False: size 0 predicts eta = 0 in every draw (a constant log-likelihood)."""
    model, _ = poisson_fit
    spec = get_spec(model)
    X = pd.DataFrame(spec.design.X_raw, columns=spec.design.feature_names)
    bare = build_model(X, spec.design.y_raw, prior=GaussianPrior(1.0), family="poisson",
                       intercept=False)  # fmt: skip
    idata = fake_idata(bare, draws=25)
    idata["posterior"] = idata["posterior"].to_dataset().drop_vars("intercept")
    res = projection(idata, bare, max_size=2, n_draws=40)
    assert res.sizes["feature"].iloc[0] == "(no predictors)"
    # elpd of eta = 0: sum_i log Poisson(y_i | 1), no draws involved
    y = spec.design.y_raw
    from scipy.stats import poisson

    assert res.sizes["elpd"].iloc[0] == pytest.approx(poisson.logpmf(y, 1.0).sum(), rel=1e-12)
    np.testing.assert_array_equal(res.project(2)["posterior"]["intercept"].values, 0.0)
