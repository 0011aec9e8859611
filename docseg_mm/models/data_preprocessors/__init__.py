# Copyright (c) docseg_mm contributors. All rights reserved.
from .multi_crop_seg import MultiCropSegDataPreProcessor

__all__ = ['MultiCropSegDataPreProcessor']
