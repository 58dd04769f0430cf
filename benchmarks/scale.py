"""Out-of-core scale benchmark (issue 18): n rows x p = 50 as Parquet files on a LocalCluster.

Writes ``--rows`` rows (default 20,000,000; ~8 GB as float64) as Parquet files of
``--rows-per-file`` rows, each generated and written on its own (never the whole data in
memory), then on a ``distributed.LocalCluster`` (``--workers`` processes, one thread each):

* **floor**: one bare Dask pass that reads the files and sums ``X'X`` over the partitions;
* **(i)** a regularized horseshoe, Gaussian family: ``build_model`` on the Dask frame (one
  statistics pass) and ``sample(sampler="auto")``, which out of core is the Gibbs sampler
  running from ``X'X``, ``X'y``, ``y'y`` (its chains run as tasks on the cluster's workers,
  counted in their peaks; their state is a few ``p x p`` matrices);
* **(ii)** a lasso path over a CV-free grid of 100 alphas (``alpha_max`` down to 1e-3 of it):
  one statistics pass and coordinate descent on the ``p x p`` Gram form;
* **(iii)** a logistic L1 MAP (``glm_map``, ``cache="auto"``): the files read once, the parsed
  partitions kept in the workers' memory, then from them the statistics and one pass per
  Newton step (trial points of the line search included; the last gives the certificate).

Each fit runs ``--repeats`` times (default 3), interleaved with floor passes; for each run it
prints the wall time, the ratio to the floor (the mean of the two floor passes just before and
just after it: the machine may be shared), then the median ratio (aims: <= 1.3 for (i) and (ii),
<= Newton steps + 1 for (iii)), and the peak resident memory of the client and of each worker
during that fit (``VmHWM``, reset before each fit through ``/proc/self/clear_refs``; aim: client
< 1 GB). Timed is the fit itself: the package and PyMC are imported before, in the client and
the workers (a cost of each process, paid once), and (i)'s diagnostics (ESS, posterior
means) are computed after.

Run: ``PYTHONPATH=src python benchmarks/scale.py [--rows 20000000] [--dir DIR] [--keep]``
(the files go to ``--dir``, default a temporary folder removed at the end unless ``--keep``;
existing files of the right shape in ``--dir`` are reused).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

P = 50
SIGNALS = np.r_[np.array([1.5, -1.0, 0.8, -0.6, 0.5]), np.zeros(P - 5)]


# -- data -----------------------------------------------------------------------------------------
def write_files(folder: Path, rows: int, per_file: int, seed: int) -> list[Path]:
    """Parquet files of ``per_file`` rows: x0..x49, a Gaussian ``y`` and a 0/1 ``y01``."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    files = []
    n_files = -(-rows // per_file)
    for k in range(n_files):
        path = folder / f"part{k:04d}.parquet"
        files.append(path)
        m = min(per_file, rows - k * per_file)
        if path.exists() and _rows_in(path) == m:
            continue
        rng = np.random.default_rng([seed, k])
        X = rng.standard_normal((m, P))
        eta = X @ SIGNALS
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(P)])
        frame["y"] = eta + rng.standard_normal(m)
        frame["y01"] = (rng.random(m) < 1 / (1 + np.exp(-(eta - 0.5)))).astype(np.int8)
        frame.to_parquet(path, index=False)
        print(f"  wrote {path.name} ({k + 1}/{n_files})", flush=True)
    return files


def _rows_in(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def frame(files: list[Path]):
    """The files as one Dask frame, X and the two targets split at the same rows."""
    import dask.dataframe as dd

    ddf = dd.read_parquet([str(f) for f in files])
    return ddf[[f"x{j}" for j in range(P)]], ddf["y"], ddf["y01"]


# -- memory -----------------------------------------------------------------------------------------
def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(client, name: str, fn):
    """Run ``fn()``; wall time and peak RSS of client and workers during it."""
    client.run(_reset_peak)
    _reset_peak()
    start = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - start
    workers = sorted(client.run(_peak_mb).values())
    return {"name": name, "wall": wall, "client": _peak_mb(), "workers": workers, "out": out}


# -- the fits -------------------------------------------------------------------------------------
def _xtx(block) -> np.ndarray:
    X = block.to_numpy(dtype=float)
    return X.T @ X


def _add(*parts):
    return sum(parts[1:], parts[0])


def floor_pass(X) -> np.ndarray:
    """Read every partition and sum ``X'X`` (8-way tree)."""
    from dask import compute, delayed

    # unoptimized, as the fits' passes (shared/full reads; see outofcore/stats.py)
    parts = [delayed(_xtx)(b) for b in X.to_delayed(optimize_graph=False)]
    while len(parts) > 1:
        parts = [delayed(_add)(*parts[i : i + 8]) for i in range(0, len(parts), 8)]
    return compute(parts[0])[0]


def fit_horseshoe(X, y, draws: int, tune: int | None, sampler: str = "auto"):
    """``build_model`` (the statistics pass) and ``sample``; the diagnostics are
    :func:`describe_horseshoe`'s, after the timed fit."""
    import importlib.util

    if importlib.util.find_spec("shrinkage.outofcore.design") is None:
        # without the out-of-core design build_model would pull X into the client
        raise ImportError("build_model on Dask data needs shrinkage.outofcore.design")
    from shrinkage.inference import sample
    from shrinkage.model import build_model
    from shrinkage.priors import RegularizedHorseshoe

    t0 = time.perf_counter()
    model = build_model(X, y, prior=RegularizedHorseshoe(), family="gaussian")
    t1 = time.perf_counter()
    idata = sample(
        model, draws=draws, tune=tune, chains=2, random_seed=1, progressbar=False, sampler=sampler
    )
    return idata, t1 - t0, time.perf_counter() - t1


def describe_horseshoe(out) -> str:
    import arviz as az

    idata, t_stats, t_sampling = out
    post = idata["posterior"]
    beta = post["beta"].mean(("chain", "draw")).to_numpy()
    ess = az.ess(post.to_dataset()[["beta", "sigma", "tau"]])
    ess_min = min(float(ess[v].min()) for v in ess.data_vars)
    return (
        f"{post.attrs['inference_library']}: statistics pass (build_model) {t_stats:.1f} s, "
        f"sample {t_sampling:.1f} s, min ESS (beta, sigma, tau) {ess_min:.0f}; "
        f"posterior mean beta[:5] {np.round(beta[:5], 3)}"
    )


def fit_lasso_path(X, y):
    from shrinkage.outofcore import gram_stats
    from shrinkage.solvers import L1, Quadratic, path
    from shrinkage.solvers.gram import gram_rows

    t0 = time.perf_counter()
    s = gram_stats(X, y)
    t1 = time.perf_counter()
    xtx = s.xtx / np.outer(s.std, s.std)
    Xr, yr = gram_rows(xtx, s.xty / s.std, s.yty, s.n)
    res = path(Xr, yr, Quadratic(), L1(1.0), n_alphas=100, eps=1e-3, fit_intercept=False)
    nnz = (res.coefs != 0).sum(axis=1)  # per alpha
    return (
        f"100 alphas, non-zeros {int(nnz[0])}..{int(nnz[-1])}; statistics pass "
        f"{t1 - t0:.1f} s, path {time.perf_counter() - t1:.1f} s"
    )


def fit_logistic(X, y01, cache="auto"):
    from shrinkage.outofcore import glm_map
    from shrinkage.solvers import L1

    steps = []
    t0 = time.perf_counter()

    def progress(step, cert):  # glm_map's progress line, timed
        steps.append(time.perf_counter())
        print(f"glm_map: Newton step {step}, KKT violation {cert:.3e}", flush=True)

    kw = {} if cache == "auto" else {"cache": cache == "on"}
    # no stats given: with the cache, glm_map parses the files once into the workers' memory
    # and computes the statistics and every Newton pass from there
    res = glm_map(X, y01, "logistic", L1(1e-3), tol=1e-8, progress=progress, **kw)
    t2 = time.perf_counter()
    s = res.solver
    per_pass = (t2 - steps[0]) / max(s.n_passes, 1)
    return s, (
        f"cache {'on' if res.cached else 'off'}, {s.n_iter} Newton steps, {s.n_passes} passes "
        f"+ 1 statistics pass, KKT {s.certificate:.1e}; read + statistics {steps[0] - t0:.1f} s"
        f", then Newton passes {per_pass:.1f} s each"
    )


def _import_package() -> None:
    """Import what the fits use before any is timed: importing PyMC and the package is a cost
    of the process (~3 s), paid once, not of a fit."""
    import arviz  # noqa: F401

    import shrinkage.inference
    import shrinkage.model
    import shrinkage.outofcore
    import shrinkage.solvers  # noqa: F401


def _import_on_worker() -> None:
    """The workers' share of :func:`_import_package`: the modules their tasks run (the
    statistics, the Newton passes, the Gibbs chains; ~0.3-0.4 s per fresh process)."""
    import threadpoolctl  # noqa: F401

    import shrinkage.inference.gibbs.core
    import shrinkage.outofcore  # noqa: F401


def _load() -> str:
    """The 1-minute load average (the machine may be shared: timings vary with it)."""
    return f"{os.getloadavg()[0]:.1f}"


def _run(client, name, fn, X, rows, aim, repeats, describe=None):
    """``repeats`` fits interleaved with bare floor passes (floor, fit, floor, fit, ..., floor).

    The machine is shared and one pass varies by +-15% or more between runs (page cache,
    allocator, the host): each fit's ratio is to the mean of the two floor passes around it,
    and the median of the fits' ratios is printed after them.
    """
    floors = [measure(client, "floor", lambda: floor_pass(X))["wall"]]
    ratios = []
    for _ in range(repeats):
        try:
            r = measure(client, name, fn)
        except (ImportError, NotImplementedError, ValueError, TypeError) as err:
            print(f"{name}: not run: {type(err).__name__}: {err}", flush=True)
            return
        floors.append(measure(client, "floor", lambda: floor_pass(X))["wall"])
        floor = 0.5 * (floors[-2] + floors[-1])
        ratios.append(r["wall"] / floor)
        out = r["out"]
        note = describe(out) if describe else out[1] if isinstance(out, tuple) else out
        if callable(aim):
            aim = aim(out)
        workers = ", ".join(f"{w:.0f}" for w in r["workers"])
        rows.append(
            f"{name:<22} {r['wall']:7.1f} s  floor {floor:5.1f} s ({floors[-2]:.1f}, "
            f"{floors[-1]:.1f})  ratio {ratios[-1]:5.2f} (aim <= {aim})  client "
            f"{r['client']:6.0f} MB  workers [{workers}] MB  load {_load()}  {note}"
        )
        print(rows[-1], flush=True)
    if repeats > 1:
        listed = ", ".join(f"{v:.2f}" for v in ratios)
        rows.append(
            f"{name:<22} median ratio {np.median(ratios):.2f} (aim <= {aim}) of {repeats} "
            f"interleaved fits: {listed}"
        )
        print(rows[-1], flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--rows-per-file", type=int, default=1_000_000)
    ap.add_argument("--dir", default=None, help="folder of the Parquet files")
    ap.add_argument("--keep", action="store_true", help="keep the files")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--tune", type=int, default=None, help="default: the sampler's")
    ap.add_argument("--fits", nargs="+", default=["i", "ii", "iii"])
    ap.add_argument("--repeats", type=int, default=3, help="fits of each kind, interleaved")
    ap.add_argument("--sampler", default="auto", help="sampler of (i) (auto: Gibbs out of core)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--glm-cache", choices=["auto", "on", "off"], default="auto",
                    help="glm_map's cache of the parsed partitions for (iii)")  # fmt: skip
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="shrinkage-scale-"))
    print(f"writing {args.rows:,} rows x {P} to {folder}", flush=True)
    t0 = time.perf_counter()
    files = write_files(folder, args.rows, args.rows_per_file, args.seed)
    size = sum(f.stat().st_size for f in files) / 1e9
    print(f"  {len(files)} files, {size:.2f} GB in {time.perf_counter() - t0:.0f} s", flush=True)
    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    try:
        X, y, y01 = frame(files)
        _import_package()
        client.run(_import_on_worker)
        floor_pass(X)  # warm: the page cache
        base = measure(client, "floor", lambda: floor_pass(X))
        rows = [
            f"{'floor (read + X^T X)':<22} {base['wall']:7.1f} s  client {base['client']:6.0f} "
            f"MB  workers [{', '.join(f'{w:.0f}' for w in base['workers'])}] MB  load {_load()}"
        ]
        print(rows[0], flush=True)
        if "ii" in args.fits:
            _run(
                client, "(ii) lasso path", lambda: fit_lasso_path(X, y), X, rows, 1.3, args.repeats
            )
        if "iii" in args.fits:
            _run(client, "(iii) logistic L1 MAP", lambda: fit_logistic(X, y01, args.glm_cache), X, rows,
                 lambda out: out[0].n_iter + 1, args.repeats)  # fmt: skip
        if "i" in args.fits:  # last: a NUTS compile would raise the client's resident memory
            fit = lambda: fit_horseshoe(X, y, args.draws, args.tune, args.sampler)  # noqa: E731
            _run(client, "(i) reg. horseshoe", fit, X, rows, 1.3, args.repeats, describe_horseshoe)
        print(f"\nn = {args.rows:,}, p = {P}, {len(files)} files ({size:.2f} GB), "
              f"{args.workers} workers x 1 thread")  # fmt: skip
        print("\n".join(rows))
    finally:
        client.close()
        cluster.close()
        if not args.keep and args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
