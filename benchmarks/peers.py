"""Side-by-side benchmarks against the peers installed from PyPI (``benchmarks/README.md``).

Run from the repository root::

    PYTHONPATH=src python benchmarks/peers.py --part sampling [options]
    PYTHONPATH=src python benchmarks/peers.py --part solvers [options]

``--part sampling``: small-model ESS/s against numpyro and bambi
(:mod:`peers_sampling`); ``--part solvers``: solver times against skglm, celer,
scikit-learn and glum (:mod:`peers_solvers`). The remaining options go to that part
(``--help`` after ``--part`` lists them). Each part runs one process per case, interleaves
repetitions and prints ratios ours / best peer with the load average.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

PARTS = {"sampling": "peers_sampling", "solvers": "peers_solvers"}


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] != "--part" or argv[1] not in PARTS:
        raise SystemExit(f"usage: peers.py --part {{{','.join(PARTS)}}} [options]\n{__doc__}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    importlib.import_module(PARTS[argv[1]]).main(argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
