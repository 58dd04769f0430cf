"""Verdict counts per family on real data (issue 17 item 2): how many features each retention
rule keeps, with the default zero region of the fit's family.

Per data set: a Laplace-prior fit (or ``--prior``), 2 chains x 500 draws after 500 tuning
steps, seed 0, and the counts of the report's table: ``zero_mass`` rule, ``one_sided`` rule
(the default), ``undetermined`` features, the interval rule, and the exact MAP's non-zeros.
Data: scikit-learn's wine (class 0 vs rest), breast cancer and diabetes; statsmodels' randhie
(``mdvis``, first 2000 rows, Poisson) and longley. Offline data only.

Run: ``PYTHONPATH=src python benchmarks/verdicts.py [--prior laplace] [names ...]``.
Results are recorded in docs/zero-clustering.md.
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

from shrinkage.estimators import BayesianLogisticRegression, BayesianRegression

NAMES = ("wine", "breast_cancer", "diabetes", "randhie", "longley")


def load(name: str) -> tuple[pd.DataFrame, pd.Series, str]:
    """``(X, y, family)`` of a data set in :data:`NAMES`."""
    import statsmodels.api as sm
    from sklearn import datasets

    if name in ("wine", "breast_cancer", "diabetes"):
        loader = getattr(datasets, f"load_{name}")
        X, y = loader(return_X_y=True, as_frame=True)
        family = {"wine": "bernoulli", "breast_cancer": "bernoulli"}.get(name, "gaussian")
        return X, (y == 0).astype(int) if name == "wine" else y, family
    if name == "randhie":
        d = sm.datasets.randhie.load_pandas().data.iloc[:2000]
        return d.drop(columns="mdvis"), d["mdvis"].astype(int), "poisson"
    if name == "longley":
        d = sm.datasets.longley.load_pandas()
        return d.exog, d.endog, "gaussian"
    raise ValueError(f"unknown data set {name!r}; choose from {NAMES}")


def counts(name: str, prior: str) -> dict:
    X, y, family = load(name)
    kw = {"prior": prior, "draws": 500, "tune": 500, "chains": 2, "random_state": 0}
    if family == "bernoulli":
        est = BayesianLogisticRegression(**kw)
    else:
        est = BayesianRegression(family=family, **kw)
    start = time.perf_counter()
    est.fit(X, y)
    t = est.report().table
    out = {
        "data": name,
        "family": family,
        "p": len(t),
        "eps": round(float(t["eps"].iloc[0]), 4),
        "zero_mass": int(t["retained_zero_mass"].sum()),
        "one_sided": int(t["retained_one_sided"].sum()),
        "undetermined": int(t["undetermined"].sum()),
        "interval": int(t["retained_interval"].sum()),
        "collinear": int(t["collinear"].sum()) if "collinear" in t else 0,
        "map_nonzero": None if est.map_coef_ is None else int((est.map_coef_ != 0).sum()),
        "seconds": round(time.perf_counter() - start),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(NAMES))
    parser.add_argument("--prior", default="laplace")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rows = [counts(name, args.prior) for name in args.names]
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
