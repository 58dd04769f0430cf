"""Ctrl-C in the CLI commands: stop promptly, exit 130, never a report from a partial run.

PyMC's and nutpie's samplers catch ``KeyboardInterrupt`` and return the draws made so far, so
a plain ``except KeyboardInterrupt`` never sees a Ctrl-C during sampling. :class:`Interrupts`
installs a SIGINT (and SIGTERM) handler that records the interrupt *and* raises ``KeyboardInterrupt`` (the
default behaviour); the command calls :meth:`Interrupts.check` after each long step (fit,
report), which raises again when an interrupt was swallowed, and treats any error raised
after an interrupt as the interrupt. Inside :meth:`Interrupts.deferred` (moving the finished
report into place, removing a staging folder) a Ctrl-C is only recorded, so those steps are
never cut in half.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["EXIT_INTERRUPTED", "Interrupts", "abandon", "ignore_sigint", "report_interrupt"]

#: exit code after Ctrl-C (128 + SIGINT), as shells report it
EXIT_INTERRUPTED = 130
#: the signals handled: Ctrl-C, and SIGTERM (``kill``, ``timeout``), which would otherwise end
#: the process without removing its staging folder
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """SIGINT handler of one command run (a context manager; see the module docstring)."""

    def __init__(self) -> None:
        self.hit = False
        self.signum = signal.SIGINT
        self._defer = False
        self._previous: dict[int, object] = {}
        self._pid = os.getpid()

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():  # signals: main thread only
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self._pid:  # a forked sampler process: behave as by default
            if signum != signal.SIGINT:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
            raise KeyboardInterrupt
        self.hit = True
        self.signum = signal.Signals(signum)
        if not self._defer:
            raise KeyboardInterrupt

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if a Ctrl-C came (even one a sampler swallowed)."""
        if self.hit:
            raise KeyboardInterrupt

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Run a short step to its end: a Ctrl-C inside is recorded, not raised."""
        self._defer = True
        try:
            yield
        finally:
            self._defer = False


def report_interrupt(command: str, intr: Interrupts | None = None) -> int:
    """Print the one-line message of a stopped run; return ``128 + signal number``
    (:data:`EXIT_INTERRUPTED` for Ctrl-C, 143 for SIGTERM)."""
    signum = signal.SIGINT if intr is None or not intr.hit else intr.signum
    how = "interrupted (Ctrl-C)" if signum == signal.SIGINT else f"stopped by {signum.name}"
    print(f"shrinkage {command}: {how}; no report written", file=sys.stderr)
    return 128 + int(signum)


def abandon(
    command: str,
    err: BaseException,
    intr: Interrupts,
    output: Any,
    errors: tuple[type[BaseException], ...],
) -> int:
    """End a run that raised ``err``: remove its staging folder (``output.discard()``, unless
    ``output`` is None), then return ``128 + signal`` after an interrupt, or 2 after printing
    ``shrinkage COMMAND: error: ...`` for one of ``errors``; re-raise anything else."""
    if output is not None:
        with intr.deferred():
            output.discard()
    if intr.hit or isinstance(err, KeyboardInterrupt):
        return report_interrupt(command, intr)
    if not isinstance(err, errors):
        raise err
    print(f"shrinkage {command}: error: {err}", file=sys.stderr)
    return 2


def ignore_sigint() -> None:
    """Initializer of a worker process: ignore Ctrl-C; the parent process stops the worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
