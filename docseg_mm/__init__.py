# Copyright (c) docseg_mm contributors. All rights reserved.
"""docseg_mm: document and label-efficient image segmentation on OpenMMLab."""
import mmcv
import mmengine
from mmengine.utils import digit_version

from .utils.checkpoint_compat import register_safe_checkpoint_loader
from .utils.numpy_compat import patch_mmcv_adjust_hue
from .version import __version__

MMCV_VERSION = ('2.1.0', '2.2.0')
MMENGINE_MIN = '0.10.6'

assert digit_version(MMCV_VERSION[0]) <= digit_version(mmcv.__version__) \
    < digit_version(MMCV_VERSION[1]), \
    f'docseg_mm needs {MMCV_VERSION[0]} <= mmcv < {MMCV_VERSION[1]}, ' \
    f'found {mmcv.__version__}'
assert digit_version(mmengine.__version__) >= digit_version(MMENGINE_MIN), \
    f'docseg_mm needs mmengine>={MMENGINE_MIN}, found {mmengine.__version__}'

register_safe_checkpoint_loader()
patch_mmcv_adjust_hue()

__all__ = ['__version__']
