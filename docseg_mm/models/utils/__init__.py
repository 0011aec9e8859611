# Copyright (c) docseg_mm contributors. All rights reserved.
from .beam_search import beam_search
from .dense_crf import SLRNET_CRF, dense_crf
from .docsam_postprocess import (postprocess_instances, postprocess_semantic,
                                 rescale_predictions)
from .mask_dilation import dilate_resize
from .mask_nms import mask_nms
from .mask_pool import masked_average_pool
from .pamr import pamr, pamr_affinity
from .param_only_ema import ParameterOnlyUpdateMixin
from .point_sample_grid import jittered_grid_points, sample_points
from .query_selection import gather_queries, select_queries
from .separable_roi_align import roi_align_weights, separable_roi_align
from .sliding_window import (merge_slide_instances, merge_slide_semantic,
                             slide_window_boxes)
from .foreground_hints import (CLSAttentionHint, SegMapHint,
                               attention_to_foreground,
                               remove_small_components)
from .wsss import (blank_background_cue, label_to_onehot,
                   mask_classifier_logits, max_onehot, onehot_to_label, pseudo_labels_absolute,
                   pseudo_labels_relative, select_classes)
from .window_pool import window_pool

__all__ = [
    'CLSAttentionHint', 'SegMapHint', 'attention_to_foreground',
    'remove_small_components',
    'masked_average_pool', 'postprocess_instances', 'postprocess_semantic',
    'rescale_predictions',
    'mask_nms', 'jittered_grid_points', 'sample_points', 'gather_queries',
    'select_queries', 'merge_slide_instances', 'merge_slide_semantic',
    'slide_window_boxes', 'SLRNET_CRF', 'dense_crf', 'pamr', 'pamr_affinity',
    'blank_background_cue', 'label_to_onehot', 'mask_classifier_logits',
    'max_onehot',
    'onehot_to_label', 'pseudo_labels_absolute', 'pseudo_labels_relative',
    'select_classes',
    'beam_search', 'window_pool', 'ParameterOnlyUpdateMixin',
    'separable_roi_align', 'roi_align_weights', 'dilate_resize'
]
