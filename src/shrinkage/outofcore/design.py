"""The design of out-of-core data: a :class:`~shrinkage.design.Design` made of statistics.

:class:`GramDesign` carries what the Gaussian model needs from ``n`` rows that never come to
the client: the scaling (column means, divisor-n sds, as :class:`~shrinkage.design.Design`
with ``standardize=True``) and the centred statistics on the model's scale,

.. math::

    S_{zz} = D^{-1} S_{xx} D^{-1},\\quad S_{zy} = D^{-1} S_{xy} / s_y,\\quad
    S_{yy}^{(z)} = S_{yy} / s_y^2,\\quad \\bar z = D^{-1}(\\bar x - c),\\quad
    \\bar y^{(z)} = (\\bar y - c_y) / s_y

with ``D = diag(s)`` the column scales and ``c`` the centres (``s = 1``, ``c = 0`` when not
standardized). Its ``X`` and ``y`` have zero rows, so nothing that needs the rows can use them
by mistake; ``n_obs`` is the real ``n``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from shrinkage.design import Design, _group_codes
from shrinkage.outofcore.stats import GramStats, _frame_spec, gram_stats

__all__ = ["GramDesign"]

Groups = Sequence[Any] | Mapping[Any, Sequence[Any]] | None


class GramDesign(Design):
    """A :class:`~shrinkage.design.Design` whose rows stay in a Dask collection.

    Parameters
    ----------
    X, y : Dask array / dataframe and array / series
        Predictors and response, split at the same rows (see :func:`gram_stats`).
    **options
        ``groups``, ``standardize``, ``standardize_y``: as :class:`~shrinkage.design.Design`.

    Attributes
    ----------
    stats : GramStats
        The centred statistics on the model's scale (module docstring).
    raw_stats : GramStats
        As computed from the data.
    y_moments : numpy.ndarray, shape (2,)
        Two numbers with the mean and divisor-n sd of the model-scale response, for the
        priors and defaults that read them (``sigma``'s scale, the intercept prior).
    """

    out_of_core = True

    def __init__(self, X: Any, y: Any, **options: Any) -> None:
        groups: Groups = options.pop("groups", None)
        standardize = bool(options.pop("standardize", True))
        standardize_y = bool(options.pop("standardize_y", True))
        if options:
            raise TypeError(f"unknown option(s) {sorted(options)}")
        raw = gram_stats(X, y)
        self.raw_stats = raw
        self.standardize = bool(standardize)
        self.feature_names = list(raw.feature_names)
        self.notes = []
        self.obs_names = []
        self.categories, self.columns_in, origin = _origin(X, self.feature_names)
        const = np.flatnonzero(raw.std == 0)
        if const.size:
            shown = ", ".join(repr(self.feature_names[j]) for j in const[:5])
            raise ValueError(f"X has {const.size} constant column(s) ({shown}): drop them")
        if standardize and standardize_y and raw.y_std == 0:
            raise ValueError("y is constant: there is nothing to regress")
        coded = _group_codes(groups, self.feature_names, origin)
        self.groups, self.group_names = coded if coded is not None else (None, None)
        p = len(self.feature_names)
        self.X = self.X_raw = np.empty((0, p))
        self.y = self.y_raw = np.empty(0)
        if standardize:
            self.x_center, self.x_scale = raw.mean.copy(), raw.std.copy()
        else:
            self.x_center, self.x_scale = np.zeros(p), np.ones(p)
        both = standardize and standardize_y
        self.y_center = raw.y_mean if both else 0.0
        self.y_scale = raw.y_std if both else 1.0
        self.stats = _model_scale(raw, self.x_center, self.x_scale, self.y_center, self.y_scale)
        m, s = self.stats.y_mean, self.stats.y_std
        self.y_moments = np.array([m - s, m + s])

    @property
    def n_obs(self) -> int:
        return self.stats.n

    def transform(self, X_new: Any) -> Any:
        """New rows on the model's scale; a Dask collection gives a Dask array (lazily)."""
        from shrinkage.outofcore.stats import is_dask

        if not is_dask(X_new):
            return super().transform(X_new)
        from shrinkage.outofcore.predict import transform_dask

        return transform_dask(self, X_new)


def _model_scale(raw: GramStats, c, s, cy: float, sy: float) -> GramStats:
    return replace(
        raw,
        mean=(raw.mean - c) / s,
        std=raw.std / s,
        y_mean=(raw.y_mean - cy) / sy,
        y_std=raw.y_std / sy,
        xtx=raw.xtx / np.outer(s, s),
        xty=raw.xty / (s * sy),
        yty=raw.yty / sy**2,
    )


def _origin(X: Any, names: list[str]):
    """Levels per categorical column, the input columns and which features each became."""
    if not hasattr(X, "columns"):
        return {}, None, {name: [name] for name in names}
    spec, _ = _frame_spec(X)
    categories, origin = {}, {}
    for col, levels in spec:
        name = str(col)
        if levels is None:
            origin[name] = [name]
        else:
            categories[name] = list(levels)
            origin[name] = [f"{name}[{lev}]" for lev in levels[1:]]
    return categories, [str(c) for c in X.columns], origin
