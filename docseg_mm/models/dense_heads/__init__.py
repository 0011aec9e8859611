# Copyright (c) docseg_mm contributors. All rights reserved.
from .docsam_head import DocSAMHead

__all__ = ['DocSAMHead']
