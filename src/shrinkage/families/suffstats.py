"""Gaussian likelihood from sufficient statistics, and its pointwise form for LOO.

For ``y_i ~ N(a + x_i' beta, sigma)``, ``i = 1..n``, the log-likelihood depends on the data only
through ``X'X``, ``X'y``, ``1'X``, ``1'y``, ``y'y``:

.. math::

    \\log p = -\\frac{n}{2}\\log(2\\pi) - n\\log\\sigma - \\frac{\\mathrm{RSS}}{2\\sigma^2},\\quad
    \\mathrm{RSS} = S_{yy} - 2\\beta'S_{xy} + \\beta'S_{xx}\\beta + n(\\bar y - a - \\bar x'\\beta)^2

with the centred statistics ``S_xx = (X - 1 xbar')'(X - 1 xbar')``, ``S_xy``, ``S_yy`` (the cross
terms vanish because centred columns sum to zero). They come from numpy ``X``, ``y`` or, out of
core, from a :class:`~shrinkage.outofcore.GramStats` computed in one Dask pass.

Each evaluation then costs O(p^2) instead of O(n p). The observed variable keeps its name
``y`` and its data ``y_data`` (so ``observed_data`` and posterior predictive draws work); its
log-density ignores the value passed and uses the statistics computed once at build time
(:func:`suffstat_vector`; :func:`shrinkage.build_model` passes them as model data).
"""

from __future__ import annotations

import math

import numpy as np

LOG_2PI = math.log(2.0 * math.pi)


def suffstat_vector(X, y) -> np.ndarray:
    """``(n, ybar, S_yy, xbar, S_xy, vec(S_xx))`` as one float vector (row-major ``S_xx``).

    The centred statistics of :func:`_centred`, from numpy ``X``, ``y`` or from a
    :class:`~shrinkage.outofcore.GramStats` ``X`` (``y`` unused); length ``3 + 2p + p^2``.
    """
    n, xbar, ybar, sxx, sxy, syy = _centred(X, y)
    return np.concatenate([[n, ybar, syy], xbar, sxy, np.asarray(sxx, float).ravel()])


def unpack_suffstats(stats, p: int) -> tuple:
    """``n, xbar, ybar, S_xx, S_xy, S_yy`` from a :func:`suffstat_vector` layout (tensor or array)."""
    n, ybar, syy = stats[0], stats[1], stats[2]
    xbar, sxy = stats[3 : 3 + p], stats[3 + p : 3 + 2 * p]
    return n, xbar, ybar, stats[3 + 2 * p :].reshape((p, p)), sxy, syy


def _n_features(X) -> int:
    return int(X.mean.shape[0]) if hasattr(X, "xtx") else int(np.shape(X)[1])


def gaussian_suffstat_likelihood(X_data, beta, a, y_data, sigma, dims, X, y, stats=None):
    """Observed ``y`` whose log-density is the sufficient-statistics Gaussian log-likelihood.

    ``X``, ``y`` (numpy) give the statistics, or ``X`` is a
    :class:`~shrinkage.outofcore.GramStats` (``y`` unused), unless ``stats`` holds them (a
    tensor in the layout of :func:`suffstat_vector`, e.g. model data, so that a refit on new
    rows reuses the compiled model); ``X_data`` (``pm.Data``) is used only to draw predictions,
    so ``pm.set_data`` with new rows still predicts at those rows.
    """
    import pymc as pm
    import pytensor.tensor as pt

    if stats is None:
        stats = pt.as_tensor_variable(suffstat_vector(X, y))
    n, xbar, ybar, sxx, sxy, syy = unpack_suffstats(stats, _n_features(X))

    def logp(value, beta, a, sigma, _X):
        rss = (
            syy
            - 2.0 * pt.dot(beta, sxy)
            + pt.dot(beta, pt.dot(sxx, beta))
            + n * (ybar - a - pt.dot(beta, xbar)) ** 2
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


def _centred(X, y) -> tuple[int, np.ndarray, float, np.ndarray, np.ndarray, float]:
    """``n``, ``xbar``, ``ybar``, ``S_xx``, ``S_xy``, ``S_yy`` from arrays or statistics."""
    if hasattr(X, "xtx"):  # a GramStats (duck-typed: families sit above outofcore's users)
        return X.n, X.mean, float(X.y_mean), X.xtx, X.xty, float(X.yty)
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    xbar, ybar = X.mean(axis=0), float(y.mean())
    Xc, yc = X - xbar, y - ybar
    return X.shape[0], xbar, ybar, Xc.T @ Xc, Xc.T @ yc, float(yc @ yc)


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
