r"""Likelihood families: the noise model and link between ``mu = a + X beta`` and ``y``.

Families are given as strings (``"gaussian"``, ``"student_t"``, ``"laplace"``, ``"bernoulli"``,
``"poisson"``, ``"multi_gaussian"``) or as objects (to set options, e.g. a fixed ``sigma``).
Gaussian-type families (Gaussian, Student-t, Laplace, multi-output Gaussian) see the
standardized response when ``standardize=True``; their noise scale is then in units of sd(y).

Each family owns its facts, as class attributes and methods (read by the model, the
cross-check and the estimators):

| family           | link     | datafit `F(eta)` (row average)   | `c`       | solvers datafit      |
|------------------|----------|----------------------------------|-----------|----------------------|
| `gaussian`       | identity | `(1/2n) sum (y_i - eta_i)^2`     | `sigma^2` | `Quadratic`          |
| `multi_gaussian` | identity | `(1/2n) sum (y_ik - eta_ik)^2`   | `sigma^2` | `MultiTaskQuadratic` |
| `laplace`        | identity | `(1/n) sum abs(y_i - eta_i)`     | `sigma`   | none                 |
| `student_t`      | identity | none (not convex in eta)         | none      | none                 |
| `bernoulli`      | logit    | `(1/n) sum log(1 + e^eta_i) - y_i eta_i` | `1` | `Logistic`           |
| `poisson`        | log      | `(1/n) sum e^eta_i - y_i eta_i`  | `1`       | `Poisson`            |

The loss scale ``c`` is the factor in

.. math::

    -\log p(y \mid \eta, \sigma) = \frac{n}{c}\, F(\eta) + \text{const}(\sigma),

so that at fixed ``sigma`` the MAP of ``beta`` minimizes ``F(eta) + (c/n)(-log prior)``: a
penalized problem on the datafit's row-average scale (scikit-learn's and glmnet's convention).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from shrinkage._validation import check_binary, check_count, check_positive

__all__ = [
    "Bernoulli",
    "Family",
    "Gaussian",
    "Laplace",
    "MultiGaussian",
    "Poisson",
    "StudentT",
    "get_family",
]

_SIGMA_PRIORS = ("halfnormal", "jeffreys")
_LIKELIHOODS = ("auto", "pointwise", "sufficient")
#: ``likelihood="auto"`` uses the sufficient statistics when ``n >= SUFFSTAT_RATIO * p``
SUFFSTAT_RATIO = 4


class Family:
    """Base class of likelihood families: ``y_i ~ family(g^{-1}(eta_i), ...)``.

    A family says what it is on the class: its link ``g`` (:attr:`link`,
    :meth:`inverse_link`), its datafit :math:`F` (:meth:`datafit_value`, and the matching
    :mod:`shrinkage.solvers` class :attr:`solvers_datafit`), the loss scale ``c`` with
    ``-log p(y | eta) = (n / c) F(eta) + const`` (:attr:`loss_scale_power`,
    :meth:`loss_scale`), a pseudo-sigma for sigma-scaled priors (:meth:`pseudo_sigma`), and the
    response's conditional variance and draws (:meth:`noise_variance`, :meth:`sample_response`).
    """

    name: ClassVar[str] = ""
    #: the response is centred/scaled with ``standardize=True``
    standardize_y: ClassVar[bool] = False
    #: the family has a noise scale ``sigma``
    has_sigma: ClassVar[bool] = False
    #: the response is a matrix (n, k)
    multi_output: ClassVar[bool] = False
    #: the link ``g`` with ``E[y | eta] = g^{-1}(eta)``: "identity", "logit" or "log"
    link: ClassVar[str] = "identity"
    #: ``k`` in the loss scale ``c = sigma^k`` (0 for families without sigma: ``c = 1``);
    #: None when ``-log p(y | eta)`` is not ``n / c`` times a convex datafit
    loss_scale_power: ClassVar[int | None] = None
    #: name of the :mod:`shrinkage.solvers.datafits` class computing :meth:`datafit_value`,
    #: or None when the solvers have none
    solvers_datafit: ClassVar[str | None] = None

    def validate_y(self, y: np.ndarray) -> None:
        """Raise ``ValueError`` if ``y`` cannot come from this family."""
        if y.ndim != 1:
            raise ValueError(
                f"family {self.name!r} needs a 1-D response; got shape {y.shape} "
                "(use family='multi_gaussian' for several outputs)"
            )

    def pseudo_sigma(self, y: np.ndarray) -> float:
        """A noise scale for priors scaled by sigma when the family has none.

        Piironen & Vehtari (2017): ``1 / sqrt(Var[y | eta])`` at the mean of ``y``, the noise
        sd of the likelihood's Gaussian approximation on the linear-predictor scale (2 for the
        Bernoulli family at ``p = 1/2``, ``1 / sqrt(mean(y))`` for Poisson); 1 here.
        """
        return 1.0

    def zero_region_scale(self, y: np.ndarray) -> float:
        """Unit of the "practically zero" region on the linear-predictor scale.

        The report calls ``beta_j`` (per sd of ``x_j``) practically zero when a one-sd change
        of ``x_j`` moves the mean response by less than 0.1 sd(y). Gaussian-type families
        see a standardized ``y``, so the unit is 1. For a link ``g`` the change of the mean
        is ``beta_j dmu/deta`` (linearized at the mean of ``y``), so the unit is
        ``sd(y) / (dmu/deta)``: ``1 / sqrt(p(1-p))`` for Bernoulli (where ``sd(y)^2 =
        dmu/deta = p(1-p)``: Piironen & Vehtari's (2017) pseudo-sigma) and
        ``max(sd(y), sqrt(mean(y))) / mean(y)`` for Poisson (docs/zero-clustering.md).
        """
        return 1.0

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        """The mean ``E[y | eta] = g^{-1}(eta)`` (identity here; see :attr:`link`)."""
        return eta

    def loss_scale(self, sigma: float) -> float:
        """``c = sigma^k`` (:attr:`loss_scale_power`) with ``-log p(y | eta) = (n/c) F(eta)``.

        Raises ``NotImplementedError`` when the negative log-likelihood has no such form.
        """
        if self.loss_scale_power is None:
            raise NotImplementedError(
                f"family {self.name!r}: -log p(y | eta) is not (n / c) times a convex datafit"
            )
        return float(sigma) ** self.loss_scale_power

    def datafit_value(self, y: np.ndarray, eta: np.ndarray) -> float:
        """The datafit ``F(eta)``, an average over the ``n`` rows (see the module table)."""
        raise NotImplementedError(f"family {self.name!r} has no convex datafit")

    def datafit(self):
        """A :mod:`shrinkage.solvers` datafit object for :attr:`solvers_datafit`, or None.

        Imported on call: ``import shrinkage.families`` stays free of the solvers.
        """
        if self.solvers_datafit is None:
            return None
        from shrinkage.solvers import datafits

        return getattr(datafits, self.solvers_datafit)()

    def noise_variance(self, mean: np.ndarray, sigma: Any = None, nu: Any = None) -> np.ndarray:
        """``Var[y | eta]`` per draw, shape of ``mean`` (n, S); ``sigma``, ``nu``: (S,) or scalar."""
        raise NotImplementedError(f"family {self.name!r} has no predictive variance")

    def sample_response(
        self, rng: np.random.Generator, mean: np.ndarray, sigma: Any = None, nu: Any = None
    ) -> np.ndarray:
        """One response per entry of ``mean`` (n, S) from ``p(y | eta)``, ``g^{-1}(eta) = mean``."""
        raise NotImplementedError(f"family {self.name!r} cannot simulate responses")

    def intercept_prior(self, y: np.ndarray) -> tuple[Any, Any]:
        """Mean and sd of the default Normal intercept prior (on the linear predictor scale)."""
        return 0.0, 2.5

    def sigma_prior_scale(self, y: np.ndarray) -> np.ndarray | None:
        """The data-dependent scale of sigma's prior (None: the prior has none)."""
        return None

    def build_sigma(self, y: np.ndarray, dims: Any = None, scale: Any = None):
        """Create the noise-scale variable ``sigma`` (or return None); ``scale`` (a tensor,
        e.g. model data) replaces :meth:`sigma_prior_scale` as the prior's scale."""
        return None

    def build_likelihood(self, mu, y_data, sigma, dims: tuple[str, ...]):
        """Create the observed variable ``y``."""
        raise NotImplementedError

    def uses_sufficient_stats(self, n_obs: int, n_features: int) -> bool:
        """Whether the likelihood is written with ``X'X, X'y, y'y`` (Gaussian only)."""
        return False

    @property
    def supports_out_of_core(self) -> bool:
        """Whether a model of this family can be built on out-of-core (Dask) statistics."""
        return False

    def build_linear_likelihood(self, X_data, beta, a, y_data, sigma, dims, X, y, stats=None):
        """Create ``y`` for ``mu = a + X beta``; ``X``, ``y`` are the numpy data behind
        ``X_data``, ``y_data`` (a family may precompute statistics from them, or read them
        from ``stats``, a tensor of :func:`~.suffstats.suffstat_vector`'s layout)."""
        import pytensor.tensor as pt

        return self.build_likelihood(pt.dot(X_data, beta) + a, y_data, sigma, dims)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@dataclass(frozen=True, repr=True)
class Gaussian(Family):
    r"""Gaussian likelihood ``y_i ~ Normal(mu_i, sigma)``.

    Parameters
    ----------
    sigma : float, optional
        Fix the noise scale (on the model's scale: sd(y) units when standardizing) instead of
        estimating it.
    sigma_prior : {"halfnormal", "jeffreys"}
        ``"halfnormal"``: ``sigma ~ HalfNormal(sigma_scale)``; ``"jeffreys"``: the improper
        ``p(sigma^2) ∝ 1/sigma^2`` (equivalently ``p(sigma) ∝ 1/sigma``) of Park & Casella.
    sigma_scale : float, optional
        Scale of the half-normal; defaults to sd(y) on the model's scale (1 when standardized).
    likelihood : {"auto", "pointwise", "sufficient"}
        How the log-likelihood is written (single-output Gaussian only; other families ignore
        it). ``"pointwise"``: ``sum_i log N(y_i | mu_i, sigma)``, O(n p) per gradient.
        ``"sufficient"``: the same number from ``X'X``, ``X'y``, ``1'X``, ``1'y``, ``y'y``
        computed once,

        .. math::

            \log p(y \mid \beta, a, \sigma) = -\frac{n}{2}\log(2\pi) - n \log\sigma
              - \frac{y'y - 2\beta'X'y - 2 a\,1'y + \beta'X'X\beta
              + 2 a\,\beta'X'1 + n a^2}{2\sigma^2},

        O(p^2) per gradient. ``"auto"`` picks it when ``n >= 4 p`` (:data:`SUFFSTAT_RATIO`):
        the saving is about ``n / p`` in flops, and below a few-fold it does not pay for the
        less cache-friendly ``p x p`` product. The posterior is the same; ``shrinkage.sample``
        computes the pointwise log-likelihood (for LOO) from the draws afterwards.
        The statistics are constants of the model: ``set_predictors`` / ``pm.set_data`` with
        new rows still give predictions (the observed variable draws ``N(a + X beta, sigma)``
        from the current ``X``), but fitting *new data* needs a new ``build_model``.
    """

    sigma: float | None = None
    sigma_prior: str = "halfnormal"
    sigma_scale: float | None = None
    likelihood: str = "auto"
    name: ClassVar[str] = "gaussian"
    standardize_y: ClassVar[bool] = True
    has_sigma: ClassVar[bool] = True
    loss_scale_power: ClassVar[int | None] = 2
    solvers_datafit: ClassVar[str | None] = "Quadratic"

    def __post_init__(self) -> None:
        if self.sigma is not None:
            object.__setattr__(self, "sigma", check_positive(self.sigma, "sigma"))
        if self.sigma_scale is not None:
            object.__setattr__(
                self, "sigma_scale", check_positive(self.sigma_scale, "sigma_scale")
            )
        if self.sigma_prior not in _SIGMA_PRIORS:
            raise ValueError(
                f"sigma_prior must be one of {_SIGMA_PRIORS}; got {self.sigma_prior!r}"
            )
        if self.likelihood not in _LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {_LIKELIHOODS}; got {self.likelihood!r}")

    def validate_y(self, y: np.ndarray) -> None:
        """As :meth:`Family.validate_y`; warns when ``y`` holds only the two values 0 and 1."""
        super().validate_y(y)
        if np.array_equal(np.unique(y), [0.0, 1.0]):
            warnings.warn(
                f"y holds only 0 and 1 but the family is {self.name!r}: a linear model of a "
                "binary outcome predicts values outside [0, 1] and its noise model is wrong; "
                "use family='bernoulli' (BayesianLogisticRegression)",
                UserWarning,
                stacklevel=3,
            )

    def intercept_prior(self, y: np.ndarray) -> tuple[Any, Any]:
        return y.mean(axis=0), 2.5 * y.std(axis=0)

    def datafit_value(self, y: np.ndarray, eta: np.ndarray) -> float:
        """``(1/2n) sum (y - eta)^2`` (summed over outputs for a matrix ``y``)."""
        return 0.5 * np.sum((y - eta) ** 2) / y.shape[0]

    def noise_variance(self, mean: np.ndarray, sigma: Any = None, nu: Any = None) -> np.ndarray:
        """``sigma^2``."""
        return np.broadcast_to(np.asarray(sigma) ** 2, mean.shape)

    def sample_response(
        self, rng: np.random.Generator, mean: np.ndarray, sigma: Any = None, nu: Any = None
    ) -> np.ndarray:
        return mean + np.asarray(sigma) * rng.standard_normal(mean.shape)

    def sigma_prior_scale(self, y: np.ndarray) -> np.ndarray | None:
        """``sigma_scale``, or the sd of ``y`` when it is None; None for a fixed sigma or the
        Jeffreys prior."""
        if self.sigma is not None or self.sigma_prior == "jeffreys":
            return None
        return np.asarray(self.sigma_scale if self.sigma_scale is not None else y.std(axis=0))

    def build_sigma(self, y: np.ndarray, dims: Any = None, scale: Any = None):
        import pymc as pm

        if self.sigma is not None:
            return self.sigma
        if self.sigma_prior == "jeffreys":
            sigma = pm.HalfFlat("sigma", dims=dims)
            # HalfFlat is flat in sigma; -log(sigma) makes it p(sigma) ∝ 1/sigma
            pm.Potential("sigma_jeffreys", -pm.math.log(sigma).sum())
            return sigma
        scale = self.sigma_prior_scale(y) if scale is None else scale
        return pm.HalfNormal("sigma", scale, dims=dims)

    def build_likelihood(self, mu, y_data, sigma, dims):
        import pymc as pm

        return pm.Normal("y", mu, sigma, observed=y_data, shape=mu.shape, dims=dims)

    def uses_sufficient_stats(self, n_obs: int, n_features: int) -> bool:
        # only the plain single-output Gaussian (subclasses change the likelihood)
        if type(self) is not Gaussian or self.likelihood == "pointwise":
            return False
        return self.likelihood == "sufficient" or n_obs >= SUFFSTAT_RATIO * n_features

    @property
    def supports_out_of_core(self) -> bool:
        # the sufficient-statistics likelihood is the only one that needs no rows
        return type(self) is Gaussian and self.likelihood != "pointwise"

    def build_linear_likelihood(self, X_data, beta, a, y_data, sigma, dims, X, y, stats=None):
        """As :meth:`Family.build_linear_likelihood`; ``X`` may be a
        :class:`~shrinkage.outofcore.GramStats` (out of core; ``y`` unused)."""
        from shrinkage.families.suffstats import gaussian_suffstat_likelihood
        from shrinkage.outofcore import GramStats

        if isinstance(X, GramStats) or self.uses_sufficient_stats(*np.shape(X)):
            return gaussian_suffstat_likelihood(X_data, beta, a, y_data, sigma, dims, X, y, stats)
        return super().build_linear_likelihood(X_data, beta, a, y_data, sigma, dims, X, y)

    def pointwise_log_likelihood(self, X, y, beta, a, sigma) -> np.ndarray:
        """``log N(y_i | a + x_i'beta, sigma)`` for draws: ``beta`` (..., p), ``a``, ``sigma``
        (...) -> (..., n)."""
        from shrinkage.families.suffstats import gaussian_pointwise_loglik

        return gaussian_pointwise_loglik(X, y, beta, a, sigma)


@dataclass(frozen=True, repr=True)
class StudentT(Gaussian):
    """Robust regression ``y_i ~ StudentT(nu, mu_i, sigma)``, ``nu ~ Gamma(2, rate=0.1)``.

    The Gamma(2, 0.1) prior on the degrees of freedom is Juárez & Steel's (2010); pass ``nu``
    to fix it. ``sigma`` options as for :class:`Gaussian`.
    """

    nu: float | None = None
    name: ClassVar[str] = "student_t"
    # -log p = sum (nu+1)/2 log(1 + r_i^2 / (nu sigma^2)): no convex datafit, no loss scale
    loss_scale_power: ClassVar[int | None] = None
    solvers_datafit: ClassVar[str | None] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.nu is not None:
            object.__setattr__(self, "nu", check_positive(self.nu, "nu"))

    def build_likelihood(self, mu, y_data, sigma, dims):
        import pymc as pm

        nu = self.nu if self.nu is not None else pm.Gamma("nu", alpha=2.0, beta=0.1)
        return pm.StudentT(
            "y", nu=nu, mu=mu, sigma=sigma, observed=y_data, shape=mu.shape, dims=dims
        )

    def datafit_value(self, y: np.ndarray, eta: np.ndarray) -> float:
        return Family.datafit_value(self, y, eta)

    def noise_variance(self, mean: np.ndarray, sigma: Any = None, nu: Any = None) -> np.ndarray:
        """``sigma^2 nu / (nu - 2)`` for ``nu > 2``, infinite otherwise."""
        nu_arr = np.broadcast_to(np.asarray(nu, float), (mean.shape[1],))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(nu_arr > 2, nu_arr / (nu_arr - 2), np.inf)
        return np.broadcast_to(np.asarray(sigma) ** 2 * ratio, mean.shape)

    def sample_response(
        self, rng: np.random.Generator, mean: np.ndarray, sigma: Any = None, nu: Any = None
    ) -> np.ndarray:
        return mean + np.asarray(sigma) * rng.standard_t(np.asarray(nu, float), size=mean.shape)


@dataclass(frozen=True, repr=True)
class Laplace(Gaussian):
    """Median regression ``y_i ~ Laplace(mu_i, sigma)``: the L1 loss ``sum |y_i - mu_i| / sigma``.

    ``sigma`` (the Laplace scale, ``E|y - mu| = sigma``) options as for :class:`Gaussian`.
    """

    name: ClassVar[str] = "laplace"
    # -log p = n log(2 sigma) + sum |r_i| / sigma = (n / sigma) (1/n) sum |r_i| + const
    loss_scale_power: ClassVar[int | None] = 1
    solvers_datafit: ClassVar[str | None] = None  # the L1 loss: linear programming

    def build_likelihood(self, mu, y_data, sigma, dims):
        import pymc as pm

        return pm.Laplace("y", mu=mu, b=sigma, observed=y_data, shape=mu.shape, dims=dims)

    def datafit_value(self, y: np.ndarray, eta: np.ndarray) -> float:
        """``(1/n) sum |y - eta|``."""
        return np.sum(np.abs(y - eta)) / y.shape[0]

    def noise_variance(self, mean: np.ndarray, sigma: Any = None, nu: Any = None) -> np.ndarray:
        """``2 sigma^2`` (``sigma`` is the Laplace scale ``b``)."""
        return np.broadcast_to(2.0 * np.asarray(sigma) ** 2, mean.shape)

    def sample_response(
        self, rng: np.random.Generator, mean: np.ndarray, sigma: Any = None, nu: Any = None
    ) -> np.ndarray:
        return rng.laplace(mean, np.broadcast_to(np.asarray(sigma), mean.shape))


@dataclass(frozen=True, repr=True)
class MultiGaussian(Gaussian):
    """Multi-output Gaussian ``y_ik ~ Normal(mu_ik, sigma_k)``, ``y`` of shape (n, k).

    Coefficients have dims ``(feature, output)``; a group prior acts on each feature's row of
    coefficients across outputs (Bayesian ``MultiTaskLasso``). ``sigma`` has dim ``output``.
    """

    name: ClassVar[str] = "multi_gaussian"
    multi_output: ClassVar[bool] = True
    solvers_datafit: ClassVar[str | None] = "MultiTaskQuadratic"

    def validate_y(self, y: np.ndarray) -> None:
        if y.ndim != 2 or y.shape[1] < 2:
            raise ValueError(
                f"family 'multi_gaussian' needs y of shape (n, k) with k >= 2; got {y.shape}"
            )


@dataclass(frozen=True, repr=True)
class Bernoulli(Family):
    """Logistic regression ``y_i ~ Bernoulli(logit^-1(mu_i))``, y in {0, 1}.

    Pseudo-sigma 2 (Piironen & Vehtari 2017: ``1/sqrt(p(1-p))`` at p = 1/2).
    """

    name: ClassVar[str] = "bernoulli"
    link: ClassVar[str] = "logit"
    # -log p = sum log(1 + e^eta_i) - y_i eta_i = n F(eta): c = 1
    loss_scale_power: ClassVar[int | None] = 0
    solvers_datafit: ClassVar[str | None] = "Logistic"

    def validate_y(self, y: np.ndarray) -> None:
        super().validate_y(y)
        check_binary(y, "y (bernoulli family)")

    def pseudo_sigma(self, y: np.ndarray) -> float:
        return 2.0

    def zero_region_scale(self, y: np.ndarray) -> float:
        """``1 / sqrt(p (1 - p))`` at ``p = mean(y)`` (2 at p = 1/2; see :class:`Family`)."""
        p = float(np.clip(np.mean(y), 1e-3, 1 - 1e-3))  # a class seen once in 1000 rows caps it
        return 1.0 / math.sqrt(p * (1.0 - p))

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        """The logistic sigmoid ``1 / (1 + e^-eta)``, as ``(1 + tanh(eta/2)) / 2`` (no overflow)."""
        return 0.5 * (1.0 + np.tanh(0.5 * eta))

    def datafit_value(self, y: np.ndarray, eta: np.ndarray) -> float:
        """``(1/n) sum log(1 + e^eta) - y eta``."""
        return np.sum(np.logaddexp(0.0, eta) - y * eta) / y.shape[0]

    def noise_variance(self, mean: np.ndarray, sigma: Any = None, nu: Any = None) -> np.ndarray:
        """``p (1 - p)`` at ``p = mean``."""
        return mean * (1.0 - mean)

    def sample_response(
        self, rng: np.random.Generator, mean: np.ndarray, sigma: Any = None, nu: Any = None
    ) -> np.ndarray:
        return rng.binomial(1, mean).astype(float)

    def build_likelihood(self, mu, y_data, sigma, dims):
        import pymc as pm

        return pm.Bernoulli("y", logit_p=mu, observed=y_data, shape=mu.shape, dims=dims)


@dataclass(frozen=True, repr=True)
class Poisson(Family):
    """Poisson regression ``y_i ~ Poisson(exp(mu_i))``, y non-negative integer counts.

    Pseudo-sigma ``1/sqrt(mean(y))`` (Piironen & Vehtari 2017); the intercept prior is centred at
    ``log(mean(y))``.
    """

    name: ClassVar[str] = "poisson"
    link: ClassVar[str] = "log"
    # -log p = sum e^eta_i - y_i eta_i + log(y_i!) = n F(eta) + const: c = 1
    loss_scale_power: ClassVar[int | None] = 0
    solvers_datafit: ClassVar[str | None] = "Poisson"

    def validate_y(self, y: np.ndarray) -> None:
        super().validate_y(y)
        check_count(y, "y (poisson family)")
        if not np.any(y > 0):
            raise ValueError("y (poisson family) is all zeros")

    def pseudo_sigma(self, y: np.ndarray) -> float:
        return 1.0 / math.sqrt(float(np.mean(y)))

    def zero_region_scale(self, y: np.ndarray) -> float:
        """``sd(y) / mean(y)`` (``dmu/deta = mu``), with sd(y) at least the Poisson noise
        ``sqrt(mean(y))``, so never below the pseudo-sigma (see :class:`Family`)."""
        mean = float(np.mean(y))
        return max(float(np.std(y)), math.sqrt(mean)) / mean

    def intercept_prior(self, y: np.ndarray) -> tuple[Any, Any]:
        return math.log(float(np.mean(y))), 2.5

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        """``exp(eta)``."""
        return np.exp(eta)

    def datafit_value(self, y: np.ndarray, eta: np.ndarray) -> float:
        """``(1/n) sum e^eta - y eta``."""
        return np.sum(np.exp(eta) - y * eta) / y.shape[0]

    def noise_variance(self, mean: np.ndarray, sigma: Any = None, nu: Any = None) -> np.ndarray:
        """``lambda`` (``Var[y | lambda] = lambda = mean``)."""
        return mean

    def sample_response(
        self, rng: np.random.Generator, mean: np.ndarray, sigma: Any = None, nu: Any = None
    ) -> np.ndarray:
        return rng.poisson(mean).astype(float)

    def build_likelihood(self, mu, y_data, sigma, dims):
        import pymc as pm

        return pm.Poisson("y", mu=pm.math.exp(mu), observed=y_data, shape=mu.shape, dims=dims)


_FAMILIES: dict[str, type[Family]] = {
    cls.name: cls for cls in (Gaussian, StudentT, Laplace, Bernoulli, Poisson, MultiGaussian)
}
_ALIASES = {"normal": "gaussian", "logistic": "bernoulli", "binomial": "bernoulli"}


def get_family(family: str | Family) -> Family:
    """Return a family object from a name or pass an object through."""
    if isinstance(family, Family):
        return family
    if not isinstance(family, str):
        raise TypeError(f"family must be a string or a Family; got {type(family).__name__}")
    key = _ALIASES.get(family.lower(), family.lower())
    if key not in _FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {sorted(_FAMILIES)}")
    return _FAMILIES[key]()
