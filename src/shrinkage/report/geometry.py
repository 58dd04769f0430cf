"""Why the lasso gives exact zeros: the L1 diamond vs the L2 circle for a two-feature problem."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def project_l1_ball(v: np.ndarray, radius: float) -> np.ndarray:
    """Euclidean projection onto ``{b : ||b||_1 <= radius}`` (Duchi et al. 2008, sort based)."""
    if np.abs(v).sum() <= radius:
        return v.copy()
    u = np.sort(np.abs(v))[::-1]
    css = np.cumsum(u)
    k = np.arange(1, v.size + 1)
    rho = np.nonzero(u * k > css - radius)[0][-1]
    theta = (css[rho] - radius) / (rho + 1.0)
    return np.sign(v) * np.maximum(np.abs(v) - theta, 0.0)


def project_l2_ball(v: np.ndarray, radius: float) -> np.ndarray:
    """Euclidean projection onto ``{b : ||b||_2 <= radius}``."""
    norm = np.linalg.norm(v)
    return v.copy() if norm <= radius else v * (radius / norm)


def constrained_least_squares(
    X: np.ndarray, y: np.ndarray, radius: float, ball: str, n_iter: int = 20000
) -> np.ndarray:
    """Minimize ``(1/2n)||y - X b||^2`` subject to ``||b||_1 <= radius`` (``ball="l1"``) or
    ``||b||_2 <= radius`` (``"l2"``) by projected gradient descent with step ``1/L``,
    ``L`` the largest eigenvalue of ``X'X/n``. The iteration is a contraction for strongly
    convex problems, so 20000 steps reach machine precision in two dimensions.
    """
    n = X.shape[0]
    gram, xty = X.T @ X / n, X.T @ y / n
    step = 1.0 / np.linalg.eigvalsh(gram).max()
    project = {"l1": project_l1_ball, "l2": project_l2_ball}[ball]
    b = np.zeros(X.shape[1])
    for _ in range(n_iter):
        b_new = project(b - step * (gram @ b - xty), radius)
        if np.max(np.abs(b_new - b)) < 1e-15:
            return b_new
        b = b_new
    return b


def example_problem(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Two correlated (rho ~ 0.6) standardized features, ``y = 2 x1 + 0.4 x2 + noise``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(200, 2))
    X = np.column_stack([z[:, 0], 0.6 * z[:, 0] + 0.8 * z[:, 1]])
    X = (X - X.mean(0)) / X.std(0)
    y = X @ np.array([2.0, 0.4]) + 0.5 * rng.normal(size=200)
    return X, y - y.mean()


def plot_lasso_geometry(
    X=None,
    y=None,
    radius: float = 1.0,
    feature_names: Sequence[str] | None = None,
) -> Figure:
    """Loss contours of a two-feature least-squares problem with the L1 and L2 constraint sets.

    Left: ``|b1| + |b2| <= radius`` (lasso); right: ``b1^2 + b2^2 <= radius^2`` (ridge). The
    constrained minimizer is where the smallest loss contour touches the set; the diamond's
    corners make that point land on an axis (an exact zero) for most loss ellipses, the circle
    almost never. ``X`` (n x 2, DataFrame names are used) and ``y`` default to
    :func:`example_problem`.
    """
    if X is None:
        X, y = example_problem()
    if feature_names is None:
        feature_names = [str(c) for c in getattr(X, "columns", ["x1", "x2"])]
    X, y = np.asarray(X, float), np.asarray(y, float)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise ValueError("X must be (n, 2) and y (n,) for the geometry figure")
    n = X.shape[0]
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    loss = lambda b: np.sum((y[:, None] - X @ b) ** 2, axis=0) / (2 * n)  # noqa: E731
    span = max(np.abs(ols).max(), radius) * 1.3
    g = np.linspace(-span, span, 300)
    B1, B2 = np.meshgrid(g, g)
    L = loss(np.vstack([B1.ravel(), B2.ravel()])).reshape(B1.shape)
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    shapes = {
        "l1": (np.array([1, 0, -1, 0, 1]) * radius, np.array([0, 1, 0, -1, 0]) * radius),
        "l2": (radius * np.cos(np.linspace(0, 2 * np.pi, 200)),
               radius * np.sin(np.linspace(0, 2 * np.pi, 200))),
    }  # fmt: skip
    for ax, ball in zip(axes, ("l1", "l2"), strict=True):
        b = constrained_least_squares(X, y, radius, ball)
        level = loss(b[:, None])[0]
        ax.contour(B1, B2, L, levels=np.quantile(L, [0.01, 0.03, 0.08, 0.2]), colors="0.6")
        ax.contour(B1, B2, L, levels=[level], colors="C3", linewidths=1.5)
        ax.fill(*shapes[ball], color="C0", alpha=0.3)
        ax.plot(*ols, "k+", ms=10)
        ax.annotate("least squares", ols, xytext=(-20, 10), textcoords="offset points")
        ax.plot(*b, "o", color="C3")
        zero = [feature_names[j] for j in range(2) if abs(b[j]) < 1e-10]
        what = f"beta[{zero[0]}] = 0 exactly" if zero else "no coefficient is zero"
        ax.text(0.03, 0.03, f"constrained minimum ({b[0]:.2f}, {b[1]:.2f}):\n{what}",
                transform=ax.transAxes, fontsize=9, color="C3")  # fmt: skip
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_aspect("equal")
        ax.set_xlabel(f"beta[{feature_names[0]}]")
        ax.set_ylabel(f"beta[{feature_names[1]}]")
        norm = "|b1| + |b2|" if ball == "l1" else "b1^2 + b2^2"
        bound = f"{radius:g}" if ball == "l1" else f"{radius**2:g}"
        ax.set_title(f"{'lasso (L1)' if ball == 'l1' else 'ridge (L2)'}: {norm} <= {bound}")
    fig.tight_layout()
    return fig
