# Copyright (c) docseg_mm contributors. All rights reserved.
"""Data transforms registered in ``docseg_mm.registry.TRANSFORMS``."""
from .loading import (ImageLoadError, ImageNotFoundError,
                      ImageSizeMismatchError, LoadDocImageFromFile)

__all__ = [
    'LoadDocImageFromFile', 'ImageLoadError', 'ImageNotFoundError',
    'ImageSizeMismatchError'
]
