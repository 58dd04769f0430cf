"""Inference on PyMC models: exact MAP (``find_map``) and its non-smooth prior markers."""

from shrinkage.inference.map import MapResult, find_map, group_l2_potential, l1_potential

__all__ = ["MapResult", "find_map", "group_l2_potential", "l1_potential"]
