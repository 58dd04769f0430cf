r"""Projection predictive variable selection (Piironen, Paasiniemi & Vehtari 2020).

The reference model is the fitted posterior. A search (:mod:`._search`) orders the features;
for each size ``k`` the posterior draws are projected onto the first ``k`` features
(:mod:`._project`: closed form for the Gaussian family, the GLM fit to each draw's predicted
means for Bernoulli and Poisson) and the projected draws' predictive performance is measured
as the expected log pointwise predictive density

.. math:: \mathrm{elpd}_k = \sum_i \log p(y_i \mid y_{-i}, \text{submodel } k),

by PSIS-LOO (``validate="loo"``) or by ``K``-fold cross-validation of the search and the
projection (``validate=K``). The suggested size is projpred's rule: the smallest ``k`` with
:math:`\mathrm{elpd}_k - \mathrm{elpd}_{\mathrm{ref}} + \mathrm{SE}_k \ge 0`, where
:math:`\mathrm{SE}_k = \sqrt{n}\,\mathrm{sd}_i(\mathrm{elpd}_{k,i} - \mathrm{elpd}_{\mathrm{ref},i})`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from shrinkage.select._common import (
    Reference,
    SelectionResult,
    joined,
    log_likelihood,
    reference,
    refuse_glm_out_of_core,
)
from shrinkage.select._elpd import loo_pointwise, lpd_pointwise, relative_eff
from shrinkage.select._loo_dask import ElpdSummary, elpd_summary_dask
from shrinkage.select._project import Projected, project
from shrinkage.select._search import clusters, forward_search, l1_search

__all__ = ["ProjectionResult", "projection"]

_SEARCHES = ("l1", "forward")
#: fewest evaluation draws for PSIS-LOO: ArviZ fits the Pareto tail to min(S/5, 3 sqrt(S))
#: draws and needs at least 5 of them
_MIN_LOO_DRAWS = 40


@dataclass(repr=False)
class ProjectionResult(SelectionResult):
    """Result of :func:`projection`.

    Attributes
    ----------
    path : list of str
        Features in order of entry (the search's order, ``max_size`` long).
    sizes : DataFrame
        One row per submodel size ``0..max_size``: ``feature`` (the one added), ``elpd``,
        ``elpd_diff`` (submodel minus reference), ``diff_se``, ``pareto_k_max`` (LOO only).
    reference_elpd, reference_se : float
        The reference model's elpd (same draws, same validation) and its standard error.
    suggested_size : int
        Smallest size with ``elpd_diff + diff_se >= 0`` (``max_size`` if none).
    search, validate : the options used; fold_paths : the search order in each fold (K-fold).

    ``plot()`` draws the elpd difference to the reference (+-1 SE) against size.
    """

    _figure: ClassVar[str] = "plot_projection"

    path: list[str]
    sizes: pd.DataFrame
    reference_elpd: float
    reference_se: float
    suggested_size: int
    search: str
    validate: str | int
    fold_paths: list[list[str]] | None
    _ref: Reference = field(repr=False)
    _order: np.ndarray = field(repr=False)
    _glm: dict = field(repr=False)

    @property
    def selected(self) -> list[str]:
        """The first :attr:`suggested_size` features of the path."""
        return self.path[: self.suggested_size]

    def project(self, size: int | None = None) -> xr.DataTree:
        """All posterior draws projected onto the first ``size`` features (default: suggested).

        Returns a DataTree with a ``posterior`` group: ``beta``, ``beta_original`` (dims
        ``chain, draw, feature`` with the submodel's feature names), ``intercept``,
        ``intercept_original`` and, for the Gaussian family, the projected ``sigma``.
        """
        size = self.suggested_size if size is None else _check_size(size, len(self.path))
        ref = self._ref
        proj = project(ref.family, ref.X, ref.mu, ref.sigma, self._order[:size],
                       ref.fit_intercept, **self._glm)  # fmt: skip
        return projected_tree(ref, proj)

    def to_frame(self) -> pd.DataFrame:
        """Per feature (all features): ``projection_rank`` (1-based position in the path, NaN
        when not searched) and ``projection_selected``."""
        names = self._ref.names
        rank = pd.Series(np.nan, index=pd.Index(names, name="feature"))
        rank[self.path] = np.arange(1, len(self.path) + 1)
        selected = rank.index.isin(self.selected)
        return pd.DataFrame({"projection_rank": rank, "projection_selected": selected})

    def table(self) -> pd.DataFrame:
        """The size table (:attr:`sizes`), for reports."""
        return self.sizes.copy()

    def headline(self) -> str:
        """One line: method, options, suggested size and the selected features."""
        how = "PSIS-LOO" if self.validate == "loo" else f"{self.validate}-fold CV"
        return (
            f"projection predictive selection ({self.search} search, {how}): suggested size "
            f"{self.suggested_size}: {joined(self.selected)}"
        )

    def __str__(self) -> str:
        ref = f"reference elpd: {self.reference_elpd:.2f} (se {self.reference_se:.2f})"
        return "\n".join(
            [self.headline(), ref, self.sizes.to_string(float_format="{:.3f}".format)]
        )


def _check_size(size, max_size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"size must be an integer; got {type(size).__name__}")
    if not 0 <= size <= max_size:
        raise ValueError(f"size must lie in 0..{max_size}; got {size}")
    return int(size)


def projected_tree(ref: Reference, proj: Projected) -> xr.DataTree:
    """The projected draws as a DataTree (names of ``docs/conventions.md``)."""
    chains, draws = ref.shape
    S, p = ref.beta.shape
    names = [ref.names[j] for j in proj.cols]
    full = np.zeros((S, p))
    full[:, proj.cols] = proj.coef
    b_orig, a_orig = ref.spec.design.to_original(full, proj.intercept)
    cd, cdf = ("chain", "draw"), ("chain", "draw", "feature")
    data = {
        "beta": (cdf, proj.coef.reshape(chains, draws, -1)),
        "beta_original": (cdf, b_orig[:, proj.cols].reshape(chains, draws, -1)),
        "intercept": (cd, proj.intercept.reshape(chains, draws)),
        "intercept_original": (cd, np.asarray(a_orig).reshape(chains, draws)),
    }
    if proj.sigma is not None:
        data["sigma"] = (cd, proj.sigma.reshape(chains, draws))
    coords = {"chain": np.arange(chains), "draw": np.arange(draws), "feature": names}
    return xr.DataTree.from_dict({"posterior": xr.Dataset(data, coords=coords)})


def _thin(shape: tuple[int, int], n_draws: int | None) -> np.ndarray:
    """Flat indices of evenly spaced draws, the same number from every chain."""
    chains, draws = shape
    per = draws if n_draws is None else max(1, min(draws, n_draws // chains))
    idx = np.linspace(0, draws - 1, per).round().astype(int)
    return (np.arange(chains)[:, None] * draws + idx[None, :]).ravel()


def _search(ref: Reference, rows, method, max_size, n_clusters, seed, glm) -> np.ndarray:
    """Search order on the rows ``rows`` of the reference fit."""
    X, mu = ref.X[rows], ref.mu[rows]
    if method == "l1":
        return l1_search(ref.family, X, mu.mean(axis=1), ref.fit_intercept)[:max_size]
    cl = clusters(mu, ref.sigma, n_clusters, seed)
    return forward_search(ref.family, X, cl, ref.fit_intercept, max_size, **glm)


def _loglik(ref: Reference, proj: Projected, rows, X_eval=None) -> np.ndarray:
    """Pointwise log-likelihood (n_rows, S) of the projected draws on ``rows``."""
    eta = proj.eta if X_eval is None else X_eval[:, proj.cols] @ proj.coef.T + proj.intercept
    return log_likelihood(ref.family, ref.y[rows], eta, proj.sigma)


def _loo_table(ref, order, draws, glm, progress, data=None) -> ElpdSummary:
    """PSIS-LOO of the reference and of each size 0..K (out of core: one pass over ``data``)."""
    chains = ref.shape[0]
    mu, sigma = ref.mu[:, draws], None if ref.sigma is None else ref.sigma[draws]
    reff = relative_eff(ref.beta[draws].reshape(chains, -1, ref.beta.shape[1]))
    if ref.out_of_core:
        projections = [
            (proj.cols, proj.coef, proj.intercept, proj.sigma)
            for k in _progress(range(len(order) + 1), progress, "projection")
            for proj in [project(ref.family, ref.X, mu, sigma, order[:k], ref.fit_intercept)]
        ]
        draw_ref = (ref.beta[draws], ref.intercept[draws], sigma)
        design = ref.spec.design
        return elpd_summary_dask(data, design, draw_ref, projections, reff, chains)
    shaped = lambda ll: ll.T.reshape(chains, -1, ll.shape[0])  # noqa: E731
    ref_ll = log_likelihood(ref.family, ref.y, ref.eta[:, draws], sigma)
    ref_i, _ = loo_pointwise(shaped(ref_ll), reff)
    elpd, kmax = [], []
    for k in _progress(range(len(order) + 1), progress, "projection LOO"):
        proj = project(ref.family, ref.X, mu, sigma, order[:k], ref.fit_intercept, **glm)
        e, kk = loo_pointwise(shaped(_loglik(ref, proj, slice(None))), reff)
        elpd.append(e)
        kmax.append(kk)
    return ElpdSummary.from_pointwise(ref_i, np.array(elpd), kmax)


def _kfold_table(ref, K, method, max_size, n_clusters, seed, draws, glm, progress):
    """K-fold: search and projection on the training rows, elpd on the held-out rows."""
    from sklearn.model_selection import KFold

    chains = ref.shape[0]
    reff = relative_eff(ref.beta[draws].reshape(chains, -1, ref.beta.shape[1]))
    ll = log_likelihood(ref.family, ref.y, ref.eta[:, draws], _sub(ref.sigma, draws))
    ref_i, _ = loo_pointwise(ll.T.reshape(chains, -1, ll.shape[0]), reff)
    n = ref.X.shape[0]
    elpd = np.zeros((max_size + 1, n))
    fold_paths = []
    folds = KFold(K, shuffle=True, random_state=seed).split(np.arange(n))
    for train, test in _progress(list(folds), progress, "projection K-fold"):
        order = _search(ref, train, method, max_size, n_clusters, seed, glm)
        fold_paths.append([ref.names[j] for j in order])
        mu, sigma = ref.mu[train][:, draws], _sub(ref.sigma, draws)
        for k in range(max_size + 1):
            cols = order[: min(k, len(order))]
            proj = project(ref.family, ref.X[train], mu, sigma, cols, ref.fit_intercept, **glm)
            elpd[k, test] = lpd_pointwise(_loglik(ref, proj, test, ref.X[test]))
    return ElpdSummary.from_pointwise(ref_i, elpd, np.full(max_size + 1, np.nan)), fold_paths


def _sub(sigma, draws):
    return None if sigma is None else sigma[draws]


def _progress(iterable, show: bool, desc: str):
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc)


def _size_table(names, order, summ: ElpdSummary, empty: str) -> tuple[pd.DataFrame, int]:
    table = pd.DataFrame(
        {
            "feature": [empty] + [names[j] for j in order],
            "elpd": summ.elpd_sum,
            "elpd_diff": summ.diff_sum,
            "diff_se": np.sqrt(summ.n) * summ.diff_sd,
            "pareto_k_max": summ.kmax,
        },
        index=pd.RangeIndex(len(order) + 1, name="size"),
    )
    ok = np.flatnonzero(table["elpd_diff"] + table["diff_se"] >= 0)
    return table, int(ok[0]) if ok.size else len(order)


def _check_out_of_core(ref: Reference, validate, data) -> None:
    if data is None and not ref.out_of_core:
        return
    if data is not None:
        from shrinkage.outofcore import is_dask

        if not ref.out_of_core:
            refuse_glm_out_of_core(ref.family)
            raise ValueError("data= is for a model built on Dask data (out of core)")
        if not (isinstance(data, tuple) and len(data) == 2 and all(map(is_dask, data))):
            raise TypeError("data must be (X, y): the Dask collections the model was built from")
    if validate != "loo":
        raise ValueError(
            f"validate={validate!r}: out of core, K-fold validation would repeat the search and "
            "the projections on each fold's rows; use validate='loo' with data=(X, y)"
        )
    if data is None:
        raise ValueError(
            "out of core the elpd of the submodels (PSIS-LOO) needs log p(y_i | draw) of every "
            "row: pass data=(X, y), the Dask collections the model was built from, and it is "
            "computed in one more pass (each worker holds rows x draws of one chunk)"
        )


def _check_options(ref: Reference, search, max_size, n_clusters, validate, n_draws):
    if search not in _SEARCHES:
        raise ValueError(f"search must be one of {_SEARCHES}; got {search!r}")
    n, p = ref.n_obs, ref.X.shape[1]
    if max_size is None:
        max_size = min(p, 20, n - 2)
    if isinstance(max_size, bool) or not isinstance(max_size, (int, np.integer)):
        raise TypeError(f"max_size must be an integer or None; got {type(max_size).__name__}")
    if not 1 <= max_size <= p:
        raise ValueError(f"max_size must lie in 1..{p} (the number of features); got {max_size}")
    for name, v in (("n_clusters", n_clusters), ("n_draws", n_draws)):
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
        ):
            raise ValueError(f"{name} must be a positive integer; got {v!r}")
    chains, draws = ref.shape
    per = draws if n_draws is None else min(draws, n_draws // chains)
    if validate == "loo" and chains * per < _MIN_LOO_DRAWS:
        raise ValueError(
            f"PSIS-LOO needs at least {_MIN_LOO_DRAWS} draws (Pareto tail fit); n_draws="
            f"{n_draws} with {chains} chains x {draws} draws gives {chains * per}"
        )
    if validate != "loo" and (
        isinstance(validate, bool) or not isinstance(validate, (int, np.integer))
        or not 2 <= validate <= n
    ):  # fmt: skip
        raise ValueError(f"validate must be 'loo' or an integer K in 2..n; got {validate!r}")
    return int(max_size)


def projection(
    idata: xr.DataTree,
    model,
    *,
    search: str = "l1",
    max_size: int | None = None,
    n_clusters: int = 20,
    validate: str | int = "loo",
    n_draws: int | None = 400,
    l2: float = 0.0,
    random_state: int = 0,
    progress: bool = False,
    data: tuple | None = None,
) -> ProjectionResult:
    """Projection predictive selection of the features of a fitted model.

    Parameters
    ----------
    idata : DataTree from ``shrinkage.sample`` (posterior ``beta``, ``intercept``, ``sigma``).
    model : the ``pymc.Model`` of :func:`shrinkage.build_model` the draws came from.
        Families: gaussian, bernoulli, poisson.
    search : {"l1", "forward"}
        ``"l1"``: order of entry along the L1 path (:func:`shrinkage.solvers.path`) fitted to
        the reference's mean prediction; ``"forward"``: forward stepwise by the KL divergence
        of the projection of ``n_clusters`` clusters of draws.
    max_size : int, optional
        Largest submodel; default ``min(p, 20, n - 2)``. The L1 search may stop earlier when
        fewer features enter its path.
    n_clusters : int
        Clusters of draws (k-means on the predicted means) used by the forward search.
    validate : "loo" or int
        ``"loo"``: PSIS-LOO of the projected draws (ArviZ), the search not cross-validated.
        ``K``: K-fold cross-validation of search and projection (the reference posterior is not
        refitted); the reference's own elpd is its PSIS-LOO in both cases.
    n_draws : int or None
        Draws projected for the evaluation (evenly thinned, same number per chain; None: all).
    l2 : float
        Ridge ``(l2/2)||w||^2`` added to the row-averaged GLM projection objective (0: none;
        a tiny value helps separable logistic data). Ignored for the Gaussian family.
    random_state : seed of the clustering and of the folds.
    progress : show tqdm progress bars.
    data : (X, y), optional
        For a Gaussian model built on Dask data (out of core): the Dask collections it was
        built from. The search and the projections run on the model's statistics
        (``X'X``: ``beta_S = (X_S'X_S)^{-1} X_S'X beta`` per draw, the projected noise from Gram
        quadratic forms); PSIS-LOO takes one more pass over ``data`` that returns only
        summaries (:mod:`shrinkage.select._loo_dask`). Required out of core (``validate="loo"``
        only); refused otherwise.

    Returns
    -------
    ProjectionResult

    Raises
    ------
    TypeError, ValueError
        For invalid options or a posterior that does not match the model; out of core, for
        the bernoulli / Poisson families (a GLM fit per draw would be a pass per Newton step),
        K-fold validation, or a missing ``data``.
    NotImplementedError
        For families other than gaussian, bernoulli, poisson.
    """
    ref = reference(idata, model)
    _check_out_of_core(ref, validate, data)
    max_size = _check_options(ref, search, max_size, n_clusters, validate, n_draws)
    glm = {"l2": float(l2)} if ref.spec.family.name != "gaussian" else {}
    draws = _thin(ref.shape, n_draws)
    rows = np.arange(ref.X.shape[0])
    order = _search(ref, rows, search, max_size, n_clusters, random_state, glm)
    fold_paths = None
    if validate == "loo":
        summ = _loo_table(ref, order, draws, glm, progress, data)
    else:
        summ, fold_paths = _kfold_table(
            ref, int(validate), search, len(order), n_clusters, random_state, draws, glm, progress
        )
    empty = "(intercept only)" if ref.fit_intercept else "(no predictors)"
    sizes, suggested = _size_table(ref.names, order, summ, empty)
    ref_se = float(np.sqrt(summ.n) * summ.ref_sd)
    return ProjectionResult(
        [ref.names[j] for j in order], sizes, summ.ref_sum, ref_se, suggested,
        search, validate, fold_paths, ref, order, glm,
    )  # fmt: skip
