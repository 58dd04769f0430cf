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
* Categorical and text DataFrame columns become drop-first dummy columns ``col[level]``
  (:class:`shrinkage.design.Design`); the levels seen at fit are pinned, ``predict`` maps new
  rows through them (another level order or fewer levels are fine; an unseen level raises
  ``ValueError`` naming the column and the level), and :meth:`report` names each reference
  level and, for the classifier, the label modelled as 1.
* ``predict(X)`` returns the **posterior predictive mean**
  ``E[y* | x*, data] = E_post[g^{-1}(eta*)]``: the average over draws of the linear predictor
  mapped through the inverse link (identity for Gaussian-type families, ``exp`` for Poisson).
  For the identity link it equals ``intercept_ + X @ coef_``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from shrinkage import priors
from shrinkage.design import check_unique_columns
from shrinkage.families import Family, get_family
from shrinkage.outofcore import is_dask
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


def _speed_line(idata: Any) -> str:
    """``sampled C chains x D draws (+T tuning) in S s: R draws/s`` from the sampler's attrs.

    PyMC's progress bar (pymc 6.4, ``RichProgressBackend.update``) leaves its speed column at
    its initial 0 when a chain ends before a non-final update came 0.25 s in, which is every
    short nutpie run: its last update is the final one (our calls now swap in a backend that
    sets it, :mod:`shrinkage.inference._progress`; the bar shows the per-chain sampling rate).
    This line gives the rate over PyMC's ``sampling_time`` (all chains, the sampler's start-up
    included, compilation not).
    """
    post = idata["posterior"]
    attrs = post.attrs
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    tune = int(attrs.get("tuning_steps", 0) or 0)
    seconds = float(attrs.get("sampling_time", float("nan")))
    rate = chains * (draws + tune) / seconds if seconds > 0 else float("nan")
    return (
        f"sampled {chains} chains x {draws} draws (+{tune} tuning) in {seconds:.2f} s: "
        f"{rate:.0f} draws/s"
    )


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (so ``repr`` shows ``'yes'`` or ``1``)."""
    return value.item() if isinstance(value, np.generic) else value


def _has_text_columns(X: Any) -> bool:
    """True for a DataFrame with columns sklearn's numeric validation cannot take."""
    if not isinstance(X, pd.DataFrame):
        return False
    check_unique_columns(X)
    return any(
        not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
        for c in X.columns
    )


def _refuse_glm_sampling_out_of_core(X: Any, y: Any, family: Family) -> None:
    """Sampling a logistic / Poisson posterior needs every row at every gradient: on Dask data
    raise the error naming the alternatives (the out-of-core MAP, or a sample of rows)."""
    if (is_dask(X) or is_dask(y)) and family.name in ("bernoulli", "poisson"):
        from shrinkage.outofcore.glm import refuse_sampling

        refuse_sampling(family.name)


class _BayesianLinearModel(BaseEstimator):
    """Shared fit / predict machinery. Subclasses define ``_prior()`` and ``_family()``.

    ``__init__`` stores the sampling parameters (documented in :class:`BayesianRegression`);
    subclasses add their model parameters and pass these on with ``super().__init__``.
    """

    def __init__(
        self,
        *,
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
        self.standardize = standardize
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.sampler = sampler
        self.target_accept = target_accept
        self.random_state = random_state
        self.progressbar = progressbar
        self.compute_map = compute_map

    # -- to be defined by subclasses ------------------------------------------------------------
    def _prior(self) -> priors.Prior:
        raise NotImplementedError

    def _family(self) -> Family:
        raise NotImplementedError

    # -- fitting --------------------------------------------------------------------------------
    def _validate_fit(self, X: Any, y: Any) -> tuple[Any, np.ndarray]:
        """sklearn-style validation; DataFrames with categorical columns keep their dtypes."""
        _refuse_glm_sampling_out_of_core(X, y, self._family())
        if is_dask(X) or is_dask(y):  # out of core: validated in the one pass of the design
            return self._validate_dask(X, y)
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

    def _validate_dask(self, X: Any, y: Any) -> tuple[Any, Any]:
        """Dask inputs pass as they are; only their column names are recorded."""
        if not (is_dask(X) and is_dask(y)):
            raise TypeError("X and y must both be Dask collections (split at the same rows)")
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
            self._fitted_on_text = any(
                not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
                for t in X.dtypes
            )
        self.n_features_in_ = X.shape[1]
        return X, y

    def _check_params(self) -> None:
        for name in ("draws", "tune", "chains"):
            value = getattr(self, name)
            if name == "tune" and value is None:  # the sampler's default
                continue
            low = 0 if name == "tune" else 1
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")

    def _formula_data(self, X: Any, y: Any) -> tuple[pd.DataFrame, np.ndarray, Any, Any]:
        """A formula fit's design frame, response, groups and :class:`FormulaDesign`."""
        from shrinkage.formula import formula_design

        frame, y, groups, state = formula_design(self.formula, X, y, self.groups)
        self.feature_names_in_ = np.asarray(state.variables, dtype=object)
        self.n_features_in_ = len(state.variables)
        self._fitted_on_text = False
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or len(y) != len(frame):
            raise ValueError(f"y must be 1-D with {len(frame)} rows; got shape {y.shape}")
        return frame, y, groups, state

    def _response_of(self, X: Any, y: Any) -> Any:
        """``y``, or the formula's response column of ``X`` when ``y`` is None (for score)."""
        state = getattr(self, "formula_", None)
        if y is not None or state is None or state.response is None:
            return y
        if not isinstance(X, pd.DataFrame) or state.response not in X.columns:
            raise ValueError(f"score needs y or a column {state.response!r} in X")
        return X[state.response]

    def _fit(self, X: Any, y: np.ndarray, groups: Any, formula: Any = None) -> None:
        from shrinkage.inference import sample
        from shrinkage.model import build_model, with_formula

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
        if formula is not None:  # predict reads new data through the formula
            self.model_ = with_formula(self.model_, formula)
        self.formula_ = formula
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
        if self.progressbar:
            print(_speed_line(self.idata_))
        self._store_draws()
        self._set_point_estimates(prior, family)
        self._check_finite_estimates()

    def _check_finite_estimates(self) -> None:
        """Refuse a fit whose original-scale coefficients over- or underflowed float64."""
        values = [np.asarray(self.coef_, dtype=float), np.asarray(self.intercept_, dtype=float)]
        if all(np.all(np.isfinite(v)) for v in values):
            return
        d = self._design
        raise ValueError(
            "the coefficients on the original scale are not finite: the columns' sds "
            f"(from {np.min(d.x_scale):.3g} to {np.max(d.x_scale):.3g}) and the response's "
            f"({float(np.max(d.y_scale)):.3g}) are too many orders of magnitude apart for "
            "float64; rescale the data"
        )

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
            if result.no_mode:  # find_map warned why; a point on the way to the edge is no MAP
                return
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
        if getattr(self, "formula_", None) is not None:
            return self._design.transform(self.formula_.transform(X))
        if is_dask(X):  # lazily, block by block on the workers: a Dask array out
            from shrinkage.outofcore.predict import transform_dask

            return transform_dask(self._design, X)
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
        if family.link != "identity":
            out = np.empty(Z.shape[0])
            for start in range(0, Z.shape[0], _ROW_CHUNK):
                block = slice(start, start + _ROW_CHUNK)
                out[block] = family.inverse_link(self._eta_draws(Z[block])).mean(axis=1)
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
        rep = report(self.idata_, self.model_, **kwargs)
        if hasattr(self, "classes_"):  # name the label coded 1, not just "y == 1"
            from shrinkage.report.notes import BINARY_NOTE_START, binary_label_note

            rep.notes = [n for n in rep.notes if not n.startswith(BINARY_NOTE_START)]
            rep.notes.append(binary_label_note(_plain(self.classes_[1])))
        return rep

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
    from shrinkage.model import build_model, get_spec, with_formula

    d = spec.design
    if getattr(d, "out_of_core", False):  # its statistics are the data: build_model reuses it
        return build_model(d, None, prior=spec.prior, family=spec.family, intercept=spec.intercept)
    X = pd.DataFrame(d.X_raw, columns=d.feature_names, index=d.obs_names)
    groups = None if d.groups is None else [d.group_names[g] for g in d.groups]
    model = build_model(
        X,
        d.y_raw,
        prior=spec.prior,
        family=spec.family,
        groups=groups,
        standardize=d.standardize,
        intercept=spec.intercept,
    )
    rebuilt = get_spec(model).design  # the fitted levels map new rows as before pickling
    rebuilt.categories, rebuilt.columns_in = d.categories, d.columns_in
    return with_formula(model, spec.formula)


class BayesianRegression(RegressorMixin, _BayesianLinearModel):
    r"""Bayesian linear / generalized linear regression with a shrinkage prior.

    The model of :func:`shrinkage.build_model` on the standardized design ``z_i`` (columns
    centred and scaled; ``y`` too for Gaussian-type families):

    .. math::

        \eta_i = a + z_i^\top \beta, \qquad
        y_i \sim \text{family}\bigl(g^{-1}(\eta_i), \sigma\bigr), \qquad
        \beta \sim \text{prior},

    with ``g`` the family's link (identity; ``log`` for Poisson), ``sigma`` the family's noise
    scale where it has one, and a weakly informative Normal prior on the intercept ``a``.
    :meth:`fit` draws from the posterior with :func:`shrinkage.sample`; the coefficients are
    reported on the original scale of ``X`` and ``y``.

    Parameters
    ----------
    prior : shrinkage.priors.Prior, str or None, default=None
        A prior object, a name from :data:`PRIOR_NAMES` (default hyperparameters), or None for
        ``Gaussian(scale=1)``: ``beta_j ~ N(0, 1)`` on the standardized scale.
    family : str or Family, default="gaussian"
        ``"gaussian"``, ``"student_t"``, ``"laplace"``, ``"poisson"`` (single response).
        For binary outcomes use :class:`BayesianLogisticRegression`.
    groups : sequence or mapping, optional
        Group label per column or ``{group: [columns]}`` (group priors); with ``formula``, per
        term or ``{group: [terms]}``.
    formula : str, optional
        A model formula, ``"y ~ x1 + C(g) + x2:x3"`` (:mod:`shrinkage.formula`): ``fit(data)``
        then reads the response and the terms from the DataFrame ``data`` (``fit(data, y)``
        with a formula ``"~ x1 + ..."``), the coefficients carry the terms' readable names,
        each multi-column term (a categorical) is one group, and ``predict(new_data)``
        rebuilds the same columns (fitted levels pinned; an unseen level is a ``ValueError``).
        A parameter, not a separate front door, so ``clone``, ``GridSearchCV`` and pipelines
        treat it like any other.
    standardize : bool, default=True
        Centre and scale the columns (divisor-n sd), and ``y`` for Gaussian-type families, so the
        prior acts on standardized coefficients.
    draws : int, default=1000
        Posterior draws per chain.
    tune : int, optional
        Tuning steps (NUTS; default 1000) or warm-up sweeps (Gibbs) per chain, see
        :func:`shrinkage.sample`.
    chains : int, default=4
        Number of chains.
    sampler : {"auto", "nutpie", "pymc"}, default="auto"
        NUTS implementation (see :func:`shrinkage.sample`).
    target_accept : float, optional
        NUTS target acceptance (default per prior: 0.99 horseshoe family, else 0.9).
    random_state : int, RandomState, Generator or None, default=None
        Seed of the sampler; an int makes fits reproducible.
    progressbar : bool, default=False
        Show the sampler's progress bar.
    compute_map : bool, default=True
        Also compute the exact MAP (``map_coef_``) where it is defined.

    Attributes
    ----------
    coef_ : ndarray of shape (p,) or pandas.Series
        Posterior means of the coefficients on the original scale (a Series indexed by the
        expanded feature names when fitted on a DataFrame).
    intercept_ : float
        Posterior mean of the intercept on the original scale.
    map_coef_, map_intercept_ : as ``coef_``, ``intercept_``, or None
        The exact MAP of :func:`shrinkage.find_map` on the original scale; None for the
        horseshoe family (no mode), the Laplace likelihood, ``compute_map=False`` and when
        ``find_map`` finds the posterior has no mode (e.g. ``n <= p + 1`` with ``sigma -> 0``).
    idata_ : xarray.DataTree
        The draws, from :func:`shrinkage.sample`.
    model_ : pymc.Model
        The model, from :func:`shrinkage.build_model`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame (with a formula: the data columns it reads).
    formula_ : shrinkage.formula.FormulaDesign or None
        The fitted formula (levels, transforms) when ``formula`` is given.

    See Also
    --------
    GaussianPriorRegression, LaplacePriorRegression, BayesianLassoRegression,
    HorseshoeRegression, GroupLassoRegression : the same estimator with a named prior.
    BayesianLogisticRegression : binary classification.

    Examples
    --------
    >>> from shrinkage.datasets import load_diabetes
    >>> from shrinkage.estimators import BayesianRegression
    >>> X, y = load_diabetes()
    >>> est = BayesianRegression(prior="laplace", draws=500, random_state=0).fit(X, y)
    >>> est.predict(X.iloc[:3]).shape
    (3,)
    """

    def __init__(
        self,
        *,
        prior: priors.Prior | str | None = None,
        family: str | Family = "gaussian",
        groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
        formula: str | None = None,
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
        super().__init__(
            standardize=standardize,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            target_accept=target_accept,
            random_state=random_state,
            progressbar=progressbar,
            compute_map=compute_map,
        )
        self.prior = prior
        self.family = family
        self.groups = groups
        self.formula = formula

    def _prior(self) -> priors.Prior:
        return make_prior(self.prior)

    def _family(self) -> Family:
        family = get_family(self.family)
        if family.name == "bernoulli":
            raise ValueError("family='bernoulli' is a classifier: use BayesianLogisticRegression")
        return family

    def fit(self, X: Any, y: Any = None) -> BayesianRegression:
        """Sample the posterior given ``X`` (n, p) and ``y`` (n,); return ``self``.

        With ``formula``, ``X`` is the DataFrame the formula reads and ``y`` may be omitted when
        the formula names the response (``"y ~ ..."``).
        """
        if self.formula is not None:
            frame, y, groups, state = self._formula_data(X, y)
            self._fit(frame, y, groups, state)
            return self
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None "
                "(or a formula 'y ~ ...' naming the response)"
            )
        self._fitted_on_text = _has_text_columns(X)
        X, y = self._validate_fit(X, y)
        self._fit(X, y, self.groups)
        return self

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """R^2 of :meth:`predict`; with a formula naming the response, ``y`` may be omitted."""
        return super().score(X, self._response_of(X, y), sample_weight)

    def predict(self, X: Any, return_std: bool = False, return_interval: bool | float = False):
        """Posterior predictive mean at new rows, optionally its sd and an interval.

        Parameters
        ----------
        X : array-like or DataFrame (n, p)
        return_std : bool
            Also return the posterior predictive sd,
            ``sqrt(Var_post(E[y|theta]) + E_post(Var[y|theta]))`` (law of total variance;
            includes the noise, like ``BayesianRidge(return_std=True)``). For the Student-t
            family it is infinite (with a warning saying why) when any draw has ``nu <= 2``.
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
        if is_dask(Z):
            raise ValueError(
                "return_std / return_interval need every draw at every row: not available for "
                "Dask input; predict them on a computed sample of rows (X.head(...))"
            )
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
        sigma = self._sigma_draws
        sigma = sigma if sigma is not None else getattr(family, "sigma", None)
        nu = self._nu_draws if self._nu_draws is not None else getattr(family, "nu", None)
        return sigma, nu

    def _predictive_std(self, Z: np.ndarray) -> np.ndarray:
        family = self._family()
        _center, scale = self._response_scale()
        out = np.empty(Z.shape[0])
        sigma, nu = self._noise()
        for start in range(0, Z.shape[0], _ROW_CHUNK):
            block = slice(start, start + _ROW_CHUNK)
            m = family.inverse_link(self._eta_draws(Z[block]))
            noise_var = family.noise_variance(m, sigma, nu)
            var = m.var(axis=1) + noise_var.mean(axis=1)
            out[block] = scale * np.sqrt(var)
        self._warn_infinite_std(out, nu)
        return out

    @staticmethod
    def _warn_infinite_std(std: np.ndarray, nu: Any) -> None:
        """Say why a Student-t predictive sd is infinite: draws with ``nu <= 2``."""
        if np.all(np.isfinite(std)) or nu is None:
            return
        nu = np.atleast_1d(np.asarray(nu, dtype=float))
        low = int(np.sum(nu <= 2))
        which = f"nu = {nu[0]:g} is" if nu.size == 1 else f"{low} of {nu.size} draws of nu are"
        warnings.warn(
            f"the posterior predictive sd is infinite: the Student-t degrees of freedom {which} "
            "<= 2, where the t variance does not exist "
            "(heavy tails); use return_interval= (quantiles exist) or fix nu > 2 with "
            "family=StudentT(nu=...)",
            UserWarning,
            stacklevel=3,
        )

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
            m = family.inverse_link(self._eta_draws(Z[block]))
            sim = family.sample_response(rng, m, sigma, nu)
            q = np.quantile(sim, [(1 - prob) / 2, (1 + prob) / 2], axis=1).T
            out[block] = center + scale * q
        return out


class GaussianPriorRegression(BayesianRegression):
    r"""Ridge analogue: a Gaussian prior on the standardized coefficients.

    .. math::

        \beta_j \sim N(0, \text{scale}^2), \qquad j = 1, \ldots, p,

    in the model of :class:`BayesianRegression`. Given the noise scale ``sigma`` (in sd(y)
    units) its MAP is ridge regression, ``Ridge(alpha=sigma^2 / scale^2)`` in scikit-learn's
    convention; the posterior mean equals the MAP at fixed ``sigma`` (Gaussian likelihood).

    Parameters
    ----------
    scale : float, default=1.0
        Prior sd of a standardized coefficient.
    family : str or Family, default="gaussian"
        As in :class:`BayesianRegression`.
    standardize, draws, tune, chains, sampler, target_accept, random_state, progressbar, compute_map
        As in :class:`BayesianRegression`.

    Attributes
    ----------
    coef_, intercept_, map_coef_, map_intercept_, idata_, model_
        As in :class:`BayesianRegression`.
    n_features_in_, feature_names_in_
        As in :class:`BayesianRegression`.
    """

    def __init__(
        self,
        *,
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
        super().__init__(
            prior=None,  # built from scale by _prior
            family=family,
            groups=None,
            standardize=standardize,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            target_accept=target_accept,
            random_state=random_state,
            progressbar=progressbar,
            compute_map=compute_map,
        )
        self.scale = scale

    def _prior(self) -> priors.Prior:
        return priors.Gaussian(self.scale)


class LaplacePriorRegression(BayesianRegression):
    r"""Lasso analogue: a Laplace prior on the standardized coefficients.

    .. math::

        p(\beta_j) = \frac{1}{2\,\text{scale}} \exp\bigl(-|\beta_j| / \text{scale}\bigr),

    in the model of :class:`BayesianRegression`. Its MAP (``map_coef_``) is the lasso
    ``(1/2n)||y - a - X beta||^2 + alpha ||beta||_1`` with ``alpha = sigma^2 / (n scale)`` at
    the MAP's noise scale ``sigma``, with exact zeros; the posterior mean (``coef_``) is never
    exactly sparse.

    Parameters
    ----------
    scale : float, default=1.0
        Laplace scale ``b`` of a standardized coefficient (prior sd ``sqrt(2) b``).
    family : str or Family, default="gaussian"
        As in :class:`BayesianRegression`.
    standardize, draws, tune, chains, sampler, target_accept, random_state, progressbar, compute_map
        As in :class:`BayesianRegression`.

    Attributes
    ----------
    coef_, intercept_, map_coef_, map_intercept_, idata_, model_
        As in :class:`BayesianRegression`.
    n_features_in_, feature_names_in_
        As in :class:`BayesianRegression`.
    """

    def __init__(
        self,
        *,
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
        super().__init__(
            prior=None,  # built from scale by _prior
            family=family,
            groups=None,
            standardize=standardize,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            target_accept=target_accept,
            random_state=random_state,
            progressbar=progressbar,
            compute_map=compute_map,
        )
        self.scale = scale

    def _prior(self) -> priors.Prior:
        return priors.Laplace(self.scale)


class BayesianLassoRegression(BayesianRegression):
    r"""Park & Casella (2008) Bayesian lasso.

    .. math::

        p(\beta_j \mid \sigma, \lambda) = \frac{\lambda}{2\sigma}
            \exp(-\lambda |\beta_j| / \sigma), \qquad
        \lambda^2 \sim \mathrm{Gamma}(r, \text{rate}=\delta), \qquad
        p(\sigma^2) \propto 1 / \sigma^2,

    in the model of :class:`BayesianRegression` (or ``lambda = lam`` fixed). Park & Casella's
    improper ``p(sigma^2) ∝ 1/sigma^2`` is the default family
    (``Gaussian(sigma_prior="jeffreys")``); pass a family to change it. Its MAP at fixed
    ``lambda`` is the lasso with ``alpha = sigma lambda / n``.

    Parameters
    ----------
    lam : float, optional
        Fix ``lambda``; None gives it the Gamma prior on ``lambda^2``.
    r, delta : float, default=1.0, 1.78
        Shape and rate of the Gamma prior on ``lambda^2``.
    family : str, Family or None, default=None
        None: ``Gaussian(sigma_prior="jeffreys")``; otherwise as in :class:`BayesianRegression`.
    standardize, draws, tune, chains, sampler, target_accept, random_state, progressbar, compute_map
        As in :class:`BayesianRegression`.

    Attributes
    ----------
    coef_, intercept_, map_coef_, map_intercept_, idata_, model_
        As in :class:`BayesianRegression`.
    n_features_in_, feature_names_in_
        As in :class:`BayesianRegression`.
    """

    def __init__(
        self,
        *,
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
        super().__init__(
            prior=None,  # built from lam, r, delta by _prior
            family=family,
            groups=None,
            standardize=standardize,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            target_accept=target_accept,
            random_state=random_state,
            progressbar=progressbar,
            compute_map=compute_map,
        )
        self.lam = lam
        self.r = r
        self.delta = delta

    def _prior(self) -> priors.Prior:
        return priors.BayesianLasso(lam=self.lam, r=self.r, delta=self.delta)

    def _family(self) -> Family:
        if self.family is None:
            from shrinkage.families import Gaussian

            return Gaussian(sigma_prior="jeffreys")
        return super()._family()


class HorseshoeRegression(BayesianRegression):
    r"""Horseshoe regression, the regularized ("Finnish") horseshoe by default.

    ``regularized=True`` (Piironen & Vehtari 2017):

    .. math::

        \beta_j = z_j\, \tau \tilde\lambda_j, \quad
        \tilde\lambda_j^2 = \frac{c^2 \lambda_j^2}{c^2 + \tau^2 \lambda_j^2}, \quad
        z_j \sim N(0,1), \quad \lambda_j \sim C^+(0,1), \quad
        \tau \sim C^+(0, \tau_0), \quad
        c^2 \sim \mathrm{InvGamma}(\nu/2, \nu s^2/2)

    with ``tau0 = p0 / (p - p0) * sigma / sqrt(n)``, ``p0 = expected_nonzero``,
    ``s = slab_scale``, ``nu = slab_df``. ``regularized=False`` (Carvalho, Polson & Scott
    2010): ``beta_j ~ N(0, tau^2 lambda_j^2)``, ``lambda_j ~ C+(0, 1)``,
    ``tau ~ C+(0, global_scale)``. No MAP (``map_coef_`` is None): the density is unbounded at
    zero and has no convex penalized equivalent.

    Parameters
    ----------
    expected_nonzero : float, default=1.0
        Prior guess ``p0`` of the number of non-zero coefficients (regularized only).
    slab_scale, slab_df : float, default=2.0, 4.0
        Scale ``s`` and degrees of freedom ``nu`` of the slab (regularized only).
    regularized : bool, default=True
        The regularized horseshoe; False for the plain one.
    global_scale : float, default=1.0
        Scale of the half-Cauchy prior on ``tau`` (plain horseshoe only).
    family : str or Family, default="gaussian"
        As in :class:`BayesianRegression`.
    standardize, draws, tune, chains, sampler, target_accept, random_state, progressbar, compute_map
        As in :class:`BayesianRegression`.

    Attributes
    ----------
    coef_, intercept_, map_coef_, map_intercept_, idata_, model_
        As in :class:`BayesianRegression`.
    n_features_in_, feature_names_in_
        As in :class:`BayesianRegression`.
    """

    def __init__(
        self,
        *,
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
        super().__init__(
            prior=None,  # built from the horseshoe parameters by _prior
            family=family,
            groups=None,
            standardize=standardize,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            target_accept=target_accept,
            random_state=random_state,
            progressbar=progressbar,
            compute_map=compute_map,
        )
        self.expected_nonzero = expected_nonzero
        self.slab_scale = slab_scale
        self.slab_df = slab_df
        self.regularized = regularized
        self.global_scale = global_scale

    def _prior(self) -> priors.Prior:
        if self.regularized:
            return priors.RegularizedHorseshoe(
                expected_nonzero=self.expected_nonzero,
                slab_scale=self.slab_scale,
                slab_df=self.slab_df,
            )
        return priors.Horseshoe(global_scale=self.global_scale)


class GroupLassoRegression(BayesianRegression):
    r"""Bayesian group lasso: a multivariate Laplace prior per group of coefficients.

    .. math::

        p(\beta_g) \propto \exp\bigl(-\lVert \beta_g \rVert_2 / b_g\bigr), \qquad
        b_g = \text{scale} / \sqrt{m_g},

    with ``m_g`` the number of coefficients in group ``g``, in the model of
    :class:`BayesianRegression`. Its MAP is the group lasso with weights ``sqrt(m_g)`` and
    ``alpha = sigma^2 / (n scale)``: whole groups are exactly zero.

    Parameters
    ----------
    scale : float, default=1.0
        Prior scale of a group's norm (before the ``1/sqrt(m_g)`` factor).
    groups : sequence or mapping, optional
        A label per column or ``{group: [columns]}``; required unless a DataFrame's
        categorical columns define the groups (one group per categorical column).
    family : str or Family, default="gaussian"
        As in :class:`BayesianRegression`.
    standardize, draws, tune, chains, sampler, target_accept, random_state, progressbar, compute_map
        As in :class:`BayesianRegression`.

    Attributes
    ----------
    coef_, intercept_, map_coef_, map_intercept_, idata_, model_
        As in :class:`BayesianRegression`.
    n_features_in_, feature_names_in_
        As in :class:`BayesianRegression`.
    """

    def __init__(
        self,
        *,
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
        super().__init__(
            prior=None,  # built from scale by _prior
            family=family,
            groups=groups,
            standardize=standardize,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            target_accept=target_accept,
            random_state=random_state,
            progressbar=progressbar,
            compute_map=compute_map,
        )
        self.scale = scale

    def _prior(self) -> priors.Prior:
        return priors.GroupLasso(self.scale)


class BayesianLogisticRegression(ClassifierMixin, _BayesianLinearModel):
    r"""Binary logistic regression with a shrinkage prior.

    .. math::

        y_i \sim \mathrm{Bernoulli}\bigl(\operatorname{sigmoid}(a + z_i^\top \beta)\bigr),
        \qquad \beta \sim \text{prior},

    on the standardized design ``z_i``. Any two labels are accepted: ``classes_`` holds them
    sorted and the second is coded 1. More than two classes raise ``ValueError``.

    Parameters
    ----------
    prior : shrinkage.priors.Prior, str or None, default=None
        As in :class:`BayesianRegression`; None gives ``Gaussian(scale=2.5)`` on standardized
        coefficients (rstanarm's default scale).
    groups, formula : optional
        As in :class:`BayesianRegression`; the formula's response holds the two labels.
    standardize, draws, tune, chains, sampler, target_accept, random_state, progressbar, compute_map
        As in :class:`BayesianRegression`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels, sorted; ``classes_[1]`` is coded 1.
    coef_, intercept_ : ndarray of shape (p,) or pandas.Series, float
        Posterior means on the logit scale, original feature scale; ``coef_`` has shape ``(p,)``
        (one row; scikit-learn's ``LogisticRegression`` uses ``(1, p)``).
    map_coef_, map_intercept_, idata_, model_, n_features_in_, feature_names_in_, formula_
        As in :class:`BayesianRegression`.
    """

    def __init__(
        self,
        *,
        prior: priors.Prior | str | None = None,
        groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
        formula: str | None = None,
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
        super().__init__(
            standardize=standardize,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            target_accept=target_accept,
            random_state=random_state,
            progressbar=progressbar,
            compute_map=compute_map,
        )
        self.prior = prior
        self.groups = groups
        self.formula = formula

    def _prior(self) -> priors.Prior:
        return priors.Gaussian(2.5) if self.prior is None else make_prior(self.prior)

    def _family(self) -> Family:
        return get_family("bernoulli")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any = None) -> BayesianLogisticRegression:
        """Sample the posterior given ``X`` (n, p) and two-class labels ``y``; return ``self``.

        With ``formula``, ``X`` is the DataFrame the formula reads and ``y`` may be omitted when
        the formula names the response (``"y ~ ..."``).
        """
        state, groups = None, self.groups
        if self.formula is not None:
            X, y, groups, state = self._formula_data(X, y)
        elif y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None "
                "(or a formula 'y ~ ...' naming the response)"
            )
        else:
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
        self._fit(X, codes.astype(float), groups, state)
        return self

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Accuracy of :meth:`predict`; with a formula naming the response, ``y`` may be omitted."""
        return super().score(X, self._response_of(X, y), sample_weight)

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
