# Copyright (c) docseg_mm contributors. All rights reserved.
from .dig_pixel_decoder import DiGPixelDecoder
from .docsam_pixel_decoder import DocSAMPixelDecoder
from .fusion_module import MultiLevelFusion
from .linear_norm_neck import LinearNormNeck

__all__ = [
    'DiGPixelDecoder', 'DocSAMPixelDecoder', 'LinearNormNeck',
    'MultiLevelFusion'
]
