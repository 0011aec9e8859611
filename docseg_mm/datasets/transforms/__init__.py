# Copyright (c) docseg_mm contributors. All rights reserved.
"""Data transforms registered in ``docseg_mm.registry.TRANSFORMS``."""
from .loading import (ImageLoadError, ImageNotFoundError,
                      ImageSizeMismatchError, LoadDocImageFromFile)
from .docsam_transforms import RandomResizeOrCrop, RandomShortSideResize
from .layout_mask import (LayoutMaskToGrid, PseudoLayoutMask,
                          layout_mask_throughput)
from .multi_crop import AlignSegMultiCrop
from .multi_view import MultiViewWithKeys
from .seg_map_crop import RandomResizedCropWithSegMap

__all__ = [
    'AlignSegMultiCrop',
    'LoadDocImageFromFile', 'ImageLoadError', 'ImageNotFoundError',
    'ImageSizeMismatchError', 'PseudoLayoutMask', 'LayoutMaskToGrid',
    'layout_mask_throughput', 'MultiViewWithKeys',
    'RandomResizedCropWithSegMap', 'RandomResizeOrCrop',
    'RandomShortSideResize'
]
