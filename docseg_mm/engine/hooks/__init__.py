# Copyright (c) docseg_mm contributors. All rights reserved.
"""Hooks registered in ``docseg_mm.registry.HOOKS``."""
from .dataset_curriculum_hook import DatasetCurriculumHook
from .knn_monitor_hook import KNNMonitorHook, knn_predict
from .seg_loss_warmup_hook import SegLossWarmupHook
from .seg_visualization_hook import SegVisualizationWithDirHook

__all__ = [
    'DatasetCurriculumHook', 'KNNMonitorHook', 'knn_predict',
    'SegLossWarmupHook', 'SegVisualizationWithDirHook'
]
