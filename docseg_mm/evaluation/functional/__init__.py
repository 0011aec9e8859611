# Copyright (c) docseg_mm contributors. All rights reserved.
from .cluster_matching import (confusion, hungarian_mapping, mapped_iou,
                               many_to_one_mapping, per_image_miou)
from .coco_eval_backend import (COCO_EVAL_BACKENDS, check_coco_eval_backend,
                                get_coco_eval_class)

__all__ = [
    'confusion', 'hungarian_mapping', 'mapped_iou', 'many_to_one_mapping',
    'per_image_miou', 'COCO_EVAL_BACKENDS', 'check_coco_eval_backend',
    'get_coco_eval_class'
]
