# Copyright (c) docseg_mm contributors. All rights reserved.
from .alignseg_head import AlignSegHead
from .dig_contrast_head import DiGContrastHead
from .dig_mim_head import DiGMIMHead
from .layout_mask_head import LayoutMaskHead
from .transformer_text_head import TransformerTextHead

__all__ = [
    'AlignSegHead', 'DiGContrastHead', 'DiGMIMHead', 'LayoutMaskHead',
    'TransformerTextHead'
]
