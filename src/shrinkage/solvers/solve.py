"""``solve``: minimize a datafit plus a penalty, with a certificate of optimality.

.. math:: \\min_{w, c} F(Xw + c) + g(w)

with ``F`` a row-averaged datafit (:mod:`.datafits`), ``g`` a penalty (:mod:`.penalties`) and an
unpenalized intercept ``c``. For the quadratic datafits the intercept is exact by centring ``X``
and ``y`` (then ``c = mean(y) - mean(X) w``); for GLMs it is a coordinate of the solver.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .._validation import (
    as_float_matrix,
    check_choice,
    check_consistent_length,
    check_nonnegative,
    check_positive_int,
)
from ._kernels_bcd import bcd_group, bcd_multitask
from ._kernels_cd import cd_gram, cd_ls
from ._kernels_penalty import sep_terms
from ._kernels_prox_newton import pn_glm
from .datafits import Logistic, MultiTaskQuadratic, Poisson, Quadratic
from .penalties import L21, GroupLasso, SeparablePenalty

__all__ = ["SolverResult", "certificate", "solve"]

_DATAFITS = (Quadratic, Logistic, Poisson, MultiTaskQuadratic)
_SOLVERS = {"auto", "cd", "bcd", "fista"}
# groups up to this size get their BCD constant from a Jacobi eigen-solve of the Gram block in
# the kernel (O(n size^2 + size^3)); larger ones from LAPACK's SVD up front
_LAZY_GROUP = 64


@dataclass
class SolverResult:
    """Solution of :func:`solve`.

    Attributes
    ----------
    coef : ndarray, shape (p,) or (p, k)
    intercept : float or ndarray of shape (k,)
    n_iter : int
        Passes (CD / BCD), Newton steps (prox-Newton) or iterations (FISTA).
    certificate : float
        Duality gap (``certificate_kind == "duality_gap"``) or largest KKT violation (``"kkt"``).
    certificate_kind : str
    objective : float
        ``F(Xw + c) + g(w)`` on the data as given.
    solver : str
    converged : bool
        ``certificate <= tol``.
    """

    coef: np.ndarray
    intercept: float | np.ndarray
    n_iter: int
    certificate: float
    certificate_kind: str
    objective: float
    solver: str = ""
    converged: bool = True


@dataclass
class _Problem:
    """Validated data, prepared once (a path reuses it for every alpha)."""

    X: np.ndarray  # Fortran-ordered; centred when `centred`
    y: np.ndarray  # centred when `centred`
    datafit: object
    fit_intercept: bool
    centred: bool
    x_mean: np.ndarray
    y_mean: float | np.ndarray
    X_orig: np.ndarray
    y_orig: np.ndarray
    _cache: dict = field(default_factory=dict)
    # set by the path / CV: many solves on the same data amortize one X'X (Gram mode)
    many_solves: bool = False

    @property
    def glm_intercept(self) -> bool:
        """Intercept handled as a solver coordinate (GLMs), not by centring."""
        return self.fit_intercept and not self.centred

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def lipschitz(self) -> np.ndarray:
        """Per-coordinate Lipschitz constants of the datafit (least squares: ``||X_j||^2 / n``)."""
        if "lips" not in self._cache:
            self._cache["lips"] = self.datafit.lipschitz(self.X)
        return self._cache["lips"]

    def use_gram(self, tol: float) -> bool:
        """Gram-matrix CD when n >= 2p and many solves share the data (a path), unless ``tol``
        is near the rounding level of the Gram form of ``||r||^2`` (cancellation error
        ~ 1e-16 ||y||^2 / n). A single solve never pays for ``X'X`` (O(n p^2)): its working
        sets cost a few O(n p) gradients (n=10,000, p=1,000: 0.86 s with Gram, 0.1 s without;
        benchmarks/peers_solvers.py)."""
        n, p = self.X.shape
        if not self.many_solves or n < 2 * p or p > 3000:
            return False
        return tol >= 1e-11 * float(self.y @ self.y) / n

    def ls_state(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """Residual ``y - Xw``, gradient buffer and whether it holds ``-X'r/n`` at ``w``: the
        path's previous solve left both at its solution, its warm start here (two O(n p)
        products per ``alpha`` saved)."""
        kept = self._cache.get("ls_state")
        if self.many_solves and kept is not None and np.array_equal(kept[0], w):
            return kept[1], kept[2], True
        return self.y - support_product(self.X, w), np.empty(self.n_features), False

    def keep_ls_state(self, w: np.ndarray, r: np.ndarray, grad: np.ndarray) -> None:
        if self.many_solves:
            self._cache["ls_state"] = (w.copy(), r, grad)

    def gram(self) -> tuple[np.ndarray, np.ndarray, float]:
        if "gram" not in self._cache:
            X, y = self.X, self.y
            self._cache["gram"] = (np.ascontiguousarray(X.T @ X), X.T @ y, float(y @ y))
        return self._cache["gram"]

    def group_lipschitz(self, penalty: GroupLasso) -> np.ndarray:
        """Per-group Lipschitz constants ``sup f'' ||X_g||_2^2 / n``; ``-1`` marks a small group
        (``<= _LAZY_GROUP`` columns) whose constant BCD computes when the group first enters a
        working set (an SVD per group up front cost more than the solve; docs/api/solvers.md).
        The kernel fills the cached array in place, so a path computes each constant once."""
        key = ("glips", penalty.groups.tobytes())
        if key not in self._cache:
            df = self.datafit
            self._cache[key] = np.array(
                [
                    -1.0 if len(idx) <= _LAZY_GROUP else df.global_lipschitz(self.X[:, idx])
                    for _, idx in penalty.blocks()
                ]
            )
        return self._cache[key]


def support_product(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``X @ w`` from the columns where ``w`` (a vector, or rows of a matrix) is non-zero: a
    sparse solution (or the zero start) costs ``O(n nnz)``, not ``O(n p)``."""
    used = np.any(w != 0, axis=1) if w.ndim == 2 else w != 0
    nz = np.flatnonzero(used)
    if 2 * nz.shape[0] >= w.shape[0]:
        return X @ w
    return X[:, nz] @ w[nz]


def prepare(X, y, datafit, fit_intercept: bool = True) -> _Problem:
    """Validate ``X``, ``y`` for ``datafit`` and centre them for the quadratic datafits."""
    if not isinstance(datafit, _DATAFITS):
        raise TypeError(
            f"datafit must be one of {[d.__name__ for d in _DATAFITS]}; got {datafit!r}"
        )
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool; got {fit_intercept!r}")
    X = as_float_matrix(X, "X", order="F")
    y = datafit.validate_y(y)
    check_consistent_length(X, y)
    centred = bool(fit_intercept) and datafit.intercept_by_centring
    if centred:
        x_mean = X.mean(axis=0)
        y_mean = y.mean(axis=0)
        Xc = np.asfortranarray(X - x_mean)
        yc = np.ascontiguousarray(y - y_mean)
    else:
        x_mean = np.zeros(X.shape[1])
        y_mean = np.zeros(y.shape[1]) if y.ndim == 2 else 0.0
        Xc, yc = np.asfortranarray(X), y
    if isinstance(datafit, Poisson) and fit_intercept and y.sum() == 0:
        raise ValueError("y is all zeros: the Poisson intercept is -inf (no finite MLE)")
    return _Problem(Xc, yc, datafit, bool(fit_intercept), centred, x_mean, y_mean, X, y)


def _check_penalty(penalty, datafit, p: int) -> None:
    if isinstance(datafit, MultiTaskQuadratic) != isinstance(penalty, L21):
        raise TypeError("MultiTaskQuadratic goes with the L21 penalty (and L21 only with it)")
    if not isinstance(penalty, (SeparablePenalty, GroupLasso, L21)):
        raise TypeError(f"unsupported penalty {penalty!r}")
    penalty.check_dims(p)


def _gap_defined(prob: _Problem, penalty) -> bool:
    """A duality gap needs a conjugate datafit, every coordinate penalized, no GLM intercept."""
    if not prob.datafit.has_gap or prob.glm_intercept:
        return False
    if isinstance(penalty, SeparablePenalty):
        a, b = penalty.l1_l2(prob.n_features)
        return bool(np.all((a > 0) | (b > 0)))
    if isinstance(penalty, GroupLasso):
        return bool(penalty.alpha > 0 and np.all(penalty.weights > 0))
    return penalty.alpha > 0


def _dual_scaling(penalty, xtt: np.ndarray) -> tuple[float, float]:
    """Scaling ``s`` making ``s * theta`` dual feasible, and the penalty's conjugate there."""
    if isinstance(penalty, SeparablePenalty):
        a, b = penalty.l1_l2(xtt.shape[0])
        _, s, conj, _ = sep_terms(np.zeros(xtt.shape[0]), xtt, a, b)
        return s, conj
    if isinstance(penalty, GroupLasso):
        norms = np.array([np.linalg.norm(xtt[idx]) for _, idx in penalty.blocks()])
        limits = penalty.alpha * penalty.weights
    else:
        norms = np.linalg.norm(xtt, axis=1)
        limits = np.full(norms.shape, penalty.alpha)
    over = norms > limits
    s = float(np.min(limits[over] / norms[over])) if over.any() else 1.0
    return s, 0.0


def _certificate(prob: _Problem, penalty, w, c) -> tuple[float, str]:
    X, y, df = prob.X, prob.y, prob.datafit
    eta = X @ w + c
    g = df.raw_grad(y, eta)
    grad = X.T @ g
    if _gap_defined(prob, penalty):
        s, conj = _dual_scaling(penalty, -grad)
        primal = df.value(y, eta) + penalty.value(w)
        return float(primal - (df.dual_value(y, -s * g) - conj)), "duality_gap"
    kkt = float(np.max(penalty.subdiff_distance(w, grad)))
    if prob.glm_intercept:
        kkt = max(kkt, abs(float(g.sum())))
    return kkt, "kkt"


def certificate(X, y, datafit, penalty, coef, intercept=0.0, *, fit_intercept=True):
    """Optimality certificate of ``(coef, intercept)``: ``(value, kind)``.

    ``kind`` is ``"duality_gap"`` (quadratic and logistic datafits, every coordinate penalized,
    and no logistic intercept) or ``"kkt"`` (largest distance of ``-grad`` to the penalty's
    subdifferential, and the intercept's gradient).
    """
    prob = prepare(X, y, datafit, fit_intercept)
    coef = np.asarray(coef, dtype=np.float64)
    _check_penalty(penalty, datafit, prob.n_features)
    c = 0.0 if prob.centred or not fit_intercept else float(intercept)
    return _certificate(prob, penalty, coef, c)


def _choose_solver(prob: _Problem, penalty, solver: str) -> str:
    check_choice(solver, _SOLVERS, "solver")
    # BCD's steps 1/L_g need a curvature bound sup f'' (Poisson has none): FISTA backtracks
    no_bound = not np.isfinite(prob.datafit.curvature)
    if solver == "auto":
        if isinstance(penalty, SeparablePenalty):
            return "cd"
        return "fista" if no_bound else "bcd"
    if solver == "cd" and not isinstance(penalty, SeparablePenalty):
        raise ValueError(f"solver='cd' needs a separable penalty; {penalty!r} is not (use 'bcd')")
    if solver == "bcd" and (isinstance(penalty, SeparablePenalty) or no_bound):
        raise ValueError("solver='bcd' is for GroupLasso/L21 with quadratic or logistic datafits")
    return solver


def _initial_intercept(prob: _Problem, intercept_init) -> float:
    if not prob.glm_intercept:
        return 0.0
    if intercept_init is not None:
        value = float(intercept_init)
        if not np.isfinite(value):
            raise ValueError(f"intercept_init must be finite; got {value}")
        return value
    return prob.datafit.intercept_at_zero(prob.y)


def _initial_coef(prob: _Problem, coef_init) -> np.ndarray:
    shape = (prob.n_features, prob.y.shape[1]) if prob.y.ndim == 2 else (prob.n_features,)
    if coef_init is None:
        return np.zeros(shape)
    w = np.array(coef_init, dtype=np.float64)
    if w.shape != shape:
        raise ValueError(f"coef_init has shape {w.shape}; expected {shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("coef_init contains NaN or inf")
    return w


def solve_prepared(
    prob: _Problem, penalty, *, tol, max_iter, solver, coef_init, intercept_init, objective=True
):
    """Solve on a prepared problem (shared by :func:`solve` and the path)."""
    _check_penalty(penalty, prob.datafit, prob.n_features)
    solver = _choose_solver(prob, penalty, solver)
    w = _initial_coef(prob, coef_init)
    c = _initial_intercept(prob, intercept_init)
    gap = _gap_defined(prob, penalty)
    X, y, df = prob.X, prob.y, prob.datafit
    if solver == "fista":
        n_iter, cert, c = _fista(prob, penalty, w, c, tol, max_iter)
    elif isinstance(df, MultiTaskQuadratic):
        R = np.ascontiguousarray(y - X @ w)
        n_iter, cert = bcd_multitask(X, w, R, penalty.alpha, prob.lipschitz(), tol, max_iter)
    elif isinstance(penalty, GroupLasso):
        eta = support_product(X, w) + c
        gw = penalty.alpha * penalty.weights
        n_iter, cert, c = bcd_group(
            X, y, w, eta, c, penalty.order, penalty.ptr, gw, prob.group_lipschitz(penalty),
            df.kind, tol, max_iter, gap, prob.glm_intercept, np.zeros(2, np.int64), True,
        )  # fmt: skip
    else:
        a, b = penalty.l1_l2(prob.n_features)
        if isinstance(df, Quadratic) and prob.use_gram(tol):
            G, Xty, yy = prob.gram()
            n_iter, cert = cd_gram(G, Xty, yy, X.shape[0], w, a, b, tol, max_iter, gap)
        elif isinstance(df, Quadratic):
            r, grad, ok = prob.ls_state(w)
            n_iter, cert = cd_ls(X, y, w, r, a, b, prob.lipschitz(), tol, max_iter, gap, grad, ok)
            prob.keep_ls_state(w, r, grad)
        else:
            eta = support_product(X, w) + c
            n_iter, cert, c = pn_glm(
                X, y, w, eta, c, a, b, df.kind, tol, max_iter, gap, prob.glm_intercept
            )
    kind = "duality_gap" if gap else "kkt"
    return _finish(prob, penalty, w, c, int(n_iter), float(cert), kind, solver, tol, objective)


def _finish(prob, penalty, w, c, n_iter, cert, kind, solver, tol, with_objective) -> SolverResult:
    if prob.centred:
        intercept = prob.y_mean - prob.x_mean @ w
    else:
        intercept = float(c) if prob.fit_intercept else 0.0
    objective = np.nan  # the path skips it: an O(np) product per alpha
    if with_objective:
        eta = support_product(prob.X_orig, w) + intercept
        objective = prob.datafit.value(prob.y_orig, eta) + penalty.value(w)
    converged = cert <= tol
    if not converged:
        # imported only when needed: importing scikit-learn costs seconds
        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"{solver} did not converge after {n_iter} iterations: {kind.replace('_', ' ')} "
            f"{cert:.3e} > tol {tol:.1e} (raise max_iter or tol).",
            ConvergenceWarning,
            stacklevel=3,
        )
    if not prob.centred and not prob.fit_intercept and prob.y.ndim == 2:
        intercept = np.zeros(prob.y.shape[1])
    return SolverResult(w, intercept, n_iter, cert, kind, float(objective), solver, converged)


def _fista(prob: _Problem, penalty, w, c, tol, max_iter, check_every: int = 10):
    """FISTA with backtracking and adaptive (objective) restart; intercept as a free coordinate."""
    X, y, df = prob.X, prob.y, prob.datafit
    fi = prob.glm_intercept
    # Quadratic / logistic: a global Lipschitz constant (of [X, 1] with an intercept) makes the
    # step safe, so no backtracking (whose test is swamped by rounding near the optimum).
    # Poisson: start from the local curvature and backtrack.
    Xa = np.column_stack([X, np.ones(X.shape[0])]) if fi else X
    backtrack = not np.isfinite(df.curvature)
    L = df.global_lipschitz(Xa, X @ w + c) if backtrack else df.global_lipschitz(Xa)
    L = L if np.isfinite(L) and L > 0 else 1.0

    def smooth(wv, cv):
        eta = X @ wv + cv
        return df.value(y, eta), eta

    x_w, x_c = w.copy(), c
    z_w, z_c = w.copy(), c
    t = 1.0
    cert = np.inf
    it = 0
    for it in range(1, max_iter + 1):
        fz, eta = smooth(z_w, z_c)
        g = df.raw_grad(y, eta)
        gw, gc = X.T @ g, float(g.sum()) if fi else 0.0
        while True:
            n_w = penalty.prox(z_w - gw / L, 1.0 / L)
            n_c = z_c - gc / L if fi else z_c
            dw, dc = n_w - z_w, n_c - z_c
            fn = smooth(n_w, n_c)[0]
            if not backtrack:
                break
            quad = fz + np.sum(gw * dw) + gc * dc + 0.5 * L * (np.sum(dw * dw) + dc * dc)
            if fn <= quad + 1e-12 * abs(fz):
                break
            L *= 2.0
        # gradient restart (O'Donoghue & Candes 2015): momentum against the prox-gradient step;
        # robust to rounding, unlike comparing objective values near the optimum
        if np.sum((z_w - n_w) * (n_w - x_w)) + (z_c - n_c) * (n_c - x_c) > 0:
            t = 1.0
        t_next = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        beta = (t - 1) / t_next
        z_w = n_w + beta * (n_w - x_w)
        z_c = n_c + beta * (n_c - x_c)
        x_w, x_c, t = n_w, n_c, t_next
        if it % check_every == 0:
            cert = _certificate(prob, penalty, x_w, x_c)[0]
            if cert <= tol:
                break
    cert = _certificate(prob, penalty, x_w, x_c)[0]
    w[...] = x_w
    return it, cert, x_c


def solve(
    X,
    y,
    datafit,
    penalty,
    *,
    fit_intercept: bool = True,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    solver: str = "auto",
    coef_init=None,
    intercept_init=None,
) -> SolverResult:
    """Minimize :math:`F(Xw + c) + g(w)` over ``w`` (and the unpenalized intercept ``c``).

    Parameters
    ----------
    X : array, shape (n, p)
    y : array, shape (n,) (or (n, k) for :class:`MultiTaskQuadratic`)
    datafit : Quadratic, Logistic, Poisson or MultiTaskQuadratic
        ``F``, an average over rows (e.g. :math:`\\frac{1}{2n}\\|y - Xw - c\\|^2`).
    penalty : L1, L2, ElasticNet, WeightedL1, GroupLasso or L21
    fit_intercept : bool
        Fit an unpenalized intercept.
    tol : float
        Stop when the certificate (duality gap, else largest KKT violation; absolute) is <= tol.
    max_iter : int
        Maximum passes / iterations.
    solver : {"auto", "cd", "bcd", "fista"}
        "auto": coordinate descent for separable penalties (prox-Newton CD for GLMs), block CD
        for GroupLasso / L21 (FISTA for Poisson with groups).
    coef_init, intercept_init : warm start.

    Returns
    -------
    SolverResult
        Warns :class:`sklearn.exceptions.ConvergenceWarning` if the certificate exceeds ``tol``.
    """
    tol = check_nonnegative(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    prob = prepare(X, y, datafit, fit_intercept)
    return solve_prepared(
        prob,
        penalty,
        tol=tol,
        max_iter=max_iter,
        solver=solver,
        coef_init=coef_init,
        intercept_init=intercept_init,
    )
