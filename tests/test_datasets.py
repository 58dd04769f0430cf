import numpy as np

from shrinkage import datasets


def test_prostate_splits():
    X, y = datasets.load_prostate()
    assert X.shape == (97, 8) and y.name == "lpsa"
    Xtr, _ytr = datasets.load_prostate("train")
    Xte, _yte = datasets.load_prostate("test")
    assert Xtr.shape == (67, 8) and Xte.shape == (30, 8)
    # ESL's corrected row 32
    assert np.isclose(X.loc[32, "lweight"], 3.804438)
    assert list(X.columns) == [
        "lcavol",
        "lweight",
        "age",
        "lbph",
        "svi",
        "lcp",
        "gleason",
        "pgg45",
    ]


def test_saheart():
    X, y = datasets.load_saheart()
    assert X.shape == (462, 9)
    assert set(np.unique(y)) == {0, 1}
    assert list(X["famhist"].cat.categories) == ["Absent", "Present"]


def test_diabetes():
    X, y = datasets.load_diabetes()
    assert X.shape == (442, 10) and y.shape == (442,)
