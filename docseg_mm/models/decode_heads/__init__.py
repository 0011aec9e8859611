# Copyright (c) docseg_mm contributors. All rights reserved.
from .slr_head import SLRHead

__all__ = ['SLRHead']
