"""Validated, standardized regression data: feature names, groups and the scaling to undo.

With ``standardize=True`` every column is centred and divided by its divisor-n standard
deviation, ``z_ij = (x_ij - c_j) / s_j``, and (for Gaussian-type families) the response is
``(y - c_y) / s_y``. A coefficient ``beta_j`` on that scale maps back to the original scale as

.. math::

    \\beta^{orig}_j = s_y \\beta_j / s_j, \\qquad
    a^{orig} = c_y + s_y \\Big(a - \\sum_j \\beta_j c_j / s_j\\Big)

(glmnet's ``standardize=TRUE`` semantics). The scaling is stored here and never recomputed.
"""

from __future__ import annotations

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

__all__ = ["Design", "lagged"]


def _expand_frame(X: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Expand categorical columns into drop-first dummy blocks; refuse other non-numeric ones.

    Returns the numeric frame and, for each original column, the list of columns it became.
    """
    pieces: list[pd.DataFrame] = []
    origin: dict[str, list[str]] = {}
    for col in X.columns:
        s = X[col]
        name = str(col)
        if isinstance(s.dtype, pd.CategoricalDtype):
            if s.isna().any():
                raise ValueError(f"categorical column {name!r} contains missing values")
            d = pd.get_dummies(s, prefix=name, prefix_sep="[", drop_first=True, dtype=float)
            d.columns = [f"{c}]" for c in d.columns]
            if d.shape[1] == 0:
                raise ValueError(f"categorical column {name!r} has a single level: it is constant")
            pieces.append(d)
            origin[name] = list(d.columns)
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            pieces.append(s.astype(float).to_frame(name))
            origin[name] = [name]
        else:
            raise TypeError(
                f"column {name!r} is non-numeric (dtype {s.dtype}); convert it to numbers or to a "
                "pandas 'category' dtype (expanded to dummy columns)"
            )
    return pd.concat(pieces, axis=1), origin


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


class Design:
    """Validated regression data on the scale the prior sees.

    Parameters
    ----------
    X : array-like or pandas.DataFrame, shape (n, p)
        Numeric predictors. Categorical DataFrame columns expand to drop-first dummy columns
        (named ``col[level]``) that form one group; other non-numeric columns are refused.
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
        if isinstance(X, pd.DataFrame):
            frame, origin = _expand_frame(X)
            X_arr = as_float_matrix(frame.to_numpy(dtype=float), "X")
            self.feature_names = list(frame.columns)
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
            self.x_center = self.X_raw.mean(axis=0)
            self.x_scale = self.X_raw.std(axis=0)  # divisor n
        else:
            self.x_center, self.x_scale = np.zeros(p), np.ones(p)
        self.X = (self.X_raw - self.x_center) / self.x_scale
        k = None if self.y_raw.ndim == 1 else self.y_raw.shape[1]
        if self.standardize and standardize_y:
            self.y_center = self.y_raw.mean(axis=0)
            self.y_scale = self.y_raw.std(axis=0)
            if np.any(np.asarray(self.y_scale) == 0):
                raise ValueError("y is constant: there is nothing to regress")
        else:
            self.y_center = 0.0 if k is None else np.zeros(k)
            self.y_scale = 1.0 if k is None else np.ones(k)
        if k is None:
            self.y_center, self.y_scale = float(self.y_center), float(self.y_scale)
        self.y = (self.y_raw - self.y_center) / self.y_scale

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
        if isinstance(X_new, pd.DataFrame):
            frame, _ = _expand_frame(X_new)
            missing = [c for c in self.feature_names if c not in frame.columns]
            if missing:
                raise ValueError(f"X_new lacks column(s) {missing}")
            X_new = frame[self.feature_names].to_numpy(dtype=float)
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
