"""``shrinkage predict FIT_DIR NEW.csv --out predictions.csv``: predictions of a saved fit.

``FIT_DIR`` is the folder ``shrinkage fit`` wrote (or any folder of :func:`shrinkage.saved.save`).
``NEW.csv`` is read and checked like ``fit``'s data (:mod:`shrinkage.cli._csv`: separator
``--sep``, a saved row index dropped with a note, stray text in numeric columns, missing and
infinite values refused with their column and first row); it needs the columns the fit used
(others, such as the target, are ignored). Categorical columns are mapped through the levels
pinned at fit; an unseen level is refused naming the column and the level.

The output CSV has one row per row of ``NEW.csv``, in order, with ``row`` (the data row, from 1)
and

* regression: ``mean`` (posterior predictive mean), ``sd`` (posterior predictive sd, noise
  included) and ``lower``, ``upper`` (equal-tailed posterior predictive interval of probability
  ``--prob``, default ArviZ's ``stats.ci_prob``);
* logistic: ``p_<label>`` (posterior predictive probability of the label coded 1) and
  ``predicted`` (the more probable label).

The file is written beside ``--out`` and renamed into place; an existing file is refused
unless ``--overwrite``. Problems print ``shrinkage predict: error: ...`` and exit 2; Ctrl-C exits
130 without writing.
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from shrinkage.cli._args import DefaultsFormatter
from shrinkage.cli._csv import parse_sep, read_data, refuse_stray_text
from shrinkage.cli._interrupt import Interrupts, abandon
from shrinkage.cli.fit import refuse_missing

__all__ = ["add_predict_parser", "run_predict"]


class PredictInputError(ValueError):
    """A problem with the user's files or options, reported without a traceback."""


def add_predict_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``predict`` subcommand to an ``argparse`` subparsers object; return its parser."""
    p = subparsers.add_parser(
        "predict",
        help="predict new rows from a fit saved by 'shrinkage fit'",
        description=(
            "Posterior predictive mean, sd and interval (probabilities for logistic fits) for "
            "each row of NEW.csv, from the fit that 'shrinkage fit' saved in FIT_DIR."
        ),
        formatter_class=DefaultsFormatter,
    )
    p.add_argument("fit_dir", metavar="FIT_DIR", help="report folder written by 'shrinkage fit'")
    p.add_argument("data", metavar="NEW.csv", help="CSV file with the fit's predictor columns")
    p.add_argument("--out", required=True, metavar="FILE", help="predictions CSV to write")
    p.add_argument("--sep", default=",", help="column separator of NEW.csv")
    p.add_argument(
        "--prob",
        type=float,
        default=None,
        help="probability of the predictive interval (default: ArviZ's stats.ci_prob)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=run_predict)
    return p


def _check_out(text: str, overwrite: bool) -> Path:
    if not text or not text.strip():
        raise PredictInputError("--out is empty; give the predictions file's path")
    out = Path(text).expanduser().resolve()
    if out.is_dir():
        raise PredictInputError(f"--out {out} is a folder; give a file name")
    if out.exists() and not overwrite:
        raise PredictInputError(f"--out {out} exists; pass --overwrite to replace it")
    if not out.parent.is_dir():
        raise PredictInputError(f"--out {out}: folder {out.parent} does not exist")
    return out


def _columns(est: Any) -> list[str]:
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        raise PredictInputError(
            "this fit was made without column names (a numpy array); the command line needs "
            "a fit on named columns"
        )
    return [str(c) for c in names]


def _new_rows(args: argparse.Namespace, est: Any) -> pd.DataFrame:
    data = read_data(args.data, parse_sep(args.sep))
    for note in data.notes:
        print(f"note: {note}", flush=True)
    needed = _columns(est)
    missing = [c for c in needed if c not in data.frame.columns]
    if missing:
        raise PredictInputError(
            f"{args.data} lacks column(s) {missing} that the fit uses; it has "
            f"{list(data.frame.columns)}"
        )
    X = data.frame[needed]
    refuse_stray_text(X, "")
    refuse_missing(X)
    return X


def predictions(est: Any, X: pd.DataFrame, prob: float | None) -> pd.DataFrame:
    """The output table for the rows ``X`` (see the module docstring)."""
    out = pd.DataFrame({"row": range(1, len(X) + 1)})
    if hasattr(est, "classes_"):
        p1 = est.predict_proba(X)[:, 1]
        label = est.classes_[1]
        out[f"p_{label}"] = p1
        out["predicted"] = est.classes_[(p1 >= 0.5).astype(int)]
        return out
    mean, sd, interval = est.predict(
        X, return_std=True, return_interval=True if prob is None else prob
    )
    out["mean"], out["sd"] = mean, sd
    out["lower"], out["upper"] = interval[:, 0], interval[:, 1]
    return out


def _write(table: pd.DataFrame, out: Path, intr: Interrupts) -> None:
    partial = out.with_name(f".{out.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        table.to_csv(partial, index=False)
        with intr.deferred():
            os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _load_fit(text: str) -> Any:
    from shrinkage.saved import SPEC_FILE, load

    folder = Path(text).expanduser()
    if not (folder / SPEC_FILE).is_file():
        raise PredictInputError(
            f"{folder} holds no saved fit ({SPEC_FILE}); give the folder 'shrinkage fit' wrote"
        )
    return load(folder)


def run_predict(args: argparse.Namespace) -> int:
    """Run ``shrinkage predict``; return the exit status (2 for input problems, 130 Ctrl-C)."""
    with Interrupts() as intr:
        try:
            if args.prob is not None and not 0 < args.prob < 1:
                raise PredictInputError(f"--prob must be in (0, 1); got {args.prob}")
            out = _check_out(args.out, args.overwrite)
            est = _load_fit(args.fit_dir)
            X = _new_rows(args, est)
            table = predictions(est, X, args.prob)
            intr.check()
            _write(table, out, intr)
        except BaseException as err:
            return abandon("predict", err, intr, None, (ValueError, TypeError))
    print(f"{len(table)} predictions written to {out}")
    return 0
