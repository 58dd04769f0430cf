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
