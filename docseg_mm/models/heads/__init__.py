# Copyright (c) docseg_mm contributors. All rights reserved.
from .layout_mask_head import LayoutMaskHead

__all__ = ['LayoutMaskHead']
