"""R glmnet as a peer of benchmarks/peers_solvers.py (issue 22); benchmark-only, never imported
by the package.

Install: ``apt-get install r-base-core r-cran-glmnet`` (Debian), or ``install.packages("glmnet")``
in R. :func:`unavailable` says why the peer cannot run (no ``Rscript``, no glmnet) so the
benchmark skips it with that reason instead of failing.

Design: one long-lived ``Rscript`` process per :class:`Glmnet` object (one per case) reads
commands line by line on stdin. ``X`` and ``y`` go once through binary files (``readBin``), the
lambda grid and the coefficients through binary files per fit, and the time is measured INSIDE R
around the ``glmnet()`` call only, so R start-up and data transfer are excluded; it is left in
:attr:`Glmnet.last_seconds`. glmnet runs with ``standardize = FALSE, intercept = FALSE`` and
``glmnet.control(fdev = 0, devmax = 1)`` (no early stop of a path: every lambda is solved). Its
objectives are those of the benchmark on centred data:

* ``gaussian``: :math:`\\frac{1}{2n}\\|y - Xw\\|^2 + \\lambda\\|w\\|_1`;
* ``binomial`` (``y`` in {0, 1}): mean log-loss :math:`+ \\lambda\\|w\\|_1`.

Its tolerance is ``thresh`` (coordinate descent stops when the largest change of the objective
from one coefficient update, relative to the null deviance, is below it).
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

_DRIVER = r"""
suppressMessages(library(glmnet))
invisible(glmnet.control(fdev = 0, devmax = 1))
con <- file("stdin", open = "r")
dir <- commandArgs(trailingOnly = TRUE)[1]
X <- NULL; y <- NULL; yf <- NULL
repeat {
  line <- readLines(con, n = 1)
  if (length(line) == 0 || line == "quit") break
  a <- strsplit(line, " ")[[1]]
  out <- tryCatch({
    if (a[1] == "data") {
      n <- as.integer(a[2]); p <- as.integer(a[3])
      X <- matrix(readBin(file.path(dir, "X.bin"), "double", n * p), n, p)
      y <- readBin(file.path(dir, "y.bin"), "double", n)
      yf <- factor(y)
      "ok"
    } else if (a[1] == "fit") {
      lam <- readBin(file.path(dir, "lam.bin"), "double", as.integer(a[3]))
      yy <- if (a[2] == "binomial") yf else y
      t0 <- Sys.time()
      fit <- glmnet(X, yy, family = a[2], lambda = lam, standardize = FALSE,
                    intercept = FALSE, thresh = as.numeric(a[4]), maxit = 1e7)
      el <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
      B <- as.matrix(fit$beta)
      writeBin(as.vector(B), file.path(dir, "coef.bin"))
      paste("ok", format(el, digits = 12), ncol(B))
    } else paste("err unknown command", a[1])
  }, error = function(e) paste("err", gsub("\n", " ", conditionMessage(e))))
  cat(out, "\n", sep = "")
  flush(stdout())
}
"""


def unavailable() -> str | None:
    """``None`` when ``Rscript`` and the glmnet package run here, else the reason they do not."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found (apt-get install r-base-core r-cran-glmnet)"
    try:
        done = subprocess.run(
            [rscript, "-e", "suppressMessages(library(glmnet))"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"Rscript failed to start: {err}"
    if done.returncode != 0:
        return f"R package glmnet not loadable: {done.stderr.strip()[-200:]}"
    return None


class Glmnet:
    """A peer ``fn(X, y, alpha_or_alphas, thresh) -> coef`` backed by one R process.

    Parameters
    ----------
    family : {"gaussian", "binomial"}

    Notes
    -----
    A scalar ``alpha`` returns ``coef`` of shape ``(p,)``; a decreasing array of alphas (a
    path) returns ``(n_alphas, p)``. ``X`` and ``y`` are sent to R when they are not the arrays
    of the previous call (checked by identity). :attr:`last_seconds` is R's own time of the last
    ``glmnet()`` call.
    """

    def __init__(self, family: str):
        if family not in ("gaussian", "binomial"):
            raise ValueError(f"family must be 'gaussian' or 'binomial'; got {family!r}")
        self.family = family
        self.last_seconds: float | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="glmnet_peer_"))
        (self._dir / "driver.R").write_text(_DRIVER)
        self._proc: subprocess.Popen | None = None
        self._data: tuple | None = None
        atexit.register(self.close)

    def _ask(self, line: str) -> list[str]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["Rscript", "--vanilla", str(self._dir / "driver.R"), str(self._dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline().split()
        if not answer or answer[0] != "ok":
            raise RuntimeError(f"glmnet driver failed on {line!r}: {' '.join(answer)}")
        return answer[1:]

    def _send_data(self, X, y) -> None:
        if self._data is not None and self._data[0] is X and self._data[1] is y:
            return
        np.asfortranarray(X, dtype=np.float64).ravel(order="F").tofile(self._dir / "X.bin")
        np.asarray(y, dtype=np.float64).tofile(self._dir / "y.bin")
        self._ask(f"data {X.shape[0]} {X.shape[1]}")
        self._data = (X, y)

    def __call__(self, X, y, alpha, thresh):
        self._send_data(X, y)
        lam = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
        lam.tofile(self._dir / "lam.bin")
        seconds, n_lam = self._ask(f"fit {self.family} {lam.size} {thresh!r}")
        if int(n_lam) != lam.size:
            raise RuntimeError(f"glmnet returned {n_lam} of {lam.size} lambdas")
        self.last_seconds = float(seconds)
        p = X.shape[1]
        coefs = np.fromfile(self._dir / "coef.bin", dtype=np.float64).reshape(lam.size, p)
        return coefs[0] if np.ndim(alpha) == 0 else coefs

    def close(self) -> None:
        """Stop the R process and remove the temporary files."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.stdin.write("quit\n")
            self._proc.stdin.close()
            self._proc.wait(timeout=30)
        self._proc = None
        shutil.rmtree(self._dir, ignore_errors=True)
