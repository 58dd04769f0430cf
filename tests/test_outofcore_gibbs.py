"""The horseshoe family's Gibbs updates from the centred statistics (out of core).

Numpy checks that the Gram forms equal the row forms, then the whole path on the real
two-process LocalCluster of the ``dask_client`` fixture.
"""

import dask.array as da
import numpy as np
import pytest

from shrinkage import priors
from shrinkage.inference import sample
from shrinkage.inference.gibbs.core import _drop_intercept, gibbs_sample
from shrinkage.inference.gibbs.sigma import Sigma
from shrinkage.inference.gibbs.updates import (
    R2D2Local,
    collapsed_gram_sweep,
    collapsed_local_sweep,
)
from shrinkage.inference.linear_gaussian import LinearGaussian
from shrinkage.inference.sampling import _resolve_sampler
from shrinkage.model import build_model, get_spec
from shrinkage.outofcore import GramStats

GROUPS = [0, 0, 1, 1, 1, 2, 3, 3]
FAMILY = {
    "hs": (priors.Horseshoe(), None),
    "rhs": (priors.RegularizedHorseshoe(), None),
    "ghs": (priors.GroupHorseshoe(), GROUPS),
    "r2d2": (priors.R2D2(), None),
    "hsplus": (priors.HorseshoePlus(), None),
}


def _centred(seed: int, n: int = 40, p: int = 6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.normal(0, 4, p)
    y = X[:, :2] @ [1.5, -1.0] + 3.0 + rng.standard_normal(n)
    return X - X.mean(axis=0), y - y.mean(), X, y


def _stats(X: np.ndarray, y: np.ndarray) -> GramStats:
    """The statistics a Dask pass would give, from numpy (centred co-moments)."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return GramStats(
        n=X.shape[0], mean=X.mean(axis=0), std=X.std(axis=0), y_mean=float(y.mean()),
        y_std=float(y.std()), xtx=Xc.T @ Xc, xty=Xc.T @ yc, yty=float(yc @ yc),
        feature_names=[f"x{j}" for j in range(X.shape[1])],
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gram_tau_log_target_equals_the_row_form(seed):
    """``log det M`` and ``Q = z'M^{-1}z`` of the tau marginal: Gram form vs n-space rows.

    Rows: the ``n - 1`` rows of the centred data rotated onto ``1``-perp (the flat intercept
    integrated out), ``M = I + g Z D0 Z'`` factorized densely. Gram: the Rue form the Gibbs
    core runs from the centred ``X_c'X_c``, ``X_c'y_c``, ``y_c'y_c`` (Sylvester, Woodbury).
    """
    Xc, yc, _, _ = _centred(seed)
    Z, z = _drop_intercept(Xc, yc)
    gram = LinearGaussian.from_gram(Xc.T @ Xc, Xc.T @ yc, float(yc @ yc))
    rng = np.random.default_rng(seed)
    sig = Sigma(Z.shape[0], "jeffreys", 1.0, None)
    sig.sigma2 = 0.7
    for d0 in (rng.uniform(0.01, 3.0, 6), np.r_[1e-10, 100.0, rng.uniform(0.1, 1.0, 4)]):
        for g in (1e-3, 0.4, 25.0):
            M = np.eye(Z.shape[0]) + g * (Z * d0) @ Z.T
            logdet = np.linalg.slogdet(M)[1]
            quad = float(z @ np.linalg.solve(M, z))
            fac = gram.kernel(d0).factor(g)
            for integrate in (True, False):
                ref = sig.log_marginal(logdet, quad, integrate)
                got = sig.log_marginal(fac.logdet, fac.quad, integrate)
                # the dense n x n reference loses ~cond(M) eps: cond(M) <= ~6e5 here
                # (measured differences <= 3e-12 relative; at cond 4e7 they reach 4e-10 with
                # the rows' own Bhattacharya form too); 1e-10 catches any wrong or missing term
                assert abs(got - ref) <= 1e-10 * max(1.0, abs(ref))


def test_collapsed_sweep_from_the_gram_equals_the_row_sweep():
    """Same seed, same slice steps: ``X'r`` kept in place of ``r`` gives the same pairs."""
    Xc, yc, _, _ = _centred(5)
    Z, z = _drop_intercept(Xc, yc)
    rng = np.random.default_rng(5)
    beta, lam = rng.normal(0, 0.5, 6), np.abs(rng.standard_cauchy(6))
    r2d2 = R2D2Local(1.0, 1.0, np.full(6, 0.5))
    for c2, local in ((np.inf, None), (2.0, None), (np.inf, r2d2)):
        kw = {"c2": c2, "local_prior": local}
        rows = collapsed_local_sweep(
            np.asfortranarray(Z), z, beta, lam, 0.8, 0.1, np.random.default_rng(9), **kw
        )
        stats = LinearGaussian.from_gram(Xc.T @ Xc, Xc.T @ yc, float(yc @ yc))
        gram = collapsed_gram_sweep(stats, beta, lam, 0.8, 0.1, np.random.default_rng(9), **kw)
        # one sweep of 6 pairs: the two orders of summation differ by ~1e-14; 1e-10 catches a
        # wrong s_j or a missed update of X'r (which changes the draws at O(1))
        np.testing.assert_allclose(gram[0], rows[0], rtol=0, atol=1e-10)
        np.testing.assert_allclose(gram[1], rows[1], rtol=1e-10)
        assert abs(gram[2] - float(rows[2] @ rows[2])) <= 1e-10 * gram[2]


CORE_CASES = [
    ("horseshoe", {}, None, "jeffreys", "flat"),
    ("horseshoe", {"sigma_scaled": False}, None, "halfnormal", (0.0, 2.0)),  # noise-scale move
    ("regularized_horseshoe", {}, None, "halfnormal", "flat"),
    ("regularized_horseshoe", {"sigma_scaled": False, "slab_sigma_scaled": False}, None,
     "jeffreys", None),
    ("group_horseshoe", {"sigma_scaled": False}, np.arange(6) // 2, "jeffreys", "flat"),
    ("r2d2", {"a": 1.0, "b": 1.0}, None, "jeffreys", "flat"),
    ("horseshoe_plus", {}, None, "jeffreys", "flat"),
    ("horseshoe_plus", {"sigma_scaled": False}, None, "halfnormal", (0.0, 2.0)),
    ("r2d2", {"concentration": (0.2, 0.5, 1.0, 0.5, 0.5, 2.0), "a": 0.6, "b": 1.4}, None,
     "halfnormal", (0.0, 2.0)),
]  # fmt: skip


@pytest.mark.parametrize("case", CORE_CASES, ids=lambda c: f"{c[0]}-{c[3]}-{c[4]}")
def test_core_chain_from_the_statistics_repeats_the_rows(case):
    """Every move of the family (tau, sigma, scale-line, collapsed sweep, interweaving,
    noise-scale, slab) from the statistics: the in-memory chain to rounding."""
    prior, params, groups, sigma_prior, intercept = case
    Xc, _, X, y = _centred(11, n=60)
    if intercept != "flat":  # the Normal / absent intercept needs centred columns
        X = Xc
    kw = {"draws": 20, "tune": 5, "chains": 1, "random_seed": 4, "prior_params": params,
          "groups": groups, "sigma_prior": sigma_prior, "intercept": intercept, "n_jobs": 1}  # fmt: skip
    mem = gibbs_sample(X, y, prior, **kw)
    ooc = gibbs_sample(_stats(X, y), None, prior, **kw)
    assert set(ooc) == set(mem) - {"log_likelihood"}
    for key in ooc:
        # Gram vs rows differ by rounding (~1e-15) and 100 sweeps do not amplify it (measured
        # ~1e-14); a wrong statistic changes the chain at O(1). Slice evaluation counts equal.
        np.testing.assert_allclose(ooc[key], mem[key], rtol=1e-9, atol=1e-9, err_msg=key)


# -- the whole path on Dask -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data():
    _, _, X, y = _centred(18, n=1500, p=8)
    return X, y, da.from_array(X, chunks=(400, 5)), da.from_array(y, chunks=400)


@pytest.mark.parametrize("name", list(FAMILY))
def test_horseshoe_family_gibbs_out_of_core_has_the_in_memory_layout(dask_client, data, name):
    X, y, Xd, yd = data
    prior, groups = FAMILY[name]
    kw = {"draws": 30, "tune": 10, "chains": 2, "sampler": "gibbs", "random_seed": 3,
          "progressbar": False, "cores": 1}  # fmt: skip
    mem = sample(build_model(X, y, prior=prior, groups=groups), **kw)
    ooc = sample(build_model(Xd, yd, prior=prior, groups=groups), **kw)
    for group in ("posterior", "sample_stats"):
        a, b = ooc[group].to_dataset(), mem[group].to_dataset()
        assert set(a.data_vars) == set(b.data_vars)
        for var in a.data_vars:
            assert a[var].dims == b[var].dims and a[var].shape == b[var].shape, var
        for coord in a.coords:
            np.testing.assert_array_equal(a[coord].values, b[coord].values)
    post_a, post_b = ooc["posterior"], mem["posterior"]
    # same seed and updates: the chain repeats to rounding (measured ~4e-15 over 130 sweeps)
    for var in post_a.data_vars:
        np.testing.assert_allclose(post_a[var].values, post_b[var].values, rtol=0, atol=1e-10)
    assert "log_likelihood" not in ooc.children  # no rows: LOO is not available
    assert ooc["posterior"].attrs["inference_library"] == "shrinkage.gibbs"


@pytest.mark.parametrize(
    "prior",
    [priors.Horseshoe(), priors.RegularizedHorseshoe(), priors.R2D2(), priors.HorseshoePlus(),
     priors.Laplace(0.3)],
    ids=["hs", "rhs", "r2d2", "hsplus", "lap"],
)  # fmt: skip
def test_auto_picks_gibbs_out_of_core(dask_client, data, prior):
    X, y, Xd, yd = data
    assert _resolve_sampler("auto", get_spec(build_model(Xd, yd, prior=prior))) == "gibbs"
    if not isinstance(prior, priors.Laplace):  # in memory, p <= n: the horseshoe keeps NUTS
        assert _resolve_sampler("auto", get_spec(build_model(X, y, prior=prior))) != "gibbs"


def test_auto_keeps_nuts_out_of_core_for_sets_it_may_not_pick(dask_client, data):
    """The group lasso (Gibbs vs NUTS not measured) is never picked by ``"auto"``."""
    _, _, Xd, yd = data
    model = build_model(Xd, yd, prior=priors.GroupLasso(), groups=GROUPS)
    assert _resolve_sampler("auto", get_spec(model)) != "gibbs"


def test_short_out_of_core_runs_keep_their_chains_in_process(monkeypatch):
    """``n_jobs=None`` out of core, no Dask client: a run estimated under
    ``IN_PROCESS_SECONDS`` in one process starts no worker process, a longer one does; with
    rows, always ``min(chains, cpus)``. The draws are the same either way (one seed stream
    per chain)."""
    import dask

    from shrinkage.inference.gibbs import core

    cpus = min(2, core.os.cpu_count())
    with dask.config.set(scheduler="sync"):  # no distributed client in use
        assert core.default_runner(True, 2, 2150, 50) == (None, 1)  # scale.py's (i): ~4 s
        assert core.default_runner(True, 2, 10**6, 50) == (None, cpus)
        assert core.default_runner(False, 2, 10, 5) == (None, cpus)
        monkeypatch.setattr(core.os, "cpu_count", lambda: 2)
        assert core.default_runner(True, 4, 10**4, 400) == (None, 2)  # 160 s estimated
    X, y = _centred(3)[2:]
    kw = {"draws": 20, "tune": 5, "chains": 2, "random_seed": 7}
    a = gibbs_sample(_stats(X, y), None, "horseshoe", n_jobs=1, **kw)
    b = gibbs_sample(_stats(X, y), None, "horseshoe", n_jobs=2, **kw)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_out_of_core_chains_run_on_the_dask_workers(dask_client):
    """With a ``distributed.Client`` active the chains are tasks on its workers (already
    running processes): the same draws as in this process."""
    from distributed import get_task_stream

    from shrinkage.inference.gibbs import core

    assert core.default_runner(True, 2, 2150, 50) == ("dask", 2)
    assert core.default_runner(False, 2, 2150, 50)[0] is None  # rows: never on the cluster
    X, y = _centred(3)[2:]
    kw = {"draws": 20, "tune": 5, "chains": 2, "random_seed": 7}
    here = gibbs_sample(_stats(X, y), None, "horseshoe", n_jobs=1, **kw)
    with get_task_stream(dask_client) as stream:
        there = gibbs_sample(_stats(X, y), None, "horseshoe", **kw)
    for key in here:
        np.testing.assert_array_equal(here[key], there[key])
    ran = {str(task["key"]) for task in stream.data}
    assert any("_run_chain" in key or "batch" in key.lower() for key in ran), ran


def test_sigma_reaches_its_posterior_within_the_warm_up_at_large_n():
    """At ``N = 2e7`` rows (2,000 rows repeated 10,000 times: exactly their statistics times
    10,000) ``log sigma^2`` has a posterior sd of ``sqrt(2/N)`` ~ 3e-4 and the slice steps a
    width of ~3 sds; a chain started ``e^{+-1}`` off must still reach the posterior within
    the default warm-up (the stepping-out limit keeps the reach of the unit width; with 20
    steps of ~1e-3 a chain here is still far off after it, and this test fails)."""
    import dataclasses

    _, _, X, y = _centred(11, n=2000, p=6)
    small = _stats(X, y)
    k = 10_000
    big = dataclasses.replace(
        small, n=small.n * k, xtx=small.xtx * k, xty=small.xty * k, yty=small.yty * k
    )
    res = gibbs_sample(
        big, None, "regularized_horseshoe", draws=20, chains=4, random_seed=3, n_jobs=1,
        intercept="flat", sigma_prior="halfnormal", sigma_scale=float(y.std()),
    )  # fmt: skip
    sigma = res["sigma"]
    centre = float(np.median(sigma))
    sd = centre / np.sqrt(2.0 * big.n)  # the posterior sd of sigma, ~1.6e-4 here
    # every kept draw of every chain within 8 posterior sds (a stuck chain is ~1000 off)
    assert np.all(np.abs(sigma - centre) < 8 * sd), np.abs(sigma - centre).max() / sd
