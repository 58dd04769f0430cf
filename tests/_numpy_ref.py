"""Plain-numpy reference implementations of the MCMC diagnostics (Vehtari et al. 2021).

Written from the paper, independently of ArviZ's code path: autocovariances by direct sums
(``np.correlate``) instead of FFT, ranks by ``argsort``. ``scipy.special.ndtri`` is the only
non-numpy call (the inverse normal CDF for rank normalization).
"""

import numpy as np
from scipy.special import ndtri


def split(x):  # (chain, draw) -> (2 chain, draw // 2), dropping the middle draw if odd
    half = x.shape[1] // 2
    return np.vstack([x[:, :half], x[:, -half:]])


def rank_normalize(x):
    flat = x.ravel()
    order = np.argsort(flat, kind="stable")
    ranks = np.empty(flat.size)
    ranks[order] = np.arange(1, flat.size + 1)
    # average ranks over ties
    _, inv = np.unique(flat, return_inverse=True)
    sums = np.bincount(inv, weights=ranks)
    counts = np.bincount(inv)
    ranks = (sums / counts)[inv]
    return ndtri((ranks - 3 / 8) / (flat.size + 1 / 4)).reshape(x.shape)


def rhat_basic(x):
    n = x.shape[1]
    b = n * np.var(x.mean(axis=1), ddof=1)
    w = np.mean(np.var(x, axis=1, ddof=1))
    return np.sqrt(((n - 1) / n * w + b / n) / w)


def rhat_rank(x):
    s = split(x)
    folded = np.abs(s - np.median(s))
    return max(rhat_basic(rank_normalize(s)), rhat_basic(rank_normalize(folded)))


def ess_basic(x):
    m, n = x.shape
    if np.ptp(x) == 0:
        return float(x.size)
    xc = x - x.mean(axis=1, keepdims=True)
    acov = np.array([np.correlate(c, c, mode="full")[n - 1 :] / n for c in xc])
    w = acov[:, 0].mean() * n / (n - 1)
    var_plus = w * (n - 1) / n + (np.var(x.mean(axis=1), ddof=1) if m > 1 else 0.0)
    rho = 1 - (w - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer's initial positive then monotone sequence, in Stan's form (Vehtari et al. 2021,
    # and Stan's ess_rank): pairs rho_{2k} + rho_{2k+1} summed while positive.
    r = np.zeros(n)
    r[0], r[1] = 1.0, rho[1]
    even, odd, t = 1.0, rho[1], 1
    while t < n - 3 and even + odd > 0:
        even, odd = rho[t + 1], rho[t + 2]
        if even + odd >= 0:
            r[t + 1], r[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0:
        r[max_t + 1] = even
    t = 1
    while t <= max_t - 2:
        if r[t + 1] + r[t + 2] > r[t - 1] + r[t]:
            r[t + 1] = r[t + 2] = (r[t - 1] + r[t]) / 2
        t += 2
    tau = -1 + 2 * r[: max_t + 1].sum() + r[max_t + 1]
    tau = max(tau, 1 / np.log10(m * n))
    return m * n / tau


def ess_bulk(x):
    return ess_basic(rank_normalize(split(x)))


def ess_tail(x, probs=(0.05, 0.95)):
    out = []
    for p in probs:
        q = np.quantile(x, p)
        out.append(ess_basic(split((x <= q).astype(float))))
    return min(out)


def ess_mean(x):
    return ess_basic(split(x))


def hdi(flat, prob):
    s = np.sort(flat)
    k = int(np.floor(prob * s.size))
    widths = s[k:] - s[: s.size - k]
    i = int(np.argmin(widths))
    return s[i], s[i + k]
