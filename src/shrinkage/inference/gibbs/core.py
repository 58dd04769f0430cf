r"""Gibbs sampler for Gaussian linear regression with scale-mixture shrinkage priors.

Model::

    y_i | c, beta, sigma ~ N(c + x_i' beta, sigma^2),
    c: flat (default), Normal(mean, sd), or absent (``intercept``),
    sigma: p(sigma^2) ∝ 1/sigma^2 (Jeffreys, default), sigma ~ HalfNormal(sigma_scale),
           or fixed (``fixed_sigma``),
    beta_j | sigma, scales ~ N(0, sigma^2 v_j)   (sigma-scaled priors)  or  N(0, v_j).

A Normal or absent intercept needs centred columns of ``X`` (then the intercept only meets the
data along ``1``; see :mod:`._gibbs_sigma`); the flat intercept works with any ``X``.

Priors (``prior_params`` keys and defaults in brackets):

========================= ===================================================================
``"gaussian"``            ``beta_j ~ N(0, scale^2)`` [scale=1, sigma_scaled=False]; with
                          ``sigma_scaled=True``, ``N(0, sigma^2 scale^2)``
``"laplace"``             ``beta_j ~ Laplace(0, b)`` [b=1], not sigma-scaled; exponential mixing
``"bayesian_lasso"``      Park & Casella (2008): ``beta_j | sigma ~ Laplace(0, sigma/lambda)``;
                          ``lasso_lambda`` fixed, or [None] ``lambda^2 ~ Gamma(r=1, delta=1.78)``
``"horseshoe"``           ``beta_j ~ N(0, tau^2 lam_j^2)``, ``lam_j ~ C+(0,1)``; with
                          [sigma_scaled=True] ``tau = sigma t``, ``t ~ C+(0, global_scale)``,
                          else ``tau ~ C+(0, global_scale)`` [global_scale=1]
``"regularized_horseshoe"`` Piironen & Vehtari (2017): variance
                          ``tau^2 c^2 lam^2 / (c^2 + tau^2 lam^2)``, ``tau`` as the horseshoe,
                          ``c^2 ~ InvGamma(slab_df/2, slab_df S^2/2)``, ``S = slab_scale sigma``
                          [slab_sigma_scaled=True] or ``slab_scale``
                          [global_scale=1, slab_scale=2, slab_df=4, sigma_scaled=True]
``"horseshoe_plus"``      Bhadra et al. (2017): ``beta_j ~ N(0, tau^2 lam_j^2)``,
                          ``lam_j = eta_j nu_j``, ``eta_j, nu_j ~ C+(0,1)``, ``tau`` as the
                          horseshoe (:mod:`.horseshoe_plus`)
``"group_lasso"``         Kyung et al. (2010): ``p(beta | sigma) ∝ exp(-(lambda/sigma)
                          sum_g w_g ||beta_g||)`` (``sigma = 1`` if not [sigma_scaled=True])
                          [lasso_lambda=None (estimated, r, delta as above), weights=None
                          meaning ``sqrt(group size)``]
``"group_horseshoe"``     ``beta_j ~ N(0, tau^2 lam_g^2)`` for ``j`` in group ``g``, ``tau`` as
                          the horseshoe
``"r2d2"``                Zhang et al. (2022), normal kernel: ``beta_j ~ N(0, sigma^2 W phi_j)``,
                          ``W = R^2/(1 - R^2)``, ``R^2 ~ Beta(a, b)``,
                          ``phi ~ Dirichlet(concentration)`` [concentration=0.5, a=1, b=1]
                          (:mod:`.r2d2`: the horseshoe's moves on ``tau = sigma sqrt(W/T)``)
========================= ===================================================================

Recorded ``tau`` (``c2``) is ``t = tau / sigma`` (``c^2 / sigma^2``) when sigma-scaled.

One sweep: (1) for the horseshoe family, the global scale ``tau`` is slice-sampled on
``log tau`` from its marginal with ``beta`` integrated out (Johndrow, Orenstein & Bhattacharya
2020) and ``sigma^2`` too when every scale is sigma-scaled and the noise prior is Jeffreys
(then ``sigma^2 | scales ~ InvGamma(N/2, (Q + e2)/2)``); otherwise ``tau`` is drawn given
``sigma`` and then ``log sigma^2`` is slice-sampled from ``p(sigma^2 | tau, lam, y)``, ``beta``
integrated out. Priors without a global scale draw ``sigma^2`` with ``beta`` integrated out
when sigma-scaled (inverse-gamma or generalized inverse Gaussian). Then ``beta | sigma^2,
scales`` exactly (Rue 2001 if ``p <= n``, Bhattacharya, Chakraborty & Mallick 2016 otherwise);
(2) local scales and hyper-parameters given ``beta`` (exact slice / inverse-Gaussian / gamma
updates), and for non-sigma-scaled priors without a global scale ``sigma^2 | beta``; the
horseshoe and regularized horseshoe run their collapsed ``(lam_j, beta_j)`` sweep
``local_sweeps`` times [1], each followed by a slice update of ``sigma^2 | beta`` (O(1)),
then, for the horseshoe and group horseshoe not tied to ``sigma``, a move scaling ``tau`` and
the bulk of ``beta`` together with ``sigma^2`` integrated out (``noise_scale_move``);
(3) the intercept. The horseshoe family keeps every ``thin``-th sweep [4]: its global scale
moves little per sweep, and more local sweeps per global step do not help (measured:
``docs/sampling.md``, "Why the priors' sampler defaults are what they are").
The flat intercept is integrated out of steps (1)-(2) by centring and rotating onto
``1``-perp (hence ``n - 1`` rows). Every step leaves the posterior invariant exactly.

Out of core (``X`` a :class:`~shrinkage.outofcore.GramStats`, ``y`` None) every step runs
from the centred statistics ``S_xx = X_c'X_c``, ``S_xy``, ``S_yy``, which are exactly the Gram
of the ``n - 1`` rotated rows: the Rue draw and the Rue-form marginal (``log det M`` by
Sylvester, ``Q = S_yy - b'B^{-1}b`` by Woodbury; :mod:`shrinkage.inference.linear_gaussian`)
already need only them; the collapsed ``(lam_j, beta_j)`` sweep keeps ``X'r`` in place of the
residual ``r`` (:func:`.updates.collapsed_gram_sweep`), and ``sigma``'s residual sums of squares
and the noise-scale move's ``r_L'r_L``, ``r_L'f_S``, ``f_S'f_S`` are quadratic forms in ``S_xx``.
Same conditionals, the same chain to rounding; O(p^2)-O(p^3) per sweep whatever ``n``. Only
the pointwise log-likelihood needs the rows (not computed).
"""

from __future__ import annotations

import contextlib
import copy
import os

import numpy as np

from shrinkage._validation import (
    as_float_matrix,
    as_float_vector,
    check_consistent_length,
    check_positive,
)
from shrinkage.inference.gibbs.horseshoe import (
    GroupHorseshoeUpdates,
    HorseshoeUpdates,
    RegularizedHorseshoeUpdates,
)
from shrinkage.inference.gibbs.horseshoe_plus import HorseshoePlusUpdates
from shrinkage.inference.gibbs.priors import (
    BayesianLassoUpdates,
    ElasticNetUpdates,
    GaussianUpdates,
    GroupLassoUpdates,
    LaplaceUpdates,
    Updates,
)
from shrinkage.inference.gibbs.r2d2 import R2D2Updates
from shrinkage.inference.gibbs.sigma import Intercept, Sigma
from shrinkage.inference.linear_gaussian import LinearGaussian

__all__ = ["UPDATES", "default_runner", "gibbs_sample"]

#: update sets by name: the ``prior`` argument of :func:`gibbs_sample`, and the
#: ``gibbs_updates`` attribute of the :mod:`shrinkage.priors` classes
UPDATES: dict[str, type[Updates]] = {
    u.name: u
    for u in (
        GaussianUpdates,
        LaplaceUpdates,
        ElasticNetUpdates,
        BayesianLassoUpdates,
        HorseshoeUpdates,
        RegularizedHorseshoeUpdates,
        HorseshoePlusUpdates,
        GroupLassoUpdates,
        GroupHorseshoeUpdates,
        R2D2Updates,
    )
}

_POSITIVE = (
    "scale",
    "b",
    "t",
    "lasso_lambda",
    "r",
    "delta",
    "global_scale",
    "slab_scale",
    "slab_df",
)


def gibbs_sample(
    X,
    y,
    prior: str,
    *,
    draws: int = 1000,
    tune: int | None = None,
    chains: int = 4,
    random_seed: int | None = None,
    groups=None,
    prior_params: dict | None = None,
    fixed_sigma: float | None = None,
    sigma_prior: str = "jeffreys",
    sigma_scale: float = 1.0,
    intercept: str | tuple[float, float] | None = "flat",
    n_jobs: int | None = None,
    progressbar: bool = False,
    method: str = "auto",
    thin: int | None = None,
    log_likelihood: bool = True,
) -> dict[str, np.ndarray]:
    """Draw from the posterior of a Gaussian linear model with a shrinkage prior by Gibbs sampling.

    Parameters
    ----------
    X : array-like, shape (n, p)
        Design, standardized (columns centred, divisor-n sd 1) by the caller.
    y : array-like, shape (n,)
        Response.
    prior : str
        One of ``"gaussian"``, ``"laplace"``, ``"elastic_net"``, ``"bayesian_lasso"``, ``"horseshoe"``,
        ``"regularized_horseshoe"``, ``"horseshoe_plus"``, ``"group_lasso"``, ``"group_horseshoe"``, ``"r2d2"`` (see
        module doc).
    draws, chains : int
        Kept draws and independent chains.
    tune : int, optional
        Discarded warm-up sweeps. Default: the prior's (150 for the horseshoe family, 1000
        otherwise).
    random_seed : int, optional
        Seeds a :class:`numpy.random.SeedSequence` spawned into one stream per chain.
    groups : array-like of int, shape (p,), optional
        Group label per column; required by the group priors.
    prior_params : dict, optional
        Overrides of the prior's defaults (module doc); unknown keys raise ``ValueError``.
    fixed_sigma : float, optional
        Known noise scale; ``sigma`` is then not sampled.
    sigma_prior : {"jeffreys", "halfnormal"}
        ``p(sigma^2) ∝ 1/sigma^2`` or ``sigma ~ HalfNormal(sigma_scale)``. Jeffreys gives an
        improper posterior when ``X`` can fit ``y`` exactly (``p >= n``): use the half-normal.
    sigma_scale : float
        Scale of the half-normal noise prior.
    intercept : "flat", None or (mean, sd)
        Flat prior (any ``X``), no intercept, or ``Normal(mean, sd)`` (these two need centred
        columns of ``X``).
    n_jobs : int, optional
        Worker processes for the chains; 1 runs them one after the other in this process.
        Default: :func:`default_runner` (out of core: the Dask workers when a
        ``distributed.Client`` is active). The draws do not depend on it (one seed stream per
        chain, one BLAS thread each).
    progressbar : bool
        Show a tqdm bar per chain (in-process runs only).
    method : {"auto", "rue", "bhattacharya"}
        Coefficient draw; ``"auto"`` is Rue when ``p <= n``.
    thin : int, optional
        Sweeps per kept draw after warm-up (``draws * thin`` sweeps, every ``thin``-th kept).
        Default 4 for the horseshoe family, whose global scale mixes slowly, 1 otherwise.
    log_likelihood : bool
        Compute the pointwise log-likelihood (``chains x draws x n`` numbers: turn it off
        for large ``n``).

    Returns
    -------
    dict of str to ndarray
        ``beta`` (chain, draw, p), ``intercept`` (unless None), ``sigma`` (chain, draw), the prior's scales
        (``tau``, ``lam`` (feature or group), ``c2``, ``lasso_lambda`` where present),
        ``log_likelihood`` (chain, draw, n; unless turned off or out of core), pointwise ``log N(y_i | c + x_i'beta, sigma^2)``,
        and ``slice_evals`` (chain, draw): log-density evaluations spent on ``tau``
        (horseshoe family only).
    """
    if hasattr(X, "xtx"):  # out of core: the centred statistics stand for X and y
        n, p = X.n, X.xtx.shape[0]
    else:
        X = as_float_matrix(X, "X")
        y = as_float_vector(y, "y")
        check_consistent_length(X, y)
        n, p = X.shape
    if n < 3:
        raise ValueError(f"need at least 3 rows; got {n}")
    params, labels = _check_prior(prior, p, groups, prior_params)
    spec = UPDATES[prior](p, labels, params)
    thin = resolve_thin(prior, thin)
    tune = resolve_tune(prior, tune)
    for name, value in (("draws", draws), ("tune", tune), ("chains", chains), ("thin", thin)):
        if not isinstance(value, (int, np.integer)) or value < (0 if name == "tune" else 1):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    sigma2_fixed = None if fixed_sigma is None else check_positive(fixed_sigma, "fixed_sigma") ** 2
    noise = (_check_sigma_prior(sigma_prior, sigma_scale), sigma2_fixed)
    _check_intercept(intercept, X)
    seeds = np.random.SeedSequence(random_seed).spawn(chains)
    args = (X, y, spec, draws, tune, thin, noise, intercept, method, log_likelihood)
    backend = None
    if n_jobs is None:
        backend, n_jobs = default_runner(hasattr(X, "xtx"), chains, tune + draws * thin, p)
    if n_jobs == 1 or chains == 1:
        results = [_run_chain_1thread(*args, s, progressbar) for s in seeds]
    elif backend == "dask":
        results = _run_on_cluster(args, seeds)
    else:
        from joblib import Parallel, delayed, parallel_config

        jobs = (delayed(_run_chain_1thread)(*args, s, False) for s in seeds)
        # no backend: joblib's default (loky processes)
        with parallel_config(backend=backend) if backend else contextlib.nullcontext():
            results = Parallel(n_jobs=n_jobs)(jobs)
    return {k: np.stack([r[k] for r in results]) for k in results[0]}


def _run_on_cluster(args: tuple, seeds: list) -> list[dict[str, np.ndarray]]:
    """One task per chain on the active ``distributed.Client``'s workers, gathered in order.

    Submitted directly rather than through joblib's Dask backend, whose batching costs a few
    tenths of a second per call (measured: docs/big-data.md); the arguments are the chain's
    state and the ``p x p`` statistics, never rows.
    """
    from shrinkage.outofcore.cache import _active_client

    client = _active_client()
    futures = [client.submit(_run_chain_1thread, *args, s, False, pure=False) for s in seeds]
    return client.gather(futures)


#: seconds of one sweep from the statistics (out of core), per ``max(1, p / 100)``: an upper
#: estimate (measured 0.3-1.7 ms for p = 20-200; at p = 50 0.8-0.9 ms, then ~0.5 ms since the
#: compiled Rue factor and the narrower log sigma^2 slices; docs/big-data.md)
SWEEP_SECONDS_OUT_OF_CORE = 1e-3

#: a run estimated to take at most this long in one process keeps its chains there: starting a
#: worker process (a fresh interpreter importing numpy, scipy, numba and loading the compiled
#: kernels) took 1-4 s of a 2-core machine's CPU, more the busier it is (docs/big-data.md)
IN_PROCESS_SECONDS = 5.0


def default_runner(out_of_core: bool, chains: int, sweeps: int, p: int) -> tuple[str | None, int]:
    """Where ``chains`` chains of ``sweeps`` sweeps run by default: ``(backend, jobs)``.

    Out of core, with a ``distributed.Client`` active, the chains are tasks on its workers
    (``("dask", chains)``): processes already running, next to the data's statistics, so no
    process is started. Otherwise ``(None, min(chains, cpu_count))`` (joblib's processes),
    except out of core when the whole run is estimated at most ``IN_PROCESS_SECONDS`` in one
    process, ``chains * sweeps * SWEEP_SECONDS_OUT_OF_CORE * max(1, p / 100)``: then
    ``(None, 1)``, the chains one after the other here. From the statistics a sweep costs
    ``O(p^3)`` whatever ``n``, so the estimate holds; with rows it depends on ``n`` and the
    chains always get their processes. The draws never depend on the choice.
    """
    if out_of_core and chains > 1 and _cluster_active():
        return "dask", chains
    cores = min(chains, os.cpu_count() or 1)
    if not out_of_core:
        return None, cores
    seconds = chains * sweeps * SWEEP_SECONDS_OUT_OF_CORE * max(1.0, p / 100)
    return None, 1 if seconds <= IN_PROCESS_SECONDS else cores


def _cluster_active() -> bool:
    from shrinkage.outofcore.cache import _active_client

    return _active_client() is not None


def resolve_thin(prior: str, thin: int | None) -> int:
    """Sweeps per kept draw: ``thin``, or the prior's default (4 for the horseshoe family)."""
    return UPDATES[prior].default_thin if thin is None else thin


def resolve_tune(prior: str, tune: int | None) -> int:
    """Warm-up sweeps: ``tune``, or the prior's default (150 for the horseshoe family)."""
    return UPDATES[prior].default_tune if tune is None else tune


def _check_prior(prior, p, groups, prior_params):
    if prior not in UPDATES:
        raise ValueError(f"unknown prior {prior!r}; choose one of {sorted(UPDATES)}")
    sweeps = (prior_params or {}).get("local_sweeps", 1)
    if not isinstance(sweeps, (int, np.integer)) or sweeps < 1:
        raise ValueError(f"local_sweeps must be a positive integer; got {sweeps!r}")
    params = dict(UPDATES[prior].defaults)
    unknown = set(prior_params or {}) - set(params)
    if unknown:
        raise ValueError(f"unknown prior_params for {prior!r}: {sorted(unknown)}")
    params.update(prior_params or {})
    for key in _POSITIVE:
        if params.get(key) is not None:
            params[key] = check_positive(params[key], key)
    labels = None
    if UPDATES[prior].needs_groups:
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


def _check_sigma_prior(sigma_prior, sigma_scale):
    if sigma_prior not in ("jeffreys", "halfnormal"):
        raise ValueError(f"sigma_prior must be 'jeffreys' or 'halfnormal'; got {sigma_prior!r}")
    return sigma_prior, check_positive(sigma_scale, "sigma_scale")


def _centred_data(X, y, method: str):
    """``(data, n, x_mean, y_mean, var_y)``: the centred model without the intercept direction.

    From rows (``_drop_intercept``), or from a :class:`~shrinkage.outofcore.GramStats` whose
    centred ``S_xx``, ``S_xy``, ``S_yy`` are exactly the Gram of those ``n - 1`` rows (Rue form).
    """
    if hasattr(X, "xtx"):
        data = LinearGaussian.from_gram(X.xtx, X.xty, X.yty)
        data.n = X.n - 1
        return data, X.n, X.mean, X.y_mean, X.yty / X.n
    x_mean, y_mean = X.mean(axis=0), y.mean()
    data = LinearGaussian(*_drop_intercept(X - x_mean, y - y_mean), method=method)
    return data, X.shape[0], x_mean, y_mean, float(np.var(y))


def _rss(data: LinearGaussian, beta: np.ndarray) -> float:
    """``||y - X beta||^2`` of the centred model, from the rows or from the statistics."""
    if data.X is None:
        return float(data.yty - 2.0 * beta @ data.Xty + beta @ data.XtX @ beta)
    resid = data.y - data.X @ beta
    return float(resid @ resid)


def _check_intercept(intercept, X):
    if isinstance(intercept, str) and intercept == "flat":
        return
    if intercept is not None:
        if isinstance(intercept, str) or len(intercept) != 2:
            raise ValueError(f"intercept must be 'flat', None or (mean, sd); got {intercept!r}")
        if not np.isfinite(float(intercept[0])):
            raise ValueError("intercept mean must be finite")
        check_positive(intercept[1], "intercept sd")
    # the Normal / absent intercept meets the data only along 1 when the columns are centred
    if hasattr(X, "xtx"):  # statistics: the column means and sds say it
        off = float(np.max(np.abs(X.mean) / np.maximum(X.std, 1e-300), initial=0.0))
    else:
        off = np.abs(X.mean(axis=0)).max() / max(1.0, float(np.abs(X).max()))
    if off > 1e-8:
        raise ValueError(
            "a Normal or absent intercept needs centred columns of X (standardize=True); "
            "use intercept='flat' otherwise"
        )


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

    # one BLAS thread: the matrices are small and threaded BLAS on a loaded machine is far
    # slower (docs/sampling.md); the chains use the cores instead
    with threadpool_limits(1):
        return _run_chain(*args)


def _run_chain(
    X, y, spec: Updates, draws, tune, thin, noise, intercept, method, loglik, seed, progressbar
):
    """Run one chain; return arrays with a leading draw dimension."""
    rng = np.random.default_rng(seed)
    prior = copy.deepcopy(spec)
    prior.init(rng)
    data, n, x_mean, y_mean, var_y = _centred_data(X, y, method)
    icpt = Intercept(intercept, n, y_mean, x_mean)
    (sigma_prior, sigma_scale), sigma2_fixed = noise
    sig = Sigma(data.n + icpt.extra_rows, sigma_prior, sigma_scale, sigma2_fixed)
    if sig.sampled:
        sig.sigma2 = var_y * np.exp(rng.normal())
    out: dict[str, list] = {"beta": [], "sigma": []}
    sweeps = range(tune + draws * thin)
    if progressbar:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # tqdm is optional: run without a bar
            pass
        else:
            sweeps = tqdm(sweeps)
    for it in sweeps:
        sig.e2 = icpt.e2()
        fac = prior.step(data, sig, rng)
        beta = fac.draw(np.sqrt(sig.sigma2), rng)
        beta = prior.update(data, beta, sig, rng)
        if not prior.sigma_done:
            sig.draw(_rss(data, beta), rng)
        icpt.update(sig.sigma2, rng)
        if it >= tune and (it - tune) % thin == thin - 1:
            out["beta"].append(beta)
            out["sigma"].append(np.sqrt(sig.sigma2))
            if icpt.kind != "none":
                out.setdefault("intercept", []).append(icpt.value(beta, sig.sigma2, rng))
            for key, value in (prior.record(sig) | prior.stats()).items():
                out.setdefault(key, []).append(np.copy(value))
    res = {k: np.asarray(v) for k, v in out.items()}
    if data.X is None or not loglik:  # out of core: no rows, no pointwise log-likelihood
        return res
    mu = res.get("intercept", np.zeros(draws))[:, None] + res["beta"] @ X.T
    s = res["sigma"][:, None]
    res["log_likelihood"] = -0.5 * np.log(2 * np.pi * s**2) - 0.5 * ((y - mu) / s) ** 2
    return res
