import numpy as np
import pandas as pd
import pytest

from shrinkage.design import Design, lagged


@pytest.fixture
def frame(rng):
    n = 40
    return pd.DataFrame(
        {
            "a": rng.normal(2.0, 3.0, n),
            "c": pd.Categorical(
                rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi"]
            ),
            "b": rng.normal(-1.0, 0.5, n),
        }
    )


def test_standardization_and_names(frame, rng):
    y = rng.normal(5.0, 2.0, len(frame))
    d = Design(frame, y)
    assert d.feature_names == ["a", "c[mid]", "c[hi]", "b"]
    # divisor-n sd: exact up to float rounding (1e-12)
    np.testing.assert_allclose(d.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.X.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(d.x_scale, d.X_raw.std(axis=0, ddof=0), rtol=1e-12)
    assert d.y_center == pytest.approx(y.mean(), rel=1e-12)
    assert d.y_scale == pytest.approx(y.std(), rel=1e-12)
    # the categorical's dummies form one group, numeric columns their own
    assert d.group_names == ["a", "c", "b"]
    np.testing.assert_array_equal(d.groups, [0, 1, 1, 2])


def test_to_original_reproduces_predictions(frame, rng):
    y = rng.normal(5.0, 2.0, len(frame))
    d = Design(frame, y)
    beta, a = rng.normal(size=d.n_features), 0.3
    pred_std = d.y_center + d.y_scale * (a + d.X @ beta)
    b_orig, a_orig = d.to_original(beta, a)
    # algebraic identity: agreement to rounding (1e-10)
    np.testing.assert_allclose(d.X_raw @ b_orig + a_orig, pred_std, rtol=1e-10)
    # transform() applies the stored scaling, never refits it
    np.testing.assert_allclose(d.transform(frame.iloc[:5]), d.X[:5], rtol=1e-12)


def test_to_original_multi_output(rng):
    X, Y = rng.normal(size=(30, 3)) * 4 + 1, rng.normal(size=(30, 2)) * 3 + 2
    d = Design(X, Y)
    beta, a = rng.normal(size=(2, 5, 3, 2)), rng.normal(size=(2, 5, 2))  # chains, draws
    b_orig, a_orig = d.to_original(beta, a)
    pred_std = d.y_center + d.y_scale * (a[..., None, :] + np.einsum("np,cdpk->cdnk", d.X, beta))
    pred_orig = a_orig[..., None, :] + np.einsum("np,cdpk->cdnk", X, b_orig)
    np.testing.assert_allclose(pred_orig, pred_std, rtol=1e-10)  # identity, rounding only
    assert d.output_names == ["y0", "y1"]


def test_no_standardize_keeps_raw(rng):
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    d = Design(X, y, standardize=False)
    np.testing.assert_array_equal(d.X, X)
    np.testing.assert_array_equal(d.y, y)


def test_groups_as_labels_and_mapping(rng):
    X = pd.DataFrame(rng.normal(size=(20, 4)), columns=["p", "q", "r", "s"])
    y = rng.normal(size=20)
    d = Design(X, y, groups=["g1", "g2", "g1", "g2"])
    np.testing.assert_array_equal(d.groups, [0, 1, 0, 1])
    assert d.group_names == ["g1", "g2"]
    d = Design(X, y, groups={"first": ["p", "q"]})
    np.testing.assert_array_equal(d.groups, [0, 0, 1, 2])
    assert d.group_names == ["first", "r", "s"]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_refuses_nonfinite_X(rng, bad):
    X = rng.normal(size=(10, 2))
    X[3, 1] = bad
    with pytest.raises(ValueError, match="non-finite"):
        Design(X, rng.normal(size=10))


def test_refuses_nonfinite_y(rng):
    y = rng.normal(size=10)
    y[0] = np.nan
    with pytest.raises(ValueError, match="y contains 1 non-finite"):
        Design(rng.normal(size=(10, 2)), y)


def test_refuses_shape_mismatch(rng):
    with pytest.raises(ValueError, match="shape mismatch"):
        Design(rng.normal(size=(10, 2)), rng.normal(size=9))


def test_refuses_non_numeric_column(rng):
    X = pd.DataFrame({"a": rng.normal(size=5), "s": list("abcde")})
    with pytest.raises(TypeError, match="column 's' is non-numeric"):
        Design(X, rng.normal(size=5))


def test_refuses_non_numeric_array(rng):
    with pytest.raises(TypeError, match="must be numeric"):
        Design(np.array([["a", "b"], ["c", "d"]]), [1.0, 2.0])


def test_refuses_constant_column(rng):
    X = rng.normal(size=(10, 3))
    X[:, 1] = 4.0
    with pytest.raises(ValueError, match=r"constant column.*'x1'"):
        Design(X, rng.normal(size=10))


def test_refuses_constant_y(rng):
    with pytest.raises(ValueError, match="y is constant"):
        Design(rng.normal(size=(10, 2)), np.ones(10))


def test_refuses_unknown_group_column(rng):
    X = pd.DataFrame(rng.normal(size=(10, 2)), columns=["a", "b"])
    with pytest.raises(ValueError, match="unknown column 'zz'"):
        Design(X, rng.normal(size=10), groups={"g": ["a", "zz"]})


def test_refuses_wrong_number_of_group_labels(rng):
    with pytest.raises(ValueError, match="groups has 3 labels but X has 2 columns"):
        Design(rng.normal(size=(10, 2)), rng.normal(size=10), groups=[0, 1, 1])


def test_refuses_column_in_two_groups(rng):
    X = pd.DataFrame(rng.normal(size=(10, 2)), columns=["a", "b"])
    with pytest.raises(ValueError, match="two groups"):
        Design(X, rng.normal(size=10), groups={"g": ["a"], "h": ["a", "b"]})


def test_lagged():
    y = pd.Series(np.arange(10.0) ** 2, name="sales")
    X, target = lagged(y, 3)
    assert list(X.columns) == ["lag1", "lag2", "lag3"]
    assert len(X) == len(target) == 7 and target.name == "sales"
    t = 5  # row for time 5 holds y[4], y[3], y[2]
    np.testing.assert_array_equal(X.loc[t].to_numpy(), [16.0, 9.0, 4.0])
    assert target.loc[t] == 25.0


@pytest.mark.parametrize("max_lag", [0, 9, 2.5])
def test_lagged_refuses_bad_lag(max_lag):
    with pytest.raises(ValueError, match="max_lag"):
        lagged(np.arange(10.0), max_lag)
