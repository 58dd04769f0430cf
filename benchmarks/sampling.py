"""Sampling benchmark: ``shrinkage.sample`` vs the textbook PyMC model of the same prior.

Run from the repository root::

    PYTHONPATH=src python benchmarks/sampling.py --cases a,b,c,d --seeds 1,2,3,4

Cases (4 chains x 1000 draws; the baseline tunes 1000 steps, ``shrinkage.sample`` uses its
defaults: 1000 NUTS tuning steps, or the Gibbs sampler's warm-up sweeps):

a. horseshoe, n=100, p=200, 5 signals
b. regularized horseshoe, n=200, p=1000, 10 signals
c. Bayesian lasso on the diabetes data (n=442, p=10)
d. Gaussian prior, n=100000, p=20
e. horseshoe, n=200, p=5000 (no baseline unless ``--baseline-e``)

The R2D2 and horseshoe+ priors on the data of (a) and (b), next to the regularized horseshoe
in the same run (no textbook baseline): ``a-rhs`` (regularized horseshoe, p0 = 5),
``a-r2d2``, ``a-hsplus``, ``b-r2d2``, ``b-hsplus`` (``b`` itself is the regularized
horseshoe). R2D2 and horseshoe+ with their defaults.

For each fit: wall time (model build + compile + sampling), divergences, max r_hat and min bulk
ESS over the coefficients and the global scale (``tau``; ``lasso_lambda`` for the Bayesian
lasso; ``sigma`` for the Gaussian prior), ESS/s and the ratio to the baseline's ESS/s (same
case, same seed). The baseline is plain PyMC code with ``pm.sample`` defaults (PyMC's NUTS,
target_accept 0.8) except ``cores`` (all chains in parallel, as ``shrinkage.sample`` does).
``--sampler`` and ``--form`` are passed to ``shrinkage.sample`` (``auto``, ``nutpie``, ``pymc``,
``gibbs``; ``auto``, ``marginal``, ``noncentred``); ``--sampler nutpie`` measures the NUTS forms.
``--baseline-seeds`` limits the (slow) textbook fits to some seeds.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt

from shrinkage import priors as P
from shrinkage.inference import sample
from shrinkage.model import build_model

CHAINS, DRAWS, TUNE = 4, 1000, 1000


@dataclass
class Case:
    name: str
    make_data: Callable[[int], tuple[np.ndarray, np.ndarray]]
    prior: P.Prior
    baseline: Callable[[np.ndarray, np.ndarray], pm.Model] | None
    scale_var: str


def _sparse_data(n: int, p: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[:k] = rng.choice([-1.0, 1.0], k) * rng.uniform(1.0, 3.0, k)
    return X, X @ beta + rng.normal(size=n)


def _standardize(X, y):
    return (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()


def baseline_horseshoe(X, y):
    """Textbook non-centred horseshoe: beta = z tau lam, lam, tau ~ C+(0, 1)."""
    Z, ys = _standardize(X, y)
    with pm.Model() as m:
        tau = pm.HalfCauchy("tau", 1.0)
        lam = pm.HalfCauchy("lam", 1.0, shape=Z.shape[1])
        z = pm.Normal("beta_z", 0, 1, shape=Z.shape[1])
        beta = pm.Deterministic("beta", z * tau * lam)
        a = pm.Normal("intercept", 0, 2.5)
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Normal("y", a + pt.dot(Z, beta), sigma, observed=ys)
    return m


def baseline_rhs(X, y, p0=10, slab_scale=2.0, slab_df=4.0):
    """Piironen & Vehtari's regularized horseshoe, non-centred, as in their appendix."""
    Z, ys = _standardize(X, y)
    n, p = Z.shape
    with pm.Model() as m:
        sigma = pm.HalfNormal("sigma", 1.0)
        tau = pm.HalfCauchy("tau", p0 / (p - p0) * sigma / np.sqrt(n))
        lam = pm.HalfCauchy("lam", 1.0, shape=p)
        c2 = slab_scale**2 * pm.InverseGamma("c2_z", slab_df / 2, slab_df / 2)
        lam_t = pt.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
        z = pm.Normal("beta_z", 0, 1, shape=p)
        beta = pm.Deterministic("beta", z * tau * lam_t)
        a = pm.Normal("intercept", 0, 2.5)
        pm.Normal("y", a + pt.dot(Z, beta), sigma, observed=ys)
    return m


def baseline_bayesian_lasso(X, y, r=1.0, delta=1.78):
    """Park & Casella: beta | sigma ~ Laplace(0, sigma / lambda), lambda^2 ~ Gamma(r, delta)."""
    Z, ys = _standardize(X, y)
    with pm.Model() as m:
        sigma = pm.HalfNormal("sigma", 1.0)
        lam2 = pm.Gamma("lasso_lambda2", r, delta)
        pm.Deterministic("lasso_lambda", pt.sqrt(lam2))
        beta = pm.Laplace("beta", 0, sigma / pt.sqrt(lam2), shape=Z.shape[1])
        a = pm.Normal("intercept", 0, 2.5)
        pm.Normal("y", a + pt.dot(Z, beta), sigma, observed=ys)
    return m


def baseline_gaussian(X, y):
    Z, ys = _standardize(X, y)
    with pm.Model() as m:
        beta = pm.Normal("beta", 0, 1, shape=Z.shape[1])
        a = pm.Normal("intercept", 0, 2.5)
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Normal("y", a + pt.dot(Z, beta), sigma, observed=ys)
    return m


def _diabetes(seed: int):
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return X, y


CASES = {
    "a": Case(
        "horseshoe n=100 p=200",
        lambda s: _sparse_data(100, 200, 5, s),
        P.Horseshoe(),
        baseline_horseshoe,
        "tau",
    ),
    "b": Case(
        "reg. horseshoe n=200 p=1000",
        lambda s: _sparse_data(200, 1000, 10, s),
        P.RegularizedHorseshoe(expected_nonzero=10),
        baseline_rhs,
        "tau",
    ),
    "c": Case(
        "Bayesian lasso diabetes",
        _diabetes,
        P.BayesianLasso(),
        baseline_bayesian_lasso,
        "lasso_lambda",
    ),
    "d": Case(
        "Gaussian prior n=1e5 p=20",
        lambda s: _sparse_data(100_000, 20, 5, s),
        P.Gaussian(),
        baseline_gaussian,
        "sigma",
    ),
    "e": Case(
        "horseshoe n=200 p=5000",
        lambda s: _sparse_data(200, 5000, 5, s),
        P.Horseshoe(),
        baseline_horseshoe,
        "tau",
    ),
    "a-rhs": Case(
        "reg. horseshoe n=100 p=200",
        lambda s: _sparse_data(100, 200, 5, s),
        P.RegularizedHorseshoe(expected_nonzero=5),
        lambda X, y: baseline_rhs(X, y, p0=5),
        "tau",
    ),
    "a-r2d2": Case(
        "R2D2 n=100 p=200", lambda s: _sparse_data(100, 200, 5, s), P.R2D2(), None, "tau"
    ),
    "a-hsplus": Case(
        "horseshoe+ n=100 p=200",
        lambda s: _sparse_data(100, 200, 5, s),
        P.HorseshoePlus(),
        None,
        "tau",
    ),
    "b-r2d2": Case(
        "R2D2 n=200 p=1000", lambda s: _sparse_data(200, 1000, 10, s), P.R2D2(), None, "tau"
    ),
    "b-hsplus": Case(
        "horseshoe+ n=200 p=1000",
        lambda s: _sparse_data(200, 1000, 10, s),
        P.HorseshoePlus(),
        None,
        "tau",
    ),
}


def _metrics(idata, scale_var: str, wall: float) -> dict[str, float]:
    names = ["beta", scale_var]
    ess = az.ess(idata, var_names=names, method="bulk")
    rhat = az.rhat(idata, var_names=names)
    min_ess = min(float(ess[v].min()) for v in names)
    worst = max(names, key=lambda v: float(rhat[v].max()))
    return {
        "wall": wall,
        "div": int(idata["sample_stats"]["diverging"].sum()),
        "rhat": float(rhat[worst].max()),
        "worst": worst,
        "ess": min_ess,
        "ess_s": min_ess / wall,
    }


def run_ours(case: Case, X, y, seed: int, sampler: str, form: str = "auto") -> dict[str, float]:
    t = time.perf_counter()
    model = build_model(X, y, prior=case.prior)
    big = X.shape[0] * CHAINS * DRAWS > 5e7  # pointwise log-lik would be > 400 MB
    idata = sample(  # default warm-up: see shrinkage.sample(tune=None)
        model,
        draws=DRAWS,
        chains=CHAINS,
        random_seed=seed,
        sampler=sampler,
        progressbar=False,
        log_likelihood=not big,
        form=form,
    )
    return _metrics(idata, case.scale_var, time.perf_counter() - t)


def run_baseline(case: Case, X, y, seed: int) -> dict[str, float]:
    t = time.perf_counter()
    model = case.baseline(X, y)
    with model:
        idata = pm.sample(
            draws=DRAWS,
            tune=TUNE,
            chains=CHAINS,
            cores=min(CHAINS, os.cpu_count() or 1),
            random_seed=seed,
            nuts_sampler="pymc",
            progressbar=False,
        )
    return _metrics(idata, case.scale_var, time.perf_counter() - t)


def _row(label: str, m: dict[str, float]) -> str:
    return (
        f"  {label:<26} wall {m['wall']:7.1f}s  div {m['div']:5d}  max_rhat {m['rhat']:6.3f}"
        f" ({m['worst']})  min_ess {m['ess']:7.1f}  ess/s {m['ess_s']:7.2f}"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--cases", default="a,b,c,d", help=f"comma-separated subset of {','.join(CASES)}"
    )
    ap.add_argument("--seeds", default="1", help="comma-separated seeds (data and sampler)")
    ap.add_argument("--sampler", default="auto", help="shrinkage.sample(sampler=...)")
    ap.add_argument("--form", default="auto", help="shrinkage.sample(form=...) for NUTS")
    ap.add_argument("--no-baseline", action="store_true", help="skip the textbook PyMC fits")
    ap.add_argument(
        "--baseline-seeds", default=None, help="seeds with a baseline fit (default: all)"
    )
    ap.add_argument("--baseline-e", action="store_true", help="also run the baseline on (e)")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    seeds = [int(s) for s in args.seeds.split(",")]
    base_seeds = (
        seeds if args.baseline_seeds is None else [int(s) for s in args.baseline_seeds.split(",")]
    )
    for key in args.cases.split(","):
        case = CASES[key]
        print(f"({key}) {case.name}", flush=True)
        for seed in seeds:
            X, y = case.make_data(seed)
            ours = run_ours(case, X, y, seed, args.sampler, args.form)
            print(_row(f"seed {seed} shrinkage[{args.sampler}]", ours), flush=True)
            if (
                args.no_baseline
                or case.baseline is None
                or seed not in base_seeds
                or (key == "e" and not args.baseline_e)
            ):
                continue
            base = run_baseline(case, X, y, seed)
            ratio = ours["ess_s"] / base["ess_s"]
            print(_row(f"seed {seed} baseline (PyMC)", base), flush=True)
            print(f"  seed {seed} ESS/s ratio shrinkage / baseline: {ratio:.2f}x", flush=True)


if __name__ == "__main__":
    main()
