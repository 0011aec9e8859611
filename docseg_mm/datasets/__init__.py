# Copyright (c) docseg_mm contributors. All rights reserved.
"""Document layout datasets registered in ``docseg_mm.registry.DATASETS``."""
from .ann_checks import AnnotationFormatError
from .coco_doc import CocoDocDataset
from .doclaynet import DocLayNetDataset
from .publaynet import PubLayNetDataset
from .transforms import (ImageLoadError, ImageNotFoundError,
                         ImageSizeMismatchError, LoadDocImageFromFile)

__all__ = [
    'AnnotationFormatError', 'CocoDocDataset', 'DocLayNetDataset',
    'PubLayNetDataset', 'LoadDocImageFromFile', 'ImageLoadError',
    'ImageNotFoundError', 'ImageSizeMismatchError'
]
