"""Gaussian log-likelihood with the coefficients integrated out, as one PyTensor Op.

For ``y = a 1 + X beta + e``, ``e ~ N(0, sigma^2 I_n)`` and ``beta ~ N(0, D)``,
``D = diag(d)``, the coefficients integrate out exactly:

.. math::

    y \\mid a, \\sigma, d \\sim N(a 1, K), \\qquad K = \\sigma^2 I_n + X D X', \\qquad
    \\ell = -\\tfrac{n}{2}\\log 2\\pi - \\tfrac12 \\log\\det K - \\tfrac12 r' K^{-1} r,
    \\quad r = y - a 1.

With ``alpha = K^{-1} r`` the gradient is

.. math::

    \\partial \\ell / \\partial d_j = -\\tfrac12 x_j' K^{-1} x_j + \\tfrac12 (x_j'\\alpha)^2,
    \\quad
    \\partial \\ell / \\partial \\sigma^2 = -\\tfrac12 \\operatorname{tr} K^{-1}
        + \\tfrac12 \\lVert\\alpha\\rVert^2,
    \\quad
    \\partial \\ell / \\partial a = 1'\\alpha.

Two exact evaluations, picked by shape (numba kernels calling LAPACK without the GIL,
:mod:`.kernels`):

* ``p > n`` ("n-space"): Cholesky ``K = L L'``, ``W = L^{-1} X``; O(n^2 p).
* ``p <= n`` ("p-space", Woodbury and Sylvester): with ``S = D^{1/2}``, ``G = X'X`` (once),
  ``B = sigma^2 I_p + S G S = L L'``:
  ``log det K = (n - p) log sigma^2 + log det B``,
  ``K^{-1} = sigma^{-2}(I - X S B^{-1} S X')``; O(p^3), no ``n`` in the per-call cost.
  ``B`` stays well conditioned when some ``d_j`` are tiny (no ``D^{-1}`` appears).

The Op returns ``(logp, dlogp/dd, dlogp/dsigma2, dlogp/da)`` in one call, and its ``grad``
(``pullback``) reuses the last three outputs, so a logp-and-gradient evaluation factorizes once.
Columns whose prior variance is numerically flat (``d_j ||x_j||^2 / sigma^2 > 1e8``, where
``X D X'`` swamps ``sigma^2 I`` in rounding) are split off the Cholesky and handled exactly
by the determinant lemma and Woodbury (:mod:`.flat`; the p-space form does so in the
column space of ``X``, through its thin QR). A covariance that is still numerically not positive definite gives
``logp = -inf`` (zero gradient), which the samplers reject, rather than an exception.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from shrinkage.inference.marginal.kernels import nspace_logp_grad, pspace_or_split_logp_grad

__all__ = ["MarginalGaussian", "marginal_logp_grad"]


class _Data:
    """Constants of one model: the design and response plus the Gram statistics."""

    def __init__(self, X: np.ndarray, y: np.ndarray, method: str = "auto") -> None:
        X = np.ascontiguousarray(X, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"X must be (n, p) and y (n,); got {X.shape} and {y.shape}")
        if method not in ("auto", "nspace", "pspace"):
            raise ValueError(f"method must be 'auto', 'nspace' or 'pspace'; got {method!r}")
        self.n, self.p = X.shape
        self.pspace = self.p <= self.n if method == "auto" else method == "pspace"
        self.X, self.y = X, y
        self.x1 = X.sum(axis=0)
        self.y1 = float(y.sum())
        if self.pspace:
            self.G = X.T @ X
            self.Xty = X.T @ y
            self.yty = float(y @ y)
            self._column_space(X, y)

    def _column_space(self, X: np.ndarray, y: np.ndarray) -> None:
        """Thin QR ``X = Q R`` with ``Q'y``, ``Q'1`` and the cross products of the parts of
        ``y`` and ``1`` orthogonal to ``X``: the p-space kernel's exact fallback for flat
        columns (:func:`.kernels.pspace_or_split_logp_grad`), O(p^3) and without ``X``."""
        Q, R = np.linalg.qr(X)
        one = np.ones(self.n)
        self.R = np.ascontiguousarray(R)
        self.qy, self.q1 = Q.T @ y, Q.T @ one
        y_perp, one_perp = y - Q @ self.qy, one - Q @ self.q1
        self.perp = np.array([y_perp @ y_perp, y_perp @ one_perp, one_perp @ one_perp])

    @classmethod
    def from_stats(cls, stats) -> _Data:
        """p-space constants from centred statistics (a ``GramStats``): no rows needed.

        Uncentred ``G = S_xx + n xbar xbar'``, ``X'y``, ``1'X``, ``1'y``, ``y'y`` from the
        centred ones; the thin QR's ``R`` is the upper Cholesky factor of ``G`` (``R'R = G``),
        ``Q'v = R^{-T} X'v`` and the orthogonal parts' cross products follow.
        """
        obj = cls.__new__(cls)
        n, xbar, ybar = int(stats.n), np.asarray(stats.mean, float), float(stats.y_mean)
        if xbar.shape[0] > n:
            raise ValueError("out of core the marginal form needs p <= n (its p-space form)")
        obj.n, obj.p, obj.pspace, obj.X, obj.y = n, xbar.shape[0], True, None, None
        obj.x1, obj.y1 = n * xbar, n * ybar
        obj.G = np.ascontiguousarray(stats.xtx + n * np.outer(xbar, xbar))
        obj.Xty = stats.xty + n * xbar * ybar
        obj.yty = float(stats.yty + n * ybar**2)
        R = np.linalg.cholesky(obj.G).T  # upper: R'R = G
        obj.R = np.ascontiguousarray(R)
        obj.qy = np.linalg.solve(R.T, obj.Xty)
        obj.q1 = np.linalg.solve(R.T, obj.x1)
        obj.perp = np.array(
            [obj.yty - obj.qy @ obj.qy, obj.y1 - obj.qy @ obj.q1, n - obj.q1 @ obj.q1]
        )
        return obj

    def pspace_args(self) -> tuple:
        """The p-space kernel's data arguments, in its order."""
        return (self.G, self.Xty, self.x1, self.y1, self.yty, self.n, self.R, self.qy,
                self.q1, self.perp)  # fmt: skip


def marginal_logp_grad(data: _Data, d: np.ndarray, s2: float, a: float):
    """``(logp, dlogp/dd, dlogp/dsigma2, dlogp/da)`` of the module's collapsed likelihood."""
    d = np.ascontiguousarray(d, dtype=np.float64)
    if data.pspace:
        return pspace_or_split_logp_grad(*data.pspace_args(), d, s2, a)
    return nspace_logp_grad(data.X, data.y, d, s2, a)


class MarginalGaussian(Op):
    """``(d, sigma2, a) -> (logp, dlogp/dd, dlogp/dsigma2, dlogp/da)`` for fixed ``X, y``.

    Call :meth:`logp` to get the scalar log-likelihood tensor with its gradient wired in.
    Equality is identity (the Op carries its data), so two models never share one by accident.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, method: str = "auto") -> None:
        # out of core X is a GramStats (y None): the p-space form needs nothing else
        self.data = _Data.from_stats(X) if hasattr(X, "xtx") else _Data(X, y, method)

    def make_node(self, d, s2, a):
        d = pt.as_tensor_variable(d, dtype="float64")
        s2 = pt.as_tensor_variable(s2, dtype="float64")
        a = pt.as_tensor_variable(a, dtype="float64")
        if d.ndim != 1 or s2.ndim != 0 or a.ndim != 0:
            raise TypeError("d must be a vector, sigma2 and a scalars")
        outs = [pt.dscalar(), pt.dvector(), pt.dscalar(), pt.dscalar()]
        return Apply(self, [d, s2, a], outs)

    def perform(self, node, inputs, output_storage):
        d, s2, a = inputs
        logp, gd, gs2, ga = marginal_logp_grad(self.data, d, float(s2), float(a))
        output_storage[0][0] = np.asarray(logp, dtype=np.float64)
        output_storage[1][0] = np.asarray(gd, dtype=np.float64)
        output_storage[2][0] = np.asarray(gs2, dtype=np.float64)
        output_storage[3][0] = np.asarray(ga, dtype=np.float64)

    def pullback(self, inputs, outputs, cotangents):
        from pytensor.gradient import DisconnectedType, grad_not_implemented

        # the gradient outputs are not differentiated again (NUTS needs first derivatives)
        for g in cotangents[1:]:
            if not isinstance(g.type, DisconnectedType):
                return [grad_not_implemented(self, i, x) for i, x in enumerate(inputs)]
        g = cotangents[0]
        return [g * outputs[1], g * outputs[2], g * outputs[3]]

    def connection_pattern(self, node):
        return [[True] * 4 for _ in range(3)]

    def logp(self, d, s2, a):
        """The scalar collapsed log-likelihood at prior variances ``d``, ``sigma^2``, ``a``."""
        return self(d, s2, a)[0]


def _register_numba() -> None:
    """nutpie compiles with the numba backend: there the Op is the nopython kernel itself.

    No object mode, so no GIL: nutpie's chains (threads) run their gradients in parallel.
    The data enter the compiled function as frozen constants (numba copies closure arrays).
    """
    try:
        from pytensor.link.numba.dispatch.basic import numba_funcify, numba_njit
    except ImportError:  # numba backend unavailable: the C / Python backends use perform
        return

    @numba_funcify.register(MarginalGaussian)
    def _funcify(op, node=None, storage_map=None, **kwargs):
        data = op.data
        if data.pspace:
            G, Xty, x1, y1, yty, n, R, qy, q1, perp = data.pspace_args()

            @numba_njit
            def marginal(d, s2, a):
                logp, gd, gs2, ga = pspace_or_split_logp_grad(
                    G, Xty, x1, y1, yty, n, R, qy, q1, perp, d, s2[()], a[()]
                )
                return np.asarray(logp), gd, np.asarray(gs2), np.asarray(ga)

        else:
            X, y = data.X, data.y

            @numba_njit
            def marginal(d, s2, a):
                logp, gd, gs2, ga = nspace_logp_grad(X, y, d, s2[()], a[()])
                return np.asarray(logp), gd, np.asarray(gs2), np.asarray(ga)

        return marginal


_register_numba()
