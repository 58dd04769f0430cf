"""Input checks shared by the solvers and the design (numpy only, no PyMC).

Every check raises ``ValueError`` / ``TypeError`` naming the problem, before any numeric code
(numba, PyTensor) sees the data. Nothing is silently dropped or coerced.
"""

from __future__ import annotations

import numpy as np


def check_numeric(arr: np.ndarray, name: str) -> None:
    """Raise ``TypeError`` unless ``arr`` has a numeric or boolean dtype."""
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}")


def as_float_matrix(X, name: str = "X", order: str = "C") -> np.ndarray:
    """Return ``X`` as a 2-D float64 array, refusing non-numeric, empty or non-finite input.

    ``order``: memory layout of the result, ``"C"`` or ``"F"`` (the solvers' column-wise
    kernels want ``"F"``: asking for it here spares them a copy to C and back)."""
    arr = np.asarray(X)
    check_numeric(arr, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-dimensional (n_samples, n_features); got shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64, order=order)
    check_finite(arr, name)
    return arr


def as_float_vector(y, name: str = "y") -> np.ndarray:
    """Return ``y`` as a 1-D float64 array (a column vector is flattened), refusing NaN/inf."""
    arr = np.asarray(y)
    check_numeric(arr, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional; got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` naming the count and first position of NaN / inf entries."""
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(arr[first]) else "inf"
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s) "
            f"(first: {kind} at index {first})"
        )


def check_consistent_length(X: np.ndarray, y: np.ndarray) -> None:
    """Raise ``ValueError`` when X and y disagree on the number of rows."""
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}: shape mismatch")


def check_nonnegative(value: float, name: str) -> float:
    """Return ``value`` as float, raising ``ValueError`` if it is negative or not finite."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value}")
    return value


def check_positive(value: float, name: str) -> float:
    """Return ``value`` as float, raising ``ValueError`` unless it is finite and > 0."""
    value = check_nonnegative(value, name)
    if value == 0:
        raise ValueError(f"{name} must be > 0; got 0")
    return value


def check_binary(y: np.ndarray, name: str = "y") -> None:
    """Raise ``ValueError`` unless every entry of ``y`` is 0 or 1 (and both occur)."""
    values = np.unique(y)
    if not np.all(np.isin(values, (0.0, 1.0))):
        shown = ", ".join(f"{v:g}" for v in values[:5])
        raise ValueError(f"{name} must be binary with values in {{0, 1}}; found values {shown}")
    if values.size < 2:
        raise ValueError(
            f"{name} has a single class ({values[0]:g}); a binary model needs both 0 and 1"
        )


def check_count(y: np.ndarray, name: str = "y") -> None:
    """Raise ``ValueError`` unless ``y`` holds non-negative integers (Poisson counts)."""
    if np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError(f"{name} must hold non-negative integer counts for a Poisson model")


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as int, raising unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1; got {value}")
    return int(value)


def check_choice(value, choices, name: str):
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}; got {value!r}")
    return value
