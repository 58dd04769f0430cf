"""Small-model sampling against the peers: ESS/s of ``shrinkage.sample`` vs numpyro and bambi.

Run from the repository root (``benchmarks/README.md`` says how to install the peers)::

    PYTHONPATH=src python benchmarks/peers.py --part sampling --reps 2

Data: diabetes (n=442, p=10; :func:`shrinkage.datasets.load_diabetes`), columns and ``y``
standardized (divisor-n sd, as ``build_model(standardize=True)`` does). One model per case,
the same in every library (density up to a constant)::

    y ~ Normal(a + X beta, sigma), a ~ Normal(0, 2.5), sigma ~ HalfNormal(1)

    ridge    beta_j ~ Normal(0, 1)                       shrinkage.priors.Gaussian()
    laplace  beta_j ~ Laplace(0, 1)                      shrinkage.priors.Laplace()
    blasso   lambda^2 ~ Gamma(1, rate 1.78),             shrinkage.priors.BayesianLasso()
             beta_j ~ Laplace(0, sigma / lambda)
    enet     p(beta_j) ∝ exp(-|beta_j| - beta_j^2 / 2)   shrinkage.priors.ElasticNet()
             numpyro: beta_j ~ Normal(0, 1) and factor -sum |beta_j| (same density)

bambi gets the same priors on the same standardized columns (``bmb.Prior`` per slope and for
``Intercept`` and ``sigma``); it has no prior whose scale depends on ``sigma`` (Bayesian
lasso) and no elastic-net prior, so those two cases have no bambi fit. rstanarm is R (not
installable here): no rstanarm fit.

Each fit (4 chains x 1000 draws after 1000 warm-up steps, library defaults otherwise) runs in
its own process, the peers' from the peer venv (``--peer-python``; a peer that cannot be
imported is reported and skipped). Repetitions are interleaved (ours, numpyro, bambi, ours,
...). Metric: min bulk ESS (``arviz.ess`` in this process, the same function for every
library) over the coefficients and ``sigma``, divided by the fit's wall time counted from
before the model is built to after the draws are in hand (build + compile + sampling; not
the imports). Printed per case: each fit, the median ESS/s per library and the ratio
ours / best peer; the load average before each fit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHAINS, DRAWS, TUNE = 4, 1000, 1000
CASES = ("ridge", "laplace", "blasso", "enet")
BAMBI_CASES = ("ridge", "laplace")
HERE = Path(__file__).resolve()


# ---- workers (run in a subprocess; numpy + the one library they time) -------------------


def _ours(case: str, X: np.ndarray, y: np.ndarray, seed: int, sampler: str):
    from shrinkage import priors as P
    from shrinkage.inference import sample
    from shrinkage.model import build_model

    prior = {
        "ridge": P.Gaussian(),
        "laplace": P.Laplace(),
        "blasso": P.BayesianLasso(),
        "enet": P.ElasticNet(),
    }[case]
    t = time.perf_counter()
    model = build_model(X, y, prior=prior)
    idata = sample(model, draws=DRAWS, chains=CHAINS, random_seed=seed, sampler=sampler,
                   progressbar=False, log_likelihood=False)  # fmt: skip
    wall = time.perf_counter() - t
    post = idata["posterior"]
    lib = str(post.attrs.get("inference_library", sampler))
    return post["beta"].values, post["sigma"].values, wall, lib


def _numpyro(case: str, X: np.ndarray, y: np.ndarray, seed: int, sampler: str):
    import numpyro

    numpyro.set_host_device_count(CHAINS)
    import jax
    import jax.numpy as jnp
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    p = X.shape[1]

    def model(X, y):
        a = numpyro.sample("a", dist.Normal(0.0, 2.5))
        sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
        if case == "ridge":
            beta = numpyro.sample("beta", dist.Normal(0.0, 1.0).expand([p]))
        elif case == "laplace":
            beta = numpyro.sample("beta", dist.Laplace(0.0, 1.0).expand([p]))
        elif case == "blasso":
            lam2 = numpyro.sample("lam2", dist.Gamma(1.0, 1.78))
            beta = numpyro.sample("beta", dist.Laplace(0.0, sigma / jnp.sqrt(lam2)).expand([p]))
        else:  # elastic net: Normal(0, 1) times exp(-|beta|)
            beta = numpyro.sample("beta", dist.Normal(0.0, 1.0).expand([p]))
            numpyro.factor("l1", -jnp.sum(jnp.abs(beta)))
        numpyro.sample("y", dist.Normal(a + X @ beta, sigma), obs=y)

    t = time.perf_counter()
    mcmc = MCMC(NUTS(model), num_warmup=TUNE, num_samples=DRAWS, num_chains=CHAINS,
                chain_method="parallel", progress_bar=False)  # fmt: skip
    mcmc.run(jax.random.PRNGKey(seed), jnp.asarray(X), jnp.asarray(y))
    s = mcmc.get_samples(group_by_chain=True)
    beta, sigma = np.asarray(s["beta"]), np.asarray(s["sigma"])
    return beta, sigma, time.perf_counter() - t, f"numpyro {numpyro.__version__}"


def _bambi(case: str, X: np.ndarray, y: np.ndarray, seed: int, sampler: str):
    import bambi as bmb
    import pandas as pd

    cols = [f"x{j}" for j in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols).assign(y=y)
    slope = (
        bmb.Prior("Normal", mu=0.0, sigma=1.0)
        if case == "ridge"
        else bmb.Prior("Laplace", mu=0.0, b=1.0)
    )
    priors = {c: slope for c in cols}
    priors["Intercept"] = bmb.Prior("Normal", mu=0.0, sigma=2.5)
    priors["sigma"] = bmb.Prior("HalfNormal", sigma=1.0)
    t = time.perf_counter()
    model = bmb.Model("y ~ " + " + ".join(cols), df, priors=priors)
    idata = model.fit(draws=DRAWS, tune=TUNE, chains=CHAINS, random_seed=seed,
                      progressbar=False)  # fmt: skip
    wall = time.perf_counter() - t
    post = idata.posterior
    beta = np.stack([post[c].values for c in cols], axis=-1)
    return beta, post["sigma"].values, wall, f"bambi {bmb.__version__}"


WORKERS = {"ours": _ours, "numpyro": _numpyro, "bambi": _bambi}


def _worker(lib: str, case: str, data: str, seed: int, sampler: str, out: str) -> None:
    d = np.load(data)
    beta, sigma, wall, label = WORKERS[lib](case, d["X"], d["y"], seed, sampler)
    np.savez(out, beta=beta, sigma=sigma, wall=wall, label=label)


# ---- driver -----------------------------------------------------------------------------


def _data(path: Path) -> None:
    from shrinkage.datasets import load_diabetes

    X, y = load_diabetes()
    X, y = X.to_numpy(float), y.to_numpy(float)
    np.savez(path, X=(X - X.mean(0)) / X.std(0), y=(y - y.mean()) / y.std())


def _min_ess(beta: np.ndarray, sigma: np.ndarray) -> float:
    import arviz as az
    import xarray as xr

    ds = xr.Dataset({"beta": (("chain", "draw", "j"), beta), "sigma": (("chain", "draw"), sigma)})
    ess = az.ess(ds, method="bulk")
    return min(float(ess["beta"].min()), float(ess["sigma"].min()))


def _run(lib: str, case: str, data: Path, seed: int, sampler: str, python: str) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "draws.npz"
        cmd = [python, str(HERE), "--worker", lib, case, str(data), str(seed), sampler, str(out)]
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
            print(f"    {lib:<8} {case:<8} seed {seed}: FAILED ({tail[0]})", flush=True)
            return None
        r = np.load(out)
        ess = _min_ess(r["beta"], r["sigma"])
        return {"lib": str(r["label"]), "wall": float(r["wall"]), "ess": ess,
                "ess_s": ess / float(r["wall"])}  # fmt: skip


def _peer_ok(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def run(cases: list[str], reps: int, sampler: str, peer_python: str, peers=("numpyro", "bambi")):
    """Run every case, interleaved; print each fit and the ratio; return the medians."""
    wanted = list(peers)
    peers = [m for m in wanted if _peer_ok(peer_python, m)]
    for m in set(wanted) - set(peers):
        print(f"peer {m} not importable from {peer_python}: skipped", flush=True)
    summary: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "diabetes.npz"
        _data(data)
        for case in cases:
            libs = ["ours"] + [m for m in peers if m != "bambi" or case in BAMBI_CASES]
            rates: dict[str, list[float]] = {lib: [] for lib in libs}
            print(f"case {case} (diabetes n=442 p=10)", flush=True)
            for rep in range(reps):
                for lib in libs:
                    load = os.getloadavg()[0]
                    python = sys.executable if lib == "ours" else peer_python
                    r = _run(lib, case, data, rep + 1, sampler, python)
                    if r is None:
                        continue
                    rates[lib].append(r["ess_s"])
                    print(f"    {r['lib']:<22} seed {rep + 1}: wall {r['wall']:6.1f}s  "
                          f"min_ess {r['ess']:7.1f}  ess/s {r['ess_s']:7.1f}  load {load:.1f}",
                          flush=True)  # fmt: skip
            med = {lib: float(np.median(v)) for lib, v in rates.items() if v}
            best = max((lib for lib in med if lib != "ours"), key=med.get, default=None)
            summary[case] = med
            if best is not None and "ours" in med:
                print(f"  {case}: ours {med['ours']:.1f} ESS/s, best peer {best} {med[best]:.1f}"
                      f" -> ratio ours/best {med['ours'] / med[best]:.2f}"
                      f"  (load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    return summary


def main(argv: list[str]) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES), help=f"subset of {','.join(CASES)}")
    ap.add_argument("--reps", type=int, default=2, help="interleaved repetitions (seeds 1..)")
    ap.add_argument("--sampler", default="auto", help="our sampler= (auto, gibbs, nutpie)")
    ap.add_argument("--peer-python", default=os.environ.get("PEERS_PYTHON", sys.executable),
                    help="python of the venv holding numpyro and bambi (env PEERS_PYTHON)")  # fmt: skip
    ap.add_argument("--peers", default="numpyro,bambi", help="peers to run ('' for none)")
    args = ap.parse_args(argv)
    cases = args.cases.split(",")
    bad = sorted(set(cases) - set(CASES))
    if bad:
        raise SystemExit(f"unknown cases {bad}; choose from {CASES}")
    run(cases, args.reps, args.sampler, args.peer_python, [m for m in args.peers.split(",") if m])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        lib, case, data, seed, sampler, out = sys.argv[2:8]
        _worker(lib, case, data, int(seed), sampler, out)
    else:
        main(sys.argv[1:])
