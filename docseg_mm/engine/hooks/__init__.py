# Copyright (c) docseg_mm contributors. All rights reserved.
"""Hooks registered in ``docseg_mm.registry.HOOKS``."""
from .knn_monitor_hook import KNNMonitorHook, knn_predict

__all__ = ['KNNMonitorHook', 'knn_predict']
