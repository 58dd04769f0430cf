"""``shrinkage demo``: four shrinkage priors on the diabetes data, end to end.

Steps (each prints a ``[k/N]`` line; PyMC / nutpie show their own progress bars):

1. our lasso / elastic-net / ridge solvers next to scikit-learn (:func:`frequentist_comparison`);
2. the lasso path and 5-fold CV (``shrinkage.solvers``), which sets the Laplace prior's scale;
3. to 6. one Bayesian fit per prior (:func:`demo_priors`): ``build_model``, ``sample``, the
   exact MAP cross-checked against lasso / ridge (``cross_check``) and the posterior report
   (zero mass, intervals of the retained features, sampling health, PSIS-LOO);
7. the Bayesian Laplace path over a few prior scales (one compiled model, nutpie ``with_data``),
   run in a background process from the start so that its compile overlaps the four fits;
8. the LOO comparison and the report folder (``summary.md`` / ``summary.html`` and PNGs).

The data are standardized inside ``build_model`` (columns and ``y``), so every prior scale below
is in units of sd(y) per sd(x_j).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shrinkage.cli._args import DefaultsFormatter, int_at_least
from shrinkage.cli._args import seed as seed_type
from shrinkage.cli._interrupt import Interrupts, abandon
from shrinkage.cli._output import OutputError, OutputFolder

__all__ = ["add_demo_parser", "frequentist_comparison", "run_demo"]
#: Laplace prior scales of the Bayesian path (standardized scale; alpha = sigma^2 / (n b))
PATH_SCALES = (0.003, 0.0129, 0.0548, 0.23, 1.0)
#: 2 chains by default: compiling the five models dominates the demo's time, so more chains
#: add little information per second (timings in docs/getting-started.md)
DEFAULT_DRAWS, DEFAULT_TUNE, DEFAULT_CHAINS = 1000, 1000, 2
QUICK_DRAWS, QUICK_CHAINS = 40, 2
N_STEPS = 8


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

    from shrinkage.datasets import load_diabetes
    from shrinkage.solvers import L1, L2, ElasticNet, Quadratic, alpha_max, solve

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


# ---------------------------------------------------------------------- progress
class _Steps:
    """Prints ``[k/N] message ...`` lines with the elapsed wall time."""

    def __init__(self, total: int) -> None:
        self.total, self.k, self.t0 = total, 0, time.perf_counter()
        self.times: list[tuple[str, float]] = []
        self._last = self.t0

    def __call__(self, message: str) -> None:
        self._close()
        self.k += 1
        self._label = message
        print(f"\n[{self.k}/{self.total}] {message} ...  (t = {self.elapsed:.0f} s)", flush=True)

    def _close(self) -> None:
        now = time.perf_counter()
        if self.k:
            self.times.append((self._label, now - self._last))
        self._last = now

    def finish(self) -> None:
        self._close()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


def _start_bayes_path(args: argparse.Namespace, scales: tuple[float, ...]):
    """Start the Bayesian path in a background process (its compile overlaps the fits)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from shrinkage.cli._demo_fits import bayes_path
    from shrinkage.cli._interrupt import ignore_sigint

    # spawn, not fork: the parent may already run sampler / BLAS threads
    # the worker ignores Ctrl-C (a terminal sends it to the whole process group): the demo
    # decides, and _stop ends the worker
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=ignore_sigint
    )
    job = pool.submit(
        bayes_path, scales, args.draws, args.tune, args.chains, args.seed + 99, args.sampler
    )
    return pool, job


def _collect_bayes_path(job) -> tuple[list[tuple[float, Any]], str | None]:
    """The path's fits, or an empty list and the reason (the demo then shows the lasso alone)."""
    try:
        return job.result(), None
    except Exception as err:  # a failed side figure must not lose the four fits
        return [], f"{type(err).__name__}: {err}"


def _lasso_step(X, y, seed: int):
    from shrinkage.cli._demo_fits import lasso_cv

    cv, sigma = lasso_cv(X, y, seed)
    b = sigma**2 / (len(y) * cv.alpha_1se)
    print(
        f"  alpha_1se = {cv.alpha_1se:.4g} (alpha_min = {cv.alpha_min:.4g}) on the "
        f"standardized scale; residual sd there {sigma:.3g} sd(y) -> Laplace scale "
        f"b = sigma^2 / (n alpha_1se) = {b:.4g}"
    )
    return cv, sigma, b


def _comparison_step(fits: list[dict[str, Any]]) -> tuple[pd.DataFrame, ...]:
    from shrinkage.report import compare

    zm = pd.DataFrame({f["spec"].title: f["report"].table["zero_mass"] for f in fits})
    kept = pd.DataFrame({f["spec"].title: f["report"].table["retained"] for f in fits})
    print("Zero clustering: P(|beta_j| < 0.1) on the standardized scale, per prior")
    print(zm.to_string(float_format=lambda v: f"{v:.3f}"))
    print("\nRetained (P(|beta_j| >= 0.1) >= 0.5):")
    print(kept.to_string())
    with warnings.catch_warnings():
        # ArviZ warns once per fit about Pareto k; the table's diag_elpd column counts them
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        loo = compare({f["spec"].title: f["idata"] for f in fits})
    print(
        "\nPSIS-LOO comparison (higher elpd is better; ArviZ rounds elpd by its standard error; "
        "diag_elpd counts high Pareto k):"
    )
    print(loo.to_string(float_format=lambda v: f"{v:.4g}"))
    return zm, kept, loo


def _save_figures(out: Path, cv, names: list[str], path_fits) -> None:
    import matplotlib.pyplot as plt

    from shrinkage.report.figures import plot_coefficient_paths, plot_lasso_geometry

    fig = plot_coefficient_paths(
        cv.path.alphas, cv.path.coefs, names, path_fits, scale_label="Laplace scale b"
    )
    fig.savefig(out / "coefficient_paths.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig = plot_lasso_geometry()
    fig.savefig(out / "lasso_geometry.png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def run_demo(args: argparse.Namespace) -> int:
    """Run ``shrinkage demo`` (see the module docstring); returns the exit code."""
    if args.quick:
        args.draws, args.tune, args.chains = QUICK_DRAWS, QUICK_DRAWS, QUICK_CHAINS
    if args.sampler is None:  # tiny runs: PyMC's cached compile beats nutpie's numba compile
        args.sampler = "pymc" if args.quick else "auto"
    with Interrupts() as intr:
        output = pool = job = None
        try:
            output = OutputFolder.prepare(args.out, args.overwrite)
            steps = _announce(args, output.target)
            scales = PATH_SCALES[::2] if args.quick else PATH_SCALES
            pool, job = _start_bayes_path(args, scales) if args.bayes_path else (None, None)
            _run(args, output.staging, scales, job, steps)
            intr.check()  # the samplers return partial draws after a Ctrl-C
            with intr.deferred():
                out = output.commit()
        except BaseException as err:
            return abandon("demo", err, intr, output, (OutputError,))
        finally:
            if pool is not None:
                with intr.deferred():
                    _stop(pool, job)
    print(f"\ndone in {steps.elapsed:.0f} s. Report folder: {out}")
    print(f"  open {out / 'summary.html'} (or summary.md)")
    return 0


def _announce(args: argparse.Namespace, out: Path) -> _Steps:
    """Print what the demo will do; start its clock (before PyMC is imported)."""
    steps = _Steps(N_STEPS)
    print(
        f"shrinkage demo: diabetes data, 4 priors x {args.chains} chains x {args.draws} draws "
        f"(+{args.tune} tuning), sampler {args.sampler}; report folder {out}",
        flush=True,
    )
    if (args.chains, args.draws) == (DEFAULT_CHAINS, DEFAULT_DRAWS):
        print(
            f"  ({DEFAULT_CHAINS} chains by default: compiling each model dominates, and this "
            "keeps the demo near 1-3 minutes on 2 busy cores; --chains 4 gives sturdier r_hat)",
            flush=True,
        )
    return steps


def _stop(pool, job) -> None:
    """Shut the path's pool down; kill its worker if the demo ended early (error, Ctrl-C)."""
    if not job.done():
        # Python 3.12 has no public way to stop a running worker; these are our own children
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _run(args: argparse.Namespace, out: Path, scales, job, steps: _Steps) -> int:
    steps("frequentist comparison: shrinkage.solvers vs scikit-learn")
    table = frequentist_comparison()
    _print_frequentist(table)

    steps("lasso path and 5-fold CV (shrinkage.solvers); loading PyMC")
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, works without a display

    from shrinkage.cli._demo_fits import demo_priors, fit_prior
    from shrinkage.cli._demo_summary import write_summary
    from shrinkage.datasets import load_diabetes

    X, y = load_diabetes()
    cv, sigma, b = _lasso_step(X, y, args.seed)
    fits = []
    for i, spec in enumerate(demo_priors(len(y), b)):
        steps(f"{spec.title}: build_model, sample, cross-check, report")
        fits.append(fit_prior(spec, X, y, args, args.seed + i, out / spec.key))

    path_fits, path_error = [], None
    if job is not None:
        steps(f"Bayesian Laplace path over {len(scales)} prior scales (background process)")
        path_fits, path_error = _collect_bayes_path(job)
        print(f"  failed, showing the lasso path alone: {path_error}" if path_error else "  done")
    else:
        steps("Bayesian path skipped (--no-bayes-path): lasso path alone")

    steps("zero clustering, LOO comparison, figures and the report folder")
    zm, kept, loo = _comparison_step(fits)
    _save_figures(out, cv, list(X.columns), path_fits)
    loo.to_csv(out / "loo_compare.csv")
    zm.to_csv(out / "zero_mass.csv")
    steps.finish()
    context = {
        "args": args, "table": table, "cv": cv, "sigma": sigma, "b": b, "zm": zm,
        "kept": kept, "loo": loo, "scales": scales if path_fits else (),
        "path_error": path_error, "times": steps.times,
    }  # fmt: skip
    write_summary(out, fits, context)
    return 0


def _print_frequentist(table: pd.DataFrame) -> None:
    print("Diabetes (n=442, p=10): shrinkage.solvers vs scikit-learn, coefficients + intercept")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"largest difference: {table['max_abs_diff'].max():.2e}")


def add_demo_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``demo`` subcommand to an ``argparse`` subparsers object."""
    demo = subparsers.add_parser(
        "demo",
        help="fit four shrinkage priors to the diabetes data and write a report folder",
        description=(
            "On the diabetes data (442 x 10): compare our lasso / elastic-net / ridge solvers "
            "with scikit-learn; fit Gaussian (ridge), Laplace (lasso), Bayesian lasso (Park & "
            "Casella) and regularized-horseshoe priors; print the MAP-vs-lasso/ridge "
            "cross-check, zero clustering, intervals of retained features and the LOO "
            "comparison; write a report folder (summary.md / summary.html and PNG plots)."
        ),
        formatter_class=DefaultsFormatter,
    )
    demo.add_argument(
        "--out",
        default="./shrinkage-report",
        metavar="DIR",
        help="report folder: new, empty, or one shrinkage wrote (then replaced whole); "
        "checked before anything runs",
    )
    demo.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder shrinkage did not write (files with the report's "
        "names are replaced, other files kept)",
    )
    demo.add_argument(
        "--draws", type=int_at_least(1), default=DEFAULT_DRAWS, help="posterior draws per chain"
    )
    demo.add_argument(
        "--tune", type=int_at_least(1), default=DEFAULT_TUNE, help="tuning steps per chain"
    )
    demo.add_argument(
        "--chains",
        type=int_at_least(1),
        default=DEFAULT_CHAINS,
        help="chains per prior (2 keeps the demo near 3 minutes on 2 cores; "
        "4 gives more robust r_hat)",
    )
    demo.add_argument("--seed", type=seed_type, default=2008, help="random seed")
    demo.add_argument(
        "--sampler",
        choices=("auto", "nutpie", "pymc"),
        default=None,
        help="NUTS implementation: auto = nutpie when installed (fast sampling, "
        "~10 s numba compile per model), pymc = PyMC's own (compile cached on "
        "disk, slower sampling). Default: auto, or pymc with --quick",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help=f"tiny run for tests: {QUICK_CHAINS} chains x {QUICK_DRAWS} draws, "
        "3 path scales, PyMC's sampler (results are not meaningful)",
    )
    demo.add_argument(
        "--no-bayes-path",
        dest="bayes_path",
        action="store_false",
        help="skip the Bayesian Laplace path (one more compiled model)",
    )
    demo.set_defaults(func=run_demo)
    return demo  # fmt: skip
