"""scikit-learn estimators for Bayesian regression with shrinkage priors.

Each estimator fits the model of :func:`shrinkage.build_model`,

.. math::

    \\eta_i = a + z_i^\\top \\beta, \\qquad y_i \\sim \\text{family}(g^{-1}(\\eta_i), \\ldots),
    \\qquad \\beta \\sim \\text{prior}

on the standardized design ``z`` (and standardized ``y`` for Gaussian-type families), draws
from the posterior with :func:`shrinkage.sample` and reports the coefficients on the
**original** scale, like scikit-learn's linear models.

* ``coef_`` / ``intercept_``: posterior means of ``beta_original`` / ``intercept_original``
  (for the logistic classifier: on the logit scale, one row of coefficients, shape ``(p,)``).
  When fitted on a DataFrame, ``coef_`` is a ``pandas.Series`` indexed by the (expanded)
  feature names; otherwise a numpy array.
* ``map_coef_`` / ``map_intercept_``: the exact MAP of :func:`shrinkage.find_map`, original
  scale, or ``None`` where it is not defined or not exact: the horseshoe family (the density is
  unbounded at zero, no mode) and the Laplace (median regression) likelihood (``find_map``
  solves it by linear programming only with a flat intercept), or when ``compute_map=False``.
* ``predict(X)`` returns the **posterior predictive mean**
  ``E[y* | x*, data] = E_post[g^{-1}(eta*)]``: the average over draws of the linear predictor
  mapped through the inverse link (identity for Gaussian-type families, ``exp`` for Poisson).
  For the identity link it equals ``intercept_ + X @ coef_``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from shrinkage import priors
from shrinkage.families import Family, get_family
from shrinkage.priors.registry import PRIOR_NAMES, make_prior

__all__ = [
    "PRIOR_NAMES",
    "BayesianLassoRegression",
    "BayesianLogisticRegression",
    "BayesianRegression",
    "GaussianPriorRegression",
    "GroupLassoRegression",
    "HorseshoeRegression",
    "LaplacePriorRegression",
    "make_prior",
]

_ROW_CHUNK = 1000  # rows per block when averaging over draws (memory: chunk x draws floats)


def _seed(random_state: Any) -> int | None:
    """An integer seed for shrinkage.sample from an int, None, RandomState or Generator."""
    if random_state is None or isinstance(random_state, numbers.Integral):
        return None if random_state is None else int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    raise TypeError(
        f"random_state must be None, an int, a RandomState or a Generator; got {random_state!r}"
    )


def _has_text_columns(X: Any) -> bool:
    """True for a DataFrame with columns sklearn's numeric validation cannot take."""
    if not isinstance(X, pd.DataFrame):
        return False
    return any(
        not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
        for c in X.columns
    )


class _BayesianLinearModel(BaseEstimator):
    """Shared fit / predict machinery. Subclasses define ``_prior()`` and ``_family()``."""

    # -- to be defined by subclasses ------------------------------------------------------------
    def _prior(self) -> priors.Prior:
        raise NotImplementedError

    def _family(self) -> Family:
        raise NotImplementedError

    # -- fitting --------------------------------------------------------------------------------
    def _validate_fit(self, X: Any, y: Any) -> tuple[Any, np.ndarray]:
        """sklearn-style validation; DataFrames with categorical columns keep their dtypes."""
        if _has_text_columns(X):
            # categories become dummy blocks in Design, which also refuses free text
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
            self.n_features_in_ = X.shape[1]
            y = np.asarray(y)
            if y.ndim == 2 and y.shape[1] == 1:
                y = y[:, 0]
            if y.ndim != 1 or len(y) != len(X):
                raise ValueError(f"y must be 1-D with {len(X)} rows; got shape {y.shape}")
            return X, y
        X_arr, y_arr = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            y_numeric=not isinstance(self, ClassifierMixin),
            ensure_min_samples=2,
        )
        if hasattr(self, "feature_names_in_"):
            return pd.DataFrame(X_arr, columns=self.feature_names_in_, index=X.index), y_arr
        return X_arr, y_arr

    def _check_params(self) -> None:
        for name in ("draws", "tune", "chains"):
            value = getattr(self, name)
            if name == "tune" and value is None:  # the sampler's default
                continue
            low = 0 if name == "tune" else 1
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")

    def _fit(self, X: Any, y: np.ndarray, groups: Any) -> None:
        from shrinkage.inference import sample
        from shrinkage.model import build_model

        self._check_params()
        family, prior = self._family(), self._prior()
        if family.multi_output:
            raise ValueError(
                "the estimators fit a single response; use shrinkage.build_model for "
                "family='multi_gaussian'"
            )
        self.model_ = build_model(
            X, y, prior=prior, family=family, groups=groups, standardize=self.standardize
        )
        self.idata_ = sample(
            self.model_,
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            sampler=self.sampler,
            target_accept=self.target_accept,
            random_seed=_seed(self.random_state),
            progressbar=self.progressbar,
        )
        self._store_draws()
        self._set_point_estimates(prior, family)

    def _store_draws(self) -> None:
        post = self.idata_["posterior"]

        def flat(name: str) -> np.ndarray | None:
            if name not in post.data_vars:
                return None
            arr = post[name].to_numpy()
            return arr.reshape(arr.shape[0] * arr.shape[1], *arr.shape[2:])

        self._beta_draws = flat("beta")  # (S, p), model scale
        self._intercept_draws = flat("intercept")
        self._sigma_draws = flat("sigma")
        self._nu_draws = flat("nu")

    def _as_coef(self, values: np.ndarray):
        names = self._design.feature_names
        if hasattr(self, "feature_names_in_"):
            return pd.Series(values, index=pd.Index(names, name="feature"), name="coef")
        return np.asarray(values, dtype=float)

    def _set_point_estimates(self, prior: priors.Prior, family: Family) -> None:
        post = self.idata_["posterior"]
        self.coef_ = self._as_coef(post["beta_original"].mean(("chain", "draw")).to_numpy())
        self.intercept_ = float(post["intercept_original"].mean())
        self.map_coef_, self.map_intercept_ = None, None
        if self.compute_map and self._map_applies(prior, family):
            from shrinkage.inference import find_map

            result = find_map(self.model_)
            self.map_coef_ = self._as_coef(np.asarray(result["beta_original"], dtype=float))
            self.map_intercept_ = float(result["intercept_original"])

    @staticmethod
    def _map_applies(prior: priors.Prior, family: Family) -> bool:
        """find_map is exact for these priors with any likelihood but the Laplace one."""
        return prior.exact_map and family.name != "laplace"

    # -- pickling: a pymc.Model does not pickle, so it is rebuilt from its spec ----------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # object.__getstate__ returns __dict__ itself
        model = state.pop("model_", None)
        if model is not None:
            from shrinkage.model import get_spec

            state["_model_spec"] = get_spec(model)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        spec = state.pop("_model_spec", None)
        super().__setstate__(state)
        if spec is not None:
            self.model_ = _rebuild_model(spec)

    @property
    def _design(self):
        from shrinkage.model import get_spec

        return get_spec(self.model_).design

    # -- prediction -----------------------------------------------------------------------------
    def _transform(self, X: Any) -> np.ndarray:
        """New rows on the model's (standardized, dummy-expanded) scale."""
        check_is_fitted(self, "idata_")
        if self._text_input:
            if not isinstance(X, pd.DataFrame):
                raise TypeError(
                    "this estimator was fitted on a DataFrame with categorical columns; "
                    "predict needs a DataFrame with the same columns"
                )
            missing = [c for c in self.feature_names_in_ if c not in map(str, X.columns)]
            if missing:
                raise ValueError(f"X lacks column(s) seen in fit: {missing}")
            return self._design.transform(X)
        X_arr = validate_data(self, X, reset=False, dtype=np.float64)
        return (X_arr - self._design.x_center) / self._design.x_scale

    def _eta_draws(self, Z: np.ndarray) -> np.ndarray:
        """Linear predictor draws on the model scale, shape (n, S)."""
        a = self._intercept_draws if self._intercept_draws is not None else 0.0
        return Z @ self._beta_draws.T + a

    def _response_scale(self) -> tuple[float, float]:
        """(center, scale) mapping the model's response scale to the original one."""
        d = self._design
        return float(d.y_center), float(d.y_scale)

    def _mean_of(self, Z: np.ndarray) -> np.ndarray:
        """Posterior predictive mean E_post[g^{-1}(eta)] on the original scale."""
        family = self._family()
        if family.name in ("bernoulli", "poisson"):
            out = np.empty(Z.shape[0])
            for start in range(0, Z.shape[0], _ROW_CHUNK):
                block = slice(start, start + _ROW_CHUNK)
                out[block] = _inverse_link(family, self._eta_draws(Z[block])).mean(axis=1)
            return out
        # identity link: the mean of eta is eta at the mean coefficients (exact, cheaper)
        a = 0.0 if self._intercept_draws is None else self._intercept_draws.mean()
        center, scale = self._response_scale()
        return center + scale * (Z @ self._beta_draws.mean(axis=0) + a)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.target_tags.multi_output = False
        tags.target_tags.single_output = True
        return tags

    # -- diagnostics ----------------------------------------------------------------------------
    def report(self, **kwargs: Any):
        """:func:`shrinkage.report.report` of this fit (``Report``: table, health, LOO)."""
        from shrinkage.report import report

        check_is_fitted(self, "idata_")
        return report(self.idata_, self.model_, **kwargs)

    def cross_check(self, **kwargs: Any):
        """:func:`shrinkage.crosscheck.cross_check` of this fit's model (MAP vs solvers)."""
        from shrinkage.crosscheck import cross_check

        check_is_fitted(self, "idata_")
        return cross_check(self.model_, **kwargs)

    @property
    def _text_input(self) -> bool:
        return getattr(self, "_fitted_on_text", False)


def _rebuild_model(spec):
    """The same model from a ModelSpec: the design's (dummy-expanded) data and group labels."""
    from shrinkage.model import build_model

    d = spec.design
    X = pd.DataFrame(d.X_raw, columns=d.feature_names, index=d.obs_names)
    groups = None if d.groups is None else [d.group_names[g] for g in d.groups]
    return build_model(
        X,
        d.y_raw,
        prior=spec.prior,
        family=spec.family,
        groups=groups,
        standardize=d.standardize,
        intercept=spec.intercept,
    )


def _inverse_link(family: Family, eta: np.ndarray) -> np.ndarray:
    if family.name == "bernoulli":
        return 0.5 * (1.0 + np.tanh(0.5 * eta))  # logistic sigmoid without overflow
    if family.name == "poisson":
        return np.exp(eta)
    return eta


_SAMPLING_DOC = """
    standardize : bool
        Centre and scale the columns (divisor-n sd), and ``y`` for Gaussian-type families, so the
        prior acts on standardized coefficients.
    draws, chains : int
        Posterior draws per chain, number of chains.
    tune : int, optional
        Tuning steps (NUTS; default 1000) or warm-up sweeps (Gibbs) per chain, see
        :func:`shrinkage.sample`.
    sampler : {"auto", "nutpie", "pymc"}
        NUTS implementation (see :func:`shrinkage.sample`).
    target_accept : float, optional
        NUTS target acceptance (default per prior: 0.99 horseshoe family, else 0.9).
    random_state : int, RandomState, Generator or None
        Seed of the sampler; an int makes fits reproducible.
    progressbar : bool
    compute_map : bool
        Also compute the exact MAP (``map_coef_``) where it is defined.
"""


class BayesianRegression(RegressorMixin, _BayesianLinearModel):
    (
        """Bayesian linear / generalized linear regression with a shrinkage prior.

    Model (see :mod:`shrinkage.estimators`): ``y_i ~ family(g^{-1}(a + z_i' beta))`` with
    ``beta ~ prior`` on the standardized design.

    Parameters
    ----------
    prior : shrinkage.priors.Prior, str or None
        A prior object, a name from :data:`PRIOR_NAMES` (default hyperparameters), or None for
        ``Gaussian(scale=1)``.
    family : str or Family
        ``"gaussian"``, ``"student_t"``, ``"laplace"``, ``"poisson"`` (single response).
        For binary outcomes use :class:`BayesianLogisticRegression`.
    groups : sequence or mapping, optional
        Group label per column or ``{group: [columns]}`` (group priors).
    """
        + _SAMPLING_DOC
        + """
    Attributes
    ----------
    coef_, intercept_ : posterior means on the original scale (``coef_`` a Series when fitted on
        a DataFrame).
    map_coef_, map_intercept_ : exact MAP on the original scale, or None (see module docstring).
    idata_ : xarray.DataTree from :func:`shrinkage.sample`.
    model_ : pymc.Model from :func:`shrinkage.build_model`.
    n_features_in_, feature_names_in_ : as in scikit-learn.
    """
    )

    def __init__(
        self,
        prior: priors.Prior | str | None = None,
        family: str | Family = "gaussian",
        groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
        standardize: bool = True,
        draws: int = 1000,
        tune: int | None = None,
        chains: int = 4,
        sampler: str = "auto",
        target_accept: float | None = None,
        random_state: Any = None,
        progressbar: bool = False,
        compute_map: bool = True,
    ) -> None:
        self.prior = prior
        self.family = family
        self.groups = groups
        self.standardize = standardize
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.sampler = sampler
        self.target_accept = target_accept
        self.random_state = random_state
        self.progressbar = progressbar
        self.compute_map = compute_map

    def _prior(self) -> priors.Prior:
        return make_prior(self.prior)

    def _family(self) -> Family:
        family = get_family(self.family)
        if family.name == "bernoulli":
            raise ValueError("family='bernoulli' is a classifier: use BayesianLogisticRegression")
        return family

    def fit(self, X: Any, y: Any) -> BayesianRegression:
        """Sample the posterior given ``X`` (n, p) and ``y`` (n,); return ``self``."""
        self._fitted_on_text = _has_text_columns(X)
        X, y = self._validate_fit(X, y)
        self._fit(X, y, self.groups)
        return self

    def predict(self, X: Any, return_std: bool = False, return_interval: bool | float = False):
        """Posterior predictive mean at new rows, optionally its sd and an interval.

        Parameters
        ----------
        X : array-like or DataFrame (n, p)
        return_std : bool
            Also return the posterior predictive sd,
            ``sqrt(Var_post(E[y|theta]) + E_post(Var[y|theta]))`` (law of total variance;
            includes the noise, like ``BayesianRidge(return_std=True)``).
        return_interval : bool or float
            Also return an equal-tailed posterior predictive interval, shape (n, 2), from one
            simulated response per draw (seeded by ``random_state``); ``True`` uses ArviZ's
            ``stats.ci_prob``, a float in (0, 1) is the probability.

        Returns
        -------
        mean, or a tuple ``(mean, std)``, ``(mean, interval)`` or ``(mean, std, interval)``.
        """
        Z = self._transform(X)
        mean = self._mean_of(Z)
        if not return_std and return_interval is False:
            return mean
        out: list[np.ndarray] = [mean]
        if return_std:
            out.append(self._predictive_std(Z))
        if return_interval is not False:
            out.append(self._predictive_interval(Z, return_interval))
        return tuple(out)

    # -- predictive distribution ---------------------------------------------------------------
    def _noise(self) -> tuple[np.ndarray | float, np.ndarray | float | None]:
        """Noise scale draws (model scale) and Student-t dof draws for the family."""
        family = self._family()
        sigma = self._sigma_draws if self._sigma_draws is not None else family.sigma
        nu = self._nu_draws if self._nu_draws is not None else getattr(family, "nu", None)
        return sigma, nu

    def _predictive_std(self, Z: np.ndarray) -> np.ndarray:
        family = self._family()
        _center, scale = self._response_scale()
        out = np.empty(Z.shape[0])
        sigma, nu = self._noise()
        for start in range(0, Z.shape[0], _ROW_CHUNK):
            block = slice(start, start + _ROW_CHUNK)
            m = _inverse_link(family, self._eta_draws(Z[block]))
            if family.name == "poisson":
                noise_var = m  # Var[y | lambda] = lambda
            elif family.name == "student_t":
                nu_arr = np.broadcast_to(np.asarray(nu, float), (m.shape[1],))
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(nu_arr > 2, nu_arr / (nu_arr - 2), np.inf)
                noise_var = np.broadcast_to(np.asarray(sigma) ** 2 * ratio, m.shape)
            else:  # gaussian; laplace has Var = 2 b^2
                factor = 2.0 if family.name == "laplace" else 1.0
                noise_var = np.broadcast_to(factor * np.asarray(sigma) ** 2, m.shape)
            var = m.var(axis=1) + noise_var.mean(axis=1)
            out[block] = scale * np.sqrt(var)
        return out

    def _predictive_interval(self, Z: np.ndarray, prob: bool | float) -> np.ndarray:
        from shrinkage.report import ci_settings

        prob = ci_settings(None if prob is True else float(prob), "eti")[0]
        family = self._family()
        rng = np.random.default_rng(_seed(self.random_state))
        center, scale = self._response_scale()
        sigma, nu = self._noise()
        out = np.empty((Z.shape[0], 2))
        for start in range(0, Z.shape[0], _ROW_CHUNK):
            block = slice(start, start + _ROW_CHUNK)
            m = _inverse_link(family, self._eta_draws(Z[block]))
            if family.name == "poisson":
                sim = rng.poisson(m).astype(float)
            elif family.name == "student_t":
                sim = m + np.asarray(sigma) * rng.standard_t(np.asarray(nu, float), size=m.shape)
            elif family.name == "laplace":
                sim = rng.laplace(m, np.broadcast_to(np.asarray(sigma), m.shape))
            else:
                sim = m + np.asarray(sigma) * rng.standard_normal(m.shape)
            q = np.quantile(sim, [(1 - prob) / 2, (1 + prob) / 2], axis=1).T
            out[block] = center + scale * q
        return out


def _set_common(self, **kw: Any) -> None:
    for k, v in kw.items():
        setattr(self, k, v)


class GaussianPriorRegression(BayesianRegression):
    """Ridge analogue: ``beta_j ~ Normal(0, scale)`` on the standardized scale.

    Its MAP is ridge regression with ``alpha = sigma^2 / scale^2`` in scikit-learn's ``Ridge``
    convention (``sigma`` in sd(y) units).

    Parameters
    ----------
    scale : float
        Prior sd of a standardized coefficient.
    family, groups : as in :class:`BayesianRegression`.
    """

    def __init__(
        self,
        scale: float = 1.0,
        family: str | Family = "gaussian",
        standardize: bool = True,
        draws: int = 1000,
        tune: int | None = None,
        chains: int = 4,
        sampler: str = "auto",
        target_accept: float | None = None,
        random_state: Any = None,
        progressbar: bool = False,
        compute_map: bool = True,
    ) -> None:
        _set_common(self, **{k: v for k, v in locals().items() if k not in ("self", "__class__")})

    groups = None  # no groups parameter; class attribute for the shared fit

    def _prior(self) -> priors.Prior:
        return priors.Gaussian(self.scale)


class LaplacePriorRegression(BayesianRegression):
    """Lasso analogue: ``beta_j ~ Laplace(0, scale)`` on the standardized scale.

    Its MAP (``map_coef_``) is the lasso ``(1/2n)||y - X beta||^2 + alpha ||beta||_1`` with
    ``alpha = sigma^2 / (n scale)`` at the MAP's noise scale ``sigma``; exact zeros.
    The posterior mean (``coef_``) is never exactly sparse.
    """

    def __init__(
        self,
        scale: float = 1.0,
        family: str | Family = "gaussian",
        standardize: bool = True,
        draws: int = 1000,
        tune: int | None = None,
        chains: int = 4,
        sampler: str = "auto",
        target_accept: float | None = None,
        random_state: Any = None,
        progressbar: bool = False,
        compute_map: bool = True,
    ) -> None:
        _set_common(self, **{k: v for k, v in locals().items() if k not in ("self", "__class__")})

    groups = None

    def _prior(self) -> priors.Prior:
        return priors.Laplace(self.scale)


class BayesianLassoRegression(BayesianRegression):
    """Park & Casella (2008) Bayesian lasso.

    ``beta_j | sigma, lambda ~ Laplace(0, sigma / lambda)``, ``lambda^2 ~ Gamma(r, rate=delta)``
    (or ``lambda = lam`` fixed). Park & Casella's improper ``p(sigma^2) ∝ 1/sigma^2`` is used
    by default (``family="gaussian"`` with ``sigma_prior="jeffreys"``); pass a family object to
    change it.
    """

    def __init__(
        self,
        lam: float | None = None,
        r: float = 1.0,
        delta: float = 1.78,
        family: str | Family | None = None,
        standardize: bool = True,
        draws: int = 1000,
        tune: int | None = None,
        chains: int = 4,
        sampler: str = "auto",
        target_accept: float | None = None,
        random_state: Any = None,
        progressbar: bool = False,
        compute_map: bool = True,
    ) -> None:
        _set_common(self, **{k: v for k, v in locals().items() if k not in ("self", "__class__")})

    groups = None

    def _prior(self) -> priors.Prior:
        return priors.BayesianLasso(lam=self.lam, r=self.r, delta=self.delta)

    def _family(self) -> Family:
        if self.family is None:
            from shrinkage.families import Gaussian

            return Gaussian(sigma_prior="jeffreys")
        return super()._family()


class HorseshoeRegression(BayesianRegression):
    """Horseshoe regression, the regularized ("Finnish") horseshoe by default.

    ``regularized=True``: Piironen & Vehtari (2017) with ``tau0 = p0/(p - p0) sigma/sqrt(n)``,
    ``p0 = expected_nonzero``, slab ``c^2 ~ InvGamma(slab_df/2, slab_df slab_scale^2/2)``.
    ``regularized=False``: ``beta_j ~ N(0, tau^2 lam_j^2)``, ``lam_j ~ C+(0,1)``,
    ``tau ~ C+(0, global_scale)``. No MAP (``map_coef_`` is None): no convex equivalent.
    """

    def __init__(
        self,
        expected_nonzero: float = 1.0,
        slab_scale: float = 2.0,
        slab_df: float = 4.0,
        regularized: bool = True,
        global_scale: float = 1.0,
        family: str | Family = "gaussian",
        standardize: bool = True,
        draws: int = 1000,
        tune: int | None = None,
        chains: int = 4,
        sampler: str = "auto",
        target_accept: float | None = None,
        random_state: Any = None,
        progressbar: bool = False,
        compute_map: bool = True,
    ) -> None:
        _set_common(self, **{k: v for k, v in locals().items() if k not in ("self", "__class__")})

    groups = None

    def _prior(self) -> priors.Prior:
        if self.regularized:
            return priors.RegularizedHorseshoe(
                expected_nonzero=self.expected_nonzero,
                slab_scale=self.slab_scale,
                slab_df=self.slab_df,
            )
        return priors.Horseshoe(global_scale=self.global_scale)


class GroupLassoRegression(BayesianRegression):
    """Bayesian group lasso: ``p(beta_g) ∝ exp(-||beta_g||_2 / b_g)``, ``b_g = scale/sqrt(m_g)``.

    ``groups`` (required unless a DataFrame's categorical columns define them) gives a label per
    column or ``{group: [columns]}``.
    """

    def __init__(
        self,
        scale: float = 1.0,
        groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
        family: str | Family = "gaussian",
        standardize: bool = True,
        draws: int = 1000,
        tune: int | None = None,
        chains: int = 4,
        sampler: str = "auto",
        target_accept: float | None = None,
        random_state: Any = None,
        progressbar: bool = False,
        compute_map: bool = True,
    ) -> None:
        _set_common(self, **{k: v for k, v in locals().items() if k not in ("self", "__class__")})

    def _prior(self) -> priors.Prior:
        return priors.GroupLasso(self.scale)


class BayesianLogisticRegression(ClassifierMixin, _BayesianLinearModel):
    (
        """Binary logistic regression ``y_i ~ Bernoulli(sigmoid(a + z_i' beta))``, ``beta ~ prior``.

    Any two labels are accepted: ``classes_`` holds them sorted and the second is coded 1.
    More than two classes raise ``ValueError``.

    Parameters
    ----------
    prior : Prior, str or None
        None: ``Gaussian(scale=2.5)`` on standardized coefficients (rstanarm's default scale).
    groups : as in :class:`BayesianRegression`.
    """
        + _SAMPLING_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    coef_, intercept_ : posterior means on the logit scale, original feature scale; ``coef_``
        has shape ``(p,)`` (one row; scikit-learn's ``LogisticRegression`` uses ``(1, p)``).
    map_coef_, map_intercept_, idata_, model_, n_features_in_, feature_names_in_ :
        as in :class:`BayesianRegression`.
    """
    )

    def __init__(
        self,
        prior: priors.Prior | str | None = None,
        groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
        standardize: bool = True,
        draws: int = 1000,
        tune: int | None = None,
        chains: int = 4,
        sampler: str = "auto",
        target_accept: float | None = None,
        random_state: Any = None,
        progressbar: bool = False,
        compute_map: bool = True,
    ) -> None:
        _set_common(self, **{k: v for k, v in locals().items() if k not in ("self", "__class__")})

    def _prior(self) -> priors.Prior:
        return priors.Gaussian(2.5) if self.prior is None else make_prior(self.prior)

    def _family(self) -> Family:
        return get_family("bernoulli")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any) -> BayesianLogisticRegression:
        """Sample the posterior given ``X`` (n, p) and two-class labels ``y``; return ``self``."""
        self._fitted_on_text = _has_text_columns(X)
        X, y = self._validate_fit(X, y)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if classes.size != 2:
            raise ValueError(
                "Only binary classification is supported. BayesianLogisticRegression needs "
                f"exactly 2 classes; y has {classes.size}: {list(classes[:5])}"
            )
        self.classes_ = classes
        self._fit(X, codes.astype(float), self.groups)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior predictive class probabilities, shape (n, 2).

        ``P(y* = classes_[1] | x*, data) = E_post[sigmoid(a + z*' beta)]``.
        """
        p1 = self._mean_of(self._transform(X))
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable label under the posterior predictive (ties go to ``classes_[1]``)."""
        p1 = self.predict_proba(X)[:, 1]  # first: raises NotFittedError before classes_ is read
        return self.classes_[(p1 >= 0.5).astype(int)]
