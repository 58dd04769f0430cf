import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)


@pytest.fixture(scope="session")
def synth():
    from _fake_fits import synthetic

    return synthetic()


@pytest.fixture(scope="session")
def fits(synth):
    """Regularized horseshoe and Laplace fits (2 chains x 600 draws), sampled once per session."""
    from _fake_fits import fit

    return {"rhs": fit(synth, "rhs"), "laplace": fit(synth, "laplace")}


# Data of the solver tests (tests/test_solvers_*.py): loaded once per session, read-only.
@pytest.fixture(scope="session")
def diabetes_xy():
    from shrinkage.datasets import load_diabetes

    X, y = load_diabetes()
    return X.to_numpy(), y.to_numpy()


@pytest.fixture(scope="session")
def prostate_xy():
    from shrinkage.datasets import load_prostate

    X, y = load_prostate()
    X = X.to_numpy()
    return (X - X.mean(0)) / X.std(0), y.to_numpy()


@pytest.fixture(scope="session")
def breast_cancer_xy():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y.astype(float)


@pytest.fixture(scope="session")
def synthetic_xy():
    """n = 80, p = 30, five non-zero coefficients, intercept 3, unit noise."""
    rng = np.random.default_rng(0)
    n, p = 80, 30
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:5] = [2.0, -1.5, 1.0, 0.5, -0.8]
    return X, X @ w + 3.0 + rng.standard_normal(n)


@pytest.fixture(scope="module")
def fast_compile_module():
    """PyTensor FAST_COMPILE (and PyMC's chatter off) for a module of tiny fits."""
    import logging

    import pytensor

    logging.getLogger("pymc").setLevel(logging.ERROR)
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


@pytest.fixture(scope="module")
def prostate_frame():
    """The prostate data (ESL 3.2) as one DataFrame, the response ``lpsa`` included."""
    from shrinkage.datasets import load_prostate

    X, y = load_prostate()
    return X.assign(lpsa=y)


DASK_WORKERS = 2


@pytest.fixture(scope="session")
def _dask_session_client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=DASK_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def dask_client(_dask_session_client):
    """A real two-process Dask cluster for the out-of-core tests, closed at session end.

    After each test the cluster has its two workers again: a test that kills one leaves the
    nanny restarting it, and the next test would otherwise see one worker (the cache's
    ``"auto"`` rule parses one partition per worker).
    """
    yield _dask_session_client
    _dask_session_client.wait_for_workers(DASK_WORKERS, timeout=120)


@pytest.fixture(autouse=True)
def _pytensor_config_left_alone():
    """A test that leaves PyTensor's global config changed fails (and the config is restored).

    A leaked ``mode`` changes how every later model compiles, hence the draws of later tests
    with fixed seeds: ``test_gibbs_matches_nuts[Laplace]`` failed in full runs only, after
    three concurrent fits had left the Python VM as the default mode.
    """
    import pytensor

    flags = ("mode", "cxx", "floatX")
    before = {name: getattr(pytensor.config, name) for name in flags}
    yield
    # Mode objects compare by identity, the string flags by value
    changed = {k: v for k, v in before.items() if getattr(pytensor.config, k) != v}
    if changed:
        left = {k: getattr(pytensor.config, k) for k in changed}
        for name, value in changed.items():
            setattr(pytensor.config, name, value)
        pytest.fail(f"the test left PyTensor's config changed: {left} (was {changed})")
