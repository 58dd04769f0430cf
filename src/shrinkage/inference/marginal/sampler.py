"""The collapsed ("marginal") NUTS form of a Gaussian model with a horseshoe-family prior.

The model :func:`shrinkage.build_model` writes is

.. math::

    y \\mid \\beta, a, \\sigma \\sim N(a 1 + X\\beta, \\sigma^2 I_n), \\qquad
    \\beta_j \\mid \\theta \\sim N(0, d_j(\\theta)),

with ``theta`` the scales (``lam``, ``tau``; ``c2`` for the regularized horseshoe) and
``d_j = (tau lam_j)^2`` (horseshoe), ``(tau lam_g(j))^2`` (group horseshoe),
``tau^2 c2 lam_j^2 / (c2 + tau^2 lam_j^2)`` (regularized horseshoe). Integrating ``beta`` out
is exact:

.. math::

    p(\\theta, a, \\sigma \\mid y) \\propto p(\\theta)\\, p(a)\\, p(\\sigma)\\,
        N\\big(y \\mid a 1, \\sigma^2 I_n + X D(\\theta) X'\\big),

and ``beta | theta, a, sigma, y ~ N(A^{-1} X'r, sigma^2 A^{-1})``, ``A = X'X + sigma^2
D^{-1}``, ``r = y - a 1``. So NUTS samples the left-hand posterior (no ``beta``: the funnel
between ``beta`` and its scales, the source of the divergences, is gone) and each draw then
gets one exact ``beta`` draw from its Gaussian conditional (Rue's or Bhattacharya et al.'s draw,
:mod:`shrinkage.inference.linear_gaussian`). The pairs ``(theta, a, sigma, beta)`` are draws from the joint
posterior of the model as built, so the returned DataTree has the same variables and layout.
The collapsed likelihood is one Op (:mod:`.op`) with an analytic gradient. :class:`Marginal`
is the backend of ``sample(form="marginal")`` (contract: :mod:`shrinkage.inference.backend`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pymc as pm
import xarray as xr

from shrinkage.families import Gaussian as GaussianFamily
from shrinkage.inference.backend import Draws, SampleRequest
from shrinkage.inference.linear_gaussian import LinearGaussian
from shrinkage.inference.marginal.op import MarginalGaussian
from shrinkage.inference.nuts import run_pymc_sample
from shrinkage.model import ModelSpec, _build_intercept
from shrinkage.priors import BuildContext

__all__ = ["Marginal", "build_marginal_model", "marginal_nutpie_defaults", "marginal_supported"]

_SD = "beta_prior_sd"  # helper deterministic of the collapsed model, dropped from the output


def marginal_supported(spec: ModelSpec) -> bool:
    """Single-output Gaussian family (exactly) with a normal scale-mixture prior: one with
    local and global scales (``local_scales``, ``has_tau``; the horseshoe family), written
    ``beta = z * build_scale(ctx)``."""
    prior = spec.prior
    scale_mixture = prior.local_scales is not None and prior.has_tau
    return type(spec.family) is GaussianFamily and scale_mixture


def build_marginal_model(spec: ModelSpec, method: str = "auto") -> pm.Model:
    """The collapsed model: the scales, ``sigma`` and ``intercept`` with ``beta`` integrated out.

    Same priors and variable names as :func:`shrinkage.build_model` (minus ``beta``,
    ``beta_z``, ``beta_original``, ``intercept_original``, ``y``); the likelihood is the
    potential ``y_marginal`` = ``log N(y | a 1, sigma^2 I + X D X')``.
    """
    if not marginal_supported(spec):
        raise ValueError(
            "the marginal form needs the single-output Gaussian family and a prior with local "
            "and global scales (the horseshoe family); got "
            f"{type(spec.prior).__name__} with family {spec.family.name!r}"
        )
    design, family = spec.design, spec.family
    coords: dict[str, Any] = {"feature": design.feature_names}
    if design.group_names is not None:
        coords["group"] = design.group_names
    X, y = _data(design)
    op = MarginalGaussian(X, y, method)
    y = getattr(design, "y_moments", design.y)  # out of core: its mean and sd only
    with pm.Model(coords=coords) as model:
        sigma = family.build_sigma(y)
        ctx = BuildContext(
            dims=("feature",),
            n_obs=design.n_obs,
            n_features=design.n_features,
            groups=design.groups,
            sigma=sigma,
            noise_sigma=sigma,
        )
        sd = pm.Deterministic(_SD, spec.prior.build_scale(ctx), dims="feature")
        a = _build_intercept(spec.intercept, family, y, None)
        pm.Potential("y_marginal", op.logp(sd**2, pm.math.sqr(sigma), a))
    return model


def _data(design) -> tuple[Any, np.ndarray | None]:
    """The rows, or out of core the statistics (a ``GramStats``) in place of ``X``."""
    if getattr(design, "out_of_core", False):
        return design.stats, None
    return design.X, design.y


def draw_beta(
    X: np.ndarray,
    y: np.ndarray,
    sd: np.ndarray,
    sigma: np.ndarray,
    a: np.ndarray,
    rng: np.random.Generator,
    method: str = "auto",
) -> np.ndarray:
    """One exact draw of ``beta | sd, sigma, a, y`` per row of ``sd`` (shape (m, p)).

    ``beta ~ N(A^{-1}X'r, sigma^2 A^{-1})``, ``A = X'X + diag(sigma^2 / sd^2)``, ``r = y - a``:
    Rue's draw from ``X'X`` when ``p <= n``, Bhattacharya et al.'s otherwise. ``X`` may be a
    ``GramStats`` (``y`` None; out of core): Rue's draw from its uncentred Gram.
    """
    if hasattr(X, "xtx"):  # uncentred Gram from the centred statistics
        use_rue, x1 = True, X.n * X.mean
        gram, xty = X.xtx + np.outer(x1, X.mean), X.xty + x1 * X.y_mean
    else:
        n, p = X.shape
        use_rue = p <= n if method == "auto" else method == "rue"
        gram, xty, x1 = (X.T @ X, X.T @ y, X.sum(axis=0)) if use_rue else (None, None, None)
    design = None if use_rue else LinearGaussian(X, y, method="bhattacharya")
    out = np.empty_like(sd)
    for i in range(sd.shape[0]):
        s, ai = float(sigma[i]), float(a[i])
        d0 = sd[i] ** 2 / s**2  # prior variances relative to sigma^2 (the draws' convention)
        if use_rue:
            data = LinearGaussian.from_gram(gram, xty - ai * x1)
        else:
            data = design.with_response(y - ai)  # no per-draw copy of X
        out[i] = data.kernel(d0).factor(1.0).draw(s, rng)
    return out


# The measurements behind these three: docs/sampling.md, "Backend defaults: the measurements".

#: NUTS target acceptance of the marginal form: no funnel is left, so larger steps pay off
MARGINAL_TARGET_ACCEPT = 0.8

#: nutpie's mass matrix from the draws' variances: its default stalls sigma and tau if p > n
MARGINAL_NUTPIE_ADAPTATION = "draw_diag"

#: tree doublings past the U-turn when p > n, so sigma and tau move farther per draw
MARGINAL_EXTRA_DOUBLINGS_P_GT_N = 1


def marginal_nutpie_defaults(spec: ModelSpec) -> dict[str, Any]:
    """nutpie's ``nuts={...}`` defaults for the marginal form of ``spec``."""
    nuts: dict[str, Any] = {"adaptation": MARGINAL_NUTPIE_ADAPTATION}
    if spec.design.n_features > spec.design.n_obs:
        nuts["extra_doublings"] = MARGINAL_EXTRA_DOUBLINGS_P_GT_N
    return nuts


@dataclass(frozen=True)
class Marginal:
    """NUTS (``library`` = ``"nutpie"`` or ``"pymc"``) on the collapsed model, then one exact
    ``beta`` per draw: the module's joint draws, in the layout of the model as built.

    Defaults: ``target_accept`` :data:`MARGINAL_TARGET_ACCEPT` (or the prior's
    ``marginal_target_accept``); with nutpie
    :func:`marginal_nutpie_defaults` under the caller's ``nuts={...}``. BLAS runs
    single-threaded while sampling: the chains already run in parallel. Attrs:
    ``shrinkage_form`` = ``"marginal"``, ``sampling_time`` (NUTS and the ``beta`` draws).
    """

    library: str
    name: ClassVar[str] = "marginal"

    def run(self, spec: ModelSpec, model: pm.Model, request: SampleRequest) -> Draws:
        from threadpoolctl import threadpool_limits

        collapsed = build_marginal_model(spec)
        start = time.perf_counter()
        with threadpool_limits(limits=1, user_api="blas"):
            idata = run_pymc_sample(
                collapsed,
                request,
                library=self.library,
                target_accept=spec.prior.marginal_target_accept or MARGINAL_TARGET_ACCEPT,
                nutpie_defaults=marginal_nutpie_defaults(spec),
            )
            post = _complete_posterior(idata["posterior"].to_dataset(), spec, request.random_seed)
        elapsed = time.perf_counter() - start
        groups = {"posterior": post, "sample_stats": idata["sample_stats"].to_dataset()}
        return Draws(groups=groups, attrs={"shrinkage_form": "marginal", "sampling_time": elapsed})


def _complete_posterior(post: xr.Dataset, spec: ModelSpec, seed: int | None) -> xr.Dataset:
    """Add ``beta`` (exact conditional draws), ``beta_z`` and the original-scale variables."""
    design = spec.design
    sd = post[_SD].transpose("chain", "draw", "feature").values
    chains, draws, p = sd.shape
    sigma = (
        post["sigma"].values if "sigma" in post else np.full((chains, draws), spec.family.sigma)
    )
    a = post["intercept"].values if "intercept" in post else np.zeros((chains, draws))
    # its own stream, reproducible with the sampler's seed (fresh entropy without one)
    rng = np.random.default_rng(None if seed is None else [7, seed])
    X, y = _data(design)
    beta = draw_beta(X, y, sd.reshape(-1, p), sigma.ravel(), a.ravel(), rng).reshape(
        chains, draws, p
    )
    dims = ("chain", "draw", "feature")
    w = beta / design.x_scale
    new = {
        "beta": (dims, beta),
        "beta_z": (dims, beta / sd),
        "beta_original": (dims, design.y_scale * w),
        "intercept_original": (
            ("chain", "draw"),
            design.y_center + design.y_scale * (a - w @ design.x_center),
        ),
    }
    return post.drop_vars(_SD).assign(new)
