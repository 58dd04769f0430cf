r"""Gibbs sampler for Gaussian linear regression with scale-mixture shrinkage priors.

Model (X already standardized, y centred; neither is required for correctness)::

    y_i | c, beta, sigma ~ N(c + x_i' beta, sigma^2),       p(c) ∝ 1 (flat intercept),
    p(sigma^2) ∝ 1/sigma^2 (Jeffreys) unless ``fixed_sigma`` is given,
    beta_j | sigma, scales ~ N(0, sigma^2 v_j)   (sigma-scaled priors)  or  N(0, v_j).

Priors (``prior_params`` keys and defaults in brackets):

========================= ===================================================================
``"gaussian"``            ``beta_j ~ N(0, scale^2)`` [scale=1, sigma_scaled=False]; with
                          ``sigma_scaled=True``, ``N(0, sigma^2 scale^2)``
``"laplace"``             ``beta_j ~ Laplace(0, b)`` [b=1], not sigma-scaled; exponential mixing
``"bayesian_lasso"``      Park & Casella (2008): ``beta_j | sigma ~ Laplace(0, sigma/lambda)``;
                          ``lasso_lambda`` fixed, or [None] ``lambda^2 ~ Gamma(r=1, delta=1.78)``
``"horseshoe"``           ``beta_j ~ N(0, sigma^2 tau^2 lam_j^2)``, ``lam_j ~ C+(0,1)``,
                          ``tau ~ C+(0, global_scale)`` [global_scale=1]
``"regularized_horseshoe"`` Piironen & Vehtari (2017), sigma-scaled: variance
                          ``sigma^2 tau^2 c^2 lam^2 / (c^2 + tau^2 lam^2)``,
                          ``c^2 ~ InvGamma(slab_df/2, slab_df slab_scale^2/2)``
                          [global_scale=1, slab_scale=2, slab_df=4]
``"group_lasso"``         Kyung et al. (2010): ``p(beta | sigma) ∝ exp(-(lambda/sigma)
                          sum_g w_g ||beta_g||)`` [lasso_lambda=None (estimated, r, delta as
                          above), weights=None meaning ``sqrt(group size)``]
``"group_horseshoe"``     ``beta_j ~ N(0, sigma^2 tau^2 lam_g^2)`` for ``j`` in group ``g``
========================= ===================================================================

One sweep: (1) for sigma-scaled priors, the global scale ``tau`` is slice-sampled on
``log tau`` from its marginal with ``beta`` and ``sigma^2`` integrated out (Johndrow, Orenstein &
Bhattacharya 2020), then ``sigma^2 | scales ~ InvGamma((n-1)/2, Q/2)`` with ``beta``
integrated out, then ``beta | sigma^2, scales`` exactly (Rue 2001 if ``p <= n``, Bhattacharya,
Chakraborty & Mallick 2016 otherwise); for the two non-sigma-scaled priors, ``beta | sigma^2``
and ``sigma^2 | beta ~ InvGamma((n-1)/2, RSS/2)``; (2) local scales and hyper-parameters given
``beta`` (exact slice / inverse-Gaussian / gamma updates); (3) the intercept
``c | beta, sigma ~ N(mean(y - X beta), sigma^2/n)``. The flat intercept is integrated out of
steps (1)-(2) by centring and rotating onto ``1``-perp (hence ``n - 1`` rows). Every step
leaves the posterior invariant exactly.
Only the Jeffreys prior on ``sigma^2`` (or a fixed ``sigma``) is supported.
"""

from __future__ import annotations

import copy
import os

import numpy as np

from shrinkage._validation import (
    as_float_matrix,
    as_float_vector,
    check_consistent_length,
    check_positive,
)
from shrinkage.inference._gibbs_draws import LinearGaussian
from shrinkage.inference._gibbs_priors import DEFAULTS, GROUP_PRIORS, PRIORS, Prior

__all__ = ["gibbs_sample"]

_POSITIVE = ("scale", "b", "lasso_lambda", "r", "delta", "global_scale", "slab_scale", "slab_df")


def gibbs_sample(
    X,
    y,
    prior: str,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    groups=None,
    prior_params: dict | None = None,
    fixed_sigma: float | None = None,
    n_jobs: int | None = None,
    progressbar: bool = False,
    method: str = "auto",
) -> dict[str, np.ndarray]:
    """Draw from the posterior of a Gaussian linear model with a shrinkage prior by Gibbs sampling.

    Parameters
    ----------
    X : array-like, shape (n, p)
        Design, standardized (columns centred, divisor-n sd 1) by the caller.
    y : array-like, shape (n,)
        Response.
    prior : str
        One of ``"gaussian"``, ``"laplace"``, ``"bayesian_lasso"``, ``"horseshoe"``,
        ``"regularized_horseshoe"``, ``"group_lasso"``, ``"group_horseshoe"`` (see module doc).
    draws, tune, chains : int
        Kept draws, discarded warm-up sweeps and independent chains.
    random_seed : int, optional
        Seeds a :class:`numpy.random.SeedSequence` spawned into one stream per chain.
    groups : array-like of int, shape (p,), optional
        Group label per column; required by the group priors.
    prior_params : dict, optional
        Overrides of the prior's defaults (module doc); unknown keys raise ``ValueError``.
    fixed_sigma : float, optional
        Known noise scale; ``sigma`` is then not sampled.
    n_jobs : int, optional
        Worker processes for the chains (default ``min(chains, cpu_count)``); 1 runs in-process.
    progressbar : bool
        Show a tqdm bar per chain (in-process runs only).
    method : {"auto", "rue", "bhattacharya"}
        Coefficient draw; ``"auto"`` is Rue when ``p <= n``.

    Returns
    -------
    dict of str to ndarray
        ``beta`` (chain, draw, p), ``intercept``, ``sigma`` (chain, draw), the prior's scales
        (``tau``, ``lam`` (feature or group), ``c2``, ``lasso_lambda`` where present),
        ``log_likelihood`` (chain, draw, n), pointwise ``log N(y_i | c + x_i'beta, sigma^2)``,
        and ``slice_evals`` (chain, draw): log-density evaluations spent on ``tau``
        (horseshoe family only).
    """
    X = as_float_matrix(X, "X")
    y = as_float_vector(y, "y")
    check_consistent_length(X, y)
    n, p = X.shape
    if n < 3:
        raise ValueError(f"need at least 3 rows; got {n}")
    params, labels = _check_prior(prior, p, groups, prior_params)
    for name, value in (("draws", draws), ("tune", tune), ("chains", chains)):
        if not isinstance(value, (int, np.integer)) or value < (0 if name == "tune" else 1):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    sigma2_fixed = None if fixed_sigma is None else check_positive(fixed_sigma, "fixed_sigma") ** 2
    spec = PRIORS[prior](p, labels, params)
    seeds = np.random.SeedSequence(random_seed).spawn(chains)
    args = (X, y, spec, draws, tune, sigma2_fixed, method)
    n_jobs = min(chains, os.cpu_count() or 1) if n_jobs is None else n_jobs
    if n_jobs == 1 or chains == 1:
        results = [_run_chain_1thread(*args, s, progressbar) for s in seeds]
    else:
        from joblib import Parallel, delayed

        jobs = (delayed(_run_chain_1thread)(*args, s, False) for s in seeds)
        results = Parallel(n_jobs=n_jobs)(jobs)
    return {k: np.stack([r[k] for r in results]) for k in results[0]}


def _check_prior(prior, p, groups, prior_params):
    if prior not in PRIORS:
        raise ValueError(f"unknown prior {prior!r}; choose one of {sorted(PRIORS)}")
    params = dict(DEFAULTS[prior])
    unknown = set(prior_params or {}) - set(params)
    if unknown:
        raise ValueError(f"unknown prior_params for {prior!r}: {sorted(unknown)}")
    params.update(prior_params or {})
    for key in _POSITIVE:
        if params.get(key) is not None:
            params[key] = check_positive(params[key], key)
    labels = None
    if prior in GROUP_PRIORS:
        if groups is None:
            raise ValueError(f"prior {prior!r} needs `groups` (one integer label per column)")
        raw = np.asarray(groups)
        if raw.shape != (p,):
            raise ValueError(f"groups must have one label per column ({p}); got shape {raw.shape}")
        _, labels = np.unique(raw, return_inverse=True)
        w = params.get("weights")
        if w is not None:
            w = np.asarray(w, dtype=float)
            if w.shape != (labels.max() + 1,) or np.any(~np.isfinite(w)) or np.any(w <= 0):
                raise ValueError("weights must be positive and finite, one per group")
    elif groups is not None:
        raise ValueError(f"prior {prior!r} takes no groups")
    return params, labels


def _drop_intercept(Xc: np.ndarray, yc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate centred data onto the orthogonal complement of the ones vector (n - 1 rows).

    A Householder reflection ``H`` maps ``1`` to ``-sqrt(n) e_1``; rows 2..n of ``H`` are an
    orthonormal basis of ``1``-perp, so ``Z = (H X_c)[1:]`` has ``Z'Z = X_c'X_c`` and the flat
    intercept is integrated out exactly. Working in n - 1 dimensions keeps ``I + g X D X'``
    numerically positive definite for huge ``g`` (centred ``X D X'`` is singular along ``1``).
    """
    n = yc.size
    v = np.ones(n)
    v[0] += np.sqrt(n)
    coef = 2.0 / (v @ v)
    Z = Xc - np.outer(v, coef * (v @ Xc))
    z = yc - v * (coef * (v @ yc))
    return Z[1:], z[1:]


def _run_chain_1thread(*args):
    from threadpoolctl import threadpool_limits

    # one BLAS thread: the matrices are small, and threaded BLAS on a loaded machine was ~90x
    # slower here (0.16 ms -> 14 ms for X D X' with n=100, p=200); chains use the cores instead
    with threadpool_limits(1):
        return _run_chain(*args)


def _run_chain(X, y, spec: Prior, draws, tune, sigma2_fixed, method, seed, progressbar):
    """Run one chain; return arrays with a leading draw dimension."""
    rng = np.random.default_rng(seed)
    prior = copy.deepcopy(spec)
    prior.init(rng)
    n = X.shape[0]
    x_mean, y_mean = X.mean(axis=0), y.mean()
    data = LinearGaussian(*_drop_intercept(X - x_mean, y - y_mean), method=method)
    n_eff = data.n  # n - 1: the flat intercept is integrated out
    sigma2 = sigma2_fixed if sigma2_fixed is not None else float(np.var(y)) * np.exp(rng.normal())
    out: dict[str, list] = {"beta": [], "intercept": [], "sigma": []}
    sweeps = range(tune + draws)
    if progressbar:
        from tqdm.auto import tqdm

        sweeps = tqdm(sweeps)
    for it in sweeps:
        if prior.sigma_scaled:
            fac = prior.factor(data, sigma2_fixed, rng)
            if sigma2_fixed is None:
                sigma2 = 0.5 * fac.quad / rng.gamma(0.5 * n_eff)
            beta = fac.draw(np.sqrt(sigma2), rng)
        else:
            fac = data.kernel(prior.variances() / sigma2).factor(1.0)
            beta = fac.draw(np.sqrt(sigma2), rng)
            if sigma2_fixed is None:
                resid = data.y - data.X @ beta
                sigma2 = 0.5 * float(resid @ resid) / rng.gamma(0.5 * n_eff)
        beta = prior.update(data, beta, sigma2, rng)
        if it >= tune:
            intercept = y_mean - x_mean @ beta + np.sqrt(sigma2 / n) * rng.standard_normal()
            out["beta"].append(beta)
            out["intercept"].append(intercept)
            out["sigma"].append(np.sqrt(sigma2))
            for key, value in (prior.record() | prior.stats()).items():
                out.setdefault(key, []).append(np.copy(value))
    res = {k: np.asarray(v) for k, v in out.items()}
    mu = res["intercept"][:, None] + res["beta"] @ X.T
    s = res["sigma"][:, None]
    res["log_likelihood"] = -0.5 * np.log(2 * np.pi * s**2) - 0.5 * ((y - mu) / s) ** 2
    return res
