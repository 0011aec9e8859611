# Copyright (c) docseg_mm contributors. All rights reserved.
from .docsam_postprocess import postprocess_instances, postprocess_semantic
from .mask_nms import mask_nms
from .mask_pool import masked_average_pool
from .point_sample_grid import jittered_grid_points, sample_points
from .query_selection import gather_queries, select_queries
from .sliding_window import (merge_slide_instances, merge_slide_semantic,
                             slide_window_boxes)
from .foreground_hints import (CLSAttentionHint, SegMapHint,
                               attention_to_foreground,
                               remove_small_components)

__all__ = [
    'CLSAttentionHint', 'SegMapHint', 'attention_to_foreground',
    'remove_small_components',
    'masked_average_pool', 'postprocess_instances', 'postprocess_semantic',
    'mask_nms', 'jittered_grid_points', 'sample_points', 'gather_queries',
    'select_queries', 'merge_slide_instances', 'merge_slide_semantic',
    'slide_window_boxes'
]
