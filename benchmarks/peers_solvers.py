"""Solvers side by side with skglm, celer, scikit-learn, glum, R glmnet at equal accuracy (issue 22).

Run: ``PYTHONPATH=src python benchmarks/peers_solvers.py [--cases lasso_tall,...] [--repeat 3]``
(peers: ``pip install -r benchmarks/requirements-peers.txt``; ``benchmarks/peers.py --part
solvers`` calls :func:`main` one case per process). R glmnet (``apt-get install r-base-core
r-cran-glmnet``) joins the lasso, logistic and path cases through benchmarks/_glmnet.py, timed
inside R; without Rscript/glmnet, or with ``--no-glmnet``, it is skipped with the reason printed.

Equal accuracy: every tool minimizes the same objective (row-averaged datafit, no intercept,
centred data) and is run at the loosest tolerance of a ladder (1e-2, 1e-3, ... 1e-14 in its own
units) whose objective is within ``REL = 1e-7`` relative of a tight reference (the best
objective of any tool, ours at tol 1e-12 included); a path case needs this at every alpha. The
calibration runs are untimed. Then ``--repeat`` interleaved rounds time every tool once each
(one BLAS thread: the machine is shared), and the best time per tool is reported with the ratio
ours / best peer (< 1: we are faster) and the load average. The objectives are all evaluated by
our own code from each tool's coefficients.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from shrinkage.solvers import L1, GroupLasso, Logistic, Quadratic, path, solve

try:  # benchmarks/ is on sys.path when run as a script or through peers.py
    import _glmnet
except ImportError:  # pragma: no cover
    _glmnet = None

REL = 1e-7  # target relative objective excess over the reference
LADDER = [10.0**-k for k in range(2, 15)]
GROUP_SIZE = 5
GLMNET = {"skip": "not checked yet"}  # main() sets "skip" to None when R glmnet runs here
# cases R glmnet joins (timed inside R, see benchmarks/_glmnet.py) and its family there
GLMNET_FAMILY = {
    "lasso_tall": "gaussian",
    "lasso_wide": "gaussian",
    "logistic": "binomial",
    "lasso_path": "gaussian",
    "logistic_path_bc": "binomial",
}


def _sparse_data(n, p, k, seed, logistic=False):
    """Gaussian design, ``k`` non-zeros of size 0.5-2, unit noise; centred (as case (b) of
    benchmarks/solvers.py, at other sizes); ``logistic``: labels from the logistic model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[rng.choice(p, k, replace=False)] = rng.choice([-1, 1], k) * rng.uniform(0.5, 2, k)
    eta = X @ w
    if logistic:
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = eta + rng.standard_normal(n)
        y = y - y.mean()
    return np.asfortranarray(X - X.mean(0)), y


# ---------------------------------------------------------------- objectives (ours, reference)
def _obj_ls(X, y, w, alpha):
    r = y - X @ w
    return 0.5 * r @ r / len(y) + alpha * np.abs(w).sum()


def _obj_logistic(X, y, w, alpha):
    eta = X @ w
    return float(np.mean(np.logaddexp(0, eta) - y * eta) + alpha * np.abs(w).sum())


def _obj_group(X, y, w, alpha):
    r = y - X @ w
    return 0.5 * r @ r / len(y) + alpha * np.linalg.norm(w.reshape(-1, GROUP_SIZE), axis=1).sum()


# ---------------------------------------------------------------- tools: fn(X, y, alpha, tol)
def _quiet(fn):
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)

    return run


def _glum(family):
    """glum at ``gradient_tol`` t: its objective is mean deviance / 2 + alpha ||w||_1, our
    quadratic (normal) and logistic (binomial) objectives."""
    import glum

    def fit(X, y, a, t):
        m = glum.GeneralizedLinearRegressor(
            family=family, alpha=a, l1_ratio=1.0, fit_intercept=False, gradient_tol=t,
            max_iter=10_000,
        )  # fmt: skip
        return m.fit(X, y).coef_

    return fit


def _lasso_tools():
    import celer
    import skglm
    from sklearn.linear_model import Lasso

    return {
        "ours": lambda X, y, a, t: (
            solve(X, y, Quadratic(), L1(a), fit_intercept=False, tol=t).coef
        ),
        "sklearn": lambda X, y, a, t: (
            Lasso(a, fit_intercept=False, tol=t, max_iter=100_000).fit(X, y).coef_
        ),
        "skglm": lambda X, y, a, t: skglm.Lasso(a, fit_intercept=False, tol=t).fit(X, y).coef_,
        "celer": lambda X, y, a, t: celer.Lasso(a, fit_intercept=False, tol=t).fit(X, y).coef_,
        "glum": _glum("normal"),
    }


def _logistic_tools():
    import celer
    import skglm
    from sklearn.linear_model import LogisticRegression

    def sk(X, y, a, t):
        C = 1.0 / (len(y) * a)
        m = LogisticRegression(
            C=C, l1_ratio=1.0, solver="liblinear", fit_intercept=False, tol=t, max_iter=10_000,
            random_state=0,
        )  # fmt: skip
        return m.fit(X, y).coef_[0]

    return {
        "ours": lambda X, y, a, t: solve(X, y, Logistic(), L1(a), fit_intercept=False, tol=t).coef,
        "sklearn": sk,
        "skglm": lambda X, y, a, t: (
            skglm.SparseLogisticRegression(a, fit_intercept=False, tol=t).fit(X, y).coef_[0]
        ),
        "celer": lambda X, y, a, t: (
            celer.LogisticRegression(C=1.0 / (len(y) * a), fit_intercept=False, tol=t)
            .fit(X, y)
            .coef_[0]
        ),
        "glum": _glum("binomial"),
    }


def _group_tools():
    import celer
    import skglm

    def ours(X, y, a, t):
        g = GroupLasso(
            a, np.arange(X.shape[1]) // GROUP_SIZE, weights=np.ones(X.shape[1] // GROUP_SIZE)
        )
        return solve(X, y, Quadratic(), g, fit_intercept=False, tol=t).coef

    return {
        "ours": ours,
        "skglm": lambda X, y, a, t: (
            skglm.GroupLasso(GROUP_SIZE, a, fit_intercept=False, tol=t).fit(X, y).coef_
        ),
        "celer": lambda X, y, a, t: (
            celer.GroupLasso(GROUP_SIZE, a, fit_intercept=False, tol=t).fit(X, y).coef_
        ),
    }


def _path_tools():
    import celer
    import skglm
    from sklearn.linear_model import lasso_path

    def skglm_path(X, y, alphas, t):
        m = skglm.Lasso(alphas[0], fit_intercept=False, tol=t, warm_start=True)
        coefs = []
        for a in alphas:
            coefs.append(m.set_params(alpha=a).fit(X, y).coef_.copy())
        return np.array(coefs)

    return {
        "ours": lambda X, y, al, t: (
            path(X, y, Quadratic(), L1(1.0), alphas=al, fit_intercept=False, tol=t).coefs
        ),
        "sklearn": lambda X, y, al, t: lasso_path(X, y, alphas=al, tol=t, max_iter=100_000)[1].T,
        "skglm": skglm_path,
        "celer": lambda X, y, al, t: celer.celer_path(X, y, "lasso", alphas=al, tol=t)[1].T,
    }


def _logistic_path_tools():
    """Ours and skglm (warm-started loop); R glmnet joins in :func:`run_case`. celer's logreg
    path is left out: at tol 1e-10 on breast cancer it ran over 5 minutes here (calibration
    needs 1e-12)."""
    import skglm

    def skglm_path(X, y, alphas, t):
        m = skglm.SparseLogisticRegression(alphas[0], fit_intercept=False, tol=t, warm_start=True)
        return np.array([m.set_params(alpha=a).fit(X, y).coef_[0].copy() for a in alphas])

    return {
        "ours": lambda X, y, al, t: (
            path(X, y, Logistic(), L1(1.0), alphas=al, fit_intercept=False, tol=t).coefs
        ),
        "skglm": skglm_path,
    }


# ---------------------------------------------------------------- cases
def _alpha_max_ls(X, y):
    return np.abs(X.T @ y).max() / len(y)


def _case(name):
    """``(label, X, y, alpha or alphas, tools, objective)``."""
    if name == "lasso_tall":
        X, y = _sparse_data(10_000, 1_000, 20, 0)
        return "lasso n=10000 p=1000", X, y, _alpha_max_ls(X, y) / 20, _lasso_tools(), _obj_ls
    if name == "lasso_wide":
        X, y = _sparse_data(500, 5_000, 20, 1)
        return "lasso n=500 p=5000", X, y, _alpha_max_ls(X, y) / 20, _lasso_tools(), _obj_ls
    if name == "logistic":
        X, y = _sparse_data(2_000, 2_000, 20, 2, logistic=True)
        amax = np.abs(X.T @ (y - y.mean())).max() / len(y)
        return "logistic L1 n=2000 p=2000", X, y, amax / 20, _logistic_tools(), _obj_logistic
    if name == "group":
        X, y = _sparse_data(2_000, 1_000, 20, 3)
        amax = np.linalg.norm((X.T @ y).reshape(-1, GROUP_SIZE), axis=1).max() / len(y)
        return "group lasso n=2000 p=1000", X, y, amax / 20, _group_tools(), _obj_group
    if name == "lasso_path":
        X, y = _sparse_data(500, 5_000, 20, 4)
        alphas = _alpha_max_ls(X, y) * np.geomspace(1, 1e-2, 100)
        return "lasso path n=500 p=5000 100 alphas", X, y, alphas, _path_tools(), _obj_ls
    if name == "logistic_path_bc":
        return _breast_cancer_path()
    raise ValueError(f"unknown case {name!r}; choose from {CASES}")


def _breast_cancer_path():
    """Logistic L1 path on scikit-learn's breast cancer (n=569, p=30), standardized columns,
    100 alphas log-spaced from alpha_max down to 1e-4 alpha_max (glmnet's default grid for
    n > p)."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = np.asfortranarray((X - X.mean(0)) / X.std(0))
    y = y.astype(float)
    alphas = np.abs(X.T @ (y - y.mean())).max() / len(y) * np.geomspace(1, 1e-4, 100)
    label = "logistic L1 path breast cancer n=569 p=30 100 alphas"
    return label, X, y, alphas, _logistic_path_tools(), _obj_logistic


CASES = ["lasso_tall", "lasso_wide", "logistic", "group", "lasso_path", "logistic_path_bc"]


def _objectives(obj, X, y, alpha, coefs):
    if np.ndim(alpha) == 0:
        return np.array([obj(X, y, coefs, alpha)])
    return np.array([obj(X, y, c, a) for a, c in zip(alpha, coefs, strict=True)])


def _calibrate(tools, X, y, alpha, obj):
    """Loosest ladder tolerance per tool reaching ``REL`` of the reference: ``{tool: tol}``."""
    tight = {
        name: _objectives(obj, X, y, alpha, _quiet(fn)(X, y, alpha, 1e-12))
        for name, fn in tools.items()
    }
    ref = np.min(np.array(list(tight.values())), axis=0)
    tols = {}
    for name, fn in tools.items():
        tols[name] = None
        for t in LADDER:
            excess = (_objectives(obj, X, y, alpha, _quiet(fn)(X, y, alpha, t)) - ref) / np.abs(
                ref
            )
            if excess.max() <= REL:
                tols[name] = t
                break
    return tols


def run_case(name: str, repeat: int = 3) -> dict:
    """Calibrate, time ``repeat`` interleaved rounds and print one line per tool."""
    label, X, y, alpha, tools, obj = _case(name)
    if GLMNET["skip"] is None and name in GLMNET_FAMILY:
        tools["glmnet"] = _glmnet.Glmnet(GLMNET_FAMILY[name])
    with threadpool_limits(1):
        tols = _calibrate(tools, X, y, alpha, obj)
        times = {k: [] for k, t in tols.items() if t is not None}
        for _ in range(repeat):
            for k in times:
                t0 = time.perf_counter()
                _quiet(tools[k])(X, y, alpha, tols[k])
                wall = time.perf_counter() - t0
                times[k].append(getattr(tools[k], "last_seconds", None) or wall)  # R: inside R
    if "glmnet" in tools:
        tools["glmnet"].close()
    best = {k: min(v) for k, v in times.items()}
    peers = {k: v for k, v in best.items() if k != "ours"}
    top = min(peers, key=peers.get)
    ratio = best["ours"] / peers[top]
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    vs_r = f", ours / glmnet = {best['ours'] / best['glmnet']:.2f}" if "glmnet" in best else ""
    print(
        f"{label}: ratio ours / best peer ({top}) = {ratio:.2f}{vs_r}  [load {load}]", flush=True
    )
    for k in tols:
        t = f"{best[k]:8.3f} s" if k in best else "  (never reached the reference)"
        print(f"    {k:<8} tol {tols[k] if tols[k] else float('nan'):.0e} {t}", flush=True)
    return {"case": name, "ratio": ratio, "best_peer": top, "times": best, "tols": tols}


def _glmnet_unavailable():
    if _glmnet is None:
        return "benchmarks/_glmnet.py not importable"
    return _glmnet.unavailable()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-glmnet", action="store_true", help="leave out the R glmnet peer")
    args = parser.parse_args(argv)
    GLMNET["skip"] = "--no-glmnet" if args.no_glmnet else _glmnet_unavailable()
    if GLMNET["skip"] is not None:
        print(f"R glmnet peer skipped: {GLMNET['skip']}", flush=True)
    # warm our numba kernels (compile time is benchmarks/solvers.py's business)
    Xw, yw = _sparse_data(50, 20, 3, 9)
    for case in (_lasso_tools, _logistic_tools, _group_tools):
        case()["ours"](Xw, yw if case is not _logistic_tools else (yw > 0) * 1.0, 0.01, 1e-8)
    return [run_case(c, args.repeat) for c in args.cases.split(",")]


if __name__ == "__main__":
    main()
