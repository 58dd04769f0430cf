"""Real data sets bundled with the package, loadable offline.

* ``load_prostate`` — Stamey et al. (1989), *The Elements of Statistical Learning* sec. 3.2:
  97 men, 8 clinical predictors, target ``lpsa`` (log prostate-specific antigen); the column
  ``train`` marks the 67 training rows. Tab-separated ESL original (row 32 carries the corrected
  ``lweight = 3.804438``).
* ``load_saheart`` — South African heart disease data, ESL sec. 4.4.2: 462 men, 9 predictors
  (``famhist`` is categorical ``Present``/``Absent``), binary target ``chd``.
* ``load_diabetes`` — scikit-learn's diabetes data (Efron et al. 2004), as a DataFrame.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_diabetes", "load_prostate", "load_saheart"]


def _data_path(name: str):
    return resources.files("shrinkage") / "data" / name


def load_prostate(split: str = "all") -> tuple[pd.DataFrame, pd.Series]:
    """Prostate cancer data (ESL sec. 3.2).

    Parameters
    ----------
    split : {"all", "train", "test"}
        Which rows to return: all 97, the 67 training rows or the 30 test rows of ESL.

    Returns
    -------
    X : DataFrame, shape (n, 8)
        ``lcavol, lweight, age, lbph, svi, lcp, gleason, pgg45``.
    y : Series
        ``lpsa``.
    """
    if split not in ("all", "train", "test"):
        raise ValueError(f"split must be 'all', 'train' or 'test'; got {split!r}")
    with _data_path("prostate.data").open() as handle:
        frame = pd.read_csv(handle, sep="\t", index_col=0)
    if split != "all":
        frame = frame[frame["train"] == (1 if split == "train" else 0)]
    X = frame.drop(columns=["lpsa", "train"])
    return X, frame["lpsa"].rename("lpsa")


def load_saheart() -> tuple[pd.DataFrame, pd.Series]:
    """South African heart disease data (ESL sec. 4.4.2).

    Returns
    -------
    X : DataFrame, shape (462, 9)
        ``famhist`` is a pandas categorical with categories ``Absent``, ``Present``.
    y : Series
        ``chd`` in {0, 1}.
    """
    with _data_path("SAheart.txt").open() as handle:
        frame = pd.read_csv(handle, index_col=0)
    frame["famhist"] = pd.Categorical(frame["famhist"], categories=["Absent", "Present"])
    return frame.drop(columns=["chd"]), frame["chd"].rename("chd")


def load_diabetes(scaled: bool = True) -> tuple[pd.DataFrame, pd.Series]:
    """scikit-learn's diabetes data (442 x 10) as a DataFrame and Series.

    ``scaled=True`` (scikit-learn's default) gives columns centred with unit L2 norm, the
    scaling used by the LARS paper and by Park & Casella (2008).
    """
    from sklearn.datasets import load_diabetes as _load

    bunch = _load(as_frame=True, scaled=scaled)
    return bunch.data, bunch.target.rename("progression")
