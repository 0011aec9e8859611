# Copyright (c) docseg_mm contributors. All rights reserved.
from .docsam import DocSAM

__all__ = ['DocSAM']
