"""Search heuristics of projection predictive selection: the order in which features enter.

* ``"l1"``: the L1 path of the GLM fitted to the reference's mean prediction
  :math:`\\bar\\mu = \\frac1S\\sum_s g^{-1}(\\eta_s)` (:func:`shrinkage.solvers.path`); the order
  of entry along the path is the search order (Piironen et al. 2020, sec. 4.1).
* ``"forward"``: forward stepwise; at each step add the feature whose submodel has the smallest
  KL divergence from the reference, averaged over ``n_clusters`` clusters of draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shrinkage.families import Family, Gaussian
from shrinkage.select._common import entry_order, mean_datafit
from shrinkage.select._project import project
from shrinkage.solvers import L1, path

__all__ = ["Clusters", "clusters", "forward_search", "l1_search"]


@dataclass(frozen=True)
class Clusters:
    """Draws grouped by k-means on their predicted means: ``mu`` (n, C) cluster means,
    ``sigma`` (C,) (Gaussian: ``sqrt(mean sigma_s^2 + within-cluster spread)``) or None,
    ``weight`` (C,) the share of draws in each cluster."""

    mu: np.ndarray
    sigma: np.ndarray | None
    weight: np.ndarray


def clusters(mu: np.ndarray, sigma, n_clusters: int, seed: int) -> Clusters:
    """Cluster the draws' means ``mu`` (n, S) into ``n_clusters`` groups (all draws if fewer)."""
    from sklearn.cluster import KMeans

    S = mu.shape[1]
    if n_clusters >= S:
        labels = np.arange(S)
    else:
        km = KMeans(n_clusters=n_clusters, n_init=1, random_state=seed).fit(mu.T)
        labels = km.labels_
    ids = np.unique(labels)
    centres = np.stack([mu[:, labels == c].mean(axis=1) for c in ids], axis=1)
    weight = np.array([np.mean(labels == c) for c in ids])
    if sigma is None:
        return Clusters(centres, None, weight)
    spread = [
        np.mean(sigma[labels == c] ** 2 + np.mean((mu[:, labels == c] - centres[:, [i]]) ** 2, 0))
        for i, c in enumerate(ids)
    ]
    return Clusters(centres, np.sqrt(spread), weight)


def l1_search(family: Family, X, mu_bar, fit_intercept: bool, *, n_alphas: int = 100,
              eps: float = 1e-3, tol: float = 1e-8) -> np.ndarray:  # fmt: skip
    """Entry order along the L1 path fitted to the mean prediction ``mu_bar`` (n,)."""
    res = path(X, mu_bar, mean_datafit(family), L1(1.0), n_alphas=n_alphas, eps=eps,
               fit_intercept=fit_intercept, tol=tol)  # fmt: skip
    entered = int(np.count_nonzero((res.coefs != 0).any(axis=0)))
    return entry_order(res.coefs)[:entered]


def _kl(family: Family, cl: Clusters, proj) -> float:
    """Cluster-weighted KL divergence (up to a constant) of the projection ``proj``."""
    if isinstance(family, Gaussian):
        return float(cl.weight @ np.log(proj.sigma))
    datafit = mean_datafit(family)
    values = [datafit.value(cl.mu[:, c], proj.eta[:, c]) for c in range(cl.mu.shape[1])]
    return float(cl.weight @ np.array(values))


def forward_search(family: Family, X, cl: Clusters, fit_intercept: bool, max_size: int,
                   **glm) -> np.ndarray:  # fmt: skip
    """Forward stepwise search of ``max_size`` features by the clusters' KL divergence."""
    chosen: list[int] = []
    for _ in range(max_size):
        rest = [j for j in range(X.shape[1]) if j not in chosen]
        kls = [
            _kl(
                family, cl, project(family, X, cl.mu, cl.sigma, [*chosen, j], fit_intercept, **glm)
            )
            for j in rest
        ]
        chosen.append(rest[int(np.argmin(kls))])
    return np.array(chosen, dtype=int)
