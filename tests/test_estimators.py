"""scikit-learn estimators: the estimator contract, pipelines, accuracy on real data, errors.

Every fit compiles a PyMC model. Tests of tiny fits run PyTensor in ``FAST_COMPILE`` mode
(Python implementations, almost no graph rewriting), where compile time dominates; real-data
fits keep the compiled (numba) default (docs/api/estimators.md, "Cost of a fit").
"""

from __future__ import annotations

import logging
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from shrinkage import families, priors
from shrinkage.estimators import (
    BayesianLassoRegression,
    BayesianLogisticRegression,
    BayesianRegression,
    GaussianPriorRegression,
    GroupLassoRegression,
    HorseshoeRegression,
    LaplacePriorRegression,
    make_prior,
)

# tiny chains for the contract checks: they test the plumbing, not the posterior
TINY = dict(draws=10, tune=10, chains=1, sampler="pymc", random_state=0, compute_map=False)
SMALL = dict(draws=300, tune=300, chains=2, sampler="pymc", random_state=1)


@pytest.fixture
def fast_compile():
    """PyTensor FAST_COMPILE for tiny fits; real-data fits keep the compiled (numba) default."""
    import pytensor

    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


@pytest.fixture(autouse=True, scope="module")
def _quiet_pymc():
    logging.getLogger("pymc").setLevel(logging.ERROR)


# -- scikit-learn's estimator checks --------------------------------------------------------------
# none: every check passes (check_array_api_input skips itself unless SCIPY_ARRAY_API=1)
EXPECTED_FAILED: dict[str, str] = {}


@pytest.mark.slow
@parametrize_with_checks(
    [BayesianRegression(**TINY), BayesianLogisticRegression(**TINY)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_contract(estimator, check, fast_compile):
    check(estimator)


def test_init_stores_parameters_only():
    est = HorseshoeRegression(expected_nonzero=3.0, draws=5)
    assert est.get_params()["expected_nonzero"] == 3.0
    assert not any(k.endswith("_") for k in vars(est))


CONVENIENCE = [
    GaussianPriorRegression,
    LaplacePriorRegression,
    BayesianLassoRegression,
    HorseshoeRegression,
    GroupLassoRegression,
]
ALL_ESTIMATORS = [BayesianRegression, BayesianLogisticRegression, *CONVENIENCE]


@pytest.mark.parametrize("cls", ALL_ESTIMATORS)
def test_parameters_are_keyword_only(cls):
    with pytest.raises(TypeError, match="positional argument"):
        cls(1.0)
    est = cls(draws=7)
    assert est.draws == 7 and clone(est).get_params() == est.get_params()


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_estimator_repr,
    ],
    ids=lambda check: check.__name__,
)
@pytest.mark.parametrize("cls", ALL_ESTIMATORS)
def test_parameter_checks_without_fitting(cls, check):
    # scikit-learn's checks of __init__ / get_params / set_params / clone (no fit), also for the
    # convenience classes, whose super().__init__ stores the parent's parameters too
    check(cls.__name__, cls(**TINY))


@pytest.mark.parametrize("cls", ALL_ESTIMATORS)
def test_class_docstrings(cls):
    doc = cls.__doc__
    assert doc and doc.strip()  # a real docstring, not a string expression
    assert "Parameters\n    ----------" in doc and "Attributes\n    ----------" in doc
    assert ".. math::" in doc  # the model, as math


@pytest.mark.parametrize("cls", CONVENIENCE)
def test_convenience_priors(cls):
    est = cls()
    prior = est._prior()
    expected = {
        GaussianPriorRegression: priors.Gaussian,
        LaplacePriorRegression: priors.Laplace,
        BayesianLassoRegression: priors.BayesianLasso,
        HorseshoeRegression: priors.RegularizedHorseshoe,
        GroupLassoRegression: priors.GroupLasso,
    }[cls]
    assert type(prior) is expected
    assert est.set_params(draws=7).draws == 7


def test_horseshoe_plain_and_lasso_jeffreys():
    assert type(HorseshoeRegression(regularized=False)._prior()) is priors.Horseshoe
    fam = BayesianLassoRegression()._family()
    assert fam.name == "gaussian" and fam.sigma_prior == "jeffreys"


def test_make_prior():
    assert make_prior(None) == priors.Gaussian(1.0)
    assert make_prior("lasso", scale=0.5) == priors.Laplace(0.5)
    assert make_prior("Regularized-Horseshoe") == priors.RegularizedHorseshoe()
    p = priors.Horseshoe()
    assert make_prior(p) is p
    with pytest.raises(ValueError, match="unknown prior 'spike'"):
        make_prior("spike")
    with pytest.raises(TypeError, match="prior must be"):
        make_prior(3.0)


def test_map_applies_only_where_find_map_is_exact():
    applies = BayesianRegression._map_applies
    gauss, lap = families.Gaussian(), families.Laplace()
    assert applies(priors.Gaussian(), gauss)
    assert applies(priors.Laplace(), families.Bernoulli())
    assert applies(priors.BayesianLasso(), gauss)
    assert not applies(priors.RegularizedHorseshoe(), gauss)  # no mode
    # ElasticNet / GroupLasso declare their L1 / group-L2 terms as find_map markers
    assert applies(priors.GroupLasso(), gauss)
    assert applies(priors.ElasticNet(), gauss)
    assert not applies(priors.Gaussian(), lap)  # find_map refuses Laplace likelihoods


# -- bad input (raised before any sampling) -------------------------------------------------------
@pytest.fixture
def xy(rng):
    X = rng.normal(size=(30, 3))
    return X, X @ np.array([1.0, -2.0, 0.0]) + rng.normal(size=30)


def test_bad_input_errors(xy):
    X, y = xy
    est = BayesianRegression(**TINY)
    Xnan = X.copy()
    Xnan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(Xnan, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, y[:-1])
    with pytest.raises(ValueError, match="could not convert"):
        est.fit(np.array([["a", "b", "c"]] * 30), y)
    with pytest.raises(ValueError, match="constant column"):
        est.fit(np.column_stack([X, np.ones(30)]), y)
    with pytest.raises(ValueError, match="unknown prior"):
        BayesianRegression(prior="spike", **TINY).fit(X, y)
    with pytest.raises(ValueError, match="BayesianLogisticRegression"):
        BayesianRegression(family="bernoulli", **TINY).fit(X, (y > 0).astype(float))
    with pytest.raises(ValueError, match="draws must be an integer >= 1"):
        BayesianRegression(**{**TINY, "draws": 0}).fit(X, y)
    with pytest.raises(ValueError, match="needs groups"):
        GroupLassoRegression(**TINY).fit(X, y)


def test_classifier_label_errors(xy):
    X, _ = xy
    clf = BayesianLogisticRegression(**TINY)
    with pytest.raises(ValueError, match=r"Only binary classification is supported.*y has 3"):
        clf.fit(X, np.arange(30) % 3)
    with pytest.raises(ValueError, match="y has 1"):
        clf.fit(X, np.ones(30))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, np.linspace(0, 1, 30))


def test_unfitted_predict_raises(xy):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        BayesianRegression().predict(xy[0])


# -- fits -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def diabetes_fit(diabetes):
    X_tr, _, y_tr, _ = diabetes
    return BayesianRegression(prior=priors.Gaussian(1.0), **SMALL).fit(X_tr, y_tr)


@pytest.mark.slow
def test_diabetes_gaussian_prior(diabetes, diabetes_fit):
    X_tr, X_te, y_tr, y_te = diabetes
    est = diabetes_fit
    # a floor well below OLS's training R^2 (0.55 on these rows): the prior barely shrinks
    assert est.score(X_tr, y_tr) > 0.4
    # held out: N(0, 1) on standardized coefficients barely shrinks, so the score matches OLS
    # on the same split (0.393 on this split; 5-fold CV of OLS gives 0.48) up to 0.02
    ols = LinearRegression().fit(X_tr, y_tr).score(X_te, y_te)
    assert est.score(X_te, y_te) > ols - 0.02
    # DataFrame names survive into coef_, the MAP and the report
    assert list(est.coef_.index) == list(X_tr.columns)
    assert list(est.feature_names_in_) == list(X_tr.columns)
    assert est.n_features_in_ == 10
    assert list(est.map_coef_.index) == list(X_tr.columns)
    assert list(est.report().table.index) == list(X_tr.columns)
    # identity link: the posterior predictive mean is intercept_ + X coef_ (float rounding)
    np.testing.assert_allclose(
        est.predict(X_te), est.intercept_ + X_te.to_numpy() @ est.coef_.to_numpy(), rtol=1e-10
    )
    # Gaussian prior and likelihood: given sigma the posterior mean IS the MAP (ridge), so they
    # differ by Monte Carlo error (4 x sd/sqrt(ESS); the collinear s1..s5 mix slowly) plus the
    # averaging over sigma (ridge alpha = sigma^2 ~ 0.5 against X'X eigenvalues up to ~n:
    # bounded here by 0.1 posterior sd)
    table = est.report().table
    tol = 4 * table["sd_original"] / np.sqrt(table["ess_bulk"]) + 0.1 * table["sd_original"]
    assert np.all(np.abs(est.coef_ - est.map_coef_) <= tol)


@pytest.mark.slow
def test_predictive_std_and_interval(diabetes, diabetes_fit):
    _, X_te, _, y_te = diabetes
    mean, std, iv90 = diabetes_fit.predict(X_te, return_std=True, return_interval=0.9)
    _, iv50 = diabetes_fit.predict(X_te, return_interval=0.5)
    assert mean.shape == std.shape == (len(X_te),) and iv90.shape == (len(X_te), 2)
    assert np.all(iv90[:, 0] < mean) and np.all(mean < iv90[:, 1])
    assert np.all(iv50[:, 1] - iv50[:, 0] < iv90[:, 1] - iv90[:, 0])
    # Gaussian-like predictive: the 90% interval spans ~ 2 x 1.645 sd. Per row each endpoint is
    # a Monte Carlo quantile of 600 simulated draws (width error ~ 4%), so compare the mean
    # ratio over 133 rows (MC error ~ 0.3%); the sigma mixture's heavier tails add < 1%: 3%
    ratio = np.mean((iv90[:, 1] - iv90[:, 0]) / (2 * 1.645 * std))
    assert abs(ratio - 1) < 0.03
    # held-out coverage of the 90% interval: binomial sd sqrt(.09/133) ~ 0.025; 3 sd band
    coverage = np.mean((iv90[:, 0] <= y_te) & (y_te <= iv90[:, 1]))
    assert 0.9 - 0.075 <= coverage <= 0.9 + 0.075


@pytest.mark.slow
def test_pickle_roundtrip_rebuilds_model(diabetes, diabetes_fit):
    _, X_te, _, _ = diabetes
    clone = pickle.loads(pickle.dumps(diabetes_fit))
    np.testing.assert_array_equal(clone.predict(X_te), diabetes_fit.predict(X_te))
    assert clone.model_ is not diabetes_fit.model_
    assert set(clone.model_.named_vars) == set(diabetes_fit.model_.named_vars)


@pytest.mark.slow
def test_breast_cancer_classifier():
    data = load_breast_cancer()
    labels = np.array(["malignant", "benign"])[data.target]  # any two labels are accepted
    X_tr, X_te, y_tr, y_te = train_test_split(
        data.data, labels, test_size=0.3, random_state=0, stratify=labels
    )
    clf = BayesianLogisticRegression(**SMALL).fit(X_tr, y_tr)
    assert list(clf.classes_) == ["benign", "malignant"]
    # L2 logistic regression reaches ~0.95-0.98 on this split; 0.9 leaves margin for the prior
    assert clf.score(X_te, y_te) > 0.9
    proba = clf.predict_proba(X_te)
    assert proba.shape == (len(X_te), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert set(clf.predict(X_te)) <= set(clf.classes_)
    assert clf.coef_.shape == (30,) and clf.map_coef_.shape == (30,)


@pytest.mark.slow
def test_pipeline_and_grid_search(diabetes, fast_compile):
    X_tr, _, y_tr, _ = diabetes
    X, y = X_tr.iloc[:120], y_tr.iloc[:120]
    pipe = Pipeline([("scale", StandardScaler()), ("est", GaussianPriorRegression(**TINY))])
    search = GridSearchCV(pipe, {"est__scale": [0.001, 1.0]}, cv=2).fit(X, y)
    # scale 0.001 shrinks every standardized coefficient to ~0 (R^2 ~ 0); scale 1 fits
    assert search.best_params_ == {"est__scale": 1.0}
    assert search.score(X, y) > 0.3  # in-sample R^2 of a linear fit on 120 rows is ~0.5
    assert search.best_estimator_[-1].coef_.shape == (10,)  # ndarray: the scaler drops names


@pytest.mark.slow
def test_categorical_dataframe(rng, fast_compile):
    n = 60
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "site": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
        }
    )
    y = 2 * frame["x"] + (frame["site"] == "c") * 3.0 + rng.normal(size=n)
    est = GroupLassoRegression(**TINY).fit(frame, y)  # the categorical column is one group
    assert list(est.coef_.index) == ["x", "site[b]", "site[c]"]
    assert list(est.feature_names_in_) == ["x", "site"] and est.n_features_in_ == 2
    assert est.predict(frame).shape == (n,)
    with pytest.raises(TypeError, match="needs a DataFrame"):
        est.predict(frame.to_numpy())
    with pytest.raises(ValueError, match="lacks column"):
        est.predict(frame[["x"]])
