# Copyright (c) docseg_mm contributors. All rights reserved.
from .cluster_matching import (confusion, hungarian_mapping, mapped_iou,
                               many_to_one_mapping, per_image_miou)

__all__ = [
    'confusion', 'hungarian_mapping', 'mapped_iou', 'many_to_one_mapping',
    'per_image_miou'
]
