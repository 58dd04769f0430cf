"""Compiled-model reuse: repeated fits with the compile cache off ("before") and on ("after").

Cases, on the diabetes data (n = 442, p = 10), ``BayesianRegression(prior="laplace",
sampler="nutpie")`` with its defaults (4 chains x 1000 draws after 1000 tuning steps):

* ``fit1``: the first fit of an estimator (rows 0-219); the cache starts empty;
* ``fit2``: a second ``fit`` of the same estimator on other rows (220-441: 222 rows);
* ``cv5``: ``cross_val_score(estimator, X, y, cv=5)`` from an empty cache (folds of 353 and
  354 rows: the first fold compiles, the other four reuse it).

For each case the wall time and the time spent compiling (inside nutpie's compile or the
cache look-up, and building the compiled MAP problem of ``find_map``) are printed. "before"
and "after" run in the same process, interleaved (off, on; then on, off; ...), each repetition
with the 1-minute load average; the summary gives medians and the ratios after / before.
PyTensor's and numba's on-disk caches of compiled op code are warm for both (as for any user
after their first fit); the cache under test is :mod:`shrinkage.inference.compile_cache`,
switched off with ``set_compile_cache(enabled=False)`` (or ``SHRINKAGE_COMPILE_CACHE=0``).

Run: ``PYTHONPATH=src python benchmarks/compile_reuse.py [--reps 2] [--draws 1000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from shrinkage.datasets import load_diabetes
from shrinkage.estimators import BayesianRegression
from shrinkage.inference import compile_cache
from shrinkage.inference import map as map_module

COMPILE = {"seconds": 0.0}


@contextmanager
def _timing_compiles():
    """Add the time spent in the two compile points to ``COMPILE["seconds"]``."""
    nutpie_compile, map_problem = compile_cache.compiled_nutpie_model, map_module._reused_problem

    def timed(fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                COMPILE["seconds"] += time.perf_counter() - start

        return wrapper

    compile_cache.compiled_nutpie_model = timed(nutpie_compile)
    map_module._reused_problem = timed(map_problem)
    try:
        yield
    finally:
        compile_cache.compiled_nutpie_model = nutpie_compile
        map_module._reused_problem = map_problem


def _run(fn) -> tuple[float, float]:
    COMPILE["seconds"] = 0.0
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start, COMPILE["seconds"]


def one_repetition(enabled: bool, X, y, draws: int) -> dict[str, tuple[float, float]]:
    compile_cache.set_compile_cache(enabled=enabled)
    compile_cache.clear_compile_cache()
    est = BayesianRegression(prior="laplace", sampler="nutpie", draws=draws, random_state=0)
    out = {
        "fit1": _run(lambda: est.fit(X[:220], y[:220])),
        "fit2": _run(lambda: est.fit(X[220:], y[220:])),
    }
    compile_cache.clear_compile_cache()
    out["cv5"] = _run(lambda: cross_val_score(clone(est), X, y, cv=5))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    X, y = (a.to_numpy() for a in load_diabetes())
    warnings.filterwarnings("ignore")
    results: dict[str, list[dict]] = {"before": [], "after": []}
    with _timing_compiles():
        for rep in range(args.reps):
            order = [False, True] if rep % 2 == 0 else [True, False]
            for enabled in order:
                load = os.getloadavg()[0]
                res = one_repetition(enabled, X, y, args.draws)
                label = "after" if enabled else "before"
                results[label].append(res)
                cells = "  ".join(
                    f"{k} {w:6.2f} s (compile {c:5.2f})" for k, (w, c) in res.items()
                )
                print(f"rep {rep} {label:6s} load {load:4.2f}: {cells}", flush=True)
    compile_cache.set_compile_cache(enabled=None)
    print("\nmedians (wall s / compile s) and ratios after / before:")
    for case in ("fit1", "fit2", "cv5"):
        med = {
            label: [statistics.median(r[case][i] for r in runs) for i in (0, 1)]
            for label, runs in results.items()
        }
        b, a = med["before"], med["after"]
        print(
            f"  {case}: before {b[0]:6.2f} / {b[1]:5.2f}   after {a[0]:6.2f} / {a[1]:5.2f}   "
            f"wall ratio {a[0] / b[0]:.2f}   compile ratio {a[1] / max(b[1], 1e-9):.3f}"
        )
    print(f"load average at the end: {np.round(os.getloadavg(), 2).tolist()}")


if __name__ == "__main__":
    main()
