"""``shrinkage fit DATA.csv --target COL --out DIR``: the diagnostics report for a user's CSV.

:func:`add_fit_parser` adds the subcommand to ``shrinkage.cli``'s parser; :func:`run_fit` runs
it: read the CSV, encode the predictors, fit :class:`shrinkage.estimators.BayesianRegression`
(or ``BayesianLogisticRegression``), and save its report (with the exact MAP beside the
posterior when the prior has one) to ``--out``.

Encoding of the CSV's columns (everything but ``--target`` and ``--drop`` is a predictor):

* numeric and boolean columns are used as they are;
* a text column with at most ``--max-levels`` distinct values (default 10) becomes a pandas
  categorical, expanded by :class:`shrinkage.design.Design` into drop-first dummy columns
  ``col[level]`` that form **one group** (so group priors act on the whole factor);
* a text column with more levels (an identifier, free text) is refused with a message naming
  it and suggesting ``--drop``; so are missing values (rows are never dropped silently).

For ``--family bernoulli`` (alias ``logistic``) the target may hold any two labels (text or
numbers); otherwise it must be numeric.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["add_fit_parser", "encode_frame", "parse_groups", "parse_prior_args", "run_fit"]

DEFAULT_MAX_LEVELS = 10


class FitInputError(ValueError):
    """A problem with the user's file or options, reported without a traceback."""


def add_fit_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``fit`` subcommand to an ``argparse`` subparsers object; return its parser."""
    p = subparsers.add_parser(
        "fit",
        help="fit a shrinkage regression to a CSV file and write the report folder",
        description=(
            "Fit a Bayesian regression with a shrinkage prior to DATA.csv (every column but the "
            "target and --drop columns is a predictor; text columns with few levels become "
            "categorical groups) and write the diagnostics report (Markdown, HTML, CSV, PNG "
            "plots) to --out."
        ),
    )
    p.add_argument("data", help="CSV file with a header row")
    p.add_argument("--target", required=True, help="name of the response column")
    p.add_argument(
        "--prior",
        default="bayesian_lasso",
        help="prior name: gaussian, laplace, bayesian_lasso, elastic_net, horseshoe, "
        "regularized_horseshoe, horseshoe_plus, r2d2, group_lasso, group_horseshoe "
        "(default: bayesian_lasso)",
    )
    p.add_argument(
        "--prior-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="prior hyperparameter, e.g. --prior-arg scale=0.5 (repeatable)",
    )
    p.add_argument(
        "--family",
        default="gaussian",
        help="gaussian, student_t, laplace, poisson or bernoulli/logistic (default: gaussian)",
    )
    p.add_argument(
        "--groups",
        action="append",
        default=[],
        metavar="NAME=COL1,COL2",
        help="a group of predictor columns (repeatable); other columns are their own group",
    )
    p.add_argument("--drop", action="append", default=[], metavar="COL", help="ignore a column")
    p.add_argument(
        "--max-levels",
        type=int,
        default=DEFAULT_MAX_LEVELS,
        help=f"most levels a text column may have to be encoded (default {DEFAULT_MAX_LEVELS})",
    )
    p.add_argument("--out", required=True, help="folder for the report (created if needed)")
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--sampler", default="auto", choices=["auto", "nutpie", "pymc"])
    p.add_argument("--seed", type=int, default=None, help="random seed of the sampler")
    p.add_argument("--progress", action="store_true", help="show the sampler's progress bar")
    p.set_defaults(func=run_fit)
    return p


def _number(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"none": None, "true": True, "false": False}.get(text.lower(), text)


def parse_prior_args(items: list[str]) -> dict[str, Any]:
    """``["scale=0.5", "lam=2"]`` -> ``{"scale": 0.5, "lam": 2}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise FitInputError(f"--prior-arg must look like KEY=VALUE; got {item!r}")
        out[key.strip()] = _number(value.strip())
    return out


def parse_groups(items: list[str], columns: list[str]) -> dict[str, list[str]] | None:
    """``["clin=age,bmi"]`` -> ``{"clin": ["age", "bmi"]}``, checking the column names."""
    if not items:
        return None
    groups: dict[str, list[str]] = {}
    for item in items:
        name, sep, cols = item.partition("=")
        members = [c.strip() for c in cols.split(",") if c.strip()]
        if not sep or not name.strip() or not members:
            raise FitInputError(f"--groups must look like NAME=COL1,COL2; got {item!r}")
        unknown = [c for c in members if c not in columns]
        if unknown:
            raise FitInputError(f"--groups {name}: unknown predictor column(s) {unknown}")
        groups[name.strip()] = members
    return groups


def encode_frame(X: pd.DataFrame, max_levels: int = DEFAULT_MAX_LEVELS) -> pd.DataFrame:
    """Numeric columns as they are; text columns with few levels as categoricals; else refuse."""
    missing = [c for c in X.columns if X[c].isna().any()]
    if missing:
        raise FitInputError(
            f"column(s) {missing} have missing values; fill or --drop them (rows are never "
            "dropped silently)"
        )
    out = X.copy()
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        levels = s.astype(str).unique()
        if len(levels) > max_levels:
            raise FitInputError(
                f"column {col!r} is non-numeric with {len(levels)} distinct values (e.g. "
                f"{list(levels[:3])}); only text columns with at most {max_levels} levels are "
                "encoded as categorical groups: --drop it or raise --max-levels"
            )
        out[col] = pd.Categorical(s.astype(str), categories=sorted(levels))
    return out


def _load(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.Series]:
    path = Path(args.data)
    if not path.is_file():
        raise FitInputError(f"data file not found: {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise FitInputError(f"could not read {path} as CSV: {err}") from err
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if args.target not in columns:
        raise FitInputError(f"--target {args.target!r} is not a column of {path}: {columns}")
    unknown = [c for c in args.drop if c not in columns]
    if unknown:
        raise FitInputError(f"--drop names unknown column(s) {unknown}")
    y = frame[args.target]
    X = frame.drop(columns=[args.target, *args.drop])
    if X.shape[1] == 0:
        raise FitInputError("no predictor columns left after removing the target and --drop")
    if y.isna().any():
        raise FitInputError(f"target column {args.target!r} has missing values")
    return encode_frame(X, args.max_levels), y


def _estimator(args: argparse.Namespace, groups: Any):
    from shrinkage.estimators import BayesianLogisticRegression, BayesianRegression
    from shrinkage.families import get_family
    from shrinkage.priors.registry import make_prior

    try:
        prior = make_prior(args.prior, **parse_prior_args(args.prior_arg))
        family = get_family(args.family)
    except TypeError as err:  # unknown hyperparameter name
        raise FitInputError(f"--prior {args.prior}: {err}") from err
    common = dict(
        prior=prior,
        groups=groups,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        sampler=args.sampler,
        random_state=args.seed,
        progressbar=args.progress,
    )
    if family.name == "bernoulli":
        return BayesianLogisticRegression(**common)
    return BayesianRegression(family=family, **common)


def _fit_and_save(args: argparse.Namespace) -> Path:
    X, y = _load(args)
    groups = parse_groups(args.groups, list(X.columns))
    est = _estimator(args, groups)
    if est._family().name != "bernoulli" and not pd.api.types.is_numeric_dtype(y):
        raise FitInputError(
            f"target {args.target!r} is non-numeric; use --family bernoulli for two labels"
        )
    print(f"fitting {type(est).__name__} with prior {est._prior()!r} on {X.shape[0]} rows")
    est.fit(X, y)
    cross = None
    if est.map_coef_ is not None:  # the exact MAP next to the posterior, original scale
        cross = pd.DataFrame({"map_original": est.map_coef_})
    report = est.report(cross_check=cross)
    out = Path(args.out)
    report.save(out)
    print(report)
    return out.resolve()


def run_fit(args: argparse.Namespace) -> int:
    """Run ``shrinkage fit``; print the report folder's path. Returns the exit status.

    Input problems (missing file, unknown column, a column that cannot be encoded, invalid
    data) print ``shrinkage fit: error: ...`` to stderr and return 2.
    """
    try:
        folder = _fit_and_save(args)
    except (FitInputError, ValueError, TypeError) as err:
        print(f"shrinkage fit: error: {err}", file=sys.stderr)
        return 2
    print(f"report written to {folder}")
    return 0
