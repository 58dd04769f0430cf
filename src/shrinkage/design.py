"""Validated, standardized regression data: feature names, groups and the scaling to undo.

With ``standardize=True`` every column is centred and divided by its divisor-n standard
deviation, ``z_ij = (x_ij - c_j) / s_j``, and (for Gaussian-type families) the response is
``(y - c_y) / s_y``. A coefficient ``beta_j`` on that scale maps back to the original scale as

.. math::

    \\beta^{orig}_j = s_y \\beta_j / s_j, \\qquad
    a^{orig} = c_y + s_y \\Big(a - \\sum_j \\beta_j c_j / s_j\\Big)

(glmnet's ``standardize=TRUE`` semantics). The scaling is stored here and never recomputed.

Categorical columns (pandas ``category`` dtype, or text: ``object`` columns of strings and
pandas' ``str`` dtype, which ``read_csv`` gives) become drop-first dummy columns
``col[level]``. The levels seen at fit time are pinned (:attr:`Design.categories`, the first
is the reference level) and :meth:`Design.transform` maps new rows through them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from shrinkage._validation import (
    as_float_matrix,
    check_consistent_length,
    check_finite,
    check_numeric,
)

__all__ = ["Design", "check_levels", "check_unique_columns", "fit_levels", "lagged"]

#: Column / response scales (sd) outside ``[1/_SCALE_LIMIT, _SCALE_LIMIT]`` are refused when
#: the data are not standardized: squares and cross-products of such numbers over- or underflow
#: float64 (max ~1.8e308, smallest normal ~2.2e-308) in the likelihood and the solvers.
_SCALE_LIMIT = 1e100
#: Largest |value| range in which numpy's mean / std are computed directly (squares stay finite
#: and normal); outside it they are computed on the column divided by its largest |value|.
_SAFE_LOW, _SAFE_HIGH = 1e-150, 1e150
#: ``sd(y) / sd(x_j)`` beyond this (or below its inverse) is refused: a standardized
#: coefficient of order 1-1000 times it must stay inside float64 (max ~1.8e308).
_RATIO_LIMIT = 1e305


def check_unique_columns(X: pd.DataFrame) -> None:
    """Raise ``ValueError`` naming the duplicated column labels of a DataFrame."""
    dup = X.columns[X.columns.duplicated()]
    if len(dup):
        shown = ", ".join(repr(str(c)) for c in dict.fromkeys(dup))
        raise ValueError(
            f"X has duplicate column names ({shown}): every column needs its own name "
            "(rename or drop the copies)"
        )


def is_text(s: pd.Series) -> bool:
    """True for text columns: pandas string dtypes, or ``object`` holding only strings."""
    if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s):
        return False
    if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        return True
    if pd.api.types.is_object_dtype(s):
        values = s.dropna()
        return len(values) > 0 and all(isinstance(v, str) for v in values)
    return False


def fit_levels(s: pd.Series, name: str) -> tuple[list[Any], list[str]]:
    """Levels of a categorical or text column seen at fit (reference first) and notes."""
    if s.isna().any():
        raise ValueError(f"categorical column {name!r} contains missing values")
    notes: list[str] = []
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.unique())
        levels = [c for c in s.cat.categories if c in present]
        unused = [c for c in s.cat.categories if c not in present]
        if unused:
            notes.append(
                f"categorical column {name!r}: level(s) {unused} do not occur in the data "
                "and were dropped"
            )
    else:
        levels = sorted(s.unique(), key=str)
        if len(levels) == len(s) > 2:
            raise TypeError(
                f"column {name!r} is non-numeric text with a different value in every row "
                f"({len(s)}): an identifier, not a category; drop it, or make it a pandas "
                "'category' dtype to expand it anyway"
            )
    if len(levels) < 2:
        raise ValueError(f"categorical column {name!r} has a single level: it is constant")
    return levels, notes


def check_levels(s: pd.Series, name: str, levels: list[Any]) -> pd.Series:
    """``s`` as plain values, refusing missing values and levels not among the pinned ``levels``."""
    if s.isna().any():
        raise ValueError(f"categorical column {name!r} contains missing values")
    values = s.astype(object)
    known = set(levels)
    unseen = [v for v in pd.unique(values) if v not in known]
    if unseen:
        raise ValueError(
            f"column {name!r} has level(s) {unseen} not seen in fit; the fitted levels are "
            f"{levels} (reference {levels[0]!r})"
        )
    return values


def _dummies(s: pd.Series, name: str, levels: list[Any]) -> pd.DataFrame:
    """Drop-first dummies of ``s`` against pinned ``levels``; unseen levels are refused."""
    values = check_levels(s, name, levels)
    data = {f"{name}[{lev}]": (values == lev).to_numpy(dtype=float) for lev in levels[1:]}
    return pd.DataFrame(data, index=s.index)


def _expand_frame(
    X: pd.DataFrame, categories: Mapping[str, list[Any]] | None = None
) -> tuple[pd.DataFrame, dict[str, list[str]], dict[str, list[Any]], list[str]]:
    """Expand categorical / text columns into drop-first dummy blocks; refuse other non-numeric.

    ``categories`` (from a fit) pins the levels of those columns; without it the levels are
    read from ``X``. Returns the numeric frame, for each original column the list of columns
    it became, the levels per categorical column (reference first) and notes.
    """
    check_unique_columns(X)
    if X.shape[1] == 0:
        raise ValueError(f"X is empty: the DataFrame has no columns (shape {X.shape})")
    pieces: list[pd.DataFrame] = []
    origin: dict[str, list[str]] = {}
    levels_of: dict[str, list[Any]] = {}
    notes: list[str] = []
    for col in X.columns:
        s = X[col]
        name = str(col)
        pinned = None if categories is None else categories.get(name)
        if pinned is not None or isinstance(s.dtype, pd.CategoricalDtype) or is_text(s):
            if pinned is None:
                pinned, more = fit_levels(s, name)
                notes += more
            d = _dummies(s, name, pinned)
            levels_of[name] = list(pinned)
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            d = s.astype(float).to_frame(name)
        elif s.isna().all():
            raise ValueError(f"column {name!r} holds only missing values")
        else:
            raise TypeError(
                f"column {name!r} is non-numeric (dtype {s.dtype}) and not text; convert it to "
                "numbers, strings or a pandas 'category' dtype (expanded to dummy columns)"
            )
        pieces.append(d)
        origin[name] = list(d.columns)
    frame = pd.concat(pieces, axis=1)
    check_unique_columns(frame)
    return frame, origin, levels_of, notes


def _group_codes(
    groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None,
    columns: list[str],
    origin: dict[str, list[str]],
) -> tuple[np.ndarray, list[str]] | None:
    """Integer group label per expanded column (codes in order of first appearance) and names."""
    label_of: dict[str, str] = {}
    if groups is None:
        if all(len(v) == 1 for v in origin.values()):
            return None
        label_of = {orig: orig for orig in origin}
    elif isinstance(groups, Mapping):
        for g, members in groups.items():
            if isinstance(members, str) or not isinstance(members, Sequence | np.ndarray):
                raise TypeError(f"groups[{g!r}] must be a list of column names")
            for m in members:
                m = str(m)
                if m not in origin:
                    raise ValueError(f"groups[{g!r}] names unknown column {m!r}")
                if m in label_of:
                    raise ValueError(f"column {m!r} is assigned to two groups")
                label_of[m] = str(g)
        for orig in origin:  # unassigned columns form their own group
            label_of.setdefault(orig, orig)
    else:
        labels = list(np.asarray(groups, dtype=object).ravel())
        if len(labels) != len(origin):
            raise ValueError(
                f"groups has {len(labels)} labels but X has {len(origin)} columns: give one "
                "label per column or a mapping {group: [columns]}"
            )
        label_of = {orig: str(lab) for orig, lab in zip(origin, labels, strict=True)}
    names: list[str] = []
    codes = np.empty(len(columns), dtype=np.int64)
    pos = {c: i for i, c in enumerate(columns)}
    for orig, expanded in origin.items():
        lab = label_of[orig]
        if lab not in names:
            names.append(lab)
        for c in expanded:
            codes[pos[c]] = names.index(lab)
    return codes, names


def _mean_std(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and divisor-n sds; on ``a / max|a|`` for extreme magnitudes.

    numpy's ``std`` squares the deviations, which overflows beyond ~1e154 and underflows below
    ~1e-154; dividing by the column's largest ``|a|`` first keeps every square near 1.
    """
    m = np.max(np.abs(a), axis=0)
    if np.all((m > _SAFE_LOW) & (m < _SAFE_HIGH)):
        return a.mean(axis=0), a.std(axis=0)
    m = np.where(m > 0, m, 1.0)
    u = a / m
    return u.mean(axis=0) * m, u.std(axis=0) * m


def _scaled(a: np.ndarray, center, scale) -> np.ndarray:
    """``(a - center) / scale``, rescaled by ``max|a|`` first where that would overflow."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        out = (a - center) / scale
    if np.all(np.isfinite(out)):
        return out
    center, scale = np.asarray(center, float), np.asarray(scale, float)
    m = np.maximum(np.max(np.abs(a), axis=0), np.abs(center))
    m = np.where(m > 0, m, 1.0)
    return (a / m - center / m) / (scale / m)


def _check_raw_scale(sd: np.ndarray, names: list[str], what: str) -> None:
    """Refuse unstandardized data whose sd is outside ``[1/_SCALE_LIMIT, _SCALE_LIMIT]``."""
    bad = np.flatnonzero((sd > _SCALE_LIMIT) | ((sd < 1 / _SCALE_LIMIT) & (sd > 0)))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"{what} {names[j]!r} has sd {sd[j]:.3g}, too far from 1 to fit with "
            f"standardize=False (limit {1 / _SCALE_LIMIT:g} to {_SCALE_LIMIT:g}): use "
            "standardize=True or rescale it"
        )


class Design:
    """Validated regression data on the scale the prior sees.

    Parameters
    ----------
    X : array-like or pandas.DataFrame, shape (n, p)
        Numeric predictors. Categorical and text DataFrame columns expand to drop-first dummy
        columns (named ``col[level]``) that form one group; other non-numeric columns and
        duplicate column names are refused.
    y : array-like, shape (n,) or (n, k)
        Response; a 2-D ``y`` with ``k >= 2`` columns is a multi-output response.
    groups : sequence or mapping, optional
        A group label per column of ``X`` (before dummy expansion), or ``{group: [columns]}``
        (columns not named form their own group).
    standardize : bool
        Centre and scale columns of ``X`` (divisor-n standard deviation).
    standardize_y : bool
        Also centre and scale ``y`` (Gaussian-type families); ignored if ``standardize`` is False.

    Attributes
    ----------
    X, y : numpy.ndarray
        Design and response on the model's scale.
    X_raw, y_raw : numpy.ndarray
        As passed (after dummy expansion).
    x_center, x_scale : numpy.ndarray, shape (p,)
    y_center, y_scale : float or numpy.ndarray of shape (k,)
    feature_names, obs_names, output_names : list
    categories : dict
        Levels of each categorical / text column seen at fit, the reference level first
        (unused categories dropped); :meth:`transform` maps new rows through them.
    notes : list of str
        What was done to the data that the user should know (e.g. unused levels dropped).
    groups : numpy.ndarray of int or None
        Group code per (expanded) column; ``group_names`` holds the labels.
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
        standardize: bool = True,
        standardize_y: bool = True,
    ) -> None:
        self.standardize = bool(standardize)
        self.obs_names = list(X.index) if isinstance(X, pd.DataFrame) else None
        self.categories: dict[str, list[Any]] = {}
        self.notes: list[str] = []
        self.columns_in: list[str] | None = None
        if isinstance(X, pd.DataFrame):
            frame, origin, self.categories, self.notes = _expand_frame(X)
            for note in self.notes:
                warnings.warn(note, UserWarning, stacklevel=3)
            X_arr = as_float_matrix(frame.to_numpy(dtype=float), "X")
            self.feature_names = list(frame.columns)
            self.columns_in = [str(c) for c in X.columns]
        else:
            X_arr = as_float_matrix(X, "X")
            self.feature_names = [f"x{j}" for j in range(X_arr.shape[1])]
            origin = {name: [name] for name in self.feature_names}
        y_arr, self.output_names = self._validate_y(y)
        check_consistent_length(X_arr, y_arr)
        if self.obs_names is None:
            self.obs_names = list(range(X_arr.shape[0]))
        self.X_raw, self.y_raw = X_arr, y_arr
        self._check_constant(X_arr)
        coded = _group_codes(groups, self.feature_names, origin)
        self.groups, self.group_names = coded if coded is not None else (None, None)
        self._fit_scaling(standardize_y)

    # -- validation -------------------------------------------------------------------------
    @staticmethod
    def _validate_y(y: Any) -> tuple[np.ndarray, list[str] | None]:
        names = [str(c) for c in y.columns] if isinstance(y, pd.DataFrame) else None
        arr = np.asarray(y)
        check_numeric(arr, "y")
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim not in (1, 2):
            raise ValueError(f"y must be 1- or 2-dimensional; got shape {arr.shape}")
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        check_finite(arr, "y")
        if arr.ndim == 2 and names is None:
            names = [f"y{k}" for k in range(arr.shape[1])]
        return arr, (names if arr.ndim == 2 else None)

    def _check_constant(self, X: np.ndarray) -> None:
        const = np.flatnonzero(np.ptp(X, axis=0) == 0)
        if const.size:
            shown = ", ".join(repr(self.feature_names[j]) for j in const[:5])
            raise ValueError(
                f"X has {const.size} constant column(s) ({shown}): a constant column carries no "
                "information beyond the intercept and cannot be standardized; drop it"
            )

    def _fit_scaling(self, standardize_y: bool) -> None:
        p = self.X_raw.shape[1]
        if self.standardize:
            self.x_center, self.x_scale = _mean_std(self.X_raw)
        else:
            self.x_center, self.x_scale = np.zeros(p), np.ones(p)
            _check_raw_scale(_mean_std(self.X_raw)[1], self.feature_names, "column")
        self.X = _scaled(self.X_raw, self.x_center, self.x_scale)
        k = None if self.y_raw.ndim == 1 else self.y_raw.shape[1]
        if self.standardize and standardize_y:
            self.y_center, self.y_scale = _mean_std(self.y_raw)
            if np.any(np.asarray(self.y_scale) == 0):
                raise ValueError("y is constant: there is nothing to regress")
        else:
            self.y_center = 0.0 if k is None else np.zeros(k)
            self.y_scale = 1.0 if k is None else np.ones(k)
            if standardize_y:
                _check_raw_scale(np.atleast_1d(_mean_std(self.y_raw)[1]), ["y"], "response")
        if k is None:
            self.y_center, self.y_scale = float(self.y_center), float(self.y_scale)
        self.y = _scaled(self.y_raw, self.y_center, self.y_scale)
        if not (np.all(np.isfinite(self.X)) and np.all(np.isfinite(self.y))):
            raise ValueError(
                "the standardized data are not finite: values span too many orders of "
                "magnitude for float64; rescale the columns / response"
            )
        self._check_coefficient_scale()

    def _check_coefficient_scale(self) -> None:
        """Refuse scalings whose original-scale coefficients ``s_y beta / s_j`` would overflow."""
        with np.errstate(over="ignore", divide="ignore"):
            ratio = np.max(np.abs(np.atleast_1d(self.y_scale))) / self.x_scale
        bad = np.flatnonzero(
            ~np.isfinite(ratio) | (ratio > _RATIO_LIMIT) | (ratio < 1 / _RATIO_LIMIT)
        )
        if bad.size:
            j = int(bad[0])
            raise ValueError(
                f"sd(y) / sd({self.feature_names[j]}) = {float(np.max(self.y_scale)):.3g} / "
                f"{self.x_scale[j]:.3g} is too far from 1 for float64: coefficients on the "
                "original scale would over- or underflow; rescale the column or the response"
            )

    # -- shapes -----------------------------------------------------------------------------
    @property
    def n_obs(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_outputs(self) -> int | None:
        """Number of outputs for a multi-output response, else None."""
        return None if self.y.ndim == 1 else self.y.shape[1]

    @property
    def n_groups(self) -> int | None:
        return None if self.groups is None else len(self.group_names)

    # -- scaling ----------------------------------------------------------------------------
    def transform(self, X_new: Any) -> np.ndarray:
        """Put new predictors on the model's scale with the stored centring and scaling."""
        if isinstance(X_new, pd.DataFrame) and self.columns_in is not None:
            check_unique_columns(X_new)
            X_new = X_new.rename(columns=str)
            missing = [c for c in self.columns_in if c not in X_new.columns]
            if missing:
                raise ValueError(f"X_new lacks column(s) seen in fit: {missing}")
            frame, *_ = _expand_frame(X_new[self.columns_in], self.categories)
            X_new = frame[self.feature_names].to_numpy(dtype=float)
        elif isinstance(X_new, pd.DataFrame):
            check_unique_columns(X_new)
            X_new = X_new.to_numpy()
        arr = as_float_matrix(X_new, "X_new")
        if arr.shape[1] != self.n_features:
            raise ValueError(
                f"X_new has {arr.shape[1]} columns but the design has {self.n_features}: "
                "shape mismatch"
            )
        return (arr - self.x_center) / self.x_scale

    def to_original(self, beta: np.ndarray, intercept: np.ndarray | float = 0.0):
        """Map coefficients from the model's scale to the original scale.

        ``beta`` has the feature axis last-but-one for multi-output (``(..., p, k)``) or last
        (``(..., p)``); leading axes (chains, draws) broadcast.

        Returns
        -------
        beta_original, intercept_original
        """
        beta = np.asarray(beta, dtype=float)
        intercept = np.asarray(intercept, dtype=float)
        if self.n_outputs is None:
            w = beta / self.x_scale
            b0 = self.y_center + self.y_scale * (intercept - w @ self.x_center)
            return self.y_scale * w, b0
        w = beta / self.x_scale[:, None]
        shift = np.einsum("...pk,p->...k", w, self.x_center)
        return w * self.y_scale, self.y_center + self.y_scale * (intercept - shift)

    def __repr__(self) -> str:
        g = "" if self.groups is None else f", groups={self.n_groups}"
        k = "" if self.n_outputs is None else f", outputs={self.n_outputs}"
        return f"Design(n={self.n_obs}, p={self.n_features}{g}{k}, standardize={self.standardize})"


def lagged(y: Any, max_lag: int) -> tuple[pd.DataFrame, pd.Series]:
    """Lag matrix and aligned target for autoregressive lag selection.

    Row ``t`` (for ``t = K, ..., n-1``, ``K = max_lag``) holds ``lag_k = y[t - k]`` for
    ``k = 1..K`` and the target ``y[t]``, so ``y_t = a + sum_k phi_k y_{t-k} + e_t`` is a
    regression of the target on the returned columns ``lag1..lagK``.

    Returns
    -------
    X : pandas.DataFrame with columns ``lag1..lagK`` (index: the target's time index)
    target : pandas.Series
    """
    if isinstance(max_lag, bool) or not isinstance(max_lag, int | np.integer) or max_lag < 1:
        raise ValueError(f"max_lag must be an integer >= 1; got {max_lag!r}")
    index = y.index if isinstance(y, pd.Series) else None
    arr = np.asarray(y)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"y must be numeric; got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-dimensional series; got shape {arr.shape}")
    arr = arr.astype(float)
    check_finite(arr, "y")
    n = arr.shape[0]
    if max_lag >= n - 1:
        raise ValueError(f"max_lag={max_lag} leaves too few rows for a series of length {n}")
    idx = index[max_lag:] if index is not None else pd.RangeIndex(max_lag, n)
    X = pd.DataFrame(
        {f"lag{k}": arr[max_lag - k : n - k] for k in range(1, max_lag + 1)}, index=idx
    )
    name = getattr(y, "name", None)
    return X, pd.Series(arr[max_lag:], index=idx, name=name if name is not None else "y")
