"""The collapsed ("marginal") NUTS form: ``beta`` integrated out, exact draws after.

:mod:`.sampler` builds the collapsed model and completes the draws, :mod:`.op` is the
collapsed Gaussian likelihood as a PyTensor Op, :mod:`.kernels` its numba kernels.
"""
