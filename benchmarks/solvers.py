"""Speed of shrinkage.solvers against scikit-learn at matched optimality.

Run: ``PYTHONPATH=src python benchmarks/solvers.py [--repeat 3]``

Matched optimality: scikit-learn's coordinate descent stops when its duality gap (on the
sum-scaled objective) is <= tol * ||y_c||^2, i.e. when the gap of our row-averaged objective is
<= tol * ||y_c||^2 / n; we run with exactly that absolute gap tolerance. liblinear has no gap
rule, so for (d) we compute the duality gap its solution reaches at each alpha (with our
certificate) and ask ours, warm-started along the grid, for that same gap at that alpha (note:
scikit-learn ignores warm_start for liblinear, so its loop is effectively cold-started). Times are best of ``--repeat`` runs, warm (numba already compiled);
compile / cache-load time is measured separately in fresh processes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, enet_path, lasso_path
from threadpoolctl import threadpool_limits

from shrinkage.solvers import L1, ElasticNet, Logistic, Quadratic, certificate, path, solve

SK_TOL = 1e-6  # scikit-learn's relative gap tolerance (its lasso_path default is 1e-4)


def _best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _quadratic_case(X, y, penalty, sk_fn, n_alphas, eps, repeat):
    n = len(y)
    Xc, yc = X - X.mean(0), y - y.mean()
    gap_tol = SK_TOL * float(yc @ yc) / n
    # both sides get the centred data and fit no intercept (lasso_path has none); both convert
    # X to Fortran order inside the timing
    ours_t, ours = _best(
        lambda: path(
            Xc, yc, Quadratic(), penalty, n_alphas=n_alphas, eps=eps, tol=gap_tol,
            fit_intercept=False,
        ),
        repeat,
    )  # fmt: skip
    sk_t, (_, sk_coefs, _) = _best(
        lambda: sk_fn(Xc, yc, alphas=ours.alphas, tol=SK_TOL, max_iter=100_000), repeat
    )
    diff = np.abs(ours.coefs - sk_coefs.T).max() / max(1.0, np.abs(sk_coefs).max())
    return ours_t, sk_t, f"gap tol {gap_tol:.1e}; max rel coef diff {diff:.1e}"


def case_a(repeat):
    X, y = load_diabetes(return_X_y=True)
    return _quadratic_case(X, y, L1(1.0), lasso_path, 100, 1e-3, repeat)


def case_b(repeat):
    rng = np.random.default_rng(0)
    n, p = 1000, 5000
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[rng.choice(p, 20, replace=False)] = rng.choice([-1, 1], 20) * rng.uniform(0.5, 2, 20)
    y = X @ w + rng.standard_normal(n)
    return _quadratic_case(X, y, L1(1.0), lasso_path, 100, 1e-2, repeat)


def case_c(repeat):
    rng = np.random.default_rng(1)
    n, p = 20000, 100
    X = rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1))  # correlated columns
    y = X[:, :10] @ rng.standard_normal(10) + rng.standard_normal(n)

    def sk(Xc, yc, **kw):
        return enet_path(Xc, yc, l1_ratio=0.5, **kw)

    return _quadratic_case(X, y, ElasticNet(1.0, 0.5), sk, 100, 1e-3, repeat)


def case_d(repeat):
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    y = y.astype(float)
    n = len(y)
    # no intercept on either side: liblinear would penalize its intercept
    grid = path(X, y, Logistic(), L1(1.0), n_alphas=50, eps=1e-3, fit_intercept=False).alphas

    def sklearn_loop():
        clf = LogisticRegression(
            l1_ratio=1.0, solver="liblinear", fit_intercept=False, tol=1e-6, warm_start=True,
            random_state=0,  # liblinear shuffles coordinates: fix it so the matched gaps repeat
        )  # fmt: skip
        coefs = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for a in grid:
                clf.set_params(C=1.0 / (n * a)).fit(X, y)
                coefs.append(clf.coef_[0].copy())
        return np.array(coefs)

    sk_t, sk_coefs = _best(sklearn_loop, repeat)
    sk_gaps = [
        certificate(X, y, Logistic(), L1(a), c, fit_intercept=False)[0]
        for a, c in zip(grid, sk_coefs, strict=True)
    ]
    # matched per alpha: each of our solves must reach the gap liblinear reached at that alpha
    # (a single path tol = the largest of them would let us stop early where liblinear did not)
    tols = np.maximum(sk_gaps, 1e-12)

    def ours_loop():
        w = None
        for a, t in zip(grid, tols, strict=True):
            w = solve(X, y, Logistic(), L1(a), fit_intercept=False, tol=t, coef_init=w).coef

    ours_t, _ = _best(ours_loop, repeat)
    tol = float(tols.max())
    path_t, _ = _best(
        lambda: path(X, y, Logistic(), L1(1.0), alphas=grid, fit_intercept=False, tol=tol), repeat
    )
    return (
        ours_t,
        sk_t,
        (
            f"gap matched per alpha ({tols.min():.0e}..{tol:.0e}); path() at the largest: "
            f"{path_t:.3f} s"
        ),
    )


_COLD = """
import time, numpy as np
t0, c0 = time.perf_counter(), time.process_time()
from shrinkage.solvers import L1, GroupLasso, Logistic, Quadratic, solve
t1, c1 = time.perf_counter(), time.process_time()
rng = np.random.default_rng(0)
X = rng.standard_normal((30, 4))
y = X[:, 0] + rng.standard_normal(30)
solve(X, y, Quadratic(), L1(0.1)); solve(X, (y > 0).astype(float), Logistic(), L1(0.01))
t2, c2 = time.perf_counter(), time.process_time()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {c1 - c0:.3f} {c2 - c1:.3f}")
"""


def compile_times():
    """(import, first lasso + logistic solve) in fresh processes: empty numba cache vs cached.

    Wall and CPU seconds: on a shared machine the wall time of a compile scales with the load,
    the CPU time much less."""
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        for label in ("empty cache", "warm cache"):
            env["NUMBA_CACHE_DIR"] = cache
            res = subprocess.run(
                [sys.executable, "-c", _COLD], env=env, capture_output=True, text=True, check=True
            )
            out[label] = tuple(float(v) for v in res.stdout.split())
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default="abcd")
    args = parser.parse_args(argv)
    # one BLAS thread on both sides: this machine has 2 cores shared with other jobs, where
    # multi-threaded BLAS spin-waits and makes timings meaningless (sklearn's CD is serial too)
    with threadpool_limits(1):
        _run(args)


def _run(args):
    # warm the in-process numba kernels so case timings exclude compilation
    case_a(1)
    cases = {
        "a": ("(a) diabetes lasso path, 100 alphas", case_a),
        "b": ("(b) n=1000 p=5000, 20 nonzeros, lasso path 100 alphas eps=1e-2", case_b),
        "c": ("(c) n=20000 p=100 elastic-net path (l1_ratio=0.5), 100 alphas", case_c),
        "d": ("(d) breast cancer L1 logistic path, 50 alphas vs liblinear loop", case_d),
    }
    print(f"{'case':<68} {'ours (s)':>9} {'sklearn (s)':>11} {'ratio':>6}  notes")
    for key in args.cases:
        label, fn = cases[key]
        ours_t, sk_t, note = fn(args.repeat)
        print(f"{label:<68} {ours_t:9.3f} {sk_t:11.3f} {ours_t / sk_t:6.2f}  {note}", flush=True)
    for label, (imp, first, imp_cpu, first_cpu) in compile_times().items():
        print(
            f"fresh process, {label}: import {imp:.2f} s (cpu {imp_cpu:.2f} s), "
            f"first lasso + logistic solve {first:.2f} s (cpu {first_cpu:.2f} s)"
        )
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
