"""One-pass statistics of Dask data against numpy, on a real two-process LocalCluster."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from shrinkage.outofcore import GramStats, gram_stats, is_dask

# float64 sums of a few thousand O(1) products: rounding ~ n * 1e-16 relative, well below 1e-12
REL = 1e-12


def _data(n=3000, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * [1, 10, 0.1, 5, 2] + [3, -100, 0.5, 1e3, 0]
    y = X @ rng.standard_normal(p) + 7 + rng.standard_normal(n)
    return X, y


def _rel(a, b):
    return np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b))


def test_is_dask_without_importing_dask_types():
    assert is_dask(da.zeros(3)) and not is_dask(np.zeros(3)) and not is_dask(pd.Series([1.0]))


def test_statistics_equal_numpy(dask_client):
    X, y = _data()
    s = gram_stats(da.from_array(X, chunks=(700, 2)), da.from_array(y, chunks=500))
    assert isinstance(s, GramStats) and s.n == X.shape[0]
    Xc, yc = X - X.mean(0), y - y.mean()
    assert _rel(s.mean, X.mean(0)) < REL and _rel(s.std, X.std(0)) < REL
    assert _rel(s.xtx, Xc.T @ Xc) < REL and _rel(s.xty, Xc.T @ yc) < REL
    assert abs(s.yty / (yc @ yc) - 1) < REL
    assert abs(s.y_mean / y.mean() - 1) < REL and abs(s.y_std / y.std() - 1) < REL
    assert s.feature_names == [f"x{j}" for j in range(5)]


def test_frame_with_known_categories_expands_drop_first(dask_client):
    X, y = _data(n=1200, p=5, seed=1)
    df = pd.DataFrame(X, columns=list("abcde"))
    rng = np.random.default_rng(2)
    df["g"] = pd.Categorical(rng.choice(["lo", "mid", "hi"], len(df)), ["lo", "mid", "hi"])
    df["y"] = y
    ddf = dd.from_pandas(df, npartitions=3)
    s = gram_stats(ddf.drop(columns="y"), ddf["y"])
    assert s.feature_names == ["a", "b", "c", "d", "e", "g[mid]", "g[hi]"]
    Z = np.column_stack([X, df["g"] == "mid", df["g"] == "hi"]).astype(float)
    Zc = Z - Z.mean(0)
    assert _rel(s.xtx, Zc.T @ Zc) < REL and _rel(s.xty, Zc.T @ (y - y.mean())) < REL


def test_unknown_categories_are_refused():
    df = pd.DataFrame({"a": np.arange(6.0), "g": pd.Categorical(list("ababab"))})
    ddf = dd.from_pandas(df, npartitions=2)
    ddf["g"] = ddf["g"].cat.as_unknown()
    with pytest.raises(ValueError, match=r"'g' has unknown categories.*categorize"):
        gram_stats(ddf)


def test_nan_partition_is_named(dask_client):
    X, y = _data(n=900)
    X[650, 3] = np.nan
    with pytest.raises(ValueError, match=r"partition 2 .*NaN in column 'x3' at row 50"):
        gram_stats(da.from_array(X, chunks=(300, 5)), da.from_array(y, chunks=300))


def test_inf_in_y_and_non_numeric_value_are_named(dask_client):
    X, y = _data(n=600)
    y[10] = np.inf
    with pytest.raises(ValueError, match=r"partition 0 .*inf in column 'y'"):
        gram_stats(da.from_array(X, chunks=(300, 5)), da.from_array(y, chunks=300))
    df = pd.DataFrame({"a": np.arange(6.0), "b": ["1", "2", "3", "4", "x", "6"]})
    with pytest.raises(ValueError, match=r"partition 1 \(file 'f1.csv'\): column 'b' .*'x'"):
        gram_stats(dd.from_pandas(df, npartitions=2), sources=["f0.csv", "f1.csv"])


def test_finite_values_whose_squares_overflow_are_refused(dask_client):
    # the statistics pass finds non-finite values through its means and co-moments; finite
    # values beyond ~1e154 overflow the co-moments without a NaN or inf in the data
    X, y = _data(n=600)
    X[400, 1] = 1e200
    with pytest.raises(ValueError, match=r"partition 1: .*overflow float64"):
        gram_stats(da.from_array(X, chunks=(300, 5)), da.from_array(y, chunks=300))


def test_misaligned_partitions_are_refused():
    df = pd.DataFrame({"a": np.arange(8.0), "y": np.arange(8.0) ** 2})
    with pytest.raises(ValueError, match="4 partitions but y has 2"):
        gram_stats(dd.from_pandas(df[["a"]], npartitions=4), dd.from_pandas(df["y"], 2))


def test_package_imports_without_dask():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None\n"
        "import shrinkage.outofcore, shrinkage.model, shrinkage.estimators, shrinkage.solvers\n"
        "import numpy as np\n"
        "assert not shrinkage.outofcore.is_dask(np.zeros(2))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_partitions_longer_than_a_chunk(dask_client):
    """Partitions of more rows than ``CHUNK_ROWS`` are centred chunk by chunk (the last chunk
    short): the same statistics, and a NaN in a later chunk named by its row in the partition."""
    from shrinkage.outofcore.stats import CHUNK_ROWS

    X, y = _data(n=2 * CHUNK_ROWS + 123)
    chunks = CHUNK_ROWS + CHUNK_ROWS // 2  # partitions of 1.5 and 0.5 chunks (+ 123 rows)
    s = gram_stats(da.from_array(X, chunks=(chunks, 5)), da.from_array(y, chunks=chunks))
    Xc, yc = X - X.mean(0), y - y.mean()
    assert s.n == X.shape[0] and _rel(s.mean, X.mean(0)) < REL
    assert _rel(s.xtx, Xc.T @ Xc) < REL and _rel(s.xty, Xc.T @ yc) < REL
    assert abs(s.yty / (yc @ yc) - 1) < REL
    X[CHUNK_ROWS + 7, 1] = np.nan
    with pytest.raises(ValueError, match=rf"partition 0 .*'x1' at row {CHUNK_ROWS + 7}\b"):
        gram_stats(da.from_array(X, chunks=(chunks, 5)), da.from_array(y, chunks=chunks))


def test_rows_sorted_along_a_trend_are_centred_again(monkeypatch):
    """A first chunk whose mean is over a sd off the partition's (rows sorted along a trend)
    sends the partition through a second centring at its mean (the shortcut's precision loss
    ``1 + n d^2 / M_jj`` is then above 2); random rows take one read. numpy's statistics
    either way."""
    from shrinkage.outofcore import stats

    reads = []
    shifted = stats._shifted_comoments
    monkeypatch.setattr(stats, "_shifted_comoments", lambda *a: reads.append(1) or shifted(*a))
    X, y = _data(n=3 * stats.CHUNK_ROWS)
    order = np.argsort(X[:, 3])
    for rows, expected_reads in ((slice(None), 1), (order, 2)):
        Xs, ys = X[rows], y[rows]
        reads.clear()
        m, M = stats._centred_comoments(Xs, ys)
        assert len(reads) == expected_reads
        Z = np.column_stack([Xs, ys])
        Zc = Z - Z.mean(0)
        assert _rel(m, Z.mean(0)) < REL and _rel(M, Zc.T @ Zc) < REL
