"""Numba kernels: coordinate descent (quadratic), prox-Newton CD (GLMs), block CD (groups).

Separable penalties arrive as two arrays ``a, b``: :math:`g(w) = \\sum_j a_j|w_j| + b_j w_j^2/2`.
Datafit codes: 0 quadratic, 1 logistic, 2 Poisson. ``X`` is Fortran-ordered so that a column
is contiguous. Every kernel updates its arrays in place and returns ``(n_iter, certificate)``;
the certificate is a duality gap when ``gap`` is true, else the largest KKT violation.
All functions are compiled with ``cache=True`` (the cache lives next to this file).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "fastmath": False}


@njit(**_JIT)
def _st(z, t):
    if z > t:
        return z - t
    if z < -t:
        return z + t
    return 0.0


# Reductions may be reassociated so LLVM vectorizes them (as BLAS does): ~2-4x faster dot
# products, rounding of the same order as a sequential sum.
_JIT_REDUCE = dict(_JIT, fastmath={"reassoc"})


@njit(**_JIT_REDUCE)
def _col_dot(X, j, v):
    """``X[:, j] @ v`` as a loop: a column slice has layout 'A' in numba, and np.dot on it
    copies (100x slower on a 20000 x 100 design)."""
    acc = 0.0
    for i in range(X.shape[0]):
        acc += X[i, j] * v[i]
    return acc


@njit(**_JIT_REDUCE)
def _dot(u, v):
    """``u @ v`` as a loop. Kernels avoid ``@``, fancy indexing, slice assignment and array
    expressions: each pulls in numba implementations that cost seconds to compile cold."""
    acc = 0.0
    for i in range(u.shape[0]):
        acc += u[i] * v[i]
    return acc


@njit(**_JIT)
def _col_axpy(X, j, delta, v):
    """``v += delta * X[:, j]``."""
    for i in range(X.shape[0]):
        v[i] += delta * X[i, j]


@njit(**_JIT)
def _sep_penalty(w, a, b):
    out = 0.0
    for j in range(w.shape[0]):
        out += a[j] * abs(w[j]) + 0.5 * b[j] * w[j] * w[j]
    return out


@njit(**_JIT)
def _sep_dual(xtt, a, b):
    """Dual scaling ``s`` (``|s X_j^T theta| <= a_j`` where ``b_j = 0``), sum of conjugates."""
    s = 1.0
    for j in range(xtt.shape[0]):
        if b[j] == 0.0 and abs(xtt[j]) > a[j]:
            s = min(s, a[j] / abs(xtt[j]))
    conj = 0.0
    for j in range(xtt.shape[0]):
        if b[j] > 0.0:
            excess = max(s * abs(xtt[j]) - a[j], 0.0)
            conj += excess * excess / (2.0 * b[j])
    return s, conj


@njit(**_JIT)
def _sep_terms(w, grad, a, b):
    """Penalty value, dual scaling ``s``, conjugate sum (as :func:`_sep_dual` at ``grad``; only
    ``|grad_j|`` matters) and largest KKT violation, in one function: one compile, not three."""
    s = 1.0
    for j in range(grad.shape[0]):
        if b[j] == 0.0 and abs(grad[j]) > a[j]:
            s = min(s, a[j] / abs(grad[j]))
    pen = 0.0
    conj = 0.0
    kkt = 0.0
    for j in range(w.shape[0]):
        wj = w[j]
        pen += a[j] * abs(wj) + 0.5 * b[j] * wj * wj
        if b[j] > 0.0:
            excess = max(s * abs(grad[j]) - a[j], 0.0)
            conj += excess * excess / (2.0 * b[j])
        if wj != 0.0:
            d = abs(grad[j] + a[j] * np.sign(wj) + b[j] * wj)
        else:
            d = max(abs(grad[j]) - a[j], 0.0)
        kkt = max(kkt, d)
    return pen, s, conj, kkt


@njit(**_JIT)
def _xlogx(q):
    return q * np.log(q) if q > 0.0 else 0.0


@njit(**_JIT)
def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    ez = np.exp(z)
    return ez / (1.0 + ez)


@njit(**_JIT)
def _glm_value(kind, y, eta):
    n = y.shape[0]
    out = 0.0
    for i in range(n):
        e = eta[i]
        if kind == 0:
            out += 0.5 * (y[i] - e) ** 2
        elif kind == 1:
            out += (max(e, 0.0) + np.log1p(np.exp(-abs(e)))) - y[i] * e
        else:
            out += np.exp(e) - y[i] * e
    return out / n


@njit(**_JIT)
def _glm_raw(kind, y, eta, g, h):
    """Derivatives in ``eta`` of the row average: ``g`` first, ``h`` second (both include 1/n)."""
    n = y.shape[0]
    for i in range(n):
        if kind == 0:
            g[i] = (eta[i] - y[i]) / n
            h[i] = 1.0 / n
        elif kind == 1:
            p = _sigmoid(eta[i])
            g[i] = (p - y[i]) / n
            h[i] = p * (1.0 - p) / n
        else:
            mu = np.exp(eta[i])
            g[i] = (mu - y[i]) / n
            h[i] = mu / n


@njit(**_JIT)
def _dual_datafit(kind, y, theta):
    """``-F^*(-theta)`` for quadratic (0) and logistic (1)."""
    n = y.shape[0]
    out = 0.0
    if kind == 0:
        for i in range(n):
            out += theta[i] * y[i] - 0.5 * n * theta[i] * theta[i]
        return out
    for i in range(n):
        q = min(max(y[i] - n * theta[i], 0.0), 1.0)
        out -= _xlogx(q) + _xlogx(1.0 - q)
    return out / n


@njit(**_JIT)
def _cd_pass(X, w, r, a, b, lips, ws, n):
    """One cyclic CD pass over ``ws`` for the quadratic datafit; returns max ``L_j dw_j^2``."""
    worst = 0.0
    for k in range(ws.shape[0]):
        j = ws[k]
        L = lips[j]
        if L == 0.0:
            continue
        old = w[j]
        grad = -_col_dot(X, j, r) / n
        new = _st(old - grad / L, a[j] / L) / (1.0 + b[j] / L)
        if new != old:
            delta = new - old
            w[j] = new
            _col_axpy(X, j, -delta, r)
            worst = max(worst, L * delta * delta)
    return worst


@njit(**_JIT)
def _quad_cert(grad, w, rr, ry, n, a, b, gap):
    """Certificate of the quadratic problem from ``grad = -X^T r / n``, ``rr = r.r``, ``ry = r.y``.

    Gap: ``theta = s r / n`` with ``s`` the dual scaling; ``D = s ry/n - s^2 rr/(2n) - conj``.
    """
    pen, s, conj, kkt = _sep_terms(w, grad, a, b)
    if gap:
        return rr / (2 * n) + pen - (s * ry / n - 0.5 * s * s * rr / n - conj)
    return kkt


@njit(**_JIT)
def _grow(in_ws, w, grad, a, ws_buf):
    """Working set: non-zeros, unpenalized-by-L1 coordinates and those near the KKT boundary
    (``|grad_j| >= 0.9 a_j``, the sequential strong rule for a 5% step down the path).
    Fills ``ws_buf`` and returns its used length."""
    m = 0
    for j in range(w.shape[0]):
        if w[j] != 0.0 or abs(grad[j]) >= 0.9 * a[j]:
            in_ws[j] = 1
        if in_ws[j] != 0:
            ws_buf[m] = j
            m += 1
    return m


@njit(**_JIT)
def _fill(v, value):
    """``v[:] = value`` (np.zeros and bool arrays cost extra compiled specializations)."""
    for i in range(v.shape[0]):
        v[i] = value
    return v


@njit(**_JIT)
def _copy(dst, src):
    for i in range(src.shape[0]):
        dst[i] = src[i]


@njit(**_JIT_REDUCE)
def _sum(v):
    acc = 0.0
    for i in range(v.shape[0]):
        acc += v[i]
    return acc


@njit(**_JIT)
def _gather(src, idx, out):
    for k in range(idx.shape[0]):
        out[k] = src[idx[k]]
    return out


_AA_K = 5  # Anderson acceleration memory (skglm's default)


@njit(**_JIT)
def _anderson(X, w, r, ws, a_ws, b_ws, hist, w_acc, n):
    """Anderson extrapolation of the last ``K + 1`` CD iterates on ``ws`` (Bertrand & Massias
    2021, as in skglm/celer): ``w_acc = sum_k c_k w^(k+1)`` with ``c`` minimizing
    ``||sum_k c_k (w^(k+1) - w^(k))||`` under ``sum c = 1``. Kept only if it lowers the
    objective, so convergence guarantees are those of plain CD."""
    m = ws.shape[0]
    K = _AA_K
    C = np.empty(K * K)
    for k in range(K):
        for l in range(k, K):
            acc = 0.0
            for i in range(m):
                uk = hist[(k + 1) * m + i] - hist[k * m + i]
                ul = hist[(l + 1) * m + i] - hist[l * m + i]
                acc += uk * ul
            C[k * K + l] = acc
            C[l * K + k] = acc
    # solve C z = 1 by Gaussian elimination with partial pivoting (K is tiny)
    z = _fill(np.empty(K), 1.0)
    for col in range(K):
        piv = col
        for row in range(col + 1, K):
            if abs(C[row * K + col]) > abs(C[piv * K + col]):
                piv = row
        if abs(C[piv * K + col]) <= 1e-300:
            return
        if piv != col:
            for l in range(K):
                tmp = C[col * K + l]
                C[col * K + l] = C[piv * K + l]
                C[piv * K + l] = tmp
            tmp = z[col]
            z[col] = z[piv]
            z[piv] = tmp
        for row in range(col + 1, K):
            f = C[row * K + col] / C[col * K + col]
            for l in range(col, K):
                C[row * K + l] -= f * C[col * K + l]
            z[row] -= f * z[col]
    for col in range(K - 1, -1, -1):
        acc = z[col]
        for l in range(col + 1, K):
            acc -= C[col * K + l] * z[l]
        z[col] = acc / C[col * K + col]
    zsum = _sum(z)
    if not np.isfinite(zsum) or zsum == 0.0:
        return
    for i in range(m):
        acc = 0.0
        for k in range(K):
            acc += z[k] * hist[(k + 1) * m + i]
        w_acc[i] = acc / zsum
    # objective on ws (coordinates outside ws are fixed): r_acc = r + X_ws (w - w_acc)
    r_acc = np.empty(r.shape[0])
    _copy(r_acc, r)
    pen_cur = 0.0
    pen_acc = 0.0
    for k in range(m):
        j = ws[k]
        _col_axpy(X, j, w[j] - w_acc[k], r_acc)
        pen_cur += a_ws[k] * abs(w[j]) + 0.5 * b_ws[k] * w[j] * w[j]
        pen_acc += a_ws[k] * abs(w_acc[k]) + 0.5 * b_ws[k] * w_acc[k] * w_acc[k]
    if _dot(r_acc, r_acc) / (2 * n) + pen_acc < _dot(r, r) / (2 * n) + pen_cur:
        for k in range(m):
            w[ws[k]] = w_acc[k]
        _copy(r, r_acc)


@njit(**_JIT)
def cd_quadratic(X, y, w, r, a, b, lips, tol, max_iter, gap):
    """Cyclic CD with working sets for :math:`\\frac{1}{2n}\\|y - Xw\\|^2 + g(w)`, ``r = y - Xw``.

    Loop: global gradient and certificate (one ``X^T r``); stop if certified; else grow the
    working set and run CD passes on it until its updates are negligible.
    """
    n, p = X.shape
    in_ws = _fill(np.empty(p, dtype=np.int64), 0)
    ws_buf = np.empty(p, dtype=np.int64)
    grad = np.empty(p)
    cert = np.inf
    it = 0
    while True:
        _xt_vec(X, r, grad)
        for j in range(p):
            grad[j] = -grad[j] / n
        cert = _quad_cert(grad, w, _dot(r, r), _dot(r, y), n, a, b, gap)
        if cert <= tol or it >= max_iter:
            break
        m = _grow(in_ws, w, grad, a, ws_buf)
        ws = ws_buf[:m]
        a_ws = _gather(a, ws, np.empty(m))
        b_ws = _gather(b, ws, np.empty(m))
        w_ws = np.empty(m)
        sub_grad = np.empty(m)
        hist = np.empty((_AA_K + 1) * m)
        n_hist = 0
        while it < max_iter:
            worst = _cd_pass(X, w, r, a, b, lips, ws, n)
            it += 1
            for k in range(m):
                hist[n_hist * m + k] = w[ws[k]]
            n_hist += 1
            if n_hist == _AA_K + 1:
                n_hist = 0
                _anderson(X, w, r, ws, a_ws, b_ws, hist, w_ws, n)
            if worst <= tol:
                # certificate of the subproblem on ws: O(n |ws|), not O(n p)
                for k in range(m):
                    sub_grad[k] = -_col_dot(X, ws[k], r) / n
                _gather(w, ws, w_ws)
                sub = _quad_cert(sub_grad, w_ws, _dot(r, r), _dot(r, y), n, a_ws, b_ws, gap)
                if sub <= 0.5 * tol or worst == 0.0:
                    break
    return it, cert


@njit(**_JIT)
def _gram_pass(G, Xty, w, Gw, a, b, ws, n):
    worst = 0.0
    for k in range(ws.shape[0]):
        j = ws[k]
        L = G[j, j] / n
        if L == 0.0:
            continue
        old = w[j]
        grad = (Gw[j] - Xty[j]) / n
        new = _st(old - grad / L, a[j] / L) / (1.0 + b[j] / L)
        if new != old:
            delta = new - old
            w[j] = new
            for m in range(Gw.shape[0]):
                Gw[m] += delta * G[j, m]
            worst = max(worst, L * delta * delta)
    return worst


@njit(**_JIT)
def cd_gram(G, Xty, yy, n, w, a, b, tol, max_iter, gap):
    """CD on the Gram matrix ``G = X^T X`` (n >> p): each update costs O(p), not O(n).

    ``r.r = y.y - 2 w.X^T y + w.G w`` and ``r.y = y.y - w.X^T y`` give the certificate.
    """
    p = G.shape[0]
    Gw = np.empty(p)
    for j in range(p):
        Gw[j] = _dot(G[j], w)  # G is symmetric and C-ordered: row j = column j
    in_ws = _fill(np.empty(p, dtype=np.int64), 0)
    ws_buf = np.empty(p, dtype=np.int64)
    grad = np.empty(p)
    cert = np.inf
    it = 0
    while True:
        for j in range(p):
            grad[j] = (Gw[j] - Xty[j]) / n
        wXty = _dot(w, Xty)
        cert = _quad_cert(grad, w, yy - 2 * wXty + _dot(w, Gw), yy - wXty, n, a, b, gap)
        if cert <= tol or it >= max_iter:
            break
        m = _grow(in_ws, w, grad, a, ws_buf)
        ws = ws_buf[:m]
        while it < max_iter:
            worst = _gram_pass(G, Xty, w, Gw, a, b, ws, n)
            it += 1
            if worst <= 0.1 * tol:
                break
    return it, cert


@njit(**_JIT)
def _xt_vec(X, v, out):
    """``out = X^T v`` column by column (a loop: no BLAS/matmul specializations to compile)."""
    for j in range(X.shape[1]):
        out[j] = _col_dot(X, j, v)


@njit(**_JIT)
def _glm_cert(y, w, eta, g, grad, a, b, kind, gap, fit_intercept):
    """Certificate from ``g = F'(eta)`` and ``grad = X^T g`` (already computed).

    Gap: dual point ``theta = -s g`` with ``s`` the dual scaling of :func:`_sep_terms`.
    """
    pen, s, conj, kkt = _sep_terms(w, grad, a, b)
    if gap:
        primal = _glm_value(kind, y, eta) + pen
        n = y.shape[0]
        theta = np.empty(n)
        for i in range(n):
            theta[i] = -s * g[i]
        return primal - (_dual_datafit(kind, y, theta) - conj)
    if fit_intercept:
        gs = 0.0
        for i in range(g.shape[0]):
            gs += g[i]
        kkt = max(kkt, abs(gs))
    return kkt


@njit(**_JIT)
def _pn_hessian(X, h, ws, H, hx):
    """``H = X_ws^T diag(h) X_ws`` (``m x m``, flat row-major) and ``hx = X_ws^T h`` (intercept cross-term)."""
    n = X.shape[0]
    m = ws.shape[0]
    for k in range(m):
        jk = ws[k]
        acc = 0.0
        for i in range(n):
            acc += h[i] * X[i, jk]
        hx[k] = acc
        for l in range(k, m):
            jl = ws[l]
            acc = 0.0
            for i in range(n):
                acc += h[i] * X[i, jk] * X[i, jl]
            H[k * m + l] = acc
            H[l * m + k] = acc


@njit(**_JIT)
def _pn_inner(H, hx, hsum, grad, gc, w, ws, a, b, d, fit_intercept, inner_tol, max_passes):
    """CD on the quadratic model ``grad.d + gc dc + [d, dc]^T H~ [d, dc] / 2 + g(w + d)``
    over the working set, in Gram form (a pass costs ``O(m^2)``, not ``O(n m)``).
    ``d`` (length ``m``) is the step on ``w[ws]``; returns the intercept step ``dc``."""
    m = ws.shape[0]
    Hd = _fill(np.empty(m), 0.0)
    hd = 0.0  # hx . d + hsum * dc
    dc = 0.0
    for _ in range(max_passes):
        worst = 0.0
        for k in range(m):
            L = H[k * m + k]
            if L <= 1e-300:
                continue
            j = ws[k]
            cur = w[j] + d[k]
            new = _st(cur - (grad[j] + Hd[k]) / L, a[j] / L) / (1.0 + b[j] / L)
            if new != cur:
                delta = new - cur
                d[k] += delta
                for l in range(m):
                    Hd[l] += delta * H[l * m + k]
                hd += delta * hx[k]
                worst = max(worst, L * delta * delta)
        if fit_intercept:
            delta = -(gc + hd) / hsum
            dc += delta
            for l in range(m):
                Hd[l] += delta * hx[l]
            hd += delta * hsum
            worst = max(worst, hsum * delta * delta)
        if worst <= inner_tol:
            break
    return dc


@njit(**_JIT)
def pn_glm(X, y, w, eta, c, a, b, kind, tol, max_iter, gap, fit_intercept):
    """Prox-Newton for GLMs (glmnet's IRLS + CD): the quadratic model of the datafit at the
    current point is minimized by CD (Gram form) over the non-zeros and KKT violators, then a
    backtracking line search on the true objective. ``eta = Xw + c`` is kept in sync.
    Returns ``(n_iter, cert, c)``.
    """
    n, p = X.shape
    g = np.empty(n)
    h = np.empty(n)
    grad = np.empty(p)
    Xd = np.empty(n)
    eta_new = np.empty(n)
    w_new = np.empty(p)
    cert = np.inf
    it = 0
    while it < max_iter:
        _glm_raw(kind, y, eta, g, h)
        _xt_vec(X, g, grad)
        cert = _glm_cert(y, w, eta, g, grad, a, b, kind, gap, fit_intercept)
        if cert <= tol:
            break
        it += 1
        # working set: non-zeros and KKT violators at zero
        m = 0
        ws_buf = np.empty(p, dtype=np.int64)
        for j in range(p):
            if w[j] != 0.0 or abs(grad[j]) > a[j]:
                ws_buf[m] = j
                m += 1
        ws = ws_buf[:m]
        gc = 0.0
        hsum = 0.0
        for i in range(n):
            gc += g[i]
            hsum += h[i]
        hsum = max(hsum, 1e-300)
        H = np.empty(m * m)  # flat, row-major: one np.empty specialization less to compile
        hx = np.empty(m)
        _pn_hessian(X, h, ws, H, hx)
        d = _fill(np.empty(m), 0.0)
        # a pass costs O(m^2): solve the model tightly enough for a (near) Newton step
        inner_tol = max(1e-4 * tol, 1e-3 * cert * cert)
        dc = _pn_inner(H, hx, hsum, grad, gc, w, ws, a, b, d, fit_intercept, inner_tol, 10_000)
        for i in range(n):
            Xd[i] = dc
        decrease = gc * dc
        for k in range(m):
            _col_axpy(X, ws[k], d[k], Xd)
            decrease += grad[ws[k]] * d[k]
        # backtracking line search (Armijo on the composite objective)
        pen0 = _sep_penalty(w, a, b)
        f0 = _glm_value(kind, y, eta) + pen0
        _copy(w_new, w)
        for k in range(m):
            w_new[ws[k]] += d[k]
        decrease += _sep_penalty(w_new, a, b) - pen0
        # below rounding level of f the values cannot rank steps: trust the full Newton step
        rounding = -1e-12 * max(1.0, abs(f0))
        t = 1.0
        for _ls in range(60):
            for i in range(n):
                eta_new[i] = eta[i] + t * Xd[i]
            _copy(w_new, w)
            for k in range(m):
                w_new[ws[k]] += t * d[k]
            if decrease > rounding:
                break
            f1 = _glm_value(kind, y, eta_new) + _sep_penalty(w_new, a, b)
            if f1 <= f0 + 1e-4 * t * decrease:
                break
            t *= 0.5
        _copy(w, w_new)
        c += t * dc
        _copy(eta, eta_new)
    return it, cert, c


@njit(**_JIT)
def group_certificate(X, y, w, eta, c, order, ptr, gw, kind, gap, fit_intercept):
    """Duality gap or KKT violation for :math:`\\sum_g t_g \\|w_g\\|_2` (``gw`` holds ``t_g``)."""
    n = y.shape[0]
    g = np.empty(n)
    h = np.empty(n)
    _glm_raw(kind, y, eta, g, h)
    grad = np.empty(X.shape[1])
    _xt_vec(X, g, grad)
    n_groups = ptr.shape[0] - 1
    pen = 0.0
    s = 1.0
    kkt = 0.0
    for k in range(n_groups):
        wn = 0.0
        gn = 0.0
        for m in range(ptr[k], ptr[k + 1]):
            j = order[m]
            wn += w[j] * w[j]
            gn += grad[j] * grad[j]
        wn = np.sqrt(wn)
        gn = np.sqrt(gn)
        pen += gw[k] * wn
        if gn > gw[k]:
            s = min(s, gw[k] / gn)
        if wn == 0.0:
            kkt = max(kkt, gn - gw[k])
        else:
            dist = 0.0
            for m in range(ptr[k], ptr[k + 1]):
                j = order[m]
                v = grad[j] + gw[k] * w[j] / wn
                dist += v * v
            kkt = max(kkt, np.sqrt(dist))
    if gap:
        primal = _glm_value(kind, y, eta) + pen
        theta = np.empty(n)
        for i in range(n):
            theta[i] = -s * g[i]
        return primal - _dual_datafit(kind, y, theta)
    if fit_intercept:
        kkt = max(kkt, abs(_sum(g)))
    return kkt


@njit(**_JIT)
def bcd_group(X, y, w, eta, c, order, ptr, gw, lips, kind, tol, max_iter, gap, fit_intercept):
    """Block CD (proximal gradient per group with step ``1/L_g``) for quadratic (0) and
    logistic (1) datafits plus a group lasso. Returns ``(n_iter, cert, c)``."""
    n = y.shape[0]
    n_groups = ptr.shape[0] - 1
    g = np.empty(n)
    h = np.empty(n)
    cert = np.inf
    it = 0
    while it < max_iter:
        it += 1
        for k in range(n_groups):
            L = lips[k]
            if L == 0.0:
                continue
            _glm_raw(kind, y, eta, g, h)
            size = ptr[k + 1] - ptr[k]
            v = np.empty(size)
            norm = 0.0
            for m in range(size):
                j = order[ptr[k] + m]
                v[m] = w[j] - _col_dot(X, j, g) / L
                norm += v[m] * v[m]
            norm = np.sqrt(norm)
            scale = 0.0 if norm <= gw[k] / L else 1.0 - gw[k] / (L * norm)
            for m in range(size):
                j = order[ptr[k] + m]
                delta = scale * v[m] - w[j]
                if delta != 0.0:
                    w[j] += delta
                    _col_axpy(X, j, delta, eta)
        if fit_intercept:
            # sigma' <= 1/4, so 1/(1/4) is a safe intercept step (MM) for the logistic loss
            _glm_raw(kind, y, eta, g, h)
            delta = -4.0 * _sum(g)
            c += delta
            for i in range(n):
                eta[i] += delta
        cert = group_certificate(X, y, w, eta, c, order, ptr, gw, kind, gap, fit_intercept)
        if cert <= tol:
            break
    return it, cert, c


@njit(**_JIT)
def bcd_multitask(X, W, R, alpha, lips, tol, max_iter):
    """Block CD over rows of ``W`` for :math:`\\frac{1}{2n}\\|Y - XW\\|_F^2 + \\alpha\\sum_j
    \\|W_j\\|_2`, residual ``R = Y - XW``. Certificate: duality gap."""
    n, p = X.shape
    k = W.shape[1]
    cert = np.inf
    it = 0
    v = np.empty(k)
    while it < max_iter:
        it += 1
        for j in range(p):
            L = lips[j]
            if L == 0.0:
                continue
            _copy(v, W[j])
            for i in range(n):
                for t in range(k):
                    v[t] += X[i, j] * R[i, t] / (n * L)
            norm = np.sqrt(_dot(v, v))
            scale = 0.0 if norm <= alpha / L else 1.0 - alpha / (L * norm)
            for t in range(k):
                delta = scale * v[t] - W[j, t]
                if delta != 0.0:
                    W[j, t] += delta
                    for i in range(n):
                        R[i, t] -= delta * X[i, j]
        cert = multitask_gap(X, W, R, alpha)
        if cert <= tol:
            break
    return it, cert


@njit(**_JIT)
def multitask_gap(X, W, R, alpha):
    """Duality gap of the multi-task lasso at ``W`` with residual ``R`` (``Y = R + XW``)."""
    n, p = X.shape
    XtR = X.T @ R
    s = 1.0
    pen = 0.0
    for j in range(p):
        rn = np.sqrt(XtR[j] @ XtR[j]) / n
        if rn > alpha:
            s = min(s, alpha / rn)
        pen += alpha * np.sqrt(W[j] @ W[j])
    rr = np.sum(R * R)
    # Y = R + XW, theta = s R / n: dual = <theta, Y> - n/2 ||theta||^2
    XW = X @ W
    ry = rr + np.sum(R * XW)
    primal = rr / (2 * n) + pen
    dual = s * ry / n - 0.5 * s * s * rr / n
    return primal - dual
