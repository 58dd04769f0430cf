"""Gibbs updates of the horseshoe family: horseshoe, group horseshoe, regularized horseshoe.

The update-set contract is that of :class:`~shrinkage.inference.gibbs.priors.Updates`. The
global scale ``tau`` is slice-sampled on its marginal with ``beta`` integrated out (Johndrow,
Orenstein & Bhattacharya 2020; see :mod:`.priors` for the log-target), the local scales by a
collapsed ``(lam_j, beta_j)`` sweep or an exact slice step, plus moves along the directions the
one-at-a-time updates cross slowly (``interweave_tau``, ``_scale_line_step``,
``noise_scale_move``). Out of core (``data.X is None``) each of them runs from the centred
statistics ``X'X``, ``X'y``, ``y'y`` (:func:`.updates.collapsed_gram_sweep`, :func:`_split_fit`;
the marginal's kernel is the Rue form already): the same conditionals, the same chain.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from shrinkage.inference.gibbs.priors import Updates
from shrinkage.inference.gibbs.updates import (
    R2D2Local,
    collapsed_gram_sweep,
    collapsed_local_sweep,
    gram_rss,
    halfcauchy_precision_slice,
    slice_sample,
)

__all__ = ["GroupHorseshoeUpdates", "HorseshoeUpdates", "RegularizedHorseshoeUpdates"]


def _log_variance_width(n_eff: float) -> tuple[float, int]:
    """Slice width on ``log sigma^2`` for a noise likelihood of ``n_eff`` rows (~3 sd) and the
    stepping-out limit that keeps the reach of width 1 with 20 steps.

    ``-n w/2 - b e^{-w}/2`` has curvature ``n/2`` at its mode, a sd of ``sqrt(2/n)``. A
    fixed width of 1 shrank by halves onto a sd of ~3e-4 at ``n ~ 1e7`` (~16 evaluations per
    step, each a Cholesky in :meth:`HorseshoeUpdates._sigma_step`; ~5 now). Near the mode the
    interval stops growing after a step or two; from a start far off (the chain's first
    sweeps) it grows to reach the mode in one step, as the wide interval did. The step is
    exact for any width.
    """
    width = float(min(1.0, 3.0 * np.sqrt(2.0 / max(n_eff, 1.0))))
    return width, int(np.ceil(20.0 / width))


def _log_halfcauchy(x: float, scale: float) -> float:
    """``log C+(x; 0, scale)`` up to the constant ``log(2/pi)``."""
    return -np.log(scale) - np.log1p((x / scale) ** 2)


class HorseshoeUpdates(Updates):
    """``beta_j ~ N(0, tau^2 lam_j^2)``, ``lam_j ~ C+(0, 1)``, ``tau ~ C+(0, A)``.

    ``A = global_scale * sigma`` with ``sigma_scaled=True`` (equivalently ``beta_j ~ N(0,
    sigma^2 t^2 lam_j^2)``, ``t = tau/sigma ~ C+(0, global_scale)``, the recorded ``tau``),
    ``A = global_scale`` otherwise. The state holds the absolute ``tau``.

    ``tau``: slice sampling of ``log tau`` on its marginal with ``beta`` (and ``sigma^2`` when
    exact) integrated out (the kernel ``X diag(d0) X'`` of :meth:`_sweep_d0` is built once per
    sweep, each evaluation is one small Cholesky). ``(lam_j, beta_j)``: a single-site collapsed
    sweep (``log lam_j`` slice-sampled with ``beta_j`` integrated out, then ``beta_j``), which
    replaces Makalic & Schmidt's auxiliary inverse-gamma layer and breaks the
    ``beta_j``-``lam_j`` coupling near zero. ``tau`` is also moved with ``tau lam_j`` held fixed
    (:meth:`interweave_tau`), and together with the bulk of ``beta`` when ``tau`` is not tied to
    ``sigma`` (:meth:`noise_scale_move`).
    """

    name = "horseshoe"
    defaults: ClassVar[dict[str, Any]] = {
        "global_scale": 1.0,
        "sigma_scaled": True,
        "local_sweeps": 1,
    }
    sigma_done = True
    default_thin = 4  # tau moves little per sweep (docs/sampling.md: the priors' defaults)
    default_tune = 150  # burn-in only, no adaptation: a 3x margin over the measured one

    def init(self, rng):
        self.tau = self.params["global_scale"] * np.exp(rng.normal())
        self.lam = np.abs(rng.standard_cauchy(self._n_local()))
        self.c2 = np.inf
        self.n_evals = 0

    def _n_local(self):
        return self.p

    def _local_var(self):
        return self.lam[self._coef_local()] ** 2

    def _fully_scaled(self) -> bool:
        return self.sigma_scaled

    def _tau_scale(self, sigma2: float) -> float:
        a = self.params["global_scale"]
        return a * np.sqrt(sigma2) if self.sigma_scaled else a

    def _rel_v(self, tau_rel: float, c2_rel: float) -> np.ndarray:
        """Prior variances over ``sigma^2`` from ``tau / sigma`` and ``c^2 / sigma^2``."""
        return 1.0 / (1.0 / (tau_rel**2 * self._local_var()) + 1.0 / c2_rel)

    def _rel_factor(self, data, tau_rel, c2_rel):
        if np.isinf(c2_rel):  # plain horseshoe: reuse the kernel built once per sweep
            return self._kern.factor(tau_rel**2)
        return data.kernel(self._rel_v(tau_rel, c2_rel)).factor(1.0)

    def _sweep_d0(self) -> np.ndarray:
        """``d0`` with absolute prior variances ``tau^2 d0``: ``1/(1/lam^2 + tau^2/c^2)``.

        Invariant under ``(tau e^d, c^2 e^{2d})`` (and under ``tau`` alone when ``c = inf``), so
        one kernel ``X diag(d0) X'`` per sweep serves the tau and sigma moves.
        """
        return 1.0 / (1.0 / self._local_var() + self.tau**2 / self.c2)

    def log_scale_prior(self, sigma2: float) -> float:
        """Terms of ``log p(scales | sigma)`` that depend on ``sigma`` (tau's prior)."""
        if not self.sigma_scaled:
            return 0.0
        return self._log_tau_prior(self.tau, sigma2)

    def _log_tau_prior(self, tau: float, sigma2: float) -> float:
        """``log p(tau | sigma, lam)`` of the absolute ``tau``, up to constants: ``C+(0, A)``."""
        return _log_halfcauchy(tau, self._tau_scale(sigma2))

    def _local_prior(self) -> R2D2Local | None:
        """The local scales' prior in the collapsed sweep (None: ``lam_j ~ C+(0, 1)``)."""
        return None

    def step(self, data, sig, rng):
        if self._fully_scaled() and sig.integrable:
            # (tau/sigma, sigma^2) | lam, c2/sigma^2 as one block: sigma^2 integrates out
            s2 = sig.sigma2
            g = self.tau**2 / s2
            self._kern = data.kernel(self._local_var(), g) if np.isinf(self.c2) else None
            c2_rel = self.c2 / s2

            def logp(x):
                fac = self._rel_factor(data, np.exp(x), c2_rel)
                lp = sig.log_marginal(fac.logdet, fac.quad, True)
                return lp + self._log_tau_prior(np.exp(x), 1.0) + x, fac

            x, fac, self.n_evals = slice_sample(logp, np.log(self.tau / np.sqrt(s2)), 1.0, rng)
            sig.draw(fac.quad, rng)
            self.tau = float(np.exp(x)) * np.sqrt(sig.sigma2)
            self.c2 = c2_rel * sig.sigma2
            return fac
        self._kern = data.kernel(self._sweep_d0(), self.tau**2 / sig.sigma2)
        fac = self._tau_step(sig, rng)
        if sig.sampled:
            fac = self._sigma_step(sig, rng)
            self._scale_line_step(fac, sig, rng)
        return fac

    def _tau_step(self, sig, rng):
        """Slice update along ``(tau e^d, c^2 e^{2d})`` given ``sigma``, ``beta`` integrated out.

        With ``tau^2 / c^2`` fixed the prior variances ``tau^2 d0`` scale as ``tau^2``
        (:meth:`_sweep_d0`), so the sweep's kernel serves every evaluation (one small Cholesky
        each). A translation in log coordinates; the target adds the log densities of
        ``log tau`` and ``log c^2`` (plain horseshoe: ``c = inf`` stays put). ``c^2`` also moves
        alone, given ``beta``, in :meth:`RegularizedHorseshoeUpdates.update`.
        """
        s2 = sig.sigma2
        log_tau, c20 = np.log(self.tau), self.c2

        def logp(d):
            fac = self._kern.factor(np.exp(2.0 * (log_tau + d)) / s2)
            lp = sig.log_marginal(fac.logdet, fac.quad, False)
            lp += self._log_tau_prior(np.exp(log_tau + d), s2) + log_tau + d
            return lp + self._log_slab_logc2(c20 * np.exp(2.0 * d), s2), fac

        d, fac, self.n_evals = slice_sample(logp, 0.0, self.tau_width, rng)
        self.tau = float(np.exp(log_tau + d))
        self.c2 = c20 * np.exp(2.0 * d)
        return fac

    def _sigma_step(self, sig, rng):
        """Slice update of ``x = log sigma^2`` given the scales, ``beta`` integrated out.

        ``log p(x) = -N x/2 - log det M_x / 2 - (Q_x + e2) e^{-x} / 2 + log p(x)
        + log p(scales | sigma)`` with ``M_x = I + e^{-x} g0 X D0 X'``.
        """
        kern, g0 = self._kern, self.tau**2

        def logp(x):
            fac = kern.factor(g0 * np.exp(-x))
            lp = sig.log_conditional_x(x, fac.quad) - 0.5 * fac.logdet
            return lp + self.log_scale_prior(np.exp(x)), fac

        # ~N/2 curvature less what the signal's covariance absorbs (at most p directions):
        # a width of ~3 sd, as in :meth:`_sigma_given_beta`; 1 when p >= N
        width, steps = _log_variance_width(sig.n_rows - kern.data.p)
        x, fac, evals = slice_sample(logp, np.log(sig.sigma2), width, rng, steps)
        self.n_evals += evals
        sig.sigma2 = float(np.exp(x))
        return fac

    def _scale_line_step(self, fac, sig, rng):
        """Move ``(sigma^2, tau, c^2)`` jointly along ``(e^d sigma^2, e^{d/2} tau, e^d c^2)``.

        ``tau / sigma`` and ``c^2 / sigma^2`` stay fixed, so ``M``, ``log det M`` and ``Q`` do
        too and each evaluation is O(1). In log coordinates the move is a translation (unit
        Jacobian) and the target is the joint log density with ``beta`` integrated out::

            -N w/2 - (Q + e2) e^{-w}/2 + log p(w) + log p(log tau | sigma) + log p(log c^2 | sigma)

        with ``w = log sigma^2``. When ``p > n`` the data barely separate noise from signal
        along this ridge (a small ``tau`` with a large ``sigma`` or the reverse), which the
        one-at-a-time ``tau | sigma`` and ``sigma | tau`` updates cross slowly.
        """
        w0, tau0, c20 = np.log(sig.sigma2), self.tau, self.c2

        def logp(d):
            w, tau = w0 + d, tau0 * np.exp(0.5 * d)
            lp = sig.log_conditional_x(w, fac.quad)
            lp += self._log_tau_prior(tau, np.exp(w)) + np.log(tau)
            return lp + self._log_slab_logc2(c20 * np.exp(d), np.exp(w)), None

        # Q fixed: the noise likelihood's curvature N/2 at its mode, as in _sigma_given_beta
        width, steps = _log_variance_width(sig.n_rows)
        d, _, evals = slice_sample(logp, 0.0, width, rng, steps)
        self.n_evals += evals
        sig.sigma2 = float(np.exp(w0 + d))
        self.tau = float(tau0 * np.exp(0.5 * d))
        self.c2 = c20 * np.exp(d)

    def _log_slab_logc2(self, c2: float, sigma2: float) -> float:
        """Log density of ``log c^2`` given ``sigma`` (0 for the plain horseshoe)."""
        return 0.0

    def update(self, data, beta, sig, rng):
        fit = None
        for _ in range(int(self.params.get("local_sweeps", 1))):
            s2 = sig.sigma2
            if data.X is None:  # out of core: the same sweep from X'X, X'y, y'y
                beta, self.lam, rss = collapsed_gram_sweep(
                    data, beta, self.lam, s2, self.tau**2 / s2, rng, c2=self.c2 / s2,
                    local_prior=self._local_prior(),
                )  # fmt: skip
            else:
                beta, self.lam, resid = collapsed_local_sweep(
                    data.Xf, data.y, beta, self.lam, s2, self.tau**2 / s2, rng,
                    c2=self.c2 / s2, col_sq=data.col_sq, local_prior=self._local_prior(),
                )  # fmt: skip
                rss, fit = float(resid @ resid), data.y - resid
            if sig.sampled:
                self._sigma_given_beta(rss, sig, rng)
        self.interweave_tau(self._tau_scale(sig.sigma2), rng)
        return self.noise_scale_move(data, beta, sig, rng, fit=fit)

    def noise_scale_move(self, data, beta, sig, rng, fit=None):
        """Scale ``tau`` and the bulk of ``beta`` together, ``sigma^2`` integrated out.

        When ``p > n`` the many small coefficients fit part of the noise, so the data pin
        ``sigma^2`` plus that fit, not each: a ridge the other moves cross slowly. A random set ``L`` of
        local scales is drawn, each ``lam_k`` with probability ``pi(lam_k)`` (mostly the large
        ones, :meth:`_held_probability`); the move (a group move, Liu & Sabatti 2000) maps::

            tau -> tau e^{a/2},   lam_L -> lam_L e^{-a/2},   beta_S -> beta_S e^{a/2},

        keeping ``beta_L`` and ``lam_S`` (``S``: the coefficients outside ``L``). ``a`` is
        slice-sampled on :meth:`noise_scale_target`, then ``sigma^2 | beta`` is drawn exactly.
        Only for priors whose scales do not involve ``sigma`` (``sigma_scaled=False``), where
        that draw of ``sigma^2`` is exact. ``fit``: ``X beta`` if the caller has it.
        """
        if self.sigma_scaled or not sig.sampled or not np.isinf(self.c2):
            return beta
        held = rng.uniform(size=self.lam.size) < self._held_probability(self.lam)
        logp, in_s, rss = self.noise_scale_target(data, beta, sig, held, fit)
        a, _, _ = slice_sample(logp, 0.0, 1.0, rng)
        self.tau = float(self.tau * np.exp(0.5 * a))
        self.lam = np.where(held, self.lam * np.exp(-0.5 * a), self.lam)
        beta = np.where(in_s, beta * np.exp(0.5 * a), beta)
        sig.draw(rss(a), rng)
        return beta

    def _held_probability(self, lam: np.ndarray) -> np.ndarray:
        """``pi(lam) = lam^2 / (lam^2 + c^2)``, ``c^2`` from :meth:`_held_c2`."""
        return lam**2 / (lam**2 + self._held_c2())

    def _held_c2(self) -> float:
        """``c``: the prior ``1 - k/m`` quantile of ``C+(0, 1)``, ``k = 20`` of the ``m`` local
        scales (at most ``m/2``), so about ``k`` scales, the large ones, are held a priori.

        Each held scale near ``c`` adds ~``pi (1 - pi)`` to the curvature of the move's target
        in ``a``, so holding more shortens the move; the scales that must be held are the
        signals', whose ``lam >> c`` are held anyway, so ``k`` does not grow with ``m``
        (measured: ``docs/sampling.md``).
        """
        m = self.lam.size
        k = min(20.0, m / 2.0)
        return float(np.tan(0.5 * np.pi * (1.0 - k / m)) ** 2)

    def _coef_local(self) -> np.ndarray | slice:
        """Index of each coefficient's local scale (all of them, in order: one per coefficient)."""
        return slice(None)

    def noise_scale_target(self, data, beta, sig, held, fit=None):
        """Log target of the noise-scale move in ``a``, the scaled set ``S`` and ``RSS(a)``.

        ``held``: boolean mask over the local scales (``L``). The move must leave
        ``p(state) q(L | state)`` invariant, ``q`` the selection probability
        (``prod_L pi(lam) prod_rest (1 - pi(lam))``; only the ``L`` factors change). On ``S``
        the prior terms of ``beta_j ~ N(0, tau^2 lam_j^2)`` cancel the Jacobian
        ``e^{|S| a/2}``; on ``L`` they are unchanged (``tau lam`` and ``beta`` fixed), and
        ``log lam_L`` and ``log tau`` are translated (unit Jacobian). With
        ``u_k = lam_k e^{-a/2}``::

            log p(a) = log p_tau(tau e^{a/2}) + a/2 + log m(a)
                       + sum_L [log C+(u_k) + log u_k + log pi(u_k)],
            m(a) = int p(y | beta(a), sigma) p(sigma) dsigma,

        ``m`` a 1-D trapezoid sum in ``x = log sigma^2`` around the mode of its integrand (an
        inverse-gamma kernel of width ~sqrt(2/N); the grid spans +-10 widths). ``RSS(a) =
        ||r_L - e^{a/2} f_S||^2`` (``r_L = y - X_L beta_L``, ``f_S = X_S beta_S``) is quadratic
        in ``e^{a/2}``, so each evaluation is O(|L|) after one O(n p) product (O(p^2) from
        the statistics out of core, :func:`_split_fit`).
        """
        in_s = ~held[self._coef_local()]
        rr, rf, ff = _split_fit(data, beta, in_s, fit)
        log_lam = np.log(self.lam[held])
        c2 = self._held_c2()
        tau_scale, log_tau, n_rows = self._tau_scale(1.0), np.log(self.tau), sig.n_rows
        grid = np.linspace(-10.0, 10.0, 81) * np.sqrt(2.0 / n_rows)
        log_step = np.log(grid[1] - grid[0])

        def rss(a):
            return max(rr - 2.0 * np.exp(0.5 * a) * rf + np.exp(a) * ff, 1e-300)

        def logp(a):
            rss_a = rss(a)
            x = np.log((rss_a + sig.e2) / n_rows) + grid
            log_m = np.logaddexp.reduce(sig.log_conditional_x(x, rss_a)) + log_step
            lp = _log_halfcauchy(np.exp(log_tau + 0.5 * a), tau_scale) + 0.5 * a + log_m
            u2 = np.exp(2.0 * (log_lam - 0.5 * a))
            # log C+(u) + log u + log pi(u), pi(u) = u^2 / (u^2 + c^2), up to constants
            return lp + float(np.sum(1.5 * np.log(u2) - np.log1p(u2) - np.log(u2 + c2))), None

        return logp, in_s, rss

    def _sigma_given_beta(self, rss, sig, rng):
        """Slice update of ``w = log sigma^2`` given ``beta`` and the (absolute) scales.

        ``log p(w | .) = -N w/2 - (RSS + e2) e^{-w}/2 + log p(w) + log p(tau, c^2 | sigma)``:
        O(1) per evaluation, so it is cheap to let ``sigma`` follow the local scales between
        the (O(n^2 p)) global steps.
        """

        def logp(w):
            return sig.log_conditional_x(w, rss) + self.log_scale_prior(np.exp(w)), None

        # log-concave, with curvature >= N/2 at the likelihood's mode (the prior terms only
        # add to it)
        width, steps = _log_variance_width(sig.n_rows)
        w, _, _ = slice_sample(logp, np.log(sig.sigma2), width, rng, steps)
        sig.sigma2 = float(np.exp(w))

    def interweave_tau(self, scale, rng):
        """Update ``tau`` holding the products ``tau lam`` fixed (an ASIS-style move).

        In the parametrization ``lt = tau lam`` the likelihood does not involve ``tau``, so
        ``p(tau | lt) ∝ p(tau) prod_k tau^{-1} p_lam(lt_k / tau)``; slice-sampled on log tau
        (O(K) per evaluation). It complements the marginal update, which holds ``lam`` fixed.
        """
        lt2 = (self.tau * self.lam) ** 2
        k = lt2.size

        def logp(x):
            lp = _log_halfcauchy(np.exp(x), scale) + (1 - k) * x
            return lp - np.sum(np.log1p(lt2 * np.exp(-2.0 * x))), None

        # the k terms give log p a curvature ~k/2 in log tau (E[4 lam^2/(1+lam^2)^2] = 1/2
        # under C+(0, 1)): a width of ~3 sd, not 1, saves half the evaluations at large k
        width = min(self.tau_width, 3.0 * np.sqrt(2.0 / k))
        x, _, _ = slice_sample(logp, np.log(self.tau), width, rng)
        tau = float(np.exp(x))
        self.lam = self.lam * (self.tau / tau)
        self.tau = tau

    def record(self, sig):
        s = np.sqrt(sig.sigma2) if self.sigma_scaled else 1.0
        return {"tau": self.tau / s, "lam": self.lam}

    def stats(self):
        return {"slice_evals": self.n_evals}


def _split_fit(data, beta, in_s, fit=None) -> tuple[float, float, float]:
    """``(r_L'r_L, r_L'f_S, f_S'f_S)``, ``r_L = y - X_L beta_L``, ``f_S = X_S beta_S``.

    From the rows, or (``data.X is None``, out of core) from ``G = X'X``, ``X'y``, ``y'y``
    with ``b_L``, ``b_S`` the coefficients zeroed outside ``L``, ``S``:
    ``r_L'r_L = y'y - 2 b_L'X'y + b_L'G b_L``, ``r_L'f_S = b_S'X'y - b_L'G b_S``,
    ``f_S'f_S = b_S'G b_S``. ``fit``: ``X beta`` if the caller has it (rows only).
    """
    if data.X is None:
        b_s = np.where(in_s, beta, 0.0)
        b_l = beta - b_s
        g_s = data.XtX @ b_s
        rr = gram_rss(data.XtX, data.Xty, data.yty, b_l)
        return rr, float(b_s @ data.Xty - b_l @ g_s), float(b_s @ g_s)
    fit_held = data.X[:, ~in_s] @ beta[~in_s]
    fit = data.X @ beta if fit is None else fit
    fit_s = fit - fit_held  # no copy of the (n, p) design for the large set S
    r_held = data.y - fit_held
    return float(r_held @ r_held), float(r_held @ fit_s), float(fit_s @ fit_s)


class GroupHorseshoeUpdates(HorseshoeUpdates):
    """``beta_j ~ N(0, tau^2 lam_g^2)`` for ``j`` in group ``g``; ``lam_g``, ``tau`` C+.

    ``tau``'s scale as for :class:`HorseshoeUpdates`. Conditional of ``eta_g = 1/lam_g^2``:
    ``∝ eta^{(m_g+1)/2 - 1} exp(-eta ||beta_g||^2 / (2 tau^2)) / (1 + eta)``, updated by the
    same exact slice step.
    """

    name = "group_horseshoe"
    defaults: ClassVar[dict[str, Any]] = {"global_scale": 1.0, "sigma_scaled": True}
    needs_groups = True

    def __init__(self, p, groups, params):
        super().__init__(p, groups, params)
        self.sizes = np.bincount(groups).astype(float)

    def _n_local(self):
        return self.sizes.size

    def _coef_local(self):
        return self.groups

    def update(self, data, beta, sig, rng):
        ss = np.bincount(self.groups, weights=beta**2, minlength=self.sizes.size)
        rate = ss / (2.0 * self.tau**2)
        shape = 0.5 * (self.sizes + 1.0)
        self.lam = 1.0 / np.sqrt(halfcauchy_precision_slice(1.0 / self.lam**2, shape, rate, rng))
        self.interweave_tau(self._tau_scale(sig.sigma2), rng)
        return self.noise_scale_move(data, beta, sig, rng)


class RegularizedHorseshoeUpdates(HorseshoeUpdates):
    """Piironen & Vehtari (2017): ``beta_j ~ N(0, tau^2 lt_j^2)``.

    ``lt_j^2 = c^2 lam_j^2 / (c^2 + tau^2 lam_j^2)``, ``lam_j ~ C+(0, 1)``, ``tau ~ C+(0, A)``
    (``A`` as for :class:`HorseshoeUpdates`), ``c^2 ~ InvGamma(slab_df/2, slab_df S^2 / 2)`` with
    ``S = slab_scale * sigma`` if ``slab_sigma_scaled`` else ``slab_scale``. Recorded ``tau`` and
    ``c2`` are over ``sigma`` / ``sigma^2`` when sigma-scaled. ``tau``: slice on its marginal
    along ``(tau e^d, c^2 e^{2d})`` (one kernel per sweep); ``(lam_j, beta_j)``: the collapsed
    sweep of :class:`HorseshoeUpdates`; ``log c^2``: slice sampling of its conditional given ``beta``.
    """

    name = "regularized_horseshoe"
    defaults: ClassVar[dict[str, Any]] = {
        "global_scale": 1.0,
        "slab_scale": 2.0,
        "slab_df": 4.0,
        "sigma_scaled": True,
        "slab_sigma_scaled": True,
        "local_sweeps": 1,
    }

    def init(self, rng):
        super().init(rng)
        a, b = self._slab(1.0)
        self.c2 = b / rng.gamma(a)

    def _fully_scaled(self):
        return self.sigma_scaled and bool(self.params["slab_sigma_scaled"])

    def _slab(self, sigma2):
        df, s = self.params["slab_df"], self.params["slab_scale"]
        b = 0.5 * df * s**2 * (sigma2 if self.params["slab_sigma_scaled"] else 1.0)
        return 0.5 * df, b

    def log_scale_prior(self, sigma2):
        lp = super().log_scale_prior(sigma2)
        if self.params["slab_sigma_scaled"]:  # InvGamma(a, b sigma^2) on c^2
            a, b = self._slab(sigma2)
            lp += a * np.log(b) - b / self.c2
        return lp

    def _log_slab_logc2(self, c2, sigma2):
        a, b = self._slab(sigma2)  # InvGamma(a, b) on c^2, with the Jacobian of log c^2
        return a * np.log(b) - a * np.log(c2) - b / c2

    def update(self, data, beta, sig, rng):
        beta = super().update(data, beta, sig, rng)
        a, b = self._slab(sig.sigma2)
        inv_tl2 = 1.0 / (self.tau**2 * self.lam**2)
        b2 = beta**2

        def logp(x):
            t = inv_tl2 + np.exp(-x)
            lp = np.sum(0.5 * np.log(t) - 0.5 * b2 * t)
            return lp - a * x - b * np.exp(-x), None  # InvGamma(a, b) on exp(x), with Jacobian

        x, _, _ = slice_sample(logp, np.log(self.c2), 2.0, rng)
        self.c2 = float(np.exp(x))
        return beta

    def record(self, sig):
        s2 = sig.sigma2 if self.params["slab_sigma_scaled"] else 1.0
        return super().record(sig) | {"c2": self.c2 / s2}
