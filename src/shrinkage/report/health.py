"""Sampling health (divergences, r_hat, ESS) and PSIS-LOO summaries of a DataTree."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from shrinkage.report import posterior as _posterior
from shrinkage.report.stats import diagnostics

#: r_hat above this is reported (Vehtari et al. 2021 recommend 1.01).
RHAT_MAX = 1.01
#: Bulk/tail ESS below this many per chain is reported (Vehtari et al. 2021: 100 per chain).
ESS_PER_CHAIN_MIN = 100
#: E-BFMI below this is reported (Betancourt 2016).
BFMI_MIN = 0.3
#: Pareto k above this makes PSIS-LOO unreliable for that point (Vehtari et al. 2017, 2024).
PARETO_K_WARN = 0.7


@dataclass
class Health:
    """Sampling health of a fit; ``warnings`` says in words what is wrong (empty when fine)."""

    chains: int
    draws: int
    divergences: int
    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, float | int | str]:
        d = {k: getattr(self, k) for k in ("chains", "draws", "divergences")}
        d.update(max_r_hat=self.max_r_hat, min_ess_bulk=self.min_ess_bulk)
        d.update(min_ess_tail=self.min_ess_tail, warnings="; ".join(self.warnings) or "none")
        return d


def _labelled_components(post: xr.Dataset):
    """Yield ``(label, draws (chain, draw, k))`` per posterior variable, labels like beta[x3]."""
    for name, da in post.data_vars.items():
        extra = [d for d in da.dims if d not in _posterior.SAMPLE_DIMS]
        arr = da.transpose(*_posterior.SAMPLE_DIMS, *extra).to_numpy()
        if not np.issubdtype(arr.dtype, np.number):
            continue
        arr = arr.reshape(arr.shape[0], arr.shape[1], -1)
        if not extra:
            yield [name], arr
            continue
        index = da.stack(_k=extra)["_k"].to_numpy()  # tuples / scalars in C order
        labels = [
            f"{name}[{', '.join(map(str, v)) if isinstance(v, tuple) else v}]" for v in index
        ]
        yield labels, arr


def sampling_health(idata: xr.DataTree) -> Health:
    """Divergences, max rank r_hat and min bulk/tail ESS over every posterior variable."""
    post = _posterior.posterior(idata)
    chains, n_draws = post.sizes["chain"], post.sizes["draw"]
    stats = _posterior.group(idata, "sample_stats")
    has_div = stats is not None and "diverging" in stats
    divergences = int(stats["diverging"].sum()) if has_div else 0
    labels, rhat, ess_b, ess_t = [], [], [], []
    for lab, arr in _labelled_components(post):
        varying = np.ptp(arr, axis=(0, 1)) > 0  # a constant component has no r_hat / ESS
        if not varying.any():
            continue
        d = diagnostics(arr[..., varying])
        labels += [lab_i for lab_i, v in zip(lab, varying, strict=True) if v]
        rhat.append(d["r_hat"])
        ess_b.append(d["ess_bulk"])
        ess_t.append(d["ess_tail"])
    rhat, ess_b, ess_t = (np.concatenate(v) for v in (rhat, ess_b, ess_t))
    msgs = _health_warnings(labels, rhat, ess_b, ess_t, chains, divergences, n_draws)
    msgs += _extra_warnings(stats)
    return Health(
        chains=chains,
        draws=n_draws,
        divergences=divergences,
        max_r_hat=float(np.nanmax(rhat)) if chains > 1 else float("nan"),
        min_ess_bulk=float(np.nanmin(ess_b)),
        min_ess_tail=float(np.nanmin(ess_t)),
        warnings=msgs,
    )


def _health_warnings(labels, rhat, ess_b, ess_t, chains, divergences, n_draws) -> list[str]:
    msgs = []
    if divergences:
        total = chains * n_draws
        msgs.append(f"{divergences} divergent transitions ({100 * divergences / total:.1f}%)")
    ess_min = ESS_PER_CHAIN_MIN * chains
    for kind, values, bad in (
        ("r_hat", rhat, rhat > RHAT_MAX),
        ("bulk ESS", ess_b, ess_b < ess_min),
        ("tail ESS", ess_t, ess_t < ess_min),
    ):
        idx = np.flatnonzero(bad)
        if idx.size == 0:
            continue
        worst = idx[np.argmax(values[idx])] if kind == "r_hat" else idx[np.argmin(values[idx])]
        limit = f"> {RHAT_MAX}" if kind == "r_hat" else f"< {ess_min}"
        val = f"{values[worst]:.3f}" if kind == "r_hat" else f"{values[worst]:.0f}"
        more = f" (and {idx.size - 1} more)" if idx.size > 1 else ""
        msgs.append(f"{kind} {val} {limit} for {labels[worst]}{more}")
    return msgs


def _extra_warnings(stats: xr.Dataset | None) -> list[str]:
    if stats is None:
        return []
    msgs = []
    for name in ("reached_max_treedepth", "maxdepth_reached"):
        if name in stats and int(stats[name].sum()):
            msgs.append(f"{int(stats[name].sum())} transitions hit the maximum tree depth")
    if "energy" in stats:
        energy = stats["energy"].transpose("chain", "draw").to_numpy()
        bfmi = np.square(np.diff(energy, axis=1)).mean(axis=1) / energy.var(axis=1)
        for c in np.flatnonzero(bfmi < BFMI_MIN):
            msgs.append(f"E-BFMI {bfmi[c]:.2f} < {BFMI_MIN} in chain {c}")
    return msgs


@dataclass
class LooSummary:
    """PSIS-LOO: ``elpd_loo = sum_i log p(y_i | y_-i)`` estimated by Pareto-smoothed IS."""

    elpd: float
    se: float
    p_loo: float
    good_k: float
    k_counts: dict[str, int]
    warning: bool
    #: observations with Pareto k above ``k_warn`` (PSIS unreliable), out of ``n_points``
    n_high_k: int = 0
    n_points: int = 0
    k_warn: float = 0.7

    def to_dict(self) -> dict[str, float | int]:
        d = {"elpd_loo": self.elpd, "se": self.se, "p_loo": self.p_loo}
        return {**d, **{f"pareto_k {k}": v for k, v in self.k_counts.items()}}


def loo_summary(idata: xr.DataTree, model=None) -> LooSummary:
    """PSIS-LOO with ArviZ's ``loo``; Pareto k counted in ArviZ 1.x bins.

    Bins: ``(-inf, good_k]`` good, ``(good_k, 1]`` bad, ``(1, inf)`` very bad, where
    ``good_k = min(1 - 1/log10(S), 0.7)`` for ``S`` draws (Vehtari et al. 2024).
    Without a ``log_likelihood`` group, ``model`` (a ``pymc.Model``) is used to compute one.
    """
    import arviz as az

    if "log_likelihood" not in idata.children:
        if idata.attrs.get("loo_unavailable"):  # an out-of-core fit: the rows are not here
            raise ValueError(str(idata.attrs["loo_unavailable"]))
        if model is None:
            raise ValueError("no log_likelihood group: sample with log_likelihood or pass model=")
        import pymc as pm

        idata = idata.copy()
        pm.compute_log_likelihood(idata, model=model, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the bins below report the same information
        res = az.loo(idata, pointwise=True)
    k = np.asarray(res.pareto_k).ravel()
    good = float(res.good_k)
    counts = {
        f"(-inf, {good:.2f}]": int(np.sum(k <= good)),
        f"({good:.2f}, 1]": int(np.sum((k > good) & (k <= 1))),
        "(1, inf)": int(np.sum(k > 1)),
    }
    return LooSummary(
        float(res.elpd), float(res.se), float(res.p), good, counts, bool(np.any(k > good)),
        n_high_k=int(np.sum(k > PARETO_K_WARN)), n_points=int(k.size), k_warn=PARETO_K_WARN,
    )  # fmt: skip
