"""A small document builder for the demo's summary: the same blocks as Markdown and HTML."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from shrinkage.report.document import markdown_table


class Summary:
    """Blocks (headings, paragraphs, preformatted text, tables, images) in order."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: list[tuple[str, object, str]] = []

    def section(self, text: str) -> None:
        self.blocks.append(("h2", text, ""))

    def subsection(self, text: str) -> None:
        self.blocks.append(("h3", text, ""))

    def text(self, text: str) -> None:
        self.blocks.append(("p", text, ""))

    def pre(self, text: str) -> None:
        self.blocks.append(("pre", text, ""))

    def table(self, df: pd.DataFrame) -> None:
        self.blocks.append(("table", df, ""))

    def link(self, text: str, href: str) -> None:
        self.blocks.append(("a", href, text))

    def image(self, path: str, alt: str) -> None:
        self.blocks.append(("img", path, alt))

    def to_markdown(self) -> str:
        parts = [f"# {self.title}"]
        for kind, obj, alt in self.blocks:
            if kind == "h2":
                parts.append(f"## {obj}")
            elif kind == "h3":
                parts.append(f"### {obj}")
            elif kind == "p":
                parts.append(str(obj))
            elif kind == "pre":
                parts.append(f"```text\n{obj}\n```")
            elif kind == "table":
                parts.append(markdown_table(obj))
            elif kind == "a":
                parts.append(f"[{alt}]({obj})")
            else:
                parts.append(f"![{alt}]({obj})")
        return "\n\n".join(parts) + "\n"

    def to_html(self) -> str:
        esc = html.escape
        parts = [f"<h1>{esc(self.title)}</h1>"]
        for kind, obj, alt in self.blocks:
            if kind in ("h2", "h3", "p"):
                parts.append(f"<{kind}>{esc(str(obj))}</{kind}>")
            elif kind == "pre":
                parts.append(f"<pre>{esc(str(obj))}</pre>")
            elif kind == "table":
                parts.append(obj.to_html(float_format=lambda v: f"{v:.4g}"))
            elif kind == "a":
                parts.append(f'<p><a href="{esc(str(obj))}">{esc(alt)}</a></p>')
            else:
                parts.append(f'<p><img src="{esc(str(obj))}" alt="{esc(alt)}" width="720"></p>')
        body = "\n".join(parts)
        head = f"<head><meta charset='utf-8'><title>{esc(self.title)}</title></head>"
        return f"<!DOCTYPE html>\n<html>{head}\n<body>\n{body}\n</body></html>\n"

    def save(self, folder: str | Path) -> dict[str, Path]:
        """Write ``summary.md`` and ``summary.html`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"markdown": folder / "summary.md", "html": folder / "summary.html"}
        paths["markdown"].write_text(self.to_markdown(), encoding="utf-8")
        paths["html"].write_text(self.to_html(), encoding="utf-8")
        return paths


def write_summary(out: Path, fits: list[dict], ctx: dict) -> dict[str, Path]:
    """The demo's ``summary.md`` / ``summary.html``: settings, every printout and figure."""
    args, cv, b = ctx["args"], ctx["cv"], ctx["b"]
    doc = Summary("shrinkage demo: shrinkage priors on the diabetes data")
    doc.text(
        f"Diabetes data (Efron et al. 2004): n = 442, p = 10, response: disease progression. "
        f"Each prior: {args.chains} chains x {args.draws} draws after {args.tune} tuning steps "
        f"(sampler {args.sampler}; auto = nutpie when installed), seed {args.seed}. "
        "Coefficients are on the "
        "standardized scale (sd(y) per sd(x_j)) unless a column says original."
    )
    doc.section("Frequentist comparison: our solvers vs scikit-learn")
    doc.table(ctx["table"].set_index("model"))
    doc.section("Lasso CV and the Laplace prior's scale")
    doc.text(
        f"5-fold CV on the standardized data: alpha_min = {cv.alpha_min:.4g}, alpha_1se = "
        f"{cv.alpha_1se:.4g} (the largest alpha within one standard error of the minimum; "
        f"the CV curve of diabetes is flat at small alpha); residual sd at alpha_1se "
        f"{ctx['sigma']:.3g} sd(y). A Laplace(0, b) prior has the lasso as its MAP with "
        f"alpha = sigma^2 / (n b), so b = {b:.4g}."
    )
    for f in fits:
        spec, rep, cc = f["spec"], f["report"], f["cross_check"]
        doc.section(spec.title)
        doc.text(f"Prior: {spec.note}.")
        doc.link(f"full report: {spec.key}/report.html", f"{spec.key}/report.html")
        doc.subsection("MAP vs lasso/ridge cross-check")
        doc.pre(str(cc))
        doc.subsection("Posterior summary, sampling health, retained features")
        doc.pre(str(rep))
        for name in ("forest", "zero_mass", "shrinkage_factors"):
            if name in f["files"]:
                doc.image(f"{spec.key}/{name}.png", f"{spec.title}: {name}")
    doc.section("Zero clustering: P(|beta_j| < 0.1) per prior (standardized scale)")
    doc.table(ctx["zm"])
    doc.text("Retained features (rule: P(|beta_j| >= 0.1) >= 0.5):")
    doc.table(ctx["kept"])
    doc.section("PSIS-LOO comparison")
    doc.table(ctx["loo"])
    doc.section("Coefficient paths and the L1 / L2 geometry")
    if ctx["scales"]:
        doc.text(
            "Left: the lasso path (shrinkage.solvers.path). Right: posterior medians and "
            "intervals under Laplace(0, b) for b in "
            f"{', '.join(f'{s:g}' for s in ctx['scales'])}."
        )
    else:
        reason = ctx["path_error"] or "skipped with --no-bayes-path"
        doc.text(f"The lasso path (shrinkage.solvers.path); Bayesian path: {reason}.")
    doc.image("coefficient_paths.png", "coefficient paths")
    doc.image("lasso_geometry.png", "L1 vs L2 constraint sets")
    doc.section("Wall time per step")
    doc.table(pd.DataFrame(ctx["times"], columns=["step", "seconds"]).set_index("step").round(1))
    return doc.save(out)
