"""``shrinkage fit 'data/*.parquet'``: the out-of-core route on small files in tmp_path.

The logistic / Poisson route writes the exact MAP; it is compared with the in-memory solver on
the concatenated rows. Tolerance: both certify KKT <= 1e-8 (glm_map's default) on standardized,
well-conditioned problems, so coefficients agree far within 1e-6.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

from shrinkage.cli.fit import add_fit_parser, run_fit
from shrinkage.solvers import L1, GroupLasso, Logistic, Poisson, solve

ATOL = 1e-6  # see the module docstring


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="shrinkage")
    add_fit_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["fit", *argv])


@pytest.fixture
def files(tmp_path):
    """Three Parquet and three CSV files of 300 rows: numeric a..c, text g, y01 and counts."""
    rng = np.random.default_rng(18)
    frames = []
    for k in range(3):
        X = rng.standard_normal((300, 3)) * [1, 2, 0.5] + [0, 1, 3]
        df = pd.DataFrame(X, columns=list("abc"))
        df["g"] = rng.choice(["u", "v", "w"], 300)
        eta = X[:, 0] - 0.5 * X[:, 1] + (df["g"] == "v")
        df["y01"] = (rng.random(300) < 1 / (1 + np.exp(-eta))).astype(int)
        df["count"] = rng.poisson(np.exp(0.3 * eta))
        df.to_parquet(tmp_path / f"part{k}.parquet")
        df.to_csv(tmp_path / f"part{k}.csv", index=False)
        frames.append(df)
    return tmp_path, pd.concat(frames, ignore_index=True)


def _design(frame: pd.DataFrame) -> np.ndarray:
    Z = np.column_stack([frame[list("abc")], frame["g"] == "v", frame["g"] == "w"]).astype(float)
    return (Z - Z.mean(0)) / Z.std(0)


def test_parquet_glob_logistic_map_on_the_cluster(files, dask_client, capsys):
    folder, frame = files
    out = folder / "out"
    args = parse(str(folder / "*.parquet"), "--target", "y01", "--drop", "count", "--family",
                 "bernoulli", "--prior", "laplace", "--prior-arg", "scale=0.05", "--out",
                 str(out), "--scheduler", dask_client.scheduler.address)  # fmt: skip
    assert run_fit(args) == 0
    table = pd.read_csv(out / "map.csv", index_col="feature")
    assert list(table.index) == ["a", "b", "c", "g[v]", "g[w]"]
    n = len(frame)
    ref = solve(_design(frame), frame["y01"], Logistic(), L1(1 / (n * 0.05)), tol=1e-10)
    np.testing.assert_allclose(table["beta"], ref.coef, rtol=0, atol=ATOL)
    assert "passes over the data" in (out / "report.md").read_text()
    assert "report written to" in capsys.readouterr().out


def test_csv_glob_poisson_group_lasso_local_scheduler(files):
    folder, frame = files
    out = folder / "out"
    args = parse(str(folder / "*.csv"), "--target", "count", "--drop", "y01", "--family",
                 "poisson", "--prior", "group_lasso", "--prior-arg", "scale=0.05", "--groups",
                 "ab=a,b", "--out", str(out))  # fmt: skip
    assert run_fit(args) == 0
    table = pd.read_csv(out / "map.csv", index_col="feature")
    n = len(frame)
    # GroupLasso prior with scale b -> alpha = 1 / (n b), weights sqrt(group size)
    pen = GroupLasso(1 / (n * 0.05), [0, 0, 1, 2, 2])
    ref = solve(_design(frame), frame["count"], Poisson(), pen, tol=1e-10)
    np.testing.assert_allclose(table["beta"], ref.coef, rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    ("pattern", "extra", "message"),
    [
        ("nothing*.parquet", [], "no file matches"),
        ("part*", [], "one kind"),
        ("*.parquet", ["--prior", "horseshoe"], "convex penalty"),
        ("*.parquet", ["--target", "nope"], "is not a column"),
        ("*.parquet", ["--max-levels", "2"], "'g' is non-numeric with 3 distinct values"),
        ("*.parquet", ["--formula", "y01 ~ a + b"], "--formula works on one CSV file"),
    ],
)
def test_errors(files, capsys, pattern, extra, message):
    folder, _ = files
    argv = [str(folder / pattern), "--target", "y01", "--drop", "count", "--family", "bernoulli",
            "--out", str(folder / "out"), *extra]  # fmt: skip
    if "--target" in extra or "--formula" in extra:
        argv[1:3] = []
    assert run_fit(parse(*argv)) == 2
    err = capsys.readouterr().err
    assert err.startswith("shrinkage fit: error:") and message in err
    assert not (folder / "out").exists()


def test_bad_value_names_the_file(files, capsys):
    folder, frame = files
    bad = frame.iloc[:300].copy()
    bad.loc[7, "a"] = np.nan
    bad.to_parquet(folder / "part1.parquet")
    args = parse(str(folder / "*.parquet"), "--target", "y01", "--drop", "count", "--family",
                 "bernoulli", "--prior", "laplace", "--out", str(folder / "out"))  # fmt: skip
    assert run_fit(args) == 2
    err = capsys.readouterr().err
    assert "part1.parquet" in err and "NaN in column 'a'" in err


@pytest.mark.slow  # PyMC compile and a tiny chain: ~70 s on the loaded 2-core machine
def test_parquet_glob_gaussian_writes_the_report(files, capsys):
    # the Gaussian family fits the estimator on the Gram statistics (tiny chain: structure only)
    folder, _ = files
    out = folder / "out"
    args = parse(str(folder / "*.parquet"), "--target", "a", "--drop", "y01", "--drop", "count",
                 "--prior", "laplace", "--out", str(out), "--draws", "30", "--tune", "30",
                 "--chains", "1", "--sampler", "pymc", "--seed", "1")  # fmt: skip
    assert run_fit(args) == 0
    assert (out / "report.md").exists() and (out / "table.csv").exists()
    assert "not available out of core" in capsys.readouterr().out
