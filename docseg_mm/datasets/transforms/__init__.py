# Copyright (c) docseg_mm contributors. All rights reserved.
"""Data transforms registered in ``docseg_mm.registry.TRANSFORMS``."""
from .loading import (ImageLoadError, ImageNotFoundError,
                      ImageSizeMismatchError, LoadDocImageFromFile)
from .docsam_transforms import RandomResizeOrCrop, RandomShortSideResize
from .layout_mask import (LayoutMaskToGrid, PseudoLayoutMask,
                          layout_mask_throughput)
from .multi_view import MultiViewWithKeys
from .seg_map_crop import RandomResizedCropWithSegMap
from .semseg_loading import (ImageLabelsFromSegMap, LoadSemSegAnnotations,
                             SegMapValueError)
from .wsss_formatting import PackWSSSInputs, SetLabeled

__all__ = [
    'LoadDocImageFromFile', 'ImageLoadError', 'ImageNotFoundError',
    'ImageSizeMismatchError', 'PseudoLayoutMask', 'LayoutMaskToGrid',
    'layout_mask_throughput', 'MultiViewWithKeys',
    'RandomResizedCropWithSegMap', 'RandomResizeOrCrop',
    'RandomShortSideResize', 'LoadSemSegAnnotations', 'ImageLabelsFromSegMap',
    'SegMapValueError', 'PackWSSSInputs', 'SetLabeled'
]
