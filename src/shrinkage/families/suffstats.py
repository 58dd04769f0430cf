"""Gaussian likelihood from sufficient statistics, and its pointwise form for LOO.

For ``y_i ~ N(a + x_i' beta, sigma)``, ``i = 1..n``, the log-likelihood depends on the data only
through ``X'X``, ``X'y``, ``1'X``, ``1'y``, ``y'y``:

.. math::

    \\log p = -\\frac{n}{2}\\log(2\\pi) - n\\log\\sigma - \\frac{\\mathrm{RSS}}{2\\sigma^2},\\quad
    \\mathrm{RSS} = y'y - 2\\beta'X'y - 2a\\,1'y + \\beta'X'X\\beta + 2a\\,\\beta'X'1 + n a^2.

Each evaluation then costs O(p^2) instead of O(n p). The observed variable keeps its name
``y`` and its data ``y_data`` (so ``observed_data`` and posterior predictive draws work); its
log-density ignores the value passed and uses the statistics computed once at build time
(:func:`suffstat_vector`; :func:`shrinkage.build_model` passes them as model data).
"""

from __future__ import annotations

import math

import numpy as np

LOG_2PI = math.log(2.0 * math.pi)


def suffstat_vector(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(n, y'y, 1'y, X'y, 1'X, vec(X'X))`` as one float vector (row-major ``X'X``)."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    return np.concatenate(
        [[X.shape[0], y @ y, y.sum()], X.T @ y, X.sum(axis=0), (X.T @ X).ravel()]
    )


def gaussian_suffstat_likelihood(X_data, beta, a, y_data, sigma, dims, X, y, stats=None):
    """Observed ``y`` whose log-density is the sufficient-statistics Gaussian log-likelihood.

    ``X``, ``y`` (numpy) give the statistics, unless ``stats`` holds them (a tensor in the
    layout of :func:`suffstat_vector`, e.g. model data, so that a refit on new rows reuses
    the compiled model); ``X_data`` (``pm.Data``) is used only to draw predictions, so
    ``pm.set_data`` with new rows still predicts at those rows.
    """
    import pymc as pm
    import pytensor.tensor as pt

    p = np.shape(X)[1]
    if stats is None:
        stats = pt.as_tensor_variable(suffstat_vector(X, y))
    n, yty, y1 = stats[0], stats[1], stats[2]
    xty, x1 = stats[3 : 3 + p], stats[3 + p : 3 + 2 * p]
    xtx = stats[3 + 2 * p :].reshape((p, p))

    def logp(value, beta, a, sigma, _X):
        rss = (
            yty
            - 2.0 * pt.dot(beta, xty)
            - 2.0 * a * y1
            + pt.dot(beta, pt.dot(xtx, beta))
            + 2.0 * a * pt.dot(beta, x1)
            + n * a**2
        )
        # a scalar: PyMC sums an observed term's log-density anyway, and broadcasting it over
        # the n rows would put O(n) work back into every gradient. Pointwise values (LOO) are
        # computed after sampling by gaussian_pointwise_loglik.
        return -0.5 * n * LOG_2PI - n * pt.log(sigma) - rss / (2.0 * sigma**2)

    def random(beta, a, sigma, X_new, rng=None, size=None):
        mu = np.einsum("...np,...p->...n", X_new, beta) + np.asarray(a)[..., None]
        sd = np.asarray(sigma)[..., None]
        # with a core signature, ``size`` is the batch shape only (rows excluded)
        shape = mu.shape if size is None else (*tuple(size), mu.shape[-1])
        return mu + sd * rng.standard_normal(size=np.broadcast_shapes(shape, mu.shape))

    a = pt.as_tensor_variable(np.float64(a)) if isinstance(a, float | int) else a
    sigma = pt.as_tensor_variable(np.float64(sigma)) if isinstance(sigma, float | int) else sigma
    return pm.CustomDist(
        "y",
        beta,
        a,
        sigma,
        X_data,
        logp=logp,
        random=random,
        signature="(p),(),(),(n,p)->(n)",
        observed=y_data,
        dims=dims,
    )


def gaussian_pointwise_loglik(X, y, beta, a, sigma, chunk_bytes: int = 2**28) -> np.ndarray:
    """``log N(y_i | a + x_i'beta, sigma)`` for posterior draws.

    ``beta`` has shape (..., p); ``a`` and ``sigma`` broadcast to (...); returns (..., n).
    Computed in chunks of draws to bound the temporary memory to about ``chunk_bytes``.
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    beta = np.asarray(beta, float)
    lead = beta.shape[:-1]
    a = np.broadcast_to(np.asarray(a, float), lead).reshape(-1)
    sigma = np.broadcast_to(np.asarray(sigma, float), lead).reshape(-1)
    b = beta.reshape(-1, beta.shape[-1])
    n = X.shape[0]
    out = np.empty((b.shape[0], n))
    step = max(1, chunk_bytes // (8 * max(n, 1)))
    for s in range(0, b.shape[0], step):
        sl = slice(s, s + step)
        r = (y[None, :] - b[sl] @ X.T - a[sl, None]) / sigma[sl, None]
        out[sl] = -0.5 * LOG_2PI - np.log(sigma[sl, None]) - 0.5 * r**2
    return out.reshape(*lead, n)
