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

Reading (:mod:`shrinkage.cli._csv`, separator ``--sep``): problems with the file are named
(missing, a folder, empty, header only, one data row, duplicate or empty header cells, not
text); a saved row index (empty header, values ``0..n-1`` or ``1..n``) is dropped with a note;
a column that looks numeric but holds a few non-numbers is refused with up to five of them;
missing and infinite values are refused with their column, count and first row.

``--formula "y ~ x1 + C(g) + x2:x3"`` fits a model formula (:mod:`shrinkage.formula`) instead:
only the columns it reads are used (and checked), its left-hand side is the target (or
``--target`` with a formula ``"~ ..."``), each multi-column term is one group (``--groups``
then names terms).

The fit itself is saved in the report folder (:func:`shrinkage.saved.save`: ``model.json``,
``posterior.nc``, ``design.nc``), which ``shrinkage predict`` reads.

The report folder (:mod:`shrinkage.cli._output`) is checked before anything is read, written
to a staging folder beside it and renamed into place at the end; a non-empty folder that
shrinkage did not write is refused unless ``--overwrite``. Ctrl-C at any stage exits with
code 130 and one line on stderr, and no report (:mod:`shrinkage.cli._interrupt`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shrinkage.cli._args import DefaultsFormatter, int_at_least
from shrinkage.cli._args import seed as seed_type
from shrinkage.cli._csv import parse_sep, read_data, refuse_stray_text
from shrinkage.cli._dask_fit import wants_dask
from shrinkage.cli._interrupt import Interrupts, abandon
from shrinkage.cli._output import OutputFolder

__all__ = [
    "add_fit_parser",
    "encode_frame",
    "parse_groups",
    "parse_prior_args",
    "refuse_missing",
    "run_fit",
]

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
            "plots) to --out. Ctrl-C stops the run (exit code 130) without writing a report."
        ),
        formatter_class=DefaultsFormatter,
    )
    p.add_argument(
        "data",
        help="CSV file with a header row; or a quoted glob of Parquet or CSV files "
        "('data/*.parquet'), read out of core with Dask (docs/big-data.md)",
    )
    p.add_argument(
        "--target", default=None, help="name of the response column (required without --formula)"
    )
    p.add_argument(
        "--formula",
        default=None,
        metavar="'Y ~ TERMS'",
        help="model formula, e.g. 'y ~ x1 + C(g) + x2:x3' (formulaic syntax); only the "
        "columns it reads are used",
    )
    p.add_argument(
        "--sep",
        default=",",
        help="column separator of the CSV ('\\t' or 'tab' for tabs; longer strings are "
        "regular expressions)",
    )
    p.add_argument(
        "--prior",
        default="bayesian_lasso",
        help="prior name: gaussian, laplace, bayesian_lasso, elastic_net, horseshoe, "
        "regularized_horseshoe, horseshoe_plus, r2d2, group_lasso, group_horseshoe",
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
        help="gaussian, student_t, laplace, poisson or bernoulli/logistic",
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
        type=int_at_least(1),
        default=DEFAULT_MAX_LEVELS,
        help="most levels a text column may have to be encoded",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="report folder: new, empty, or one shrinkage wrote (then replaced whole); "
        "checked before fitting",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder shrinkage did not write (files with the report's "
        "names are replaced, other files kept)",
    )
    p.add_argument("--draws", type=int_at_least(1), default=1000, help="posterior draws per chain")
    p.add_argument("--tune", type=int_at_least(0), default=1000, help="tuning steps per chain")
    p.add_argument("--chains", type=int_at_least(1), default=4, help="number of chains")
    p.add_argument(
        "--sampler",
        default="auto",
        choices=["auto", "nutpie", "pymc"],
        help="NUTS implementation (auto: nutpie when installed)",
    )
    p.add_argument(
        "--seed", type=seed_type, default=None, help="random seed of the sampler (default: none)"
    )
    p.add_argument("--progress", action="store_true", help="show the sampler's progress bar")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running Dask distributed scheduler (tcp://host:8786); implies the "
        "out-of-core route (default: Dask's local scheduler for a glob)",
    )
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


def parse_groups(items: list[str], columns: list[str] | None) -> dict[str, list[str]] | None:
    """``["clin=age,bmi"]`` -> ``{"clin": ["age", "bmi"]}``, checking the column names.

    ``columns=None`` (formula terms) leaves the names to the formula's own check.
    """
    if not items:
        return None
    groups: dict[str, list[str]] = {}
    for item in items:
        name, sep, cols = item.partition("=")
        members = [c.strip() for c in cols.split(",") if c.strip()]
        if not sep or not name.strip() or not members:
            raise FitInputError(f"--groups must look like NAME=COL1,COL2; got {item!r}")
        unknown = [] if columns is None else [c for c in members if c not in columns]
        if unknown:
            raise FitInputError(f"--groups {name}: unknown predictor column(s) {unknown}")
        groups[name.strip()] = members
    return groups


def _rows(mask: pd.Series) -> str:
    """``"3 rows, first data row 5"`` for a boolean mask (data rows count from 1)."""
    first = int(np.flatnonzero(mask.to_numpy())[0]) + 1
    count = int(mask.sum())
    return f"{count} row{'s' if count > 1 else ''}, first data row {first}"


def refuse_missing(X: pd.DataFrame) -> None:
    """Refuse missing and infinite values, naming the column, the count and the first row."""
    missing = {c: X[c].isna() for c in X.columns if X[c].isna().any()}
    if missing:
        where = "; ".join(f"{c!r} ({_rows(m)})" for c, m in missing.items())
        raise FitInputError(
            f"missing values in {where}; fill or --drop them (rows are never dropped silently)"
        )
    numeric = [c for c in X.columns if pd.api.types.is_float_dtype(X[c])]
    infinite = {c: np.isinf(X[c]) for c in numeric if np.isinf(X[c]).any()}
    if infinite:
        where = "; ".join(f"{c!r} ({_rows(m)})" for c, m in infinite.items())
        raise FitInputError(f"infinite values in {where}; fix or --drop them")


def encode_frame(X: pd.DataFrame, max_levels: int = DEFAULT_MAX_LEVELS) -> pd.DataFrame:
    """Numeric columns as they are; text columns with few levels as categoricals; else refuse.

    Missing and infinite values are refused with the column, the count and the first row.
    """
    refuse_missing(X)
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


def _target(args: argparse.Namespace) -> str:
    """The response: ``--target`` or the formula's left-hand side (exactly one of them)."""
    response = None
    if args.formula is not None:
        from shrinkage.formula import parse_formula

        response = parse_formula(args.formula)[0]
    if response is not None and args.target is not None:
        raise FitInputError(
            f"the formula names the target {response!r}; drop --target, or write the formula "
            "as '~ x1 + ...'"
        )
    if response is None and args.target is None:
        raise FitInputError("give --target COL, or a formula 'y ~ ...' naming the target")
    return response if response is not None else args.target


def _refuse_formula_out_of_core(args: argparse.Namespace) -> None:
    """The Dask route reads columns by name: it needs ``--target`` and takes no formula."""
    if args.formula is not None:
        raise FitInputError(
            "--formula works on one CSV file in memory; out of core (a glob, Parquet or "
            "--scheduler) give --target COL and encode terms as columns"
        )
    if args.target is None:
        raise FitInputError("out of core (a glob, Parquet or --scheduler) give --target COL")


def _formula_names_target(args: argparse.Namespace) -> bool:
    from shrinkage.formula import parse_formula

    return parse_formula(args.formula)[0] is not None


def _formula_columns(args: argparse.Namespace, X: pd.DataFrame) -> pd.DataFrame:
    """With ``--formula``: only the columns it reads (others are not checked)."""
    if args.formula is None:
        return X
    from shrinkage.formula import formula_variables, parse_formula

    return X[formula_variables(parse_formula(args.formula)[1], list(X.columns))]


def _load(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.Series]:
    data = read_data(args.data, parse_sep(args.sep))
    frame = data.frame
    for note in data.notes:
        print(f"note: {note}", flush=True)
    columns = list(frame.columns)
    args.target = _target(args)
    if args.target not in columns:
        hint = ""
        if len(columns) == 1:
            hint = f"; the file has one column: is its separator not {args.sep!r}? (--sep)"
        spaced = [c for c in columns if c.strip() == args.target.strip()]
        if spaced:
            hint = (
                f"; the header has {spaced[0]!r} (spaces after the separators? try "
                "--sep '\\s*,\\s*')"
            )
        raise FitInputError(
            f"--target {args.target!r} is not a column of {args.data}: {columns}{hint}"
        )
    unknown = [c for c in args.drop if c not in columns]
    if unknown:
        raise FitInputError(f"--drop names unknown column(s) {unknown}")
    if args.target in args.drop:
        raise FitInputError(f"--drop names the target {args.target!r}")
    unnamed = [c for c in data.unnamed if c not in args.drop and c != args.target]
    if unnamed:
        raise FitInputError(
            f"column(s) {unnamed} have an empty header cell; name them in the file or "
            f"--drop them (pandas' names above)"
        )
    frame = frame.drop(columns=args.drop)
    y = frame[args.target]
    X = _formula_columns(args, frame.drop(columns=[args.target]))
    refuse_stray_text(pd.concat([X, y], axis=1), args.target)
    if X.shape[1] == 0:
        raise FitInputError("no predictor columns left after removing the target and --drop")
    if y.isna().any():
        raise FitInputError(
            f"target column {args.target!r} has missing values ({_rows(y.isna())})"
        )
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
        formula=args.formula,
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


def _fit_and_save(args: argparse.Namespace, output: OutputFolder, intr: Interrupts) -> Path:
    """Read, fit, write the report into the staging folder and move it into place."""
    X, y = _load(args)
    groups = parse_groups(args.groups, None if args.formula else list(X.columns))
    est = _estimator(args, groups)
    if est._family().name != "bernoulli" and not pd.api.types.is_numeric_dtype(y):
        raise FitInputError(
            f"target {args.target!r} is non-numeric; use --family bernoulli for two labels"
        )
    print(
        f"fitting {type(est).__name__} with prior {est._prior()!r} on {X.shape[0]} rows",
        flush=True,
    )
    if args.formula is not None and _formula_names_target(args):
        est.fit(X.assign(**{args.target: y}))  # the formula reads its response from the data
    else:
        est.fit(X, y)
    intr.check()  # the samplers return partial draws after a Ctrl-C: never report those
    cross = None
    if est.map_coef_ is not None:  # the exact MAP next to the posterior, original scale
        cross = pd.DataFrame({"map_original": est.map_coef_})
    report = est.report(cross_check=cross)
    from shrinkage.saved import save

    save(output.staging, est)  # the fit, read by ``shrinkage predict``
    report.save(output.staging)
    intr.check()
    with intr.deferred():
        folder = output.commit()
    print(report)
    if folder != output.target:
        print(
            f"note: another run wrote its report to {output.target} while this one ran; "
            f"this report is in {folder}"
        )
    return folder


def run_fit(args: argparse.Namespace) -> int:
    """Run ``shrinkage fit``; print the report folder's path. Returns the exit status.

    Input problems (missing file, unknown column, a column that cannot be encoded, invalid
    data, an unusable ``--out``) print ``shrinkage fit: error: ...`` to stderr and return 2,
    the ``--out`` checks before any fitting. Ctrl-C at any stage prints one line and returns
    130; the staging folder is removed, so no report is written from a partial run.
    """
    with Interrupts() as intr:
        output = None
        try:
            output = OutputFolder.prepare(args.out, args.overwrite)
            if wants_dask(args):
                from shrinkage.cli._dask_fit import FitHooks, fit_out_of_core

                _refuse_formula_out_of_core(args)
                hooks = FitHooks(_estimator, FitInputError, parse_groups, parse_prior_args)
                folder = fit_out_of_core(args, output, intr, hooks)
            else:
                folder = _fit_and_save(args, output, intr)
                print(f"fit saved with the report: shrinkage predict {folder} NEW.csv --out FILE")
        except BaseException as err:
            return abandon("fit", err, intr, output, (ValueError, TypeError))
    print(f"report written to {folder}")
    return 0
