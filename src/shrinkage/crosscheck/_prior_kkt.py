"""The Bayesian side of the out-of-core cross-check: stationarity of ``-log p(beta | y)`` itself.

Both out-of-core solvers minimize ``F + g`` with the penalty ``g`` that the prior maps to
(:meth:`~shrinkage.priors.base.Prior.penalty_alpha`). To check that point against the
posterior, independently of that mapping, :func:`posterior_kkt` differentiates the prior's own
PyMC log-density (as :func:`~shrinkage.inference.find_map` does in memory) and adds the
likelihood's gradient from a pass, ``-log p(beta | y) = n F(beta) - log p(beta) + const``
(``c = 1`` for logistic / Poisson). Its minimum satisfies, for every direction ``d``, the
one-sided derivative ``n grad F . d + D_d(-log p)(beta) >= 0``. Where ``beta_j != 0`` the
density is smooth: the residual is ``|n dF_j + d_j(-log p)|``. At a zero coordinate of a
separable prior the one-sided derivatives along ``+e_j`` and ``-e_j`` come from the gradient of
``-log p`` at ``beta +- t e_j`` (``t = 1e-100``: past the kink, too small to move any smooth
term); at a zero group, along the steepest direction ``u = -grad_g F / ||grad_g F||`` (the
subdifferential of ``||beta_g|| / b_g`` at 0 is a ball, so that direction is the worst). The
certificate is the largest violation divided by ``n`` (the solvers' row-averaged scale).
"""

from __future__ import annotations

import numpy as np

__all__ = ["posterior_kkt", "prior_gradient"]

_T = 1e-100  # a step past the kink at zero; its square (1e-200) is still a normal float


def prior_gradient(prior, names: list[str], groups, sigma: float, n: int):
    """``beta -> grad(-log p(beta))`` of the prior's PyMC density, or None when the prior
    has other free variables (hyperparameters estimated jointly)."""
    import pymc as pm
    import pytensor

    from shrinkage.priors.base import BuildContext

    coords = {"feature": names}
    if groups is not None:
        coords["group"] = [str(g) for g in range(int(np.max(groups)) + 1)]
    with pm.Model(coords=coords) as model:
        ctx = BuildContext(("feature",), n, len(names), None, groups, sigma, None)
        prior.build(ctx)
    if [rv.name for rv in model.free_RVs] != ["beta"]:
        return None
    value = model.rvs_to_values[model["beta"]]
    grad = pytensor.grad(-model.logp(jacobian=False), value)
    return pytensor.function([value], grad, mode="FAST_COMPILE")


def posterior_kkt(grad_fn, beta: np.ndarray, grad_sum: np.ndarray, groups, n: int) -> float:
    """Largest violation of the posterior's optimality at ``beta`` (module docstring).

    ``grad_sum`` is ``n grad F(beta)`` (the pass's ``Z'f'``); ``groups`` the integer group of
    each coefficient for a group prior, else None.
    """
    zero = beta == 0
    if groups is None:
        plus = grad_fn(np.where(zero, _T, beta))
        minus = grad_fn(np.where(zero, -_T, beta))
        right, left = grad_sum + plus, grad_sum + minus
        out = np.where(zero, np.maximum(np.maximum(-right, left), 0.0), np.abs(right))
        return float(np.max(out, initial=0.0)) / n
    step = beta.copy()
    dirs = {}
    for g in np.unique(groups[zero]):
        idx = groups == g
        if np.any(beta[idx] != 0):
            continue
        norm = np.linalg.norm(grad_sum[idx])
        u = -grad_sum[idx] / norm if norm > 0 else np.full(idx.sum(), 1 / np.sqrt(idx.sum()))
        step[idx], dirs[g] = _T * u, u
    total = grad_sum + grad_fn(step)
    worst = [max(-float(total[groups == g] @ u), 0.0) for g, u in dirs.items()]
    smooth = np.abs(total[~np.isin(groups, list(dirs))])
    return max([*worst, float(np.max(smooth, initial=0.0))]) / n
