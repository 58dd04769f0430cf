"""Tests of shrinkage.report against hand-built fits (tests/_fake_fits.py) and plain numpy."""

import _numpy_ref as ref
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from arviz_base import rc_context

from shrinkage import report as R
from shrinkage.report.stats import kappa_draws, zero_mass_draws

# Re-computations below follow the same formulas with different numpy operations (direct sums
# instead of FFT autocovariances, argsort ranks, sorted windows): they agree up to floating-point
# rounding, so rtol 1e-9 (rounding of sums over <= 2000 draws is ~1e-13 relative).
RTOL = 1e-9

# ---------------------------------------------------------------- fast tests (no sampling)


def _fake_tree(beta, lam=None, tau=None, sigma=None, c2=None, names=None):
    """A DataTree with the contract's names from given draws (chain, draw, p)."""
    chains, draws, p = beta.shape
    names = names or [f"f{j}" for j in range(p)]
    coords = {"chain": np.arange(chains), "draw": np.arange(draws), "feature": names}
    post = {"beta": (("chain", "draw", "feature"), beta)}
    for name, val in (("lam", lam), ("tau", tau), ("sigma", sigma), ("c2", c2)):
        if val is not None:
            post[name] = (("chain", "draw", "feature")[: val.ndim], val)
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset(post, coords=coords)})
    tree.attrs["n_obs"] = 100
    return tree


def test_zero_mass_core_matches_indicator_mean(rng):
    beta = rng.normal(scale=[0.05, 1.0, 3.0], size=(2, 500, 3))
    mass, mcse = zero_mass_draws(beta, np.full(3, 0.1))
    inside = np.abs(beta) < 0.1
    np.testing.assert_allclose(mass, inside.mean(axis=(0, 1)), rtol=RTOL)
    # iid draws: ESS ~ S, so MCSE ~ sqrt(p(1-p)/S); ESS of iid draws is estimated within ~20%
    naive = np.sqrt(mass * (1 - mass) / 1000)
    np.testing.assert_allclose(mcse, naive, rtol=0.2)


def test_zero_mass_eps_mapping_and_errors(rng):
    tree = _fake_tree(rng.normal(scale=0.1, size=(2, 50, 3)))
    out = R.zero_mass(tree, eps={"f1": 0.5})
    assert list(out["eps"]) == [0.1, 0.5, 0.1]
    with pytest.raises(ValueError, match="unknown feature"):
        R.zero_mass(tree, eps={"nope": 0.5})
    with pytest.raises(ValueError, match="> 0"):
        R.zero_mass(tree, eps=-1.0)
    with pytest.raises(ValueError, match="one value per coefficient"):
        R.zero_mass(tree, eps=[0.1, 0.2])
    with pytest.raises(TypeError, match="DataTree"):
        R.zero_mass({"posterior": None})


def test_kappa_formula_and_regularization():
    # n=100, sigma=1, tau=0.1, lam=1 -> kappa = 1/(1 + 100 * 0.01) = 0.5
    one = np.ones((1, 1))
    assert kappa_draws(100, one, 0.1 * one, np.ones((1, 1, 1)))[0, 0, 0] == pytest.approx(0.5)
    # the slab caps lam_tilde^2 at c2/tau^2: huge lam gives kappa = 1/(1 + n c2 / sigma^2)
    k = kappa_draws(100, one, 0.1 * one, np.full((1, 1, 1), 1e8), c2=0.04 * one)
    assert k[0, 0, 0] == pytest.approx(1 / (1 + 100 * 0.04), rel=1e-9)


def test_shrinkage_factors_needs_local_scales(rng):
    tree = _fake_tree(rng.normal(size=(2, 50, 3)))
    with pytest.raises(R.NoLocalScalesError, match="lam, tau"):
        R.shrinkage_factors(tree)
    with pytest.raises(R.NoLocalScalesError):
        R.retained(tree, "kappa")
    with pytest.raises(ValueError, match="unknown rule"):
        R.retained(tree, "bogus")


def test_intervals_follow_rcparams_and_say_so(rng):
    tree = _fake_tree(rng.normal(loc=[0, 3, -3], size=(2, 400, 3)))
    with rc_context({"stats.ci_prob": 0.5, "stats.ci_kind": "hdi"}):
        table = R.credible_intervals(tree, retained_only=False)
    assert table.attrs == {"ci_prob": 0.5, "ci_kind": "hdi", "ci_source": "ArviZ rcParams"}
    assert set(table["ci"]) == {"50% hdi"}
    flat = tree["posterior"]["beta"].to_numpy().reshape(-1, 3)
    for j, name in enumerate(table.index):
        np.testing.assert_allclose(table.loc[name, ["lower", "upper"]], ref.hdi(flat[:, j], 0.5))
    passed = R.credible_intervals(tree, 0.9, "eti", retained_only=False)
    assert passed.attrs["ci_source"] == "passed" and passed["ci"].iloc[0] == "90% eti"
    np.testing.assert_allclose(passed["lower"], np.quantile(flat, 0.05, axis=0), rtol=RTOL)


def test_compare_validates_input(rng):
    with pytest.raises(ValueError, match="at least two"):
        R.compare({"a": _fake_tree(rng.normal(size=(2, 50, 3)))})
    trees = {k: _fake_tree(rng.normal(size=(2, 50, 3))) for k in "ab"}
    with pytest.raises(ValueError, match="log_likelihood"):
        R.compare(trees)


# ---------------------------------------------------------------- on the sampled fits (slow)


@pytest.mark.slow
@pytest.mark.parametrize("prior", ["rhs", "laplace"])
def test_default_rule_retains_signals(fits, synth, prior):
    rep = R.report(fits[prior])
    kept = set(rep.retained)
    assert set(synth.signals) <= kept
    assert len(kept - set(synth.signals)) <= 2
    zm = rep.table["zero_mass"]
    assert zm[synth.nulls].min() > zm[synth.signals].max()
    # the same through the functional API
    assert R.retained(fits[prior]) == rep.retained
    # on this Gaussian signal / noise set the default rule's change (zero_mass -> one_sided)
    # changes no verdict: every posterior sits on one side of the zero region or inside it
    assert rep.table["retained_one_sided"].equals(rep.table["retained_zero_mass"])
    assert not rep.table["undetermined"].any()


def _flat(tree, var):
    return tree["posterior"][var].transpose("chain", "draw", ...).to_numpy()


@pytest.mark.slow
@pytest.mark.parametrize("prior", ["rhs", "laplace"])
def test_every_table_number_recomputed_with_numpy(fits, prior):
    tree = fits[prior]
    table = R.report(tree).to_pandas()
    prob, kind = table.attrs["ci_prob"], table.attrs["ci_kind"]
    assert kind == "eti"  # ArviZ's default; hdi is checked in test_intervals_follow_rcparams
    beta, beta_o = _flat(tree, "beta"), _flat(tree, "beta_original")
    const = tree["constant_data"]
    eps = 0.1
    for j, name in enumerate(table.index):
        row = table.loc[name]
        for suffix, x in (("", beta[..., j]), ("_original", beta_o[..., j])):
            flat = x.ravel()
            np.testing.assert_allclose(row[f"mean{suffix}"], flat.mean(), rtol=RTOL)
            np.testing.assert_allclose(row[f"median{suffix}"], np.median(flat), rtol=RTOL)
            np.testing.assert_allclose(row[f"sd{suffix}"], flat.std(ddof=1), rtol=RTOL)
            lo, hi = np.quantile(flat, [(1 - prob) / 2, (1 + prob) / 2])
            np.testing.assert_allclose(row[f"lower{suffix}"], lo, rtol=RTOL)
            np.testing.assert_allclose(row[f"upper{suffix}"], hi, rtol=RTOL)
        x = beta[..., j]
        np.testing.assert_allclose(row["ess_bulk"], ref.ess_bulk(x), rtol=RTOL)
        np.testing.assert_allclose(row["ess_tail"], ref.ess_tail(x), rtol=RTOL)
        np.testing.assert_allclose(row["r_hat"], ref.rhat_rank(x), rtol=RTOL)
        inside = (np.abs(x) < eps).astype(float)
        p = inside.mean()
        np.testing.assert_allclose(row["zero_mass"], p, rtol=RTOL)
        mcse = 0.0 if p in (0, 1) else np.sqrt(inside.var(ddof=1) / ref.ess_mean(inside))
        np.testing.assert_allclose(row["zero_mass_mcse"], mcse, rtol=RTOL, atol=1e-15)
        eps_o = eps * float(const["y_scale"]) / float(const["x_scale"].sel(feature=name))
        np.testing.assert_allclose(row["eps_original"], eps_o, rtol=RTOL)
        assert row["retained_interval"] == bool(row["lower"] > 0 or row["upper"] < 0)
        assert row["retained_zero_mass"] == bool(1 - p >= 0.5)
        above, below = (x >= eps).mean(), (x <= -eps).mean()
        sides = row[["p_positive", "p_negative"]].to_numpy(dtype=float)
        np.testing.assert_allclose(sides, [above, below], rtol=RTOL)
        assert row["retained_one_sided"] == bool(max(above, below) >= 0.5)
        # the default rule: "one_sided" since the zero-mass rule retained every feature of
        # nearly separable logistic fits (docs/zero-clustering.md, "Why one side")
        assert row["retained"] == row["retained_one_sided"]
    if prior == "rhs":
        sig, tau, c2 = (_flat(tree, v)[..., None] for v in ("sigma", "tau", "c2"))
        lam2 = _flat(tree, "lam") ** 2
        lam2 = c2 * lam2 / (c2 + tau**2 * lam2)
        kappa = 1 / (1 + 100 * tau**2 * lam2 / sig**2)
        np.testing.assert_allclose(table["kappa_mean"], kappa.mean(axis=(0, 1)), rtol=RTOL)
        assert (table["retained_kappa"] == (table["kappa_mean"] < 0.5)).all()
    else:
        assert "kappa_mean" not in table


@pytest.mark.slow
def test_health_and_loo_recomputed(fits):
    tree = fits["rhs"]
    rep = R.report(tree)
    h = rep.health
    assert h.divergences == int(tree["sample_stats"]["diverging"].sum())
    post = tree["posterior"].to_dataset()
    rhats, ess = [], []
    for var in ("beta", "lam", "tau", "sigma", "c2", "intercept"):
        x = post[var].transpose("chain", "draw", ...).to_numpy()
        x = x.reshape(x.shape[0], x.shape[1], -1)
        rhats += [ref.rhat_rank(x[..., k]) for k in range(x.shape[-1])]
        ess += [ref.ess_bulk(x[..., k]) for k in range(x.shape[-1])]
    assert h.max_r_hat >= max(rhats) - 1e-12  # the report scans every posterior variable
    assert h.min_ess_bulk <= min(ess) + 1e-9
    # PSIS-LOO: p_loo = lpd - elpd_loo with lpd = sum_i log mean_s p(y_i | theta_s)
    ll = tree["log_likelihood"]["y"].to_numpy().reshape(-1, 100)
    lpd = np.sum(np.log(np.mean(np.exp(ll), axis=0)))
    np.testing.assert_allclose(rep.loo.p_loo, lpd - rep.loo.elpd, rtol=1e-9)
    assert sum(rep.loo.k_counts.values()) == 100


@pytest.mark.slow
def test_health_warnings_in_words(fits):
    tree = fits["laplace"].copy()
    stats = tree["sample_stats"].to_dataset()
    div = stats["diverging"].copy(data=np.zeros(stats["diverging"].shape, bool))
    div[0, :12] = True
    tree["sample_stats"] = xr.DataTree(stats.assign(diverging=div))
    post = tree["posterior"].to_dataset()
    beta = post["beta"].copy()
    beta.loc[{"chain": 0, "feature": "gene_07"}] += 1.0  # chains disagree -> large r_hat
    tree["posterior"] = xr.DataTree(post.assign(beta=beta))
    warnings = R.report(tree).health.warnings
    assert any(w.startswith("12 divergent transitions") for w in warnings)
    assert any("r_hat" in w and "beta[gene_07]" in w for w in warnings)


@pytest.mark.slow
def test_feature_names_in_every_table_and_cross_check(fits, synth, tmp_path):
    tree = fits["rhs"]
    cc = pd.DataFrame({"map": 0.0, "lasso": 0.0}, index=synth.X.columns)
    rep = R.report(tree, cross_check=cc)
    names = list(synth.X.columns)
    assert list(rep.to_pandas().index) == names
    assert {"map", "lasso"} <= set(rep.compact().columns)
    for text in (str(rep), rep.to_markdown(), rep.to_html()):
        for s in synth.signals:
            assert s in text
    for name in names:
        assert name in rep.to_markdown()  # the full table lists every feature
    assert list(R.zero_mass(tree).index) == names
    assert set(R.credible_intervals(tree).index) >= set(synth.signals)
    with pytest.raises(ValueError, match="unknown feature"):
        R.report(tree, cross_check=pd.DataFrame({"map": [0.0]}, index=["nope"]))
    paths = rep.save(tmp_path / "rep")
    for key in ("markdown", "html", "csv", "forest", "zero_mass", "near_zero"):
        assert paths[key].stat().st_size > 0
    assert "shrinkage_factors" in paths


@pytest.mark.slow
def test_compare_table(fits):
    table = R.compare(fits)
    assert set(table.index) == {"rhs", "laplace"}
    assert {"elpd", "p", "elpd_diff", "weight"} <= set(table.columns)
