"""Sampling and MAP back-ends (PyMC NUTS / nutpie, the Gibbs sampler in :mod:`.gibbs`)."""
