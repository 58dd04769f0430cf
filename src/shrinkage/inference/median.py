"""Exact MAP of median regression with a Laplace (lasso) prior: linear programs.

For a model from :func:`shrinkage.build_model` with ``family="laplace"``,

.. math::

    y_i \\sim \\mathrm{Laplace}(a + x_i^\\top \\beta, \\sigma), \\qquad
    \\beta_j \\sim \\mathrm{Laplace}(0, b_j(\\sigma)),

the negative log posterior (``jacobian=False``, as in :func:`find_map`) is

.. math::

    F(\\beta, a, \\sigma) = n \\log(2\\sigma) + \\frac{1}{\\sigma} \\sum_i |y_i - a - x_i^\\top\\beta|
        + \\sum_j \\frac{|\\beta_j|}{b_j(\\sigma)} + \\sum_j \\log(2 b_j(\\sigma))
        - \\log p(\\sigma).

The L1 loss is not separable in ``beta``, so the proximal method of :func:`find_map` does
not apply. Instead:

* **sigma fixed.** ``sigma F`` in ``(beta, a)`` is ``sum_i |r_i| + kappa ||beta||_1`` with
  ``kappa = sigma / b`` (``Laplace(b)`` prior) or ``kappa = lambda`` (Park & Casella,
  ``b = sigma / lambda``): a linear program, solved exactly (to a vertex) by HiGHS' dual
  simplex through :func:`scipy.optimize.linprog`.
* **sigma estimated.** Block coordinate descent: the LP in ``(beta, a)`` at the current sigma,
  then the exact minimizer of ``F`` in sigma at fixed ``(beta, a)``: with
  ``T = sum |r_i| (+ lambda ||beta||_1)`` and ``m = n (+ p)`` it solves
  ``m / sigma - T / sigma^2 + d(-log p(sigma))/d sigma = 0``, i.e. ``sigma = T / (m + 1)`` for
  the Jeffreys prior and the positive root of ``sigma^3 / s^2 + m sigma - T = 0`` for
  ``HalfNormal(s)``. ``F`` decreases at every step and the LP solution is piecewise constant in
  sigma (a vertex), so the iteration stops exactly when two successive LPs return the same
  vertex: then ``(beta, a, sigma)`` is a fixed point of both block minimizations, i.e. a
  stationary point of ``F``.

The certificate is the larger of the LP duality gap divided by sigma (units of ``F``; HiGHS'
vertex gives ~1e-12) and ``|dF / d log sigma|`` from the model's own compiled gradient.
Supported: priors whose penalty is ``L1`` with a fixed weight (``penalty_name == "L1"`` and
``penalty_alpha`` defined: ``Laplace``, ``BayesianLasso(lam=...)``); ``kappa`` is that penalty
at ``n = 1`` with the Laplace likelihood's loss scale ``c = sigma``, and ``b_j`` follows
``sigma`` when the prior is ``noise_scaled``. Intercept ``"flat"`` or ``False`` (a Normal
intercept prior makes the problem a QP).
"""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
from scipy import sparse
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from shrinkage.inference.map_result import MapResult

__all__ = ["is_median_regression", "median_map"]


def is_median_regression(model: pm.Model) -> bool:
    """Whether ``model`` was built by ``build_model`` with the Laplace likelihood."""
    spec = getattr(model, "_shrinkage_spec", None)
    return spec is not None and spec.family.name == "laplace"


def _check_supported(spec, fixed: dict) -> None:
    prior = spec.prior
    ok = prior.penalty_name == "L1" and prior.penalty_alpha(1.0, 1) is not None
    if not ok:
        raise NotImplementedError(
            "exact MAP of median regression is implemented for priors with a fixed L1 "
            f"penalty: the Laplace and BayesianLasso(lam=...) priors; got {prior!r}"
        )
    if spec.intercept is True:
        raise NotImplementedError(
            "exact MAP of median regression needs intercept='flat' or intercept=False: a "
            "Normal intercept prior turns the linear program into a quadratic one"
        )
    unknown = set(fixed) - {"sigma"}
    if unknown:
        raise NotImplementedError(
            f"median regression: only sigma can be held fixed; got {sorted(unknown)}"
        )


def _solve_lp(X: np.ndarray, y: np.ndarray, kappa: float, intercept: bool):
    """``min sum |y - a - X beta| + kappa ||beta||_1``; returns beta, a, primal, dual values.

    Variables ``(beta+, beta-, [a], u, v)``, all ``>= 0`` except the free ``a``;
    ``X beta+ - X beta- + a + u - v = y``.
    """
    n, p = X.shape
    eye = sparse.eye_array(n, format="csc")
    blocks = [sparse.csc_array(X), sparse.csc_array(-X)]
    if intercept:
        blocks.append(sparse.csc_array(np.ones((n, 1))))
    A = sparse.hstack([*blocks, eye, -eye], format="csc")
    k = int(intercept)
    c = np.concatenate([np.full(2 * p, kappa), np.zeros(k), np.ones(2 * n)])
    bounds = [(0, None)] * (2 * p) + [(None, None)] * k + [(0, None)] * (2 * n)
    res = linprog(c, A_eq=A, b_eq=y, bounds=bounds, method="highs-ds")
    if res.status != 0:
        raise RuntimeError(f"linprog failed on the median-regression LP: {res.message}")
    x = res.x
    beta = x[:p] - x[p : 2 * p]
    a = float(x[2 * p]) if intercept else 0.0
    dual = float(y @ res.eqlin.marginals)
    return beta, a, float(res.fun), dual


def _sigma_update(T: float, m: int, family, y: np.ndarray) -> float:
    """argmin over sigma > 0 of ``m log sigma + T / sigma - log p(sigma)`` (closed form)."""
    if family.sigma_prior == "jeffreys":
        return T / (m + 1)
    s = family.sigma_scale if family.sigma_scale is not None else float(y.std())
    # sigma^3 / s^2 + m sigma - T = 0 has one positive root (the cubic is increasing)
    roots = np.roots([1.0 / s**2, 0.0, float(m), -T])
    sigma = float(max(r.real for r in roots if abs(r.imag) < 1e-9 * max(1.0, abs(r))))
    for _ in range(3):  # Newton polish to full precision
        sigma -= (sigma**3 / s**2 + m * sigma - T) / (3 * sigma**2 / s**2 + m)
    return sigma


def median_map(model: pm.Model, *, tol: float, max_iter: int, fixed: dict | None):
    """Exact MAP of a ``build_model`` median regression (see module docstring)."""
    spec = model._shrinkage_spec
    fixed = dict(fixed or {})
    _check_supported(spec, fixed)
    X, y, family = spec.design.X, spec.design.y, spec.family
    n, p = X.shape
    intercept = spec.intercept is not False
    prior = spec.prior

    def kappa(sigma):  # sigma x (L1 weight 1/b): the L1 penalty at n = 1 with c = sigma
        s = 1.0 if prior.noise_scaled else sigma  # b = sigma / lambda: kappa = lambda
        return prior.penalty_alpha(s, 1, loss_scale=s)["alpha"]

    # with b = sigma / lambda, F has lambda ||beta||_1 / sigma and p log sigma more
    lam = kappa(1.0) if prior.noise_scaled else None

    sigma_known = family.sigma if family.sigma is not None else fixed.get("sigma")
    sigma = float(sigma_known) if sigma_known is not None else float(np.mean(np.abs(y)))
    previous, n_iter = None, 0
    while True:
        n_iter += 1
        beta, a, primal, dual = _solve_lp(X, y, kappa(sigma), intercept)
        current = np.append(beta, a)
        if sigma_known is not None or (previous is not None and np.array_equal(current, previous)):
            break
        if n_iter >= max_iter:
            warnings.warn(
                f"median-regression MAP: sigma iteration did not settle in {max_iter} LPs",
                ConvergenceWarning,
                stacklevel=3,
            )
            break
        resid = float(np.sum(np.abs(y - a - X @ beta)))
        T = resid + (lam * float(np.sum(np.abs(beta))) if lam is not None else 0.0)
        sigma = _sigma_update(T, n + (p if lam is not None else 0), family, y)
        previous = current
    estimated = sigma_known is None
    return _result(model, beta, a, sigma, primal - dual, n_iter, tol, estimated)


def _result(model, beta, a, sigma, gap, n_iter, tol, estimated):
    point = model.initial_point()
    point["beta"] = np.asarray(beta, dtype=float).reshape(point["beta"].shape)
    if "intercept" in point:
        point["intercept"] = np.asarray(a, dtype=float).reshape(point["intercept"].shape)
    if "sigma_log__" in point:
        point["sigma_log__"] = np.asarray(np.log(sigma)).reshape(point["sigma_log__"].shape)
    objective = -float(model.compile_logp(jacobian=False)(point))
    cert = abs(gap) / sigma
    if estimated:  # d(-logp)/d log sigma from the model's own graph
        dlogp = model.compile_dlogp(vars=[model["sigma"]], jacobian=False)
        cert = max(cert, float(np.max(np.abs(dlogp(point)))))
    fn = model.compile_fn(
        model.unobserved_value_vars,
        inputs=model.value_vars,
        point_fn=False,
        on_unused_input="ignore",
    )
    names = [v.name for v in model.unobserved_value_vars]
    raw = dict(zip(names, fn(**point), strict=True))
    values = {k: np.asarray(v) for k, v in raw.items() if not k.endswith("__")}
    converged = cert <= tol
    if not converged:
        warnings.warn(
            f"median-regression MAP: certificate {cert:.3g} > tol {tol:.3g}",
            ConvergenceWarning,
            stacklevel=3,
        )
    return MapResult(values, cert, n_iter, converged, objective, point)
