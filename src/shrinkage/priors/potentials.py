"""Non-smooth prior terms that :func:`shrinkage.inference.find_map` handles by their prox.

A PyMC model's negative log-density (``jacobian=False``) is split as ``-logp = f + g`` with
``f`` smooth and

.. math::

    g(\\beta; \\theta) = \\sum_j w_j(\\theta) |\\beta_j - \\mu_j|
        + \\sum_g v_g(\\theta) \\|\\beta_g\\|_2 ,

where the weights ``w = 1/b`` and ``v = 1/b_g`` may depend on *smooth* free variables
``theta`` (e.g. ``b = sigma / lambda``) but never on the non-smooth variables themselves.

Two ways to declare a term (see ``docs/conventions.md``):

* a free ``pm.Laplace(name, mu, b)`` variable (recognised by its op; ``mu`` must be constant,
  ``b`` may depend on other, smooth, free variables);
* :func:`l1_potential` / :func:`group_l2_potential`, which add a ``pm.Potential`` and tag it
  (``potential.tag.shrinkage_nonsmooth``) with the metadata below.

Anything else in the model (Gaussian priors, the ridge half of an elastic net written as a
``pm.Potential``, likelihoods, ...) is smooth and is differentiated by PyTensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.graph.basic import Constant
from pytensor.graph.rewriting.utils import rewrite_graph
from pytensor.graph.traversal import ancestors
from pytensor.tensor.random.basic import LaplaceRV

__all__ = ["NonSmoothTerm", "collect_terms", "group_l2_potential", "l1_potential"]

TAG = "shrinkage_nonsmooth"


@dataclass(frozen=True)
class NonSmoothTerm:
    """One non-smooth term ``-logp`` contains, written on the model's random variables.

    Attributes
    ----------
    kind : {"l1", "group_l2"}
    var : TensorVariable
        The free random variable the term acts on (must be untransformed).
    mu : np.ndarray
        Centre, flattened like ``var`` (zeros for ``group_l2``).
    weight : TensorVariable
        ``l1``: per-element weight ``1/b`` (flattened like ``var``);
        ``group_l2``: per-group weight ``1/b_g``, shape ``(n_groups,)``.
    groups : np.ndarray or None
        ``group_l2`` only: integer group index ``0..n_groups-1`` of each flattened element.
    smooth_logp : TensorVariable
        The smooth remainder of this term's log-density (normalizing constants that depend on
        the scales); it is added to the smooth part ``f`` with a minus sign.
    source : str
        Name of the ``pm.Laplace`` variable or of the tagged potential (for messages).
    """

    kind: str
    var: pt.TensorVariable
    mu: np.ndarray
    weight: pt.TensorVariable
    groups: np.ndarray | None
    smooth_logp: pt.TensorVariable
    source: str


def _as_scale(scale, name: str) -> pt.TensorVariable:
    if isinstance(scale, (int, float, np.ndarray, list, tuple, np.number)):
        arr = np.asarray(scale, dtype=float)
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ValueError(f"{name} must be finite and > 0; got {arr}")
    return pt.as_tensor_variable(scale)


def l1_potential(
    name: str, var: pt.TensorVariable, scale, mu=0.0, *, normalize: bool = True
) -> pt.TensorVariable:
    """Add the Laplace log-density of ``var`` as a tagged ``pm.Potential``.

    ``logp = -sum_j |var_j - mu_j| / b_j - normalize * sum_j log(2 b_j)``.
    Put it on a ``pm.Flat`` variable to get ``pm.Laplace(mu, b)`` elementwise with weights
    that :func:`find_map` treats exactly; useful when ``b`` varies per element through a
    tensor expression. ``mu`` must be constant.
    """
    model = pm.modelcontext(None)
    b = _as_scale(scale, "scale")
    mu_arr = np.asarray(mu, dtype=float)
    if not np.all(np.isfinite(mu_arr)):
        raise ValueError(f"mu must be finite; got {mu_arr}")
    # a static shape: ``var.shape`` would make the weight a function of ``var`` itself
    shape = tuple(int(d) for d in _shape(var, model))
    weight = pt.broadcast_to(1.0 / b, shape).ravel()
    nonsmooth = pt.sum(pt.abs(var - mu_arr).ravel() * weight)
    smooth = -pt.sum(pt.broadcast_to(pt.log(2.0 * b), shape)) if normalize else pt.zeros(())
    pot = pm.Potential(name, smooth - nonsmooth, model=model)
    mu_flat = np.broadcast_to(mu_arr, shape).ravel()
    setattr(pot.tag, TAG, NonSmoothTerm("l1", var, mu_flat, weight, None, smooth, name))
    return pot


def group_l2_potential(
    name: str,
    var: pt.TensorVariable,
    groups: Sequence,
    scales,
    *,
    normalize: bool = True,
) -> pt.TensorVariable:
    """Add a multivariate (group) Laplace log-density as a tagged ``pm.Potential``.

    For each group ``g`` of ``m_g`` elements the density is
    ``p(beta_g) = exp(-||beta_g||_2 / b_g) / C(m_g, b_g)`` with
    ``log C = log 2 + (m/2) log(pi) - lgamma(m/2) + lgamma(m) + m log(b)``, so
    ``logp = -sum_g ||beta_g||_2 / b_g - normalize * sum_g log C(m_g, b_g)``
    (``m_g = 1`` gives the Laplace density). Its MAP is the group lasso.

    Parameters
    ----------
    name : str
        Name of the potential.
    var : TensorVariable
        Free random variable (typically ``pm.Flat`` with dims ``feature``, or
        ``("feature", "output")`` for a multi-output row-group prior).
    groups : array-like
        Group label of each element of ``var``, same shape as ``var``. Groups are ordered by
        ``np.unique(groups)``.
    scales : float, array of shape (n_groups,), or tensor
        ``b_g > 0`` in the order of ``np.unique(groups)``; may be a PyTensor expression of
        other (smooth) free variables.
    normalize : bool
        Include ``-log C``; needed for a proper prior when the scales are estimated.
    """
    model = pm.modelcontext(None)
    shape = tuple(int(d) for d in _shape(var, model))
    labels = np.asarray(groups)
    if labels.shape != shape:
        raise ValueError(
            f"groups must give one label per element of {var.name!r} (shape {shape}); "
            f"got labels of shape {labels.shape}"
        )
    uniq, gid = np.unique(labels.ravel(), return_inverse=True)
    n_groups, size = uniq.size, int(np.prod(shape))
    b = _as_scale(scales, "scales")
    if b.ndim > 1 or (b.ndim == 1 and b.type.shape[0] not in (None, 1, n_groups)):
        raise ValueError(f"scales must be a scalar or have one entry per group ({n_groups})")
    b = pt.broadcast_to(b, (n_groups,))
    member = np.zeros((n_groups, size))
    member[gid, np.arange(size)] = 1.0
    sq = pt.dot(member, pt.square(var.ravel()))
    # sqrt with gradient 0 (not NaN) at an all-zero group, so gradient-based samplers can start
    # at the origin; find_map never differentiates this term (it uses the prox)
    norms = pt.switch(sq > 0, pt.sqrt(pt.switch(sq > 0, sq, 1.0)), 0.0)
    weight = 1.0 / b
    nonsmooth = pt.sum(weight * norms)
    m = member.sum(axis=1)
    log_c = (
        np.log(2.0) + 0.5 * m * np.log(np.pi) - pt.gammaln(0.5 * m) + pt.gammaln(m) + m * pt.log(b)
    )
    smooth = -pt.sum(log_c) if normalize else pt.zeros(())
    pot = pm.Potential(name, smooth - nonsmooth, model=model)
    term = NonSmoothTerm("group_l2", var, np.zeros(size), weight, gid, smooth, name)
    setattr(pot.tag, TAG, term)
    return pot


def _shape(var, model, point: dict | None = None) -> tuple:
    """Shape of a free variable: static if known, else from ``point`` or by evaluation."""
    if point is not None:
        return tuple(np.shape(point[model.rvs_to_values[var].name]))
    if all(d is not None for d in var.type.shape):
        return tuple(var.type.shape)
    return tuple(int(d) for d in var.shape.eval())


def collect_terms(
    model: pm.Model, fixed: set[str], point: dict
) -> tuple[list[NonSmoothTerm], list]:
    """Find the non-smooth terms of ``model`` among the variables not in ``fixed``.

    Returns the terms and the list of potentials they came from (so they are left out of the
    smooth part). Raises ``ValueError`` for a term ``find_map`` cannot treat exactly.
    """
    terms: list[NonSmoothTerm] = []
    potentials = []
    free = set(model.free_RVs)
    for rv in model.free_RVs:
        if rv.name in fixed or not isinstance(rv.owner.op, LaplaceRV):
            continue
        if model.rvs_to_transforms.get(rv) is not None:
            raise ValueError(f"Laplace variable {rv.name!r} has a transform; find_map needs none")
        _rng, _size, mu, b = rv.owner.inputs
        if set(ancestors([mu])) & free:
            raise ValueError(
                f"Laplace variable {rv.name!r} has a location depending on free variables; "
                "find_map needs a constant mu"
            )
        shape = _shape(rv, model, point)
        mu_flat = np.broadcast_to(_constant_value(mu), shape).ravel()
        weight = pt.broadcast_to(1.0 / b, shape).ravel()
        smooth = -pt.sum(pt.broadcast_to(pt.log(2.0 * b), shape))
        terms.append(NonSmoothTerm("l1", rv, mu_flat, weight, None, smooth, rv.name))
    _refuse_laplace_likelihood(model, free - {rv for rv in free if rv.name in fixed})
    for pot in model.potentials:
        term = getattr(pot.tag, TAG, None)
        if term is None or term.var.name in fixed:
            continue
        if term.var not in free:
            raise ValueError(
                f"potential {pot.name!r} is tagged for find_map but acts on {term.var.name!r}, "
                "which is not a free variable of this model"
            )
        if model.rvs_to_transforms.get(term.var) is not None:
            raise ValueError(f"{term.var.name!r} carries a transform; find_map needs none")
        terms.append(term)
        potentials.append(pot)
    _check_terms(terms)
    return terms, potentials


def _refuse_laplace_likelihood(model: pm.Model, optimized: set) -> None:
    """A Laplace *likelihood* ``sum_i |y_i - mu_i(beta)| / b`` is non-smooth and not separable
    in the coefficients: it has no cheap prox, so find_map refuses it instead of returning an
    inexact point."""
    for rv in model.observed_RVs:
        if isinstance(rv.owner.op, LaplaceRV) and set(ancestors([rv.owner.inputs[2]])) & optimized:
            raise NotImplementedError(
                f"observed {rv.name!r} has a Laplace likelihood whose location depends on free "
                "variables; find_map handles Laplace / group-Laplace priors only"
            )


def _constant_value(var) -> np.ndarray:
    """Value of a constant graph (constant folding; no function compile in the common case)."""
    folded = rewrite_graph(var, include=("canonicalize",))
    if isinstance(folded, Constant):
        return np.asarray(folded.data, dtype=float)
    return np.asarray(var.eval(mode="FAST_COMPILE"), dtype=float)


def _check_terms(terms: list[NonSmoothTerm]) -> None:
    seen: dict = {}
    for term in terms:
        if term.var in seen:
            raise ValueError(
                f"{term.var.name!r} has two non-smooth terms ({seen[term.var]!r} and "
                f"{term.source!r}); find_map supports one per variable"
            )
        seen[term.var] = term.source
    nonsmooth = set(seen)
    for term in terms:
        if set(ancestors([term.weight])) & nonsmooth:
            raise ValueError(
                f"the scale of {term.source!r} depends on a variable with a non-smooth prior; "
                "find_map needs scales that depend on smooth variables only"
            )
