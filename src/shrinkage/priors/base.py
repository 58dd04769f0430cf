"""What every prior shares: the build context, the :class:`Prior` contract and its helpers.

A prior is a small frozen specification object. ``build(ctx)`` creates its PyMC variables
inside the current model context (``beta`` with dims ``feature`` or ``(feature, output)``, plus
scales named as in ``docs/conventions.md``) and returns ``beta``. ``penalty(sigma, n)`` returns
the :mod:`shrinkage.solvers` penalty whose penalized MAP equals the prior's MAP at noise scale
``sigma`` and ``n`` rows (Gaussian likelihood; ``sigma=1`` for families without a noise scale),
or ``None`` where no convex equivalent exists. ``penalty_alpha`` returns the same numbers as a
plain dict, so the mapping is testable without the solvers.

With ``standardize=True`` the Gaussian likelihood is on the standardized response, so ``sigma``
in ``penalty(sigma, n)`` is the noise scale in units of ``sd(y)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from shrinkage._validation import check_positive
from shrinkage.solvers import penalties

__all__ = ["BuildContext", "Prior"]


@dataclass
class BuildContext:
    """What a prior needs to know to create its variables.

    Attributes
    ----------
    dims : tuple of str
        ``("feature",)`` or ``("feature", "output")``.
    n_obs, n_features : int
    n_outputs : int or None
    groups : numpy.ndarray of int or None
        Group code per feature (dim ``group`` holds the names).
    sigma : tensor or float
        Noise scale of the likelihood (scalar), or a pseudo-sigma for families without one.
    noise_sigma : tensor, float or None
        The likelihood's own noise scale; None for families without one.
    """

    dims: tuple[str, ...]
    n_obs: int
    n_features: int
    n_outputs: int | None = None
    groups: np.ndarray | None = None
    sigma: Any = 1.0
    noise_sigma: Any = None

    @property
    def n_groups(self) -> int | None:
        return None if self.groups is None else int(self.groups.max()) + 1


class Prior:
    """Base class: a prior on the coefficient vector (or matrix) ``beta``.

    A prior says what it is once, as class attributes that every reader (the samplers,
    :func:`~shrinkage.inference.find_map`, the estimators, the cross-check) consults:

    Attributes
    ----------
    penalty_name : str or None
        The :mod:`shrinkage.solvers.penalties` class whose penalized MAP equals this prior's
        MAP (see :meth:`penalty`); None when the log-density is not a convex penalty.
    exact_map : bool
        Whether :func:`~shrinkage.inference.find_map` computes the MAP exactly: the density is
        log-concave in ``beta`` with non-smooth terms only of Laplace / group-L2 form. False for
        the horseshoe family, whose density is unbounded at ``beta = 0`` (no mode).
    noise_scaled : bool
        Whether ``beta``'s prior scale is proportional to the likelihood's noise scale
        ``sigma`` (e.g. Park & Casella's ``Laplace(0, sigma / lambda)``).
    gibbs_updates : str or None
        Name of the prior's conditional-update set in :mod:`shrinkage.inference.gibbs`
        (``gibbs_sample(prior=...)``), or None when the Gibbs sampler does not cover it;
        :meth:`gibbs_params` gives that update set's parameters for this prior.
    local_scales : str or None
        Dim of the local scales ``lam`` (``"feature"`` or ``"group"``), or None without them.
        A prior with local scales is a normal scale mixture written as ``beta = z *
        build_scale(ctx)``, ``z ~ N(0, 1)``: it provides ``build_scale``, which the marginal
        (collapsed) NUTS form uses.
    has_tau : bool
        Whether the prior has a global scale ``tau``.
    multi_output : bool
        Whether the prior can act on a multi-output ``(feature, output)`` coefficient matrix.
    needs_groups : bool
        Whether ``build`` needs a group per feature.
    target_accept : float
        NUTS target acceptance rate used by ``shrinkage.sample`` when none is given.
    nutpie_adaptation : str
        nutpie's mass-matrix adaptation used by ``shrinkage.sample``.
    marginal_target_accept : float or None
        NUTS target acceptance of the marginal form (``local_scales`` priors, Gaussian
        family); None: that form's own default (0.8).
    """

    penalty_name: ClassVar[str | None] = None
    exact_map: ClassVar[bool] = False
    noise_scaled: ClassVar[bool] = False
    gibbs_updates: ClassVar[str | None] = None
    local_scales: ClassVar[str | None] = None
    has_tau: ClassVar[bool] = False
    multi_output: ClassVar[bool] = False
    needs_groups: ClassVar[bool] = False
    target_accept: ClassVar[float] = 0.9
    # "draw_diag" (variances of the draws) for priors with a kink at zero (L1 / group-L2): the
    # default "diag" also uses gradient variances, which the jump of sign(beta_j) inflates
    nutpie_adaptation: ClassVar[str] = "diag"
    marginal_target_accept: ClassVar[float | None] = None

    def build(self, ctx: BuildContext):
        """Create the prior's PyMC variables in the current model; return ``beta``."""
        raise NotImplementedError

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        """Parameters of the update set :attr:`gibbs_updates` for this prior (``p`` features,
        ``n`` rows): the ``prior_params`` of :func:`~shrinkage.inference.gibbs.core.gibbs_sample`
        that make the Gibbs target the model ``build`` writes."""
        raise NotImplementedError(f"{type(self).__name__} has no Gibbs updates")

    def penalty_alpha(self, sigma: float, n: int, **kwargs: Any) -> dict[str, Any] | None:
        """Constructor arguments of the equivalent solvers penalty at ``sigma`` and ``n``.

        ``loss_scale=c`` (keyword) sets the likelihood's factor (``-log p(y | beta) =
        (n / c) datafit + const``): ``sigma^2`` by default (Gaussian likelihood,
        ``(1/2n)||r||^2``), ``sigma`` for the Laplace likelihood with ``(1/n) sum |r|``,
        ``1`` for logistic / Poisson. The penalty is then ``(c / n) * (-log prior)``.
        """
        return None

    def penalty(self, sigma: float, n: int, **kwargs: Any):
        """The :mod:`shrinkage.solvers` penalty whose MAP equals this prior's, or None.

        Group priors take ``groups=`` (integer label per column) and, for multi-output,
        ``n_outputs=``.
        """
        args = self.penalty_alpha(sigma, n, **kwargs)
        if args is None:
            return None
        return getattr(penalties, self.penalty_name_for(**kwargs))(**args)

    def penalty_name_for(self, **kwargs: Any) -> str:
        assert self.penalty_name is not None
        return self.penalty_name


def _check_sigma_n(sigma: float, n: int) -> tuple[float, int]:
    sigma = check_positive(sigma, "sigma")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")
    return sigma, int(n)


def _loss_factor(sigma: float, n: int, loss_scale: float | None) -> float:
    """``c / n``: the factor turning ``-log p(y | beta)`` into the datafit's row average.

    ``-log p(y|beta) = (n / c) * datafit + const`` with ``c = sigma^2`` for the Gaussian
    likelihood and datafit ``(1/2n)||r||^2`` (the default), ``c = sigma`` for the Laplace
    likelihood and datafit ``(1/n) sum |r_i|``, ``c = 1`` for logistic / Poisson. Multiplying
    ``-log posterior`` by ``c / n`` gives ``datafit + (c / n) * (-log prior)``: the penalty.
    """
    c = sigma**2 if loss_scale is None else check_positive(loss_scale, "loss_scale")
    return c / n


def _group_matrix(ctx: BuildContext) -> tuple[np.ndarray, np.ndarray]:
    """One-hot (G, p) membership matrix and group sizes in coefficients (features x outputs)."""
    if ctx.groups is None:
        raise ValueError("a group prior needs groups=: a label per column or {group: [columns]}")
    onehot = (ctx.groups[None, :] == np.arange(ctx.n_groups)[:, None]).astype(float)
    sizes = onehot.sum(axis=1) * (ctx.n_outputs or 1)
    return onehot, sizes


def _flat_with_sampler(name: str, random, params: tuple, dims, signature: str | None = None):
    """A free variable with log-density 0 (like ``pm.Flat``) that still has a sampler.

    The prior's density is added as potentials (``l1_potential`` / ``group_l2_potential``,
    which ``find_map`` treats exactly); ``random`` draws from the full prior so that prior
    predictive sampling stays right (PyMC ignores potentials there).
    """
    import pymc as pm
    import pytensor.tensor as pt

    core = 0 if signature is None else signature.split("->")[1].count(",") + 1

    def logp(value, *_params):
        zeros = pt.zeros_like(value)
        return zeros.sum(axis=tuple(range(-core, 0))) if core else zeros

    return pm.CustomDist(
        name,
        *params,
        logp=logp,
        random=random,
        signature=signature,
        support_point=lambda rv, size, *_p: pm.math.zeros_like(rv),
        dims=dims,
    )
