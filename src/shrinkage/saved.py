"""Saved fits: :func:`save` a fitted estimator (or a model and its draws) to a folder, :func:`load` it.

The folder holds three files:

* ``model.json``: what the fit is, readable: the format number and package version, the
  estimator's class and parameters, the prior and family with their parameters, the intercept
  option, the design (feature names, groups, the pinned levels of categorical columns, the
  centring and scaling), the formula's state (:meth:`shrinkage.formula.FormulaDesign.to_dict`)
  and the fitted point estimates (``coef_``, ``intercept_``, the exact MAP);
* ``posterior.nc``: the DataTree of :func:`shrinkage.sample` as netCDF (h5netcdf engine;
  ``xarray.open_datatree`` / ArviZ read it);
* ``design.nc``: the training design after dummy expansion and the response, so the
  ``pymc.Model`` (for :meth:`report`, :meth:`cross_check`) is rebuilt exactly.

:func:`load` checks the format number and refuses a folder it cannot read with a
``ValueError`` naming both versions; it rebuilds the design from ``design.nc`` and refuses a
folder whose scaling does not match ``model.json``. The loaded estimator predicts exactly
(bit for bit) what the saved one did: the draws, the scaling and the seed are the same.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import shrinkage.estimators as _est
import shrinkage.families as _families
import shrinkage.priors as _priors
from shrinkage._json import from_json, to_json

__all__ = ["FORMAT", "load", "save"]

#: the layout of ``model.json`` this version writes and reads
FORMAT = 1
SPEC_FILE, POSTERIOR_FILE, DESIGN_FILE = "model.json", "posterior.nc", "design.nc"
_ENGINE = "h5netcdf"


def _version() -> str:
    import shrinkage

    return shrinkage.__version__


# -- objects <-> JSON ---------------------------------------------------------------------------
def _object_spec(obj: Any) -> dict[str, Any]:
    """A prior or family as ``{"class": name, "params": {...}}``."""
    params = {f.name: getattr(obj, f.name) for f in fields(obj) if f.init}
    return {"class": type(obj).__name__, "params": to_json(params, type(obj).__name__)}


def _object(spec: dict[str, Any], module: Any, base: type) -> Any:
    cls = getattr(module, spec["class"], None)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"{SPEC_FILE} names an unknown {base.__name__} {spec['class']!r}")
    return cls(**from_json(spec["params"]))


def _param(value: Any) -> Any:
    if isinstance(value, _priors.Prior):
        return {"__prior__": _object_spec(value)}
    if isinstance(value, _families.Family):
        return {"__family__": _object_spec(value)}
    return to_json(value, "estimator parameter")


def _unparam(value: Any) -> Any:
    if isinstance(value, dict) and "__prior__" in value:
        return _object(value["__prior__"], _priors, _priors.Prior)
    if isinstance(value, dict) and "__family__" in value:
        return _object(value["__family__"], _families, _families.Family)
    return from_json(value)


def _estimator_params(est: Any) -> dict[str, Any]:
    params = est.get_params(deep=False)
    seed = params.get("random_state")
    if seed is not None and not isinstance(seed, int | np.integer):
        params["random_state"] = None  # a RandomState / Generator is not saved: draws differ
    return {k: _param(v) for k, v in params.items()}


def _optional(values: Any) -> Any:
    return None if values is None else np.asarray(values, dtype=float).tolist()


# -- from a model and its draws -----------------------------------------------------------------
def _wrap(model: Any, idata: Any) -> Any:
    """A fitted estimator around a :func:`shrinkage.build_model` model and its draws."""
    from shrinkage.model import get_spec

    spec = get_spec(model)
    if spec.family.multi_output:
        raise ValueError("saving multi-output (multi_gaussian) fits is not supported")
    if idata is None:
        raise TypeError("save(path, model, idata): a model needs its draws (the DataTree)")
    names = list(np.asarray(idata["posterior"]["beta"].coords["feature"].values).astype(str))
    if names != list(spec.design.feature_names):
        raise ValueError(
            f"the draws' features {names} are not the model's {spec.design.feature_names}"
        )
    logistic = spec.family.name == "bernoulli"
    cls = _est.BayesianLogisticRegression if logistic else _est.BayesianRegression
    kwargs = {} if logistic else {"family": spec.family}
    est = cls(prior=spec.prior, standardize=spec.design.standardize, compute_map=False, **kwargs)
    est.model_, est.idata_, est.formula_ = model, idata, spec.formula
    d = spec.design
    inputs = spec.formula.variables if spec.formula is not None else d.columns_in
    if inputs is not None:
        est.feature_names_in_ = np.asarray(inputs, dtype=object)
    est.n_features_in_ = len(inputs) if inputs is not None else d.n_features
    est._fitted_on_text = spec.formula is None and bool(d.categories)
    if logistic:
        est.classes_ = np.array([0, 1])
    est._store_draws()
    est._set_point_estimates(spec.prior, spec.family)
    return est


def _as_estimator(fitted: Any, idata: Any) -> Any:
    if isinstance(fitted, _est._BayesianLinearModel):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(fitted, "idata_")
        if idata is not None and idata is not fitted.idata_:
            raise ValueError("save(path, estimator): the estimator carries its draws; omit idata")
        return fitted
    import pymc as pm

    if isinstance(fitted, pm.Model):
        return _wrap(fitted, idata)
    raise TypeError(
        "save needs a fitted shrinkage estimator or a shrinkage.build_model model with its "
        f"draws; got {type(fitted).__name__}"
    )


# -- save ---------------------------------------------------------------------------------------
def _design_spec(d: Any) -> dict[str, Any]:
    groups = None if d.groups is None else [d.group_names[g] for g in d.groups]
    return {
        "standardize": d.standardize,
        "feature_names": list(d.feature_names),
        "columns_in": d.columns_in,
        "categories": to_json(d.categories, "categories"),
        "groups": groups,
        "x_center": d.x_center.tolist(),
        "x_scale": d.x_scale.tolist(),
        "y_center": float(d.y_center),
        "y_scale": float(d.y_scale),
        "n_obs": d.n_obs,
    }


def _spec(est: Any) -> dict[str, Any]:
    from shrinkage.model import get_spec

    spec = get_spec(est.model_)
    formula = getattr(est, "formula_", None)
    names_in = getattr(est, "feature_names_in_", None)
    classes = getattr(est, "classes_", None)
    return {
        "format": FORMAT,
        "shrinkage_version": _version(),
        "estimator": {"class": type(est).__name__, "params": _estimator_params(est)},
        "prior": _object_spec(spec.prior),
        "family": _object_spec(spec.family),
        "intercept": spec.intercept,
        "design": _design_spec(spec.design),
        "formula": None if formula is None else formula.to_dict(),
        "fitted": {
            "coef": _optional(est.coef_),
            "intercept": float(est.intercept_),
            "map_coef": _optional(est.map_coef_),
            "map_intercept": None if est.map_intercept_ is None else float(est.map_intercept_),
            "n_features_in": int(est.n_features_in_),
            "feature_names_in": None if names_in is None else [str(c) for c in names_in],
            "fitted_on_text": bool(est._text_input),
            "classes": None if classes is None else to_json(list(classes), "classes_"),
        },
        "files": {"posterior": POSTERIOR_FILE, "design": DESIGN_FILE},
    }


def _obs_coord(names: list[Any]) -> np.ndarray:
    arr = np.asarray(names)
    return arr if arr.dtype.kind in "iu" else np.asarray([str(v) for v in names], dtype=object)


def _write_design(d: Any, path: Path) -> None:
    import xarray as xr

    ds = xr.Dataset(
        {"X": (("obs", "feature"), d.X_raw), "y": (("obs",), d.y_raw)},
        coords={"obs": _obs_coord(d.obs_names), "feature": list(d.feature_names)},
    )
    ds.to_netcdf(path, engine=_ENGINE)


def save(path: str | Path, fitted: Any, idata: Any = None, *, overwrite: bool = False) -> Path:
    """Save a fit to the folder ``path`` (see the module docstring); return the folder.

    Parameters
    ----------
    path : str or Path
        A new or empty folder (created with its parents).
    fitted : estimator or pymc.Model
        A fitted :mod:`shrinkage.estimators` estimator, or a :func:`shrinkage.build_model`
        model (single response).
    idata : xarray.DataTree, optional
        The model's draws (:func:`shrinkage.sample`); required with a model.
    overwrite : bool
        Replace the files of a folder that already holds a saved fit.

    Raises
    ------
    ValueError
        ``path`` is a file or a non-empty folder (without ``overwrite``); a multi-output model;
        draws of another model.
    TypeError
        ``fitted`` is neither; a model without ``idata``; a parameter JSON cannot hold.
    """
    est = _as_estimator(fitted, idata)
    spec = _spec(est)  # first: a parameter JSON cannot hold fails before anything is written
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"save: {folder} exists and is not a folder")
    if folder.exists() and any(folder.iterdir()):
        ours = (folder / SPEC_FILE).is_file()
        if not (overwrite and ours):
            what = "holds a saved fit (pass overwrite=True)" if ours else "is not empty"
            raise ValueError(f"save: {folder} {what}; choose a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    est.idata_.to_netcdf(folder / POSTERIOR_FILE, engine=_ENGINE)
    from shrinkage.model import get_spec

    _write_design(get_spec(est.model_).design, folder / DESIGN_FILE)
    (folder / SPEC_FILE).write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return folder


# -- load ---------------------------------------------------------------------------------------
def _read_spec(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise ValueError(f"load: {folder} is not a folder with a saved fit")
    try:
        spec = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ValueError(f"load: {folder} holds no {SPEC_FILE}: not a saved fit") from err
    except json.JSONDecodeError as err:
        raise ValueError(f"load: {folder / SPEC_FILE} is not valid JSON ({err})") from err
    fmt = spec.get("format") if isinstance(spec, dict) else None
    if fmt != FORMAT:
        raise ValueError(
            f"load: {folder} was saved by shrinkage {spec.get('shrinkage_version', '?')} in "
            f"format {fmt!r}; this shrinkage {_version()} reads format {FORMAT} only: load it "
            "with the version that saved it"
        )
    return spec


def _rebuild(folder: Path, spec: dict[str, Any]) -> Any:
    """The ``pymc.Model`` of the fit, from ``design.nc`` and ``model.json``."""
    import xarray as xr

    from shrinkage.design import Design
    from shrinkage.formula import FormulaDesign
    from shrinkage.model import ModelSpec, get_spec

    ds = xr.load_dataset(folder / DESIGN_FILE, engine=_ENGINE)
    dspec = spec["design"]
    family = _object(spec["family"], _families, _families.Family)
    frame = pd.DataFrame(
        ds["X"].to_numpy(), columns=dspec["feature_names"], index=list(ds["obs"].to_numpy())
    )
    design = Design(
        frame,
        ds["y"].to_numpy(),
        groups=dspec["groups"],
        standardize=dspec["standardize"],
        standardize_y=family.standardize_y,
    )
    design.categories, design.columns_in = from_json(dspec["categories"]), dspec["columns_in"]
    formula = None if spec["formula"] is None else FormulaDesign.from_dict(spec["formula"])
    prior = _object(spec["prior"], _priors, _priors.Prior)
    model = _est._rebuild_model(ModelSpec(design, prior, family, spec["intercept"], formula))
    rebuilt = get_spec(model).design
    for key in ("x_center", "x_scale", "y_center", "y_scale"):
        if not np.array_equal(np.asarray(getattr(rebuilt, key)), np.asarray(dspec[key])):
            raise ValueError(f"load: {DESIGN_FILE} does not match {SPEC_FILE} ({key} differs)")
    return model


def load(path: str | Path) -> Any:
    """Load a fit saved by :func:`save`: a fitted estimator (``model_``, ``idata_`` included).

    A fit saved from a model comes back as a :class:`~shrinkage.estimators.BayesianRegression`
    (:class:`~shrinkage.estimators.BayesianLogisticRegression` for the Bernoulli family)
    around it.

    Raises
    ------
    ValueError
        ``path`` is not a saved fit, was written in a format this version cannot read (the
        message names both versions), or its files disagree.
    """
    import xarray as xr

    folder = Path(path).expanduser()
    spec = _read_spec(folder)
    cls = getattr(_est, spec["estimator"]["class"], None)
    if not (isinstance(cls, type) and issubclass(cls, _est._BayesianLinearModel)):
        raise ValueError(f"{SPEC_FILE} names an unknown estimator {spec['estimator']['class']!r}")
    est = cls(**{k: _unparam(v) for k, v in spec["estimator"]["params"].items()})
    est.model_ = _rebuild(folder, spec)
    with xr.open_datatree(folder / POSTERIOR_FILE, engine=_ENGINE) as tree:
        est.idata_ = tree.load()
    _restore_fitted(est, spec)
    return est


def _restore_fitted(est: Any, spec: dict[str, Any]) -> None:
    from shrinkage.model import get_spec

    fitted = spec["fitted"]
    est.formula_ = get_spec(est.model_).formula
    est.n_features_in_ = fitted["n_features_in"]
    if fitted["feature_names_in"] is not None:
        est.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
    est._fitted_on_text = fitted["fitted_on_text"]
    if fitted["classes"] is not None:
        est.classes_ = np.asarray(from_json(fitted["classes"]))
    est._store_draws()
    est.coef_ = est._as_coef(np.asarray(fitted["coef"], dtype=float))
    est.intercept_ = fitted["intercept"]
    has_map = fitted["map_coef"] is not None
    est.map_coef_ = est._as_coef(np.asarray(fitted["map_coef"])) if has_map else None
    est.map_intercept_ = fitted["map_intercept"]
