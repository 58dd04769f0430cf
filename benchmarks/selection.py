"""Selection benchmark (issue 19): recovery study and projection runtime.

Recovery: n = 200, p = 50, 5 signals (standardized effects 1.0, -0.8, 0.7, 0.6, -0.5 on
N(0, 1) columns, unit noise), ``--replicates`` data sets (issue: 20), regularized horseshoe
reference (``expected_nonzero=5``, 4 chains x ``--draws``). Per method, the mean number of true
and false features selected: projection (L1 search, PSIS-LOO, projpred's one-SE rule), DSS
(90% interval of the loss gap), SAVS (median-probability model), the zero-mass rule
(``P(|beta_j| >= 0.1) >= 0.5``) and the lasso's 5-fold CV choice (``lambda_min``).
Aim (issue): all 5 signals and at most 1 false feature on average for projection and DSS.

Runtime: ``projection`` on n = 1000, p = 100 (10 signals), 4 x 1000 draws, LOO validation;
printed as the ratio to the issue's 30 s target.

Run: ``PYTHONPATH=src python benchmarks/selection.py [--replicates 20] [--draws 1000]
[--skip-runtime] [--skip-recovery]``. Results are recorded in docs/selection.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

SIGNALS = np.array([1.0, -0.8, 0.7, 0.6, -0.5])


def data(n: int, p: int, seed: int, signals=SIGNALS):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.standard_normal((n, p)), columns=[f"x{j:03d}" for j in range(p)])
    beta = np.zeros(p)
    beta[: len(signals)] = signals
    y = pd.Series(X.to_numpy() @ beta + rng.standard_normal(n), name="y")
    return X, y, set(X.columns[: len(signals)])


def fit(X, y, draws: int, seed: int, expected_nonzero: float):
    from shrinkage.inference import sample
    from shrinkage.model import build_model
    from shrinkage.priors import RegularizedHorseshoe

    model = build_model(X, y, prior=RegularizedHorseshoe(expected_nonzero=expected_nonzero))
    idata = sample(model, draws=draws, tune=draws, chains=4, random_seed=seed, progressbar=False)
    return model, idata


def lasso_cv(X, y, seed: int) -> set[str]:
    from shrinkage.solvers import L1, Quadratic, cv_path

    Z = ((X - X.mean()) / X.std(ddof=0)).to_numpy()
    cv = cv_path(Z, (y - y.mean()).to_numpy(), Quadratic(), L1(1.0), n_folds=5, random_state=seed)
    return set(X.columns[cv.path.coefs[cv.index_min] != 0])


def selections(model, idata, X, y, seed: int) -> dict[str, tuple[set[str], float]]:
    from shrinkage.report import stats
    from shrinkage.select import dss, projection, savs

    out = {}
    for name, run in (
        ("projection", lambda: set(projection(idata, model, max_size=15).selected)),
        ("dss", lambda: set(dss(idata, model).selected)),
        ("savs", lambda: set(savs(idata, model).selected)),
        (
            "zero_mass",
            lambda: set(X.columns[stats.retention_table(idata)["zero_mass"].to_numpy()]),
        ),
        ("lasso_cv", lambda: lasso_cv(X, y, seed)),
    ):
        t0 = time.perf_counter()
        chosen = run()
        out[name] = (chosen, time.perf_counter() - t0)
    return out


def recovery(replicates: int, draws: int) -> pd.DataFrame:
    rows = []
    for rep in range(replicates):
        X, y, truth = data(200, 50, seed=rep)
        t0 = time.perf_counter()
        model, idata = fit(X, y, draws, seed=rep, expected_nonzero=5)
        t_fit = time.perf_counter() - t0
        for method, (chosen, secs) in selections(model, idata, X, y, rep).items():
            rows.append(dict(replicate=rep, method=method, true=len(chosen & truth),
                             false=len(chosen - truth), seconds=secs))  # fmt: skip
        last = pd.DataFrame(rows[-5:]).set_index("method")[["true", "false"]]
        print(f"replicate {rep + 1}/{replicates} (fit {t_fit:.0f} s): "
              + "; ".join(f"{m} {r.true}/{r.false}" for m, r in last.iterrows()), flush=True)  # fmt: skip
    table = pd.DataFrame(rows).groupby("method")[["true", "false", "seconds"]].mean()
    return table.loc[["projection", "dss", "savs", "zero_mass", "lasso_cv"]]


def runtime(draws: int) -> float:
    from shrinkage.select import projection

    signals = np.r_[SIGNALS, -SIGNALS]
    X, y, _ = data(1000, 100, seed=1000, signals=signals)
    t0 = time.perf_counter()
    model, idata = fit(X, y, draws, seed=0, expected_nonzero=10)
    print(f"runtime case: reference fit (4 x {draws} draws) took {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    res = projection(idata, model, validate="loo")
    secs = time.perf_counter() - t0
    print(res.headline())
    return secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--skip-runtime", action="store_true")
    ap.add_argument("--skip-recovery", action="store_true")
    args = ap.parse_args()
    if not args.skip_runtime:
        secs = runtime(args.draws)
        print(f"projection n=1000 p=100 4x{args.draws} draws LOO: {secs:.1f} s; "
              f"ratio to the 30 s target: {secs / 30:.2f}")  # fmt: skip
    if not args.skip_recovery:
        table = recovery(args.replicates, args.draws)
        print(f"recovery: n=200 p=50 5 signals, {args.replicates} replicates, RHS 4x{args.draws}")
        print(table.to_string(float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
