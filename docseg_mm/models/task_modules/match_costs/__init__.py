# Copyright (c) docseg_mm contributors. All rights reserved.
from .normalized_box_cost import (NormalizedBoxCost, pairwise_diou_cost,
                                  pairwise_smooth_l1_cost)
from .normalized_class_cost import NormalizedClassCost
from .normalized_mask_cost import (NormalizedMaskCost,
                                   pairwise_sigmoid_dice_cost,
                                   pairwise_sigmoid_focal_cost)
from .utils import minmax_normalize

__all__ = [
    'NormalizedClassCost', 'NormalizedMaskCost', 'NormalizedBoxCost',
    'minmax_normalize', 'pairwise_sigmoid_dice_cost',
    'pairwise_sigmoid_focal_cost', 'pairwise_smooth_l1_cost',
    'pairwise_diou_cost'
]
