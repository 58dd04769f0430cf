"""The :class:`Report` object: text, markdown, HTML and a folder with figures."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from shrinkage.report.health import Health, LooSummary

#: Columns shown in the compact (retained features) tables.
COMPACT = ["mean_original", "lower_original", "upper_original", "mean", "lower", "upper"]
COMPACT_TAIL = ["zero_mass", "kappa_mean", "ess_bulk", "r_hat"]


def _fmt(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "nan" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub pipe table of ``df`` (index included), numbers to 4 significant digits."""
    header = [df.index.name or "", *map(str, df.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([str(idx), *map(_fmt, row.to_numpy())]) + " |")
    return "\n".join(lines)


@dataclass(repr=False)
class Report:
    """Posterior report of one fit. Build it with :func:`shrinkage.report.report`.

    Attributes
    ----------
    table : per-feature DataFrame (summaries on both scales, ESS, r_hat, zero mass, kappa,
        retention under every rule, cross-check columns); ``table.attrs`` holds the interval
        settings and the rule.
    health : sampling health; loo : PSIS-LOO summary (``loo_error`` says why it is missing).
    m_eff : draws of the effective number of non-zeros, when kappa is defined.
    selection : a selection result with ``headline()`` and ``table()`` (shown when given).
    notes : sentences about the data (categorical reference levels, the modelled 1 of a
        binary target, strongly collinear features).
    """

    table: pd.DataFrame
    health: Health
    loo: LooSummary | None
    loo_error: str | None
    m_eff: np.ndarray | None
    idata: xr.DataTree
    selection: object = None
    notes: list[str] = field(default_factory=list)

    @property
    def retained(self) -> list[str]:
        """Features retained under the report's rule."""
        return list(self.table.index[self.table["retained"].to_numpy()])

    def to_pandas(self) -> pd.DataFrame:
        """The per-feature table (a copy)."""
        return self.table.copy()

    def compact(self) -> pd.DataFrame:
        """Retained features with the headline columns plus any cross-check columns."""
        extra = list(self.table.attrs.get("cross_check_columns", []))
        cols = [c for c in [*COMPACT, *COMPACT_TAIL, *extra] if c in self.table]
        return self.table.loc[self.retained, cols]

    def _summary_lines(self) -> list[str]:
        a, t = self.idata.attrs, self.table.attrs
        h = self.health
        lines = [
            f"prior: {a.get('shrinkage_prior', '?')}; family: {a.get('shrinkage_family', '?')}; "
            f"n_obs: {a.get('n_obs', '?')}; {h.chains} chains x {h.draws} draws",
            f"intervals: {100 * t['ci_prob']:g}% {t['ci_kind'].upper()} ({t['ci_source']})",
            f"zero region: |beta_j| < eps_j on the standardized scale, eps = "
            f"{_fmt(float(self.table['eps'].iloc[0]))}"
            + (" (varies by feature)" if self.table["eps"].nunique() > 1 else ""),
            f"rule: {t['rule']}; retained {len(self.retained)} of {len(self.table)}"
            + self._collinear_remark()
            + ": "
            + ", ".join(self.retained),
            *self._undetermined_line(),
        ]
        if self.m_eff is not None:
            lo, hi = np.quantile(self.m_eff, [0.05, 0.95])
            lines.append(f"m_eff: {np.mean(self.m_eff):.2f} (90% interval {lo:.2f} to {hi:.2f})")
        return lines + [f"note: {n}" for n in self.notes]

    def _collinear_remark(self) -> str:
        """`` (k of them ...)`` for retained features of unknown sign or strongly collinear."""
        parts = []
        kept = self.table.loc[self.retained]
        if "undetermined" in kept and (k := int(kept["undetermined"].sum())):
            parts.append(
                f"{k} of them undetermined: a wide posterior around zero, its median inside the "
                "zero region and the sign unknown"
            )
        if "collinear" in kept and (k := int(kept["collinear"].sum())):
            parts.append(f"{k} of them strongly collinear: verdict uncertain, see note")
        return f" ({'; '.join(parts)})" if parts else ""

    def _undetermined_line(self) -> list[str]:
        """The features of unknown sign the rule leaves out (all of them under ``one_sided``)."""
        if "undetermined" not in self.table:
            return []
        out = self.table.index[self.table["undetermined"] & ~self.table["retained"]]
        if not len(out):
            return []
        return [
            f"undetermined, not retained: {len(out)} of {len(self.table)} (more than half the "
            "mass outside the zero region but split between the signs: a wide posterior "
            "around zero, the data cannot tell the sign): " + ", ".join(map(str, out))
        ]

    def _health_lines(self) -> list[str]:
        h = self.health
        lines = [
            f"divergences: {h.divergences}; max r_hat: {h.max_r_hat:.3f}; "
            f"min ESS bulk/tail: {h.min_ess_bulk:.0f}/{h.min_ess_tail:.0f}"
        ]
        return lines + [f"WARNING: {w}" for w in h.warnings]

    def _loo_lines(self) -> list[str]:
        if self.loo is None:
            return [f"PSIS-LOO unavailable: {self.loo_error}"]
        lo = self.loo
        counts = ", ".join(f"{k}: {v}" for k, v in lo.k_counts.items())
        lines = [
            f"elpd_loo: {lo.elpd:.2f} (se {lo.se:.2f}); p_loo: {lo.p_loo:.2f}",
            f"Pareto k counts: {counts}",
        ]
        if lo.n_high_k:
            lines.append(
                f"WARNING: {lo.n_high_k} of {lo.n_points} observations have Pareto k > "
                f"{lo.k_warn:g}: PSIS-LOO is unreliable for them (influential points or a "
                "misfitting model); use K-fold cross-validation or check those rows"
            )
        return lines

    def __repr__(self) -> str:
        # the readable printout, also as Jupyter's plain-text display (not a dataclass dump)
        return str(self)

    def __str__(self) -> str:
        parts = [
            "Shrinkage report",
            *self._summary_lines(),
            "",
            "Sampling health",
            *self._health_lines(),
            "",
            "PSIS-LOO",
            *self._loo_lines(),
            "",
            "Retained features",
            self.compact().to_string(float_format=lambda v: f"{v:.4g}"),
        ]
        if self.selection is not None:
            table = self.selection.table().to_string(float_format=lambda v: f"{v:.4g}")
            parts += ["", "Selection", self.selection.headline(), table]
        return "\n".join(parts)

    def to_markdown(self) -> str:
        """Markdown: summary, health, LOO, retained features, and the full table."""
        bullet = lambda lines: "\n".join(f"- {line}" for line in lines)  # noqa: E731
        return "\n\n".join(
            [
                "# Shrinkage report",
                bullet(self._summary_lines()),
                "## Sampling health",
                bullet(self._health_lines()),
                "## PSIS-LOO",
                bullet(self._loo_lines()),
                "## Retained features",
                markdown_table(self.compact()),
                "## All features",
                markdown_table(self.table),
                *self._selection_parts("## Selection", markdown_table),
            ]
        )

    def _selection_parts(self, title: str, render, line=str) -> list[str]:
        if self.selection is None:
            return []
        return [title, line(self.selection.headline()), render(self.selection.table())]

    def to_html(self) -> str:
        """A standalone HTML fragment with the same content as :meth:`to_markdown`."""
        ul = lambda lines: "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>"  # noqa: E731
        fmt = lambda v: f"{v:.4g}"  # noqa: E731
        return "".join(
            [
                "<h2>Shrinkage report</h2>",
                ul(self._summary_lines()),
                "<h3>Sampling health</h3>",
                ul(self._health_lines()),
                "<h3>PSIS-LOO</h3>",
                ul(self._loo_lines()),
                "<h3>Retained features</h3>",
                self.compact().to_html(float_format=fmt),
                "<h3>All features</h3>",
                self.table.to_html(float_format=fmt),
                *self._selection_parts(
                    "<h3>Selection</h3>",
                    lambda t: t.to_html(float_format=fmt),
                    lambda h: f"<p>{html.escape(h)}</p>",
                ),
            ]
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def save(self, folder: str | Path) -> dict[str, Path]:
        """Write ``report.md``, ``report.html``, ``table.csv`` and the figures as PNG."""
        import matplotlib.pyplot as plt

        from shrinkage.report import figures as plots

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"markdown": folder / "report.md", "html": folder / "report.html"}
        paths["markdown"].write_text(self.to_markdown() + "\n")
        paths["html"].write_text(f"<html><body>{self.to_html()}</body></html>\n")
        paths["csv"] = folder / "table.csv"
        self.table.to_csv(paths["csv"])
        for name, fig in plots.report_figures(self).items():
            paths[name] = folder / f"{name}.png"
            fig.savefig(paths[name], dpi=110, bbox_inches="tight")
            plt.close(fig)
        return paths
