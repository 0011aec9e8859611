# Copyright (c) docseg_mm contributors. All rights reserved.
"""Conversions between dataset formats (library side of
``tools/dataset_converters``)."""
from .coco_to_semantic import (IGNORE_INDEX, coco_to_semantic, page_tags,
                               rasterize_semantic)
from .recog_lmdb_writer import write_recog_lmdb

__all__ = ['IGNORE_INDEX', 'coco_to_semantic', 'page_tags',
           'rasterize_semantic', 'write_recog_lmdb']
