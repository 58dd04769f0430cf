"""The progress bar's speed column (issue 17 item 11): PyMC 6.4 shows "0.00 draws/s" at the end
of a short run; ``shrinkage.inference._progress`` recomputes it on the final update."""

from __future__ import annotations

import re
from time import perf_counter

import numpy as np
import pytest
from pymc.progress_bar import progress as pm_progress
from pymc.progress_bar.rich_progress import RichProgressBackend

from shrinkage import priors
from shrinkage.inference import sample
from shrinkage.inference._progress import RateProgressBackend, rate_progress_bar, speed_text
from shrinkage.model import build_model

SPEED = re.compile(r"([0-9.]+) (draws/s|s/draw)")


def _finish_like_nutpie(cls, runtime: float, total: int):
    """One bar that gets only its final update after ``runtime`` s, as a short nutpie chain."""
    backend = cls(
        step_name="Draw",
        n_bars=1,
        total=None,
        combined=False,
        full_stats=False,
        progress_columns=[],
        progress_stats={"draw": [0]},
    )
    with backend:
        task = backend._progress.tasks[0]
        task.start_time = perf_counter() - runtime  # what NutpieProgressBarManager does
        backend._started[0] = True
        backend.update(0, total, False, {"draw": total}, is_last=True, total=total)
        return task.fields["sampling_speed"], task.fields["speed_unit"]


def test_pymc_final_update_leaves_speed_at_zero_ours_sets_it():
    # the cause, pinned: PyMC's backend leaves the initial 0 (this fails once PyMC fixes it)
    assert _finish_like_nutpie(RichProgressBackend, 0.5, 400)[0] == 0
    speed, unit = _finish_like_nutpie(RateProgressBackend, 0.5, 400)
    # 400 draws in 0.5 s (+ the microseconds between setting the clock and the update)
    assert unit == "draws/s" and speed == pytest.approx(800, rel=0.01)


def test_speed_text_matches_pymc_units():
    assert speed_text(10, 2.0, "draw") == (5.0, "draws/s")
    assert speed_text(1, 4.0, "draw") == (4.0, "s/draw")  # below 1 per second: seconds per draw
    assert speed_text(0, 1.0, "draw") == (0.0, "draws/s")
    assert speed_text(5, None, "draw") == (0.0, "draws/s")


def test_the_swap_is_undone_and_nests():
    assert pm_progress.RichProgressBackend is RichProgressBackend
    with rate_progress_bar():
        with rate_progress_bar():
            assert pm_progress.RichProgressBackend is RateProgressBackend
        assert pm_progress.RichProgressBackend is RateProgressBackend
    assert pm_progress.RichProgressBackend is RichProgressBackend


@pytest.mark.slow  # compiles and samples a model (tens of seconds on a loaded machine)
@pytest.mark.parametrize("sampler", ["nutpie", "pymc"])
def test_sample_progress_bar_shows_a_positive_rate(sampler, capfd, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich truncates the speed column at 80 columns
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    model = build_model(X, X[:, 0] + rng.normal(size=30), prior=priors.Gaussian(1.0))
    sample(model, sampler=sampler, draws=30, tune=30, chains=2, cores=1, random_seed=0)
    rates = [float(v) for v, _ in SPEED.findall(capfd.readouterr().out)]
    assert len(rates) >= 2 and min(rates) > 0  # one bar per chain, each with a real rate
    assert pm_progress.RichProgressBackend is RichProgressBackend
