"""PyMC's terminal progress bar with a speed column that is right at the end of a run.

PyMC 6.4's ``RichProgressBackend.update`` sets the "Speed" column only on non-final updates
and only once a bar has run 0.25 s; its final update (``is_last``) sets the draw count but
leaves the speed as it was. A nutpie chain reports only when it ends on a short run, so its bar
shows "0.00 draws/s" (pymc's own sampler too when a chain takes under 0.25 s).
:class:`RateProgressBackend` recomputes the speed on the final update from the bar's count and
elapsed time (for nutpie, its per-chain runtime); :func:`rate_progress_bar` puts it in place
of PyMC's class for the duration of a ``pymc.sample`` call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymc.progress_bar import progress as _pm_progress
from pymc.progress_bar.rich_progress import RichProgressBackend

__all__ = ["RateProgressBackend", "rate_progress_bar", "speed_text"]


def speed_text(completed: float, elapsed: float | None, unit: str) -> tuple[float, str]:
    """``(value, "draws/s")`` for ``completed`` steps in ``elapsed`` seconds, as PyMC shows it:
    steps per second when above 1, else seconds per step; ``(0, ...)`` when nothing is known."""
    if not elapsed or elapsed <= 0 or completed <= 0:
        return 0.0, f"{unit}s/s"
    speed = completed / elapsed
    if speed > 1:
        return speed, f"{unit}s/s"
    return 1.0 / speed, f"s/{unit}"


class RateProgressBackend(RichProgressBackend):
    """PyMC's rich backend whose final update also sets the speed (module docstring)."""

    def update(
        self,
        task_id: int,
        advance: int | float,
        failing: bool,
        stats: dict[str, Any],
        is_last: bool,
        total: int | None = None,
    ) -> None:
        super().update(task_id, advance, failing, stats, is_last, total)
        rich_id = self._tasks[task_id]
        if not is_last or rich_id is None:
            return
        task = self._progress.tasks[task_id]
        speed, unit = speed_text(task.completed, task.elapsed, self.step_name.lower())
        self._progress.update(rich_id, sampling_speed=speed, speed_unit=unit, refresh=True)


_lock = threading.Lock()
_users = 0


@contextmanager
def rate_progress_bar() -> Iterator[None]:
    """Within the block, PyMC's progress bars use :class:`RateProgressBackend`.

    PyMC picks its backend class by module-level name (``pymc.progress_bar.progress``); the
    name is swapped while at least one block is open (counted, so threads may nest) and put
    back after the last one closes.
    """
    global _users
    with _lock:
        if _users == 0:
            _pm_progress.RichProgressBackend = RateProgressBackend
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                _pm_progress.RichProgressBackend = RichProgressBackend
