"""Lossless JSON for the small state a saved fit carries (numpy only, no PyMC).

:func:`to_json` turns numpy scalars into Python numbers, numpy arrays into
``{"__ndarray__": [...], "dtype": ...}``, tuples into ``{"__tuple__": [...]}`` and dicts with
keys other than strings into ``{"__items__": [[key, value], ...]}``; :func:`from_json` undoes
it. Python floats survive exactly (``json`` writes the shortest repr that reads back to the
same float). Anything else is refused with ``TypeError`` naming where it sits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["from_json", "to_json"]

_PLAIN = (str, int, float, bool, type(None))


def to_json(value: Any, where: str = "value") -> Any:
    """A structure of JSON types that :func:`from_json` maps back to ``value``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"{where}: object arrays cannot be saved")
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: to_json(v, f"{where}[{k!r}]") for k, v in value.items()}
        return {
            "__items__": [
                [to_json(k, where), to_json(v, f"{where}[{k!r}]")] for k, v in value.items()
            ]
        }
    raise TypeError(f"{where}: a {type(value).__name__} cannot be saved as JSON ({value!r})")


def from_json(value: Any) -> Any:
    """The inverse of :func:`to_json`."""
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
    if "__tuple__" in value:
        return tuple(from_json(v) for v in value["__tuple__"])
    if "__items__" in value:
        return {_key(from_json(k)): from_json(v) for k, v in value["__items__"]}
    return {k: from_json(v) for k, v in value.items()}


def _key(key: Any) -> Any:
    """Lists cannot be dict keys: a saved tuple key comes back as a tuple."""
    return tuple(key) if isinstance(key, list) else key
