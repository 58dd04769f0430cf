r"""Signal adaptive variable selector (SAVS; Ray & Bhattacharya 2018).

Each posterior draw :math:`\beta_s` is sparsified in closed form by the adaptive soft
threshold

.. math:: \gamma_{sj} = \operatorname{sign}(\beta_{sj})\, \|X_j\|^{-2}
          \max\bigl(|\beta_{sj}|\,\|X_j\|^2 - \mu_{sj},\ 0\bigr),
          \qquad \mu_{sj} = |\beta_{sj}|^{-2},

on the model's scale (standardized columns, ``||X_j||^2 = n``; for the Gaussian family the
standardized response). A coefficient survives iff :math:`|\beta_{sj}|^3 > 1/\|X_j\|^2`.
The inclusion frequency of feature ``j`` is the share of draws with :math:`\gamma_{sj} \ne 0`;
the median-probability model keeps the features with frequency >= 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from shrinkage.select._common import SelectionResult, joined, reference

__all__ = ["SAVSResult", "savs", "savs_draws"]


def savs_draws(beta: np.ndarray, col_sq_norms: np.ndarray) -> np.ndarray:
    """The SAVS sparsification of draws ``beta`` (..., p) with ``||X_j||^2`` (p,)."""
    a = np.abs(beta)
    with np.errstate(divide="ignore"):
        mu = np.where(a > 0, 1.0 / a**2, np.inf)
    return np.sign(beta) * np.maximum(a * col_sq_norms - mu, 0.0) / col_sq_norms


@dataclass(repr=False)
class SAVSResult(SelectionResult):
    """Result of :func:`savs`.

    Attributes
    ----------
    coef : DataArray (chain, draw, feature) sparsified draws (standardized scale).
    inclusion : DataArray (feature) inclusion frequencies.

    ``plot()`` draws the inclusion frequencies with the 0.5 line.
    """

    _figure: ClassVar[str] = "plot_savs"
    _float_format: ClassVar[str] = "{:.3f}"

    coef: xr.DataArray
    inclusion: xr.DataArray

    @property
    def selected(self) -> list[str]:
        """The median-probability model: features with inclusion frequency >= 0.5."""
        keep = self.inclusion.values >= 0.5
        return [str(f) for f in self.inclusion["feature"].values[keep]]

    def to_frame(self) -> pd.DataFrame:
        """Per feature: ``savs_inclusion`` and ``savs_selected``."""
        freq = self.inclusion.to_pandas().rename("savs_inclusion")
        return pd.DataFrame({"savs_inclusion": freq, "savs_selected": freq >= 0.5})

    def table(self) -> pd.DataFrame:
        """Features by decreasing inclusion frequency, for reports."""
        return self.to_frame().sort_values("savs_inclusion", ascending=False)

    def headline(self) -> str:
        return (
            f"SAVS median-probability model ({len(self.selected)} features): "
            f"{joined(self.selected)}"
        )


def savs(idata: xr.DataTree, model) -> SAVSResult:
    """Sparsify every posterior draw by SAVS; inclusion frequencies and the median model.

    Parameters
    ----------
    idata, model : the fit (as for :func:`~shrinkage.select.projection`).

    Returns
    -------
    SAVSResult
    """
    ref = reference(idata, model)
    norms = ref.col_sq_norms
    beta = idata["posterior"]["beta"]
    coef = beta.copy(data=savs_draws(np.asarray(beta.values, float), norms))
    inclusion = (coef != 0).mean(dim=("chain", "draw")).rename("inclusion")
    return SAVSResult(coef.rename("beta_savs"), inclusion)
