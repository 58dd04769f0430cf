import math
import struct

import numpy as np
import pytest

from shrinkage import cli
from shrinkage.cli import frequentist_comparison, main


def test_frequentist_comparison_table():
    table = frequentist_comparison()
    assert set(table["model"]) == {"lasso", "elastic-net", "ridge"}
    # our gap tol 1e-14 var(y), sklearn tol 1e-14 (Ridge exact): the worst row is ridge at
    # alpha=1e-3, where strong convexity 1e-3 bounds the error by sqrt(2 gap / 1e-3) ~ 3e-4;
    # measured 6e-6 there, coefficients up to ~700
    assert table["max_abs_diff"].max() < 1e-4


def test_demo_help(capsys):
    with pytest.raises(SystemExit) as err:
        main(["demo", "--help"])
    assert err.value.code == 0
    out = capsys.readouterr().out
    assert "diabetes" in out
    for option in ("--out", "--draws", "--tune", "--chains", "--seed", "--quick"):
        assert option in out
    assert "./shrinkage-report" in out  # the default folder is documented


def test_top_level_help_lists_demo(capsys):
    with pytest.raises(SystemExit) as err:
        main(["--help"])
    assert err.value.code == 0
    assert "demo" in capsys.readouterr().out


def test_missing_subcommand_is_an_error(capsys):
    with pytest.raises(SystemExit) as err:
        main([])
    assert err.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_subcommands_are_pluggable(monkeypatch, capsys):
    """A subcommand module only has to provide add_<name>_parser(subparsers) and append it."""

    def add_fake_parser(subparsers):
        p = subparsers.add_parser("fake", help="a test command")
        p.add_argument("--n", type=int, default=1)
        p.set_defaults(func=lambda args: 40 + args.n)

    monkeypatch.setattr(cli, "SUBCOMMANDS", [*cli.SUBCOMMANDS, add_fake_parser])
    assert main(["fake", "--n", "2"]) == 42


def test_demo_rejects_zero_draws(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:  # argparse's exit code for bad arguments
        main(["demo", "--draws", "0", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "argument --draws: must be an integer >= 1; got 0" in capsys.readouterr().err


def test_park_casella_lambda_maps_their_lasso_to_ours():
    """At fixed sigma, Park & Casella's MAP on the LARS scaling (unit-norm columns, centred y)
    is the lasso with alpha = sigma lam / n; ours on standardized data with lam sqrt(n) and
    sigma / s_y must be the same fit, coefficients mapped by beta_z = beta_x / (sqrt(n) s_y)."""
    from shrinkage.cli._demo_fits import park_casella_lambda
    from shrinkage.datasets import load_diabetes
    from shrinkage.solvers import L1, Quadratic, solve

    X, y = (a.to_numpy() for a in load_diabetes(scaled=True))
    n = len(y)
    assert np.allclose(np.linalg.norm(X, axis=0), 1.0)  # the LARS scaling
    yc = y - y.mean()
    s_y = yc.std()
    sigma, lam = 55.0, 0.237  # sigma roughly the residual sd of the full fit (original units)
    theirs = solve(X, yc, Quadratic(), L1(sigma * lam / n), tol=1e-14)
    Z = (X - X.mean(0)) / X.std(0)
    lam_z, sigma_z = park_casella_lambda(n), sigma / s_y
    assert lam_z == pytest.approx(lam * math.sqrt(n), rel=1e-15)
    ours = solve(Z, yc / s_y, Quadratic(), L1(sigma_z * lam_z / n), tol=1e-14)
    # duality gaps <= 1e-14 and strong convexity mu = min eig(Z'Z/n) = 8.6e-3 bound our error
    # by sqrt(2 gap / mu) = 1.5e-6 (theirs: sqrt(2e-14 / 1.9e-5) / (sqrt(n) s_y) = 2e-8);
    # measured 5e-14. A wrong mapping (lam or lam n) is off by > 0.1.
    assert np.count_nonzero(ours.coef) == np.count_nonzero(theirs.coef) == 8
    assert np.allclose(ours.coef, theirs.coef / (math.sqrt(n) * s_y), rtol=0, atol=2e-6)


def test_data_scale_laplace_has_the_laplace_density():
    """The path's prior holds b in pm.Data; its log-density must be Laplace(0, b)'s."""
    import pytensor

    from shrinkage import build_model, priors
    from shrinkage.cli._demo_fits import _DataScaleLaplace
    from shrinkage.datasets import load_diabetes

    X, y = load_diabetes()
    rng = np.random.default_rng(3)
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        ref = build_model(X, y, prior=priors.Laplace(0.05))
        ours = build_model(X, y, prior=_DataScaleLaplace(0.05))
        point = ref.initial_point()
        point["beta"] = rng.normal(scale=0.3, size=10)
        # same graph up to where b comes from: equal to float64 rounding
        assert ours.compile_logp()(point) == pytest.approx(ref.compile_logp()(point), rel=1e-12)
        import pymc as pm

        pm.set_data({"laplace_scale": np.float64(0.5)}, model=ours)
        wider = build_model(X, y, prior=priors.Laplace(0.5))
        assert ours.compile_logp()(point) == pytest.approx(wider.compile_logp()(point), rel=1e-12)


def test_summary_markdown_and_html(tmp_path):
    import pandas as pd

    from shrinkage.cli._demo_summary import Summary

    doc = Summary("title <x>")
    doc.section("sec")
    doc.text("para")
    doc.pre("a < b")
    doc.table(pd.DataFrame({"v": [1.23456]}, index=pd.Index(["f"], name="feature")))
    doc.image("img.png", "alt")
    doc.link("report", "sub/report.html")
    paths = doc.save(tmp_path)
    md, page = paths["markdown"].read_text(), paths["html"].read_text()
    assert "# title <x>" in md and "```text\na < b\n```" in md and "![alt](img.png)" in md
    assert "| feature | v |" in md and "1.235" in md and "[report](sub/report.html)" in md
    assert "title &lt;x&gt;" in page and "<pre>a &lt; b</pre>" in page
    assert '<img src="img.png"' in page and '<a href="sub/report.html">' in page


def _png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


PRIOR_DIRS = ("gaussian", "laplace", "bayesian_lasso", "horseshoe")


@pytest.mark.slow
def test_demo_quick_writes_report_folder(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for k in range(1, 9):
        assert f"[{k}/8]" in text
    # the frequentist table, the cross-checks (the MAP is exact whatever the draws), LOO
    assert "lasso" in text and "ridge" in text and "elastic-net" in text
    assert text.count("PASSED") == 3  # ridge, lasso and Park & Casella's Bayesian lasso
    assert "not applicable: RegularizedHorseshoe" in text
    assert "Zero clustering" in text and "PSIS-LOO comparison" in text
    assert "Sampling health" in text
    assert "projection predictive selection (l1 search, PSIS-LOO): suggested size" in text
    assert str(out) in text.splitlines()[-2]  # the folder is printed at the end
    for name in ("summary.md", "summary.html", "loo_compare.csv", "zero_mass.csv"):
        assert (out / name).stat().st_size > 0
    pngs = ["coefficient_paths.png", "lasso_geometry.png"]
    pngs += [f"{d}/{f}.png" for d in PRIOR_DIRS for f in ("forest", "zero_mass")]
    pngs += ["horseshoe/shrinkage_factors.png"]
    for name in pngs:
        w, h = _png_size(out / name)
        assert w > 100 and h > 100
    # the Bayesian path ran (two panels make the figure wider than the lasso path alone)
    assert _png_size(out / "coefficient_paths.png")[0] > 1000
    summary = (out / "summary.md").read_text()
    for d in PRIOR_DIRS:
        assert f"({d}/forest.png)" in summary and (out / d / "report.md").exists()
    assert "Bayesian path:" not in summary  # no failure / skip message


@pytest.fixture
def sleeper():
    """A factory of ``(pool, job)`` pairs whose one spawned worker sleeps 60 s.

    Records the pool and its worker processes; at teardown any worker still alive is stopped.
    """
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor

    started: dict = {}

    def start():
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        job = pool.submit(time.sleep, 60)
        while not pool._processes:  # the worker starts with the first job
            time.sleep(0.01)
        started.update(pool=pool, procs=list(pool._processes.values()))
        return pool, job

    yield start, started
    for proc in started.get("procs", []):
        if proc.is_alive():
            proc.terminate()
    if "pool" in started:
        started["pool"].shutdown(wait=False, cancel_futures=True)


def test_background_worker_is_stopped_when_the_demo_fails(tmp_path, monkeypatch, sleeper):
    """An error in the main fits must not leave the path's worker process running."""
    import time

    from shrinkage.cli import demo as cli_demo

    start, started = sleeper
    seen = {}

    def fail(args, out, scales, job, steps):
        seen["job"] = job
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_demo, "_start_bayes_path", lambda args, scales: start())
    monkeypatch.setattr(cli_demo, "_run", fail)
    with pytest.raises(RuntimeError, match="boom"):
        main(["demo", "--out", str(tmp_path)])
    pool, procs = started["pool"], started["procs"]
    deadline = time.monotonic() + 10  # terminate() is a SIGTERM: the worker exits at once
    while any(p.is_alive() for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert procs and not any(p.is_alive() for p in procs)
    assert seen["job"] is not None and pool is not None


def test_fit_is_wired_into_the_command(tmp_path, capsys):
    from shrinkage.cli import main

    code = main(["fit", str(tmp_path / "missing.csv"), "--target", "y", "--out", str(tmp_path)])
    assert code == 2
    assert "missing.csv" in capsys.readouterr().err


def test_demo_interrupted_stops_the_worker_and_writes_nothing(
    tmp_path, monkeypatch, sleeper, capsys
):
    """Ctrl-C during the fits: exit 130, one line, the path's worker stopped, no folder."""
    import time

    from shrinkage.cli import demo as cli_demo

    start, started = sleeper

    def interrupted(args, out, scales, job, steps):
        (out / "half-written.md").write_text("partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_demo, "_start_bayes_path", lambda args, scales: start())
    monkeypatch.setattr(cli_demo, "_run", interrupted)
    out = tmp_path / "report"
    assert main(["demo", "--out", str(out)]) == 130
    assert capsys.readouterr().err == "shrinkage demo: interrupted (Ctrl-C); no report written\n"
    procs = started["procs"]
    deadline = time.monotonic() + 10  # terminate() is a SIGTERM: the worker exits at once
    while any(p.is_alive() for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert procs and not any(p.is_alive() for p in procs)
    assert list(tmp_path.iterdir()) == []  # neither the report nor its staging folder
