"""Shared data for the solver tests (module-level caches keep the suite fast)."""

from functools import cache

import numpy as np
from sklearn.datasets import load_breast_cancer

from shrinkage.datasets import load_diabetes, load_prostate


@cache
def diabetes():
    X, y = load_diabetes()
    return X.to_numpy(), y.to_numpy()


@cache
def prostate():
    X, y = load_prostate()
    X = X.to_numpy()
    return (X - X.mean(0)) / X.std(0), y.to_numpy()


@cache
def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y.astype(float)


@cache
def synthetic(n=80, p=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:5] = [2.0, -1.5, 1.0, 0.5, -0.8]
    return X, X @ w + 3.0 + rng.standard_normal(n)
