# Copyright (c) docseg_mm contributors. All rights reserved.
"""Visualizers registered in ``docseg_mm.registry.VISUALIZERS``."""
from .cluster_visualizer import ClusterSegLocalVisualizer

__all__ = ['ClusterSegLocalVisualizer']
