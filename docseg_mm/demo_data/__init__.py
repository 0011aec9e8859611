# Copyright (c) docseg_mm contributors. All rights reserved.
"""A deterministic synthetic document-page generator with DocLayNet labels.

Nothing is downloaded: pages are drawn with OpenCV (Hershey-font glyph runs,
ruled tables, photo-like pictures, charts, formulas) and written as a small
DocLayNet-style COCO dataset, see :func:`generate_demo_dataset`.
"""
from .classes import CATEGORY_IDS, DOCLAYNET_CLASSES, PAGE_TYPES
from .generator import FORMAT_VERSION, generate_demo_dataset, page_rng
from .layout import DEFAULT_PAGE_SIZE, PageStyle, render_page, sample_style

__all__ = [
    'CATEGORY_IDS', 'DOCLAYNET_CLASSES', 'DEFAULT_PAGE_SIZE', 'FORMAT_VERSION',
    'PAGE_TYPES', 'PageStyle', 'generate_demo_dataset', 'page_rng',
    'render_page', 'sample_style'
]
