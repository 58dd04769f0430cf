"""Every figure renders to PNG and names the features; geometry solutions checked in numpy.

Set SHRINKAGE_PLOT_PREVIEW=1 to also write the PNGs to ``_plots_preview/`` (gitignored).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from shrinkage import plots
from shrinkage.report.geometry import constrained_least_squares, example_problem, project_l1_ball

PREVIEW = Path(__file__).resolve().parents[1] / "_plots_preview"


def _texts(fig) -> str:
    """All text a reader sees: titles, axis labels, tick labels, annotations, legends."""
    out = [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels() + ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return "\n".join(out)


def _save(fig, tmp_path, name) -> Path:
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    if os.environ.get("SHRINKAGE_PLOT_PREVIEW"):
        PREVIEW.mkdir(exist_ok=True)
        fig.savefig(PREVIEW / f"{name}.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def test_plots_is_the_public_home_of_report_figures():
    from shrinkage.report import figures

    assert plots.__all__ == figures.__all__
    for name in figures.__all__:
        assert getattr(plots, name) is getattr(figures, name)


# ---------------------------------------------------------------- geometry (fast)


def test_l1_projection_matches_bruteforce(rng):
    v = rng.normal(size=2) * 3
    p = project_l1_ball(v, 1.0)
    # brute force over a fine grid of the diamond boundary: grid step 1e-5 -> distance error
    # below 1e-5
    s = np.linspace(-1, 1, 200001)
    pts = np.concatenate([np.c_[s, 1 - np.abs(s)], np.c_[s, np.abs(s) - 1]])
    best = pts[np.argmin(np.linalg.norm(pts - v, axis=1))]
    assert np.linalg.norm(p - v) <= np.linalg.norm(best - v) + 1e-12
    np.testing.assert_allclose(p, best, atol=1e-4)


def test_geometry_lasso_hits_a_corner_ridge_does_not(tmp_path):
    X, y = example_problem()
    b1 = constrained_least_squares(X, y, 1.0, "l1")
    b2 = constrained_least_squares(X, y, 1.0, "l2")
    # KKT for the corner (1, 0): -grad is in the normal cone {a >= |c|}; PGD at machine precision
    grad = X.T @ (X @ b1 - y) / len(y)
    assert b1[1] == 0.0 and b1[0] == pytest.approx(1.0, abs=1e-12)
    assert -grad[0] >= abs(grad[1])
    # ridge: on the circle, both coefficients non-zero, -grad parallel to b (KKT of the L2 ball)
    grad2 = X.T @ (X @ b2 - y) / len(y)
    assert np.linalg.norm(b2) == pytest.approx(1.0, abs=1e-12) and np.all(np.abs(b2) > 0.05)
    assert abs(grad2[0] * b2[1] - grad2[1] * b2[0]) < 1e-9  # cross product ~ 0
    fig = plots.plot_lasso_geometry(feature_names=["age", "bmi"])
    text = _texts(fig)
    assert "beta[age]" in text and "beta[bmi] = 0 exactly" in text
    _save(fig, tmp_path, "lasso_geometry")


def _ridge_posterior(X, y, tau, sigma, draws=400, seed=0):
    """Exact Gaussian posterior of beta ~ N(0, tau^2) at fixed sigma, as a DataTree.

    sigma = 0.35 is the noise sd 1 on the scale of the standardized y (sd(y) ~ 2.9).
    """
    rng = np.random.default_rng(seed)
    p = X.shape[1]
    prec = X.T @ X / sigma**2 + np.eye(p) / tau**2
    cov = np.linalg.inv(prec)
    mean = cov @ X.T @ y / sigma**2
    beta = rng.multivariate_normal(mean, cov, size=(2, draws))
    coords = {"chain": [0, 1], "draw": np.arange(draws), "feature": list(X.columns)}
    post = xr.Dataset({"beta": (("chain", "draw", "feature"), beta)}, coords=coords)
    return xr.DataTree.from_dict({"posterior": post})


def test_coefficient_paths(synth, tmp_path):
    from sklearn.linear_model import lasso_path

    X = (synth.X - synth.X.mean()) / synth.X.std(ddof=0)
    y = (synth.y - synth.y.mean()) / synth.y.std(ddof=0)
    alphas, coefs, _ = lasso_path(X.to_numpy(), y.to_numpy(), alphas=60)
    fits = [
        (tau, _ridge_posterior(X, y.to_numpy(), tau, sigma=0.35))
        for tau in np.geomspace(0.01, 1, 7)
    ]
    fig = plots.plot_coefficient_paths(alphas, coefs.T, list(X.columns), fits)
    text = _texts(fig)
    for name in synth.signals:
        assert name in text
    _save(fig, tmp_path, "coefficient_paths")
    with pytest.raises(ValueError, match="n_alphas, p"):
        plots.plot_coefficient_paths(alphas, coefs, list(X.columns))


# ---------------------------------------------------------------- on the sampled fits


@pytest.mark.slow
@pytest.mark.parametrize("prior", ["rhs", "laplace"])
def test_fit_plots_render_with_names(fits, synth, prior, tmp_path):
    tree = fits[prior]
    figs = {
        "forest": plots.plot_forest(tree),
        "forest_original": plots.plot_forest(tree, synth.signals[:3], original_scale=True),
        "zero_mass": plots.plot_zero_mass(tree),
        "near_zero": plots.plot_near_zero(tree, [synth.signals[-1], *synth.nulls[:2]]),
    }
    if prior == "rhs":
        figs["shrinkage_factors"] = plots.plot_shrinkage_factors(tree)
    else:
        with pytest.raises(ValueError, match="lam, tau"):
            plots.plot_shrinkage_factors(tree)
    for name, fig in figs.items():
        text = _texts(fig)
        shown = synth.signals[:3] if name in ("forest_original", "near_zero") else synth.signals
        if name == "near_zero":
            shown = [synth.signals[-1], *synth.nulls[:2]]
        for feature in shown:
            assert feature in text, (name, feature)
        _save(fig, tmp_path, f"{prior}_{name}")
    with pytest.raises(ValueError, match="unknown"):
        plots.plot_near_zero(tree, ["nope"])
