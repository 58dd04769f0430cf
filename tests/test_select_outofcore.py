"""Selection (projection, SAVS, DSS) of a Gaussian model built on Dask data, on a real cluster.

The same posterior draws are given to a model built in memory and to one built on Dask data of
the same rows, so every difference comes from the out-of-core route: the search and the
projections on the ``p + 2`` square-root rows of the statistics (exact algebra: closed-form
least squares, agreement to rounding, ~1e-14), PSIS-LOO in one pass merged from per-partition
moments (sums of 500 O(1) terms: ~1e-11), DSS's adaptive-lasso path (solver tolerance 1e-10 on
the duality gap: coefficients within ~1e-8). Hence the tolerances 1e-8 (1e-6 for DSS).
"""

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from shrinkage.model import build_model
from shrinkage.priors import Laplace
from shrinkage.select import dss, projection, savs

ATOL = 1e-8  # module docstring
N, P = 500, 8
NAMES = [f"f{j}" for j in range(P)]


@pytest.fixture(scope="module")
def fits():
    """In-memory and Dask models of the same rows, and synthetic draws around the OLS fit."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N, P)) * np.arange(1, P + 1) + 3.0
    X[:, 1] += 0.6 * X[:, 0]  # correlated columns: the projection is not a subset of beta
    Z = (X - X.mean(0)) / X.std(0)
    y = Z @ np.r_[1.0, -0.8, 0.5, 0.3, np.zeros(P - 4)] + 2 + rng.standard_normal(N)
    df = pd.DataFrame(X, columns=NAMES).assign(y=y)
    ddf = dd.from_pandas(df, npartitions=3)
    data = (ddf.drop(columns="y"), ddf["y"])
    mem = build_model(df[NAMES], df["y"], prior=Laplace(0.5))
    return mem, data, _draws(Z, (y - y.mean()) / y.std(), rng)


def _draws(Z, yz, rng, chains=2, draws=100):
    ols = np.linalg.lstsq(Z, yz, rcond=None)[0]
    dims = ("chain", "draw")
    post = xr.Dataset(
        {
            "beta": ((*dims, "feature"), ols + 0.05 * rng.standard_normal((chains, draws, P))),
            "intercept": (dims, 0.03 * rng.standard_normal((chains, draws))),
            "sigma": (dims, 0.6 + 0.02 * rng.standard_normal((chains, draws))),
        },
        coords={"chain": np.arange(chains), "draw": np.arange(draws), "feature": NAMES},
    )
    return xr.DataTree.from_dict({"posterior": post})


@pytest.mark.parametrize("search", ["l1", "forward"])
def test_projection_from_dask_equals_in_memory(dask_client, fits, search):
    mem, data, idata = fits
    dsk = build_model(*data, prior=Laplace(0.5))
    kw = {"search": search, "max_size": 5, "n_draws": 40}
    a = projection(idata, mem, **kw)
    b = projection(idata, dsk, data=data, **kw)
    assert a.path == b.path and a.suggested_size == b.suggested_size
    assert a.path[:4] == ["f0", "f1", "f2", "f3"]  # the signals enter first
    cols = ["elpd", "elpd_diff", "diff_se", "pareto_k_max"]
    np.testing.assert_allclose(b.sizes[cols], a.sizes[cols], rtol=0, atol=ATOL)
    np.testing.assert_allclose(b.reference_elpd, a.reference_elpd, rtol=0, atol=ATOL)
    np.testing.assert_allclose(b.reference_se, a.reference_se, rtol=0, atol=ATOL)
    pa, pb = a.project(3)["posterior"], b.project(3)["posterior"]
    for name in ("beta", "beta_original", "intercept", "intercept_original", "sigma"):
        np.testing.assert_allclose(pb[name].values, pa[name].values, rtol=0, atol=ATOL)


def test_savs_and_dss_from_dask_equal_in_memory(dask_client, fits):
    mem, data, idata = fits
    dsk = build_model(*data, prior=Laplace(0.5))
    s_mem, s_dsk = savs(idata, mem), savs(idata, dsk)
    np.testing.assert_allclose(s_dsk.coef.values, s_mem.coef.values, rtol=0, atol=ATOL)
    assert s_dsk.selected == s_mem.selected
    d_mem, d_dsk = dss(idata, mem), dss(idata, dsk)
    # the path is solved to a duality gap of 1e-10 on both sides (module docstring)
    np.testing.assert_allclose(d_dsk.coefs.to_numpy(), d_mem.coefs.to_numpy(), rtol=0, atol=1e-6)
    assert d_dsk.selected == d_mem.selected


def test_out_of_core_refusals(dask_client, fits):
    mem, data, idata = fits
    dsk = build_model(*data, prior=Laplace(0.5))
    with pytest.raises(ValueError, match=r"PSIS-LOO.*pass data=\(X, y\)"):
        projection(idata, dsk, max_size=3, n_draws=40)
    with pytest.raises(ValueError, match="K-fold"):
        projection(idata, dsk, max_size=3, validate=3, data=data)
    with pytest.raises(TypeError, match="Dask collections"):
        projection(idata, dsk, max_size=3, data=(np.zeros((N, P)), np.zeros(N)))
    wrong = (data[0].rename(columns={"f0": "g0"}), data[1])
    with pytest.raises(ValueError, match="do not match the model's features"):
        projection(idata, dsk, max_size=3, n_draws=40, data=wrong)
    with pytest.raises(ValueError, match="model built on Dask data"):
        projection(idata, mem, max_size=3, data=data)


def test_glm_selection_out_of_core_is_refused(fits):
    # a logistic model (in memory) offered the Dask rows: its projections would be GLM fits
    _, data, idata = fits
    X = data[0].compute().to_numpy()
    y01 = (data[1].compute().to_numpy() > 2).astype(float)
    glm = build_model(X, y01, prior=Laplace(0.5), family="bernoulli")
    glm_draws = idata.copy()
    glm_draws["posterior"] = idata["posterior"].to_dataset().drop_vars("sigma").assign_coords(
        feature=[f"x{j}" for j in range(P)]
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"bernoulli family out of core.*sample of rows"):
        projection(glm_draws, glm, max_size=3, data=data)


def test_chunked_rows_merge_exactly(monkeypatch, fits):
    # a worker bounds its rows x draws matrices by chunks of rows: the merged moments must not
    # depend on the chunking (Chan et al.'s update is exact; rounding ~1e-13 on O(1) values)
    from shrinkage.outofcore.stats import _frame_spec
    from shrinkage.select import _loo_dask

    _, data, _ = fits
    part = data[0].partitions[0].compute()
    spec, names = _frame_spec(data[0])
    rng = np.random.default_rng(1)
    S = 40  # PSIS needs >= 40 draws (projection._MIN_LOO_DRAWS)
    ref = (rng.standard_normal((S, P)), rng.standard_normal(S), 1 + rng.random(S))
    proj = [
        (np.array([0, 2]), rng.standard_normal((S, 2)), rng.standard_normal(S), 1 + rng.random(S))
    ]
    scaling = (part.mean().to_numpy(), part.std().to_numpy(), 2.0, 1.5)
    args = (part, data[1].partitions[0].compute(), 0, spec, names, scaling, ref, proj, 1.0, 2)
    (n1, m1, M1), k1 = _loo_dask._partition(*args)
    monkeypatch.setattr(_loo_dask, "_CHUNK_VALUES", 7 * S)  # 7 rows per chunk
    (n2, m2, M2), k2 = _loo_dask._partition(*args)
    assert n1 == n2 == len(part)
    np.testing.assert_allclose(m2, m1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(M2, M1, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(k2, k1)
