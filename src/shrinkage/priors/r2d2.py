"""The R2D2 prior (Zhang, Naughton, Bondell & Reich 2022): a prior on the model's R^2.

Written like the horseshoe family, ``beta = z * build_scale(ctx)`` with ``z ~ N(0, 1)``, so the
marginal NUTS form (:mod:`shrinkage.inference.marginal.sampler`) and the shrinkage factors
``kappa`` apply unchanged: ``tau`` and ``lam`` are its global and local scales.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from shrinkage._validation import check_positive
from shrinkage.priors.base import BuildContext
from shrinkage.priors.horseshoe import ScaleMixture

__all__ = ["R2D2"]

#: brms's default Dirichlet concentration per coefficient (``cons_D2 = 0.5`` since brms 2.20;
#: it was 1 in 2.19): https://paulbuerkner.com/brms/reference/R2D2.html
BRMS_CONCENTRATION = 0.5


@dataclass(frozen=True)
class R2D2(ScaleMixture):
    """R2D2 prior with a normal kernel, as in brms: a Beta prior on R^2, split by a Dirichlet.

    .. math::

        R^2 \\sim \\mathrm{Beta}(\\mu \\nu, (1 - \\mu) \\nu), \\quad
        W = \\frac{R^2}{1 - R^2}, \\quad
        \\phi \\sim \\mathrm{Dirichlet}(\\alpha_1, \\dots, \\alpha_p), \\quad
        \\beta_j = z_j\\, \\sigma \\sqrt{W \\phi_j}, \\quad z_j \\sim N(0, 1)

    with ``mu = mean_r2``, ``nu = precision_r2``, ``alpha = concentration``. On a standardized
    design (column variances 1) the prior variance of the linear predictor ``x'beta`` is
    ``sigma^2 W``, so ``R^2 = W / (1 + W)`` is the share of the response's variance the
    predictors explain: the prior is set by what users can say about their data.

    ``sigma`` is the likelihood's noise scale (Gaussian family; the scale parameter of the
    Student-t and Laplace families), or, for families without one (Bernoulli, Poisson), the
    family's pseudo-sigma (:meth:`shrinkage.families.Family.pseudo_sigma`: 2 for Bernoulli,
    ``1/sqrt(mean(y))`` for Poisson), so that ``W`` is in units of the pseudo-variance of the
    likelihood's Gaussian approximation (Piironen & Vehtari 2017, sec. 3.2). brms fixes this
    scale to 1 for non-Gaussian families; brms issue #1576 (Vehtari) asks for the
    pseudo-variance instead, which is what is done here.

    Parameters
    ----------
    mean_r2 : float in (0, 1)
        Prior mean of R^2 (brms ``mean_R2``, default 0.5).
    precision_r2 : float > 0
        Prior precision ``a + b`` of the Beta law of R^2 (brms ``prec_R2``, default 2: with
        ``mean_r2 = 0.5``, R^2 is uniform).
    concentration : float, sequence of float or None
        Dirichlet concentration, one number for every coefficient or one per coefficient.
        None: brms's default ``cons_D2 = 0.5`` per coefficient (:data:`BRMS_CONCENTRATION`).
        Smaller values put more of ``W`` on fewer coefficients (sparser).

    Notes
    -----
    Variables: ``r2`` (Beta), ``phi_g`` (dim ``feature``, ``Gamma(alpha_j, 1)``; the
    Dirichlet is written as normalized gammas, ``phi = phi_g / sum(phi_g)``), ``beta_z``;
    deterministic ``phi``, ``tau = sigma sqrt(W)`` (global scale), ``lam = sqrt(phi)`` (local
    scales) and ``beta = z tau lam``. With one feature ``phi = 1`` and there is no ``phi_g``.
    The shrinkage factor is then ``kappa_j = 1 / (1 + n W phi_j)``. No convex penalty
    equivalent. Sampling: as the horseshoe family. Gaussian family: the Gibbs updates
    (:mod:`shrinkage.inference.gibbs.r2d2`, any concentration) when ``p > n`` or out of core,
    the marginal NUTS form at ``target_accept=0.95`` otherwise; non-centred NUTS at
    ``target_accept=0.99`` for the other families.
    """

    mean_r2: float = 0.5
    precision_r2: float = 2.0
    concentration: float | tuple[float, ...] | None = None
    noise_scaled: ClassVar[bool] = True
    gibbs_updates: ClassVar[str] = "r2d2"
    # 0.8 left divergences in the marginal form, 0.95 none (docs/prior-to-penalty.md)
    marginal_target_accept: ClassVar[float] = 0.95

    def __post_init__(self) -> None:
        mean = check_positive(self.mean_r2, "mean_r2")
        if not mean < 1.0:
            raise ValueError(f"mean_r2 must be in (0, 1); got {self.mean_r2!r}")
        object.__setattr__(self, "mean_r2", mean)
        object.__setattr__(self, "precision_r2", check_positive(self.precision_r2, "precision_r2"))
        conc = self.concentration
        if conc is None:
            return
        if np.ndim(conc) == 0:
            object.__setattr__(self, "concentration", check_positive(conc, "concentration"))
            return
        arr = np.asarray(conc)
        if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(
                f"concentration must be a positive number or a 1-D sequence of them; got {conc!r}"
            )
        vals = tuple(check_positive(v, "concentration") for v in arr.tolist())
        object.__setattr__(self, "concentration", vals)

    def beta_shapes(self) -> tuple[float, float]:
        """``(a, b) = (mean * precision, (1 - mean) * precision)`` of the Beta law of R^2."""
        return self.mean_r2 * self.precision_r2, (1.0 - self.mean_r2) * self.precision_r2

    def concentration_vector(self, p: int) -> np.ndarray:
        """The Dirichlet concentration, one per coefficient (length ``p``)."""
        conc = BRMS_CONCENTRATION if self.concentration is None else self.concentration
        if np.ndim(conc) == 0:
            return np.full(p, float(conc))
        if len(conc) != p:
            raise ValueError(
                f"concentration has {len(conc)} values but the design has {p} features"
            )
        return np.asarray(conc, dtype=float)

    def gibbs_params(self, p: int, n: int) -> dict[str, Any]:
        """Parameters of the Gibbs updates (:mod:`shrinkage.inference.gibbs.r2d2`): any
        concentration, ``(a, b)`` the Beta shapes of R^2."""
        alpha = self.concentration_vector(p)
        a, b = self.beta_shapes()
        uniform = np.all(alpha == alpha[0])
        conc = float(alpha[0]) if uniform else tuple(alpha.tolist())
        return {"concentration": conc, "a": a, "b": b}

    def build_scale(self, ctx: BuildContext):
        """Create ``r2``, ``phi_g`` (and deterministic ``phi``, ``tau``, ``lam``); return
        beta's prior sd ``tau lam_j = sigma sqrt(W phi_j)`` (length p)."""
        import pymc as pm
        import pytensor.tensor as pt

        alpha = self.concentration_vector(ctx.n_features)
        a, b = self.beta_shapes()
        r2 = pm.Beta("r2", alpha=a, beta=b)
        if ctx.n_features == 1:
            phi = pm.Deterministic("phi", pt.ones(1), dims="feature")
        else:
            g = pm.Gamma("phi_g", alpha=alpha, beta=1.0, dims="feature")
            phi = pm.Deterministic("phi", g / g.sum(), dims="feature")
        tau = pm.Deterministic("tau", ctx.sigma * pt.sqrt(r2 / (1.0 - r2)))
        lam = pm.Deterministic("lam", pt.sqrt(phi), dims="feature")
        return tau * lam
