"""Formula estimators and saved fits (shrinkage.saved): save -> load -> predict is bit-identical.

Tiny chains (1 x 30 draws, FAST_COMPILE): these tests check plumbing and exact equality of
predictions, never posterior accuracy.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from shrinkage import priors
from shrinkage.datasets import load_saheart
from shrinkage.estimators import BayesianLogisticRegression, BayesianRegression
from shrinkage.model import build_model, get_spec
from shrinkage.saved import DESIGN_FILE, SPEC_FILE, load, save

TINY = dict(draws=30, tune=30, chains=1, sampler="pymc", random_state=3)
FORMULA = "lpsa ~ lcavol + lweight + C(gleason) + svi:lcp"


pytestmark = pytest.mark.usefixtures("fast_compile_module")


@pytest.fixture(scope="module")
def formula_fit(prostate_frame):
    return BayesianRegression(formula=FORMULA, prior="laplace", **TINY).fit(prostate_frame)


def _all_predictions(est, X):
    return est.predict(X, return_std=True, return_interval=0.9)


def test_formula_estimator_names_and_params(formula_fit, prostate_frame):
    assert list(formula_fit.coef_.index) == [
        "lcavol",
        "lweight",
        "gleason[7]",
        "gleason[8]",
        "gleason[9]",
        "svi:lcp",
    ]
    assert list(formula_fit.feature_names_in_) == ["lcavol", "lweight", "svi", "lcp", "gleason"]
    assert list(formula_fit.map_coef_.index) == list(formula_fit.coef_.index)
    assert clone(formula_fit).get_params()["formula"] == FORMULA
    # the formula names the response: score reads it from the data
    assert formula_fit.score(prostate_frame) == formula_fit.score(
        prostate_frame, prostate_frame["lpsa"]
    )


def test_formula_predict_category_order_and_unseen_level(formula_fit, prostate_frame):
    rows = prostate_frame.iloc[[0, 30, 60, 96]]
    base = formula_fit.predict(rows)
    reordered = rows.assign(gleason=pd.Categorical(rows["gleason"], categories=[9, 8, 7, 6]))
    np.testing.assert_array_equal(formula_fit.predict(reordered), base)
    with pytest.raises(ValueError, match=r"column 'gleason' has level\(s\) \[10\] not seen"):
        formula_fit.predict(rows.assign(gleason=[6, 7, 10, 9]))
    with pytest.raises(ValueError, match=r"lack column\(s\) \['svi'\]"):
        formula_fit.predict(rows.drop(columns="svi"))
    with pytest.raises(TypeError, match="predicts from a DataFrame"):
        formula_fit.predict(rows.to_numpy())


def test_save_load_predict_bit_identical(formula_fit, prostate_frame, tmp_path):
    rows = prostate_frame.iloc[::7]
    before = _all_predictions(formula_fit, rows)
    folder = save(tmp_path / "fit", formula_fit)
    assert {p.name for p in folder.iterdir()} == {"model.json", "posterior.nc", "design.nc"}
    spec = json.loads((folder / SPEC_FILE).read_text())
    assert spec["prior"] == {"class": "Laplace", "params": {"scale": 1.0}}
    assert spec["formula"]["formula"] == FORMULA and spec["design"]["standardize"] is True
    loaded = load(folder)
    assert type(loaded) is BayesianRegression and loaded.get_params() == formula_fit.get_params()
    for a, b in zip(before, _all_predictions(loaded, rows), strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit: same draws, scaling and seed
    pd.testing.assert_series_equal(loaded.coef_, formula_fit.coef_)
    pd.testing.assert_series_equal(loaded.map_coef_, formula_fit.map_coef_)
    assert get_spec(loaded.model_).formula.formula == FORMULA  # the model is rebuilt
    # pickling keeps the formula too
    again = pickle.loads(pickle.dumps(formula_fit))
    np.testing.assert_array_equal(again.predict(rows), before[0])


def test_matrix_fit_round_trip(prostate_frame, tmp_path):
    X = prostate_frame.drop(columns=["lpsa"]).to_numpy()[:, :4]
    est = BayesianRegression(prior=priors.GroupLasso(1.0), groups=[0, 0, 1, 1], **TINY)
    est.fit(X, prostate_frame["lpsa"].to_numpy())
    loaded = load(save(tmp_path / "m", est))
    for a, b in zip(_all_predictions(est, X), _all_predictions(loaded, X), strict=True):
        np.testing.assert_array_equal(a, b)
    assert isinstance(loaded.coef_, np.ndarray) and loaded.prior == est.prior
    with pytest.raises(ValueError, match="4 features"):
        loaded.predict(X[:, :3])


def test_logistic_formula_round_trip(tmp_path):
    X, y = load_saheart()
    df = X.assign(chd=y).iloc[:150]
    est = BayesianLogisticRegression(formula="famhist ~ ldl + tobacco + age", **TINY).fit(df)
    assert list(est.classes_) == ["Absent", "Present"]
    loaded = load(save(tmp_path / "logit", est))
    np.testing.assert_array_equal(loaded.predict_proba(df), est.predict_proba(df))
    assert list(loaded.classes_) == ["Absent", "Present"]
    assert loaded.score(df) == est.score(df)


def test_save_from_model_and_draws(prostate_frame, tmp_path):
    from shrinkage.inference import sample

    model = build_model(FORMULA, data=prostate_frame, prior=priors.Gaussian(1.0))
    idata = sample(model, **{k: v for k, v in TINY.items() if k != "random_state"}, random_seed=3)
    loaded = load(save(tmp_path / "model", model, idata))
    assert type(loaded) is BayesianRegression and loaded.map_coef_ is None
    mean = idata["posterior"]["beta_original"].mean(("chain", "draw")).to_numpy()
    np.testing.assert_array_equal(loaded.coef_.to_numpy(), mean)
    # identity link: the predictive mean is intercept_ + X coef_ (up to rounding, 1e-12 rel)
    design = get_spec(model).formula.transform(prostate_frame)
    expected = loaded.intercept_ + design.to_numpy() @ loaded.coef_.to_numpy()
    np.testing.assert_allclose(loaded.predict(prostate_frame), expected, rtol=1e-12)
    with pytest.raises(TypeError, match="needs its draws"):
        save(tmp_path / "nodraws", model)


def test_save_and_load_refusals(formula_fit, tmp_path):
    folder = save(tmp_path / "fit", formula_fit)
    with pytest.raises(ValueError, match="holds a saved fit"):
        save(folder, formula_fit)
    save(folder, formula_fit, overwrite=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="is not empty"):
        save(tmp_path / "other", formula_fit, overwrite=True)
    with pytest.raises(ValueError, match=r"holds no model\.json"):
        load(tmp_path / "other")
    with pytest.raises(TypeError, match="fitted shrinkage estimator"):
        save(tmp_path / "x", "not a fit")
    spec = json.loads((folder / SPEC_FILE).read_text())
    (folder / SPEC_FILE).write_text(json.dumps({**spec, "format": 99, "shrinkage_version": "9"}))
    with pytest.raises(ValueError, match=r"saved by shrinkage 9 in format 99; this shrinkage"):
        load(folder)
    spec["design"]["x_center"][0] += 1.0
    (folder / SPEC_FILE).write_text(json.dumps(spec))
    with pytest.raises(ValueError, match=f"{DESIGN_FILE} does not match"):
        load(folder)


def test_multi_output_is_refused(rng, tmp_path):
    X = rng.normal(size=(20, 3))
    Y = rng.normal(size=(20, 2))
    model = build_model(X, Y, prior=priors.Gaussian(1.0), family="multi_gaussian")
    with pytest.raises(ValueError, match="multi-output"):
        save(tmp_path / "multi", model, None)


@pytest.mark.slow
def test_formula_estimator_in_cross_validation(prostate_frame):
    from sklearn.model_selection import KFold, cross_val_score

    # gleason = 8 occurs once in the data (a fold without it would refuse it as unseen), so
    # the categorical here is svi
    est = BayesianRegression(formula="lpsa ~ lcavol + C(svi) + svi:lcp", prior="laplace", **TINY)
    # y=None: each fold's fit and score read lpsa from the formula
    scores = cross_val_score(est, prostate_frame, cv=KFold(2, shuffle=True, random_state=0))
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
