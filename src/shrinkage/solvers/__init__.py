"""Proximal solvers for penalized GLMs (numpy + numba only; never imports PyMC)."""
