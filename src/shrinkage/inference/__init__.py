"""Inference for models made by :func:`shrinkage.build_model`."""

from shrinkage.inference.sampling import sample

__all__ = ["sample"]
