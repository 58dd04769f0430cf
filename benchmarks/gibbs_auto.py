"""Where ``sampler="auto"`` should pick Gibbs for the log-concave priors: Gibbs vs NUTS ESS/s.

Run from the repository root::

    PYTHONPATH=src python benchmarks/gibbs_auto.py --p 10,50,200 --priors gaussian,blasso

Synthetic Gaussian data, ``n = 4 p`` rows, equicorrelated columns (rho = 0.5), 5 signals.
For each ``p`` and prior: one fit with ``sampler="gibbs"`` and one with ``sampler="nutpie"``
(4 chains x 1000 draws, defaults otherwise), each in this process after a warm-up fit that
pays numba's and nutpie's one-off compile of the sampler code (the model's own compile is
counted). Printed: wall time (build + compile + sampling), min bulk ESS over the
coefficients and ``sigma``, ESS/s and the ratio Gibbs / NUTS, with the load average.
"""

from __future__ import annotations

import argparse
import os
import time

import arviz as az
import numpy as np

from shrinkage import priors as P
from shrinkage.inference import sample
from shrinkage.model import build_model

PRIORS = {
    "gaussian": P.Gaussian(),
    "laplace": P.Laplace(),
    "blasso": P.BayesianLasso(),
    "enet": P.ElasticNet(),
}


def _data(p: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 4 * p
    X = np.sqrt(0.5) * rng.normal(size=(n, p)) + np.sqrt(0.5) * rng.normal(size=(n, 1))
    beta = np.zeros(p)
    beta[: min(5, p)] = 1.0
    return X, X @ beta + rng.normal(size=n)


def _fit(X, y, prior, sampler: str) -> tuple[float, float]:
    t = time.perf_counter()
    idata = sample(build_model(X, y, prior=prior), chains=4, draws=1000, random_seed=1,
                   sampler=sampler, progressbar=False, log_likelihood=False)  # fmt: skip
    wall = time.perf_counter() - t
    ess = az.ess(idata, var_names=["beta", "sigma"], method="bulk")
    return wall, min(float(ess["beta"].min()), float(ess["sigma"].min()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p", default="10,50,200")
    ap.add_argument("--priors", default="gaussian,blasso")
    args = ap.parse_args()
    X, y = _data(5)
    for sampler in ("gibbs", "nutpie"):  # one-off compile of the samplers' own code
        sample(build_model(X, y, prior=P.Laplace()), chains=1, draws=10, tune=10,
               sampler=sampler, progressbar=False)  # fmt: skip
    for p in map(int, args.p.split(",")):
        X, y = _data(p)
        for name in args.priors.split(","):
            rates = {}
            for sampler in ("gibbs", "nutpie"):
                load = os.getloadavg()[0]
                wall, ess = _fit(X, y, PRIORS[name], sampler)
                rates[sampler] = ess / wall
                print(f"p={p:<5} n={4 * p:<6} {name:<8} {sampler:<6} wall {wall:7.1f}s "
                      f"min_ess {ess:7.1f} ess/s {ess / wall:8.1f} load {load:.1f}",
                      flush=True)  # fmt: skip
            print(f"p={p:<5} {name:<8} ratio gibbs/nuts {rates['gibbs'] / rates['nutpie']:.2f}")


if __name__ == "__main__":
    main()
