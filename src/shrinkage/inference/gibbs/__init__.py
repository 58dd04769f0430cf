"""The exact Gibbs backend: numpy/numba conditional updates, no PyMC in the core.

:mod:`.core` runs the sweeps (``gibbs_sample``); :mod:`.priors` holds the update-set base
class and the conjugate priors' conditional updates, :mod:`.horseshoe` the horseshoe family's
(:mod:`.horseshoe_plus` the horseshoe+'s);
:mod:`.sigma` the noise scale and intercept, :mod:`.updates` the slice and collapsed local
steps; :mod:`.spec` translates a model's prior and family, :mod:`.adapter` connects a model of
:func:`shrinkage.build_model`.
Kept free of imports so that worker processes import only what they use.
"""
