"""``shrinkage fit``: run_fit on temporary CSV files (tiny chains), errors without tracebacks."""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
import pytest

from shrinkage.cli.fit import add_fit_parser, encode_frame, parse_groups, parse_prior_args, run_fit


@pytest.fixture(autouse=True, scope="module")
def _fast_compile():
    import pytensor

    logging.getLogger("pymc").setLevel(logging.ERROR)
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="shrinkage")
    add_fit_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["fit", *argv])


@pytest.fixture
def csv(tmp_path, rng):
    n = 80
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "smoker": rng.choice(["yes", "no"], size=n),
            "id": [f"p{i}" for i in range(n)],
        }
    )
    frame["y"] = 2 * frame["x1"] + (frame["smoker"] == "yes") + rng.normal(size=n)
    frame["label"] = np.where(frame["y"] > frame["y"].median(), "high", "low")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


TINY = ["--draws", "30", "--tune", "30", "--chains", "1", "--sampler", "pymc", "--seed", "1"]


@pytest.mark.slow
def test_fit_writes_report(csv, tmp_path, capsys):
    out = tmp_path / "report"
    args = parse(
        str(csv), "--target", "y", "--drop", "id", "--drop", "label", "--out", str(out), *TINY
    )
    assert args.func is run_fit
    assert run_fit(args) == 0
    printed = capsys.readouterr().out
    assert printed.strip().splitlines()[-1] == f"report written to {out.resolve()}"
    assert (out / "report.md").is_file() and list(out.glob("*.png"))
    table = pd.read_csv(out / "table.csv", index_col=0)
    # the text column became a categorical (drop-first dummy); the exact MAP sits beside it
    assert list(table.index) == ["x1", "x2", "smoker[yes]"]
    assert "map_original" in table.columns


@pytest.mark.slow
def test_fit_logistic_with_text_labels(csv, tmp_path):
    out = tmp_path / "logit"
    args = parse(
        str(csv),
        "--target",
        "label",
        "--family",
        "logistic",
        "--drop",
        "id",
        "--drop",
        "y",
        "--prior",
        "laplace",
        "--prior-arg",
        "scale=0.5",
        "--out",
        str(out),
        *TINY,
    )
    assert run_fit(args) == 0
    assert (out / "report.md").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.csv", "--target", "y"], "data file not found"),
        (["{csv}", "--target", "nope"], "--target 'nope' is not a column"),
        (["{csv}", "--target", "y"], "column 'id' is non-numeric with 80 distinct values"),
        (["{csv}", "--target", "label", "--drop", "id"], "target 'label' is non-numeric"),
        (["{csv}", "--target", "y", "--drop", "zz"], "--drop names unknown column"),
        (["{csv}", "--target", "y", "--drop", "id", "--prior", "spike"], "unknown prior"),
        (
            ["{csv}", "--target", "y", "--drop", "id", "--prior-arg", "sigma=2"],
            "--prior bayesian_lasso",
        ),
        (
            ["{csv}", "--target", "y", "--drop", "id", "--groups", "g=x1,zz"],
            "unknown predictor column",
        ),
    ],
)
def test_fit_errors(csv, tmp_path, capsys, argv, message):
    argv = [a.replace("{csv}", str(csv)) for a in argv]
    assert run_fit(parse(*argv, "--out", str(tmp_path / "o"), *TINY)) == 2
    err = capsys.readouterr().err
    assert err.startswith("shrinkage fit: error:") and message in err
    assert not (tmp_path / "o").exists()


def test_helpers():
    assert parse_prior_args(["scale=0.5", "lam=2", "x=none"]) == {
        "scale": 0.5,
        "lam": 2,
        "x": None,
    }
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_prior_args(["scale"])
    assert parse_groups(["g=a, b"], ["a", "b", "c"]) == {"g": ["a", "b"]}
    assert parse_groups([], ["a"]) is None
    frame = encode_frame(pd.DataFrame({"a": [1.0, 2.0], "s": ["u", "v"]}))
    assert isinstance(frame["s"].dtype, pd.CategoricalDtype)
    with pytest.raises(ValueError, match="missing values"):
        encode_frame(pd.DataFrame({"a": [1.0, np.nan]}))
