# Copyright (c) docseg_mm contributors. All rights reserved.
from .mask_pool import masked_average_pool

__all__ = ['masked_average_pool']
