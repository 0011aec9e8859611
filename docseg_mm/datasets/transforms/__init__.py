# Copyright (c) docseg_mm contributors. All rights reserved.
"""Data transforms registered in ``docseg_mm.registry.TRANSFORMS``."""
from .loading import (BadImageMixin, ImageLoadError, ImageNotFoundError,
                      ImageSizeMismatchError, LoadDocImageFromFile,
                      LoadTiffPage)
from .docsam_transforms import RandomResizeOrCrop, RandomShortSideResize
from .layout_mask import LayoutMaskToGrid, PseudoLayoutMask
from .multi_view import MultiViewWithKeys
from .seg_map_crop import RandomResizedCropWithSegMap

__all__ = [
    'LoadDocImageFromFile', 'LoadTiffPage', 'BadImageMixin',
    'ImageLoadError', 'ImageNotFoundError', 'ImageSizeMismatchError',
    'PseudoLayoutMask', 'LayoutMaskToGrid', 'MultiViewWithKeys',
    'RandomResizedCropWithSegMap', 'RandomResizeOrCrop',
    'RandomShortSideResize'
]
