# Copyright (c) docseg_mm contributors. All rights reserved.
from .layout_mask_head import LayoutMaskHead
from .alignseg_head import AlignSegHead

__all__ = [
    'AlignSegHead','LayoutMaskHead']
