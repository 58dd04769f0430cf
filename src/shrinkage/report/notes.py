"""Sentences the report adds about the data: categorical levels, the modelled label, collinearity.

* each categorical column's reference level (the dummy columns ``col[level]`` are contrasts
  against it) and levels dropped because they never occur;
* for a binary (Bernoulli) model, which label is the modelled ``1``;
* strongly collinear features: variance inflation factors ``VIF_j = [R^{-1}]_{jj}`` of the
  correlation matrix ``R`` of the (standardized) design above :data:`VIF_MAX`. For such
  features the likelihood only pins down combinations of coefficients, so a per-feature
  "retained" / "zero" verdict depends on the prior more than on the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from shrinkage.report import posterior as _posterior

#: VIF above this flags a feature as strongly collinear (the usual rule of thumb, e.g.
#: Kutner et al. 2005, "Applied Linear Statistical Models", sec. 10.5).
VIF_MAX = 10.0
#: Start of the sentence naming the modelled 1 of a binary target.
BINARY_NOTE_START = "binary target: the modelled 1 (the probability reported) is"
#: No VIFs (an O(p^3) inverse) above this many features.
VIF_MAX_FEATURES = 2000


def model_notes(model: Any, positive_label: Any = None) -> list[str]:
    """Reference levels, dropped levels and the modelled ``1`` of a model's design."""
    if model is None:
        return []
    from shrinkage.model import get_spec

    spec = get_spec(model)
    design = spec.design
    lines = [
        f"categorical {name!r}: reference level {levels[0]!r}; coefficients {name}[level] are "
        f"differences from it (levels: {', '.join(map(str, levels))})"
        for name, levels in design.categories.items()
    ]
    lines += list(design.notes)
    if spec.family.name == "bernoulli":
        lines.append(binary_label_note(1 if positive_label is None else positive_label))
    return lines


def binary_label_note(label: Any) -> str:
    """The sentence naming the label a logistic model codes as 1."""
    return f"{BINARY_NOTE_START} y == {label!r} (coefficients raise its log-odds)"


def vif(X: np.ndarray) -> np.ndarray:
    """Variance inflation factors ``diag(R^{-1})``; ``inf`` for exactly collinear columns."""
    R = np.corrcoef(X, rowvar=False)
    R = np.atleast_2d(R)
    if not np.all(np.isfinite(R)):
        return np.full(X.shape[1], np.nan)
    w, V = np.linalg.eigh(R)
    tiny = w <= 1e-10 * max(w.max(), 1.0)
    with np.errstate(divide="ignore"):
        inv_w = np.where(tiny, np.inf, 1.0 / np.where(tiny, 1.0, w))
    # diag(V diag(1/w) V'): a column touching a null direction gets an infinite VIF
    weight = V**2
    out = np.where(weight[:, tiny].sum(axis=1) > 1e-8, np.inf, 0.0)
    finite = (weight[:, ~tiny] * inv_w[~tiny]).sum(axis=1)
    return np.where(np.isinf(out), np.inf, finite)


def feature_vif(idata: xr.DataTree) -> pd.Series | None:
    """VIF per feature of the design in ``constant_data`` (None when it cannot be had).

    With ``p >= n`` every column is a combination of the others: all VIFs are infinite.
    """
    const = _posterior.group(idata, "constant_data")
    if const is None or "X" not in const or "feature" not in const["X"].dims:
        return None
    X = const["X"].transpose(..., "feature").to_numpy()
    if X.ndim != 2 or X.shape[1] < 2 or X.shape[1] > VIF_MAX_FEATURES:
        return None
    names = pd.Index([str(f) for f in const["feature"].to_numpy()], name="feature")
    if X.shape[1] >= X.shape[0]:
        return pd.Series(np.inf, index=names, name="vif")
    return pd.Series(vif(X), index=names, name="vif")


def collinearity_note(vifs: pd.Series | None) -> list[str]:
    """A sentence naming the features with ``VIF > VIF_MAX`` (none when all are below)."""
    if vifs is None:
        return []
    bad = vifs[vifs > VIF_MAX].sort_values(ascending=False)
    if bad.empty:
        return []
    shown = ", ".join(f"{name} ({value:.3g})" for name, value in bad.iloc[:8].items())
    more = f" and {bad.size - 8} more" if bad.size > 8 else ""
    return [
        f"strongly collinear features (variance inflation factor > {VIF_MAX:g}): {shown}{more}. "
        "The data cannot separate their effects: their retained / zero verdicts depend on the "
        "prior, read them as a block"
    ]


def zero_region_note(idata: xr.DataTree) -> list[str]:
    """For logistic / Poisson fits: the unit of the default zero region, ``sd(y) / (dmu/deta)``."""
    from shrinkage.report.stats import DEFAULT_EPS, default_eps

    name = idata.attrs.get("shrinkage_family")
    scale = default_eps(idata) / DEFAULT_EPS
    if name not in ("bernoulli", "poisson"):
        return []
    unit = "logit" if name == "bernoulli" else "log rate"
    return [
        f"zero region for the {name} family: eps = {DEFAULT_EPS:g} x sd(y)/(dmu/deta) = "
        f"{DEFAULT_EPS:g} x {scale:.3g} = {DEFAULT_EPS * scale:.3g} on the {unit} scale per "
        "sd(x_j), i.e. a one-sd change of x_j moving the mean response by less than 0.1 sd(y) "
        "(docs/zero-clustering.md)"
    ]
