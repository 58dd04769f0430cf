"""Logistic / Poisson penalized MAP from Dask data on a real two-process LocalCluster.

Tolerance source: the out-of-core solver and the in-memory ``solve`` both certify a KKT violation
<= 1e-10 on well-conditioned problems, which puts their coefficients within ~1e-8 of each other:
the issue's 1e-6 has margin. Standardization uses the Dask statistics' means / sds, equal to
numpy's to ~1e-15 relative (tests/test_outofcore_stats.py).
"""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import linear_model as sk

from shrinkage.outofcore import glm_map
from shrinkage.outofcore.glm import _start_pass, refuse_sampling
from shrinkage.solvers import L1, GroupLasso, Logistic, Poisson, solve

ATOL = 1e-6  # acceptance of issue 18; see the module docstring
TOL = 1e-10  # KKT tolerance of both solvers


def _data(n=2500, p=6, seed=18):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * [1, 3, 0.5, 2, 1, 4] + [0, 5, -1, 10, 2, 0]
    Z = (X - X.mean(0)) / X.std(0)
    beta = np.r_[0.9, -0.7, 0.4, np.zeros(p - 3)]
    yl = (rng.random(n) < 1 / (1 + np.exp(-(Z @ beta - 0.4)))).astype(float)
    yp = rng.poisson(np.exp(0.4 * Z @ beta + 0.3)).astype(float)
    return X, Z, {"logistic": (Logistic(), yl), "poisson": (Poisson(), yp)}


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_l1_map_from_dask_equals_in_memory(dask_client, family):
    X, Z, data = _data()
    datafit, y = data[family]
    pen = L1({"logistic": 0.01, "poisson": 0.03}[family])  # both leave some zeros
    res = glm_map(da.from_array(X, chunks=(600, 6)), da.from_array(y, chunks=600), family, pen,
                  tol=TOL)  # fmt: skip
    ref = solve(Z, y, datafit, pen, tol=TOL)
    assert res.solver.converged and res.solver.certificate <= TOL
    np.testing.assert_allclose(res.coef, ref.coef, rtol=0, atol=ATOL)
    np.testing.assert_allclose(res.intercept, ref.intercept, rtol=0, atol=ATOL)
    assert np.any(res.coef == 0.0) and np.array_equal(res.coef == 0, ref.coef == 0)
    # original scale: the same linear predictor
    eta = X @ res.coef_original + res.intercept_original
    np.testing.assert_allclose(eta, Z @ ref.coef + ref.intercept, rtol=0, atol=1e-5)
    # the statistics pass doubles as the first Newton pass: one more pass per trial step
    assert res.solver.n_passes >= res.solver.n_iter


def test_logistic_l1_from_dask_frame_equals_sklearn(dask_client):
    X, Z, data = _data(n=1500, seed=3)
    _, y = data["logistic"]
    df = pd.DataFrame(X, columns=list("abcdef")).assign(y=y)
    ddf = dd.from_pandas(df, npartitions=4)
    alpha = 0.01
    res = glm_map(ddf.drop(columns="y"), ddf["y"], "logistic", L1(alpha), fit_intercept=False,
                  tol=1e-12)  # fmt: skip
    ref = sk.LogisticRegression(
        C=1 / (len(y) * alpha), l1_ratio=1.0, solver="liblinear", fit_intercept=False, tol=1e-12,
        max_iter=10**5,
    ).fit(Z, y)  # fmt: skip
    # liblinear stops on its dual at 1e-12: agreement ~1e-7 (tests/test_solvers_sklearn.py)
    np.testing.assert_allclose(res.coef, ref.coef_[0], rtol=0, atol=ATOL)
    assert res.feature_names == list("abcdef")


def test_poisson_l2_from_dask_equals_sklearn(dask_client):
    from shrinkage.solvers import L2

    X, Z, data = _data(n=1200, seed=4)
    _, y = data["poisson"]
    res = glm_map(da.from_array(X, chunks=(400, 6)), da.from_array(y, chunks=400), "poisson",
                  L2(0.01), tol=1e-12)  # fmt: skip
    # PoissonRegressor(alpha) == Poisson() + L2(alpha) (tests/test_solvers_sklearn.py)
    ref = sk.PoissonRegressor(alpha=0.01, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    ref.fit(Z, y)
    np.testing.assert_allclose(res.coef, ref.coef_, rtol=0, atol=ATOL)
    np.testing.assert_allclose(res.intercept, ref.intercept_, rtol=0, atol=ATOL)


def test_group_lasso_poisson_from_dask(dask_client):
    X, Z, data = _data(seed=5)
    datafit, y = data["poisson"]
    pen = GroupLasso(0.02, [0, 0, 1, 1, 2, 2])
    res = glm_map(da.from_array(X, chunks=(1000, 6)), da.from_array(y, chunks=1000), datafit,
                  pen, tol=TOL)  # fmt: skip
    ref = solve(Z, y, datafit, pen, tol=TOL)
    np.testing.assert_allclose(res.coef, ref.coef, rtol=0, atol=ATOL)


def test_bad_partitions_are_named(dask_client):
    X, _, data = _data(n=400)
    _, y = data["logistic"]
    y_bad = y.copy()
    y_bad[250] = 2.0  # partition 2 of chunks of 100
    with pytest.raises(ValueError, match=r"partition 2: .*y"):
        glm_map(da.from_array(X, chunks=(100, 6)), da.from_array(y_bad, chunks=100),
                "logistic", L1(0.01))  # fmt: skip
    X_bad = X.copy()
    X_bad[120, 1] = np.nan
    with pytest.raises(ValueError, match=r"partition 1 .*NaN in column 'x1'"):
        glm_map(da.from_array(X_bad, chunks=(100, 6)), da.from_array(y, chunks=100),
                "logistic", L1(0.01))  # fmt: skip


def test_refusals():
    with pytest.raises(NotImplementedError, match=r"glm_map.*sample of rows|sample of rows"):
        refuse_sampling("logistic")
    with pytest.raises(TypeError, match="Dask X and y"):
        glm_map(np.zeros((3, 2)), np.zeros(3), "logistic", L1(0.1))
    X = da.from_array(np.c_[np.ones(10), np.arange(10.0)], chunks=5)
    with pytest.raises(ValueError, match=r"constant column.*'x0'"):
        glm_map(X, da.from_array(np.arange(10.0) % 2, chunks=5), "logistic", L1(0.1))
    with pytest.raises(ValueError, match="logistic and Poisson"):
        glm_map(X, da.from_array(np.arange(10.0), chunks=5), "gaussian", L1(0.1))


def test_laplace_prior_map_from_dask_equals_find_map(dask_client):
    # the prior's exact MAP in memory (flat intercept: glm_map's intercept is unpenalized)
    from shrinkage.inference import find_map
    from shrinkage.model import build_model
    from shrinkage.priors import Laplace

    X, _, data = _data(n=800, seed=7)
    _, y = data["logistic"]
    prior = Laplace(scale=0.2)
    model = build_model(X, y, prior=prior, family="bernoulli", intercept="flat")
    ref = find_map(model, tol=1e-10)
    res = glm_map(da.from_array(X, chunks=(300, 6)), da.from_array(y, chunks=300), "bernoulli",
                  prior, tol=TOL)  # fmt: skip
    # find_map certifies 1e-10 on -logp (units n x the datafit's): coefficients agree to ~1e-9
    np.testing.assert_allclose(res.coef, np.asarray(ref["beta"]), rtol=0, atol=ATOL)
    np.testing.assert_allclose(res.intercept, float(ref["intercept"]), rtol=0, atol=ATOL)


def test_estimators_refuse_sampling_glm_on_dask():
    from shrinkage.estimators import BayesianLogisticRegression, BayesianRegression

    X = da.from_array(np.random.default_rng(0).standard_normal((20, 2)), chunks=10)
    y = da.from_array(np.arange(20.0) % 2, chunks=10)
    with pytest.raises(NotImplementedError, match=r"bernoulli.*glm_map.*sample of rows"):
        BayesianLogisticRegression().fit(X, y)
    with pytest.raises(NotImplementedError, match="poisson"):
        BayesianRegression(family="poisson").fit(X, y)


@pytest.mark.parametrize("family", ["logistic", "poisson"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_start_pass_from_statistics_equals_a_real_pass(family, fit_intercept):
    from shrinkage.outofcore.stats import GramStats
    from shrinkage.solvers.irls import block_pass

    X, Z, data = _data(n=500)
    datafit, y = data[family]
    Xc, yc = X - X.mean(0), y - y.mean()
    stats = GramStats(len(y), X.mean(0), X.std(0), y.mean(), y.std(), Xc.T @ Xc, Xc.T @ yc,
                      yc @ yc, [])  # fmt: skip
    first, c = _start_pass(stats, datafit, fit_intercept)
    real = block_pass(Z, y, np.zeros(Z.shape[1]), c, datafit.kind)
    # sums over 500 rows of O(1) terms: rounding ~1e-13 relative; 1e-10 leaves room
    for name in ("loss", "grad", "gsum", "hess", "hx", "hsum"):
        np.testing.assert_allclose(getattr(first, name), getattr(real, name), rtol=1e-10,
                                   atol=1e-9, err_msg=name)  # fmt: skip


def test_partition_is_not_modified_in_place():
    # the pass standardizes its block in place: it must be a copy, never the partition itself
    from shrinkage.outofcore.glm import _block

    X, _, data = _data(n=50)
    datafit, y = data["logistic"]
    df = pd.DataFrame(X, columns=list("abcdef"))
    before = df.copy()
    spec = [(c, None) for c in df.columns]
    out = _block(df, pd.Series(y), 0, None, spec, list(df.columns), X.mean(0), X.std(0),
                 np.zeros(6), 0.0, datafit)  # fmt: skip
    pd.testing.assert_frame_equal(df, before)
    assert out.n == 50


def test_build_model_on_dask_names_glm_map():
    from shrinkage.model import build_model
    from shrinkage.priors import Laplace

    X = da.from_array(np.random.default_rng(0).standard_normal((20, 2)), chunks=10)
    y = da.from_array(np.arange(20.0) % 2, chunks=10)
    with pytest.raises(ValueError, match=r"glm_map.*sample of rows"):
        build_model(X, y, prior=Laplace(1.0), family="bernoulli")


def _counting(X, y, log):
    """Dask X, y whose partitions append a line to ``log`` each time they are read."""

    def read(block, block_info=None):
        with open(log, "a") as f:
            f.write(f"{block_info[0]['chunk-location'][0]}\n")
        return block

    Xd = da.from_array(X, chunks=(500, X.shape[1])).map_blocks(read, dtype=float)
    return Xd, da.from_array(y, chunks=500)


@pytest.mark.parametrize("cache", [True, "auto"])
def test_cache_reads_each_partition_once_and_changes_nothing(dask_client, tmp_path, cache):
    from shrinkage.outofcore import gram_stats

    X, _, data = _data()
    _, y = data["logistic"]
    results = {}
    for key, opt in (("plain", False), ("cached", cache), ("given", cache)):
        log = tmp_path / f"reads-{key}.txt"
        Xd, yd = _counting(X, y, log)
        stats = gram_stats(Xd, yd) if key == "given" else None
        res = glm_map(Xd, yd, "logistic", L1(0.01), tol=TOL, cache=opt, stats=stats)
        results[key] = res, log.read_text().split()
    (plain, plain_reads), (cached, cached_reads) = results["plain"], results["cached"]
    given, given_reads = results["given"]
    passes = plain.solver.n_passes
    assert passes >= 3 and cached.solver.n_passes == passes == given.solver.n_passes
    assert cached.cached and given.cached and not plain.cached
    # without the cache: the statistics pass + every Newton pass reads all 5 partitions; with
    # it: one parse, the statistics and every Newton pass on the parsed partitions (statistics
    # given: their own pass + one parse), whatever the number of Newton passes
    assert len(plain_reads) == 5 * (1 + passes) and len(cached_reads) == 5
    assert len(given_reads) == 5 * 2
    assert sorted(cached_reads) == [str(k) for k in range(5)]
    # the same float arrays through the same arithmetic and the same trees: identical bits
    for res in (cached, given):
        np.testing.assert_array_equal(res.coef, plain.coef)
        assert res.intercept == plain.intercept
        np.testing.assert_array_equal(res.stats.xtx, plain.stats.xtx)
        np.testing.assert_array_equal(res.stats.mean, plain.stats.mean)
        assert res.stats.yty == plain.stats.yty


def _kill_a_worker(client) -> int:
    import os
    import signal

    victim = sorted(client.run(os.getpid).values())[0]
    os.kill(victim, signal.SIGKILL)
    return victim


def _reference_pass():
    """Dask ``X``, ``y``, the datafit, the statistics, a point ``w`` and the uncached pass at
    ``(w, 0.2)``."""
    from shrinkage.outofcore import gram_stats
    from shrinkage.outofcore.glm import glm_pass

    X, _, data = _data()
    datafit, y = data["logistic"]
    Xd, yd = da.from_array(X, chunks=(500, 6)), da.from_array(y, chunks=500)
    stats = gram_stats(Xd, yd)
    w = np.linspace(-0.3, 0.3, 6)
    return Xd, yd, datafit, stats, w, glm_pass(Xd, yd, datafit, stats, cache=False)(w, 0.2)


def test_cache_survives_a_killed_worker(dask_client):
    """Kill a worker holding cached partitions between two passes: Dask re-reads them."""
    import os

    from shrinkage.outofcore.glm import glm_pass

    Xd, yd, datafit, stats, w, ref = _reference_pass()
    pass_fn = glm_pass(Xd, yd, datafit, stats, cache=True)
    first = pass_fn(w, 0.2)
    victim = _kill_a_worker(dask_client)
    again = pass_fn(w, 0.2)
    assert victim not in set(dask_client.run(os.getpid).values())  # it really died
    for out in (first, again):  # the same arrays, arithmetic and tree: identical bits
        np.testing.assert_array_equal(out.hess, ref.hess)
        np.testing.assert_array_equal(out.grad, ref.grad)
        assert out.loss == ref.loss and out.n == ref.n


def test_cached_statistics_survive_a_killed_worker(dask_client):
    """The statistics from the cached partitions, a worker killed, then a Newton pass on the
    cache: the same bits as from the files."""
    import os

    from shrinkage.outofcore.cache import PartitionCache
    from shrinkage.outofcore.glm import glm_pass

    Xd, yd, datafit, ref_stats, w, ref = _reference_pass()
    cache = PartitionCache(Xd, yd, datafit, head=1)  # the rest persisted by stats()
    stats = cache.stats()
    victim = _kill_a_worker(dask_client)
    out = glm_pass(Xd, yd, datafit, stats, cache=cache)(w, 0.2)
    assert victim not in set(dask_client.run(os.getpid).values())  # it really died
    for a, b in ((stats.xtx, ref_stats.xtx), (stats.xty, ref_stats.xty), (out.hess, ref.hess),
                 (out.grad, ref.grad)):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    assert stats.n == ref_stats.n and out.loss == ref.loss


def test_cache_switch(dask_client):
    from dataclasses import replace

    import dask

    from shrinkage.outofcore import gram_stats
    from shrinkage.outofcore.glm import glm_pass, use_cache

    X, _, data = _data(n=100)
    Xd, yd = da.from_array(X, chunks=(50, 6)), da.from_array(data["logistic"][1], 50)
    stats = gram_stats(Xd, yd)
    assert use_cache("auto", stats) and use_cache(True, stats) and not use_cache(False, stats)
    # 1e12 rows x 7 columns = 56 TB: more than half of any test machine's memory
    assert not use_cache("auto", replace(stats, n=10**12))
    with pytest.raises(ValueError, match="True, False or 'auto'"):
        use_cache("yes", stats)
    with dask.config.set(scheduler="sync"):  # no distributed client in use
        assert not use_cache("auto", stats)
        with pytest.raises(ValueError, match=r"needs a distributed\.Client"):
            use_cache(True, stats)
        with pytest.raises(ValueError, match=r"needs a distributed\.Client"):
            glm_pass(Xd, yd, Logistic(), stats, cache=True)


def test_auto_cache_judges_the_size_by_the_first_partitions(dask_client, monkeypatch, tmp_path):
    """Statistics not given, ``"auto"``: the first partitions (one per worker) are parsed and
    their size extrapolated; too big, they are dropped and the files re-read at every pass."""
    from shrinkage.outofcore import cache as cache_mod

    X, _, data = _data()
    datafit, y = data["logistic"]
    Xd, yd = da.from_array(X, chunks=(500, 6)), da.from_array(y, chunks=500)
    head = cache_mod.PartitionCache(Xd, yd, datafit, head=2)
    # 5 partitions of 500 rows x (6 + 1) float64 columns
    assert len(head.parts) == 2 and head.estimated_nbytes() == 5 * 500 * 7 * 8
    assert cache_mod.cache_for("auto", Xd, yd, datafit) is not None
    monkeypatch.setattr(cache_mod, "_CACHE_SHARE", 1e-9)  # ~20 bytes of a test machine's GBs
    assert cache_mod.cache_for("auto", Xd, yd, datafit) is None
    log = tmp_path / "reads.txt"
    Xc, yc = _counting(X, y, log)
    res = glm_map(Xc, yc, "logistic", L1(0.01), tol=TOL)
    assert not res.cached
    # the 2 head partitions, the statistics pass, then every Newton pass re-reads the 5
    assert len(log.read_text().split()) == 2 + 5 * (1 + res.solver.n_passes)


def test_pass_over_partitions_longer_than_a_chunk(dask_client):
    """A Newton pass over partitions of more rows than ``CHUNK_ROWS`` (centred chunk by
    chunk) equals the in-memory pass on the standardized rows."""
    from shrinkage.outofcore import gram_stats
    from shrinkage.outofcore.glm import glm_pass
    from shrinkage.outofcore.stats import CHUNK_ROWS
    from shrinkage.solvers.irls import memory_pass

    n = 2 * CHUNK_ROWS + 123
    X, Z, data = _data(n=n)
    datafit, y = data["logistic"]
    chunks = CHUNK_ROWS + CHUNK_ROWS // 2
    Xd, yd = da.from_array(X, chunks=(chunks, 6)), da.from_array(y, chunks=chunks)
    stats = gram_stats(Xd, yd)
    w = np.linspace(-0.3, 0.3, 6)
    out = glm_pass(Xd, yd, datafit, stats)(w, 0.2)
    ref = memory_pass(Z, y, datafit)(w, 0.2)
    # sums of ~2e4 O(1) terms in a different order: rounding ~1e-16 * n relative, << 1e-10
    for a, b in ((out.hess, ref.hess), (out.grad, ref.grad), (out.loss, ref.loss)):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    assert out.n == ref.n == n
