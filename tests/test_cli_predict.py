"""``shrinkage predict`` and ``shrinkage fit --formula``: round trips and errors without tracebacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shrinkage.cli import build_parser, main
from shrinkage.cli.predict import run_predict
from shrinkage.estimators import BayesianRegression
from shrinkage.saved import load, save

TINY = ["--draws", "30", "--tune", "30", "--chains", "1", "--sampler", "pymc", "--seed", "1"]


pytestmark = pytest.mark.usefixtures("fast_compile_module")


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "region": rng.choice(["north", "south", "east"], size=n),
            "id": [f"p{i}" for i in range(n)],
        }
    )
    frame["y"] = 2 * frame["x1"] + (frame["region"] == "south") + rng.normal(size=n)
    frame["label"] = np.where(frame["y"] > frame["y"].median(), "high", "low")
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    _frame(80, 0).to_csv(folder / "data.csv", index=False)
    _frame(12, 1).drop(columns=["y", "label"]).to_csv(folder / "new.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def saved(files):
    """A fit on the text column ``region`` (matrix path), saved as ``shrinkage fit`` saves it."""
    data = pd.read_csv(files / "data.csv")
    est = BayesianRegression(prior="laplace", draws=30, tune=30, chains=1, sampler="pymc")
    est.set_params(random_state=1).fit(data[["x1", "x2", "region"]], data["y"])
    return est, save(files / "fit", est)


def run(*argv: str) -> int:
    args = build_parser().parse_args(["predict", *argv])
    assert args.func is run_predict
    return args.func(args)


def test_predict_writes_table(saved, files, tmp_path, capsys):
    est, folder = saved
    out = tmp_path / "pred.csv"
    assert run(str(folder), str(files / "new.csv"), "--out", str(out), "--prob", "0.8") == 0
    assert capsys.readouterr().out.strip().endswith(f"12 predictions written to {out}")
    table = pd.read_csv(out)
    assert list(table.columns) == ["row", "mean", "sd", "lower", "upper"]
    new = pd.read_csv(files / "new.csv")[["x1", "x2", "region"]]
    mean, sd, interval = est.predict(new, return_std=True, return_interval=0.8)
    np.testing.assert_array_equal(table["row"], np.arange(1, 13))
    # CSV text holds the shortest repr of each float64: read back exactly
    np.testing.assert_array_equal(table["mean"], mean)
    np.testing.assert_array_equal(table["sd"], sd)
    np.testing.assert_array_equal(table[["lower", "upper"]].to_numpy(), interval)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nofit", "holds no saved fit"),
        ("nocol", "lacks column(s) ['region']"),
        ("unseen", "column 'region' has level(s) ['west'] not seen in fit"),
        ("missing", "missing values in 'x2'"),
        ("exists", "exists; pass --overwrite"),
        ("prob", "--prob must be in (0, 1)"),
    ],
)
def test_predict_errors(saved, files, tmp_path, capsys, change, message):
    _est, folder = saved
    new = pd.read_csv(files / "new.csv")
    out = tmp_path / "pred.csv"
    extra: list[str] = []
    if change == "nofit":
        folder = tmp_path
    elif change == "nocol":
        new = new.drop(columns="region")
    elif change == "unseen":
        new.loc[3, "region"] = "west"
    elif change == "missing":
        new.loc[2, "x2"] = np.nan
    elif change == "exists":
        out.write_text("keep me")
    else:
        extra = ["--prob", "1.5"]
    new.to_csv(tmp_path / "new.csv", index=False)
    assert run(str(folder), str(tmp_path / "new.csv"), "--out", str(out), *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("shrinkage predict: error:") and message in err
    assert not out.exists() or out.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_help_lists_predict(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "predict" in capsys.readouterr().out


def test_fit_formula_and_target_conflict(files, tmp_path, capsys):
    argv = ["fit", str(files / "data.csv"), "--formula", "y ~ x1", "--target", "y"]
    assert main([*argv, "--out", str(tmp_path / "o"), *TINY]) == 2
    assert "the formula names the target 'y'" in capsys.readouterr().err
    assert main(["fit", str(files / "data.csv"), "--out", str(tmp_path / "o"), *TINY]) == 2
    assert "give --target COL, or a formula" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_cli_round_trip_formula(files, tmp_path, capsys):
    out = tmp_path / "report"
    formula = "y ~ x1 + C(region) + x1:x2"
    argv = ["fit", str(files / "data.csv"), "--formula", formula, "--prior", "group_lasso"]
    assert main([*argv, "--out", str(out), *TINY]) == 0
    capsys.readouterr()
    table = pd.read_csv(out / "table.csv", index_col=0)
    # readable term names, the categorical a group (no 'id' column checked or used)
    assert set(table.index) == {"x1", "region[north]", "region[south]", "x1:x2"}
    assert (out / "model.json").is_file() and (out / "posterior.nc").is_file()
    pred = tmp_path / "pred.csv"
    assert main(["predict", str(out), str(files / "new.csv"), "--out", str(pred)]) == 0
    table = pd.read_csv(pred)
    new = pd.read_csv(files / "new.csv")
    est = load(out)
    assert est.formula == formula
    np.testing.assert_array_equal(table["mean"], est.predict(new))  # exact CSV round trip
    assert np.all(table["lower"] < table["upper"]) and np.all(table["sd"] > 0)


@pytest.mark.slow
def test_cli_round_trip_logistic(files, tmp_path, capsys):
    out = tmp_path / "logit"
    argv = ["fit", str(files / "data.csv"), "--target", "label", "--family", "logistic"]
    argv += ["--drop", "id", "--drop", "y", "--out", str(out), *TINY]
    assert main(argv) == 0
    pred = tmp_path / "pred.csv"
    assert main(["predict", str(out), str(files / "new.csv"), "--out", str(pred)]) == 0
    table = pd.read_csv(pred)
    assert list(table.columns) == ["row", "p_low", "predicted"]
    assert table["p_low"].between(0, 1).all()
    assert set(table["predicted"]) <= {"high", "low"}
    assert table["predicted"].eq(np.where(table["p_low"] >= 0.5, "low", "high")).all()
