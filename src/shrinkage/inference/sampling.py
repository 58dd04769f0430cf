"""``sample``, the funnel: one entry point in front of the sampler backends.

It validates the arguments, reads the model's :class:`~shrinkage.model.ModelSpec` once,
picks the backend (``sampler`` and ``form``; :mod:`shrinkage.inference.backend` states the
contract), runs it and hands its draws to :func:`shrinkage.inference._idata.assemble`.
No backend imports this module: the backends only know the contract.
"""

from __future__ import annotations

import importlib.util
import numbers
from typing import TYPE_CHECKING, Any, Literal

from shrinkage.inference._idata import assemble
from shrinkage.inference.backend import Backend, SampleRequest
from shrinkage.inference.nuts import Nuts
from shrinkage.model import ModelSpec, get_spec

if TYPE_CHECKING:
    import pymc as pm
    import xarray as xr

__all__ = ["sample"]

Sampler = Literal["auto", "nutpie", "pymc", "gibbs"]
Form = Literal["auto", "marginal", "noncentred"]


def _resolve_sampler(sampler: str, spec: ModelSpec | None = None) -> str:
    """``"gibbs"``, ``"nutpie"`` or ``"pymc"``; ``"auto"`` asks ``prefer_gibbs(spec)``."""
    if sampler == "auto":
        from shrinkage.inference.gibbs.spec import prefer_gibbs

        if spec is not None and prefer_gibbs(spec):
            return "gibbs"
        return "nutpie" if importlib.util.find_spec("nutpie") is not None else "pymc"
    if sampler == "gibbs":
        return sampler
    if sampler not in ("nutpie", "pymc"):
        raise ValueError(f"sampler must be 'auto', 'nutpie', 'pymc' or 'gibbs'; got {sampler!r}")
    return sampler


def sample(
    model: pm.Model,
    *,
    draws: int = 1000,
    tune: int | None = None,
    chains: int = 4,
    cores: int | None = None,
    random_seed: int | None = None,
    sampler: Sampler = "auto",
    target_accept: float | None = None,
    progressbar: bool = True,
    log_likelihood: bool = True,
    form: Form = "auto",
    **kwargs: Any,
) -> xr.DataTree:
    """Draw from the posterior of a model built by :func:`shrinkage.build_model`.

    Checks ``sampler`` and ``form``, reads the model's spec once, picks a backend
    (:mod:`shrinkage.inference.backend`) and assembles its draws into one DataTree layout
    (:mod:`shrinkage.inference._idata`), whichever backend ran. Why each default is what it
    is: ``docs/sampling.md``.

    Parameters
    ----------
    model : pymc.Model
    draws, chains : int
        Integers >= 1 (``ValueError`` otherwise, as for ``tune`` < 0, ``cores`` < 1 and a
        ``target_accept`` outside (0, 1)).
    tune : int, optional
        NUTS tuning steps (default 1000), or the Gibbs sampler's discarded warm-up sweeps
        (default per prior: 150 for the horseshoe family, 1000 otherwise; Gibbs adapts
        nothing, so its warm-up is burn-in only).
    cores : int, optional
        Chains run in parallel on ``min(chains, os.cpu_count())`` cores by default.
    random_seed : int, optional
    sampler : {"auto", "nutpie", "pymc", "gibbs"}
        ``"gibbs"``: the exact Gibbs sampler (Gaussian family; Gaussian, Laplace,
        ElasticNet, BayesianLasso, Horseshoe, RegularizedHorseshoe, HorseshoePlus, GroupLasso,
        GroupHorseshoe and R2D2 priors),
        same posterior and layout. ``"auto"``: Gibbs where
        :func:`~shrinkage.inference.gibbs.spec.prefer_gibbs` says so (the Gaussian family
        with a horseshoe-family, horseshoe+ or R2D2 prior and more features than rows,
        ``p > n``, where NUTS is
        slow and divergent; or with a Gaussian, Laplace, elastic-net or Bayesian-lasso prior
        and ``p <= min(n, 500)``, where the blocked Gibbs draw of ``beta`` is several times
        faster per effective draw; or with any of those priors on out-of-core data, where
        Gibbs runs from ``X'X`` in seconds and NUTS compiles for minutes); otherwise nutpie
        when installed, else PyMC's NUTS.
    target_accept : float, optional
        NUTS target acceptance; default per prior (0.99 for the horseshoe family, 0.9
        otherwise), 0.8 for the marginal form. Ignored by the Gibbs sampler.
    progressbar : bool
    log_likelihood : bool
        Store the pointwise log-likelihood (for LOO). It holds ``chains x draws x n`` numbers
        (3.2 GB for 4 x 1000 draws at n = 100000): turn it off for large ``n`` (the Gibbs
        sampler then does not compute it either).
    form : {"auto", "marginal", "noncentred"}
        How NUTS explores the model. ``"marginal"``: ``beta`` integrated out exactly
        (``y ~ N(a 1, sigma^2 I + X D X')``, ``D`` = beta's prior variances), NUTS on the
        scales, ``sigma`` and the intercept, then one exact draw of ``beta`` from its Gaussian
        conditional per draw (:mod:`shrinkage.inference.marginal.sampler`); same posterior and
        layout. Gaussian family with a Horseshoe, RegularizedHorseshoe, GroupHorseshoe,
        HorseshoePlus or R2D2 prior only. ``"noncentred"``: the model as built. ``"auto"``: ``"marginal"`` where it
        applies, else the model as built. Ignored by the Gibbs sampler; a form other than
        ``"auto"`` with ``sampler="auto"`` asks for NUTS. A marginal gradient
        costs O(n^2 p) for ``p > n`` and O(p^3) for ``p <= n`` against O(n p) or O(p^2)
        non-centred, but NUTS needs far fewer of them and has no funnel to diverge in; for
        ``min(n, p)`` in the thousands ``"noncentred"`` (or the Gibbs sampler) can be faster
        per effective draw. With nutpie the marginal form adapts the mass matrix from the
        draws (``adaptation="draw_diag"``) and, when ``p > n``, runs one tree doubling past
        the U-turn (``extra_doublings=1``); ``nuts={...}`` overrides either.
    **kwargs
        Passed to ``pymc.sample`` (e.g. ``nuts={"max_treedepth": 12}``; with nutpie,
        ``nuts={"adaptation": "low_rank"}``), or to ``gibbs_sample`` for Gibbs (e.g.
        ``method``, ``thin``).

    Returns
    -------
    xarray.DataTree
        Groups ``posterior``, ``sample_stats``, ``log_likelihood`` (``y``), ``observed_data``,
        ``constant_data`` (with ``x_center``, ``x_scale``, ``y_center``, ``y_scale``); attrs
        ``shrinkage_prior``, ``shrinkage_family``, ``n_obs``; the ``posterior`` and
        ``sample_stats`` attrs name the backend (``inference_library``, ``sampling_time``,
        ``tuning_steps``; ``thinning`` for Gibbs, ``shrinkage_form`` for the marginal form).
    """
    _check_arguments(draws=draws, tune=tune, chains=chains, cores=cores)
    _check_target_accept(target_accept)
    spec = get_spec(model)
    backend = _backend(sampler, form, spec)
    request = SampleRequest(
        draws=draws, tune=tune, chains=chains, cores=cores, random_seed=random_seed,
        progressbar=progressbar, target_accept=target_accept, log_likelihood=log_likelihood,
        options=kwargs,
    )  # fmt: skip
    return assemble(spec, model, backend.run(spec, model, request), log_likelihood=log_likelihood)


def _check_arguments(**values: int | None) -> None:
    """``draws``, ``chains``, ``cores`` integers >= 1 and ``tune`` >= 0 (None: the default).

    Raises ``ValueError`` with the estimators' wording, before any backend runs: no empty or
    half-built result for a zero, negative or fractional count.
    """
    for name, value in values.items():
        if value is None and name in ("tune", "cores"):
            continue
        low = 0 if name == "tune" else 1
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")


def _check_target_accept(value: float | None) -> None:
    """``target_accept`` is None or a number strictly between 0 and 1."""
    if value is None:
        return
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (ok and 0.0 < float(value) < 1.0):
        raise ValueError(f"target_accept must be a number in (0, 1); got {value!r}")


def _backend(sampler: str, form: str, spec: ModelSpec) -> Backend:
    """The backend ``sampler`` and ``form`` pick for ``spec`` (Gibbs ignores ``form``)."""
    # a form is a NUTS option: naming one (with sampler="auto") rules the Gibbs sampler out
    library = _resolve_sampler(sampler, spec if form == "auto" else None)
    if library == "gibbs":
        from shrinkage.inference.gibbs.adapter import Gibbs

        return Gibbs()
    if _resolve_form(form, spec) == "marginal":
        from shrinkage.inference.marginal.sampler import Marginal

        return Marginal(library)
    return Nuts(library)


def _resolve_form(form: str, spec: ModelSpec) -> str:
    from shrinkage.inference.marginal.sampler import marginal_supported

    if form not in ("auto", "marginal", "noncentred"):
        raise ValueError(f"form must be 'auto', 'marginal' or 'noncentred'; got {form!r}")
    if form == "marginal" and not marginal_supported(spec):
        raise ValueError(
            "form='marginal' needs the single-output Gaussian family and a Horseshoe, "
            "RegularizedHorseshoe or GroupHorseshoe prior"
        )
    if form == "auto":
        return "marginal" if marginal_supported(spec) else "noncentred"
    return form
