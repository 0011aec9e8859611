# Copyright (c) docseg_mm contributors. All rights reserved.
"""Hooks registered in ``docseg_mm.registry.HOOKS``."""
from .dataset_curriculum_hook import DatasetCurriculumHook
from .knn_monitor_hook import KNNMonitorHook, knn_predict
from .rng_state_hook import RNGStateHook, get_rng_state, set_rng_state
from .seg_loss_warmup_hook import SegLossWarmupHook
from .seg_visualization_hook import SegVisualizationWithDirHook

__all__ = [
    'DatasetCurriculumHook', 'KNNMonitorHook', 'knn_predict',
    'RNGStateHook', 'get_rng_state', 'set_rng_state',
    'SegLossWarmupHook', 'SegVisualizationWithDirHook'
]
