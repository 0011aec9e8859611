# Copyright (c) docseg_mm contributors. All rights reserved.
"""Data transforms registered in ``docseg_mm.registry.TRANSFORMS``."""
from .loading import (ImageLoadError, ImageNotFoundError,
                      ImageSizeMismatchError, LoadDocImageFromFile)
from .docsam_transforms import RandomResizeOrCrop, RandomShortSideResize
from .layout_mask import (LayoutMaskToGrid, PseudoLayoutMask,
                          layout_mask_throughput)
from .multi_view import MultiViewWithKeys
from .random_patch_mask import RandomPatchMask
from .seg_map_crop import RandomResizedCropWithSegMap
from .text_abinet_aug import TextDeterioration, TextGeometry
from .text_formatting import PackTextRecogInputs
from .text_seqclr_aug import TextSeqCLRAugment

__all__ = [
    'LoadDocImageFromFile', 'ImageLoadError', 'ImageNotFoundError',
    'ImageSizeMismatchError', 'PseudoLayoutMask', 'LayoutMaskToGrid',
    'layout_mask_throughput', 'MultiViewWithKeys',
    'RandomResizedCropWithSegMap', 'RandomResizeOrCrop',
    'RandomShortSideResize', 'RandomPatchMask', 'TextDeterioration',
    'TextGeometry', 'PackTextRecogInputs', 'TextSeqCLRAugment'
]
