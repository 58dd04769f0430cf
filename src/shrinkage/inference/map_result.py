"""The result of :func:`~shrinkage.inference.find_map`, shared by the proximal method
(:mod:`.map`) and the linear programs of median regression (:mod:`.median`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["MapResult"]


@dataclass
class MapResult:
    """Result of :func:`find_map`.

    Attributes
    ----------
    values : dict
        Free and deterministic variables on the constrained scale (e.g. ``beta``, ``sigma``,
        ``beta_original``); exact zeros are exact.
    certificate : float
        ``||z - prox_g(z - grad f(z))||_inf`` over the optimized unconstrained coordinates:
        ``|d(-logp)/dz|`` on smooth ones, the KKT (subgradient) violation on L1 / group ones.
    n_iter : int
        Proximal-gradient plus Newton iterations.
    converged : bool
        ``certificate <= tol``.
    objective : float
        ``-model.logp(jacobian=False)`` at the optimum.
    unconstrained : dict
        Value variables (PyMC's transformed space, e.g. ``sigma_log__``) at the optimum.
    no_mode : bool
        The solve stopped because the posterior likely has no mode: the log-density was not
        finite at the last point, or the iterates stalled with a positive variable (e.g.
        ``sigma``) near 0 while the objective kept falling. ``values`` is then no MAP.
    """

    values: dict[str, np.ndarray]
    certificate: float
    n_iter: int
    converged: bool
    objective: float
    unconstrained: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    no_mode: bool = False

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]
