"""cross_check: the exact MAP against the proximal solvers and scikit-learn.

Tolerances: ``TOL = 1e-6`` is ``cross_check``'s default ``tol`` on the standardized scale
(coefficients of order 0.1-1). The references run far tighter than that: find_map stops at a
KKT certificate <= 1e-10 (strongly convex or LP problems, so the coefficients are within
~1e-10), the solvers at a duality gap near the float64 floor (1e-15), scikit-learn's coordinate
descent / saga / Newton solvers with ``tol=1e-12``, and the LPs (median regression) are solved
to a simplex vertex. The loosest, the solvers' gap of 1e-15 on the collinear diabetes ridge,
still bounds the coefficients to ~4e-8 (``||beta - beta*||^2 <= 2 gap / mu``): 1e-6 leaves
margin over every reference.
"""

import numpy as np
import pandas as pd
import pytensor
import pytest
from sklearn.datasets import load_breast_cancer

import shrinkage
from shrinkage import families as F
from shrinkage import priors as P
from shrinkage.crosscheck import cross_check
from shrinkage.datasets import load_diabetes, load_prostate

TOL = 1e-6  # cross_check's default tol (standardized scale); see the module docstring


@pytest.fixture(scope="module", autouse=True)
def _fast_compile():
    """The models are small: the numba backend's compile time would dominate."""
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


def _diabetes():
    return load_diabetes()


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y.astype(float)


def _group_data():
    rng = np.random.default_rng(7)
    n = 120
    X = pd.DataFrame(rng.normal(size=(n, 12)), columns=[f"x{j}" for j in range(12)])
    truth = np.r_[1.0, -0.5, 0.5, 0.3, 0.3, 0.0, 0.0, 0.0, 0.0, 0.05, 0.0, 0.0]
    y = X.to_numpy() @ truth + rng.normal(size=n)
    return X, y, list(np.repeat(["a", "b", "c", "d"], 3))


def _poisson_data():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(300, 6)), columns=[f"x{j}" for j in range(6)])
    y = rng.poisson(np.exp(0.5 + X.to_numpy() @ np.array([0.4, -0.3, 0.2, 0.0, 0.0, 0.1])))
    return X, y.astype(float)


def _multi_data():
    rng = np.random.default_rng(11)
    n, p, k = 80, 6, 3
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{j}" for j in range(p)])
    coef = np.zeros((p, k))
    coef[:2] = rng.normal(size=(2, k))
    Y = X.to_numpy() @ coef + np.array([0.5, 1.0, 2.0]) * rng.normal(size=(n, k))
    return X, pd.DataFrame(Y, columns=["u", "v", "w"])


# name -> (data, prior, family, build_model keywords)
CASES = {
    "diabetes-laplace-fixed": (_diabetes, P.Laplace(0.02), F.Gaussian(sigma=0.7), {}),
    "diabetes-laplace-est": (_diabetes, P.Laplace(0.02), "gaussian", {}),
    "diabetes-gaussian-fixed": (_diabetes, P.Gaussian(0.1), F.Gaussian(sigma=0.7), {}),
    "diabetes-gaussian-est": (_diabetes, P.Gaussian(0.1), "gaussian", {}),
    "diabetes-enet-fixed": (_diabetes, P.ElasticNet(0.02, 0.3), F.Gaussian(sigma=0.7), {}),
    "diabetes-enet-est": (_diabetes, P.ElasticNet(0.02, 0.3), "gaussian", {}),
    "prostate-laplace-fixed": (
        lambda: load_prostate("train"),
        P.Laplace(0.05),
        F.Gaussian(sigma=0.6),
        {},
    ),
    "prostate-laplace-est": (lambda: load_prostate("train"), P.Laplace(0.05), "gaussian", {}),
    "cancer-logistic-laplace": (
        _breast_cancer,
        P.Laplace(0.1),
        "bernoulli",
        {"intercept": "flat"},
    ),
    "cancer-logistic-gaussian": (
        _breast_cancer,
        P.Gaussian(0.5),
        "bernoulli",
        {"intercept": "flat"},
    ),
    "poisson-gaussian": (_poisson_data, P.Gaussian(0.2), "poisson", {"intercept": "flat"}),
    "median-laplace-fixed": (
        _diabetes,
        P.Laplace(0.02),
        F.Laplace(sigma=0.6),
        {"intercept": "flat"},
    ),
    "median-laplace-est": (_diabetes, P.Laplace(0.02), "laplace", {"intercept": "flat"}),
    "bayes-lasso-fixed": (_diabetes, P.BayesianLasso(lam=30.0), F.Gaussian(sigma=0.7), {}),
    "bayes-lasso-est": (_diabetes, P.BayesianLasso(lam=30.0), "gaussian", {}),
    "group-lasso-fixed": (_group_data, P.GroupLasso(0.08), F.Gaussian(sigma=0.9), {}),
    "group-lasso-est": (_group_data, P.GroupLasso(0.08), "gaussian", {}),
    "multi-group-fixed": (_multi_data, P.GroupLasso(0.03), F.MultiGaussian(sigma=0.5), {}),
    "multi-group-est": (_multi_data, P.GroupLasso(0.03), "multi_gaussian", {}),
    # per-output sigma_hat: exercised through scikit-learn on the output-stacked design
    "multi-laplace-est": (_multi_data, P.Laplace(0.05), "multi_gaussian", {}),
}


@pytest.fixture(scope="module")
def checked():
    """``checked(name)``: the cross-check of ``CASES[name]``, computed once per module."""
    results: dict = {}

    def get(name):
        if name not in results:
            data, prior, family, kw = CASES[name]
            loaded = data()
            X, y = loaded[:2]
            groups = loaded[2] if len(loaded) > 2 else None
            model = shrinkage.build_model(X, y, prior=prior, family=family, groups=groups, **kw)
            results[name] = cross_check(model, tol=TOL)
        return results[name]

    return get


@pytest.mark.parametrize("name", list(CASES))
def test_cross_check_passes(name, checked):
    res = checked(name)
    print(name, res.max_abs_diff)
    assert res.applicable, res.reason
    assert res.passed, str(res)
    assert res.max_abs_diff <= TOL
    assert res.zero_sets_agree and all(res.zero_sets_agree.values())
    if CASES[name][2] not in ("laplace",) and "median" not in name:
        assert res.table["solvers"].notna().all()  # the solvers column took part


@pytest.mark.parametrize("name", ["diabetes-laplace-fixed", "diabetes-laplace-est"])
def test_diabetes_laplace_has_three_to_six_zeros(name, checked):
    assert 3 <= int((checked(name).table["find_map"] == 0).sum()) <= 6


def test_group_lasso_has_a_zero_group(checked):
    beta = checked("group-lasso-fixed").table["find_map"].to_numpy().reshape(4, 3)
    assert np.any(np.all(beta == 0, axis=1))


def test_sklearn_estimators_are_the_named_ones(checked):
    expected = {
        "diabetes-laplace-fixed": "Lasso(",
        "diabetes-gaussian-fixed": "Ridge(",
        "diabetes-enet-fixed": "ElasticNet(",
        "cancer-logistic-laplace": "LogisticRegression(",
        "poisson-gaussian": "PoissonRegressor(",
        "median-laplace-fixed": "QuantileRegressor(",
        "multi-group-fixed": "MultiTaskLasso(",
    }
    for name, start in expected.items():
        assert checked(name).estimator.startswith(start), (name, checked(name).estimator)


def test_printout_table_and_report_frame(checked):
    res = checked("diabetes-laplace-fixed")
    text = str(res)
    assert "PASSED" in text and "Lasso" in text and "bmi" in text
    assert "<table" in res._repr_html_()
    assert list(res.table.columns[:4]) == ["find_map", "solvers", "sklearn", "pm_find_MAP"]
    frame = res.to_frame()
    assert list(frame.columns) == ["map", "lasso"] and frame.index.name == "feature"
    # pm.find_MAP is shown for contrast: it has no exact zeros where the MAP has them
    zero = res.table["find_map"] == 0
    assert np.all(res.table.loc[zero, "pm_find_MAP"] != 0)


def test_horseshoe_is_not_applicable():
    X, y = load_diabetes()
    res = cross_check(shrinkage.build_model(X, y, prior=P.Horseshoe()))
    assert res.applicable is False and res.passed is None
    assert "no convex penalty" in res.reason
    assert "not applicable" in str(res)


def test_family_without_a_loss_scale_is_not_applicable():
    # Student-t: -log p(y | beta) is not (n / c) times a convex datafit (no loss_scale_power)
    X, y = load_diabetes()
    res = cross_check(shrinkage.build_model(X, y, prior=P.Laplace(0.02), family="student_t"))
    assert res.applicable is False and res.passed is None
    assert "'student_t'" in res.reason


def test_multi_output_group_prior_has_a_zero_row(checked):
    table = checked("multi-group-fixed").table["find_map"].unstack("output")
    assert np.any(np.all(table.to_numpy() == 0, axis=1))


def test_normal_intercept_prior_on_logistic_is_not_applicable():
    X, y = _breast_cancer()
    res = cross_check(shrinkage.build_model(X, y, prior=P.Laplace(0.1), family="bernoulli"))
    assert res.passed is None and "intercept='flat'" in res.reason


def test_median_regression_map_is_exact_and_refuses_what_it_cannot_do(checked):
    from shrinkage.inference import find_map

    res = checked("median-laplace-est")
    # LP duality gap and |dF/dlog sigma| from the model's gradient: rounding level (~1e-13)
    assert res.map_result.converged and res.map_result.certificate <= 1e-10
    X, y = load_diabetes()
    with pytest.raises(NotImplementedError, match="intercept='flat'"):
        find_map(shrinkage.build_model(X, y, prior=P.Laplace(0.02), family="laplace"))
    model = shrinkage.build_model(X, y, prior=P.Gaussian(), family="laplace", intercept=False)
    with pytest.raises(NotImplementedError, match="Laplace and"):
        find_map(model)


def test_bad_tol_raises():
    X, y = load_diabetes()
    with pytest.raises(ValueError, match="tol"):
        cross_check(shrinkage.build_model(X, y, prior=P.Laplace()), tol=-1.0)
