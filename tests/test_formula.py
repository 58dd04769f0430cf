"""Formulas (shrinkage.formula): the same design as the matrix path, pinned levels, clear errors.

Real data: the prostate data (ESL 3.2), whose ``gleason`` score takes the values 6, 7, 8, 9 and
serves as a four-level categorical (``C(gleason)``), and SAheart's categorical ``famhist``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from shrinkage import priors
from shrinkage.datasets import load_saheart
from shrinkage.formula import FormulaDesign, formula_design, readable
from shrinkage.inference import find_map
from shrinkage.model import build_model, get_spec, set_predictors

FORMULA = "lpsa ~ lcavol + lweight + C(gleason) + svi:lcp"


pytestmark = pytest.mark.usefixtures("fast_compile_module")


def _matrix(df: pd.DataFrame) -> pd.DataFrame:
    """The formula's design written by hand: gleason a categorical, the product column."""
    return pd.DataFrame(
        {
            "lcavol": df["lcavol"],
            "lweight": df["lweight"],
            "gleason": pd.Categorical(df["gleason"]),
            "svi:lcp": df["svi"] * df["lcp"],
        },
        index=df.index,
    )


@pytest.mark.parametrize("prior", [priors.Laplace(0.5), priors.GroupLasso(0.5)])
def test_formula_fit_equals_matrix_fit(prostate_frame, prior):
    by_formula = build_model(FORMULA, data=prostate_frame, prior=prior)
    by_matrix = build_model(_matrix(prostate_frame), prostate_frame["lpsa"], prior=prior)
    names = list(by_formula.coords["feature"])
    assert names == ["lcavol", "lweight", "gleason[7]", "gleason[8]", "gleason[9]", "svi:lcp"]
    assert names == list(by_matrix.coords["feature"])
    # the categorical term is one group, named like the matrix path's categorical column
    assert list(by_formula.coords["group"]) == ["lcavol", "lweight", "gleason", "svi:lcp"]
    assert list(by_formula.coords["group"]) == list(by_matrix.coords["group"])
    a, b = find_map(by_formula), find_map(by_matrix)
    assert a.converged and b.converged
    coef_a = pd.Series(np.asarray(a["beta_original"]), index=names)
    coef_b = pd.Series(np.asarray(b["beta_original"]), index=list(by_matrix.coords["feature"]))
    # the brief's bound; find_map's own certificate tolerance is 1e-10 too
    np.testing.assert_allclose(coef_a[coef_b.index], coef_b, rtol=0, atol=1e-10)
    assert abs(float(a["intercept_original"]) - float(b["intercept_original"])) <= 1e-10


def test_new_rows_category_order_and_fewer_levels(prostate_frame):
    X, _y, _groups, state = formula_design(FORMULA, prostate_frame)
    rows = prostate_frame.iloc[[3, 40, 70, 90]].copy()
    expected = X.iloc[[3, 40, 70, 90]]
    for gleason in (
        rows["gleason"],  # as fitted: integers
        pd.Categorical(rows["gleason"], categories=[9, 8, 7, 6]),  # another category order
        pd.Categorical(rows["gleason"], categories=sorted(set(rows["gleason"]))),  # fewer
    ):
        out = state.transform(rows.assign(gleason=gleason))
        pd.testing.assert_frame_equal(out, expected)


def test_text_category_in_another_order_same_design():
    X, y = load_saheart()
    df = X.assign(chd=y, famhist=X["famhist"].astype(str))  # text: levels sorted, Absent first
    design, _y, _g, state = formula_design("sbp ~ tobacco + famhist * ldl", df)
    assert list(design.columns) == ["tobacco", "famhist[Present]", "ldl", "famhist[Present]:ldl"]
    rows = df.iloc[:6]
    flipped = rows.assign(famhist=pd.Categorical(rows["famhist"], ["Present", "Absent"]))
    pd.testing.assert_frame_equal(state.transform(flipped), design.iloc[:6])
    with pytest.raises(ValueError, match=r"column 'famhist' has level\(s\) \['Unknown'\]"):
        state.transform(rows.assign(famhist=["Unknown", *rows["famhist"][1:]]))


def test_unseen_numeric_level_names_column(prostate_frame):
    _X, _y, _g, state = formula_design(FORMULA, prostate_frame)
    with pytest.raises(ValueError, match=r"column 'gleason' has level\(s\) \[5\] not seen"):
        state.transform(prostate_frame.iloc[:3].assign(gleason=[5, 6, 7]))


def test_set_predictors_reads_new_data_through_the_formula(prostate_frame):
    model = build_model(FORMULA, data=prostate_frame, prior=priors.Gaussian(1.0))
    set_predictors(model, prostate_frame.iloc[:5])
    Z = model["X"].get_value()
    spec = get_spec(model)
    np.testing.assert_array_equal(Z, spec.design.X[:5])  # same rows -> same standardized rows
    assert spec.formula.formula == FORMULA


def test_saved_state_round_trips_stateful_transforms(prostate_frame):
    formula = "lpsa ~ center(age) + poly(lbph, 2) + C(gleason):lcavol"
    X, _y, _g, state = formula_design(formula, prostate_frame)
    again = FormulaDesign.from_dict(json.loads(json.dumps(state.to_dict())))
    rows = prostate_frame.iloc[10:20]
    # new rows are centred with the fit's mean and the fit's polynomial basis, not their own
    pd.testing.assert_frame_equal(again.transform(rows), X.iloc[10:20])
    assert again.terms == state.terms and again.levels == state.levels


def test_groups_by_term(prostate_frame):
    _X, _y, groups, _s = formula_design(
        FORMULA, prostate_frame, groups={"size": ["lcavol", "lweight"], "grade": ["C(gleason)"]}
    )
    assert groups == {
        "size": ["lcavol", "lweight"],
        "grade": ["gleason[7]", "gleason[8]", "gleason[9]"],
        "svi:lcp": ["svi:lcp"],
    }
    with pytest.raises(ValueError, match="not a term of the formula"):
        formula_design(FORMULA, prostate_frame, groups={"g": ["age"]})
    with pytest.raises(ValueError, match="one label per term"):
        formula_design(FORMULA, prostate_frame, groups=["a", "b"])


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("lpsa ~ lcavol - 1", "removes the intercept"),
        ("lpsa ~ 0 + lcavol", "removes the intercept"),
        ("np.log(lpsa) ~ lcavol", "left-hand side must be one column name"),
        ("lpsa ~ lcavol + nosuch", "nosuch"),
        ("lpsa ~ lcavol +", "does not parse"),
        ("lpsa ~ 1", "no predictors"),
        ("~ lcavol", "no left-hand side"),
        ("nosuch ~ lcavol", "'nosuch' is not a column"),
    ],
)
def test_formula_errors(prostate_frame, formula, message):
    with pytest.raises(ValueError, match=message):
        build_model(formula, data=prostate_frame, prior=priors.Gaussian(1.0))


def test_formula_input_checks(prostate_frame):
    with pytest.raises(ValueError, match=r"'lcavol' used by the formula has 1 missing"):
        holed = prostate_frame.assign(
            lcavol=prostate_frame["lcavol"].where(prostate_frame.index != 5)
        )
        build_model(FORMULA, data=holed, prior=priors.Gaussian(1.0))
    with pytest.raises(ValueError, match="names the response 'lpsa'; pass y=None"):
        build_model(
            FORMULA, prostate_frame["lpsa"], data=prostate_frame, prior=priors.Gaussian(1.0)
        )
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        build_model(FORMULA, data=prostate_frame.to_numpy(), prior=priors.Gaussian(1.0))
    with pytest.raises(TypeError, match="data= goes with a formula"):
        build_model(
            prostate_frame[["lcavol"]],
            prostate_frame["lpsa"],
            data=prostate_frame,
            prior=priors.Laplace(),
        )
    with pytest.raises(TypeError, match="needs y"):
        build_model(prostate_frame[["lcavol"]], prior=priors.Laplace())
    # a formula without a left-hand side takes y
    model = build_model(
        "~ lcavol + svi", prostate_frame["lpsa"], data=prostate_frame, prior=priors.Laplace()
    )
    assert list(model.coords["feature"]) == ["lcavol", "svi"]


def test_readable_names():
    assert readable("C(g)[T.b]") == "g[b]"
    assert readable("C(g)[T.b]:x") == "g[b]:x"
    assert readable("C(typea > 50)[T.True]") == "C(typea > 50)[True]"
    assert readable("center(x)") == "center(x)"
