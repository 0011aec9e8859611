# Copyright (c) docseg_mm contributors. All rights reserved.
"""A deterministic synthetic document generator with DocLayNet labels.

Documents are typeset as real PDFs with ReportLab (TrueType and base-14
fonts, justified and hyphenated paragraphs in 1-3 columns, lists,
footnotes, running headers, captions tied to matplotlib charts,
photographs from installed packages, mathtext formulas, ruled tables and
code), rasterised with PDFium and written as a DocLayNet-style COCO set
with semantic masks, page tags and word crops; see
:func:`generate_demo_dataset`. Nothing is downloaded.
"""
from .classes import (CATEGORY_IDS, DOCLAYNET_CLASSES, DOCLAYNET_TO_PUBLAYNET,
                      PAGE_TYPES, PUBLAYNET_CLASSES, to_publaynet)

__all__ = [
    'CATEGORY_IDS', 'DOCLAYNET_CLASSES', 'DOCLAYNET_TO_PUBLAYNET',
    'FORMAT_VERSION', 'PAGE_TYPES', 'PUBLAYNET_CLASSES',
    'generate_demo_dataset', 'render_document', 'to_publaynet'
]


def __getattr__(name):
    # The writer imports ReportLab / PDFium / matplotlib: load it on use.
    if name in ('FORMAT_VERSION', 'generate_demo_dataset', 'render_document'):
        from . import generator
        return getattr(generator, name)
    raise AttributeError(name)
