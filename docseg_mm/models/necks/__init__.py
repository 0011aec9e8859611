# Copyright (c) docseg_mm contributors. All rights reserved.
from .docsam_pixel_decoder import DocSAMPixelDecoder
from .fusion_module import MultiLevelFusion

__all__ = ['DocSAMPixelDecoder', 'MultiLevelFusion']
