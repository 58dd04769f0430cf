"""The out-of-core route of ``shrinkage fit``: a glob of Parquet or CSV files read by Dask.

``shrinkage fit 'data/*.parquet' --target y --out DIR`` (or ``'data/*.csv'``) reads the files
lazily with ``dask.dataframe.read_parquet`` / ``read_csv``; ``--scheduler ADDRESS`` connects to a
running ``distributed`` scheduler (else Dask's local scheduler runs the passes). Nothing is
loaded whole on the client: every statistic is a pass over the partitions.

* Gaussian family: the estimator fits on the Gram statistics (see docs/big-data.md) and writes
  its usual report.
* Bernoulli (logistic) and Poisson families: the posterior cannot be sampled out of core, so
  the command computes the prior's **exact MAP** by proximal Newton, one pass per step
  (:func:`shrinkage.outofcore.glm_map`), and writes ``map.csv`` (coefficients, standardized and
  original scale) and ``report.md`` (data, penalty, Newton steps, passes, KKT certificate). The
  prior must have a convex penalty (gaussian, laplace, elastic_net, group_lasso); the target
  must be coded 0/1 (bernoulli) or as counts (Poisson).

Text columns become categorical groups as in the CSV route (``--max-levels``), their levels
found with one extra pass (``categorize``).
"""

from __future__ import annotations

import argparse
import glob
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FitHooks", "fit_out_of_core", "wants_dask"]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".txt", ".tsv")


def wants_dask(args: argparse.Namespace) -> bool:
    """A glob, a Parquet file or ``--scheduler``: the Dask route."""
    data = str(args.data)
    return glob.has_magic(data) or data.lower().endswith(_PARQUET) or bool(args.scheduler)


def _files(pattern: str, error) -> list[str]:
    files = sorted(glob.glob(str(Path(pattern).expanduser())))
    if not files:
        raise error(f"no file matches {pattern!r}")
    folders = [f for f in files if Path(f).is_dir()]
    if folders:
        raise error(f"{pattern!r} matches folder(s) {folders[:3]}: give files")
    return files


def _read(args: argparse.Namespace, error):
    import dask.dataframe as dd

    from shrinkage.cli._csv import parse_sep

    files = _files(args.data, error)
    kinds = {Path(f).suffix.lower() for f in files}
    if kinds <= set(_PARQUET):
        ddf = dd.read_parquet(files)
    elif kinds <= set(_CSV):
        ddf = dd.read_csv(files, sep=parse_sep(args.sep), blocksize=None)
    else:
        raise error(
            f"{args.data!r} matches files of kinds {sorted(kinds)}: give Parquet (.parquet) or "
            "CSV (.csv) files, one kind"
        )
    sources = files if ddf.npartitions == len(files) else None
    return ddf, files, sources


def _select(args: argparse.Namespace, ddf, error):
    """Predictor frame and target series; text columns with few levels as known categoricals."""
    columns = [str(c) for c in ddf.columns]
    if args.target not in columns:
        raise error(f"--target {args.target!r} is not a column of {args.data}: {columns}")
    unknown = [c for c in args.drop if c not in columns]
    if unknown:
        raise error(f"--drop names unknown column(s) {unknown}")
    predictors = [c for c in columns if c != args.target and c not in args.drop]
    if not predictors:
        raise error("no predictor columns left after removing the target and --drop")
    text = [
        c
        for c in predictors
        if not (pd.api.types.is_numeric_dtype(ddf[c].dtype) or ddf[c].dtype == bool)
    ]
    if text:
        ddf = ddf.astype({c: "category" for c in text}).categorize(columns=text)
        for c in text:
            levels = ddf[c].cat.categories
            if len(levels) > args.max_levels:
                raise error(
                    f"column {c!r} is non-numeric with {len(levels)} distinct values; only text "
                    f"columns with at most {args.max_levels} levels are encoded: --drop it or "
                    "raise --max-levels"
                )
    if not pd.api.types.is_numeric_dtype(ddf[args.target].dtype):
        raise error(
            f"target {args.target!r} is not numeric: out of core code it as numbers "
            "(0/1 for --family bernoulli)"
        )
    return ddf[predictors], ddf[args.target]


def _group_codes(names: list[str], groups: dict[str, list[str]] | None) -> np.ndarray:
    """A group label per feature: named groups, a categorical's dummies together, else alone."""
    origin = [n.split("[", 1)[0] if n.endswith("]") and "[" in n else n for n in names]
    label: dict[str, int] = {}
    for k, members in enumerate((groups or {}).values()):
        for col in members:
            label[col] = k
    codes, fresh = [], len(groups or {})
    for col in origin:
        if col not in label:
            label[col] = fresh
            fresh += 1
        codes.append(label[col])
    return np.asarray(codes, dtype=np.int64)


def _write_map(folder: Path, args, res, files: list[str], family: str, seconds: float) -> None:
    table = pd.DataFrame(
        {"beta": res.coef, "beta_original": res.coef_original}, index=res.feature_names
    )
    table.index.name = "feature"
    table.to_csv(folder / "map.csv")
    s = res.solver
    rows = "\n".join(
        f"| {name} | {b:.6g} | {bo:.6g} |"
        for name, b, bo in zip(res.feature_names, res.coef, res.coef_original, strict=True)
    )
    text = f"""# Exact MAP out of core: {family} family, prior {args.prior}

Data: {len(files)} file(s) matching `{args.data}`, n = {res.stats.n} rows, p = {len(res.coef)}
features (standardized with the data's means and divisor-n sds), target `{args.target}`.

Posterior sampling of the {family} likelihood is not available out of core (every gradient
would be a pass over all rows); this is the prior's exact penalized MAP by proximal Newton.
To sample, fit on a sample of rows that fits in memory.

Solver: {s.n_iter} Newton steps, {s.n_passes} passes over the data, largest KKT violation
{s.certificate:.3e} ({"converged" if s.converged else "NOT converged"}), objective
{s.objective:.10g}, {seconds:.1f} s. Intercept: {res.intercept:.6g} (standardized),
{res.intercept_original:.6g} (original scale).

| feature | beta (standardized) | beta (original scale) |
|---|---|---|
{rows}
"""
    (folder / "report.md").write_text(text, encoding="utf-8")


def _fit_map(args, X, y, family, prior, groups, sources, files, output, error) -> str:
    from shrinkage.outofcore.glm import glm_map
    from shrinkage.outofcore.stats import feature_names

    probe = {"groups": np.zeros(1, dtype=np.int64)} if prior.penalty_name == "GroupLasso" else {}
    if prior.penalty_name is None or prior.penalty_alpha(1.0, 1, loss_scale=1.0, **probe) is None:
        raise error(
            f"--prior {args.prior}: the {family.name} family out of core fits the exact MAP, "
            "which needs a prior with a convex penalty and fixed scales (gaussian, laplace, "
            "elastic_net, group_lasso; bayesian_lasso with lam given); the posterior cannot be "
            "sampled out of core"
        )
    start = time.perf_counter()
    codes = _group_codes(feature_names(X), groups) if prior.penalty_name == "GroupLasso" else None
    print(f"fitting the exact MAP ({family.name}, {prior!r})", flush=True)
    # no statistics passed: glm_map computes them from its cache of the parsed files (one read)
    res = glm_map(X, y, family.name, prior, sources=sources, groups=codes, progress=True)
    _write_map(output.staging, args, res, files, family.name, time.perf_counter() - start)
    return (output.staging / "report.md").read_text(encoding="utf-8")


def _connect(address: str | None, error):
    if not address:
        return None
    from distributed import Client

    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as err:
        raise error(f"--scheduler {address}: cannot connect ({err})") from err


@dataclass(frozen=True)
class FitHooks:
    """What the Dask route takes from :mod:`shrinkage.cli.fit` (passed in: no import cycle).

    ``estimator(args, groups)`` builds the estimator; ``error`` is the exception class for
    input problems; ``parse_groups`` and ``parse_prior_args`` parse those options."""

    estimator: Callable[..., Any]
    error: type[Exception]
    parse_groups: Callable[..., Any]
    parse_prior_args: Callable[..., Any]


def fit_out_of_core(args: argparse.Namespace, output, intr, hooks: FitHooks) -> Path:
    """Read the files with Dask, fit, write the report into the staging folder, commit it."""
    from shrinkage.families import get_family
    from shrinkage.priors.registry import make_prior

    error = hooks.error
    client = _connect(args.scheduler, error)
    try:
        ddf, files, sources = _read(args, error)
        X, y = _select(args, ddf, error)
        groups = hooks.parse_groups(args.groups, [str(c) for c in X.columns])
        family = get_family(args.family)
        print(f"reading {len(files)} file(s) in {ddf.npartitions} partition(s)", flush=True)
        if family.name in ("bernoulli", "poisson"):
            prior = make_prior(args.prior, **hooks.parse_prior_args(args.prior_arg))
            text = _fit_map(args, X, y, family, prior, groups, sources, files, output, error)
        else:
            est = hooks.estimator(args, groups)
            est.fit(X, y)
            intr.check()
            report = est.report()
            report.save(output.staging)
            text = str(report)
        intr.check()
        with intr.deferred():
            folder = output.commit()
    finally:
        if client is not None:
            client.close()
    print(text)
    return folder
