# Copyright (c) docseg_mm contributors. All rights reserved.
from .cluster_visualizer import ClusterSegLocalVisualizer

__all__ = ['ClusterSegLocalVisualizer']
