"""Time to first result: import, first and second fit of a small model, in fresh processes.

Each run is a new Python process (nothing imported or compiled in memory) that times
``import shrinkage``, ``from shrinkage import BayesianRegression`` (the estimators: pandas,
scikit-learn, the priors), the first ``fit`` of ``BayesianRegression(prior="laplace",
sampler="nutpie")`` on 40 rows of the diabetes data (the CLI's size; its defaults: 4 chains x
1000 draws, MAP included) and a second ``fit`` on the next 40 rows. Pass one source tree per
``--src`` (e.g. an export of an older commit and ``src``): the trees run interleaved,
``--reps`` times each, with the 1-minute load average; medians and ratios to the first tree
are printed. PyTensor's and numba's on-disk caches are warm after the first run of a tree
(as for a user after their first fit); the first repetition is a warm-up and not counted.

Run: ``python benchmarks/first_result.py --src /tmp/old/src --src src [--reps 3]``
(export an older tree with ``git archive COMMIT src | tar -x -C /tmp/old``). For the import
alone, ``PYTHONPATH=src python -X importtime -c "import shrinkage"`` lists every module.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, time, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import shrinkage
t1 = time.perf_counter()
from shrinkage import BayesianRegression
t2 = time.perf_counter()
from shrinkage.datasets import load_diabetes
X, y = load_diabetes()
X, y = X.to_numpy(), y.to_numpy()
est = BayesianRegression(prior="laplace", sampler="nutpie", random_state=0)
est.fit(X[:40], y[:40])
t3 = time.perf_counter()
est.fit(X[40:80], y[40:80])
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "estimators": t2 - t1, "fit1": t3 - t2, "fit2": t4 - t3}))
"""

STEPS = ("import", "estimators", "fit1", "fit2")


def run(src: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src), MPLBACKEND="Agg")
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", action="append", required=True, help="a source tree (repeat)")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {src: [] for src in args.src}
    for rep in range(args.reps + 1):
        order = args.src if rep % 2 == 0 else args.src[::-1]
        for src in order:
            load = os.getloadavg()[0]
            res = run(src)
            cells = "  ".join(f"{k} {v:6.2f}" for k, v in res.items())
            tag = "warm-up" if rep == 0 else f"rep {rep}"
            print(f"{tag:7s} {src:24s} load {load:5.2f}: {cells}", flush=True)
            if rep:
                results[src].append(res)
    base = args.src[0]
    print(f"\nmedians in seconds; ratio to {base}:")
    for src, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in STEPS}
        ref = {k: statistics.median(r[k] for r in results[base]) for k in STEPS}
        cells = "  ".join(f"{k} {med[k]:6.2f} ({med[k] / ref[k]:.2f}x)" for k in STEPS)
        print(f"  {src:24s} {cells}")
    print(f"load average at the end: {[round(x, 2) for x in os.getloadavg()]}")


if __name__ == "__main__":
    main()
