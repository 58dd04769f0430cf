r"""Noise scale and intercept of the Gibbs sampler: priors, exact conditionals.

Data are split (for centred ``X``) into the ``n - 1`` rows orthogonal to ``1`` (where ``beta``
lives) and the single row along ``1``, ``u = sqrt(n) ybar ~ N(sqrt(n) c, sigma^2)``, which
involves only the intercept ``c`` and ``sigma``:

* flat intercept: ``c`` integrates out and the row drops (``N = n - 1`` rows, ``e2 = 0``);
* ``Normal(m, s)`` intercept: ``c`` is a Gibbs variable, ``c | sigma, y ~ N`` (precision
  ``n/sigma^2 + 1/s^2``), and the row adds ``e2 = n (ybar - c)^2`` (``N = n``);
* no intercept: ``e2 = n ybar^2`` (``N = n``).

With ``x = log sigma^2`` the noise priors are, as densities of ``x``,

* Jeffreys ``p(sigma^2) ∝ 1/sigma^2``: flat in ``x``;
* ``sigma ~ HalfNormal(s)``: ``log p(x) = -e^x / (2 s^2) + x/2``.

Given a residual sum of squares ``B`` (``Q + e2`` with ``beta`` integrated out for sigma-scaled
priors, ``RSS + e2`` given ``beta`` otherwise) the conditional of ``sigma^2`` is
``InvGamma(N/2, B/2)`` (Jeffreys) or ``GIG(lambda = (1 - N)/2, a = 1/s^2, b = B)``
(half-normal), both drawn exactly.
"""

from __future__ import annotations

import numpy as np


class Sigma:
    """State and exact updates of ``sigma^2``.

    Parameters
    ----------
    n_rows : int
        ``N``: rows of data seen by ``sigma`` (see module doc).
    prior : {"jeffreys", "halfnormal"}
    scale : float
        Half-normal scale ``s``.
    fixed : float or None
        Known ``sigma^2`` (then nothing is sampled).
    """

    def __init__(self, n_rows: int, prior: str, scale: float, fixed: float | None) -> None:
        self.n_rows, self.prior, self.scale, self.fixed = n_rows, prior, scale, fixed
        self.sigma2 = fixed
        self.e2 = 0.0

    @property
    def sampled(self) -> bool:
        return self.fixed is None

    @property
    def integrable(self) -> bool:
        """Whether ``sigma^2`` integrates out of a sigma-scaled marginal in closed form."""
        return self.fixed is None and self.prior == "jeffreys"

    def log_prior_x(self, x: float) -> float:
        """Log prior density of ``x = log sigma^2`` (module doc)."""
        if self.prior == "jeffreys":
            return 0.0
        return -np.exp(x) / (2.0 * self.scale**2) + 0.5 * x

    def log_conditional_x(self, x: float, rss: float) -> float:
        """``-N x/2 - (rss + e2) e^{-x}/2 + log p(x)``: noise likelihood and prior in ``x``."""
        return -0.5 * self.n_rows * x - 0.5 * (rss + self.e2) * np.exp(-x) + self.log_prior_x(x)

    def draw(self, rss: float, rng: np.random.Generator) -> None:
        """``sigma^2 | .`` given the residual sum of squares ``rss`` of the ``n - 1`` rows."""
        if self.fixed is not None:
            return
        b = max(rss + self.e2, 1e-300)
        if self.prior == "jeffreys":
            self.sigma2 = 0.5 * b / rng.gamma(0.5 * self.n_rows)
            return
        self.sigma2 = _draw_gig_halfnormal(self.n_rows, b, self.scale, rng)

    def log_marginal(self, logdet: float, quad: float, integrate: bool) -> float:
        """Log marginal of the scales, ``beta`` (and ``sigma^2`` if ``integrate``) integrated out.

        ``-log det M / 2 - N/2 log(Q + e2)`` (Jeffreys, sigma-scaled priors only) or
        ``-log det M / 2 - Q / (2 sigma^2)`` (``sigma`` held at its current value).
        """
        if integrate:
            return -0.5 * logdet - 0.5 * self.n_rows * np.log(quad + self.e2)
        return -0.5 * logdet - 0.5 * quad / self.sigma2


class Intercept:
    """The intercept: flat (integrated out), ``Normal(mean, sd)`` (a Gibbs variable) or none."""

    def __init__(self, spec, n: int, y_mean: float, x_mean: np.ndarray) -> None:
        self.n, self.y_mean, self.x_mean = n, y_mean, x_mean
        if spec == "flat":
            self.kind = "flat"
        elif spec is None or spec == "none":
            self.kind = "none"
        else:
            self.kind = "normal"
            self.mean, self.sd = (float(v) for v in spec)
        self.c = self.mean if self.kind == "normal" else 0.0

    @property
    def extra_rows(self) -> int:
        return 0 if self.kind == "flat" else 1

    def e2(self) -> float:
        """Squared residual of the row along ``1`` (module doc)."""
        return 0.0 if self.kind == "flat" else self.n * (self.y_mean - self.c) ** 2

    def update(self, sigma2: float, rng: np.random.Generator) -> None:
        if self.kind == "normal":
            prec = self.n / sigma2 + 1.0 / self.sd**2
            mean = (self.n * self.y_mean / sigma2 + self.mean / self.sd**2) / prec
            self.c = mean + rng.standard_normal() / np.sqrt(prec)

    def value(self, beta: np.ndarray, sigma2: float, rng: np.random.Generator) -> float:
        """A draw of the intercept (flat: from ``c | beta, sigma, y``; otherwise the state)."""
        if self.kind == "flat":
            mean = self.y_mean - self.x_mean @ beta
            return mean + np.sqrt(sigma2 / self.n) * rng.standard_normal()
        return self.c


def _draw_gig_halfnormal(n_rows: int, b: float, scale: float, rng: np.random.Generator) -> float:
    """Exact draw of ``x = sigma^2`` with density ``∝ x^{-(N+1)/2} exp(-b/(2x) - x/(2 s^2))``.

    That is ``GIG(lambda = (1 - N)/2, a = 1/s^2, b)``: an ``InvGamma((N - 1)/2, b/2)``
    proposal accepted with probability ``exp(-x / (2 s^2))`` (the tilt, <= 1). The acceptance
    rate is high wherever ``sigma^2`` is small next to ``s^2``, and a draw costs far less than
    scipy's ``geninvgauss.rvs`` (timings: ``docs/sampling.md``). After 20 rejections scipy
    draws instead, which keeps the draw exact (a mixture of two exact draws).
    """
    shape = 0.5 * (n_rows - 1)
    if shape > 0:
        for _ in range(20):
            x = 0.5 * b / rng.gamma(shape)
            if rng.uniform() < np.exp(-0.5 * x / scale**2):
                return float(x)
    from scipy.stats import geninvgauss  # rare fallback; scipy.stats costs ~1 s per worker

    lam, a = 0.5 * (1.0 - n_rows), 1.0 / scale**2
    return float(geninvgauss.rvs(lam, np.sqrt(a * b), scale=np.sqrt(b / a), random_state=rng))
