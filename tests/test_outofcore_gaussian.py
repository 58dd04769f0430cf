"""The Gaussian family on out-of-core (Dask) data: same MAP, same cross-check, same posterior.

Every test runs against the real two-process LocalCluster of the ``dask_client`` fixture.
"""

import os
import signal
import threading
import time

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from shrinkage import priors
from shrinkage.crosscheck import cross_check
from shrinkage.inference import find_map, sample
from shrinkage.model import build_model
from shrinkage.outofcore import gram_stats

GROUPS = [0, 0, 1, 1, 1, 2, 3, 3]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(18)
    n, p = 1500, 8
    X = rng.standard_normal((n, p)) * [1, 2, 0.5, 1, 3, 1, 1, 0.2] + [0, 5, -1, 0, 2, 0, 1, 0]
    w = np.array([1.0, 0, 0, 0.4, 0, -0.8, 0, 0])
    y = X @ w + 2.0 + rng.standard_normal(n)
    Xd = da.from_array(X, chunks=(400, 5))  # 4 row blocks, columns split too: rechunked
    yd = da.from_array(y, chunks=400)
    return X, y, Xd, yd


PRIORS = {
    "gaussian": (priors.Gaussian(1.0), None),
    "laplace": (priors.Laplace(0.3), None),
    "elastic_net": (priors.ElasticNet(1.0, 0.5), None),
    "group_lasso": (priors.GroupLasso(1.0), GROUPS),
}


@pytest.mark.parametrize("name", list(PRIORS))
def test_map_from_dask_equals_in_memory(dask_client, data, name):
    X, y, Xd, yd = data
    prior, groups = PRIORS[name]
    ref = find_map(build_model(X, y, prior=prior, groups=groups))
    got = find_map(build_model(Xd, yd, prior=prior, groups=groups))
    assert got.converged and ref.converged
    # find_map stops at a KKT violation <= 1e-10 on both; the two objectives differ only by
    # the rounding of the statistics (~1e-13): far below the 1e-8 asked
    for var in ("beta_original", "intercept_original", "sigma"):
        np.testing.assert_allclose(got[var], ref[var], rtol=0, atol=1e-8)
    assert np.array_equal(np.asarray(got["beta"]) == 0, np.asarray(ref["beta"]) == 0)


@pytest.mark.parametrize("name", ["laplace", "group_lasso"])
def test_cross_check_runs_on_the_gram(dask_client, data, name):
    _, _, Xd, yd = data
    prior, groups = PRIORS[name]
    res = cross_check(build_model(Xd, yd, prior=prior, groups=groups))
    assert res.passed and res.certificates["solvers"].endswith("(duality_gap)")
    assert "out of core" in res.penalty


def test_frame_with_categories_and_a_named_target(dask_client):
    from shrinkage.datasets import load_diabetes

    X, y = load_diabetes()
    frame = X.assign(sex=pd.Categorical(np.where(X["sex"] > 0, "m", "f"), ["f", "m"]))
    ddf = dd.from_pandas(frame.assign(target=y.to_numpy()), npartitions=3)
    model = build_model(ddf.drop(columns="target"), ddf["target"], prior=priors.Laplace(0.5))
    ref = build_model(frame, y, prior=priors.Laplace(0.5))
    assert list(model.coords["feature"]) == list(ref.coords["feature"])
    # both MAPs to find_map's KKT tolerance (1e-10); 1e-8 leaves room for the statistics' rounding
    np.testing.assert_allclose(
        find_map(model)["beta_original"], find_map(ref)["beta_original"], atol=1e-8
    )


def test_non_gaussian_family_names_the_alternatives(dask_client, data):
    _, _, Xd, yd = data
    with pytest.raises(ValueError, match=r"'student_t' cannot be built on out-of-core.*sample"):
        build_model(Xd, yd, prior=priors.Laplace(1.0), family="student_t")


def test_marginal_likelihood_from_the_statistics(dask_client, data):
    """The collapsed likelihood and its gradient from GramStats equal those from the rows."""
    from shrinkage.inference.marginal.op import MarginalGaussian, marginal_logp_grad
    from shrinkage.model import get_spec

    X, y, Xd, yd = data
    mem = get_spec(build_model(X, y, prior=priors.Horseshoe())).design
    ooc = get_spec(build_model(Xd, yd, prior=priors.Horseshoe())).design
    rows, stats = MarginalGaussian(mem.X, mem.y).data, MarginalGaussian(ooc.stats, None).data
    rng = np.random.default_rng(3)
    for d in (rng.uniform(0, 2, 8), np.r_[1e-12, 1e9, np.ones(6)]):  # 1e9: a flat column
        for s2, a in ((0.3, 0.0), (1.0, 0.2)):
            got = marginal_logp_grad(stats, d, s2, a)
            ref = marginal_logp_grad(rows, d, s2, a)
            for g, r in zip(got, ref, strict=True):
                # Cholesky of X'X vs QR of X and the statistics' rounding: measured <= 3e-12
                # relative to max(1, |value|); 1e-9 still catches any missing term
                scale = max(1.0, float(np.max(np.abs(r))))
                assert np.max(np.abs(np.asarray(g) - r)) <= 1e-9 * scale


@pytest.mark.parametrize("name", ["laplace", "group_lasso"])
def test_gibbs_on_the_gram_repeats_the_in_memory_chain(dask_client, data, name):
    """Same seed, same updates: the Rue draw from X'X gives the in-memory draws."""
    X, y, Xd, yd = data
    prior, groups = PRIORS[name]
    kw = {"draws": 50, "tune": 20, "chains": 1, "sampler": "gibbs", "random_seed": 3}
    mem = sample(build_model(X, y, prior=prior, groups=groups), **kw)["posterior"]
    ooc = sample(build_model(Xd, yd, prior=prior, groups=groups), **kw)["posterior"]
    assert set(ooc.data_vars) == set(mem.data_vars)
    # the two X'X differ by rounding (~1e-16 relative) and nothing amplifies it over 70 sweeps
    # (measured: 2e-15); 1e-10 would still catch any change of the chain
    for var in ooc.data_vars:
        np.testing.assert_allclose(ooc[var].values, mem[var].values, rtol=0, atol=1e-10)


def test_a_killed_worker_changes_nothing(dask_client):
    """Kill one worker process in the middle of a pass: Dask recomputes its tasks."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((2400, 4))
    y = X.sum(axis=1) + rng.standard_normal(2400)

    def slow(block):  # each of the 12 partitions takes 0.25 s: the pass lasts ~1.5 s
        time.sleep(0.25)
        return block

    Xd = da.from_array(X, chunks=(200, 4)).map_blocks(slow, dtype=float)
    yd = da.from_array(y, chunks=200)
    ref = gram_stats(da.from_array(X, chunks=(200, 4)), yd)
    before = set(dask_client.run(os.getpid).values())
    victim = sorted(before)[0]
    killed_at = []

    def kill():
        os.kill(victim, signal.SIGKILL)
        killed_at.append(time.monotonic())

    killer = threading.Timer(0.6, kill)
    killer.start()
    got = gram_stats(Xd, yd)
    done_at = time.monotonic()
    killer.join()
    assert killed_at and killed_at[0] < done_at  # killed while the pass was running
    after = set(dask_client.run(os.getpid).values())
    assert victim not in after  # the worker really died (its nanny started a new one)
    # the same partitions merged by the same tree: identical to the last bit
    np.testing.assert_array_equal(got.xtx, ref.xtx)
    np.testing.assert_array_equal(got.xty, ref.xty)
    assert got.n == ref.n and got.yty == ref.yty


def test_estimator_fit_and_predict_on_dask(dask_client, data):
    import pickle

    import dask

    from shrinkage.estimators import LaplacePriorRegression

    X, y, Xd, yd = data
    est = LaplacePriorRegression(draws=100, tune=100, chains=1, progressbar=False, random_state=0)
    est.fit(Xd, yd)
    assert est.idata_.attrs["n_obs"] == len(y) and "log_likelihood" not in est.idata_.children
    pred = est.predict(da.from_array(X[:300], chunks=(100, 8)))
    assert isinstance(pred, dask.array.Array)  # lazy: nothing computed on the client
    # the same mean coefficients through numpy: equal to rounding (one matrix product)
    np.testing.assert_allclose(pred.compute(), est.predict(X[:300]), rtol=1e-12)
    with pytest.raises(ValueError, match="not available for Dask input"):
        est.predict(Xd, return_std=True)
    again = pickle.loads(pickle.dumps(est))  # rebuilt from the statistics, no rows needed
    np.testing.assert_allclose(again.predict(X[:5]), est.predict(X[:5]), rtol=1e-12)
    assert "not available out of core" in est.report().loo_error


def _draws(dt) -> dict[str, np.ndarray]:
    post = dt["posterior"]
    out = {"sigma": post["sigma"].values, "intercept": post["intercept"].values}
    for j in range(post["beta"].shape[-1]):
        out[f"beta[{j}]"] = post["beta"].values[..., j]
    return out


SAMPLED = {
    "hs": (priors.Horseshoe(), None),
    "rhs": (priors.RegularizedHorseshoe(), None),
    "ghs": (priors.GroupHorseshoe(), GROUPS),
    "r2d2": (priors.R2D2(), None),
    "lap": (priors.Laplace(0.3), None),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SAMPLED))
def test_posterior_from_dask_matches_in_memory(dask_client, data, name):
    """Means and sds agree within Monte Carlo error.

    z = (m_dask - m_mem) / sqrt(mcse_dask^2 + mcse_mem^2) with ArviZ's MCSE (sd/sqrt(ESS)), and
    likewise for the sds; |z| <= 4 over ~2 x 10 comparisons gives a false alarm ~1e-3 per test
    (Bonferroni). The two fits are independent chains (different seeds) with the default
    samplers: for the horseshoe family NUTS on the marginal form in memory (``p <= n``) and
    Gibbs from the statistics out of core (``sampler="auto"`` out of core), so independent
    algorithms too; Gibbs for the Laplace prior (``p <= min(n, 500)``), from the rows in memory
    and from ``X'X`` out of core.
    """
    import arviz as az

    X, y, Xd, yd = data
    prior, groups = SAMPLED[name]
    kw = {"draws": 1000, "tune": 500, "chains": 2, "progressbar": False}
    mem = sample(build_model(X, y, prior=prior, groups=groups), random_seed=1, **kw)
    ooc = sample(build_model(Xd, yd, prior=prior, groups=groups), random_seed=2, **kw)
    assert ooc["posterior"].attrs["inference_library"] == "shrinkage.gibbs"
    mem, ooc = _draws(mem), _draws(ooc)
    bad = []
    for key in mem:
        a, b = ooc[key], mem[key]
        for stat, method in ((np.mean, "mean"), (np.std, "sd")):
            se = np.hypot(az.mcse(a, method=method), az.mcse(b, method=method))
            z = float((stat(a) - stat(b)) / se)
            if abs(z) > 4:
                bad.append((key, method, z))
    assert not bad, bad
