"""Command line: ``shrinkage demo``.

For now the demo runs the frequentist comparison on the diabetes data: our lasso, elastic-net
and ridge solutions next to scikit-learn's at a few points along the path.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

__all__ = ["frequentist_comparison", "main"]


def frequentist_comparison(tol: float = 1e-14) -> pd.DataFrame:
    """Our solvers vs scikit-learn on diabetes (442 x 10), one row per (model, alpha).

    Objectives (``n`` rows, intercept unpenalized):
    lasso :math:`\\frac{1}{2n}\\|y - Xw\\|^2 + \\alpha\\|w\\|_1` (``Lasso(alpha)``);
    elastic net with ``l1_ratio = 0.5`` (``ElasticNet(alpha, l1_ratio=0.5)``);
    ridge :math:`\\frac{1}{2n}\\|y - Xw\\|^2 + \\frac{\\alpha}{2}\\|w\\|^2` (``Ridge(alpha * n)``).
    ``tol`` is our duality-gap tolerance relative to ``var(y)``.

    Returns
    -------
    DataFrame with columns ``model, alpha, sklearn, n_nonzero, gap, max_abs_diff``.
    """
    from sklearn import linear_model as sk

    from .datasets import load_diabetes
    from .solvers import L1, L2, ElasticNet, Quadratic, alpha_max, solve

    X, y = (a.to_numpy() for a in load_diabetes())
    n = len(y)
    gap_tol = tol * float(np.var(y))
    cases = []
    for name, pen, ref in (
        ("lasso", L1(1.0), lambda a: sk.Lasso(alpha=a)),
        ("elastic-net", ElasticNet(1.0, 0.5), lambda a: sk.ElasticNet(alpha=a, l1_ratio=0.5)),
    ):
        top = alpha_max(X, y, Quadratic(), pen)
        for frac in (0.5, 0.1, 0.01, 0.001):
            cases.append(
                (name, pen.with_alpha(top * frac), ref(top * frac), f"alpha={top * frac:.4g}")
            )
    for a in (1e-3, 1e-2, 1e-1):
        cases.append(("ridge", L2(a), sk.Ridge(alpha=a * n), f"Ridge(alpha={a * n:.4g})"))
    rows = []
    for name, pen, est, label in cases:
        ours = solve(X, y, Quadratic(), pen, tol=gap_tol)
        if hasattr(est, "tol") and not isinstance(est, sk.Ridge):
            est.set_params(tol=1e-14, max_iter=10**6)
        est.fit(X, y)
        diff = max(np.abs(ours.coef - est.coef_).max(), abs(ours.intercept - est.intercept_))
        rows.append(
            {
                "model": name,
                "alpha": pen.alpha,
                "sklearn": label,
                "n_nonzero": int(np.count_nonzero(ours.coef)),
                "gap": ours.certificate,
                "max_abs_diff": float(diff),
            }
        )
    return pd.DataFrame(rows)


def _demo(args: argparse.Namespace) -> int:
    table = frequentist_comparison()
    print("Diabetes (n=442, p=10): shrinkage.solvers vs scikit-learn, coefficients + intercept")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"largest difference: {table['max_abs_diff'].max():.2e}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shrinkage",
        description="Bayesian regression with shrinkage priors, cross-checked against solvers.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="compare our lasso / elastic-net / ridge with scikit-learn on the diabetes data",
        description="Frequentist comparison on diabetes: our solvers next to scikit-learn's "
        "at a few alphas along the path, with the max abs coefficient difference per row.",
    )
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``shrinkage`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
