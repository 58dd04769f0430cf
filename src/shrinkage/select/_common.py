"""The reference fit a selection method reads: draws, design and family of one fitted model.

Everything here is on the model's scale (standardized ``X``; for the Gaussian family the
standardized ``y``), the scale the prior and the posterior ``beta`` live on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np
import xarray as xr
from scipy.special import gammaln

from shrinkage.families import Bernoulli, Family, Gaussian, Poisson
from shrinkage.model import ModelSpec, get_spec
from shrinkage.solvers import Logistic
from shrinkage.solvers import Poisson as PoissonDatafit

__all__ = [
    "Reference",
    "SelectionResult",
    "entry_order",
    "joined",
    "log_likelihood",
    "mean_datafit",
    "reference",
]

_SUPPORTED = (Gaussian, Bernoulli, Poisson)


@dataclass(frozen=True)
class Reference:
    """Posterior draws of a fitted model, flattened over ``(chain, draw)``.

    Attributes
    ----------
    spec : the model's :class:`~shrinkage.model.ModelSpec`.
    X, y : standardized design (n, p) and response on the model's scale (n,).
    beta : (S, p) coefficient draws; intercept, sigma : (S,) (sigma is None without noise scale).
    shape : ``(chains, draws)`` of the posterior, ``S = chains * draws``.
    fit_intercept : the model has an intercept.
    n_obs : the number of rows of the data.
    out_of_core : the model was built on Dask data (Gaussian family): ``X`` and ``y`` are then
        ``m = p + 2`` rows standing for the ``n_obs`` rows (:func:`gram_design_rows`), each with
        weight ``n_obs / m``; ``y`` has no per-row meaning.
    """

    spec: ModelSpec
    X: np.ndarray
    y: np.ndarray
    beta: np.ndarray
    intercept: np.ndarray
    sigma: np.ndarray | None
    shape: tuple[int, int]
    fit_intercept: bool
    n_obs: int = 0
    out_of_core: bool = False

    @property
    def family(self) -> Family:
        return self.spec.family

    @property
    def names(self) -> list[str]:
        return list(self.spec.design.feature_names)

    @cached_property
    def eta(self) -> np.ndarray:
        """Linear predictor draws ``a_s + X beta_s``, shape (n, S) (computed once)."""
        return self.X @ self.beta.T + self.intercept

    @cached_property
    def mu(self) -> np.ndarray:
        """Predicted means ``g^{-1}(eta)``, shape (n, S)."""
        return self.family.inverse_link(self.eta)

    @cached_property
    def col_sq_norms(self) -> np.ndarray:
        """``||X_j||^2`` over the data's rows, shape (p,)."""
        return np.einsum("ij,ij->j", self.X, self.X) * (self.n_obs / self.X.shape[0])


def gram_design_rows(design) -> tuple[np.ndarray, np.ndarray]:
    """``m = p + 2`` rows ``(X~, y~)`` standing for an out-of-core design's ``n`` rows.

    :func:`shrinkage.solvers.gram_rows` of the model-scale statistics, shifted to the data's
    means: every column mean, every centred cross-product divided by the number of rows
    (``X~_c'X~_c / m = X_c'X_c / n``, ``X~_c'y~_c / m = X_c'y_c / n``) and so every row-averaged
    least-squares objective in ``(c, w)`` equal those of the ``n`` rows. What the Gaussian
    selection computes from the rows (L1 path, projections ``(X_S'X_S)^{-1} X_S'mu``, the
    projected noise ``sigma^2 + mean_i (mu_i - eta_i)^2``, k-means distances up to the factor
    ``m / n``) is thus the same on them, to rounding.
    """
    from shrinkage.solvers import gram_rows

    s = design.stats
    X, y = gram_rows(s.xtx, s.xty, s.yty, s.n)
    return X + s.mean, y + s.y_mean


def _flat(da: xr.DataArray) -> np.ndarray:
    return np.asarray(da.values, dtype=float).reshape(da.sizes["chain"] * da.sizes["draw"], -1)


def _check_features(beta: xr.DataArray, spec: ModelSpec) -> None:
    if beta.dims != ("chain", "draw", "feature"):
        raise ValueError(f"posterior beta must have dims (chain, draw, feature); got {beta.dims}")
    names = [str(v) for v in beta["feature"].values]
    if names != [str(v) for v in spec.design.feature_names]:
        raise ValueError("the posterior's feature coordinate does not match the model's features")


def reference(idata: xr.DataTree, model) -> Reference:
    """Read the reference fit from ``idata`` (``shrinkage.sample`` output) and its ``model``.

    Raises ``TypeError`` for a non-DataTree, ``ValueError`` for a posterior that does not match
    the model, and ``NotImplementedError`` for families other than Gaussian, Bernoulli, Poisson.
    """
    if not isinstance(idata, xr.DataTree):
        raise TypeError(f"idata must be an xarray.DataTree; got {type(idata).__name__}")
    spec = get_spec(model)
    if type(spec.family) not in _SUPPORTED:
        raise NotImplementedError(
            f"selection supports the gaussian, bernoulli and poisson families; got "
            f"{spec.family.name!r}"
        )
    if "posterior" not in idata.children or "beta" not in idata["posterior"]:
        raise ValueError("idata has no posterior group with a 'beta' variable")
    post = idata["posterior"]
    _check_features(post["beta"], spec)
    beta = _flat(post["beta"])
    S = beta.shape[0]
    fit_intercept = spec.intercept is not False
    intercept = _flat(post["intercept"]).ravel() if fit_intercept else np.zeros(S)
    sigma = None
    if spec.family.has_sigma:
        fixed = spec.family.sigma
        sigma = np.full(S, float(fixed)) if fixed is not None else _flat(post["sigma"]).ravel()
    out_of_core = bool(getattr(spec.design, "out_of_core", False))
    if out_of_core:
        refuse_glm_out_of_core(spec.family)
        X, y = gram_design_rows(spec.design)
    else:
        X, y = np.asarray(spec.design.X, float), np.asarray(spec.design.y, float)
    shape = (post.sizes["chain"], post.sizes["draw"])
    n = int(spec.design.n_obs)
    return Reference(spec, X, y, beta, intercept, sigma, shape, fit_intercept, n, out_of_core)


def refuse_glm_out_of_core(family: Family) -> None:
    """Selection out of core works from ``X'X`` (Gaussian family): refuse the others."""
    if isinstance(family, Gaussian):
        return
    raise ValueError(
        f"selection for the {family.name} family out of core is not supported: projecting a "
        "draw onto a submodel is a GLM fit (every Newton step a pass over all rows, for every "
        "draw and every size). Alternative: fit and select on a sample of rows that fits in "
        "memory, e.g. X.sample(frac=0.01, random_state=0).compute()"
    )


def log_likelihood(family: Family, y: np.ndarray, eta: np.ndarray, sigma=None) -> np.ndarray:
    """Pointwise ``log p(y_i | eta_is)`` for ``eta`` (n, S); ``sigma`` (S,) for Gaussian."""
    y = y[:, None]
    if isinstance(family, Gaussian):
        s2 = np.asarray(sigma, float) ** 2
        return -0.5 * np.log(2 * np.pi * s2) - 0.5 * (y - eta) ** 2 / s2
    if isinstance(family, Bernoulli):
        return y * eta - np.logaddexp(0.0, eta)
    return y * eta - np.exp(eta) - gammaln(y + 1.0)


class _MeanLogistic(Logistic):
    """The logistic datafit with targets in [0, 1]: ``F = (1/n) sum log(1 + e^eta) - mu eta``,
    the KL projection's objective (the reference's predicted probabilities as targets)."""

    @staticmethod
    def _check_support(y: np.ndarray, name: str) -> None:
        if np.any(y < 0) or np.any(y > 1):
            raise ValueError(f"{name}: projection targets must lie in [0, 1]")


class _MeanPoisson(PoissonDatafit):
    """The Poisson datafit with non-negative real targets (the reference's predicted rates)."""

    @staticmethod
    def _check_support(y: np.ndarray, name: str) -> None:
        if np.any(y < 0):
            raise ValueError(f"{name}: projection targets must be >= 0")


def mean_datafit(family: Family):
    """The solvers datafit whose minimizer is the KL projection onto predicted means ``mu``.

    For an exponential family with canonical link, ``KL(p(.|mu) || p(.|eta)) = F_mu(eta)
    + const``: the GLM fit with the means as response (Piironen et al. 2020, sec. 3.2).
    """
    if isinstance(family, Bernoulli):
        return _MeanLogistic()
    if isinstance(family, Poisson):
        return _MeanPoisson()
    return family.datafit()


def entry_order(coefs: np.ndarray) -> np.ndarray:
    """Feature indices in order of entry along a path ``coefs`` (n_alphas, p).

    A feature enters at the first ``alpha`` where its coefficient is non-zero; features entering
    at the same ``alpha`` are ordered by decreasing ``|coef|`` there; features that never enter
    come last (by index).
    """
    nonzero = coefs != 0
    n_alphas, p = coefs.shape
    first = np.where(nonzero.any(axis=0), nonzero.argmax(axis=0), n_alphas)
    size = np.abs(coefs[np.minimum(first, n_alphas - 1), np.arange(p)])
    size[first == n_alphas] = 0.0
    return np.lexsort((np.arange(p), -size, first))


def joined(names: list[str]) -> str:
    """Feature names joined by commas, ``(none)`` for an empty selection."""
    return ", ".join(names) or "(none)"


class SelectionResult:
    """What every selection result shares: ``plot()`` (the figure named by :attr:`_figure` in
    :mod:`shrinkage.select._figures`) and the printout ``headline()`` + ``table()``."""

    _figure: ClassVar[str] = ""
    _float_format: ClassVar[str] = "{:.4f}"

    def plot(self, ax=None):
        """The result's figure (on ``ax`` if given); returns the matplotlib Figure."""
        from shrinkage.select import _figures

        return getattr(_figures, self._figure)(self, ax)

    def __str__(self) -> str:
        table = self.table().to_string(float_format=self._float_format.format)  # type: ignore[attr-defined]
        return self.headline() + "\n" + table  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return str(self)
