# Copyright (c) docseg_mm contributors. All rights reserved.
"""Data transforms registered in ``docseg_mm.registry.TRANSFORMS``."""
from .loading import (BadImageMixin, ImageLoadError, ImageNotFoundError,
                      ImageOrientationError, ImageSizeMismatchError,
                      LoadDocImageFromFile)
from .tiff_page import LoadTiffPage
from .docsam_transforms import RandomResizeOrCrop, RandomShortSideResize
from .layout_mask import LayoutMaskToGrid, PseudoLayoutMask
from .multi_crop import AlignSegMultiCrop
from .multi_view import MultiViewWithKeys
from .random_patch_mask import RandomPatchMask
from .scan_degrade import RandomScanDegrade
from .seg_map_crop import RandomResizedCropWithSegMap
from .semseg_loading import (ImageLabelsFromSegMap, LoadSemSegAnnotations,
                             SegMapValueError)
from .wsss_formatting import PackWSSSInputs, SetLabeled
from .text_abinet_aug import TextDeterioration, TextGeometry
from .text_formatting import PackTextRecogInputs
from .text_seqclr_aug import TextSeqCLRAugment

__all__ = [
    'AlignSegMultiCrop',
    'LoadDocImageFromFile', 'LoadTiffPage', 'BadImageMixin',
    'ImageLoadError', 'ImageNotFoundError', 'ImageSizeMismatchError',
    'ImageOrientationError',
    'PseudoLayoutMask', 'LayoutMaskToGrid', 'MultiViewWithKeys',
    'RandomResizedCropWithSegMap', 'RandomResizeOrCrop',
    'RandomShortSideResize', 'LoadSemSegAnnotations', 'ImageLabelsFromSegMap',
    'SegMapValueError', 'PackWSSSInputs', 'SetLabeled',
    'RandomPatchMask', 'RandomScanDegrade', 'TextDeterioration',
    'TextGeometry', 'PackTextRecogInputs', 'TextSeqCLRAugment'
]
