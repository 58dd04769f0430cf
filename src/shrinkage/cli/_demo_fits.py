"""The Bayesian half of ``shrinkage demo``: its priors, the lasso CV that sets the Laplace
scale, one fit per prior, and the Bayesian Laplace path (imported only when the demo runs)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shrinkage.priors import Laplace

__all__ = [
    "PARK_CASELLA_LAMBDA",
    "DemoPrior",
    "bayes_path",
    "demo_priors",
    "fit_prior",
    "lasso_cv",
    "park_casella_lambda",
]

#: Park & Casella's (2008) marginal-maximum-likelihood lambda for diabetes, on the LARS scaling
#: (columns with unit L2 norm, y centred but not scaled)
PARK_CASELLA_LAMBDA = 0.237


# ---------------------------------------------------------------------- priors of the demo
@dataclass(frozen=True)
class DemoPrior:
    """One Bayesian fit of the demo: folder name, title, prior, family, intercept option."""

    key: str
    title: str
    prior: Any
    family: Any
    intercept: bool | str
    note: str


@dataclass(frozen=True)
class _DataScaleLaplace(Laplace):
    """``Laplace(0, b)`` with ``b`` held in ``pm.Data("laplace_scale")``.

    The density is that of :class:`shrinkage.priors.Laplace`; holding ``b`` as data lets one
    compiled nutpie model sample every scale of the Bayesian path (``with_data``).
    """

    def build(self, ctx):
        import pymc as pm

        scale = pm.Data("laplace_scale", np.float64(self.scale))
        return pm.Laplace("beta", 0.0, scale, dims=ctx.dims)


def park_casella_lambda(n: int, lam: float = PARK_CASELLA_LAMBDA) -> float:
    """Park & Casella's ``lambda`` on our standardized scale: ``lam * sqrt(n)``.

    Their model, ``beta_j | sigma ~ Laplace(0, sigma / lam)``, acts on columns with unit L2 norm
    and centred ``y``. Our columns are ``z_j = sqrt(n) x_j`` and our response is ``y / s_y``,
    so ``beta_z = beta_x / (sqrt(n) s_y)`` and ``sigma_z = sigma / s_y``: the prior becomes
    ``Laplace(0, sigma_z / (lam sqrt(n)))``.
    """
    return lam * math.sqrt(n)


def demo_priors(n: int, laplace_scale: float, expected_nonzero: float = 3.0) -> list[DemoPrior]:
    """The four priors of the demo (scales on the standardized scale).

    * Gaussian ``N(0, 1)``: weakly informative ridge (``alpha = sigma^2 / n``).
    * Laplace ``Laplace(0, b)`` with ``b`` from the CV lasso (``b = sigma^2 / (n alpha_1se)``).
    * Park & Casella's Bayesian lasso with their ``lambda = 0.237`` mapped to our scale
      (:func:`park_casella_lambda`), the Jeffreys prior ``p(sigma^2) ∝ 1/sigma^2`` and a flat
      intercept, as in their paper.
    * Regularized horseshoe with ``expected_nonzero`` relevant features (Piironen & Vehtari).
    """
    import shrinkage.families as families
    import shrinkage.priors as priors

    lam = park_casella_lambda(n)
    return [
        DemoPrior("gaussian", "Gaussian prior (ridge)", priors.Gaussian(1.0), "gaussian", True,
                  "beta_j ~ N(0, 1) on the standardized scale"),
        DemoPrior("laplace", "Laplace prior (lasso)", priors.Laplace(laplace_scale), "gaussian",
                  True, f"beta_j ~ Laplace(0, {laplace_scale:.4g}): the CV lasso's alpha_1se "
                  "mapped by b = sigma^2 / (n alpha)"),
        DemoPrior("bayesian_lasso", "Bayesian lasso (Park & Casella)",
                  priors.BayesianLasso(lam=lam), families.Gaussian(sigma_prior="jeffreys"),
                  "flat", f"beta_j | sigma ~ Laplace(0, sigma / {lam:.4g}), lambda fixed at "
                  f"Park & Casella's {PARK_CASELLA_LAMBDA} x sqrt(n) (their scaling -> ours); "
                  "p(sigma^2) ∝ 1/sigma^2; flat intercept"),
        DemoPrior("horseshoe", "Regularized horseshoe",
                  priors.RegularizedHorseshoe(expected_nonzero=expected_nonzero), "gaussian",
                  True, f"Piironen & Vehtari's regularized horseshoe, expected_nonzero = "
                  f"{expected_nonzero:g}, slab scale 2, slab df 4"),
    ]  # fmt: skip


# ---------------------------------------------------------------------- steps
def lasso_cv(X: pd.DataFrame, y: pd.Series, seed: int):
    """5-fold CV lasso on the standardized data; the CV result and the noise sd at alpha_1se."""
    from shrinkage.solvers import L1, Quadratic, cv_path

    Z = ((X - X.mean()) / X.std(ddof=0)).to_numpy()
    ys = ((y - y.mean()) / y.std(ddof=0)).to_numpy()
    cv = cv_path(Z, ys, Quadratic(), L1(1.0), n_folds=5, random_state=seed)
    coef = cv.path.coefs[cv.index_1se]
    resid = ys - Z @ coef - cv.path.intercepts[cv.index_1se]
    df = int(np.count_nonzero(coef))  # the lasso's degrees of freedom (Zou et al. 2007)
    sigma = float(np.sqrt(resid @ resid / (len(ys) - df - 1)))
    return cv, sigma


def fit_prior(spec: DemoPrior, X, y, args, seed: int, folder: Path) -> dict[str, Any]:
    """Build, sample, cross-check and report one prior; print and save the results."""
    from shrinkage.crosscheck import cross_check
    from shrinkage.inference import sample
    from shrinkage.model import build_model
    from shrinkage.report import report

    model = build_model(X, y, prior=spec.prior, family=spec.family, intercept=spec.intercept)
    print(f"  prior: {spec.note}", flush=True)
    print(
        f"  sampling {args.chains} chains x {args.draws} draws (+{args.tune} tuning)", flush=True
    )
    idata = sample(
        model,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        cores=1 if args.quick else None,  # tiny runs: no worker processes for PyMC's NUTS
        sampler=args.sampler,
        random_seed=seed,
    )
    print("  MAP vs lasso/ridge cross-check (exact MAP by find_map):", flush=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)  # pm.find_MAP's DataTree notice
        cc = cross_check(model)
    print(_indent(str(cc)), flush=True)
    selection = _selection(spec, idata, model)
    rep = report(idata, model, cross_check=cc.to_frame() if cc.applicable else None,
                 selection=selection)  # fmt: skip
    print(_indent(str(rep)), flush=True)
    files = rep.save(folder)
    (folder / "cross_check.txt").write_text(str(cc) + "\n")
    return {"spec": spec, "idata": idata, "cross_check": cc, "report": rep, "files": files,
            "selection": selection}  # fmt: skip


def _selection(spec: DemoPrior, idata, model):
    """Projection predictive selection of the horseshoe fit (None for the other priors)."""
    if spec.key != "horseshoe":
        return None
    from shrinkage.select import projection

    print("  projection predictive selection (L1 search, PSIS-LOO):", flush=True)
    return projection(idata, model)


def _indent(text: str, pad: str = "    ") -> str:
    return "\n".join(pad + line for line in text.splitlines())


def bayes_path(
    scales: tuple[float, ...], draws: int, tune: int, chains: int, seed: int, sampler: str
) -> list[tuple[float, Any]]:
    """Posterior of diabetes under ``Laplace(0, b)`` for each ``b`` (standardized scale).

    With nutpie (``sampler`` "auto" or "nutpie") the model is compiled once and each scale is
    swapped in with ``with_data``; with PyMC's NUTS each scale is a ``sample`` call. No
    progress output: the demo runs this in a background process while it fits the priors.
    """
    import importlib.util

    from shrinkage.datasets import load_diabetes
    from shrinkage.inference import sample
    from shrinkage.model import build_model

    X, y = load_diabetes()
    model = build_model(X, y, prior=_DataScaleLaplace(scales[0]))
    fits = []
    if sampler == "pymc" or importlib.util.find_spec("nutpie") is None:
        import pymc as pm

        for b in scales:
            pm.set_data({"laplace_scale": np.float64(b)}, model=model)
            dt = sample(model, draws=draws, tune=tune, chains=chains, cores=1,
                        random_seed=seed, sampler="pymc", progressbar=False)  # fmt: skip
            fits.append((float(b), dt))
        return fits
    import nutpie

    compiled = nutpie.compile_pymc_model(model)
    for b in scales:
        dt = nutpie.sample(
            compiled.with_data(laplace_scale=np.float64(b)),
            draws=draws,
            tune=tune,
            chains=chains,
            cores=chains,
            seed=seed,
            target_accept=0.9,
            save_warmup=False,
            progress_bar=False,
        )
        fits.append((float(b), dt))
    return fits
