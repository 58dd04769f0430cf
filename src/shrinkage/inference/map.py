"""Exact MAP of a PyMC model whose non-smooth terms are Laplace or group-Laplace priors.

The MAP is the minimizer of

.. math::

    -\\log p(\\theta, \\beta \\mid y) = f(z) + \\sum_j w_j |\\beta_j - \\mu_j|
        + \\sum_g v_g \\|\\beta_g\\|_2

with the density taken in the model's *original* parametrization (PyMC's
``model.logp(jacobian=False)``, the convention of ``pm.find_MAP``): positive parameters such as
``sigma`` are optimized on PyMC's unconstrained scale (``log sigma``) but without the
log-Jacobian, so the optimum is the mode of ``p(sigma, beta | y)``, not of ``p(log sigma, ...)``.

Median regression (a ``build_model`` model with ``family="laplace"``) is dispatched to
:mod:`shrinkage.inference.median` (exact linear programs; its L1 loss has no cheap prox).

Algorithm: accelerated proximal gradient (FISTA with backtracking and function-value restart)
until the zero pattern settles, then a Newton polish of the smooth problem on that face
(Hessian by central differences of the PyTensor gradient; steps never cross zero), repeated
until the unit-step prox-gradient residual (the KKT violation) is below ``tol``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.logprob.transforms import LogTransform
from sklearn.exceptions import ConvergenceWarning

from shrinkage.inference._problem import CompositeProblem
from shrinkage.inference.map_result import MapResult
from shrinkage.inference.median import is_median_regression, median_map
from shrinkage.priors.potentials import group_l2_potential, l1_potential

__all__ = ["MapResult", "find_map", "group_l2_potential", "l1_potential"]


def find_map(
    model: pm.Model | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100_000,
    start: dict | None = None,
    fixed: dict | None = None,
    return_certificate: bool = True,
) -> MapResult:
    """Exact maximum a posteriori point of a PyMC model with Laplace / group-Laplace priors.

    Minimizes ``-log p(vars | y)`` with ``jacobian=False`` (see module docstring). Terms
    ``|beta_j - mu_j| / b_j`` of free ``pm.Laplace`` variables and of potentials made by
    :func:`l1_potential` / :func:`group_l2_potential` are handled by their prox (so zeros are
    exact); everything else must be differentiable and is differentiated by PyTensor.

    Parameters
    ----------
    model : pymc.Model, optional
        Defaults to the model on the context stack.
    tol : float
        Target for the certificate (units of the gradient of ``-logp`` on the unconstrained
        scale).
    max_iter : int
        Budget of proximal-gradient plus Newton iterations.
    start : dict, optional
        Starting values (constrained scale) by free-variable name; others start at the model's
        initial point.
    fixed : dict, optional
        Free variables held at the given (constrained) values, e.g. ``{"sigma": 0.7}``.
    return_certificate : bool
        Compute the final certificate (always needed for ``converged``; kept for API symmetry).

    Returns
    -------
    MapResult
    """
    model = pm.modelcontext(model)
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a finite number > 0; got {tol!r}")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter > 0):
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}")
    if is_median_regression(model):  # non-separable L1 loss: exact by linear programming
        return median_map(model, tol=tol, max_iter=int(max_iter), fixed=fixed)
    point = model.initial_point()
    fixed_values = _to_value_space(model, fixed or {}, point, "fixed")
    point.update(fixed_values)
    point.update(_to_value_space(model, start or {}, point, "start"))
    problem = _problem_for(model, fixed_values, point)
    z, n_iter, cert, stop = _solve(problem, problem.ravel(point), tol, int(max_iter))
    converged = cert <= tol
    no_mode = False
    if not converged:
        why, no_mode = _why_not_converged(problem, z, cert, stop)
        warnings.warn(
            f"find_map did not converge: certificate {cert:.3g} > tol {tol:.3g} after "
            f"{n_iter} iterations{why}",
            ConvergenceWarning,
            stacklevel=2,
        )
    objective = problem.full(z)[0]
    raw = problem.unravel(z)
    values = problem.constrained(raw)
    return MapResult(values, cert, n_iter, converged, objective, raw, no_mode=no_mode)


# compiled problems live on the model (so they die with it), keyed by which variables are
# fixed, the model's variables and their shapes
_CACHE_ATTR = "_shrinkage_find_map_cache"


def _problem_for(model: pm.Model, fixed_values: dict, point: dict) -> CompositeProblem:
    """Reuse the compiled problem of an unchanged model (only the fixed values may differ)."""
    key = (
        tuple(sorted(fixed_values)),
        tuple(model.named_vars),
        tuple((name, np.shape(value)) for name, value in point.items()),
    )
    per_model = getattr(model, _CACHE_ATTR, None)
    if per_model is None:
        per_model = {}
        setattr(model, _CACHE_ATTR, per_model)
    problem = per_model.get(key)
    if problem is None:
        problem = per_model[key] = _reused_problem(model, fixed_values, point)
    else:
        problem.set_fixed(fixed_values)
    return problem


def _reused_problem(model: pm.Model, fixed_values: dict, point: dict) -> CompositeProblem:
    """The compiled problem of a model of the same structure fitted before (same graph, same
    fixed variables, same shapes), rebound to this model's data; else a new one, stored
    (:mod:`shrinkage.inference.compile_cache`)."""
    from shrinkage.inference import compile_cache

    structure = compile_cache.model_key(model)
    if structure is None:
        return CompositeProblem(model, fixed_values, point)
    shapes = tuple((name, np.shape(value)) for name, value in point.items())
    key = ("find_map", structure, tuple(sorted(fixed_values)), shapes)
    cached = compile_cache.lookup(key)
    if cached is not None:
        try:
            return cached.rebind(model, fixed_values, point)
        except KeyError:
            pass
    problem = CompositeProblem(model, fixed_values, point)
    compile_cache.store(key, problem)
    return problem


# ---------------------------------------------------------------------- points
def _to_value_space(model: pm.Model, values: dict, point: dict, what: str) -> dict:
    """Map constrained values by free-RV name to PyMC's value (transformed) space."""
    if not isinstance(values, dict):
        raise TypeError(f"{what} must be a dict of variable name -> value")
    free = {rv.name: rv for rv in model.free_RVs}
    out = {}
    for name, value in values.items():
        if name not in free:
            raise ValueError(
                f"{what}: {name!r} is not a free variable of the model ({sorted(free)})"
            )
        rv = free[name]
        arr = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{what}[{name!r}] contains NaN or inf")
        vv = model.rvs_to_values[rv]
        target = np.shape(point[vv.name])
        if arr.shape != target:
            try:
                arr = np.broadcast_to(arr, target).copy()
            except ValueError:
                raise ValueError(
                    f"{what}[{name!r}] has shape {arr.shape}; the variable has shape {target}"
                ) from None
        transform = model.rvs_to_transforms.get(rv)
        if transform is not None:
            [fwd] = model.replace_rvs_by_values(
                [transform.forward(pt.as_tensor(arr), *rv.owner.inputs)]
            )
            fn = model.compile_fn(
                fwd, inputs=model.value_vars, point_fn=False, on_unused_input="ignore"
            )
            arr = np.asarray(fn(**point), dtype=float)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{what}[{name!r}] is outside the support of {name!r}")
        out[vv.name] = arr
    return out


# ---------------------------------------------------------------------- solver
#: a FISTA step (1 / local Lipschitz constant) below this has collapsed: backtracking finds
#: no descent at any sane length, as where the log-density grows without bound (no mode)
STEP_COLLAPSED = 1e-15


#: Progress of the solve. A stretch of iterations (an outer round of FISTA + Newton, or
#: ``_WINDOW`` FISTA iterations) makes progress when the certificate halves or, unless the
#: iterates are at the edge of the support, the objective falls by more than ``_FLAT``
#: (relative). At the edge (a log-transformed variable below ``_EDGE``, e.g. sigma -> 0) a
#: falling objective with a certificate that does not shrink is what an unbounded density
#: looks like: ``-logp ~ n log(sigma)`` when the model can interpolate the data, and the
#: curvature ~ 1/sigma^2 lets each step move only ~ sigma^2. FISTA hands over to Newton after
#: a window without progress; the solve stops after ``_STALL_ROUNDS`` such rounds in a row.
_FLAT = 1e-12
_EDGE = 1e-4
_WINDOW = 50
_STALL_ROUNDS = 3


def _log_coords(problem: CompositeProblem) -> np.ndarray:
    """Positions in ``z`` of the free variables PyMC optimizes as ``log(value)``."""
    model, out = problem.model, []
    for i, vv in enumerate(problem.vars):
        if isinstance(model.rvs_to_transforms.get(model.values_to_rvs[vv]), LogTransform):
            out.append(np.arange(problem.offsets[i], problem.offsets[i + 1]))
    return np.concatenate(out) if out else np.zeros(0, dtype=int)


def _at_edge(z: np.ndarray, log_idx: np.ndarray) -> bool:
    return bool(log_idx.size) and float(np.min(z[log_idx])) < np.log(_EDGE)


def _progressed(phi_old: float, phi: float, cert_old: float, cert: float, edge: bool) -> bool:
    if cert < 0.5 * cert_old:
        return True
    return not edge and phi < phi_old - _FLAT * (1.0 + abs(phi))


def _solve(problem: CompositeProblem, z: np.ndarray, tol: float, max_iter: int):
    """Alternate FISTA rounds (find the face) and Newton polishes (solve on it).

    Stops at the certificate, the budget, a non-finite point, a collapsed step or a stall.
    Returns ``(z, n_iter, certificate, stop)``; ``stop`` is ``"stalled"`` when
    ``_STALL_ROUNDS`` rounds in a row made no progress (see ``_progressed``) before the
    certificate reached ``tol``, ``"collapsed"`` when the FISTA step fell below
    ``STEP_COLLAPSED``, else ``""``.
    """
    n_iter, patience, step = 0, 20, None
    log_idx = _log_coords(problem)
    cert, flat_rounds = np.inf, 0
    phi_best, cert_best = problem.full(z)[0], np.inf
    while n_iter < max_iter:
        z, k, step, cert = _fista(problem, z, tol, max_iter - n_iter, patience, step, log_idx)
        n_iter += k
        if step < STEP_COLLAPSED and cert > tol:
            return z, n_iter, cert, "collapsed"
        if cert <= tol or n_iter >= max_iter:
            break
        z, k = _newton(problem, z, tol, min(50, max_iter - n_iter))
        n_iter += k
        phi, *rest = problem.full(z)
        cert = problem.certificate(z, *rest)
        if cert <= tol or not np.isfinite(cert):  # a non-finite point: no step can help
            break
        edge = _at_edge(z, log_idx)
        flat_rounds = 0 if _progressed(phi_best, phi, cert_best, cert, edge) else flat_rounds + 1
        if flat_rounds >= _STALL_ROUNDS:
            return z, n_iter, cert, "stalled"
        phi_best, cert_best = min(phi_best, phi), min(cert_best, cert)
        patience *= 2
    return z, n_iter, cert, ""


# the parts of the no-mode messages (tests match them)
_UNBOUNDED = "grows without bound towards the edge of the support, so the posterior has no mode"
_INTERPOLATES = "e.g. sigma -> 0 when the model can interpolate the data"


def _why_not_converged(problem: CompositeProblem, z: np.ndarray, cert: float, stop: str):
    """The reason appended to the warning, and whether the posterior likely has no mode
    (``stop`` as :func:`_solve` returns it: a stall or a collapsed step at the edge of the
    support names the variables there)."""
    edge = _edge_values(problem, z)
    if not np.isfinite(cert):
        if edge:  # the same unbounded density, met where rounding turns it non-finite
            return (
                f" (the log-density is not finite there, with {edge}: it {_UNBOUNDED}; "
                f"{_INTERPOLATES}: n <= coefficients + 1)",
                True,
            )
        return (
            f" (the log-density is not finite there: the posterior may have no mode, {_INTERPOLATES})",
            True,
        )
    if stop not in ("stalled", "collapsed"):
        return "", False
    if edge:  # a collapsed step: backtracking found no descent at any sane length
        how = (
            "stopped making progress with {}: the log-density likely grows"
            if stop == "stalled"
            else "the step length collapsed with {}: the log-density is not finite there, or grows"
        )
        return (
            f" and {how.format(edge)}{_UNBOUNDED.removeprefix('grows')} "
            f"({_INTERPOLATES}: n <= coefficients + 1)",
            True,
        )
    if stop == "collapsed":
        return (
            " (the log-density is not finite there, or grows without bound so that the step "
            f"length collapsed: the posterior may have no mode, {_INTERPOLATES})",
            True,
        )
    return (
        " and stopped making progress (a badly scaled problem, or the certificate at its "
        "rounding floor: a larger tol may be reachable)",
        False,
    )


def _edge_values(problem: CompositeProblem, z: np.ndarray) -> str:
    """``"sigma = 1.7e-06, ..."`` for the log-transformed free variables below ``_EDGE``."""
    model, parts = problem.model, []
    for i, vv in enumerate(problem.vars):
        if not isinstance(model.rvs_to_transforms.get(model.values_to_rvs[vv]), LogTransform):
            continue
        smallest = float(np.exp(np.min(z[problem.offsets[i] : problem.offsets[i + 1]])))
        if smallest < _EDGE:
            parts.append(f"{model.values_to_rvs[vv].name} = {smallest:.2g}")
    return ", ".join(parts)


def _initial_step(problem: CompositeProblem, z: np.ndarray, d: np.ndarray) -> float:
    """``1 / L`` from the change of the gradient along a small step (refined by backtracking)."""
    norm = np.linalg.norm(d)
    if norm == 0:
        return 1.0
    delta = -1e-4 * d / norm * max(1.0, np.linalg.norm(z))
    d2 = problem.full(z + delta)[1]
    lip = np.linalg.norm(d2 - d) / np.linalg.norm(delta)
    return 1.0 / lip if np.isfinite(lip) and lip > 0 else 1.0


def _fista(problem, x, tol, budget, patience, step, log_idx):
    """FISTA with backtracking and function-value restart; stops when the zero pattern of the
    iterates has not changed for ``patience`` iterations, when ``_WINDOW`` iterations made no
    progress (``_progressed``: Newton takes over), or when the certificate is below tol.

    The weights of ``g`` may depend on smooth coordinates; at the extrapolated point ``y`` the
    smooth model is ``S_y(z) = -logp(z) - g(z; w(y))`` whose gradient at ``y`` is ``d(y)``.
    """
    phi_x, d_x, w_x, v_x = problem.full(x)
    if step is None:
        step = _initial_step(problem, x, d_x)
    y, phi_y, d_y, w_y, v_y = x, phi_x, d_x, w_x, v_x
    theta, stable, pattern = 1.0, 0, _pattern(problem, x)
    cert = problem.certificate(x, d_x, w_x, v_x)
    restarted = False
    k = 0
    phi_mark, cert_mark = phi_x, cert
    while k < budget and cert > tol:
        k += 1
        if k % _WINDOW == 0:
            if not _progressed(phi_mark, phi_x, cert_mark, cert, _at_edge(x, log_idx)):
                break
            phi_mark, cert_mark = phi_x, cert
        f_y = phi_y - problem.g(y, w_y, v_y)
        while True:
            xn = problem.prox(y - step * d_y, step, w_y, v_y)
            phi_n, d_n, w_n, v_n = problem.full(xn)
            diff = xn - y
            bound = f_y + d_y @ diff + diff @ diff / (2 * step)
            lhs = phi_n - problem.g(xn, w_y, v_y)
            if lhs <= bound + 1e-13 * abs(f_y) or step < 1e-20:
                break
            step *= 0.5
        if phi_n > phi_x and not restarted:  # momentum overshoot: restart from x
            theta, restarted = 1.0, True
            y, phi_y, d_y, w_y, v_y = x, phi_x, d_x, w_x, v_x
            continue
        restarted = False
        theta_n = 0.5 * (1 + np.sqrt(1 + 4 * theta**2))
        beta = (theta - 1) / theta_n
        y = xn + beta * (xn - x)
        x, phi_x, d_x, w_x, v_x = xn, phi_n, d_n, w_n, v_n
        phi_y, d_y, w_y, v_y = (phi_x, d_x, w_x, v_x) if beta == 0 else problem.full(y)
        theta = theta_n
        step *= 1.1
        cert = problem.certificate(x, d_x, w_x, v_x)
        new = _pattern(problem, x)
        stable = stable + 1 if np.array_equal(new, pattern) else 0
        pattern = new
        if stable >= patience:
            break
    return x, k, step, cert


def _pattern(problem: CompositeProblem, z: np.ndarray) -> np.ndarray:
    c, active = problem.face(z)
    return np.concatenate([c, active])


def _newton(problem, z, tol, budget):
    """Damped Newton on the current face (signs of L1 coordinates, active groups fixed).

    Coordinates that would cross zero are stopped at exactly zero and leave the face.
    """
    k = 0
    for k in range(1, budget + 1):  # noqa: B007
        c, active = problem.face(z)
        free = problem.smooth_mask.copy()
        free[problem.idx_l1[c != 0]] = True
        free[problem.idx_grp[active[problem.gid] > 0]] = True
        phi, grad, _, _ = problem.evaluate(z, c, active)
        g_free = grad[free]
        if not np.all(np.isfinite(g_free)) or np.max(np.abs(g_free), initial=0) <= 0.1 * tol:
            break
        direction = _newton_direction(problem, z, c, active, free, g_free)
        if direction is None:
            break
        d = np.zeros_like(z)
        d[free] = direction
        z_new = _line_search(problem, z, d, c, active, phi, g_free @ direction)
        if z_new is None:
            break
        z = z_new
    return z, k


def _newton_direction(problem, z, c, active, free, g_free):
    idx = np.flatnonzero(free)
    hess = np.empty((idx.size, idx.size))
    for col, i in enumerate(idx):
        h = 1e-5 * max(1.0, abs(z[i]))
        zp, zm = z.copy(), z.copy()
        zp[i] += h
        zm[i] -= h
        hess[:, col] = (problem.evaluate(zp, c, active)[1] - problem.evaluate(zm, c, active)[1])[
            free
        ] / (2 * h)
    hess = 0.5 * (hess + hess.T)
    if not np.all(np.isfinite(hess)):
        return None
    scale = max(np.max(np.abs(np.diag(hess))), 1e-300)
    damping = 0.0
    for _ in range(30):
        try:
            chol = np.linalg.cholesky(hess + damping * np.eye(idx.size))
        except np.linalg.LinAlgError:
            damping = max(1e-10 * scale, damping * 10)
            continue
        return -np.linalg.solve(chol.T, np.linalg.solve(chol, g_free))
    return None


def _line_search(problem, z, d, c, active, phi, slope):
    """Armijo backtracking on the face; a step reaching zero on an L1 coordinate is clipped
    there and the coordinate is set to exactly ``mu``."""
    if slope >= 0:
        return None
    r = z[problem.idx_l1] - problem.mu_l1
    dl1 = d[problem.idx_l1]
    crossing = (c != 0) & (np.sign(dl1) == -c)
    ratios = np.full(r.shape, np.inf)
    ratios[crossing] = -r[crossing] / dl1[crossing]
    alpha_max = float(np.min(ratios, initial=np.inf))
    alpha = min(1.0, alpha_max)
    while alpha > 1e-12:
        z_new = z + alpha * d
        if alpha == alpha_max:
            hit = crossing & (ratios <= alpha_max)
            z_new[problem.idx_l1[hit]] = problem.mu_l1[hit]
        phi_new = problem.evaluate(z_new, c, active)[0]
        if phi_new <= phi + 1e-4 * alpha * slope:
            return z_new
        if phi_new <= phi and alpha < 1e-3:  # at the rounding floor: take what we have
            return z_new if phi_new < phi else None
        alpha *= 0.5
    return None
